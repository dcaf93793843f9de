package io.nicq.card;

import io.nicq.ixgbe.Statistics.CardCounter;
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

/**
 * The card driver's counters, in its {@link CountersFile}: the instance (clients, queues and filters in use),
 * requests by type, errors by code, the card's own statistics (every {@link CardCounter}), and per queue the packets,
 * bytes and drops read from the card. Labels are what {@code nicq stat} prints. Written by the conductor thread; read by anyone.
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

    private static final int MAX_TEMPLATE_ID = 32;

    private final CountersManager manager;

    final AtomicCounter clients;
    final AtomicCounter queuesInUse;
    final AtomicCounter filtersInUse;
    final AtomicCounter filtersFree;
    final AtomicCounter clientsReclaimed;
    final AtomicCounter queueDriverFailures;
    final AtomicCounter unanswerableMessages;
    final AtomicCounter unexpectedTemplates;
    final AtomicCounter answersDelayed;
    final AtomicCounter answersDropped;
    final AtomicCounter logLinesSuppressed;
    final AtomicCounter dutyCycles;

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

        for (int i = 0; i < CardCounter.COUNT; i++)
        {
            final CardCounter counter = CardCounter.of(i);
            card[i] = manager.newCounter("card " + counter.description() + " (" + counter.name() + ")", TYPE_CARD);
        }
    }

    CountersManager manager()
    {
        return manager;
    }

    /** The counter of one of the card's statistics registers (all instances summed: MPC of every packet buffer). */
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

    /** Per-queue figures read from the card's queue statistics set; freed when the queue is released. */
    QueueCounters newQueueCounters(final int queueId, final int statsSet)
    {
        return new QueueCounters(manager, queueId, statsSet);
    }

    private void requestCounter(final int templateId, final String name)
    {
        requestsByTemplate[templateId] = manager.newCounter("requests " + name, TYPE_REQUEST);
    }

    /** The counters of one queue, accumulated from the card's clear-on-read per-queue statistics. */
    static final class QueueCounters implements AutoCloseable
    {
        final AtomicCounter rxPackets;
        final AtomicCounter rxBytes;
        final AtomicCounter rxDrops;
        final AtomicCounter txPackets;
        final AtomicCounter txBytes;

        QueueCounters(final CountersManager manager, final int queueId, final int statsSet)
        {
            final String prefix = "queue " + queueId + " ";
            final String suffix = queueId == 0 ? " (stats set 0, shared with queues without a set)" :
                " (stats set " + statsSet + ")";
            rxPackets = manager.newCounter(prefix + "rx packets" + suffix, TYPE_QUEUE);
            rxBytes = manager.newCounter(prefix + "rx bytes" + suffix, TYPE_QUEUE);
            rxDrops = manager.newCounter(prefix + "rx drops, no descriptor" + suffix, TYPE_QUEUE);
            txPackets = manager.newCounter(prefix + "tx packets" + suffix, TYPE_QUEUE);
            txBytes = manager.newCounter(prefix + "tx bytes" + suffix, TYPE_QUEUE);
        }

        public void close()
        {
            CloseHelper.closeAll(rxPackets, rxBytes, rxDrops, txPackets, txBytes);
        }
    }
}
