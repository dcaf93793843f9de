package io.nicq.card;

import io.nicq.packet.Ipv4Address;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.Header;
import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.Nic;
import io.nicq.runtime.Durations;
import io.nicq.proto.ControlMessageValidator;
import io.nicq.proto.ControlProtocol;
import io.nicq.proto.ControlWakeWords;
import io.nicq.runtime.WakeWord;
import io.nicq.proto.channel.QueueChannelLayout;
import io.nicq.proto.sbe.*;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;

import static io.nicq.ixgbe.Registers.*;

/**
 * The card driver's one control thread: it alone touches the filter and queue registers (as the thesis's card driver
 * does, so nothing needs a lock) and owns every table. It also runs the embedded media driver and the card driver's
 * Aeron client (their duty cycles, as agent invokers), so the whole control plane is one thread. Each duty cycle it
 * <ol>
 *   <li>serves the control protocol: every request is validated ({@link ControlMessageValidator}) before it is
 *       decoded and gets exactly one answer, its result or an {@code Error}; a malformed request never stops it;</li>
 *   <li>takes the events of the queue-driver supervisor (a driver exited, a driver thread needs its queue
 *       disabled);</li>
 *   <li>runs the default-queue service (ARP, ICMP echo, neighbour resolution);</li>
 *   <li>every {@code livenessCheckInterval}: reclaims clients whose process died or who went silent, enforces queue
 *       driver deadlines;</li>
 *   <li>every {@code statsInterval}: samples the card's and the queues' statistics into the counters and beats the
 *       counters file's heartbeat;</li>
 *   <li>signals the control wake file's answers word when it published answers, its notices word after a
 *       {@code QueueRevoked}.</li>
 * </ol>
 * Between duty cycles it sleeps ({@link ConductorIdleStrategy}) until something rings the requests word (a client's
 * request, a queue-driver event, queue 0's driver moving frames) or {@link #nextDeadlineNs} is due: the liveness tick
 * (every {@code livenessCheckInterval} while a client or a client queue exists, every {@code idleTickInterval}
 * otherwise), statistics, a neighbour retry, a blocked answer backlog, or a client asking for attention. Timers due
 * within {@link #TIMER_SLACK_NS} of each other run on one wake-up.
 * The queue lifecycle is three parts that do not know each other: the queue table ({@link QueueTable}: the state
 * machine, the registers, the channel files), the supervisor of queue drivers ({@link QueueDriverSupervisor}: threads
 * and processes; it posts events) and statistics sampling ({@link StatisticsSampler}). The conductor joins them:
 * it grants and then starts a driver, revokes and then stops it, frees the queue once the driver has gone.
 */
final class CardDriverConductor implements Agent, QueueDriverSupervisor.EventHandler
{
    private static final FilterKind[] FILTER_KINDS = FilterKind.values();
    private static final int FRAGMENT_LIMIT = 16;
    /**
     * A duty cycle that takes longer, or starts later than planned by more, means the conductor was held up, not that
     * clients were silent.
     */
    private static final long STALL_NS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Timers due this close together run on one wake-up. */
    static final long TIMER_SLACK_NS = TimeUnit.MILLISECONDS.toNanos(10);
    /** How soon the conductor runs again while answers wait in the backlog for a blocked stream. */
    private static final long BACKLOG_RETRY_NS = TimeUnit.MILLISECONDS.toNanos(1);
    /** How long an orderly stop waits for answers held back by a blocked response stream (revocations among them). */
    private static final long ANSWER_FLUSH_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final int EVENT_LIMIT = 16;
    /** Smallest message that carries a correlation id and a client id: header, then both int64s. */
    private static final int ANSWERABLE_LENGTH = MessageHeaderDecoder.ENCODED_LENGTH + 16;

    private final CardDriver.Context ctx;
    private final CardLog log;
    private final Nic nic;
    private final Bar bar;
    private final long mac;
    private final CardCounters counters;
    private final CountersFile countersFile;
    private final AgentInvoker aeronInvoker;
    private final AgentInvoker mediaDriverInvoker;
    private final ControlWakeWords wakeWords;
    private final WakeWord answersWord;
    private final WakeWord noticesWord;
    private ConductorIdleStrategy sleeper;
    private long answersSignalled;
    private long noticesSignalled;
    private long previousDutyEndNs;
    private final Subscription requests;
    private final Publication answers;
    private final FragmentAssembler assembler;
    private final ResponsePublisher publisher;
    private final FilterManager filters;
    private final StatisticsSampler statistics;
    private final QueueTable queues;
    private final QueueDriverSupervisor supervisor;
    private final DefaultQueueService netd;
    private final ProcessCounters processes;
    private final Long2ObjectHashMap<ClientSession> clients = new Long2ObjectHashMap<>();
    private final List<ClientSession> scratchSessions = new ArrayList<>();
    private final StatisticsSampler.Totals totals = new StatisticsSampler.Totals();

