package io.nicq.examples.cable;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import io.nicq.client.NicQueue;
import io.nicq.client.QueueService;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.tcp.TcpCloseReason;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.examples.report.LatencyReport;
import io.nicq.examples.rpc.WarmUp;
import io.nicq.examples.tcp.TcpRpcClient;
import io.nicq.examples.tcp.TcpRpcReport;
import io.nicq.packet.Ipv4Address;
import io.nicq.sim.SimulatedCard;
import io.nicq.sim.WireFaults;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/**
 * tcp-rpc-latency's client ({@link TcpRpcClient}) on host a of the simulated cable against a nicq
 * {@link io.nicq.examples.tcp.TcpEchoServer} on host b: every round trip completes with exactly its bytes, the
 * connection carries exactly what the round trips wrote, and the report's files are there and sane.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CableTcpRpcIT
{
    private static final int PORT = 7;
    private static final int COUNT = Integer.getInteger("nicq.tcp-rpc.count", 2_000);
    private static final int WARMUP = 200;
    /** Runs measured for allocation: the first ones still see one-offs (the JIT settling, a pool growing). */
    private static final int BATCHES = 4;
    private static final UnaryOperator<SimulatedCard.Context> NO_FAULTS = card -> card;

    @TempDir
    Path dir;

    private CableLab lab;
    private CableTcpIT.EchoHost echo;

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
    void roundTripsOfSixtyFourBytesAreRecordedAndReported() throws Exception
    {
        final TcpRpcClient client = roundTrips(NO_FAULTS, 64, COUNT);
        final Path out = dir.resolve("report");
        final LatencyReport report = TcpRpcReport.build(client, "nicq TCP, inline mode", CableLab.IP_B + ":" + PORT,
            "inline", "cable test", null, null);
        final List<Path> files = report.write(out);
        for (final String name : List.of("report.txt", "report.json", "report.png", "hgrm/round-trip-nicq.hgrm"))
        {
            final Path file = out.resolve(name);
            assertTrue(Files.isRegularFile(file) && Files.size(file) > 0, name + " written: " + files);
        }
        final Histogram roundTrip = client.recorder().roundTrip();
        assertEquals(COUNT, roundTrip.getTotalCount());
        final long p50 = roundTrip.getValueAtPercentile(50);
        final long p99 = roundTrip.getValueAtPercentile(99);
        assertTrue(roundTrip.getMinValue() > 0 && p50 <= p99 && p99 <= roundTrip.getValueAtPercentile(99.99) &&
            roundTrip.getValueAtPercentile(99.99) <= roundTrip.getMaxValue(), "percentiles in order: " + p50 + ", " +
            p99 + ", max " + roundTrip.getMaxValue());
        final String text = Files.readString(out.resolve("report.txt"));
        assertTrue(text.contains(TcpRpcReport.SERVER_PHASES_MISSING), text);
        assertTrue(text.contains(TcpRpcReport.CLIENT_TX_TCP) && text.contains(TcpRpcReport.CLIENT_RX_TCP), text);
        assertTrue(text.contains("TCP segments per round trip"), text);
        assertTrue(Files.readString(out.resolve("report.json")).contains("\"" + COUNT + "\"") ||
            Files.readString(out.resolve("report.json")).contains(String.valueOf(COUNT)), "the JSON has the count");
        // The client's own phases were seen: the request's TX timestamps and the answer's RX slot timestamps.
        assertEquals(COUNT, client.recorder().segment(0).getTotalCount(), "app write -> ring, every round trip");
        assertEquals(COUNT, client.recorder().segment(16).getTotalCount(), "ring -> bytes read, every round trip");
        assertEquals(0, client.recorder().segment(5).getTotalCount(), "a tcp-echo sends no server phases");
        assertEquals(COUNT, client.txStack().getTotalCount(), "the TCP stack's send, every round trip");
        assertEquals(COUNT, client.txToRing().getTotalCount(), "segment -> ring, every round trip");
        assertEquals(COUNT, client.rxToApp().getTotalCount(), "ring -> app, every round trip");
        assertEquals(COUNT, client.rxStack().getTotalCount(), "the TCP stack's receive, every round trip");
        // The splits are of the chain's phases: their medians cannot exceed the whole's by more than a bucket.
        assertTrue(client.txStack().getValueAtPercentile(50) <=
            client.recorder().segment(0).getValueAtPercentile(50) * 1.01 + 1, "TCP send within app write -> ring");
        assertTrue(client.rxStack().getValueAtPercentile(50) <=
            client.recorder().segment(16).getValueAtPercentile(50) * 1.01 + 1, "TCP receive within ring -> app");
        // One data segment each way per 64-byte round trip; the echo's data segment carries the request's ACK.
        assertEquals(COUNT, client.dataSegmentsReceived(), "one answer segment per round trip");
    }

    @Test
    void answersLargerThanASegmentArriveInPiecesAndAreCountedByBytes() throws Exception
    {
        final TcpRpcClient client = roundTrips(NO_FAULTS, 10_000, 1_000);
        assertTrue(client.dataSegmentsReceived() >= 1_000L * 7, "10,000 bytes come back in at least seven " +
            "segments each: " + client.dataSegmentsReceived() + " segments for 1,000 answers");
    }

    @Test
    void roundTripsSurviveAWireThatLosesAndReorders() throws Exception
    {
        final TcpRpcClient client = roundTrips(card -> card.wireFaults(new WireFaults.Context().dropProbability(0.01)
            .reorderProbability(0.02).seed(5)), 64, 500);
        assertTrue(lab.cardA.wireFaults().dropped() + lab.cardB.wireFaults().dropped() > 0, "the wire dropped");
        // Every round trip still got exactly its bytes (checked in roundTrips), and the stack recovered what was lost.
        // Card a's wire drops 1% of the client's frames, about half of them requests: one of 700 is all but certain.
        assertTrue(client.connection().retransmissions() > 0, "the client resent what card a's wire dropped (" +
            lab.cardA.wireFaults().dropped() + " frames): " + client.connection());
    }

    /**
     * {@code count} recorded round trips of {@code size} bytes; checks the bytes and the connection's end, and on a
     * faultless wire that more runs allocate nothing per round trip.
     */
    private TcpRpcClient roundTrips(final UnaryOperator<SimulatedCard.Context> cards, final int size,
        final int count) throws Exception
    {
        final boolean faultless = cards == NO_FAULTS;
        lab = CableLab.open(dir, cards);
        echo = CableTcpIT.EchoHost.start(lab.clientB, PORT);
        final NicQueue queue = lab.clientA.requestQueue(QueueService.INLINE);
        final TcpLayer tcp = new TcpLayer(new Ipv4Interface(queue, lab.clientA));
        final TcpRpcClient client = new TcpRpcClient(tcp, size, 5, TimeUnit.SECONDS, CableLab.idle())
            .connect(Ipv4Address.parse(CableLab.IP_B), PORT, 10, TimeUnit.SECONDS);
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        client.run(WarmUp.fixed(WARMUP), count, () -> false, null, null);
        assertEquals(count, client.recorder().roundTrips(), "recorded round trips");
        assertEquals(count, client.roundTrips(), "completed round trips");
        assertEquals(0, client.mismatched(), "every answer is its request's bytes");
        final long total = (long)(WARMUP + count) * size;
        assertEquals(total, client.bytesWritten(), "bytes written");
        assertEquals(total, client.bytesRead(), "bytes read back");
        assertEquals(total, client.connection().bytesReceived(), "bytes the connection received in order");

        // Steady state allocates nothing: more runs, measured on this thread (it is also the inline queue driver).
        // Each run starts the counters and the recorder over: what the caller sees is the last run's.
        if (faultless)
        {
            // Four runs, the least counted: a one-off (a buffer grown once) is no allocation per round trip,
            // and anything allocated per round trip is at least 16 bytes each time, in every batch.
            long least = Long.MAX_VALUE;
            for (int batch = 0; batch < BATCHES; batch++)
            {
                final long before = threads.getCurrentThreadAllocatedBytes();
                client.run(WarmUp.fixed(0), count, () -> false, null, null);
                least = Math.min(least, threads.getCurrentThreadAllocatedBytes() - before);
            }
            assertTrue(least < count, least + " bytes allocated in " + count + " round trips");
            assertEquals(count, client.roundTrips(), "completed round trips");
            assertEquals(0, client.mismatched(), "every answer is its request's bytes");
        }
        assertEquals(client.bytesWritten(), client.bytesRead(), "bytes read back");
        assertEquals(client.bytesRead(), client.connection().bytesReceived(), "nothing unread left");
        assertEquals(TcpCloseReason.CLOSED, client.close(10, TimeUnit.SECONDS), client.connection().toString());
        assertEquals(0, tcp.connections(), "host a let the connection go: " + tcp);
        echo.awaitIdle(1);
        return client;
    }
}
