package io.nicq.examples.rpc;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class RoundTripRecorderTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[RpcPayload.LENGTH]);
    private final RpcPayload payload = new RpcPayload();

    /** Client and server points of round trip {@code seq}, 10 ns apart per step but the wire (1000 ns). */
    private static long[] points(final long seq)
    {
        final long base = 1_000_000 + seq * 100_000;
        final long[] p = new long[18];
        long t = base;
        for (int i = 0; i < p.length; i++)
        {
            t += (i == 5 || i == 14) ? 1000 : 10 * (i + 1);
            p[i] = t;
        }
        return p;
    }

    private void roundTrip(final RoundTripRecorder recorder, final long seq, final long[] previousServer)
    {
        final long[] p = points(seq);
        recorder.onSend(seq, p[0]);
        recorder.onTxComplete(seq, p[1], p[2], p[3], p[4]);
        payload.wrap(buffer, 0, RpcPayload.LENGTH).initRequest(seq);
        final long[] prev = previousServer == null ? new long[5] : previousServer;
        payload.putServerTimestamps(p[5], p[6], p[7], p[8], p[9], seq - 1, prev[0], prev[1], prev[2], prev[3], prev[4]);
        recorder.onReply(seq, p[14], p[15], p[16], p[17], payload);
    }

    @Test
    void segmentsChainExactlyIntoTheRoundTrip()
    {
        final RoundTripRecorder recorder = new RoundTripRecorder();
        long[] previous = null;
        for (long seq = 0; seq < 10; seq++)
        {
            roundTrip(recorder, seq, previous);
            final long[] p = points(seq);
            previous = new long[] {p[9], p[10], p[11], p[12], p[13]};
        }
        recorder.finish();
        assertEquals(10, recorder.roundTrips());

        final long[] p = points(3);
        assertEquals(p[17] - p[0], recorder.roundTrip().getValueAtPercentile(50), 0.001 * (p[17] - p[0]));
        double sumOfMeans = 0;
        for (int i = 0; i < RoundTripRecorder.SEGMENTS.length; i++)
        {
            final long expectedCount = (i >= RoundTripRecorder.SERVER_TX && i <= RoundTripRecorder.WIRE_BACK) ? 9 : 10;
            assertEquals(expectedCount, recorder.segment(i).getTotalCount(), RoundTripRecorder.SEGMENTS[i]);
            final long expected = p[i + 1] - p[i];
            assertEquals(expected, recorder.segment(i).getValueAtPercentile(50), Math.max(1, 0.001 * expected),
                RoundTripRecorder.SEGMENTS[i]);
            sumOfMeans += recorder.segment(i).getMean();
        }
        assertEquals(recorder.roundTrip().getMean(), sumOfMeans, 0.01 * recorder.roundTrip().getMean());
    }

    /**
     * Both ends took their frames from read-only RX rings: no queue driver stamps (absent), the ring stamp is the
     * device's (Frame.rxRingNs). The driver phases stay unrecorded, "client ring -> app" runs from the device, and the
     * server's chain goes on to its send, so its TX phases and the wire back are still attributed.
     */
    @Test
    void framesTakenFromReadOnlyRingsSkipTheDriverPhasesAndKeepTheChain()
    {
        final RoundTripRecorder recorder = new RoundTripRecorder();
        long[] previous = null;
        for (long seq = 0; seq < 10; seq++)
        {
            final long[] p = points(seq);
            recorder.onSend(seq, p[0]);
            recorder.onTxComplete(seq, p[1], p[2], p[3], p[4]);
            payload.wrap(buffer, 0, RpcPayload.LENGTH).initRequest(seq);
            final long[] prev = previous == null ? new long[5] : previous;
            payload.putServerTimestamps(p[5], 0, p[5], p[8], p[9], seq - 1, prev[0], prev[1], prev[2], prev[3],
                prev[4]);
            recorder.onReply(seq, p[14], 0, p[14], p[17], payload);
            previous = new long[] {p[9], p[10], p[11], p[12], p[13]};
        }
        recorder.finish();
        final long[] p = points(3);
        assertEquals(0, recorder.segment(RoundTripRecorder.SERVER_RX).getTotalCount());
        assertEquals(0, recorder.segment(RoundTripRecorder.SERVER_RX + 1).getTotalCount());
        assertEquals(p[8] - p[5], recorder.segment(RoundTripRecorder.SERVER_RX + 2).getValueAtPercentile(50),
            0.001 * (p[8] - p[5]));
        for (int i = RoundTripRecorder.SERVER_TX; i <= RoundTripRecorder.WIRE_BACK; i++)
        {
            assertEquals(9, recorder.segment(i).getTotalCount(), RoundTripRecorder.SEGMENTS[i]);
            assertEquals(p[i + 1] - p[i], recorder.segment(i).getValueAtPercentile(50),
                Math.max(1, 0.001 * (p[i + 1] - p[i])), RoundTripRecorder.SEGMENTS[i]);
        }
        assertEquals(0, recorder.segment(RoundTripRecorder.CLIENT_RX).getTotalCount());
        assertEquals(0, recorder.segment(RoundTripRecorder.CLIENT_RX + 1).getTotalCount());
        assertEquals(p[17] - p[14], recorder.segment(RoundTripRecorder.CLIENT_RX + 2).getValueAtPercentile(50),
            0.001 * (p[17] - p[14]));
    }

    @Test
    void answersWithoutServerTimestampsRecordOnlyTheClientsPhases()
    {
        final RoundTripRecorder recorder = new RoundTripRecorder();
        final long[] p = points(0);
        recorder.onSend(0, p[0]);
        recorder.onTxComplete(0, p[1], p[2], p[3], p[4]);
        payload.wrap(buffer, 0, 16).initRequest(0);
        recorder.onReply(0, p[14], p[15], p[16], p[17], payload);
        recorder.finish();
        assertEquals(1, recorder.roundTrip().getTotalCount());
        assertEquals(1, recorder.segment(0).getTotalCount());
        assertEquals(0, recorder.segment(RoundTripRecorder.WIRE_OUT).getTotalCount());
        assertEquals(0, recorder.segment(RoundTripRecorder.SERVER_RX).getTotalCount());
        assertEquals(1, recorder.segment(RoundTripRecorder.CLIENT_RX + 2).getTotalCount());
    }

    @Test
    void unknownAndOutOfOrderTimestampsAreSkippedNotRecordedAsGarbage()
    {
        final RoundTripRecorder recorder = new RoundTripRecorder();
        recorder.onSend(0, 100);
        recorder.onTxComplete(0, 0, 50, 60, 0);
        recorder.onReply(0, 0, 0, 0, 500, null);
        recorder.onReply(99, 1, 2, 3, 4, null);
        recorder.finish();
        assertEquals(1, recorder.roundTrip().getTotalCount());
        for (int i = 0; i < RoundTripRecorder.SEGMENTS.length; i++)
        {
            assertEquals(i == RoundTripRecorder.CLIENT_TX + 2 ? 1 : 0, recorder.segment(i).getTotalCount(),
                RoundTripRecorder.SEGMENTS[i]);
        }
    }
}
