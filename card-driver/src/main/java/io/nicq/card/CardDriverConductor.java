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
import io.nicq.ixgbe.Statistics.CardCounter;
import io.nicq.proto.ControlMessageValidator;
import io.nicq.proto.ControlProtocol;
import io.nicq.proto.channel.QueueChannelLayout;
import io.nicq.proto.sbe.*;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;

import static io.nicq.ixgbe.Registers.*;

/**
 * The card driver's one control thread: it alone touches the filter and queue registers (as the thesis's card driver
 * does, so nothing needs a lock) and owns every table. Each duty cycle it
 * <ol>
 *   <li>serves the control protocol: every request is validated ({@link ControlMessageValidator}) before it is
 *       decoded and gets exactly one answer, its result or an {@code Error}; a malformed request never stops it;</li>
 *   <li>runs commands posted by other threads (queue driver exits, thread attach/detach);</li>
 *   <li>runs the default-queue service (ARP, ICMP echo, neighbour resolution);</li>
 *   <li>every {@code livenessCheckInterval}: reclaims clients whose process died or who went silent, enforces queue
 *       driver deadlines;</li>
 *   <li>every {@code statsInterval}: reads the card's statistics into the counters and beats the counters file's
 *       heartbeat.</li>
 * </ol>
 */
final class CardDriverConductor implements Agent
{
    private static final QueueMode[] QUEUE_MODES = QueueMode.values();
    private static final FilterKind[] FILTER_KINDS = FilterKind.values();
    private static final int FRAGMENT_LIMIT = 16;
    /** A gap between duty cycles over this means the conductor was held up, not that clients were silent. */
    private static final long STALL_NS = TimeUnit.MILLISECONDS.toNanos(100);
    /** How long an orderly stop waits for answers held back by a blocked response stream (revocations among them). */
    private static final long ANSWER_FLUSH_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final int COMMAND_LIMIT = 16;
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
    private final Subscription requests;
    private final Publication answers;
    private final FragmentAssembler assembler;
    private final ResponsePublisher publisher;
    private final FilterManager filters;
    private final QueueDriverLauncher launcher;
    private final QueueManager queues;
    private final DefaultQueueService netd;
    private final ManyToOneConcurrentLinkedQueue<Runnable> commands = new ManyToOneConcurrentLinkedQueue<>();
    private final Long2ObjectHashMap<ClientSession> clients = new Long2ObjectHashMap<>();
    private final List<ClientSession> scratchSessions = new ArrayList<>();
    private final long[] totals = new long[5];

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
    private long previousDutyCycleNs;
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
        this.requests = aeron.addSubscription(ControlProtocol.CHANNEL, ControlProtocol.REQUEST_STREAM_ID);
        this.answers = aeron.addExclusivePublication(ControlProtocol.RESPONSE_PUBLICATION_CHANNEL,
            ControlProtocol.RESPONSE_STREAM_ID);
        this.assembler = new FragmentAssembler(this::onFragment);
        this.publisher = new ResponsePublisher(answers::offer, counters, log);
        this.filters = new FilterManager(bar, ctx.ipv4(), ctx.filterOverflow());
        this.launcher = new QueueDriverLauncher(ctx, log, nic, commands::offer);
        this.queues = new QueueManager(ctx, log, nic, filters, counters, publisher, launcher);
        this.launcher.queueManager(queues);
        this.launcher.aeronDir(aeron.context().aeronDirectoryName());
        this.netd = new DefaultQueueService(ctx, mac, publisher, counters.manager());
    }

    /** Starts queue 0 and the default-queue service on it; called before the conductor thread starts. */
    void startDefaultQueue()
    {
        final int ringSize = Math.min(ctx.defaultRingSize(), 512);
        final QueueEntry entry = queues.startDefaultQueue(ringSize, Math.max(2 * ringSize,
            QueueChannelLayout.MIN_SLOT_COUNT));
        netd.start(entry.channel);
        updateGauges();
        log.info("default queue 0 running: ARP and ICMP echo for " + Ipv4Address.toString(ctx.ipv4()) +
            ", neighbour resolution for clients");
    }

    public String roleName()
    {
        return "nicq-card-driver-" + ctx.instance();
    }

    public void onStart()
    {
        launcher.conductorThread(Thread.currentThread());
        nowNs = System.nanoTime();
        nextLivenessCheckNs = nowNs + ctx.livenessCheckIntervalNs();
        nextStatsNs = nowNs + ctx.statsIntervalNs();
    }

    public int doWork()
    {
        nowNs = System.nanoTime();
        if (previousDutyCycleNs != 0 && nowNs - previousDutyCycleNs > STALL_NS)
        {
            // The conductor was held up (a slow register wait): requests queued meanwhile were not read, so nobody's
            // silence can be judged over that time.
            for (final ClientSession session : clients.values())
            {
                session.seen(nowNs);
            }
        }
        previousDutyCycleNs = nowNs;
        int work = aeronInvoker.invoke();
        work += publisher.doWork();
        work += requests.poll(assembler, FRAGMENT_LIMIT);
        work += runCommands();
        work += netd.doWork(nowNs);

        if (nowNs - nextLivenessCheckNs >= 0)
        {
            nextLivenessCheckNs = nowNs + ctx.livenessCheckIntervalNs();
            checkCard();
            work += checkClients();
            queues.checkDeadlines(nowNs);
            updateGauges();
        }
        if (nowNs - nextStatsNs >= 0)
        {
            nextStatsNs = nowNs + ctx.statsIntervalNs();
            queues.sampleAll();
            sampleCard();
            countersFile.heartbeat(System.currentTimeMillis());
            counters.logLinesSuppressed.setRelease(log.suppressedLines());
        }
        counters.dutyCycles.incrementRelease();
        return work;
    }

    /**
     * Orderly stop, on the conductor thread: pending neighbour requests answered, every queue revoked (clients told)
     * and its driver stopped, the filters and the ARP filter cleared, receive disabled.
     */
    public void onClose()
    {
        launcher.conductorThread(Thread.currentThread());
        try
        {
            netd.close();
            runCommands();
            queues.shutdown();
            runCommands();
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
            publisher.flush(ANSWER_FLUSH_TIMEOUT_NS);
            CloseHelper.quietCloseAll(answers, requests);
        }
    }

    /** Posts an action to run on this thread. */
    void post(final Runnable command)
    {
        commands.offer(command);
    }

    FilterManager filters()
    {
        return filters;
    }

    QueueManager queues()
    {
        return queues;
    }

    int clientCount()
    {
        return clients.size();
    }

    private int runCommands()
    {
        int count = 0;
        Runnable command;
        while (count < COMMAND_LIMIT && (command = commands.poll()) != null)
        {
            count++;
            try
            {
                command.run();
            }
            catch (final RuntimeException ex)
            {
                log.info("internal command failed: " + ex);
            }
        }
        if (count > 0)
        {
            updateGauges();
        }
        return count;
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
                        queueMode(requestQueue.modeRaw()));
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
            log.info(session.describe() + " connected");
        }
        publisher.connected(correlationId, clientId, mac, ctx.ipv4(), ctx.prefixLength(), ctx.gateway(), ctx.mtu(),
            queues.free(), filters.free(), TimeUnit.NANOSECONDS.toMillis(ctx.clientTimeoutNs()));
    }

    private void onDisconnect(final long correlationId, final long clientId)
    {
        final ClientSession session = session(clientId);
        reclaim(session, ErrorCode.NULL_VAL, "disconnected", false);
        publisher.disconnected(correlationId, clientId);
    }

    private void onRequestQueue(final long correlationId, final long clientId, final long ringSize,
        final long slotCount, final QueueMode mode)
    {
        final ClientSession session = session(clientId);
        final QueueEntry entry = queues.grant(session, ringSize, slotCount, mode);
        publisher.queueGranted(correlationId, clientId, entry.id, entry.mode, entry.ringSize, entry.slotCount,
            QueueChannelLayout.SLOT_SIZE, entry.channelFile.toAbsolutePath().toString(), nic.spec());
    }

    private void onReleaseQueue(final long correlationId, final long clientId, final int queueId)
    {
        final ClientSession session = session(clientId);
        queues.release(session, queueId);
        publisher.queueReleased(correlationId, clientId, queueId);
    }

    private void onRegisterFilter(final long correlationId, final long clientId, final RegisterFilterDecoder request)
    {
        final ClientSession session = session(clientId);
        final int queueId = request.queueId();
        queues.ownedEntry(session, queueId);
        final Filter filter = filters.register(
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
        publisher.filterRegistered(correlationId, clientId, filter);
    }

    private void onDeregisterFilter(final long correlationId, final long clientId, final int filterId)
    {
        session(clientId);
        final Filter filter = filters.deregister(clientId, filterId);
        log.info("filter " + filterId + " (" + filter.describe() + ") deregistered");
        publisher.filterDeregistered(correlationId, clientId, filterId);
    }

    private void onQueryStats(final long correlationId, final long clientId)
    {
        session(clientId);
        queues.totalsOf(clientId, totals);
        publisher.stats(correlationId, clientId, clients.size(), queues.inUse(), queues.free(), filters.inUse(),
            filters.free(), totals[0], totals[1], totals[2], totals[3], totals[4]);
    }

    private void onAttachQueueDriver(final long correlationId, final long clientId,
        final AttachQueueDriverDecoder request)
    {
        final long ringSize = request.ringSize();
        queues.attach(requester(clientId), request.queueId(), request.pid(), request.token(),
            (int)Math.min(ringSize, Integer.MAX_VALUE), request.rxRingIova(), request.txRingIova(),
            request.txHeadWritebackIova(), false);
        publisher.queueDriverAttached(correlationId, clientId, request.queueId());
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

    /** Reclaims clients whose process has gone or who have been silent for longer than the client timeout. */
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
            queues.cardFailed(ErrorCode.CARD_FAILED, failure);
            ctx.cardFailureHandler().accept(failure);
        }
    }

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
                reclaim(session, ErrorCode.CLIENT_TIMED_OUT, "process " + session.pid() + " has exited", true);
            }
            else
            {
                reclaim(session, ErrorCode.CLIENT_TIMED_OUT, "no request or heartbeat for " +
                    TimeUnit.NANOSECONDS.toMillis(nowNs - session.lastSeenNs()) + " ms (limit " +
                    TimeUnit.NANOSECONDS.toMillis(ctx.clientTimeoutNs()) + " ms)", true);
            }
        }
        final int reclaimed = scratchSessions.size();
        scratchSessions.clear();
        return reclaimed;
    }

    /** Everything a client holds goes: queues (revoked, drivers stopped), filters, pending neighbour requests. */
    private void reclaim(final ClientSession session, final ErrorCode reason, final String message,
        final boolean notify)
    {
        queues.revokeAllOf(session, reason, message, notify);
        final int removed = filters.removeClient(session.clientId());
        netd.forgetClient(session.clientId());
        clients.remove(session.clientId());
        log.info(session.describe() + (reason == ErrorCode.NULL_VAL ? " disconnected" : " reclaimed: " + message) +
            (removed > 0 ? "; " + removed + " filters removed" : ""));
    }

    private void updateGauges()
    {
        counters.clients.setRelease(clients.size());
        counters.queuesInUse.setRelease(queues.inUse());
        counters.filtersInUse.setRelease(filters.inUse());
        counters.filtersFree.setRelease(filters.free());
    }

    /** Card-wide statistics, clear on read (8.2.3.23): accumulated into the counters. */
    private void sampleCard()
    {
        for (int i = 0; i < CardCounter.COUNT; i++)
        {
            final CardCounter counter = CardCounter.of(i);
            counters.card(counter).getAndAddRelease(counter.readAll(bar));
        }
    }

    private static QueueMode queueMode(final short raw)
    {
        for (final QueueMode mode : QUEUE_MODES)
        {
            if (mode != QueueMode.NULL_VAL && mode.value() == raw)
            {
                return mode;
            }
        }
        return QueueMode.NULL_VAL;
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
