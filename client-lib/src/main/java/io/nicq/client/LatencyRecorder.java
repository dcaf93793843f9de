package io.nicq.client;

import io.nicq.proto.channel.SlotMetadata;
import org.HdrHistogram.Histogram;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One HdrHistogram per {@link Phase}, filled from the phase timestamps in the slot metadata: pre-sized for 1 ns to
 * 10 s at 3 significant digits, so recording never allocates or resizes. A phase whose start or end timestamp is
 * absent (0) is skipped; an interval below 0 (clocks of different processes read out of order, a device timestamp
 * rebuilt from 32 bits) or above 10 s is clamped into range and counted in {@link #outOfRange()}.
 * <p>
 * A {@link NicQueue} records into its recorder ({@link NicQueue#latencyRecorder(LatencyRecorder)}): RX phases when a
 * frame is handed to the application, TX phases (and the turnaround of a reused RX slot) when the slot comes back
 * from the queue driver. Not thread safe: the polling thread records; read the histograms from that thread or after
 * it stopped, or {@link Histogram#copy() copy} them under the application's own synchronisation.
 */
public final class LatencyRecorder
{
    /** Lowest interval told apart from 0. */
    public static final long LOWEST_TRACKABLE_NS = 1;
    /** Highest interval recorded as itself; longer ones are clamped. */
    public static final long HIGHEST_TRACKABLE_NS = TimeUnit.SECONDS.toNanos(10);
    /** Value precision of the histograms. */
    public static final int SIGNIFICANT_DIGITS = 3;

    private final Histogram[] histograms = new Histogram[Phase.COUNT];
    private long outOfRange;

    public LatencyRecorder()
    {
        for (int i = 0; i < Phase.COUNT; i++)
        {
            histograms[i] = new Histogram(LOWEST_TRACKABLE_NS, HIGHEST_TRACKABLE_NS, SIGNIFICANT_DIGITS);
        }
    }

    /**
     * Records the RX phases of a slot whose frame has reached the application.
     *
     * @param metadata of the queue channel.
     * @param slot     the frame's slot.
     */
    public void recordRx(final SlotMetadata metadata, final int slot)
    {
        if (metadata.rxTakenFromRing(slot))
        {
            // Taken from a read-only RX ring: no queue driver looked at the frame, so rx-dd and rx-ring are absent
            // (not 0 ns), and the client's ring is the descriptor ring itself, published by the device's write-back.
            record(Phase.RX_APP, metadata.rxDeviceNs(slot), metadata.rxAppNs(slot));
            return;
        }
        final long driverSaw = metadata.rxDriverSawNs(slot);
        final long published = metadata.rxPublishedNs(slot);
        record(Phase.RX_DD, metadata.rxDeviceNs(slot), driverSaw);
        record(Phase.RX_RING, driverSaw, published);
        record(Phase.RX_APP, published, metadata.rxAppNs(slot));
    }

    /**
     * Records the TX phases of a slot back from the queue driver, and the turnaround if the slot was a received frame
     * reused for the answer.
     *
     * @param metadata of the queue channel.
     * @param slot     the sent frame's slot.
     */
    public void recordTx(final SlotMetadata metadata, final int slot)
    {
        final long appSend = metadata.txAppSendNs(slot);
        final long enqueued = metadata.txEnqueuedNs(slot);
        final long dequeued = metadata.txDequeuedNs(slot);
        final long doorbell = metadata.txDoorbellNs(slot);
        record(Phase.TX_ENQUEUE, appSend, enqueued);
        record(Phase.TX_DEQUEUE, enqueued, dequeued);
        record(Phase.TX_DOORBELL, dequeued, doorbell);
        record(Phase.TX_WIRE, doorbell, metadata.txWireNs(slot));
        record(Phase.TURNAROUND, metadata.rxAppNs(slot), appSend);
    }

    /**
     * Records one interval of a phase; skipped if either timestamp is 0.
     *
     * @param phase   the phase.
     * @param startNs its start, {@code System.nanoTime}.
     * @param endNs   its end.
     */
    public void record(final Phase phase, final long startNs, final long endNs)
    {
        if (startNs == 0 || endNs == 0)
        {
            return;
        }
        long interval = endNs - startNs;
        if (interval < 0)
        {
            interval = 0;
            outOfRange++;
        }
        else if (interval > HIGHEST_TRACKABLE_NS)
        {
            interval = HIGHEST_TRACKABLE_NS;
            outOfRange++;
        }
        histograms[phase.ordinal()].recordValue(interval);
    }

    /**
     * The histogram of a phase (nanoseconds), live: it keeps filling.
     *
     * @param phase the phase.
     * @return its histogram.
     */
    public Histogram histogram(final Phase phase)
    {
        return histograms[phase.ordinal()];
    }

    /**
     * The histogram of a phase by its short name ({@link Phase#phaseName()}).
     *
     * @param phaseName e.g. "tx-enqueue".
     * @return its histogram.
     * @throws IllegalArgumentException if no phase has that name.
     */
    public Histogram histogram(final String phaseName)
    {
        return histogram(Phase.byName(phaseName));
    }

    /**
     * Every phase's histogram by short name, in phase order (a new map of the live histograms).
     *
     * @return phase name to histogram.
     */
    public Map<String, Histogram> histograms()
    {
        final Map<String, Histogram> byName = new LinkedHashMap<>();
        for (int i = 0; i < Phase.COUNT; i++)
        {
            byName.put(Phase.get(i).phaseName(), histograms[i]);
        }
        return Collections.unmodifiableMap(byName);
    }

    /**
     * Adds another recorder's counts to this one's (e.g. a client's and a server's for one report).
     *
     * @param other recorder to add.
     * @return this.
     */
    public LatencyRecorder add(final LatencyRecorder other)
    {
        for (int i = 0; i < Phase.COUNT; i++)
        {
            histograms[i].add(other.histograms[i]);
        }
        outOfRange += other.outOfRange;
        return this;
    }

    /** Intervals clamped into [0, 10 s]: negative ones and those over the top. */
    public long outOfRange()
    {
        return outOfRange;
    }

    /** Clears every histogram and the out-of-range count, e.g. after a warm-up. */
    public void reset()
    {
        for (final Histogram histogram : histograms)
        {
            histogram.reset();
        }
        outOfRange = 0;
    }
}
