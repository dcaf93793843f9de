package io.nicq.examples;

import java.util.Locale;

import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.QueueService;
import io.nicq.runtime.CpuAffinity;
import io.nicq.runtime.IdleStrategies;
import org.agrona.concurrent.IdleStrategy;
import picocli.CommandLine.Option;

/** Options every example shares: which instance, who runs the queue's driver, how the application's loop idles. */
public final class ClientOptions
{
    @Option(names = "--instance", required = true, paramLabel = "NAME", description = "The nicq instance (card driver) to use")
    String instance;

    @Option(names = "--mode", defaultValue = "served", paramLabel = "MODE",
        description = {"Who runs the queue's driver: served (the card driver, as a process or a thread as its "
            + "--queue-driver-mode says) or inline (this application's loop) (default: ${DEFAULT-VALUE})"})
    String mode;

    @Option(names = "--idle", defaultValue = "adaptive", paramLabel = "STRATEGY",
        description = "How the application's loop idles: " + IdleStrategies.NAMES + " (default: ${DEFAULT-VALUE})")
    String idle;

    @Option(names = "--ring-size", defaultValue = "0", paramLabel = "N",
        description = "Descriptors per ring, a power of two (default: the card driver's)")
    int ringSize;

    @Option(names = "--slots", defaultValue = "0", paramLabel = "N",
        description = "Packet slots in the queue's pool, a power of two (default: the card driver's)")
    int slots;

    @Option(names = "--cpu", paramLabel = "CPUS",
        description = "Pin the application's loop (and an inline queue driver) to these CPUs, e.g. 1 or 2-3")
    String cpu;

    /** Pins the calling thread, the application's loop, when --cpu was given. */
    void pinLoopThread()
    {
        if (cpu != null)
        {
            CpuAffinity.pinCurrentThread(CpuAffinity.parse(cpu));
        }
    }

    QueueService queueService()
    {
        try
        {
            return QueueService.valueOf(mode.toUpperCase(Locale.ROOT));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("--mode '" + mode + "' is not one of served, inline (whether a " +
                "served queue's driver is a process or a thread is the card driver's --queue-driver-mode)", ex);
        }
    }

    IdleStrategy idleStrategy()
    {
        return IdleStrategies.of(idle);
    }

    /** The loop's idle strategy, sleeping on the queue's wake-up when it is adaptive ({@link NicQueue#sleepOn}). */
    IdleStrategy idleStrategy(final NicQueue queue)
    {
        return queue.sleepOn(idleStrategy());
    }

    NicClient connect(final String name)
    {
        return NicClient.connect(new NicClient.Context().instance(instance).name(name));
    }

    NicQueue requestQueue(final NicClient client)
    {
        return client.requestQueue(queueService(), ringSize, slots);
    }
}
