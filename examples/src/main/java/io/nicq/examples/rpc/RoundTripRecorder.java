package io.nicq.examples.rpc;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

/**
 * Records RPC round trips phase by phase: seventeen segments that chain from the client's send to the client's
 * receipt of the answer, and the round trip itself. Each segment gets its own histogram, so that the report can say
 * where every microsecond of a round trip goes.
 * <pre>
 *  client TX   app send -> client ring -> queue driver -> doorbell -> on the wire        (4 segments)
 *  wire        client card -> server card                                                (1, needs both cards' clocks)
 *  server RX   device -> queue driver -> client ring -> app                              (3)
 *  server      turnaround: app received -> app send                                      (1)
 *  server TX   app send -> client ring -> queue driver -> doorbell -> on the wire        (4)
 *  wire        server card -> client card                                                (1)
 *  client RX   device -> queue driver -> client ring -> app                              (3)
 * </pre>
 * The parts of a round trip arrive at different times (the client's transmit completion, the answer, and the
 * server's transmit timestamps one answer later), so round trips wait in a small window until complete, or until
 * pushed out of it, and then record whatever segments are known. No allocation after construction.
 */
public final class RoundTripRecorder
{
    public static final String[] SEGMENTS = {
        "client TX: app send -> client ring",
        "client TX: client ring -> queue driver",
        "client TX: queue driver -> doorbell",
        "client TX: doorbell -> on the wire",
        "wire: client card -> server card",
        "server RX: device -> queue driver",
        "server RX: queue driver -> client ring",
        "server RX: client ring -> app",
        "server: turnaround",
        "server TX: app send -> client ring",
        "server TX: client ring -> queue driver",
        "server TX: queue driver -> doorbell",
        "server TX: doorbell -> on the wire",
        "wire: server card -> client card",
        "client RX: device -> queue driver",
        "client RX: queue driver -> client ring",
        "client RX: client ring -> app",
    };

    static final int CLIENT_TX = 0;
    static final int WIRE_OUT = 4;
    static final int SERVER_RX = 5;
    static final int SERVER_TX = 9;
    static final int WIRE_BACK = 13;
    static final int CLIENT_RX = 14;

    private static final int WINDOW = 64;
    /** Longest interval a histogram of the reports holds; longer ones are recorded as this and counted clamped. */
    public static final long HIGHEST_NS = TimeUnit.SECONDS.toNanos(10);

    private static final int HAVE_SEND = 1;
    private static final int HAVE_TX_COMPLETE = 2;
    private static final int HAVE_REPLY = 4;
    private static final int HAVE_SERVER_TX = 8;
    private static final int COMPLETE = HAVE_SEND | HAVE_TX_COMPLETE | HAVE_REPLY | HAVE_SERVER_TX;

    private final Histogram roundTrip = newHistogram();
    private final Histogram[] segments = new Histogram[SEGMENTS.length];

    private final long[] sequence = new long[WINDOW];
    private final int[] have = new int[WINDOW];
    private final long[][] durations = new long[WINDOW][SEGMENTS.length];
    private final long[] clientTxApp = new long[WINDOW];
    private final long[] clientTxDevice = new long[WINDOW];
    private final long[] serverRxDevice = new long[WINDOW];
    private final long[] serverTxApp = new long[WINDOW];
    private final long[] clientRxDevice = new long[WINDOW];
    private long clamped;
    private long roundTrips;

    public RoundTripRecorder()
    {
        for (int i = 0; i < segments.length; i++)
        {
            segments[i] = newHistogram();
        }
        Arrays.fill(sequence, -1);
    }

    /** A histogram for nanosecond latencies from 1 ns to 10 s with three significant digits. */
    public static Histogram newHistogram()
    {
        return new Histogram(1, HIGHEST_NS, 3);
    }

    /** The application is about to send request {@code seq}: the round trip starts now ({@code txApp}). */
    public void onSend(final long seq, final long txApp)
    {
        final int i = claim(seq);
        clientTxApp[i] = txApp;
        have[i] |= HAVE_SEND;
    }

    /**
     * The client's request {@code seq} has been transmitted: when the client put it on its ring, and the queue
     * driver's and the device's timestamps.
     */
    public void onTxComplete(
        final long seq, final long txClient, final long txDriver, final long txDoorbell, final long txDevice)
    {
        final int i = find(seq);
        if (i < 0)
        {
            return;
        }
        durations[i][CLIENT_TX] = span(clientTxApp[i], txClient);
        durations[i][CLIENT_TX + 1] = span(txClient, txDriver);
        durations[i][CLIENT_TX + 2] = span(txDriver, txDoorbell);
        durations[i][CLIENT_TX + 3] = span(txDoorbell, txDevice);
        clientTxDevice[i] = txDevice;
        have[i] |= HAVE_TX_COMPLETE;
        wireOut(i);
        completeIfDone(i);
    }

