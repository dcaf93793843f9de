package io.nicq.bench.tcp;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import io.nicq.card.CardDriver;
import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.QueueService;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.tcp.TcpCloseReason;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.examples.kernel.KernelTcpCommand;
import io.nicq.examples.kernel.NetworkNamespace;
import io.nicq.examples.tcp.SeededStream;
import io.nicq.examples.tcp.TcpEchoServer;
import io.nicq.examples.tcp.TcpSender;
import io.nicq.packet.Ipv4Address;
import io.nicq.runtime.ChildJvm;
import io.nicq.sim.SimulatedCard;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code nicq bench tcp}: bulk throughput of one TCP connection, in three arrangements measured in the same run, each
 * over several runs:
 * <pre>
 *   veth    the kernel's TCP to the kernel's TCP over a veth pair into a network namespace (the baseline)
 *   cable   nicq to nicq over the simulated cable: host a sends (TcpSender.bulk: one 64 KiB buffer again and again,
 *           as the kernel baseline writes one buffer), host b discards (TcpEchoServer.discard)
 *   tap     nicq to the kernel: the simulated card's wire is a TAP device in a namespace, the kernel's socket sinks
 * </pre>
 * Each nicq host is one thread (application, inline queue driver and the simulated card's device loop: two spinning
 * loops on two CPUs for the cable, as the demo arranges them). The kernel's sink is a child JVM in the namespace.
 * For each run it prints Gb/s of payload and CPU seconds per GB (busy time of all CPUs from /proc/stat over the run,
 * so the kernel's softirq work and every thread count), and at the end the range of each arrangement and its ratio
 * to the veth baseline. veth and tap need root (they are skipped, with the reason, otherwise).
 */
@Command(name = "tcp", mixinStandardHelpOptions = true,
    description = {"Bulk TCP throughput of one connection: nicq to nicq over the simulated cable and nicq to the " +
        "kernel over TAP, beside the kernel's TCP over a veth pair, in one run (Gb/s, CPU seconds per GB)."})
public final class TcpThroughputCommand implements Callable<Integer>
{
    private static final String CABLE_A = "10.0.0.1";
    private static final String CABLE_B = "10.0.0.2";
    private static final int PORT = 9000;
    private static final List<String> CHILD_JVM_ARGS = List.of("-Xmx256m");
    /** The unrecorded first transfer of each arrangement: JIT compilation, ARP, and the first connection's set-up. */
    private static final long WARMUP_BYTES = 32L << 20;

    @Option(names = "--bytes", defaultValue = "268435456", paramLabel = "N",
        description = "Bytes per run (default: ${DEFAULT-VALUE}, 256 MiB)")
    long bytes;

    @Option(names = "--runs", defaultValue = "3", paramLabel = "N", description = "Runs per arrangement (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--only", split = ",", paramLabel = "ARRANGEMENT",
        description = "Measure only these: veth, cable, tap (default: all that can run here)")
    List<String> only;

    @Option(names = "--timeout", defaultValue = "300", paramLabel = "SECONDS",
        description = "Give up a run after this long (default: ${DEFAULT-VALUE})")
    long timeoutSeconds;

    private final Map<String, List<Measurement>> results = new LinkedHashMap<>();

    /** One run: payload bytes, wall time, busy CPU time of the machine. */
    record Measurement(long bytes, long nanos, double cpuSeconds)
    {
        double gbps()
        {
            return bytes * 8.0 / nanos;
        }

        double cpuSecondsPerGB()
        {
            return cpuSeconds / (bytes / 1e9);
        }
    }

    public Integer call() throws Exception
    {
        if (runs < 1 || bytes < 1)
        {
            throw new IllegalArgumentException("--runs and --bytes must be at least 1");
        }
        final Path dir = Files.createTempDirectory(Path.of("/dev/shm"), "nicq-bench-tcp-");
        try
        {
            final String noNamespaces = NetworkNamespace.unavailableReason();
            if (wanted("veth"))
            {
                if (noNamespaces == null)
                {
                    veth(dir);
                }
                else
                {
                    System.out.println("veth: skipped: " + noNamespaces);
                }
            }
            if (wanted("cable"))
            {
                cable(dir);
            }
            if (wanted("tap"))
            {
                if (noNamespaces == null && Files.exists(Path.of("/dev/net/tun")))
                {
                    tap(dir);
                }
                else
                {
                    System.out.println("tap: skipped: " + (noNamespaces != null ? noNamespaces : "no /dev/net/tun"));
                }
            }
            summary();
        }
        finally
        {
            IoUtil.delete(dir.toFile(), true);
        }
        return 0;
    }

    private boolean wanted(final String arrangement)
    {
        return only == null || only.contains(arrangement);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The kernel over veth
    // ---------------------------------------------------------------------------------------------------------------

    private void veth(final Path dir) throws Exception
    {
        final String tag = "bt" + UUID.randomUUID().toString().substring(0, 6);
        try (NetworkNamespace ns = NetworkNamespace.create(tag, "10.233.7.1", "10.233.7.2"))
        {
            final Sink sink = Sink.start(ns.exec(ChildJvm.command(CHILD_JVM_ARGS, KernelTcpCommand.class,
                List.of("--listen", ns.namespaceAddress() + ":" + PORT, "--count", Integer.toString(runs + 1)))),
                dir.resolve("veth-sink.log"));
            try
            {
                final byte[] chunk = new byte[256 * 1024];
                SeededStream.fill(chunk, 0, chunk.length, 1, 0);
                kernelSend(ns.namespaceAddress(), chunk, Math.min(bytes, WARMUP_BYTES));
                for (int run = 1; run <= runs; run++)
                {
                    record("veth", run, kernelSend(ns.namespaceAddress(), chunk, bytes));
                }
            }
            finally
            {
                sink.stop();
            }
        }
    }

    private static Measurement kernelSend(final String address, final byte[] chunk, final long bytes)
        throws IOException
    {
        final long cpu0 = busyJiffies();
        final long start = System.nanoTime();
        try (Socket socket = new Socket())
        {
            socket.connect(new InetSocketAddress(address, PORT), 10_000);
            final OutputStream out = socket.getOutputStream();
            long sent = 0;
            while (sent < bytes)
            {
                final int n = (int)Math.min(chunk.length, bytes - sent);
                out.write(chunk, 0, n);
                sent += n;
            }
            socket.shutdownOutput();
            // The sink closes once it has read everything: the end of the stream is its receipt.
            if (socket.getInputStream().read() != -1)
            {
                throw new IOException("the kernel sink sent data");
            }
        }
        return new Measurement(bytes, System.nanoTime() - start, cpuSeconds(cpu0));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // nicq to nicq over the simulated cable
    // ---------------------------------------------------------------------------------------------------------------

    private void cable(final Path dir) throws Exception
    {
        final String id = UUID.randomUUID().toString().substring(0, 6);
        final String previousSimDir = BenchHosts.useSimDir(dir);
        SimulatedCard cardA = null;
        SimulatedCard cardB = null;
        CardDriver driverA = null;
        CardDriver driverB = null;
        NicClient clientA = null;
        NicClient clientB = null;
        DiscardHost hostB = null;
        DeviceThread devices = null;
        try
        {
            cardA = card(dir, "a-" + id, "cable:" + id + ":a");
            cardB = card(dir, "b-" + id, "cable:" + id + ":b");
            devices = DeviceThread.start(cardA, cardB);
            driverA = BenchHosts.driver(dir, cardA, "a-" + id, CABLE_A);
            driverB = BenchHosts.driver(dir, cardB, "b-" + id, CABLE_B);
            clientA = BenchHosts.client(dir, "a-" + id, "bench-tcp");
            clientB = BenchHosts.client(dir, "b-" + id, "bench-tcp");
            hostB = DiscardHost.start(clientB, cardB);
            final NicQueue queue = clientA.requestQueue(QueueService.INLINE);
            final Ipv4Interface ip = new Ipv4Interface(queue, clientA);
            final TcpLayer tcp = new TcpLayer(ip);
            final DiscardHost b = hostB;
            send(tcp, ip, null, Ipv4Address.parse(CABLE_B), Math.min(bytes, WARMUP_BYTES), b::describe);
            // From here on each host is one thread: its application, its inline queue driver and its card.
            devices.stop();
            devices = null;
            hostB.driveCard();
            // Warm again in the measured arrangement: its loops (card and stack on one thread) are other code paths,
            // and their first compilation would otherwise land in run 1 as lost frames.
            send(tcp, ip, cardA, Ipv4Address.parse(CABLE_B), Math.min(bytes, WARMUP_BYTES), b::describe);
            for (int run = 1; run <= runs; run++)
            {
                record("cable", run, send(tcp, ip, cardA, Ipv4Address.parse(CABLE_B), bytes, b::describe));
            }
        }
        finally
        {
            if (devices != null)
            {
                devices.stop();
            }
            if (hostB != null)
            {
                hostB.stop();
            }
            CloseHelper.quietCloseAll(clientA, clientB, driverA, driverB, cardA, cardB);
            BenchHosts.restoreSimDir(previousSimDir);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // nicq to the kernel over TAP
    // ---------------------------------------------------------------------------------------------------------------

    private void tap(final Path dir) throws Exception
    {
        final String id = UUID.randomUUID().toString().substring(0, 6);
        final String tap = "nqb" + id;
        final String namespace = "nicq-bench-" + id;
        final String cardIp = "10.234.9.1";
        final String kernelIp = "10.234.9.2";
        final String previousSimDir = BenchHosts.useSimDir(dir);
        SimulatedCard card = null;
        CardDriver driver = null;
        NicClient client = null;
        Sink sink = null;
        DeviceThread devices = null;
        command("ip", "netns", "add", namespace);
        try
        {
            card = card(dir, "tap-" + id, "tap:" + tap);
            devices = DeviceThread.start(card);
            command("ip", "link", "set", tap, "netns", namespace);
            command("ip", "-n", namespace, "link", "set", "lo", "up");
            command("ip", "-n", namespace, "addr", "add", kernelIp + "/24", "dev", tap);
            command("ip", "-n", namespace, "link", "set", tap, "up");
            driver = BenchHosts.driver(dir, card, "tap-" + id, cardIp);
            client = BenchHosts.client(dir, "tap-" + id, "bench-tcp");
            final List<String> sinkCommand = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
            sinkCommand.addAll(ChildJvm.command(CHILD_JVM_ARGS, KernelTcpCommand.class,
                List.of("--listen", kernelIp + ":" + PORT, "--count", Integer.toString(runs + 2))));
            sink = Sink.start(sinkCommand, dir.resolve("tap-sink.log"));
            final NicQueue queue = client.requestQueue(QueueService.INLINE);
            final Ipv4Interface ip = new Ipv4Interface(queue, client);
            final TcpLayer tcp = new TcpLayer(ip);
            final Sink kernel = sink;
            send(tcp, ip, null, Ipv4Address.parse(kernelIp), Math.min(bytes, WARMUP_BYTES), kernel::tail);
            devices.stop();
            devices = null;
            send(tcp, ip, card, Ipv4Address.parse(kernelIp), Math.min(bytes, WARMUP_BYTES), kernel::tail);
            for (int run = 1; run <= runs; run++)
            {
                record("tap", run, send(tcp, ip, card, Ipv4Address.parse(kernelIp), bytes, kernel::tail));
            }
        }
        finally
        {
            if (devices != null)
            {
                devices.stop();
            }
            if (sink != null)
            {
                sink.stop();
            }
            CloseHelper.quietCloseAll(client, driver, card);
            command("ip", "netns", "del", namespace);
            BenchHosts.restoreSimDir(previousSimDir);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    /**
     * One connection's transfer from this thread, which also runs the card's device loop unless {@code card} is null
     * (a device thread runs it).
     */
    private Measurement send(final TcpLayer tcp, final Ipv4Interface ip, final SimulatedCard card, final int to,
        final long bytes, final Supplier<String> peer) throws IOException
    {
        final long cpu0 = busyJiffies();
        final long sent0 = tcp.segmentsSent();
        final long received0 = tcp.segmentsReceived();
        final long retransmitted0 = tcp.retransmissions();
        final long timeouts0 = tcp.timeouts();
        final long spurious0 = tcp.spuriousTimeouts();
        final long start = System.nanoTime();
        final TcpSender sender = TcpSender.bulk(tcp, to, PORT, bytes);
        final long deadline = start + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        final IdleStrategy idle = new BusySpinIdleStrategy();
        while (!sender.isDone())
        {
            idle.idle((card != null ? card.doWork() : 0) + ip.poll());
            if (System.nanoTime() - deadline > 0)
            {
                sender.connection().abort();
                throw new IOException("the transfer did not end within " + timeoutSeconds + " s: " +
                    sender.connection() + "; " + tcp + "; peer: " + peer.get());
            }
        }
        if (sender.closeReason() != TcpCloseReason.CLOSED || sender.sent() != bytes)
        {
            throw new IOException("the transfer ended " + sender.closeReason() + " after " + sender.sent() + " of " +
                bytes + " bytes: " + sender.connection() + "; peer: " + peer.get());
        }
        final Measurement measurement = new Measurement(bytes, System.nanoTime() - start, cpuSeconds(cpu0));
        System.out.printf(Locale.ROOT, "        segments sent %,d (retransmitted %,d, after %,d timeouts, %,d of them " +
            "spurious), received %,d%n", tcp.segmentsSent() - sent0, tcp.retransmissions() - retransmitted0,
            tcp.timeouts() - timeouts0, tcp.spuriousTimeouts() - spurious0, tcp.segmentsReceived() - received0);
        return measurement;
    }

    private void record(final String arrangement, final int run, final Measurement m)
    {
        results.computeIfAbsent(arrangement, k -> new ArrayList<>()).add(m);
        System.out.printf(Locale.ROOT, "%-6s run %d: %,d bytes in %.3f s: %.3f Gb/s, %.2f CPU s/GB%n", arrangement,
            run, m.bytes(), m.nanos() / 1e9, m.gbps(), m.cpuSecondsPerGB());
    }

    private void summary()
    {
        System.out.println();
        System.out.println("arrangement  Gb/s (min..max over " + runs + " runs)  CPU s/GB (min..max)  Gb/s / veth");
        final List<Measurement> veth = results.get("veth");
        final double vethMedian = veth != null ? median(veth) : Double.NaN;
        for (final Map.Entry<String, List<Measurement>> entry : results.entrySet())
        {
            final List<Measurement> ms = entry.getValue();
            final double[] gbps = ms.stream().mapToDouble(Measurement::gbps).sorted().toArray();
            final double[] cpu = ms.stream().mapToDouble(Measurement::cpuSecondsPerGB).sorted().toArray();
            System.out.printf(Locale.ROOT, "%-11s  %6.3f..%-6.3f (median %.3f)       %5.2f..%-5.2f        %s%n",
                entry.getKey(), gbps[0], gbps[gbps.length - 1], median(ms), cpu[0], cpu[cpu.length - 1],
                Double.isNaN(vethMedian) ? "-" : String.format(Locale.ROOT, "%.2fx (median/median)",
                median(ms) / vethMedian));
        }
    }

    private static double median(final List<Measurement> ms)
    {
        final double[] values = ms.stream().mapToDouble(Measurement::gbps).sorted().toArray();
        return values.length % 2 == 1 ? values[values.length / 2] :
            (values[values.length / 2 - 1] + values[values.length / 2]) / 2;
    }

    /** Busy jiffies of all CPUs (everything but idle and iowait), from the first line of /proc/stat. */
    private static long busyJiffies() throws IOException
    {
        final String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long busy = 0;
        for (int i = 1; i < fields.length && i <= 8; i++)
        {
            if (i != 4 && i != 5)
            {
                busy += Long.parseLong(fields[i]);
            }
        }
        return busy;
    }

    /** CPU seconds since {@code jiffies0}: USER_HZ is 100 on every Linux architecture nicq runs on. */
    private static double cpuSeconds(final long jiffies0) throws IOException
    {
        return (busyJiffies() - jiffies0) / 100.0;
    }

    private static SimulatedCard card(final Path dir, final String name, final String wire)
    {
        return SimulatedCard.launch(new SimulatedCard.Context().cardName(name).baseDir(dir.resolve("sim"))
            .wireSpec(wire).manualDrive(true));
    }

    private static void command(final String... command) throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0)
        {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " failed: " +
                new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** The kernel's sink: a child JVM that prints "listening on" when it is ready. */
    private record Sink(Process process, Path log)
    {
        static Sink start(final List<String> command, final Path log) throws Exception
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
            final Sink sink = new Sink(process, log);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!sink.tail().contains("listening on"))
            {
                if (!process.isAlive() || System.nanoTime() - deadline > 0)
                {
                    sink.stop();
                    throw new IOException("the kernel sink did not start: " + sink.tail());
                }
                Thread.sleep(20);
            }
            return sink;
        }

        String tail()
        {
            try
            {
                return Files.exists(log) ? Files.readString(log) : "";
            }
            catch (final IOException ex)
            {
                return "(" + ex + ")";
            }
        }

        void stop() throws InterruptedException
        {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** Host b of the cable: one thread runs card b's device loop, its inline queue and a discard server. */
    private static final class DiscardHost
    {
        private final Thread thread;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile boolean running = true;
        private volatile boolean ready;
        private volatile boolean drivesCard;
        private volatile String state = "starting";

        private DiscardHost(final NicClient client, final SimulatedCard card)
        {
            thread = Thread.ofPlatform().name("bench-tcp-host-b").start(() ->
            {
                try
                {
                    final NicQueue queue = client.requestQueue(QueueService.INLINE);
                    final Ipv4Interface ip = new Ipv4Interface(queue, client);
                    final TcpEchoServer server = TcpEchoServer.discard(new TcpLayer(ip), PORT);
                    ready = true;
                    final IdleStrategy idle = new BusySpinIdleStrategy();
                    int polls = 0;
                    while (running)
                    {
                        idle.idle((drivesCard ? card.doWork() : 0) + server.doWork());
                        if ((++polls & 0xFFFF) == 0)
                        {
                            state = server.toString();
                        }
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

        static DiscardHost start(final NicClient client, final SimulatedCard card) throws Exception
        {
            final DiscardHost host = new DiscardHost(client, card);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!host.ready)
            {
                if (host.failure.get() != null || System.nanoTime() - deadline > 0)
                {
                    host.stop();
                    throw new IOException("host b did not start", host.failure.get());
                }
                Thread.sleep(5);
            }
            return host;
        }

        /** From now on this host's thread runs its card's device loop too. */
        void driveCard()
        {
            drivesCard = true;
        }

        String describe()
        {
            return "host b: " + state + (failure.get() != null ? ", failed: " + failure.get() : "");
        }

        void stop() throws InterruptedException
        {
            running = false;
            thread.join(10_000);
        }
    }

    /** Cards' device loops on a thread of their own, while set-up needs them and no host thread runs them yet. */
    private static final class DeviceThread
    {
        private final Thread thread;
        private volatile boolean running = true;

        private DeviceThread(final SimulatedCard... cards)
        {
            thread = Thread.ofPlatform().name("bench-tcp-devices").start(() ->
            {
                final IdleStrategy idle = new BackoffIdleStrategy();
                while (running)
                {
                    int work = 0;
                    for (final SimulatedCard card : cards)
                    {
                        work += card.doWork();
                    }
                    idle.idle(work);
                }
            });
        }

        static DeviceThread start(final SimulatedCard... cards)
        {
            return new DeviceThread(cards);
        }

        void stop() throws InterruptedException
        {
            running = false;
            thread.join(10_000);
        }
    }

}
