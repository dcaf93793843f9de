package io.nicq.bench.tcp;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.nicq.card.CardDriver;
import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.QueueService;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.tcp.TcpCloseReason;
import io.nicq.client.tcp.TcpConnection;
import io.nicq.client.tcp.TcpHandler;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.client.tcp.TcpReader;
import io.nicq.client.tcp.TcpState;
import io.nicq.examples.tcp.TcpEchoServer;
import io.nicq.examples.tcp.TcpEchoWorkers;
import io.nicq.packet.Ipv4Address;
import io.nicq.sim.SimulatedCard;
import org.HdrHistogram.Histogram;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code nicq bench handover}: what handing a connection over to a worker costs its first byte. Two nicq hosts on the
 * simulated cable; host b serves two echo ports at once, host a opens connections one after the other, alternating
 * between them, each: connect, write a message, read its echo, close. Recorded per connection, from the connect call
 * to the whole echo read:
 * <pre>
 *   plain       port 7: one thread on one queue accepts and echoes (the baseline)
 *   hand-over   port 8: a listener thread hands each connection to one of N workers on queues of their own
 *               (TcpEchoWorkers); its filter is registered while the worker answers the SYN
 * </pre>
 * and, on host b, the hand-over's own time (the listener taking the SYN to the worker's first byte echoed) and the
 * card driver's time to register a connection filter. The cards' device loops and every host thread back off when
 * idle: there are more loops than CPUs. The first connections of each port are warm-up (JIT, neighbours), not
 * recorded.
 */
@Command(name = "handover", mixinStandardHelpOptions = true,
    description = {"A connection's first byte with and without its hand-over to a worker queue (tcp-echo " +
        "--workers), in one run over the simulated cable: connect -> echo read, per connection."})
public final class TcpHandOverCommand implements Callable<Integer>
{
    private static final String IP_A = "10.0.0.1";
    private static final String IP_B = "10.0.0.2";
    private static final int PLAIN_PORT = 7;
    private static final int HAND_OVER_PORT = 8;
    private static final long CONNECTION_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    @Option(names = "--connections", defaultValue = "1000", paramLabel = "N",
        description = "Recorded connections per port and run (default: ${DEFAULT-VALUE})")
    int connections;

    @Option(names = "--warmup", defaultValue = "300", paramLabel = "N",
        description = "Unrecorded connections per port first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--workers", defaultValue = "2", paramLabel = "N",
        description = "Workers of port 8 (default: ${DEFAULT-VALUE})")
    int workers;

    @Option(names = "--size", defaultValue = "64", paramLabel = "BYTES",
        description = "Message bytes (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--runs", defaultValue = "3", paramLabel = "N", description = "Runs (default: ${DEFAULT-VALUE})")
    int runs;

    public Integer call() throws Exception
    {
        if (connections < 1 || warmup < 0 || workers < 1 || size < 1 || size > 65536 || runs < 1)
        {
            throw new IllegalArgumentException("--connections, --workers and --runs must be at least 1, --warmup at " +
                "least 0, --size within 1..65536");
        }
        final Path dir = Files.createTempDirectory(Path.of("/dev/shm"), "nicq-bench-handover-");
        final String id = UUID.randomUUID().toString().substring(0, 6);
        final String previousSimDir = BenchHosts.useSimDir(dir);
        SimulatedCard cardA = null;
        SimulatedCard cardB = null;
        CardDriver driverA = null;
        CardDriver driverB = null;
        NicClient clientA = null;
        NicClient clientB = null;
        PlainEcho plain = null;
        TcpEchoWorkers handOver = null;
        try
        {
            cardA = card(dir, "a-" + id, "cable:" + id + ":a");
            cardB = card(dir, "b-" + id, "cable:" + id + ":b");
            driverA = BenchHosts.driver(dir, cardA, "a-" + id, IP_A);
            driverB = BenchHosts.driver(dir, cardB, "b-" + id, IP_B);
            clientA = BenchHosts.client(dir, "a-" + id, "bench-handover");
            clientB = BenchHosts.client(dir, "b-" + id, "bench-handover");
            plain = PlainEcho.start(clientB);
            handOver = TcpEchoWorkers.start(clientB, QueueService.INLINE, HAND_OVER_PORT, workers,
                TcpHandOverCommand::idle);
            final NicQueue queue = clientA.requestQueue(QueueService.INLINE);
            final Ipv4Interface ip = new Ipv4Interface(queue, clientA);
            final Client client = new Client(new TcpLayer(ip), size);
            System.out.printf(Locale.ROOT, "handover: %d-byte messages, %d warm-up + %d recorded connections per " +
                "port and run, %d runs; port %d plain, port %d handed to %d workers; %d CPUs, every loop backing " +
                "off when idle%n", size, warmup, connections, runs, PLAIN_PORT, HAND_OVER_PORT, workers,
                Runtime.getRuntime().availableProcessors());
            final Histogram plainAll = newHistogram();
            final Histogram handOverAll = newHistogram();
            client.run(PLAIN_PORT, warmup, null);
            client.run(HAND_OVER_PORT, warmup, null);
            for (int run = 1; run <= runs; run++)
            {
                final Histogram plainRun = newHistogram();
                final Histogram handOverRun = newHistogram();
                // Alternating, so both ports see the same machine.
                for (int i = 0; i < connections; i++)
                {
                    client.run(PLAIN_PORT, 1, plainRun);
                    client.run(HAND_OVER_PORT, 1, handOverRun);
                }
                plainAll.add(plainRun);
                handOverAll.add(handOverRun);
                System.out.printf(Locale.ROOT, "run %d: connect -> echo read p50 / p99: plain %s, hand-over %s; " +
                    "ratio p50 %.2fx p99 %.2fx%n", run, percentiles(plainRun), percentiles(handOverRun),
                    ratio(handOverRun, plainRun, 50), ratio(handOverRun, plainRun, 99));
            }
            handOver.close();
            final Histogram serverSide = handOver.handOverToFirstByte();
            System.out.printf(Locale.ROOT, "all runs: plain %s, hand-over %s; ratio p50 %.2fx p99 %.2fx%n",
                percentiles(plainAll), percentiles(handOverAll), ratio(handOverAll, plainAll, 50),
                ratio(handOverAll, plainAll, 99));
            System.out.printf(Locale.ROOT, "host b, the listener taking the SYN -> the worker's first byte echoed " +
                "(warm-up included): %s over %d connections%n", percentiles(serverSide), serverSide.getTotalCount());
            System.out.print(handOver.summary());
            return 0;
        }
        finally
        {
            if (handOver != null)
            {
                handOver.close();
            }
            if (plain != null)
            {
                plain.stop();
            }
            CloseHelper.quietCloseAll(clientA, clientB, driverA, driverB, cardA, cardB);
            BenchHosts.restoreSimDir(previousSimDir);
            IoUtil.delete(dir.toFile(), true);
        }
    }