    private final ControlMessageValidator validator = new ControlMessageValidator();
    private final ConnectDecoder connect = new ConnectDecoder();
    private final DisconnectDecoder disconnect = new DisconnectDecoder();
    private final RequestQueueDecoder requestQueue = new RequestQueueDecoder();
    private final ReleaseQueueDecoder releaseQueue = new ReleaseQueueDecoder();
    private final RegisterFilterDecoder registerFilter = new RegisterFilterDecoder();
    private final DeregisterFilterDecoder deregisterFilter = new DeregisterFilterDecoder();
    private final ResolveNeighbourDecoder resolveNeighbour = new ResolveNeighbourDecoder();
    private final AttachQueueDriverDecoder attachQueueDriver = new AttachQueueDriverDecoder();
    private final DetachQueueDriverDecoder detachQueueDriver = new DetachQueueDriverDecoder();

    private long nextLivenessCheckNs;
    private long nextStatsNs;
    private long nowNs;
    /** The Aeron session of the request being handled: a client id is honoured only over its own session. */
    private int requestSessionId;
    /** Why the card failed, once it has; every request but Disconnect and Heartbeat is then refused with it. */
    private String cardFailure;

    CardDriverConductor(
        final CardDriver.Context ctx,
        final CardLog log,
        final Nic nic,
        final long mac,
        final Aeron aeron,
        final AgentInvoker mediaDriverInvoker,
        final ControlWakeWords wakeWords,
        final ConductorDoorbell doorbell,
        final CardCounters counters,
        final CountersFile countersFile)
    {
        this.ctx = ctx;
        this.log = log;
        this.nic = nic;
        this.bar = nic.bar();
        this.mac = mac;
        this.counters = counters;
        this.countersFile = countersFile;
        this.aeronInvoker = aeron.conductorAgentInvoker();
        this.mediaDriverInvoker = mediaDriverInvoker;
        this.wakeWords = wakeWords;
        this.answersWord = wakeWords.answers();
        this.noticesWord = wakeWords.notices();
        this.requests = aeron.addSubscription(ControlProtocol.CHANNEL, ControlProtocol.REQUEST_STREAM_ID);
        this.answers = aeron.addExclusivePublication(ControlProtocol.RESPONSE_PUBLICATION_CHANNEL,
            ControlProtocol.RESPONSE_STREAM_ID);
        this.assembler = new FragmentAssembler(this::onFragment);
        this.publisher = new ResponsePublisher(answers::offer, counters, log);
        this.filters = new FilterManager(bar, ctx);
        this.statistics = new StatisticsSampler(bar, counters);
        this.queues = new QueueTable(ctx, log, nic, filters, statistics, publisher);
        this.supervisor = new QueueDriverSupervisor(ctx, log, nic, aeron.context().aeronDirectoryName(),
            doorbell::ring);
        this.netd = new DefaultQueueService(ctx, mac, publisher, counters.manager(), filters.software(),
            queues::forwardRing);
        this.processes = new ProcessCounters(counters.manager());
    }

    /**
     * Starts queue 0 (a queue driver thread, the hardware queue enabled) and the default-queue service on it; called
     * before the conductor thread starts, so this thread is the one writer of the registers until then.
     */
    void startDefaultQueue()
    {
        final int ringSize = Math.min(ctx.defaultRingSize(), 512);
        final QueueEntry entry = queues.grantDefaultQueue(ringSize, Math.max(2 * ringSize,
            QueueChannelLayout.MIN_SLOT_COUNT));
        try
        {
            queues.driverStarted(entry, supervisor.startThread(0, entry.channelFile(), entry.ringSize(),
                queues.directAttacher()), ProcessHandle.current().pid());
        }
        catch (final RuntimeException ex)
        {
            queues.revoke(entry, RevokeReason.QUEUE_DRIVER_FAILED, "its queue driver did not start", false);
            queues.free(entry);
            throw new IllegalStateException("the default queue (queue 0) did not start: " + ex.getMessage(), ex);
        }
        netd.start(entry.channel());
        updateGauges();
        log.info("default queue 0 running: ARP and ICMP echo for " + Ipv4Address.toString(ctx.ipv4()) +
            ", neighbour resolution for clients");
    }

    public String roleName()
    {
        return "nicq-card-driver-" + ctx.instance();
    }

    /** The default idle strategy, when the card driver uses it: its plan says when a duty cycle started late. */
    void sleeper(final ConductorIdleStrategy sleeper)
    {
        this.sleeper = sleeper;
    }

