package io.nicq.card;

import java.util.Arrays;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.Statistics;
import io.nicq.ixgbe.Statistics.CardCounter;
import io.nicq.ixgbe.Statistics.QueueCounter;
import io.nicq.proto.channel.QueueChannelHeader;
import org.agrona.CloseHelper;

import static io.nicq.ixgbe.Registers.*;

/**
 * Statistics sampling, the third part of the queue lifecycle beside the queue table and the queue-driver supervisor:
 * it reads the card's clear-on-read statistics (8.2.3.23: {@link CardCounters#CARD_COUNTERS_SAMPLED} and the
 * per-queue sets) and the counters every queue driver keeps in its channel header into the counters file that
 * {@code nicq stat} prints. It hands out the 16 per-queue statistics sets as the 82599 maps them (RQSMR/TQSM): 15 go
 * to queues while they last; set 0 is queue 0's and counts every queue without a set of its own.
 * <p>
 * The queue table tells it when a queue is attached, disabled and freed; it knows nothing of the table. Conductor
 * thread only (it writes RQSMR/TQSM).
 */
final class StatisticsSampler
{
    /** Statistics set 0 is where every unmapped queue counts (RQSMR/TQSM reset to 0): it belongs to queue 0. */
    static final int SHARED_SET = 0;
    /** The set of a queue that has none. */
    static final int NO_SET = -1;

    private final Bar bar;
    private final CardCounters counters;
    private final int[] ownerOfSet = new int[QUEUE_STATS_COUNT];
    private final int[] setOfQueue = new int[QUEUE_COUNT];
    private final CardCounters.QueueSetCounters[] setCounters = new CardCounters.QueueSetCounters[QUEUE_COUNT];
    private final CardCounters.QueueDriverCounters[] driverCounters =
        new CardCounters.QueueDriverCounters[QUEUE_COUNT];
    private final QueueChannelHeader[] headers = new QueueChannelHeader[QUEUE_COUNT];

    StatisticsSampler(final Bar bar, final CardCounters counters)
    {
        this.bar = bar;
        this.counters = counters;
        Arrays.fill(ownerOfSet, -1);
        ownerOfSet[SHARED_SET] = 0;
        Arrays.fill(setOfQueue, NO_SET);
    }

    /**
     * A queue driver attached: the queue gets a statistics set while there is one (queue 0: set 0), cleared so that
     * it counts from zero, and counters for the set and for its queue driver's header.
     *
     * @return the set, or {@link #NO_SET} when all 15 are taken (the queue then counts in set 0)
     */
    int queueAttached(final int queueId, final QueueChannelHeader header)
    {
        headers[queueId] = header;
        if (driverCounters[queueId] == null)
        {
            driverCounters[queueId] = counters.newQueueDriverCounters(queueId);
        }
        final int set = mapSet(queueId);
        setOfQueue[queueId] = set;
        final CardCounters.QueueSetCounters previous = setCounters[queueId];
        if (set != NO_SET && (previous == null || previous.set() != set))
        {
            // Attached again after a detach, to another set: the counts so far carry over to the new labels.
            final CardCounters.QueueSetCounters fresh = counters.newQueueSetCounters(queueId, set);
            if (previous != null)
            {
                fresh.add(previous);
                previous.close();
            }
            setCounters[queueId] = fresh;
        }
        return set;
    }

    /**
     * The queue is disabled in the card: its set is read a last time and given back (the queue counts in set 0
     * again). Its counters stay until it is freed.
     */
    void queueDisabled(final int queueId)
    {
        final int set = setOfQueue[queueId];
        if (set != NO_SET)
        {
            sampleSet(queueId, set);
            unmapSet(queueId, set);
            setOfQueue[queueId] = NO_SET;
        }
    }

    /** The queue is free: its queue driver's counters are copied a last time and all its counters closed. */
    void queueFreed(final int queueId)
    {
        queueDisabled(queueId);
        if (driverCounters[queueId] != null && headers[queueId] != null)
        {
            driverCounters[queueId].copyFrom(headers[queueId]);
        }
        CloseHelper.quietCloseAll(driverCounters[queueId], setCounters[queueId]);
        driverCounters[queueId] = null;
        setCounters[queueId] = null;
        headers[queueId] = null;
    }