    private static Histogram newHistogram()
    {
        return new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
    }

    private static String percentiles(final Histogram h)
    {
        return String.format(Locale.ROOT, "%.1f / %.1f us", h.getValueAtPercentile(50) / 1e3,
            h.getValueAtPercentile(99) / 1e3);
    }

    private static double ratio(final Histogram a, final Histogram b, final double percentile)
    {
        return (double)a.getValueAtPercentile(percentile) / Math.max(1, b.getValueAtPercentile(percentile));
    }

    static IdleStrategy idle()
    {
        return new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100));
    }

    private static SimulatedCard card(final Path dir, final String name, final String wire)
    {
        return SimulatedCard.launch(new SimulatedCard.Context().cardName(name).baseDir(dir.resolve("sim"))
            .wireSpec(wire).idleStrategy(idle()));
    }

    /** Host a: connections one at a time, each a message and its echo, timed from the connect call. */
    private static final class Client implements TcpHandler, TcpReader
    {
        private final TcpLayer tcp;
        private final UnsafeBuffer message;
        private final IdleStrategy idle = idle();
        private int echoed;

        Client(final TcpLayer tcp, final int size)
        {
            this.tcp = tcp;
            this.message = new UnsafeBuffer(new byte[size]);
        }

        /** {@code count} connections to {@code port}, each recorded into {@code times} unless it is null. */
        void run(final int port, final int count, final Histogram times)
        {
            for (int i = 0; i < count; i++)
            {
                echoed = 0;
                final long startNs = System.nanoTime();
                final TcpConnection connection = TcpConnection.connect(tcp, Ipv4Address.parse(IP_B), port, this);
                while (echoed < message.capacity())
                {
                    check(connection, startNs, "its echo");
                    idle.idle(tcp.ip().poll());
                }
                final long tookNs = System.nanoTime() - startNs;
                if (times != null)
                {
                    times.recordValue(Math.min(tookNs, times.getHighestTrackableValue()));
                }
                connection.close();
                while (connection.state() != TcpState.TIME_WAIT && connection.state() != TcpState.CLOSED)
                {
                    check(connection, startNs, "closed");
                    idle.idle(tcp.ip().poll());
                }
            }
        }

        private static void check(final TcpConnection connection, final long startNs, final String what)
        {
            if (System.nanoTime() - startNs > CONNECTION_TIMEOUT_NS)
            {
                throw new IllegalStateException("a connection was not " + what + " within 10 s: " + connection);
            }
            if (connection.state() == TcpState.CLOSED && connection.closeReason() != TcpCloseReason.CLOSED)
            {
                throw new IllegalStateException("a connection ended: " + connection);
            }
        }

        public void onConnected(final TcpConnection connection)
        {
            connection.write(message, 0, message.capacity());
        }

        public void onReadable(final TcpConnection connection)
        {
            connection.read(this);
        }

        public int onData(final DirectBuffer buffer, final int offset, final int length)
        {
            echoed += length;
            return length;
        }
    }

    /** Port 7 of host b: one thread on one inline queue accepts and echoes every connection. */
    private static final class PlainEcho
    {
        private final Thread thread;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile boolean running = true;
        private volatile boolean ready;

        private PlainEcho(final NicClient client)
        {
            thread = Thread.ofPlatform().name("bench-handover-plain").start(() ->
            {
                try
                {
                    final NicQueue queue = client.requestQueue(QueueService.INLINE);
                    final TcpEchoServer server = new TcpEchoServer(new TcpLayer(new Ipv4Interface(queue, client)),
                        PLAIN_PORT);
                    ready = true;
                    final IdleStrategy idle = idle();
                    while (running)
                    {
                        idle.idle(server.doWork());
                    }
                    server.onClose();
                    client.releaseQueue(queue);
                }
                catch (final Throwable ex)
                {
                    failure.set(ex);
                }
            });
        }

        static PlainEcho start(final NicClient client) throws Exception
        {
            final PlainEcho echo = new PlainEcho(client);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!echo.ready)
            {
                if (echo.failure.get() != null || System.nanoTime() - deadline > 0)
                {
                    echo.stop();
                    throw new IllegalStateException("the plain echo server did not start", echo.failure.get());
                }
                Thread.sleep(5);
            }
            return echo;
        }

        void stop() throws InterruptedException
        {
            running = false;
            thread.join(10_000);
        }
    }
}