    public void onStart()
    {
        nowNs = System.nanoTime();
        nextLivenessCheckNs = nowNs + livenessTickNs();
        nextStatsNs = nowNs + ctx.statsIntervalNs();
    }

    public int doWork()
    {
        nowNs = System.nanoTime();
        final long plannedNs = sleeper != null ? Math.max(previousDutyEndNs, sleeper.plannedWakeNs()) :
            previousDutyEndNs;
        if (previousDutyEndNs != 0 && nowNs - plannedNs > STALL_NS)
        {
            heldUp(nowNs);   // not scheduled in time
        }
        // The media driver's and the Aeron client's own timers are housekeeping, not work: counted, they would keep
        // the conductor from sleeping every time one fires.
        if (mediaDriverInvoker != null)
        {
            mediaDriverInvoker.invoke();
        }
        aeronInvoker.invoke();
        int work = publisher.doWork();
        work += requests.poll(assembler, FRAGMENT_LIMIT);
        work += pollDriverEvents();
        work += netd.doWork(nowNs);

        if (nowNs - nextLivenessCheckNs >= -TIMER_SLACK_NS)
        {
            nextLivenessCheckNs = nowNs + livenessTickNs();
            checkCard();
            work += checkClients();
            checkQueueDeadlines();
            updateGauges();
        }
        if (nowNs - nextStatsNs >= -TIMER_SLACK_NS)
        {
            nextStatsNs = nowNs + ctx.statsIntervalNs();
            statistics.sample();
            countersFile.heartbeat(System.currentTimeMillis());
            counters.logLinesSuppressed.setRelease(log.suppressedLines());
        }
        signalReaders();
        counters.dutyCycles.incrementRelease();
        final long endNs = System.nanoTime();
        if (endNs - nowNs > STALL_NS)
        {
            heldUp(endNs);   // a slow register wait, a process start
        }
        previousDutyEndNs = endNs;
        return work;
    }

    /**
     * When the conductor must run again however quiet the clients are: the next timer, a neighbour retry, soon while
     * answers wait for a blocked stream, at once-a-millisecond while a client asks for attention.
     */
    long nextDeadlineNs(final long nowNs)
    {
        long deadline = nextLivenessCheckNs - nextStatsNs < 0 ? nextLivenessCheckNs : nextStatsNs;
        final long netdNs = netd.nextTimerNs(nowNs, ctx.idleTickIntervalNs());
        if (netdNs - deadline < 0)
        {
            deadline = netdNs;
        }
        if (publisher.backlogBytes() > 0 && nowNs + BACKLOG_RETRY_NS - deadline < 0)
        {
            deadline = nowNs + BACKLOG_RETRY_NS;
        }
        final long attentionNs = wakeWords.attentionDeadlineNs();
        if (attentionNs != 0 && attentionNs - nowNs > 0 && nowNs + ConductorIdleStrategy.ATTENTION_POLL_NS -
            deadline < 0)
        {
            deadline = nowNs + ConductorIdleStrategy.ATTENTION_POLL_NS;
        }
        return deadline;
    }

    /** Client pids are checked often while there are clients (a dead one is reclaimed at once); rarely otherwise. */
    private long livenessTickNs()
    {
        return clients.isEmpty() && queues.inUse() <= 1 ? ctx.idleTickIntervalNs() : ctx.livenessCheckIntervalNs();
    }

    /** Requests queued while the conductor was held up were not read: nobody's silence is judged over that time. */
    private void heldUp(final long timeNs)
    {
        for (final ClientSession session : clients.values())
        {
            session.seen(timeNs);
        }
    }

    /** Clients waiting for answers, and heartbeat threads waiting for notices, are told there is something to read. */
    private void signalReaders()
    {
        final long answers = publisher.published();
        if (answers != answersSignalled)
        {
            answersSignalled = answers;
            answersWord.signal();
        }
        final long notices = publisher.noticesPublished();
        if (notices != noticesSignalled)
        {
            noticesSignalled = notices;
            noticesWord.signal();
        }
    }

    /**
     * Orderly stop, on the conductor thread: pending neighbour requests answered, every queue revoked (clients told)
     * and its driver stopped, the filters and the ARP filter cleared, receive disabled.
     */
    public void onClose()
    {
        try
        {
            netd.close();
            pollDriverEvents();
            shutdownQueues();
            pollDriverEvents();
            filters.clearAll();
            bar.write(etqf(CardInit.ARP_ETQF_INDEX), 0);              // 8.2.3.7 ETQF: ARP filter off
            bar.write(etqs(CardInit.ARP_ETQF_INDEX), 0);              // 8.2.3.7 ETQS
            bar.write(RXCTRL, bar.read(RXCTRL) & ~RXCTRL_RXEN);        // 8.2.3.8.10 RXCTRL.RXEN off
            bar.write(CTRL_EXT, bar.read(CTRL_EXT) & ~CTRL_EXT_DRV_LOAD); // 8.2.3.1.3 CTRL_EXT.DRV_LOAD: released
            updateGauges();
            log.info("queues revoked and disabled, filters cleared, queue drivers stopped");
        }
        finally
        {
            flushAnswers();
            CloseHelper.quietCloseAll(answers, requests);
            CloseHelper.quietCloseAll(answersWord, noticesWord);
        }
    }