    /** Reads the card-wide counters it reports, every mapped set and every queue driver's header counters. */
    void sample()
    {
        for (final CardCounter counter : CardCounters.CARD_COUNTERS_SAMPLED)
        {
            counters.card(counter).getAndAddRelease(counter.readAll(bar));   // 8.2.3.23, clear on read
        }
        for (int q = 0; q < QUEUE_COUNT; q++)
        {
            if (setOfQueue[q] != NO_SET)
            {
                sampleSet(q, setOfQueue[q]);
            }
            if (driverCounters[q] != null)
            {
                driverCounters[q].copyFrom(headers[q]);
            }
        }
    }

    /** The statistics set of a queue, or {@link #NO_SET}. */
    int setOf(final int queueId)
    {
        return setOfQueue[queueId];
    }

    /** Sets that can still be handed out. */
    int setsFree()
    {
        int free = 0;
        for (int set = SHARED_SET + 1; set < QUEUE_STATS_COUNT; set++)
        {
            free += ownerOfSet[set] < 0 ? 1 : 0;
        }
        return free;
    }

    /** Adds what a queue's set has counted so far to a client's totals (Stats). */
    void addTotals(final int queueId, final Totals totals)
    {
        final CardCounters.QueueSetCounters c = setCounters[queueId];
        if (c != null)
        {
            totals.rxPackets += c.get(QueueCounter.QPRC).get();
            totals.rxBytes += c.get(QueueCounter.QBRC).get();
            totals.rxDrops += c.get(QueueCounter.QPRDC).get();
            totals.txPackets += c.get(QueueCounter.QPTC).get();
            totals.txBytes += c.get(QueueCounter.QBTC).get();
        }
    }

    private void sampleSet(final int queueId, final int set)
    {
        final CardCounters.QueueSetCounters c = setCounters[queueId];
        for (int i = 0; i < QueueCounter.COUNT; i++)
        {
            final QueueCounter counter = QueueCounter.of(i);
            final long value = counter.read(bar, set);                   // 8.2.3.23, clear on read
            if (c != null)
            {
                c.get(counter).getAndAddRelease(value);
            }
        }
    }

    private int mapSet(final int queueId)
    {
        if (queueId == 0)
        {
            return SHARED_SET;
        }
        for (int set = SHARED_SET + 1; set < QUEUE_STATS_COUNT; set++)
        {
            if (ownerOfSet[set] < 0)
            {
                ownerOfSet[set] = queueId;
                Statistics.clearSet(bar, set);                            // 8.2.3.23: counts from zero
                writeMapping(queueId, set);
                return set;
            }
        }
        return NO_SET;
    }

    private void unmapSet(final int queueId, final int set)
    {
        if (set > SHARED_SET && ownerOfSet[set] == queueId)
        {
            writeMapping(queueId, SHARED_SET);
            ownerOfSet[set] = -1;
        }
    }

    private void writeMapping(final int queue, final int set)
    {
        final int shift = 8 * (queue & 3);
        final int mask = 0xF << shift;
        final int register = queue >> 2;
        // 8.2.3.8 RQSMR and 8.2.3.9 TQSM: four queues per register, set index in the low nibble of each byte.
        bar.write(rqsmr(register), (bar.read(rqsmr(register)) & ~mask) | (set << shift));
        bar.write(tqsm(register), (bar.read(tqsm(register)) & ~mask) | (set << shift));
    }

    /** A client's queues summed for {@code Stats}: reused, one per conductor. */
    static final class Totals
    {
        long rxPackets;
        long rxBytes;
        long rxDrops;
        long txPackets;
        long txBytes;

        void clear()
        {
            rxPackets = 0;
            rxBytes = 0;
            rxDrops = 0;
            txPackets = 0;
            txBytes = 0;
        }
    }
}
