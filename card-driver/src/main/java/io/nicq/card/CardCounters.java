package io.nicq.card;

import io.nicq.ixgbe.Statistics.CardCounter;
import io.nicq.ixgbe.Statistics.QueueCounter;
import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.proto.sbe.AttachQueueDriverDecoder;
import io.nicq.proto.sbe.DetachQueueDriverDecoder;
import io.nicq.proto.sbe.ConnectDecoder;
import io.nicq.proto.sbe.DeregisterFilterDecoder;
import io.nicq.proto.sbe.DisconnectDecoder;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.HeartbeatDecoder;
import io.nicq.proto.sbe.QueryStatsDecoder;
import io.nicq.proto.sbe.RegisterFilterDecoder;
import io.nicq.proto.sbe.ReleaseQueueDecoder;
import io.nicq.proto.sbe.RequestQueueDecoder;
import io.nicq.proto.sbe.ResolveNeighbourDecoder;
import org.agrona.CloseHelper;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

import static io.nicq.ixgbe.Registers.QUEUE_COUNT;

/**
 * The card driver's counters, in its {@link CountersFile}: the instance (clients, queues and filters in use),
 * requests by type, errors by code, the card's own statistics ({@link #CARD_COUNTERS_SAMPLED}), and per queue the
 * packets, bytes and drops of its statistics set and the counters of its queue driver. Labels are what
 * {@code nicq stat} prints. Written by the conductor thread; read by anyone.
 */
final class CardCounters
{
    /** Type ids, so tools can group counters. */
    static final int TYPE_INSTANCE = 1;
    static final int TYPE_REQUEST = 2;
    static final int TYPE_ERROR = 3;
    static final int TYPE_CARD = 4;
    static final int TYPE_QUEUE = 5;
    static final int TYPE_DEFAULT_QUEUE = 6;
    static final int TYPE_QUEUE_DRIVER = 7;
    /** The value is a pid: a client or a queue driver process of the instance ({@link ProcessCounters}). */
    static final int TYPE_PROCESS = 8;

    /**
     * Counters the file must have room for: under 256 of the instance, the requests, the errors, the card and the
     * default queue, per queue its statistics set and its queue driver's header counters, and the pids of the
     * instance's processes.
     */
    static final int MAX_COUNTERS = 256 + QUEUE_COUNT * (QueueCounter.COUNT + QueueChannelHeader.COUNTER_COUNT) +
        ProcessCounters.MAX_COUNTERS;

    private static final int MAX_TEMPLATE_ID = 32;

    private final CountersManager manager;

    final AtomicCounter clients;
    final AtomicCounter queuesInUse;
    final AtomicCounter filtersInUse;
    final AtomicCounter filtersFree;
    final AtomicCounter fiveTupleFree;
    final AtomicCounter flowDirectorFree;
    final AtomicCounter softwareFree;
    final AtomicCounter flowDirectorInUse;
    final AtomicCounter softwareInUse;
    final AtomicCounter filtersMoved;
    final AtomicCounter flowDirectorFailedAdds;
    final AtomicCounter clientsReclaimed;
    final AtomicCounter queueDriverFailures;
    final AtomicCounter unanswerableMessages;
    final AtomicCounter unexpectedTemplates;
    final AtomicCounter answersDelayed;
    final AtomicCounter answersDropped;
    final AtomicCounter logLinesSuppressed;
    final AtomicCounter dutyCycles;

    /**
     * The card-wide statistics the card driver reads and {@code nicq stat} shows. Reading clears them (8.2.3.23), so
     * the others are left to whoever else looks at the card (the fault suite counts runts and oversize frames itself).
     */
    static final CardCounter[] CARD_COUNTERS_SAMPLED = {
        CardCounter.GPRC, CardCounter.GORC, CardCounter.MPC, CardCounter.CRCERRS, CardCounter.GPTC, CardCounter.GOTC};

    /** The card's own statistics, by {@link CardCounter} ordinal, accumulated from its clear-on-read registers. */
    private final AtomicCounter[] card = new AtomicCounter[CardCounter.COUNT];