    /**
     * Sends the answers held back (revocations among them) before the stream closes, for at most
     * {@link #ANSWER_FLUSH_TIMEOUT_NS}; the media driver runs meanwhile, since only it moves the stream's limit.
     */
    private void flushAnswers()
    {
        final long deadline = System.nanoTime() + ANSWER_FLUSH_TIMEOUT_NS;
        while (publisher.backlogBytes() > 0 && System.nanoTime() - deadline < 0)
        {
            if (mediaDriverInvoker != null)
            {
                mediaDriverInvoker.invoke();
            }
            if (publisher.doWork() == 0)
            {
                Thread.yield();
            }
        }
        publisher.flush(0);
        signalReaders();
    }

    private int pollDriverEvents()
    {
        final int count = supervisor.poll(this, EVENT_LIMIT);
        if (count > 0)
        {
            updateGauges();
        }
        return count;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The queue lifecycle: the table's transitions, the supervisor's drivers
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Starts the queue driver of a granted queue (PROCESS: a child JVM that will attach through the protocol; THREAD:
     * attached and running on return; INLINE: the client attaches itself).
     *
     * @throws RequestException QUEUE_DRIVER_FAILED, the queue taken back
     */
    private void startQueueDriver(final QueueEntry entry, final ClientSession client)
    {
        try
        {
            switch (entry.mode())
            {
                case PROCESS ->
                {
                    final long driverId = supervisor.startProcess(entry.id(), entry.channelFile(), entry.ringSize());
                    queues.driverStarted(entry, driverId, supervisor.pid(entry.id()));
                }
                case THREAD -> queues.driverStarted(entry, supervisor.startThread(entry.id(), entry.channelFile(),
                    entry.ringSize(), queues.directAttacher()), ProcessHandle.current().pid());
                default -> queues.driverStarted(entry, QueueEntry.NO_DRIVER, client.pid());
            }
        }
        catch (final RuntimeException ex)
        {
            final String message = "queue driver of queue " + entry.id() + " did not start: " + ex.getMessage();
            revoke(entry, RevokeReason.QUEUE_DRIVER_FAILED, message, false);
            throw new RequestException(ErrorCode.QUEUE_DRIVER_FAILED, message);
        }
        log.info("queue " + entry.id() + " granted to " + client.describe() + ": " + entry.mode() + ", ring " +
            entry.ringSize() + ", " + entry.slotCount() + " slots" + (entry.driverId() != QueueEntry.NO_DRIVER ?
            ", driver " + supervisor.describe(entry.id()) : ""));
    }

    /**
     * Takes a queue away (the table: filters, hardware, channel, client told) and stops its queue driver. A queue
     * driver process still running after SIGTERM keeps the queue REVOKED until it has exited (or is killed at the
     * deadline); otherwise the queue is free on return.
     */
    private void revoke(final QueueEntry entry, final RevokeReason reason, final String message, final boolean notify)
    {
        if (!queues.revoke(entry, reason, message, notify))
        {
            return;
        }
        final long driverId = entry.driverId();
        if (driverId != QueueEntry.NO_DRIVER)
        {
            supervisor.stop(entry.id(), driverId);
            if (supervisor.isRunning(entry.id(), driverId))
            {
                return;
            }
        }
        queues.free(entry);
    }

    /** Every queue of a client taken away (it disconnected, died or timed out). */
    private void revokeAllOf(final ClientSession client, final RevokeReason reason, final String message,
        final boolean notify)
    {
        for (int q = QueueTable.FIRST_CLIENT_QUEUE; q < QUEUE_COUNT; q++)
        {
            final QueueEntry entry = queues.entry(q);
            if (entry.isOwnedBy(client.clientId()))
            {
                revoke(entry, reason, message, notify);
            }
        }
    }

    /** Queue drivers that never attached; queue driver processes that ignore SIGTERM. */
    private void checkQueueDeadlines()
    {
        for (int q = QueueTable.FIRST_CLIENT_QUEUE; q < QUEUE_COUNT; q++)
        {
            final QueueEntry entry = queues.entry(q);
            if (entry.state() == QueueEntry.State.GRANTED && entry.mode() != QueueMode.INLINE &&
                !entry.hasDriverDetached() && nowNs - entry.deadlineNs() > 0)
            {
                counters.queueDriverFailures.incrementRelease();
                revoke(entry, RevokeReason.QUEUE_DRIVER_FAILED, "the queue driver of queue " + q +
                    " did not attach within " + Durations.format(ctx.queueDriverStartTimeoutNs()) +
                    (entry.driverId() != QueueEntry.NO_DRIVER ? " (" + supervisor.describe(q) + ")" : ""), true);
            }
            else if (entry.state() == QueueEntry.State.REVOKED && nowNs - entry.deadlineNs() > 0)
            {
                log.info("queue " + q + ": queue driver " + supervisor.describe(q) + " did not exit within " +
                    Durations.format(ctx.queueDriverStopTimeoutNs()) + " of SIGTERM; killing it");
                supervisor.kill(q, entry.driverId());
                entry.extendExitDeadline(nowNs + ctx.queueDriverStopTimeoutNs());
            }
        }
    }

    /** A queue driver thread is about to free its rings: its queue is disabled first, if it still is its queue's. */
    public void onDriverDetaching(final int queueId, final long driverId)
    {
        final QueueEntry entry = queues.entry(queueId);
        if (entry.driverId() == driverId && entry.state() != QueueEntry.State.FREE)
        {
            queues.disableHardware(entry);
        }
    }

    /**
     * A queue driver has exited. A revoked queue is free now; a queue still held has lost its driver, which is a
     * failure unless it had detached in order: the queue is revoked and its client told. Queue 0 stays the card
     * driver's, disabled.
     */
    public void onDriverExited(final int queueId, final long driverId, final String description)
    {
        final QueueEntry entry = queues.entry(queueId);
        if (entry.driverId() != driverId || entry.state() == QueueEntry.State.FREE)
        {
            return;
        }
        if (entry.state() == QueueEntry.State.REVOKED)
        {
            queues.free(entry);
        }
        else if (queueId == 0)
        {
            log.info("the default queue's driver stopped: " + description);
            queues.driverGone(entry);
        }
        else
        {
            if (!entry.hasDriverDetached())
            {
                counters.queueDriverFailures.incrementRelease();
            }
            revoke(entry, RevokeReason.QUEUE_DRIVER_FAILED, description, true);
        }
    }

    /** Orderly stop: every client queue revoked (clients told), their drivers stopped and waited for, then queue 0. */
    private void shutdownQueues()
    {
        for (int q = QueueTable.FIRST_CLIENT_QUEUE; q < QUEUE_COUNT; q++)
        {
            revoke(queues.entry(q), RevokeReason.SHUTTING_DOWN, "the card driver is stopping", true);
        }
        final long deadline = System.nanoTime() + ctx.queueDriverStopTimeoutNs();
        for (int q = QueueTable.FIRST_CLIENT_QUEUE; q < QUEUE_COUNT; q++)
        {
            final QueueEntry entry = queues.entry(q);
            if (entry.state() == QueueEntry.State.REVOKED)
            {
                supervisor.awaitExit(q, entry.driverId(), deadline);
                queues.free(entry);
            }
        }
        revoke(queues.entry(0), RevokeReason.SHUTTING_DOWN, "the card driver is stopping", false);
    }

    private void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        if (length < ANSWERABLE_LENGTH)
        {
            counters.unanswerableMessages.incrementRelease();
            log.warnLimited("dropped a request of " + length + " bytes: too short to carry a correlation id and " +
                "a client id, so it cannot be answered");
            return;
        }
        final long correlationId = buffer.getLong(offset + MessageHeaderDecoder.ENCODED_LENGTH,
            ByteOrder.LITTLE_ENDIAN);
        final long clientId = buffer.getLong(offset + MessageHeaderDecoder.ENCODED_LENGTH + 8,
            ByteOrder.LITTLE_ENDIAN);

        final ErrorCode invalid = validator.validate(buffer, offset, length);
        if (invalid != null)
        {
            log.warnLimited("malformed request from client " + clientId + ": " + validator.lastError());
            publisher.error(correlationId, clientId, invalid, validator.lastError());
            return;
        }

        final int templateId = validator.templateId();
        counters.onRequest(templateId);
        requestSessionId = header.sessionId();
        if (cardFailure != null && templateId != DisconnectDecoder.TEMPLATE_ID &&
            templateId != HeartbeatDecoder.TEMPLATE_ID)
        {
            publisher.error(correlationId, clientId, ErrorCode.CARD_FAILED, cardFailure);
            return;
        }
        final int body = offset + MessageHeaderDecoder.ENCODED_LENGTH;
        final int blockLength = validator.blockLength();
        final int version = validator.version();
        try
        {
            switch (templateId)
            {
                case ConnectDecoder.TEMPLATE_ID ->
                {
                    connect.wrap(buffer, body, blockLength, version);
                    onConnect(correlationId, clientId, connect.pid(), connect.name());
                }
                case DisconnectDecoder.TEMPLATE_ID ->
                {
                    disconnect.wrap(buffer, body, blockLength, version);
                    onDisconnect(correlationId, clientId);
                }
                case RequestQueueDecoder.TEMPLATE_ID ->
                {
                    requestQueue.wrap(buffer, body, blockLength, version);
                    onRequestQueue(correlationId, clientId, requestQueue.ringSize(), requestQueue.slotCount(),
                        requestedService(requestQueue.serviceRaw()));
                }
                case ReleaseQueueDecoder.TEMPLATE_ID ->
                {
                    releaseQueue.wrap(buffer, body, blockLength, version);
                    onReleaseQueue(correlationId, clientId, releaseQueue.queueId());
                }
                case RegisterFilterDecoder.TEMPLATE_ID ->
                {
                    registerFilter.wrap(buffer, body, blockLength, version);
                    onRegisterFilter(correlationId, clientId, registerFilter);
                }
                case DeregisterFilterDecoder.TEMPLATE_ID ->
                {
                    deregisterFilter.wrap(buffer, body, blockLength, version);
                    onDeregisterFilter(correlationId, clientId, deregisterFilter.filterId());
                }
                case ResolveNeighbourDecoder.TEMPLATE_ID ->
                {
                    resolveNeighbour.wrap(buffer, body, blockLength, version);
                    session(clientId);
                    netd.resolve(correlationId, clientId, (int)resolveNeighbour.ipv4(), nowNs);
                }
                case HeartbeatDecoder.TEMPLATE_ID ->
                {
                    session(clientId);
                    publisher.heartbeatAck(correlationId, clientId);
                }
                case QueryStatsDecoder.TEMPLATE_ID -> onQueryStats(correlationId, clientId);
                case AttachQueueDriverDecoder.TEMPLATE_ID ->
                {
                    attachQueueDriver.wrap(buffer, body, blockLength, version);
                    onAttachQueueDriver(correlationId, clientId, attachQueueDriver);
                }
                case DetachQueueDriverDecoder.TEMPLATE_ID ->
                {
                    detachQueueDriver.wrap(buffer, body, blockLength, version);
                    queues.detach(requester(clientId), detachQueueDriver.queueId(), detachQueueDriver.pid(),
                        detachQueueDriver.token());
                    publisher.queueDriverDetached(correlationId, clientId, detachQueueDriver.queueId());
                }
                default ->
                {
                    counters.unexpectedTemplates.incrementRelease();
                    log.warnLimited("client " + clientId + " sent template " + templateId + ", which is an answer");
                    publisher.error(correlationId, clientId, ErrorCode.UNKNOWN_TEMPLATE,
                        "template " + templateId + " is not a request");
                }
            }
        }
        catch (final RequestException ex)
        {
            publisher.error(correlationId, clientId, ex.code(), ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            log.info("internal error on template " + templateId + " from client " + clientId + ": " + ex);
            publisher.error(correlationId, clientId, ErrorCode.INTERNAL_ERROR, String.valueOf(ex.getMessage()));
        }
        updateGauges();
    }

    private void onConnect(final long correlationId, final long clientId, final long pid, final String name)
    {
        final ClientSession existing = clients.get(clientId);
        if (existing != null)
        {
            if (existing.pid() != pid || existing.sessionId() != requestSessionId)
            {
                throw new RequestException(ErrorCode.ALREADY_CONNECTED, "client id " + clientId +
                    " is connected from pid " + existing.pid() + " over another session");
            }
            existing.seen(nowNs);
        }
        else
        {
            final ProcessHandle process = pid > 0 ? ProcessHandle.of(pid).orElse(null) : null;
            if (process == null || !process.isAlive())
            {
                throw new RequestException(ErrorCode.INVALID_ARGUMENT, "pid " + pid + " is not a running process");
            }
            final ClientSession session = new ClientSession(clientId, pid, name, process, requestSessionId, nowNs);
            clients.put(clientId, session);
            processes.clientConnected(session);
            if (nextLivenessCheckNs - (nowNs + ctx.livenessCheckIntervalNs()) > 0)
            {
                nextLivenessCheckNs = nowNs + ctx.livenessCheckIntervalNs();   // the first client: its pid is watched
            }
            log.info(session.describe() + " connected");
        }
        publisher.connected(correlationId, clientId, mac, ctx.ipv4(), ctx.prefixLength(), ctx.gateway(), ctx.mtu(),
            queues.free(), Math.min(filters.free(), 0xFFFF), TimeUnit.NANOSECONDS.toMillis(ctx.clientTimeoutNs()),
            filters.freeCounts());
    }

    private void onDisconnect(final long correlationId, final long clientId)
    {
        final ClientSession session = session(clientId);
        reclaim(session, RevokeReason.RELEASED, "disconnected", false);
        publisher.disconnected(correlationId, clientId);
    }

    private void onRequestQueue(final long correlationId, final long clientId, final long ringSize,
        final long slotCount, final RequestedService service)
    {
        final ClientSession session = session(clientId);
        final QueueEntry entry = queues.grant(session, ringSize, slotCount, service);
        startQueueDriver(entry, session);
        publisher.queueGranted(correlationId, clientId, entry.id(), entry.mode(), entry.ringSize(), entry.slotCount(),
            QueueChannelLayout.SLOT_SIZE, entry.channelFile().toAbsolutePath().toString(), nic.spec());
    }

    private void onReleaseQueue(final long correlationId, final long clientId, final int queueId)
    {
        final ClientSession session = session(clientId);
        final QueueEntry entry = queues.ownedEntry(session, queueId);
        log.info("queue " + queueId + " released by " + session.describe());
        revoke(entry, RevokeReason.RELEASED, "released", false);
        publisher.queueReleased(correlationId, clientId, queueId);
    }

    private void onRegisterFilter(final long correlationId, final long clientId, final RegisterFilterDecoder request)
    {
        final ClientSession session = session(clientId);
        final int queueId = request.queueId();
        queues.ownedEntry(session, queueId);
        final long movedBefore = filters.filtersMoved();
        final FilterRegistration filter = filters.register(
            clientId,
            queueId,
            filterKind(request.kindRaw()),
            request.priority(),
            (int)request.localIp(),
            request.localPort(),
            (int)request.remoteIp(),
            request.remotePort());
        log.info("filter " + filter.id() + " of " + session.describe() + ": " + filter.describe() + " -> queue " +
            queueId + ", priority " + filter.priority() + ", " + filter.placement() +
            (filter.hardwareIndex() >= 0 ? " " + filter.hardwareIndex() : ""));
        final long moved = filters.filtersMoved() - movedBefore;
        if (moved > 0)
        {
            log.info(moved + " filter(s) on " + filter.describe().replaceFirst(" <->.*", "") + " moved to software, " +
                "so that filter " + filter.id() + " stays ahead of them");
        }
        publisher.filterRegistered(correlationId, clientId, filter);
    }

    private void onDeregisterFilter(final long correlationId, final long clientId, final int filterId)
    {
        session(clientId);
        final FilterRegistration filter = filters.deregister(clientId, filterId);
        log.info("filter " + filterId + " (" + filter.describe() + ") deregistered");
        publisher.filterDeregistered(correlationId, clientId, filterId);
    }

    private void onQueryStats(final long correlationId, final long clientId)
    {
        session(clientId);
        totals.clear();
        for (int q = QueueTable.FIRST_CLIENT_QUEUE; q < QUEUE_COUNT; q++)
        {
            if (queues.entry(q).isOwnedBy(clientId))
            {
                statistics.addTotals(q, totals);
            }
        }
        publisher.stats(correlationId, clientId, clients.size(), queues.inUse(), queues.free(), filters.inUse(),
            Math.min(filters.free(), 0xFFFF), totals.rxPackets, totals.rxBytes, totals.rxDrops, totals.txPackets,
            totals.txBytes, filters.freeCounts());
    }

    private void onAttachQueueDriver(final long correlationId, final long clientId,
        final AttachQueueDriverDecoder request)
    {
        final long ringSize = request.ringSize();
        final int queueId = request.queueId();
        try
        {
            queues.attach(requester(clientId), queueId, request.pid(), request.token(),
                (int)Math.min(ringSize, Integer.MAX_VALUE), request.rxRingIova(), request.txRingIova(),
                request.txHeadWritebackIova(), false);
        }
        catch (final RequestException ex)
        {
            if (ex.code() == ErrorCode.QUEUE_DRIVER_FAILED)
            {
                revoke(queues.entry(queueId), RevokeReason.QUEUE_DRIVER_FAILED, ex.getMessage(), true);
            }
            throw ex;
        }
        publisher.queueDriverAttached(correlationId, clientId, queueId);
    }

    /**
     * The session of a connected client, marked as heard from.
     *
     * @throws RequestException NOT_CONNECTED
     */
    private ClientSession session(final long clientId)
    {
        final ClientSession session = clients.get(clientId);
        if (session == null)
        {
            throw new RequestException(ErrorCode.NOT_CONNECTED, "client " + clientId +
                " is not connected (send Connect first; a client that stops heart-beating is reclaimed)");
        }
        if (session.sessionId() != requestSessionId)
        {
            throw new RequestException(ErrorCode.NOT_OWNER, "client id " + clientId + " belongs to another " +
                "connection: requests must come over the session it connected with");
        }
        session.seen(nowNs);
        return session;
    }

    /** The connected client sending this request, or null if the id is unknown or not this session's. */
    private ClientSession requester(final long clientId)
    {
        final ClientSession session = clients.get(clientId);
        if (session == null || session.sessionId() != requestSessionId)
        {
            return null;
        }
        session.seen(nowNs);
        return session;
    }

    /**
     * A card that has gone (its simulation's process died, or silicon reading all ones) takes every queue with it:
     * clients are told {@code CARD_FAILED}, further requests refused, and the card failure handler (the command exits,
     * so a supervisor can restart it) is called once.
     */
    private void checkCard()
    {
        if (cardFailure != null)
        {
            return;
        }
        final String failure = nic.failure();
        if (failure != null)
        {
            cardFailure = failure;
            log.info("the card has failed: " + failure + "; every queue revoked");
            queues.cardFailed();
            for (int q = QueueTable.FIRST_CLIENT_QUEUE; q < QUEUE_COUNT; q++)
            {
                revoke(queues.entry(q), RevokeReason.CARD_FAILED, failure, true);
            }
            ctx.cardFailureHandler().accept(failure);
        }
    }

    /** Reclaims clients whose process has gone or who have been silent for longer than the client timeout. */
    private int checkClients()
    {
        scratchSessions.clear();
        for (final ClientSession session : clients.values())
        {
            if (!session.isProcessAlive() || nowNs - session.lastSeenNs() > ctx.clientTimeoutNs())
            {
                scratchSessions.add(session);
            }
        }
        for (int i = 0; i < scratchSessions.size(); i++)
        {
            final ClientSession session = scratchSessions.get(i);
            counters.clientsReclaimed.incrementRelease();
            if (!session.isProcessAlive())
            {
                reclaim(session, RevokeReason.CLIENT_TIMED_OUT, "process " + session.pid() + " has exited", true);
            }
            else
            {
                reclaim(session, RevokeReason.CLIENT_TIMED_OUT, "no request or heartbeat for " +
                    TimeUnit.NANOSECONDS.toMillis(nowNs - session.lastSeenNs()) + " ms (limit " +
                    TimeUnit.NANOSECONDS.toMillis(ctx.clientTimeoutNs()) + " ms)", true);
            }
        }
        final int reclaimed = scratchSessions.size();
        scratchSessions.clear();
        return reclaimed;
    }

    /** Everything a client holds goes: queues (revoked, drivers stopped), filters, pending neighbour requests. */
    private void reclaim(final ClientSession session, final RevokeReason reason, final String message,
        final boolean notify)
    {
        revokeAllOf(session, reason, message, notify);
        final int removed = filters.removeClient(session.clientId());
        netd.forgetClient(session.clientId());
        clients.remove(session.clientId());
        processes.clientGone(session.clientId());
        log.info(session.describe() + (reason == RevokeReason.RELEASED ? " disconnected" : " reclaimed: " + message) +
            (removed > 0 ? "; " + removed + " filters removed" : ""));
    }

    private void updateGauges()
    {
        processes.queueDrivers(queues);
        counters.clients.setRelease(clients.size());
        counters.queuesInUse.setRelease(queues.inUse());
        counters.filtersInUse.setRelease(filters.inUse());
        counters.filtersFree.setRelease(filters.free());
        final FilterManager.FreeCounts free = filters.freeCounts();
        counters.fiveTupleFree.setRelease(free.fiveTuple());
        counters.flowDirectorFree.setRelease(free.flowDirector());
        counters.softwareFree.setRelease(free.software());
        counters.flowDirectorInUse.setRelease(filters.flowDirectorInUse());
        counters.softwareInUse.setRelease(filters.softwareInUse());
        counters.filtersMoved.setRelease(filters.filtersMoved());
        counters.flowDirectorFailedAdds.setRelease(filters.flowDirectorFailedAdds());
    }

    /**
     * 1 is read as SERVED: it was THREAD in the first edition of the schema (then QueueMode), a request served as
     * configured like PROCESS (0), so a client of that edition keeps being served.
     */
    private static RequestedService requestedService(final short raw)
    {
        return switch (raw)
        {
            case 0, 1 -> RequestedService.SERVED;
            case 2 -> RequestedService.INLINE;
            default -> RequestedService.NULL_VAL;
        };
    }

    private static FilterKind filterKind(final short raw)
    {
        for (final FilterKind kind : FILTER_KINDS)
        {
            if (kind != FilterKind.NULL_VAL && kind.value() == raw)
            {
                return kind;
            }
        }
        return FilterKind.NULL_VAL;
    }
}
