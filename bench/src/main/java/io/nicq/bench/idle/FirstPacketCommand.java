package io.nicq.bench.idle;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import io.nicq.examples.kernel.KernelEchoCommand;
import io.nicq.examples.kernel.NetworkNamespace;
import io.nicq.runtime.ChildJvm;
import io.nicq.runtime.CommandLines;
import org.agrona.IoUtil;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nicq bench first-packet}: the round trip of the first datagram after an idle gap, when every loop of the
 * packet path has gone to sleep, beside the kernel's in the same run (goal (c) of issue 14: at most
 * {@value #GOAL_US} us after 1 s).
 * <p>
 * nicq's side is what a user gets with the defaults: {@code nicq sim} with a TAP wire (the TAP in this namespace),
 * {@code nicq card-driver} and {@code nicq example udp-echo}, each a process as {@code nicq bench idle} starts them.
 * The kernel's side is an echo server on the kernel's sockets (blocking, so it sleeps between datagrams as nicq's
 * loops do) in a network namespace of its own, reached over a veth pair. The client is this JVM, a blocking
 * {@link DatagramSocket} to each, the same code for both. After a warm-up of back-to-back round trips on each
 * path (the JIT compiles both), each repetition waits the gap, then sends one datagram to each path and times its
 * echo; which path goes first alternates, so neither always finds the CPUs woken by the other.
 * <p>
 * Needs root (the TAP and the namespace). Bounded: each reply waits at most {@code --timeout-ms} (a lost one is
 * counted, not retried), the gap at most 60 s and the repetitions at most 1,000; everything it made (processes,
 * namespace, TAP, its directory under /dev/shm) is removed when it ends, on Ctrl-C too. Its subnets are fixed
 * (10.236.0.0/24 on the TAP, 10.236.1.0/30 on the veth pair), so one run at a time on a machine.
 */
@Command(name = "first-packet", mixinStandardHelpOptions = true,
    description = {"Round trip of the first UDP datagram after an idle gap: nicq with its defaults (nicq sim over " +
        "TAP, card driver, udp-echo) beside the kernel's UDP over veth in the same run; percentiles of both and " +
        "their ratio. Needs root."})
public final class FirstPacketCommand implements Callable<Integer>
{
    /** Goal (c) of issue 14: the first round trip after a 1 s gap. */
    static final long GOAL_US = 50;
    static final long MAX_GAP_MS = 60_000;
    static final long MAX_COUNT = 1_000;
    static final long MAX_TIMEOUT_MS = 10_000;
    static final int PORT = 7;
    static final int PAYLOAD = 64;
    /** The warm-up stops here even if its round trips are not all done: the run stays bounded. */
    static final long WARMUP_BOUND_MS = 30_000;
    private static final String CARD_IP = "10.236.0.1";
    private static final String TAP_IP = "10.236.0.2";
    private static final String VETH_HOST_IP = "10.236.1.1";
    private static final String VETH_NAMESPACE_IP = "10.236.1.2";

    @Option(names = "--gap-ms", defaultValue = "1000", description = "Idle time before each measured datagram, " +
        "1.." + MAX_GAP_MS + " (default: ${DEFAULT-VALUE}).")
    long gapMs;

    @Option(names = "--count", defaultValue = "20", description = "Measured datagrams per path, each after a gap, " +
        "1.." + MAX_COUNT + " (default: ${DEFAULT-VALUE}).")
    long count;

    @Option(names = "--warmup", defaultValue = "2000", description = "Back-to-back round trips on each path before " +
        "the first gap, for the JIT (default: ${DEFAULT-VALUE}).")
    long warmup;

    @Option(names = "--timeout-ms", defaultValue = "1000", description = "Longest wait for one echo; a later one is " +
        "counted lost, 1.." + MAX_TIMEOUT_MS + " (default: ${DEFAULT-VALUE}).")
    long timeoutMs;

    @Mixin
    UserProcessOptions processOptions;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the report and logs go (default: " +
        "nicq-out/first-packet-<time>)")
    Path out;

    @Spec
    CommandSpec spec;

    /** One path's round trips in nanoseconds, and how many echoes did not come back in time. */
    record Samples(String name, long[] rttNs, int lost)
    {
    }

    public Integer call() throws Exception
    {
        CommandLines.requireRange(spec, "--gap-ms", gapMs, 1, MAX_GAP_MS, "a bounded run");
        CommandLines.requireRange(spec, "--count", count, 1, MAX_COUNT, "a bounded run");
        CommandLines.requireRange(spec, "--warmup", warmup, 0, 1_000_000, "a bounded run");
        CommandLines.requireRange(spec, "--timeout-ms", timeoutMs, 1, MAX_TIMEOUT_MS, "a bounded run");
        final String noRoot = NetworkNamespace.unavailableReason();
        if (noRoot != null)
        {
            throw new IllegalStateException("a TAP device and a network namespace are needed: " + noRoot);
        }
        if (!Files.exists(Path.of("/dev/net/tun")))
        {
            throw new IllegalStateException("a TAP device is needed and /dev/net/tun does not exist");
        }

        final Path outDir = (out != null ? out : Path.of("nicq-out", "first-packet-" +
            LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")))).toAbsolutePath();
        final Path logs = Files.createDirectories(outDir.resolve("logs"));
        final long pid = ProcessHandle.current().pid();
        final String tag = "fp" + Long.toString(pid % 1_000_000, 36);
        final Path root = Files.createDirectories(Path.of("/dev/shm", "nicq-bench-first-" + pid));
        final Cleanup cleanup = new Cleanup(new UserProcesses(root, logs), root);
        final Thread atExit = new Thread(cleanup::run, "nicq-bench-first-packet-stop");
        Runtime.getRuntime().addShutdownHook(atExit);
        try
        {
            System.err.printf(Locale.ROOT, "nicq bench first-packet: %d gaps of %d ms, at most %d s once started%n",
                count, gapMs, TimeUnit.MILLISECONDS.toSeconds(WARMUP_BOUND_MS + 20 * timeoutMs +
                count * (gapMs + 2 * timeoutMs)) + 1);
            final InetSocketAddress kernel = startKernel(cleanup, tag, logs);
            final InetSocketAddress nicq = startNicq(cleanup.processes, tag, logs);

            try (DatagramSocket nicqSocket = socket(); DatagramSocket kernelSocket = socket())
            {
                final Echo toNicq = new Echo(nicqSocket, nicq);
                final Echo toKernel = new Echo(kernelSocket, kernel);
                // The first datagrams wait for ARP on both paths; a path that answers none of them is broken.
                toNicq.requireAnswer("nicq (udp-echo over TAP at " + nicq + ")", cleanup.processes);
                toKernel.requireAnswer("the kernel (echo server over veth at " + kernel + ")", cleanup.processes);
                final long warmupEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WARMUP_BOUND_MS);
                long warmed = 0;
                while (warmed < warmup && System.nanoTime() - warmupEnd < 0)
                {
                    toNicq.roundTripNs();
                    toKernel.roundTripNs();
                    warmed++;
                }
                if (warmed < warmup)
                {
                    System.err.printf(Locale.ROOT, "nicq bench first-packet: warm-up stopped at its %d s bound " +
                        "after %d of %d round trips%n", TimeUnit.MILLISECONDS.toSeconds(WARMUP_BOUND_MS), warmed,
                        warmup);
                }
                final long[] nicqNs = new long[(int)count];
                final long[] kernelNs = new long[(int)count];
                int nicqGot = 0;
                int kernelGot = 0;
                for (int i = 0; i < count; i++)
                {
                    Thread.sleep(gapMs);
                    final boolean nicqFirst = (i & 1) == 0;
                    final long first = (nicqFirst ? toNicq : toKernel).roundTripNs();
                    final long second = (nicqFirst ? toKernel : toNicq).roundTripNs();
                    final long n = nicqFirst ? first : second;
                    final long k = nicqFirst ? second : first;
                    if (n >= 0)
                    {
                        nicqNs[nicqGot++] = n;
                    }
                    if (k >= 0)
                    {
                        kernelNs[kernelGot++] = k;
                    }
                }
                final List<Samples> paths = List.of(
                    new Samples("nicq, udp-echo over TAP (defaults)", Arrays.copyOf(nicqNs, nicqGot),
                        (int)count - nicqGot),
                    new Samples("kernel, echo server over veth", Arrays.copyOf(kernelNs, kernelGot),
                        (int)count - kernelGot));
                final String report = report(paths, gapMs, count);
                System.out.print(report);
                Files.writeString(outDir.resolve("first-packet.txt"), report, StandardCharsets.UTF_8);
                System.err.println("nicq bench first-packet: report and logs in " + outDir);
                return 0;
            }
        }
        finally
        {
            cleanup.run();
            try
            {
                Runtime.getRuntime().removeShutdownHook(atExit);
            }
            catch (final IllegalStateException ex)
            {
                // The JVM is exiting: the hook runs (and finds nothing left to clean).
            }
        }
    }

    /** The kernel's echo server in a namespace of its own behind a veth pair; returns its address. */
    private InetSocketAddress startKernel(final Cleanup cleanup, final String tag, final Path logs)
        throws IOException, InterruptedException
    {
        final NetworkNamespace ns = NetworkNamespace.create(tag, VETH_HOST_IP, VETH_NAMESPACE_IP);
        cleanup.namespace(ns);
        final Path log = logs.resolve("kernel-echo.log");
        // It exits by itself once idle well past the gap, so a run killed with SIGKILL leaves no server behind.
        final List<String> args = List.of("--bind", VETH_NAMESPACE_IP + ":" + PORT, "--busy-poll=false",
            "--idle-exit", Long.toString(TimeUnit.MILLISECONDS.toSeconds(gapMs + 2 * timeoutMs) + 30));
        final Process echo = new ProcessBuilder(ns.exec(ChildJvm.command(KernelEchoCommand.class, args)))
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        cleanup.kernelEcho(echo);
        ChildJvm.awaitOutput(echo, log, "listening", 60_000, "the kernel's echo server");
        return new InetSocketAddress(VETH_NAMESPACE_IP, PORT);
    }

    /**
     * nicq as a user starts it: the card's TAP gets the client's address in this namespace (so the kernel routes the
     * card's subnet through it), the card driver the card's, and udp-echo serves the port.
     */
    private InetSocketAddress startNicq(final UserProcesses processes, final String tag, final Path logs)
        throws IOException, InterruptedException
    {
        final String card = tag;
        final String tap = "nq" + tag + "t";
        processes.startCard(card, "tap:" + tap, processOptions);
        ip("addr", "add", TAP_IP + "/24", "dev", tap);
        ip("link", "set", tap, "up");
        processes.startCardDriver(card, CARD_IP + "/24", logs, processOptions);
        processes.startUdpEcho(card, PORT, processOptions);
        return new InetSocketAddress(CARD_IP, PORT);
    }

    private DatagramSocket socket() throws IOException
    {
        final DatagramSocket socket = new DatagramSocket();
        socket.setSoTimeout((int)timeoutMs);
        return socket;
    }

    /** One path's client: a numbered datagram out, its own echo back (a late echo of an earlier one is skipped). */
    private static final class Echo
    {
        private final DatagramSocket socket;
        private final DatagramPacket request;
        private final DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
        private final ByteBuffer requestBytes;
        private long sequence;

        Echo(final DatagramSocket socket, final InetSocketAddress to)
        {
            this.socket = socket;
            final byte[] bytes = new byte[PAYLOAD];
            this.request = new DatagramPacket(bytes, bytes.length, to);
            this.requestBytes = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }

        /** Round trip of one datagram in ns, or -1 when its echo did not come back within the socket's timeout. */
        long roundTripNs() throws IOException
        {
            final long seq = ++sequence;
            requestBytes.putLong(0, seq);
            final long start = System.nanoTime();
            socket.send(request);
            try
            {
                while (true)
                {
                    socket.receive(reply);
                    if (reply.getLength() >= Long.BYTES &&
                        ByteBuffer.wrap(reply.getData()).order(ByteOrder.LITTLE_ENDIAN).getLong(0) == seq)
                    {
                        return System.nanoTime() - start;
                    }
                }
            }
            catch (final SocketTimeoutException ex)
            {
                return -1;
            }
        }

        /** Up to 10 tries for a first echo (ARP, the first compilations); fails naming the path and its logs. */
        void requireAnswer(final String what, final UserProcesses processes) throws IOException
        {
            for (int i = 0; i < 10; i++)
            {
                if (roundTripNs() >= 0)
                {
                    return;
                }
            }
            throw new IOException("no echo from " + what + " in 10 tries of " + socket.getSoTimeout() +
                " ms each; see the logs");
        }
    }

    /** Nearest rank: the smallest sample at or above the fraction q of them (q in (0, 1]); sorted ascending. */
    static long percentile(final long[] sorted, final double q)
    {
        if (sorted.length == 0)
        {
            throw new IllegalArgumentException("no samples");
        }
        final int rank = (int)Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
    }

    static String report(final List<Samples> paths, final long gapMs, final long count)
    {
        final StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "first round trip after a %d ms gap, %d times, load average %s%n",
            gapMs, count, loadAverage()));
        text.append(String.format(Locale.ROOT, "%-38s %5s %5s %10s %10s %10s %10s %10s%n", "path", "n", "lost",
            "min us", "p50 us", "p90 us", "p99 us", "max us"));
        final double[] p50 = new double[paths.size()];
        final double[] p99 = new double[paths.size()];
        for (int i = 0; i < paths.size(); i++)
        {
            final Samples path = paths.get(i);
            final long[] sorted = path.rttNs().clone();
            Arrays.sort(sorted);
            if (sorted.length == 0)
            {
                text.append(String.format(Locale.ROOT, "%-38s %5d %5d  (no echo came back)%n", path.name(), 0,
                    path.lost()));
                p50[i] = Double.NaN;
                p99[i] = Double.NaN;
                continue;
            }
            p50[i] = percentile(sorted, 0.50) / 1000.0;
            p99[i] = percentile(sorted, 0.99) / 1000.0;
            text.append(String.format(Locale.ROOT, "%-38s %5d %5d %10.1f %10.1f %10.1f %10.1f %10.1f%n",
                path.name(), sorted.length, path.lost(), sorted[0] / 1000.0, p50[i],
                percentile(sorted, 0.90) / 1000.0, p99[i], sorted[sorted.length - 1] / 1000.0));
        }
        if (paths.size() == 2)
        {
            text.append(String.format(Locale.ROOT, "nicq / kernel: %.2fx at p50, %.2fx at p99%n", p50[0] / p50[1],
                p99[0] / p99[1]));
            text.append(String.format(Locale.ROOT, "goal: nicq's p50 <= %d us: %s%n", GOAL_US,
                Double.isNaN(p50[0]) ? "NOT MET (no echo)" : p50[0] <= GOAL_US ? "met" : "NOT MET"));
        }
        return text.toString();
    }

    private static String loadAverage()
    {
        try
        {
            final String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        }
        catch (final IOException | ArrayIndexOutOfBoundsException ex)
        {
            return "unknown (no /proc/loadavg)";
        }
    }

    private static void ip(final String... args) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!process.waitFor(10, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + ": no exit within 10 s");
        }
        if (process.exitValue() != 0)
        {
            throw new IOException(String.join(" ", command) + " failed (" + process.exitValue() + "): " +
                new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
        }
    }

    /**
     * Everything the run made, removed once (at its end or by the shutdown hook on Ctrl-C, whichever comes first):
     * nicq's processes (the TAP goes with the simulated card), the kernel's echo server, the namespace with its veth
     * pair, the directory under /dev/shm.
     */
    private static final class Cleanup
    {
        final UserProcesses processes;
        private final Path root;
        private NetworkNamespace namespace;
        private Process kernelEcho;
        private boolean done;

        Cleanup(final UserProcesses processes, final Path root)
        {
            this.processes = processes;
            this.root = root;
        }

        synchronized void namespace(final NetworkNamespace namespace)
        {
            this.namespace = namespace;
        }

        synchronized void kernelEcho(final Process kernelEcho)
        {
            this.kernelEcho = kernelEcho;
        }

        synchronized void run()
        {
            if (done)
            {
                return;
            }
            done = true;
            processes.stopAll();
            if (kernelEcho != null)
            {
                kernelEcho.destroyForcibly();
                try
                {
                    kernelEcho.waitFor(10, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
            if (namespace != null)
            {
                namespace.close();
            }
            IoUtil.delete(root.toFile(), true);
        }
    }
}