    private final AtomicCounter[] requestsByTemplate = new AtomicCounter[MAX_TEMPLATE_ID + 1];
    private final AtomicCounter[] errorsByCode;

    CardCounters(final CountersManager manager)
    {
        this.manager = manager;
        clients = manager.newCounter("clients connected", TYPE_INSTANCE);
        queuesInUse = manager.newCounter("queues in use (queue 0 included)", TYPE_INSTANCE);
        filtersInUse = manager.newCounter("filters in use", TYPE_INSTANCE);
        filtersFree = manager.newCounter("filters free", TYPE_INSTANCE);
        fiveTupleFree = manager.newCounter("filters free: 5-tuple", TYPE_INSTANCE);
        flowDirectorFree = manager.newCounter("filters free: flow director", TYPE_INSTANCE);
        softwareFree = manager.newCounter("filters free: software", TYPE_INSTANCE);
        flowDirectorInUse = manager.newCounter("filters in use: flow director", TYPE_INSTANCE);
        softwareInUse = manager.newCounter("filters in use: software", TYPE_INSTANCE);
        filtersMoved = manager.newCounter("filters moved to software (precedence kept)", TYPE_INSTANCE);
        flowDirectorFailedAdds = manager.newCounter("flow director adds refused by the card (FDIRFSTAT.FADD)",
            TYPE_INSTANCE);
        clientsReclaimed = manager.newCounter("clients reclaimed (died or timed out)", TYPE_INSTANCE);
        queueDriverFailures = manager.newCounter("queue drivers failed", TYPE_INSTANCE);
        unanswerableMessages = manager.newCounter("messages too short to answer", TYPE_INSTANCE);
        unexpectedTemplates = manager.newCounter("messages that are not requests", TYPE_INSTANCE);
        answersDelayed = manager.newCounter("answers delayed (response stream blocked)", TYPE_INSTANCE);
        answersDropped = manager.newCounter("answers dropped (nobody reading, or backlog full)", TYPE_INSTANCE);
        logLinesSuppressed = manager.newCounter("log lines suppressed (rate limit)", TYPE_INSTANCE);
        dutyCycles = manager.newCounter("conductor duty cycles", TYPE_INSTANCE);

        requestCounter(ConnectDecoder.TEMPLATE_ID, "Connect");
        requestCounter(DisconnectDecoder.TEMPLATE_ID, "Disconnect");
        requestCounter(RequestQueueDecoder.TEMPLATE_ID, "RequestQueue");
        requestCounter(ReleaseQueueDecoder.TEMPLATE_ID, "ReleaseQueue");
        requestCounter(RegisterFilterDecoder.TEMPLATE_ID, "RegisterFilter");
        requestCounter(DeregisterFilterDecoder.TEMPLATE_ID, "DeregisterFilter");
        requestCounter(ResolveNeighbourDecoder.TEMPLATE_ID, "ResolveNeighbour");
        requestCounter(HeartbeatDecoder.TEMPLATE_ID, "Heartbeat");
        requestCounter(QueryStatsDecoder.TEMPLATE_ID, "QueryStats");
        requestCounter(AttachQueueDriverDecoder.TEMPLATE_ID, "AttachQueueDriver");
        requestCounter(DetachQueueDriverDecoder.TEMPLATE_ID, "DetachQueueDriver");

        int maxCode = 0;
        for (final ErrorCode code : ErrorCode.values())
        {
            if (code != ErrorCode.NULL_VAL)
            {
                maxCode = Math.max(maxCode, code.value());
            }
        }
        errorsByCode = new AtomicCounter[maxCode + 1];
        for (final ErrorCode code : ErrorCode.values())
        {
            if (code != ErrorCode.NULL_VAL)
            {
                errorsByCode[code.value()] = manager.newCounter("errors " + code.name(), TYPE_ERROR);
            }
        }

        for (final CardCounter counter : CARD_COUNTERS_SAMPLED)
        {
            card[counter.ordinal()] = manager.newCounter("card " + counter.description() + " (" + counter.name() + ")",
                TYPE_CARD);
        }
    }

