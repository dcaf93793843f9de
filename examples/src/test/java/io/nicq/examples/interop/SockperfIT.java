package io.nicq.examples.interop;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.nicq.client.NicQueue;
import io.nicq.client.QueueService;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.udp.UdpLayer;
import io.nicq.client.udp.UdpSocket;
import io.nicq.examples.kernel.NetworkNamespace;
import io.nicq.examples.sockperf.SockperfUdpServer;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.nicq.examples.interop.TapLab.read;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real {@code sockperf} client (the field's standard latency tool) in a network namespace against nicq's
 * {@link SockperfUdpServer} over a TAP wire, and, in the same run, against the kernel's {@code sockperf server}
 * across a veth pair: sockperf must count every message answered, and the two half round trips it reports are printed
 * side by side (a figure, not an assertion: timing belongs to benchmarks).
 * <p>
 * Needs root, iproute2 and the {@code sockperf} package; skipped otherwise.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SockperfIT
{
    private static final int PORT = 11111;
    private static final int SECONDS = 2;
    private static final long RUN_TIMEOUT_MS = 20_000;
    private static final Pattern TOTALS =
        Pattern.compile("\\[Total Run\\] RunTime=[0-9.]+ sec; Warm up time=\\d+ msec; SentMessages=(\\d+); " +
            "ReceivedMessages=(\\d+)");
    private static final Pattern LATENCY = Pattern.compile("Summary: Latency is ([0-9.]+) usec");
    private static final Pattern MEDIAN = Pattern.compile("percentile 50\\.000 = +([0-9.]+)");
    private static final Pattern TAIL = Pattern.compile("percentile 99\\.900 = +([0-9.]+)");

    @TempDir
    Path dir;

    private TapLab lab;

    @BeforeEach
    void setUp() throws Exception
    {
        assumeTrue(sockperf() != null, "the sockperf client is not installed (apt-get install sockperf)");
        lab = TapLab.open(dir);
    }

    @AfterEach
    void tearDown() throws Exception
    {
        if (lab != null)
        {
            lab.close();
        }
    }

    private static String sockperf()
    {
        for (final String candidate : List.of("/usr/bin/sockperf", "/usr/local/bin/sockperf"))
        {
            if (Files.isExecutable(Path.of(candidate)))
            {
                return candidate;
            }
        }
        return null;
    }

    @Test
    void pingPongIsAnsweredBesideTheKernelsSockperfServer() throws Exception
    {
        // The kernel's sockperf server across a veth pair first, while nothing of nicq's spins.
        final String kernelOutput;
        try (NetworkNamespace veth = NetworkNamespace.create("sp" + lab.id.substring(0, 4), "10.232.0.1",
            "10.232.0.2"))
        {
            final Path serverLog = dir.resolve("kernel-sockperf-server.log");
            final Process server = new ProcessBuilder(veth.exec(List.of(sockperf(), "server", "-i",
                veth.namespaceAddress(), "-p", Integer.toString(PORT)))).redirectErrorStream(true)
                .redirectOutput(serverLog.toFile()).start();
            try
            {
                TapLab.awaitOutput(server, serverLog, "IP = ");
                kernelOutput = runToEnd(new ProcessBuilder(sockperf(), "ping-pong", "-i", veth.namespaceAddress(),
                    "-p", Integer.toString(PORT), "-t", Integer.toString(SECONDS), "--msg-size", "64")
                    .redirectErrorStream(true), dir.resolve("kernel-sockperf-client.log"));
            }
            finally
            {
                server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        final long[] kernelTotals = totals(kernelOutput);
        assertTrue(kernelTotals[1] > 0, "sockperf against the kernel got answers: " + kernelOutput);

        final SockperfUdpServer server = serve();
        final Path log = dir.resolve("sockperf-ping-pong.log");
        final Process client = lab.startInNamespace(List.of(sockperf(), "ping-pong", "-i", lab.cardIp, "-p",
            Integer.toString(PORT), "-t", Integer.toString(SECONDS), "--msg-size", "64"), log);
        serveUntilExit(server, client, log);
        final String output = read(log);
        final long[] totals = totals(output);
        assertEquals(0, client.exitValue(), output);
        assertTrue(totals[1] > 0, "sockperf got answers: " + output + "\nserver: " + server + lab.diagnostics());
        // The last message may be in flight when sockperf's timer ends the run.
        assertTrue(totals[0] - totals[1] <= 1, "sockperf sent " + totals[0] + " and received " + totals[1] +
            "\nserver: " + server + "\n" + output);
        assertTrue(server.answered() >= totals[1], "answers counted by the server: " + server);
        assertEquals(0, server.malformed(), server::toString);
        assertTrue(output.contains("dropped messages = 0; # duplicated messages = 0; # out-of-order messages = 0"),
            output);

        System.out.printf(Locale.ROOT, "sockperf ping-pong, UDP, 64-byte messages, %d s each: half round trip " +
            "avg/p50/p99.9 (usec): kernel sockperf server over veth %s/%s/%s; nicq sockperf-server over TAP %s/%s/%s%n",
            SECONDS, figure(LATENCY, kernelOutput), figure(MEDIAN, kernelOutput), figure(TAIL, kernelOutput),
            figure(LATENCY, output), figure(MEDIAN, output), figure(TAIL, output));
    }

    @Test
    void underLoadAnswersOnlyThePongRequests() throws Exception
    {
        final SockperfUdpServer server = serve();
        final Path log = dir.resolve("sockperf-under-load.log");
        final Process client = lab.startInNamespace(List.of(sockperf(), "under-load", "-i", lab.cardIp, "-p",
            Integer.toString(PORT), "-t", "1", "--mps", "2000", "--reply-every", "10", "--msg-size", "100"), log);
        serveUntilExit(server, client, log);
        final String output = read(log);
        assertEquals(0, client.exitValue(), output);
        final long[] totals = totals(output);
        assertTrue(totals[0] >= 100, "sockperf sent at its rate: " + output);
        assertTrue(server.notAnswered() > 0, "under-load sends messages that ask for no answer: " + server);
        assertEquals(0, server.malformed(), server::toString);
        // One in ten asks for an answer; sockperf counts the answers that came within its run, so a few at its start
        // (its warm-up) and its end are the server's and not in sockperf's total.
        assertTrue(server.answered() >= totals[1] && server.answered() <= totals[1] + 10,
            "server answered " + server.answered() + ", sockperf received " + totals[1] + ": " + output);
        final long asked = server.answered() + server.notAnswered();
        assertTrue(server.answered() * 10 >= asked - 10 && server.answered() * 10 <= asked + 10,
            "one in ten answered: " + server);
    }

    private SockperfUdpServer serve()
    {
        final NicQueue queue = lab.client.requestQueue(QueueService.SERVED);
        final UdpSocket socket = UdpSocket.open(new UdpLayer(new Ipv4Interface(queue, lab.client))).bind(PORT);
        return new SockperfUdpServer(socket);
    }

    private void serveUntilExit(final SockperfUdpServer server, final Process client, final Path log)
        throws Exception
    {
        final IdleStrategy idle = TapLab.idle();
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RUN_TIMEOUT_MS);
        while (client.isAlive())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("sockperf did not finish within " + RUN_TIMEOUT_MS + " ms; server: " + server + "\n" +
                    read(log) + lab.diagnostics());
            }
            idle.idle(server.doWork());
        }
    }

    private static String runToEnd(final ProcessBuilder builder, final Path log) throws Exception
    {
        final Process process = builder.redirectOutput(log.toFile()).start();
        if (!process.waitFor(RUN_TIMEOUT_MS, TimeUnit.MILLISECONDS))
        {
            process.destroyForcibly();
            fail("sockperf did not finish within " + RUN_TIMEOUT_MS + " ms: " + read(log));
        }
        return read(log);
    }

    /** {sent, received} of sockperf's total run. */
    private static long[] totals(final String output)
    {
        final Matcher matcher = TOTALS.matcher(output);
        assertTrue(matcher.find(), "sockperf's totals line: " + output);
        return new long[] {Long.parseLong(matcher.group(1)), Long.parseLong(matcher.group(2))};
    }

    private static String figure(final Pattern pattern, final String output)
    {
        final Matcher matcher = pattern.matcher(output);
        final List<String> found = new ArrayList<>();
        while (matcher.find())
        {
            found.add(matcher.group(1));
        }
        return found.isEmpty() ? "?" : found.get(found.size() - 1);
    }
}
