package io.nicq.client;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.nicq.packet.Ipv4Address;
import io.nicq.packet.MacAddress;
import io.nicq.proto.CardDriverProxy;
import io.nicq.proto.ControlClient;
import io.nicq.proto.ControlException;
import io.nicq.proto.ControlProtocol;
import io.nicq.proto.InstancePaths;
import io.nicq.proto.sbe.ErrorCode;
import org.agrona.ErrorHandler;

/**
 * An application's connection to a nicq instance (one card driver): it asks for hardware queues and port filters
 * and gives everything back when it leaves.
 * <pre>
 *   try (NicClient client = NicClient.connect(new NicClient.Context().instance("a").name("rpc-client")))
 *   {
 *       final NicQueue queue = client.requestQueue(QueueService.INLINE);
 *       final UdpSocket socket = UdpSocket.open(new UdpLayer(new Ipv4Interface(queue, client))).bind(7000);
 *       ...                                                                // bind registers the UDP port filter
 *   }                                                                      // Disconnect: queues, filters released
 * </pre>
 * A façade over control-proto's {@link CardDriverProxy} (one method per request of the SBE control protocol over
 * Aeron IPC) that keeps this client's queues and filters. Every failure is a {@link NicException} whose
 * {@link NicException.Reason reason} is the card driver's refusal (PORT_IN_USE, NOT_OWNER, NO_QUEUE, ...) or a failure
 * on this side (NO_CARD_DRIVER, TIMED_OUT, NO_ROUTE, ...).
 * <p>
 * Liveness ({@code ClientHeartbeat}): a daemon thread sends {@code Heartbeat} every {@link Context#heartbeatInterval}
 * (sleeping in between, woken early only by a {@code QueueRevoked}; the card driver reclaims a client silent for
 * about a second) and writes the client heartbeat into each queue channel. {@code QueueRevoked} (the card driver took a queue away) marks the queue revoked and goes
 * to {@link Context#queueRevokedHandler}. {@link #close()} sends {@code Disconnect}, which releases every queue and
 * filter of the client; a shutdown hook does the same at process exit.
 * <p>
 * Thread safe: requests from several threads are serialised. Each {@link NicQueue} is used by one thread; close a
 * client (or release a queue) from that thread or once it has stopped polling, since closing unmaps the queues.
 */
public final class NicClient implements AutoCloseable, ControlPlane
{
    /** Called when the card driver takes a queue away (on the thread that happened to read the notification). */
    @FunctionalInterface
    public interface QueueRevokedHandler
    {
        void onQueueRevoked(NicQueue queue, NicException.Reason reason, String message);
    }

    /** Configuration, Agrona style: named properties with defaults. */
    public static final class Context
    {
        /** Instance name when none is given (the card driver's default). */
        public static final String DEFAULT_INSTANCE = "default";

        private String instance = DEFAULT_INSTANCE;
        private Path baseDir;
        private String aeronDirectoryName;
        private String name = "nicq-client";
        private long requestTimeoutNs = TimeUnit.MILLISECONDS.toNanos(ControlProtocol.DEFAULT_REQUEST_TIMEOUT_MS);
        private long connectTimeoutNs = TimeUnit.SECONDS.toNanos(5);
        private long heartbeatIntervalNs = TimeUnit.MILLISECONDS.toNanos(ControlProtocol.DEFAULT_HEARTBEAT_INTERVAL_MS);
        private long queueActivationTimeoutNs = TimeUnit.SECONDS.toNanos(10);
        private int txSlotReserve;
        private boolean shutdownHook = true;
        private QueueRevokedHandler queueRevokedHandler = (queue, reason, message) -> { };
        private ErrorHandler errorHandler;

        /** The instance to connect to (its files under {@link InstancePaths}); default "default". */
        public Context instance(final String instance)
        {
            this.instance = instance;
            return this;
        }

        public String instance()
        {
            return instance;
        }

        /** Directory holding the instances; default {@code nicq.dir} or /dev/shm/nicq. */
        public Context baseDir(final Path baseDir)
        {
            this.baseDir = baseDir;
            return this;
        }

        public Path baseDir()
        {
            return baseDir;
        }

        /** The card driver's media driver directory, if not the instance's own {@code aeron/}. */
        public Context aeronDirectoryName(final String aeronDirectoryName)
        {
            this.aeronDirectoryName = aeronDirectoryName;
            return this;
        }

