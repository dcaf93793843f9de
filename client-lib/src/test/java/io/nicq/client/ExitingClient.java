package io.nicq.client;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM for {@link NicClientIT}: connects, takes a queue and a UDP port, then exits without closing anything.
 * The shutdown hook must give everything back. Arguments: base dir, instance, UDP port, simulated cards' dir.
 */
public final class ExitingClient
{
    private ExitingClient()
    {
    }

    public static void main(final String[] args)
    {
        try
        {
            run(args);
        }
        catch (final Throwable ex)
        {
            ex.printStackTrace(System.out);
            System.exit(1);
        }
    }

    private static void run(final String[] args)
    {
        System.setProperty(io.nicq.ixgbe.SimulatedCardFiles.DIR_PROPERTY, args[3]);
        final NicClient client = NicClient.connect(new NicClient.Context()
            .baseDir(Path.of(args[0]))
            .instance(args[1])
            .name("exiting-client")
            .requestTimeout(20, TimeUnit.SECONDS));
        final NicQueue queue = client.requestQueue(QueueService.INLINE);
        NicClientIT.udpSocket(client, queue).bind(Integer.parseInt(args[2]));
        System.out.println("READY queue " + queue.queueId() + " port " + args[2]);
        System.out.flush();
        System.exit(0);
    }
}
