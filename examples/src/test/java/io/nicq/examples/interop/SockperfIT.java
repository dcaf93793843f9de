package io.nicq.examples.interop;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.nicq.client.NicQueue;
import io.nicq.client.QueueService;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.tcp.TcpCloseReason;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.client.udp.UdpLayer;
import io.nicq.client.udp.UdpSocket;
import io.nicq.examples.kernel.NetworkNamespace;
import io.nicq.examples.sockperf.SockperfMessage;
import io.nicq.examples.sockperf.SockperfStream;
import io.nicq.examples.sockperf.SockperfTcpServer;
import io.nicq.examples.sockperf.SockperfUdpServer;
import org.agrona.concurrent.Agent;
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
 * {@link SockperfUdpServer} and {@link SockperfTcpServer} over a TAP wire, and, in the same run, against the kernel's
 * {@code sockperf server} (and {@code sockperf server --tcp}) across a veth pair: sockperf must count every message
 * answered, and the two half round trips it reports are printed side by side (a figure, not an assertion: timing
 * belongs to benchmarks).
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
    private static final Pattern OBSERVATIONS = Pattern.compile("Total (\\d+) observations");

    @TempDir
    Path dir;

    private TapLab lab;
    private TcpLayer tcp;

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
        final String kernelOutput = kernelPingPong(List.of());
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

    @Test
    void pingPongOverTcpIsAnsweredBesideTheKernelsSockperfServer() throws Exception
    {
        final String kernelOutput = kernelPingPong(List.of("--tcp"));
        final long[] kernelTotals = totals(kernelOutput);
        assertTrue(kernelTotals[1] > 0, "sockperf --tcp against the kernel got answers: " + kernelOutput);

        final SockperfTcpServer server = serveTcp(SockperfMessage.DEFAULT_MAX_LENGTH);
        final Path log = dir.resolve("sockperf-ping-pong-tcp.log");
        final Process client = lab.startInNamespace(List.of(sockperf(), "ping-pong", "--tcp", "-i", lab.cardIp,
            "-p", Integer.toString(PORT), "-t", Integer.toString(SECONDS), "--msg-size", "64"), log);
        serveUntilExit(server, client, log);
        final String output = read(log);
        assertEquals(0, client.exitValue(), output);
        assertNoErrors(output);
        final long[] totals = totals(output);
        assertTrue(totals[1] > 1000, "sockperf --tcp got answers at a sane rate: " + output + "\nserver: " + server +
            lab.diagnostics());
        assertTrue(totals[0] - totals[1] <= 1, "sockperf sent " + totals[0] + " and received " + totals[1] +
            "\nserver: " + server + "\n" + output);
        assertTrue(server.answered() >= totals[1], "answers counted by the server: " + server);
        assertEquals(0, server.faults(), server::toString);
        assertTrue(output.contains("dropped messages = 0; # duplicated messages = 0; # out-of-order messages = 0"),
            output);
        assertNotEquals("?", figure(LATENCY, output), "sockperf's latency summary: " + output);
        final String observations = figure(OBSERVATIONS, output);
        assertTrue(!observations.equals("?") && Long.parseLong(observations) > 100 &&
            Long.parseLong(observations) <= totals[1], "sockperf measured a sane count of round trips: " + output);
        // sockperf closes its connection when done: the server closes its side, nothing is left open.
        serveUntil(server, () -> server.open() == 0, () -> "the connection is closed: " + server);
        assertEquals(1, server.accepted(), server::toString);
        // The last answer may be unread when sockperf closes: its kernel then resets instead of a FIN.
        assertEquals(1, server.closed(TcpCloseReason.CLOSED) + server.closed(TcpCloseReason.RESET),
            server::toString);

        System.out.printf(Locale.ROOT, "sockperf ping-pong, TCP, 64-byte messages, %d s each: half round trip " +
            "avg/p50/p99.9 (usec): kernel sockperf server --tcp over veth %s/%s/%s; nicq sockperf-server --tcp over " +
            "TAP %s/%s/%s; nicq TCP segments per answer: %.2f in, %.2f out%n", SECONDS, figure(LATENCY, kernelOutput),
            figure(MEDIAN, kernelOutput), figure(TAIL, kernelOutput), figure(LATENCY, output), figure(MEDIAN, output),
            figure(TAIL, output), (double)tcp.segmentsReceived() / server.answered(),
            (double)tcp.segmentsSent() / server.answered());
    }

    /**
     * Three under-load clients at once, each its own connection, with messages larger than a segment (split across
     * segments, and coalesced when the stream runs ahead): every pong request answered on its own connection.
     */
    @Test
    void underLoadOverTcpFromThreeClientsAtOnceAnswersOnlyThePongRequests() throws Exception
    {
        final SockperfTcpServer server = serveTcp(SockperfMessage.DEFAULT_MAX_LENGTH);
        final int clients = 3;
        final List<Process> processes = new ArrayList<>();
        final List<Path> logs = new ArrayList<>();
        for (int i = 0; i < clients; i++)
        {
            final Path log = dir.resolve("sockperf-under-load-tcp-" + i + ".log");
            logs.add(log);
            processes.add(lab.startInNamespace(List.of(sockperf(), "under-load", "--tcp", "-i", lab.cardIp, "-p",
                Integer.toString(PORT), "-t", "2", "--mps", "200", "--reply-every", "10", "--msg-size", "2000"),
                log));
        }
        for (int i = 0; i < clients; i++)
        {
            serveUntilExit(server, processes.get(i), logs.get(i));
        }
        long received = 0;
        final StringBuilder runs = new StringBuilder();
        for (int i = 0; i < clients; i++)
        {
            final String output = read(logs.get(i));
            assertEquals(0, processes.get(i).exitValue(), output);
            assertNoErrors(output);
            final long[] totals = totals(output);
            assertTrue(totals[0] >= 200, "sockperf " + i + " sent at its rate: " + output);
            assertTrue(totals[1] > 0, "sockperf " + i + " got answers: " + output + "\nserver: " + server);
            assertTrue(output.contains("# duplicated messages = 0; # out-of-order messages = 0"),
                "sockperf " + i + " got its own answers, in order: " + output + tcpDiagnostics());
            received += totals[1];
            runs.append("\nsockperf ").append(i).append(": ").append(output.lines()
                .filter(line -> line.contains("Total Run") || line.contains("Summary")).toList());
        }
        serveUntil(server, () -> server.open() == 0, () -> "every connection is closed: " + server +
            server.describeOpen() + tcpDiagnostics());
        assertEquals(clients, server.accepted(), server::toString);
        // sockperf's under-load client closes with answers still unread, so its kernel resets rather than FINs; none
        // of the connections is ended by the server.
        assertEquals(clients, server.closed(TcpCloseReason.CLOSED) + server.closed(TcpCloseReason.RESET),
            server::toString);
        assertEquals(0, server.faults(), server::toString);
        assertEquals(0, server.truncated(), server::toString);
        assertTrue(server.sessionsCreated() <= clients, server::toString);
        assertTrue(server.notAnswered() > 0, "under-load sends messages that ask for no answer: " + server);
        // Three clients pacing by spinning, the server and its queue driver share two cores: answers come late, and
        // those after a client's run are not in its total. So sockperf's count bounds the server's from below only;
        // that every answer went back on its own connection shows in sockperf's sequence check.
        assertTrue(server.answered() >= received, "server answered " + server.answered() + ", the sockperfs " +
            "received " + received + ": " + server + runs);
        System.out.println("sockperf under-load --tcp, three clients:" + runs + tcpDiagnostics());
        final long asked = server.answered() + server.notAnswered();
        assertTrue(server.answered() * 10 >= asked - 10L * clients && server.answered() * 10 <= asked + 10L * clients,
            "one in ten answered: " + server);
    }

    /** Bytes that are not a sockperf stream reset their connection, counted by reason; the server goes on. */
    @Test
    void aStreamThatIsNotSockperfsIsResetAndCounted() throws Exception
    {
        final SockperfTcpServer server = serveTcp(1000);
        final String[] streams = {
            // Text on sockperf's port: its length field reads "/1.1", far beyond 1000 bytes.
            "printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'",
            // A sockperf header whose length (5) is shorter than the header itself.
            "printf '\\0\\0\\0\\0\\0\\0\\0\\1\\0\\3\\0\\0\\0\\5'",
            // A plausible length (64) and a flag sockperf never sets.
            "printf '\\0\\0\\0\\0\\0\\0\\0\\1\\1\\3\\0\\0\\0\\100'; head -c 50 /dev/zero"};
        for (int i = 0; i < streams.length; i++)
        {
            final Path log = dir.resolve("garbage-" + i + ".log");
            // bash's /dev/tcp: the bytes, then wait for the server's answer, which must be a RST (cat fails).
            final Process client = lab.startInNamespace(List.of("timeout", "10", "bash", "-c",
                "exec 3<>/dev/tcp/" + lab.cardIp + "/" + PORT + " && { " + streams[i] + "; } >&3 && cat <&3; " +
                "echo \"cat exit $?\""), log);
            serveUntilExit(server, client, log);
            assertTrue(read(log).contains("Connection reset by peer"), "the server reset connection " + i + ": " +
                read(log) + "\nserver: " + server);
        }
        serveUntil(server, () -> server.open() == 0, server::toString);
        assertEquals(streams.length, server.accepted(), server::toString);
        assertEquals(1, server.faults(SockperfStream.Fault.LENGTH_ABOVE_MAX), server::toString);
        assertEquals(1, server.faults(SockperfStream.Fault.LENGTH_BELOW_HEADER), server::toString);
        assertEquals(1, server.faults(SockperfStream.Fault.UNKNOWN_FLAGS), server::toString);
        assertEquals(streams.length, server.closed(TcpCloseReason.ABORTED), server::toString);
        assertEquals(0, server.received(), server::toString);
    }

    /** sockperf (client, and kernel server across a veth pair) ping-pong; extra options, e.g. --tcp, for both. */
    private String kernelPingPong(final List<String> extra) throws Exception
    {
        try (NetworkNamespace veth = NetworkNamespace.create("sp" + lab.id.substring(0, 4), "10.232.0.1",
            "10.232.0.2"))
        {
            final String name = extra.isEmpty() ? "" : "-tcp";
            final Path serverLog = dir.resolve("kernel-sockperf-server" + name + ".log");
            final List<String> serverCommand = new ArrayList<>(List.of(sockperf(), "server", "-i",
                veth.namespaceAddress(), "-p", Integer.toString(PORT)));
            serverCommand.addAll(extra);
            final Process server = new ProcessBuilder(veth.exec(serverCommand)).redirectErrorStream(true)
                .redirectOutput(serverLog.toFile()).start();
            try
            {
                TapLab.awaitOutput(server, serverLog, "IP = ");
                final List<String> clientCommand = new ArrayList<>(List.of(sockperf(), "ping-pong", "-i",
                    veth.namespaceAddress(), "-p", Integer.toString(PORT), "-t", Integer.toString(SECONDS),
                    "--msg-size", "64"));
                clientCommand.addAll(extra);
                return runToEnd(new ProcessBuilder(clientCommand).redirectErrorStream(true),
                    dir.resolve("kernel-sockperf-client" + name + ".log"));
            }
            finally
            {
                server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    private SockperfTcpServer serveTcp(final int maxLength)
    {
        final NicQueue queue = lab.client.requestQueue(QueueService.SERVED);
        tcp = new TcpLayer(new Ipv4Interface(queue, lab.client));
        return new SockperfTcpServer(tcp, PORT, maxLength);
    }

    /** What the TCP stacks on both ends say about retransmissions and drops: late answers come from these. */
    private String tcpDiagnostics()
    {
        try
        {
            return tcpFigures();
        }
        catch (final Exception ex)
        {
            return "\n(no TCP figures: " + ex + ")";
        }
    }

    private String tcpFigures() throws Exception
    {
        return "\nnicq: " + tcp + "; stack drops: " + tcp.ip().dropsToString() + "\nkernel: " +
            lab.inNamespace("nstat", "-az", "TcpRetransSegs", "TcpExtTCPLostRetransmit", "TcpExtTCPTimeouts",
                "TcpExtTCPDelivered").output();
    }

    private static void assertNoErrors(final String output)
    {
        assertFalse(output.contains("ERROR") || output.contains("error"), "sockperf reported no error: " + output);
    }

    private void serveUntil(final Agent server, final BooleanSupplier done, final Supplier<String> context)
        throws Exception
    {
        final IdleStrategy idle = TapLab.idle();
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RUN_TIMEOUT_MS);
        while (!done.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("not done within " + RUN_TIMEOUT_MS + " ms: " + context.get() + lab.diagnostics());
            }
            idle.idle(server.doWork());
        }
    }

    private SockperfUdpServer serve()
    {
        final NicQueue queue = lab.client.requestQueue(QueueService.SERVED);
        final UdpSocket socket = UdpSocket.open(new UdpLayer(new Ipv4Interface(queue, lab.client))).bind(PORT);
        return new SockperfUdpServer(socket);
    }

    private void serveUntilExit(final Agent server, final Process client, final Path log)
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