    CountersManager manager()
    {
        return manager;
    }

    /** The counter of one of {@link #CARD_COUNTERS_SAMPLED} (all instances summed: MPC of every packet buffer). */
    AtomicCounter card(final CardCounter counter)
    {
        return card[counter.ordinal()];
    }

    /** Counts a received request of a template (unknown templates are counted elsewhere). */
    void onRequest(final int templateId)
    {
        if (templateId >= 0 && templateId <= MAX_TEMPLATE_ID)
        {
            final AtomicCounter counter = requestsByTemplate[templateId];
            if (counter != null)
            {
                counter.incrementRelease();
            }
        }
    }

    void onError(final ErrorCode code)
    {
        final int value = code.value();
        if (value >= 0 && value < errorsByCode.length && errorsByCode[value] != null)
        {
            errorsByCode[value].incrementRelease();
        }
    }

    /** A queue's figures from the statistics set it has in the card; closed when the queue is freed. */
    QueueSetCounters newQueueSetCounters(final int queueId, final int statsSet)
    {
        return new QueueSetCounters(manager, queueId, statsSet);
    }

    /** A queue's copy of the counters its queue driver keeps in the channel header; closed when the queue is freed. */
    QueueDriverCounters newQueueDriverCounters(final int queueId)
    {
        return new QueueDriverCounters(manager, queueId);
    }

    private void requestCounter(final int templateId, final String name)
    {
        requestsByTemplate[templateId] = manager.newCounter("requests " + name, TYPE_REQUEST);
    }

    /** The counters of one queue, accumulated from its clear-on-read statistics set: by {@link QueueCounter}. */
    static final class QueueSetCounters implements AutoCloseable
    {
        private final AtomicCounter[] counters = new AtomicCounter[QueueCounter.COUNT];
        private final int statsSet;

        QueueSetCounters(final CountersManager manager, final int queueId, final int statsSet)
        {
            this.statsSet = statsSet;
            final String suffix = queueId == 0 ? " (stats set 0, shared with queues without a set)" :
                " (stats set " + statsSet + ")";
            for (int i = 0; i < QueueCounter.COUNT; i++)
            {
                counters[i] = manager.newCounter("queue " + queueId + " " + QueueCounter.of(i).description() + suffix,
                    TYPE_QUEUE);
            }
        }

        /** The statistics set the labels name. */
        int set()
        {
            return statsSet;
        }

        AtomicCounter get(final QueueCounter counter)
        {
            return counters[counter.ordinal()];
        }

        /** Adds what another queue set's counters hold (the same queue, counted in another set before). */
        void add(final QueueSetCounters other)
        {
            for (int i = 0; i < counters.length; i++)
            {
                counters[i].getAndAddRelease(other.counters[i].get());
            }
        }

        public void close()
        {
            CloseHelper.closeAll(counters);
        }
    }

    /**
     * The 12 counters a queue driver keeps in its channel header ({@link QueueChannelHeader#counterName(int)}), copied
     * here so that {@code nicq stat} shows them beside the card's.
     */
    static final class QueueDriverCounters implements AutoCloseable
    {
        private final AtomicCounter[] counters = new AtomicCounter[QueueChannelHeader.COUNTER_COUNT];

        QueueDriverCounters(final CountersManager manager, final int queueId)
        {
            for (int i = 0; i < counters.length; i++)
            {
                counters[i] = manager.newCounter("queue " + queueId + " driver " +
                    QueueChannelHeader.counterName(i), TYPE_QUEUE_DRIVER);
            }
        }

        /** Copies the header's values (the queue driver is their single writer). */
        void copyFrom(final QueueChannelHeader header)
        {
            for (int i = 0; i < counters.length; i++)
            {
                counters[i].setRelease(header.counter(i));
            }
        }

        public void close()
        {
            CloseHelper.closeAll(counters);
        }
    }
}