        public String aeronDirectoryName()
        {
            return aeronDirectoryName;
        }

        /** The client's name, in the card driver's log and stats. */
        public Context name(final String name)
        {
            this.name = name;
            return this;
        }

        public String name()
        {
            return name;
        }

        /** How long a request waits for its answer; default {@link ControlProtocol#DEFAULT_REQUEST_TIMEOUT_MS}. */
        public Context requestTimeout(final long timeout, final TimeUnit unit)
        {
            this.requestTimeoutNs = unit.toNanos(timeout);
            return this;
        }

        public long requestTimeoutNs()
        {
            return requestTimeoutNs;
        }

        /** How long {@link #connect} waits for the card driver's streams; default 5 s. */
        public Context connectTimeout(final long timeout, final TimeUnit unit)
        {
            this.connectTimeoutNs = unit.toNanos(timeout);
            return this;
        }

        public long connectTimeoutNs()
        {
            return connectTimeoutNs;
        }

        /** Heartbeat period; default {@link ControlProtocol#DEFAULT_HEARTBEAT_INTERVAL_MS}. */
        public Context heartbeatInterval(final long interval, final TimeUnit unit)
        {
            this.heartbeatIntervalNs = unit.toNanos(interval);
            return this;
        }

        public long heartbeatIntervalNs()
        {
            return heartbeatIntervalNs;
        }

        /** How long {@link #requestQueue} waits for the card driver's queue driver to serve the channel; 10 s. */
        public Context queueActivationTimeout(final long timeout, final TimeUnit unit)
        {
            this.queueActivationTimeoutNs = unit.toNanos(timeout);
            return this;
        }

        public long queueActivationTimeoutNs()
        {
            return queueActivationTimeoutNs;
        }

        /** Free slots each queue keeps for sending (the rest serve RX); 0 = a quarter of the pool, at most 256. */
        public Context txSlotReserve(final int txSlotReserve)
        {
            this.txSlotReserve = txSlotReserve;
            return this;
        }

        public int txSlotReserve()
        {
            return txSlotReserve;
        }

        /** Whether a shutdown hook disconnects at process exit; default true. */
        public Context shutdownHook(final boolean shutdownHook)
        {
            this.shutdownHook = shutdownHook;
            return this;
        }

        public boolean shutdownHook()
        {
            return shutdownHook;
        }

        public Context queueRevokedHandler(final QueueRevokedHandler handler)
        {
            this.queueRevokedHandler = handler;
            return this;
        }

        public QueueRevokedHandler queueRevokedHandler()
        {
            return queueRevokedHandler;
        }

        /** Where failures of the heartbeat thread and of closing go; default: a line on standard error. */
        public Context errorHandler(final ErrorHandler errorHandler)
        {
            this.errorHandler = errorHandler;
            return this;
        }

        public ErrorHandler errorHandler()
        {
            return errorHandler;
        }

        InstancePaths paths()
        {
            return baseDir != null ? InstancePaths.of(instance, baseDir) : InstancePaths.of(instance);
        }

        void conclude()
        {
            if (requestTimeoutNs <= 0 || connectTimeoutNs <= 0 || heartbeatIntervalNs <= 0 ||
                queueActivationTimeoutNs <= 0)
            {
                throw new IllegalArgumentException("NicClient timeouts and the heartbeat interval must be positive");
            }
            if (name == null || name.isEmpty() || name.length() > ControlProtocol.MAX_TEXT_LENGTH)
            {
                throw new IllegalArgumentException("client name must be 1.." + ControlProtocol.MAX_TEXT_LENGTH +
                    " characters");
            }
            if (errorHandler == null)
            {
                final String who = name;
                errorHandler = ex -> System.err.println("nicq client '" + who + "': " + ex);
            }
            if (aeronDirectoryName == null)
            {
                aeronDirectoryName = paths().aeronDir().toString();
            }
        }
    }


    private final Context ctx;
    private final String description;
    private final Map<Integer, NicQueue> queues = new ConcurrentHashMap<>();
    private final Map<Integer, Filter> filters = new ConcurrentHashMap<>();
    private final ControlClient control;
    private final CardDriverProxy cardDriver;
    private final CardDriverProxy.Connected connected;
    private final QueueOpener opener;
    private final ClientHeartbeat heartbeat;
    private final Thread shutdownHook;
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile boolean closed;
    private volatile NicException lost;

