package io.nicq.examples.interop;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.nicq.client.NicQueue;
import io.nicq.client.QueueService;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.tcp.TcpCloseReason;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.examples.kernel.KernelTcpCommand;
import io.nicq.examples.report.LatencyReport;
import io.nicq.examples.rpc.WarmUp;
import io.nicq.examples.tcp.TcpRpcClient;
import io.nicq.examples.tcp.TcpRpcReport;
import io.nicq.packet.Ipv4Address;
import io.nicq.runtime.ChildJvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.nicq.examples.interop.TapLab.CHILD_JVM_ARGS;
import static io.nicq.examples.interop.TapLab.awaitOutput;
import static io.nicq.examples.interop.TapLab.read;
import static org.junit.jupiter.api.Assertions.*;

/**
 * tcp-rpc-latency's client ({@link TcpRpcClient}) against the Linux kernel's TCP echo server ({@link KernelTcpCommand}
 * {@code --echo}, in a namespace) over a TAP wire ({@link TapLab}): every round trip gets exactly its bytes back, the
 * kernel saw exactly what was written, and the report says the server's phases are missing (a kernel echo sends the
 * bytes back unchanged). Needs root, {@code /dev/net/tun} and iproute2; skipped otherwise.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TcpRpcInteropIT
{
    private static final int PORT = 9007;
    private static final int WARMUP = 100;
    private static final Pattern SERVER_LINE = Pattern.compile(
        "connection (\\d+) from \\S+ received (\\d+) bytes sha256 ([0-9a-f]{64})");

    @TempDir
    Path dir;

    private TapLab lab;

    @AfterEach
    void tearDown() throws Exception
    {
        if (lab != null)
        {
            lab.close();
        }
    }

    @Test
    void roundTripsToAKernelEchoServerAndTheReportSaysItsPhasesAreMissing() throws Exception
    {
        lab = TapLab.open(dir);
        final TcpRpcClient client = roundTrips(64, 2_000);
        final Path out = dir.resolve("report");
        final LatencyReport report = TcpRpcReport.build(client, "nicq TCP, inline mode", lab.kernelIp + ":" + PORT,
            "inline", "TAP test", null, null);
        report.write(out);
        final String text = Files.readString(out.resolve("report.txt"));
        assertTrue(text.contains(TcpRpcReport.SERVER_PHASES_MISSING), text);
        assertTrue(Files.size(out.resolve("hgrm/round-trip-nicq.hgrm")) > 0, "the round trip's .hgrm");
        assertEquals(2_000, client.recorder().roundTrip().getTotalCount(), text);
        assertEquals(0, client.recorder().segment(5).getTotalCount(), "no server phases from a kernel echo");
        assertTrue(client.recorder().segment(16).getTotalCount() > 0, "the client's RX phases: " + text);
    }

    @Test
    void answersThatTheKernelSendsInSeveralSegmentsAreCountedByBytes() throws Exception
    {
        lab = TapLab.open(dir);
        final TcpRpcClient client = roundTrips(5_000, 300);
        assertTrue(client.dataSegmentsReceived() >= 300L * 4, "5,000 bytes come back in at least four segments " +
            "each (MSS 1460 or less): " + client.dataSegmentsReceived() + " for 300 answers");
    }

    /** {@code count} recorded round trips of {@code size} bytes to a kernel echo server; checks both ends' bytes. */
    private TcpRpcClient roundTrips(final int size, final int count) throws Exception
    {
        final Path log = dir.resolve("kernel-tcp-echo.log");
        final Process server = lab.startInNamespace(ChildJvm.command(CHILD_JVM_ARGS, KernelTcpCommand.class,
            List.of("--listen", lab.kernelIp + ":" + PORT, "--count", "1", "--echo")), log);
        awaitOutput(server, log, "listening on");
        final NicQueue queue = lab.client.requestQueue(QueueService.INLINE);
        try
        {
            final TcpLayer tcp = new TcpLayer(new Ipv4Interface(queue, lab.client));
            final TcpRpcClient client = new TcpRpcClient(tcp, size, 5, TimeUnit.SECONDS, TapLab.idle())
                .connect(Ipv4Address.parse(lab.kernelIp), PORT, 10, TimeUnit.SECONDS);
            client.run(WarmUp.fixed(WARMUP), count, () -> false, null, null);
            assertEquals(count, client.recorder().roundTrips(), "recorded round trips");
            assertEquals(0, client.mismatched(), "every answer is its request's bytes");
            final long total = (long)(WARMUP + count) * size;
            assertEquals(total, client.bytesWritten(), "bytes written");
            assertEquals(total, client.bytesRead(), "bytes read back");
            assertEquals(TcpCloseReason.CLOSED, client.close(10, TimeUnit.SECONDS), client.connection().toString());
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (server.isAlive() && System.nanoTime() - deadline < 0)
            {
                Thread.sleep(10);
            }
            assertFalse(server.isAlive(), "the kernel's echo server did not end: " + read(log));
            final String output = read(log);
            assertEquals(0, server.exitValue(), output);
            final Matcher line = SERVER_LINE.matcher(output);
            assertTrue(line.find(), output);
            assertEquals(Long.toString(total), line.group(2), "bytes the kernel received: " + line.group());
            return client;
        }
        finally
        {
            server.destroyForcibly();
            lab.client.releaseQueue(queue);
        }
    }
}
