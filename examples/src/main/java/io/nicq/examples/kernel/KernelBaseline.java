package io.nicq.examples.kernel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.nicq.examples.report.StallWatch;
import io.nicq.examples.rpc.WarmUp;
import io.nicq.runtime.ChildJvm;
import org.HdrHistogram.Histogram;

/**
 * The Linux kernel's UDP round trip, measured beside nicq's in the same run: an echo server JVM and this JVM's client
 * on {@link java.nio.channels.DatagramChannel}s. As root the two are different network namespaces joined by a veth
 * pair (each side has its own network stack, as two hosts would); elsewhere they meet on loopback, and the label says
 * so.
 */
public final class KernelBaseline
{
    /**
     * The outcome: histogram, how it was measured, round trips lost, how the warm-up went, and the stalls and hiccups
     * of the measured window (null when not watched).
     */
    public record Result(Histogram roundTrip, String label, String how, long lost, WarmUp warmUp,
        StallWatch conditions)
    {
    }

    private static final int PORT = 17007;
    private static final long START_TIMEOUT_MS = 20_000;

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
        return measure(WarmUp.fixed(warmup), count, size, busyPoll, logDir, false);
    }

    /**
     * Measures {@code count} kernel round trips of {@code size}-byte payloads after warming up as {@code warmUp}
     * says (with {@link WarmUp#untilCompiled}, until this JVM and the echo server's have stopped compiling).
     *
     * @param watchStalls whether to account for the stalls and hiccups of the measured window.
     * @param logDir      where the echo server's output goes
     */
    public static Result measure(final WarmUp warmUp, final int count, final int size, final boolean busyPoll,
        final Path logDir, final boolean watchStalls) throws IOException, InterruptedException
    {
        final String reason = NetworkNamespace.unavailableReason();
        final String tag = Long.toString(ProcessHandle.current().pid() % 100_000_000L, 36);
        NetworkNamespace ns = null;
        Process server = null;
        try
        {
            final String serverIp;
            final List<String> command = new ArrayList<>();
            final String how;
            if (reason == null)
            {
                final int net = (int)(ProcessHandle.current().pid() % 60) * 4;
                ns = NetworkNamespace.create(tag, "10.213.0." + (net + 1), "10.213.0." + (net + 2));
                serverIp = ns.namespaceAddress();
                command.addAll(ns.exec(ChildJvm.command(KernelEchoCommand.class, echoArgs(serverIp, busyPoll))));
                how = "veth pair between two network namespaces";
            }
            else
            {
                serverIp = "127.0.0.1";
                command.addAll(ChildJvm.command(KernelEchoCommand.class, echoArgs(serverIp, busyPoll)));
                how = "loopback (" + reason + ")";
            }

            Files.createDirectories(logDir);
            final Path log = logDir.resolve("kernel-echo.log");
            server = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
            ChildJvm.awaitOutput(server, log, "listening on", START_TIMEOUT_MS, "the kernel echo server");

            final KernelUdpClient client = new KernelUdpClient(new InetSocketAddress(serverIp, PORT), busyPoll, 1,
                TimeUnit.SECONDS);
            final StallWatch conditions = watchStalls ? StallWatch.ofThisProcessTree("kernel", "this JVM") : null;
            try
            {
                final Histogram histogram = client.run(warmUp, count, size, conditions);
                final String label = "kernel UDP, " + (busyPoll ? "busy-polling" : "blocking") + " sockets, " + how;
                return new Result(histogram, label, how, client.lost(), warmUp, conditions);
            }
            finally
            {
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
        }
    }

    private static List<String> echoArgs(final String ip, final boolean busyPoll)
    {
        return List.of("--bind", ip + ":" + PORT, "--busy-poll=" + busyPoll, "--idle-exit", "30");
    }
}
