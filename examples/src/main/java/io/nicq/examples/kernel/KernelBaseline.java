package io.nicq.examples.kernel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import io.nicq.examples.report.StallWatch;
import io.nicq.examples.rpc.WarmUp;
import io.nicq.runtime.ChildJvm;
import io.nicq.runtime.CpuAffinity;
import io.nicq.runtime.RunCommand;
import org.HdrHistogram.Histogram;

/**
 * The Linux kernel's UDP or TCP round trip, measured beside nicq's in the same run: an echo server JVM
 * ({@link KernelEchoCommand}) and this JVM's client ({@link KernelUdpClient} on a
 * {@link java.nio.channels.DatagramChannel}, {@link KernelTcpClient} on one TCP_NODELAY
 * {@link java.nio.channels.SocketChannel}). As root the two are different network namespaces joined by a veth pair
 * (each side has its own network stack, as two hosts would); elsewhere they meet on loopback, and the label says so.
 */
public final class KernelBaseline
{
    /** Which of the kernel's round trips. */
    public enum Protocol
    {
        UDP, TCP;

        /** "udp" or "tcp", as on command lines and in file names. */
        public String lowerCase()
        {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The outcome: histogram, how it was measured, round trips lost (UDP: no answer in time; TCP: an answer that was
     * not the request's), how the warm-up went, and the stalls and hiccups of the measured window (null when not
     * watched).
     */
    public record Result(Protocol protocol, Histogram roundTrip, String label, String how, long lost, WarmUp warmUp,
        StallWatch conditions)
    {
        /** What the echo server was, for the report's note. */
        public String server()
        {
            return protocol == Protocol.TCP ? "SocketChannel echo (TCP_NODELAY both ends)" : "DatagramChannel echo";
        }
    }

    private static final int PORT = 17007;
    private static final long START_TIMEOUT_MS = 20_000;
    /** The echo server goes when this JVM goes ('ip netns exec' execs it: this JVM is its parent). */
    private static final List<String> SERVER_JVM_ARGS = List.of("-D" + RunCommand.EXIT_WITH_PARENT_PROPERTY + "=true");

    private KernelBaseline()
    {
    }

    /**
     * Measures {@code count} kernel round trips of {@code size}-byte payloads after {@code warmup}.
     *
     * @param logDir where the echo server's output goes
     */
    public static Result measure(final int warmup, final int count, final int size, final boolean busyPoll,
        final Path logDir) throws IOException, InterruptedException
    {
        return measure(Protocol.UDP, WarmUp.fixed(warmup), count, size, busyPoll, logDir, false);
    }

    /** The UDP round trip: {@link #measure(Protocol, WarmUp, int, int, boolean, Path, boolean)} with UDP. */
    public static Result measure(final WarmUp warmUp, final int count, final int size, final boolean busyPoll,
        final Path logDir, final boolean watchStalls) throws IOException, InterruptedException
    {
        return measure(Protocol.UDP, warmUp, count, size, busyPoll, logDir, watchStalls);
    }

    /**
     * Measures {@code count} kernel round trips of {@code size}-byte payloads (TCP: messages each way on one
     * connection) after warming up as {@code warmUp} says (with {@link WarmUp#untilCompiled}, until this JVM and the
     * echo server's have stopped compiling).
     *
     * @param watchStalls whether to account for the stalls and hiccups of the measured window.
     * @param logDir      where the echo server's output goes
     */
    public static Result measure(final Protocol protocol, final WarmUp warmUp, final int count, final int size,
        final boolean busyPoll, final Path logDir, final boolean watchStalls) throws IOException, InterruptedException
    {
        return measure(protocol, warmUp, count, size, busyPoll, logDir, watchStalls, -1, -1);
    }

    /**
     * As {@link #measure(Protocol, WarmUp, int, int, boolean, Path, boolean)}, with the client (the calling thread,
     * for the measurement's duration) and the echo server (with taskset) each pinned to a CPU, as nicq's client and
     * server loops are, so the two are measured alike; -1 leaves one unpinned.
     */
    public static Result measure(final Protocol protocol, final WarmUp warmUp, final int count, final int size,
        final boolean busyPoll, final Path logDir, final boolean watchStalls, final int clientCpu,
        final int serverCpu) throws IOException, InterruptedException
    {
        final String reason = NetworkNamespace.unavailableReason();
        final String tag = Long.toString(ProcessHandle.current().pid() % 100_000_000L, 36);
        NetworkNamespace ns = null;
        Process server = null;
        // Ctrl-C while measuring: the namespace (and its veth pair) must not outlive this JVM.
        final List<AutoCloseable> started = new ArrayList<>();
        final Thread hook = new Thread(() -> closeAll(started), "nicq-kernel-baseline-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try
        {
            final String serverIp;
            final List<String> command = new ArrayList<>();
            final String how;
            if (reason == null)
            {
                final int net = (int)(ProcessHandle.current().pid() % 60) * 4;
                ns = NetworkNamespace.create(tag, "10.213.0." + (net + 1), "10.213.0." + (net + 2));
                synchronized (started)
                {
                    started.add(ns);
                }
                serverIp = ns.namespaceAddress();
                command.addAll(ns.exec(pinned(serverCpu, ChildJvm.command(SERVER_JVM_ARGS, KernelEchoCommand.class,
                    echoArgs(protocol, serverIp, busyPoll)))));
                how = "veth pair between two network namespaces";
            }
            else
            {
                serverIp = "127.0.0.1";
                command.addAll(pinned(serverCpu, ChildJvm.command(SERVER_JVM_ARGS, KernelEchoCommand.class,
                    echoArgs(protocol, serverIp, busyPoll))));
                how = "loopback (" + reason + ")";
            }

            Files.createDirectories(logDir);
            final Path log = logDir.resolve(protocol == Protocol.TCP ? "kernel-tcp-echo.log" : "kernel-echo.log");
            server = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
            final Process echo = server;
            synchronized (started)
            {
                started.add(0, echo::destroyForcibly);
            }
            ChildJvm.awaitOutput(server, log, "listening on", START_TIMEOUT_MS, "the kernel echo server");

            final InetSocketAddress address = new InetSocketAddress(serverIp, PORT);
            final StallWatch conditions = watchStalls ?
                StallWatch.ofThisProcessTree("kernel " + protocol.lowerCase(), "this JVM") : null;
            final int[] callerCpus = clientCpu >= 0 ? CpuAffinity.currentThreadCpus() : null;
            try
            {
                if (clientCpu >= 0)
                {
                    CpuAffinity.pinCurrentThread(clientCpu);
                }
                final Histogram histogram;
                final long lost;
                if (protocol == Protocol.TCP)
                {
                    final KernelTcpClient client = new KernelTcpClient(address, busyPoll, 1, TimeUnit.SECONDS);
                    histogram = client.run(warmUp, count, size, conditions);
                    lost = client.mismatched();
                }
                else
                {
                    final KernelUdpClient client = new KernelUdpClient(address, busyPoll, 1, TimeUnit.SECONDS);
                    histogram = client.run(warmUp, count, size, conditions);
                    lost = client.lost();
                }
                final String label = "kernel " + protocol.name() + ", " + (busyPoll ? "busy-polling" : "blocking") +
                    " sockets, " + how +
                    (clientCpu >= 0 || serverCpu >= 0 ? ", pinned: client CPU " + clientCpu + ", echo server CPU " +
                    serverCpu : "");
                return new Result(protocol, histogram, label, how, lost, warmUp, conditions);
            }
            finally
            {
                if (callerCpus != null)
                {
                    CpuAffinity.pinCurrentThread(callerCpus);
                }
                if (conditions != null)
                {
                    conditions.close();
                }
            }
        }
        finally
        {
            if (server != null)
            {
                server.destroyForcibly();
                server.waitFor(5, TimeUnit.SECONDS);
            }
            if (ns != null)
            {
                ns.close();
            }
            try
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (final IllegalStateException ignore)
            {
                // Already shutting down: the hook closes what was started.
            }
        }
    }

    private static void closeAll(final List<AutoCloseable> started)
    {
        synchronized (started)
        {
            for (final AutoCloseable closeable : started)
            {
                try
                {
                    closeable.close();
                }
                catch (final Exception ignore)
                {
                    // Best effort at exit: the next one still gets closed.
                }
            }
        }
    }

    /** {@code command} under {@code taskset -c cpu}, or as it is for -1. */
    private static List<String> pinned(final int cpu, final List<String> command)
    {
        if (cpu < 0)
        {
            return command;
        }
        final List<String> pinned = new ArrayList<>(List.of("taskset", "-c", Integer.toString(cpu)));
        pinned.addAll(command);
        return pinned;
    }

    private static List<String> echoArgs(final Protocol protocol, final String ip, final boolean busyPoll)
    {
        final List<String> args = new ArrayList<>(List.of("--bind", ip + ":" + PORT, "--busy-poll=" + busyPoll,
            "--idle-exit", "30"));
        if (protocol == Protocol.TCP)
        {
            args.add("--tcp");
        }
        return args;
    }
}
