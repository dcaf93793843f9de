package io.nicq.examples.cable;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.QueueService;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.tcp.TcpCloseReason;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.examples.tcp.SeededStream;
import io.nicq.examples.tcp.TcpEchoServer;
import io.nicq.examples.tcp.TcpSender;
import io.nicq.packet.Ipv4Address;
import io.nicq.sim.SimulatedCard;
import io.nicq.sim.WireFaults;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/**
 * nicq's TCP at both ends of the simulated cable ({@link CableLab}): a {@link TcpSender} on host a streams a
 * {@link SeededStream} to a {@link TcpEchoServer} on host b (its own thread, its own inline queue) and checks the echo's
 * SHA-256. Sizes are CI-sized; {@code -Dnicq.tcp.bytes=67108864} runs the long version.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CableTcpIT
{
    private static final long BYTES = Long.getLong("nicq.tcp.bytes", 4L << 20);
    private static final long FAULTY_BYTES = Long.getLong("nicq.tcp.faulty-bytes", 1L << 20);
    private static final long FAULT_SEED = Long.getLong("nicq.tcp.fault-seed", 11);
    private static final int PORT = 7;
    private static final long TIMEOUT_MS = Long.getLong("nicq.tcp.timeout-ms", 120_000);

    @TempDir
    Path dir;

    private CableLab lab;
    private EchoHost echo;

    @AfterEach
    void tearDown() throws Exception
    {
        if (echo != null)
        {
            echo.close();
        }
        if (lab != null)
        {
            lab.close();
        }
    }

    @Test
    void aStreamCrossesTheCableAndComesBack() throws Exception
    {
        lab = CableLab.open(dir, UnaryOperator.identity());
        echo = EchoHost.start(lab.clientB, PORT);
        transfer(1, BYTES);
    }

    @Test
    void twentyConnectionsAtOnceCrossTheCable() throws Exception
    {
        lab = CableLab.open(dir, UnaryOperator.identity());
        echo = EchoHost.start(lab.clientB, PORT);
        transfer(20, 256 * 1024);
    }

    /** The bar: every transfer under 2% loss, 1% duplication and 5% reordering, on both cards' egress. */
    @Test
    void aStreamCrossesACableThatLosesDuplicatesAndReorders() throws Exception
    {
        lab = CableLab.open(dir, card -> card.wireFaults(new WireFaults.Context().dropProbability(0.02)
            .duplicateProbability(0.01).reorderProbability(0.05).seed(FAULT_SEED)));
        echo = EchoHost.start(lab.clientB, PORT);
        transfer(2, FAULTY_BYTES);
        for (final SimulatedCard card : List.of(lab.cardA, lab.cardB))
        {
            final WireFaults faults = card.wireFaults();
            assertTrue(faults.dropped() > 0 && faults.duplicated() > 0 && faults.reordered() > 0,
                "the wire misbehaved as asked: dropped " + faults.dropped() + ", duplicated " + faults.duplicated() +
                ", reordered " + faults.reordered());
        }
    }

    void transfer(final int connections, final long bytes) throws Exception
    {
        final NicQueue queue = lab.clientA.requestQueue(QueueService.INLINE);
        final Ipv4Interface ip = new Ipv4Interface(queue, lab.clientA);
        final TcpLayer tcp = new TcpLayer(ip);
        final List<TcpSender> senders = new ArrayList<>();
        for (int i = 0; i < connections; i++)
        {
            senders.add(new TcpSender(tcp, Ipv4Address.parse(CableLab.IP_B), PORT, bytes, 100 + i));
        }
        pollUntil(ip, () -> senders.stream().allMatch(TcpSender::isDone), () -> tcp + "; " +
            senders.stream().map(sender -> String.valueOf(sender.connection())).toList() + "; " + echo.describe() +
            "; stack drops a: " + ip.dropsToString() + lab.logs());
        for (int i = 0; i < connections; i++)
        {
            final TcpSender sender = senders.get(i);
            final String expected = SeededStream.sha256Hex(100 + i, bytes);
            assertEquals(TcpCloseReason.CLOSED, sender.closeReason(), sender.connection().toString());
            assertEquals(expected, sender.sentSha256(), "stream " + i + " sent");
            assertEquals(bytes, sender.received(), "echoed bytes of connection " + i);
            assertEquals(expected, sender.receivedSha256(), "the echo of connection " + i + " is its stream");
        }
        pollUntil(ip, () -> tcp.connections() == 0, () -> "connections left on a: " + tcp);
        echo.awaitIdle(connections);
        lab.clientA.releaseQueue(queue);
    }

    static void pollUntil(final Ipv4Interface ip, final BooleanSupplier done, final Supplier<String> context)
    {
        final IdleStrategy idle = CableLab.idle();
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (!done.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("not done within " + TIMEOUT_MS + " ms: " + context.get());
            }
            idle.idle(ip.poll());
        }
    }

    /**
     * Host b's application: a thread that requests an inline queue (so the queue, its driver and the echo server all
     * run on it) and echoes until closed. What it knows is published through volatile fields for the test thread.
     */
    static final class EchoHost implements AutoCloseable
    {
        private final Thread thread;
        private final CountDownLatch ready = new CountDownLatch(1);
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile boolean running = true;
        private volatile String state = "starting";
        private volatile long accepted;
        private volatile long open;
        private volatile long closedGracefully;

        private EchoHost(final NicClient client, final int port)
        {
            thread = Thread.ofPlatform().name("echo-host-b").start(() -> run(client, port));
        }

        static EchoHost start(final NicClient client, final int port) throws InterruptedException
        {
            final EchoHost host = new EchoHost(client, port);
            if (!host.ready.await(30, TimeUnit.SECONDS) || host.failure.get() != null)
            {
                host.close();
                fail("host b's echo server did not start: " + host.failure.get());
            }
            return host;
        }

        private void run(final NicClient client, final int port)
        {
            try
            {
                final NicQueue queue = client.requestQueue(QueueService.INLINE);
                final Ipv4Interface ip = new Ipv4Interface(queue, client);
                final TcpLayer tcp = new TcpLayer(ip);
                final TcpEchoServer server = new TcpEchoServer(tcp, port);
                ready.countDown();
                final IdleStrategy idle = CableLab.idle();
                int polls = 0;
                while (running)
                {
                    idle.idle(server.doWork());
                    if ((++polls & 0xFF) == 0)
                    {
                        publish(server, tcp, ip);
                    }
                }
                publish(server, tcp, ip);
                server.onClose();
                client.releaseQueue(queue);
            }
            catch (final Throwable ex)
            {
                failure.set(ex);
                ready.countDown();
            }
        }

        private void publish(final TcpEchoServer server, final TcpLayer tcp, final Ipv4Interface ip)
        {
            accepted = server.accepted();
            open = server.open();
            closedGracefully = server.closedGracefully();
            state = server + "; " + tcp + "; stack drops b: " + ip.dropsToString();
        }

        String describe()
        {
            return "host b: " + state + (failure.get() != null ? "; failed: " + failure.get() : "");
        }

        /** Waits until host b has accepted {@code connections} and closed every one gracefully. */
        void awaitIdle(final int connections) throws InterruptedException
        {
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
            while (!(accepted == connections && open == 0))
            {
                if (System.nanoTime() - deadline > 0 || failure.get() != null)
                {
                    fail("host b did not close its " + connections + " connections: " + describe());
                }
                Thread.sleep(5);
            }
            assertEquals(connections, closedGracefully, describe());
        }

        public void close() throws InterruptedException
        {
            running = false;
            thread.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(thread.isAlive(), "host b's thread did not stop");
            assertNull(failure.get(), () -> "host b failed: " + failure.get());
        }
    }
}