    /** Connects the control client and sends {@code Connect}; nothing is started yet. */
    private NicClient(final Context ctx)
    {
        this.ctx = ctx;
        this.description = "card driver of instance " + ctx.instance();
        final String threadName = "nicq-aeron-" + ctx.name();
        try
        {
            // The Aeron conductor on a daemon thread: like a JDK socket, an unclosed client must not keep the process
            // alive (the shutdown hook still disconnects it at exit).
            this.control = ControlClient.connect(new ControlClient.Context()
                .aeronDirectoryName(ctx.aeronDirectoryName())
                .wakeFile(ctx.paths().controlWakeFile())
                .driverTimeoutMs(TimeUnit.NANOSECONDS.toMillis(ctx.connectTimeoutNs()))
                .requestTimeout(ctx.requestTimeoutNs(), TimeUnit.NANOSECONDS)
                .connectTimeout(ctx.connectTimeoutNs(), TimeUnit.NANOSECONDS)
                .description(description)
                .errorHandler(ctx.errorHandler())
                .conductorThreadFactory(runnable ->
                {
                    final Thread thread = new Thread(runnable, threadName);
                    thread.setDaemon(true);
                    return thread;
                })
                .listener(CardDriverProxy.queueRevokedListener(this::onQueueRevoked)));
        }
        catch (final ControlException ex)
        {
            throw NicException.of(ex);
        }
        try
        {
            this.cardDriver = new CardDriverProxy(control);
            this.connected = cardDriver.connect(ProcessHandle.current().pid(), ctx.name());
        }
        catch (final ControlException ex)
        {
            control.close();
            throw NicException.of(ex);
        }
        this.opener = new QueueOpener(ctx, this, cardDriver);
        this.heartbeat = new ClientHeartbeat(ctx.name(), cardDriver, queues.values(), ctx.heartbeatIntervalNs(),
            TimeUnit.NANOSECONDS, connected.heartbeatTimeoutMs(), ctx.errorHandler(), reason -> lost = reason);
        this.shutdownHook = ctx.shutdownHook() ? new Thread(this::closeAtExit, "nicq-exit-" + ctx.name()) : null;
    }