    /**
     * The answer to {@code seq} is in the application's hands at {@code rxApp}, the end of the round trip: the
     * client's receive timestamps and, in the payload, the server's receive timestamps for this request and its
     * transmit timestamps of the previous answer.
     */
    public void onReply(final long seq, final long rxDevice, final long rxDriver, final long rxRing, final long rxApp,
        final RpcPayload payload)
    {
        final int i = find(seq);
        if (i < 0)
        {
            return;
        }
        roundTrips++;
        record(roundTrip, rxApp - clientTxApp[i]);

        final long[] d = durations[i];
        d[CLIENT_RX] = span(rxDevice, rxDriver);
        d[CLIENT_RX + 1] = span(rxDriver, rxRing);
        d[CLIENT_RX + 2] = span(rxRing, rxApp);

        if (payload != null && payload.hasServerTimestamps())
        {
            long serverPoint = payload.serverRxDevice();
            serverRxDevice[i] = serverPoint;
            // A server that took the request from a read-only RX ring has no queue driver phases (both absent) and
            // its ring stamp is the device's (Frame.rxRingNs): the chain goes on from the device's stamp.
            final boolean ringRead = payload.serverRxDelta(0) < 0 && payload.serverRxDelta(1) < 0;
            for (int k = 0; k < RpcPayload.SERVER_RX_DELTAS; k++)
            {
                final int delta = payload.serverRxDelta(k);
                d[SERVER_RX + k] = delta;
                if (!(ringRead && k < 2))
                {
                    serverPoint = serverPoint != 0 && delta >= 0 ? serverPoint + delta : 0;
                }
            }
            serverTxApp[i] = serverPoint;
            wireOut(i);
            onServerTx(payload, rxDevice);
        }
        else
        {
            have[i] |= HAVE_SERVER_TX;
        }
        have[i] |= HAVE_REPLY;
        clientRxDevice[i] = rxDevice;
        completeIfDone(i);
    }

    /**
     * Forgets everything recorded so far, round trips in flight included: the warm-up records exactly as the
     * measurement does (so the code that records is compiled before it is measured), then starts over.
     */
    public void reset()
    {
        Arrays.fill(sequence, -1);
        roundTrip.reset();
        for (final Histogram segment : segments)
        {
            segment.reset();
        }
        clamped = 0;
        roundTrips = 0;
    }

    /** Records every round trip still waiting for parts, with the segments it has. */
    public void finish()
    {
        for (int i = 0; i < WINDOW; i++)
        {
            if (sequence[i] >= 0)
            {
                flush(i);
            }
        }
    }

    public Histogram roundTrip()
    {
        return roundTrip;
    }

    /** Histogram of segment {@code i} of {@link #SEGMENTS}. */
    public Histogram segment(final int i)
    {
        return segments[i];
    }

    public long roundTrips()
    {
        return roundTrips;
    }

    /** Values over 10 s, recorded as 10 s. */
    public long clamped()
    {
        return clamped;
    }

    private void onServerTx(final RpcPayload payload, final long answerRxDevice)
    {
        final int p = find(payload.previousSequence());
        if (p < 0 || (have[p] & HAVE_REPLY) == 0)
        {
            return;
        }
        final long[] d = durations[p];
        long point = serverTxApp[p];
        for (int k = 0; k < RpcPayload.SERVER_TX_DELTAS; k++)
        {
            final int delta = payload.serverTxDelta(k);
            d[SERVER_TX + k] = delta;
            point = point != 0 && delta >= 0 ? point + delta : 0;
        }
        d[WIRE_BACK] = span(point, clientRxDevice[p]);
        have[p] |= HAVE_SERVER_TX;
        completeIfDone(p);
    }

    private void wireOut(final int i)
    {
        if (clientTxDevice[i] != 0 && serverRxDevice[i] != 0)
        {
            durations[i][WIRE_OUT] = span(clientTxDevice[i], serverRxDevice[i]);
        }
    }

    private void completeIfDone(final int i)
    {
        if ((have[i] & COMPLETE) == COMPLETE)
        {
            flush(i);
        }
    }

    private void flush(final int i)
    {
        final long[] d = durations[i];
        for (int k = 0; k < d.length; k++)
        {
            if (d[k] >= 0)
            {
                record(segments[k], d[k]);
            }
        }
        sequence[i] = -1;
    }

    private int claim(final long seq)
    {
        final int i = (int)(seq & (WINDOW - 1));
        if (sequence[i] >= 0)
        {
            flush(i);
        }
        sequence[i] = seq;
        have[i] = 0;
        Arrays.fill(durations[i], -1);
        clientTxApp[i] = 0;
        clientTxDevice[i] = 0;
        serverRxDevice[i] = 0;
        serverTxApp[i] = 0;
        clientRxDevice[i] = 0;
        return i;
    }

    private int find(final long seq)
    {
        final int i = (int)(seq & (WINDOW - 1));
        return sequence[i] == seq ? i : -1;
    }

    private void record(final Histogram histogram, final long valueNs)
    {
        if (valueNs < 0)
        {
            return;
        }
        if (valueNs > HIGHEST_NS)
        {
            clamped++;
            histogram.recordValue(HIGHEST_NS);
        }
        else
        {
            histogram.recordValue(Math.max(1, valueNs));
        }
    }

    /** b - a when both are known and in order, else -1. */
    private static long span(final long a, final long b)
    {
        return a == 0 || b == 0 || b < a ? -1 : b - a;
    }
}
