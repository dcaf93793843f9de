package io.nicq.bench.tcp;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.nicq.card.CardDriver;
import io.nicq.card.QueueDriverMode;
import io.nicq.client.NicClient;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.sim.SimulatedCard;

/**
 * The nicq hosts of the TCP benchmarks, in this JVM under {@code dir}: a card driver on a simulated card (queue
 * drivers as threads, backing off when idle, its output discarded) and a client of it, and the simulated cards'
 * directory property set for a run and put back after.
 */
final class BenchHosts
{
    private BenchHosts()
    {
    }

    static CardDriver driver(final Path dir, final SimulatedCard card, final String instance, final String ip)
    {
        return CardDriver.launch(new CardDriver.Context()
            .instance(instance)
            .baseDir(dir.resolve("nicq"))
            .nicSpec(card.files().toString())
            .ipv4(ip + "/24")
            .queueDriverMode(QueueDriverMode.THREAD)
            .queueDriverIdle("backoff")
            .logDir(dir.resolve("logs"))
            .out(new PrintStream(PrintStream.nullOutputStream(), true, StandardCharsets.UTF_8)));
    }

    static NicClient client(final Path dir, final String instance, final String name)
    {
        return NicClient.connect(new NicClient.Context().instance(instance).baseDir(dir.resolve("nicq"))
            .name(name).requestTimeout(10, TimeUnit.SECONDS).queueActivationTimeout(10, TimeUnit.SECONDS));
    }

    /** Points the simulated cards' directory at {@code dir}/sim; returns what it was, for {@link #restoreSimDir}. */
    static String useSimDir(final Path dir)
    {
        final String previous = System.getProperty(SimulatedCardFiles.DIR_PROPERTY);
        System.setProperty(SimulatedCardFiles.DIR_PROPERTY, dir.resolve("sim").toString());
        return previous;
    }

    static void restoreSimDir(final String previous)
    {
        if (previous == null)
        {
            System.clearProperty(SimulatedCardFiles.DIR_PROPERTY);
        }
        else
        {
            System.setProperty(SimulatedCardFiles.DIR_PROPERTY, previous);
        }
    }
}