    /**
     * Connects to a card driver: an Aeron client on the instance's media driver, then {@code Connect}; starts the
     * heartbeat thread and registers the shutdown hook.
     *
     * @param ctx configuration.
     * @return the connected client.
     * @throws NicException NO_CARD_DRIVER if no card driver runs for the instance, TIMED_OUT if it does not answer,
     *                      or the card driver's refusal.
     */
    public static NicClient connect(final Context ctx)
    {
        ctx.conclude();
        final NicClient client = new NicClient(ctx);
        client.heartbeat.start();
        if (client.shutdownHook != null)
        {
            Runtime.getRuntime().addShutdownHook(client.shutdownHook);
        }
        return client;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Queues
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Requests a hardware queue with the card driver's default ring size and slot count.
     *
     * @param service SERVED (the card driver runs the queue driver, in a process or a thread as it is configured) or
     *                INLINE (the application's thread runs it).
     * @return the queue, ready to poll.
     * @see #requestQueue(QueueService, int, int)
     */
    public NicQueue requestQueue(final QueueService service)
    {
        return requestQueue(service, 0, 0);
    }

    /**
     * Requests a hardware queue and opens its queue channel. INLINE: the client starts the queue driver itself (on
     * the card named in the grant, attaching its rings through this client); SERVED: it waits until the card driver's
     * queue driver serves the channel.
     *
     * @param service   SERVED or INLINE.
     * @param ringSize  descriptors per ring, a power of two; 0 = default.
     * @param slotCount slots in the pool, a power of two; 0 = default.
     * @return the queue.
     * @throws NicException NO_QUEUE, INVALID_ARGUMENT, ... from the card driver; QUEUE_DRIVER_FAILED if the queue
     *                      driver does not start, TIMED_OUT if it does not start in time. The queue is released on
     *                      failure.
     */
    public NicQueue requestQueue(final QueueService service, final int ringSize, final int slotCount)
    {
        ensureOpen();
        if (service == null)
        {
            throw new IllegalArgumentException("a queue is SERVED or INLINE");
        }
        final CardDriverProxy.QueueGranted grant;
        try
        {
            grant = cardDriver.requestQueue(ringSize, slotCount, service.requested());
        }
        catch (final ControlException ex)
        {
            throw NicException.of(ex);
        }

        try
        {
            final NicQueue queue = opener.open(grant);
            queues.put(grant.queueId(), queue);
            return queue;
        }
        catch (final RuntimeException ex)
        {
            try
            {
                cardDriver.releaseQueue(grant.queueId());
            }
            catch (final RuntimeException releaseFailure)
            {
                ex.addSuppressed(releaseFailure);
            }
            throw ex;
        }
    }

    /**
     * Releases a queue: its filters are deregistered, the local side closed (inline queue driver stopped, channel
     * unmapped), and the card driver takes the queue back. A queue the card driver already revoked is only closed.
     *
     * @param queue one of this client's queues.
     * @throws NicException if the card driver refuses.
     */
    public void releaseQueue(final NicQueue queue)
    {
        if (queue.isClosed())
        {
            return;
        }
        final int queueId = queue.queueId();
        if (closed || lost != null || queues.get(queueId) != queue)
        {
            // Nothing to ask the card driver: the client has left, was reclaimed, or the queue is not one of ours.
            queues.remove(queueId, queue);
            queue.closeLocally();
            return;
        }
        NicException failure = null;
        for (final Filter filter : filtersOf(queueId))
        {
            try
            {
                deregister(filter);
            }
            catch (final NicException ex)
            {
                if (ex.reason() != NicException.Reason.NO_SUCH_FILTER &&
                    ex.reason() != NicException.Reason.NO_SUCH_QUEUE)
                {
                    failure = addSuppressed(failure, ex);
                }
            }
        }
        try
        {
            // The card driver disables the queue first, so the device stops using the rings before they are freed.
            cardDriver.releaseQueue(queueId);
        }
        catch (final ControlException ex)
        {
            // A revoked queue is no longer granted: nothing left to give back.
            if (!(queue.isRevoked() && ex.code() == ErrorCode.NO_SUCH_QUEUE))
            {
                failure = addSuppressed(failure, NicException.of(ex));
            }
        }
        finally
        {
            queues.remove(queueId);
            queue.closeLocally();
        }
        if (failure != null)
        {
            throw failure;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Filters and neighbours
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Steers UDP datagrams to this client's address and {@code port} to {@code queue}.
     *
     * @return the filter.
     * @throws NicException PORT_IN_USE, NO_FILTER_SLOT, NOT_OWNER, ...
     */
    public Filter registerUdpPort(final NicQueue queue, final int port)
    {
        return registerFilter(queue, Filter.Kind.UDP_PORT, port, 0, 0);
    }

    /**
     * Steers TCP segments to this client's address and {@code port} to {@code queue}.
     *
     * @return the filter.
     * @throws NicException PORT_IN_USE, NO_FILTER_SLOT, NOT_OWNER, ...
     */
    @Override
    public Filter registerTcpPort(final NicQueue queue, final int port)
    {
        return registerFilter(queue, Filter.Kind.TCP_PORT, port, 0, 0);
    }

    /**
     * Steers one TCP connection (the full 5-tuple) to {@code queue}.
     *
     * @param localPort 1..65535, or 0 for a free ephemeral port of the card, allocated by the card driver (unique on
     *                  the card, across clients) and returned as the filter's {@link Filter#localPort()}.
     * @return the filter.
     * @throws NicException PORT_IN_USE, NO_FILTER_SLOT, NOT_OWNER, ...
     */
    @Override
    public Filter registerTcpConnection(
        final NicQueue queue, final int localPort, final int remoteIp, final int remotePort)
    {
        return registerFilter(queue, Filter.Kind.TCP_CONNECTION, localPort, remoteIp, remotePort);
    }

    private Filter registerFilter(
        final NicQueue queue, final Filter.Kind kind, final int localPort, final int remoteIp, final int remotePort)
    {
        ensureOpen();
        if (kind == Filter.Kind.TCP_CONNECTION)
        {
            // Local port 0: the card driver allocates a free ephemeral port of the card (Filter.localPort()).
            if (localPort != 0)
            {
                checkPort("local", localPort);
            }
            checkPort("remote", remotePort);
            if (remoteIp == 0)
            {
                throw new IllegalArgumentException("a TCP connection filter needs the remote address (got 0.0.0.0)");
            }
        }
        else
        {
            checkPort("local", localPort);
        }
        final CardDriverProxy.FilterRegistered registered;
        try
        {
            registered = cardDriver.registerFilter(queue.queueId(), kind.protocolKind(), 0, 0, localPort, remoteIp,
                remotePort);
        }
        catch (final ControlException ex)
        {
            throw NicException.of(ex);
        }
        final int port = registered.localPort() != 0 ? registered.localPort() : localPort;
        if (port == 0)
        {
            throw new NicException(NicException.Reason.INTERNAL_ERROR, "the card driver allocated no local port " +
                "for filter " + registered.filterId() + " (a card driver older than schema version 3?)");
        }
        final Filter filter = new Filter(registered.filterId(), registered.queueId(), kind,
            Filter.Placement.of(registered.placement()), registered.hardwareIndex(), port, remoteIp, remotePort);
        filters.put(filter.filterId(), filter);
        return filter;
    }

    /**
     * Removes a filter. Idempotent for a filter already deregistered here.
     *
     * @throws NicException NO_SUCH_FILTER, NOT_OWNER, ...
     */
    public void deregister(final Filter filter)
    {
        if (!filter.isRegistered())
        {
            return;
        }
        ensureOpen();
        try
        {
            cardDriver.deregisterFilter(filter.filterId());
        }
        catch (final ControlException ex)
        {
            throw NicException.of(ex);
        }
        filter.markDeregistered();
        filters.remove(filter.filterId());
    }

    /**
     * The MAC of a neighbour on the card's subnet, resolved by the card driver (ARP on its default queue).
     *
     * @param ipv4 the neighbour's address, host order.
     * @return its MAC (low 48 bits).
     * @throws NicException NEIGHBOUR_TIMEOUT if nobody answers, or another refusal of the card driver.
     */
    public long resolveNeighbour(final int ipv4)
    {
        ensureOpen();
        try
        {
            return cardDriver.resolveNeighbour(ipv4);
        }
        catch (final ControlException ex)
        {
            throw NicException.of(ex);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Notifications, close
    // ---------------------------------------------------------------------------------------------------------------

    private void onQueueRevoked(final int queueId, final ErrorCode code, final String message)
    {
        final NicException.Reason reason = NicException.Reason.of(code);
        final String text = "queue " + queueId + " was revoked by the card driver (" + reason + "): " + message;
        final NicQueue queue = queues.get(queueId);
        if (queue != null)
        {
            queue.revoked(reason, text);
            for (final Filter filter : filtersOf(queueId))
            {
                filter.markDeregistered();
                filters.remove(filter.filterId());
            }
            try
            {
                ctx.queueRevokedHandler().onQueueRevoked(queue, reason, text);
            }
            catch (final RuntimeException ex)
            {
                ctx.errorHandler().onError(ex);
            }
        }
    }

    /**
     * Leaves the card driver: stops the heartbeat thread, sends {@code Disconnect} (the card driver disables and
     * releases the client's queues and filters), then closes every queue locally (inline queue drivers stopped,
     * channels unmapped) and the Aeron client. Idempotent; failures to reach the card driver go to the error handler.
     */
    public void close()
    {
        if (!closing.compareAndSet(false, true))
        {
            return;
        }
        closed = true;
        if (shutdownHook != null)
        {
            try
            {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            }
            catch (final IllegalStateException ignore)
            {
                // The JVM is already exiting: the hook runs or has run.
            }
        }
        heartbeat.stopAndJoin();

        // Disconnect first: the card driver disables the queues before inline queue drivers free their rings.
        disconnect();
        for (final NicQueue queue : queues.values())
        {
            queue.closeLocally();
        }
        queues.clear();
        control.close();
    }

    private void closeAtExit()
    {
        if (!closing.compareAndSet(false, true))
        {
            return;
        }
        closed = true;
        heartbeat.stop();
        // The application's threads may still be polling: tell the queue drivers the client left, unmap nothing.
        for (final NicQueue queue : queues.values())
        {
            queue.detachAtExit();
        }
        disconnect();
    }

    private void disconnect()
    {
        for (final Filter filter : filters.values())
        {
            filter.markDeregistered();
        }
        filters.clear();
        if (lost != null || !control.isConnected())
        {
            return;
        }
        try
        {
            cardDriver.disconnect();
        }
        catch (final ControlException ex)
        {
            ctx.errorHandler().onError(NicException.of(ex));
        }
        catch (final RuntimeException ex)
        {
            ctx.errorHandler().onError(ex);
        }
    }

    public boolean isClosed()
    {
        return closed;
    }

    /**
     * Whether the card driver has reclaimed this client (it stopped hearing heartbeats): every request then fails.
     *
     * @return the card driver's refusal (NOT_CONNECTED or CLIENT_TIMED_OUT), null while the client is connected.
     */
    public NicException lostReason()
    {
        return lost;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // What the card driver said at Connect
    // ---------------------------------------------------------------------------------------------------------------

    /** This client's id within the instance (its Aeron client id). */
    public long clientId()
    {
        return cardDriver.clientId();
    }

    public String name()
    {
        return ctx.name();
    }

    public String instance()
    {
        return ctx.instance();
    }

    /** The card's MAC (low 48 bits): the source of every frame this client sends. */
    public long mac()
    {
        return connected.mac();
    }

    /** The card's IPv4 address, host order: this client's address. */
    public int ipv4()
    {
        return connected.ipv4();
    }

    public int prefixLength()
    {
        return connected.prefixLength();
    }

    /** The gateway for destinations off the subnet, 0 if none. */
    public int gateway()
    {
        return connected.gateway();
    }

    public int mtu()
    {
        return connected.mtu();
    }

    /** Hardware queues free when this client connected. */
    public int queuesFree()
    {
        return connected.queuesFree();
    }

    /** Filters free when this client connected, wherever the card driver would place them. */
    public int filtersFree()
    {
        return connected.filtersFree();
    }

    /**
     * Filters free in one placement when this client connected (-1 from a card driver that does not say): the
     * 5-tuple filters are used first, then the flow director, then software.
     */
    public int filtersFree(final Filter.Placement placement)
    {
        return switch (placement)
        {
            case FIVE_TUPLE -> connected.free().fiveTuple();
            case FLOW_DIRECTOR -> connected.free().flowDirector();
            case SOFTWARE -> connected.free().software();
        };
    }

    /** Silence after which the card driver reclaims a client. */
    public long heartbeatTimeoutMs()
    {
        return connected.heartbeatTimeoutMs();
    }

    /** Heartbeats the card driver has acknowledged so far. */
    public long heartbeatsAnswered()
    {
        return heartbeat.answered();
    }

    /** The queues this client holds now. */
    public List<NicQueue> queues()
    {
        return List.copyOf(queues.values());
    }

    /** The filters this client holds now. */
    public List<Filter> filters()
    {
        return List.copyOf(filters.values());
    }

    public String toString()
    {
        return "NicClient{'" + ctx.name() + "' id " + clientId() + " on " + description + ", " +
            Ipv4Address.toString(ipv4()) + "/" + prefixLength() + " " + MacAddress.toString(mac()) +
            (closed ? ", closed" : "") + "}";
    }

    // ---------------------------------------------------------------------------------------------------------------

    private List<Filter> filtersOf(final int queueId)
    {
        final List<Filter> result = new ArrayList<>();
        for (final Filter filter : filters.values())
        {
            if (filter.queueId() == queueId)
            {
                result.add(filter);
            }
        }
        return result;
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("NicClient '" + ctx.name() + "' is closed");
        }
        final NicException reason = lost;
        if (reason != null)
        {
            throw new NicException(reason.reason(), "the " + description + " has reclaimed this client: " +
                reason.getMessage(), reason);
        }
    }

    private static void checkPort(final String which, final int port)
    {
        if (port <= 0 || port > 0xFFFF)
        {
            throw new IllegalArgumentException(which + " port " + port + " is outside [1, 65535]");
        }
    }

    private static NicException addSuppressed(final NicException failure, final NicException other)
    {
        if (failure == null)
        {
            return other;
        }
        failure.addSuppressed(other);
        return failure;
    }
}
