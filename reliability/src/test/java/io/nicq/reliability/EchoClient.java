package io.nicq.reliability;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.nicq.client.NicClient;
import io.nicq.client.NicException;
import io.nicq.client.NicQueue;
import io.nicq.client.QueueService;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.udp.UdpHandler;
import io.nicq.client.udp.UdpLayer;
import io.nicq.client.udp.UdpSocket;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * A client process for the crash matrix, on client-lib: a served queue (the card driver runs queue drivers as
 * processes there), a UDP socket on its port, and a zero-copy
 * echo of every datagram with its own tag written into it ({@link Traffic}), so the far end can tell who received
 * what. It reports on standard output, one line each:
 * <pre>
 *   READY queue filterSlot queueDriverPid   serving
 *   FOREIGN tag sequence                     received a datagram of another flow (echoed anyway, so it shows)
 *   REVOKED reason text                      the card driver took the queue away
 *   STOPPED reason text                      the queue stopped being served; it asks for a new one
 *   ERROR text                               a heartbeat failed
 *   LOST text                                the card driver is gone: exits with status 3 ("LOST (not a
 *                                            NicException)" when client-lib threw something else)
 * </pre>
 * <pre>
 *   EchoClient INSTANCE NICQ_DIR PORT TAG
 * </pre>
 */
public final class EchoClient
{
    private EchoClient()
    {
    }

    public static void main(final String[] args)
    {
        final String instance = args[0];
        final Path baseDir = Path.of(args[1]);
        final int port = Integer.parseInt(args[2]);
        final long tag = Long.parseLong(args[3]);

        final NicClient client;
        try
        {
            client = NicClient.connect(new NicClient.Context()
                .instance(instance)
                .baseDir(baseDir)
                .name("echo-" + tag)
                .requestTimeout(5, TimeUnit.SECONDS)
                .queueActivationTimeout(60, TimeUnit.SECONDS)
                .errorHandler(ex -> say("ERROR " + ex))
                .queueRevokedHandler((queue, reason, text) -> say("REVOKED " + reason + " " + text)));
        }
        catch (final NicException ex)
        {
            say("LOST cannot connect: " + ex.getMessage());
            System.exit(3);
            return;
        }

        final UdpHandler echo = datagram ->
        {
            final AtomicBuffer buffer = datagram.buffer();
            final int offset = datagram.offset();
            if (datagram.length() < Traffic.PAYLOAD_LENGTH ||
                buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN) != Traffic.MAGIC)
            {
                say("FOREIGN not test traffic, " + datagram.length() + " bytes");
                return;
            }
            final long flow = buffer.getLong(offset + 8, ByteOrder.LITTLE_ENDIAN);
            if (flow != tag)
            {
                say("FOREIGN " + flow + " " + buffer.getLong(offset + 16, ByteOrder.LITTLE_ENDIAN));
            }
            buffer.putLong(offset + 24, tag, ByteOrder.LITTLE_ENDIAN);
            datagram.reply(Traffic.PAYLOAD_LENGTH);
        };
        final IdleStrategy idle = new BackoffIdleStrategy(10, 10, TimeUnit.MICROSECONDS.toNanos(1),
            TimeUnit.MICROSECONDS.toNanos(500));

        while (true)
        {
            final NicQueue queue;
            final UdpSocket socket;
            try
            {
                queue = client.requestQueue(QueueService.SERVED, 64, 256);
                socket = UdpSocket.open(new UdpLayer(new Ipv4Interface(queue, client))).bind(port);
            }
            catch (final NicException ex)
            {
                if (cardDriverGone(ex))
                {
                    say("LOST " + ex.getMessage());
                    System.exit(3);
                    return;
                }
                // PORT_IN_USE while the card driver still tears the old queue down, for instance: try again.
                say("REFUSED " + ex.reason() + " " + ex.getMessage());
                sleep(100);
                continue;
            }
            catch (final RuntimeException ex)
            {
                say("LOST (not a NicException) " + ex);
                System.exit(3);
                return;
            }
            say("READY " + queue.queueId() + " " + socket.filter().hardwareIndex() + " " +
                queue.channel().header().driverPid());
            try
            {
                while (true)
                {
                    idle.idle(socket.receive(echo));
                }
            }
            catch (final NicException ex)
            {
                say("STOPPED " + ex.reason() + " " + ex.getMessage());
            }
            try
            {
                client.releaseQueue(queue);
            }
            catch (final NicException ex)
            {
                if (cardDriverGone(ex))
                {
                    say("LOST " + ex.getMessage());
                    System.exit(3);
                }
                say("ERROR releasing queue " + queue.queueId() + ": " + ex.getMessage());
            }
            catch (final RuntimeException ex)
            {
                say("LOST (not a NicException) " + ex);
                System.exit(3);
            }
            if (client.lostReason() != null)
            {
                say("LOST " + client.lostReason().getMessage());
                System.exit(3);
            }
        }
    }

    private static void say(final String line)
    {
        System.out.println(System.nanoTime() + " " + line);
        System.out.flush();
    }

    private static void sleep(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /** No card driver to ask, or it does not answer: what a card driver that died looks like from here. */
    private static boolean cardDriverGone(final NicException ex)
    {
        return ex.reason() == NicException.Reason.NO_CARD_DRIVER || ex.reason() == NicException.Reason.TIMED_OUT;
    }
}
