package io.nicq.client;

import io.aeron.Aeron;
import io.aeron.exceptions.AeronException;
import io.nicq.ixgbe.Nic;
import io.nicq.packet.Ipv4Address;
import io.nicq.packet.MacAddress;
import io.nicq.proto.ControlClient;
import io.nicq.proto.ControlException;
import io.nicq.proto.ControlProtocol;
import io.nicq.proto.ControlResponse;
import io.nicq.proto.ControlTimeoutException;
import io.nicq.proto.InstancePaths;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.proto.sbe.ConnectEncoder;
import io.nicq.proto.sbe.ConnectedDecoder;
import io.nicq.proto.sbe.DeregisterFilterEncoder;
import io.nicq.proto.sbe.DisconnectEncoder;
import io.nicq.proto.sbe.DisconnectedDecoder;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.FilterDeregisteredDecoder;
import io.nicq.proto.sbe.FilterKind;
import io.nicq.proto.sbe.FilterRegisteredDecoder;
import io.nicq.proto.sbe.HeartbeatAckDecoder;
import io.nicq.proto.sbe.HeartbeatEncoder;
import io.nicq.proto.sbe.MessageHeaderEncoder;
import io.nicq.proto.sbe.NeighbourDecoder;
import io.nicq.proto.sbe.QueueGrantedDecoder;
import io.nicq.proto.sbe.QueueMode;
import io.nicq.proto.sbe.QueueReleasedDecoder;
import io.nicq.proto.sbe.QueueRevokedDecoder;
import io.nicq.proto.sbe.RegisterFilterEncoder;
import io.nicq.proto.sbe.ReleaseQueueEncoder;
import io.nicq.proto.sbe.RequestQueueEncoder;
import io.nicq.proto.sbe.ResolveNeighbourEncoder;
import io.nicq.queue.ControlQueueAttacher;
import io.nicq.queue.QueueDriver;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An application's connection to a nicq instance (one card driver): it asks for hardware queues and port filters
 * over the SBE control protocol and gives everything back when it leaves.
 * <pre>
 *   try (NicClient client = NicClient.connect(new NicClient.Context().instance("a").name("rpc-client")))
 *   {
 *       final NicQueue queue = client.requestQueue(QueueMode.INLINE);
 *       final UdpSocket socket = UdpSocket.open(new UdpLayer(new Ipv4Interface(queue, client))).bind(7000);
 *       ...                                                                // bind registers the UDP port filter
 *   }                                                                      // Disconnect: queues, filters released
 * </pre>
 * Every request goes through one {@link ControlClient} (request/answer over Aeron IPC) and gets exactly one answer;
 * an {@code Error} answer is thrown as a {@link ControlException} carrying the protocol's {@link ErrorCode} and
 * message (PORT_IN_USE, NOT_OWNER, NO_QUEUE, ...), no answer as a {@link ControlTimeoutException}. Local failures
 * (no route, a channel that cannot be mapped) are {@link ControlException}s with {@link ErrorCode#NULL_VAL}.
 * <p>
 * Liveness: a daemon thread sends {@code Heartbeat} every {@link Context#heartbeatInterval} (sleeping in between; the
 * card driver reclaims a client silent for about a second) and writes the client heartbeat into each queue channel.
 * {@code QueueRevoked} (the card driver took a queue away) marks the queue revoked and goes to
 * {@link Context#queueRevokedHandler}. {@link #close()} sends {@code Disconnect}, which releases every queue and
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
        void onQueueRevoked(NicQueue queue, ErrorCode reason, String message);
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
    private final Aeron aeron;
    private final ControlClient control;
    private final long clientId;
    private final String description;

    private final ConnectEncoder connectEncoder = new ConnectEncoder();
    private final DisconnectEncoder disconnectEncoder = new DisconnectEncoder();
    private final HeartbeatEncoder heartbeatEncoder = new HeartbeatEncoder();
    private final RequestQueueEncoder requestQueueEncoder = new RequestQueueEncoder();
    private final ReleaseQueueEncoder releaseQueueEncoder = new ReleaseQueueEncoder();
    private final RegisterFilterEncoder registerFilterEncoder = new RegisterFilterEncoder();
    private final DeregisterFilterEncoder deregisterFilterEncoder = new DeregisterFilterEncoder();
    private final ResolveNeighbourEncoder resolveNeighbourEncoder = new ResolveNeighbourEncoder();
    private final ConnectedDecoder connectedDecoder = new ConnectedDecoder();
    private final QueueGrantedDecoder queueGrantedDecoder = new QueueGrantedDecoder();
    private final FilterRegisteredDecoder filterRegisteredDecoder = new FilterRegisteredDecoder();
    private final NeighbourDecoder neighbourDecoder = new NeighbourDecoder();
    private final QueueRevokedDecoder queueRevokedDecoder = new QueueRevokedDecoder();

    private final Map<Integer, NicQueue> queues = new ConcurrentHashMap<>();
    private final Map<Integer, Filter> filters = new ConcurrentHashMap<>();

    private long mac;
    private int ipv4;
    private int prefixLength;
    private int gateway;
    private int mtu;
    private int queuesFree;
    private int filtersFree;
    private long heartbeatTimeoutMs;

    private final Thread heartbeatThread;
    private final Thread shutdownHook;
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile boolean closed;
    private volatile ControlException lost;
    private volatile long heartbeatsSent;

    private NicClient(final Context ctx, final Aeron aeron, final ControlClient control)
    {
        this.ctx = ctx;
        this.aeron = aeron;
        this.control = control;
        this.clientId = control.clientId();
        this.description = "card driver of instance " + ctx.instance();
        this.heartbeatThread = new Thread(this::heartbeatLoop, "nicq-heartbeat-" + ctx.name());
        this.heartbeatThread.setDaemon(true);
        this.shutdownHook = ctx.shutdownHook() ? new Thread(this::closeAtExit, "nicq-exit-" + ctx.name()) : null;
    }

    /**
     * Connects to a card driver: an Aeron client on the instance's media driver, then {@code Connect}; starts the
     * heartbeat thread and registers the shutdown hook.
     *
     * @param ctx configuration.
     * @return the connected client.
     * @throws ControlTimeoutException if no card driver runs for the instance or it does not answer.
     * @throws ControlException        if the card driver refuses the client.
     */
    public static NicClient connect(final Context ctx)
    {
        ctx.conclude();
        final NicClient[] self = new NicClient[1];
        final Aeron aeron = connectAeron(ctx);
        final ControlClient control;
        try
        {
            control = ControlClient.connect(new ControlClient.Context()
                .aeron(aeron)
                .requestTimeout(ctx.requestTimeoutNs(), TimeUnit.NANOSECONDS)
                .connectTimeout(ctx.connectTimeoutNs(), TimeUnit.NANOSECONDS)
                .description("card driver of instance " + ctx.instance())
                .listener(message ->
                {
                    if (self[0] != null)
                    {
                        self[0].onUnaskedMessage(message);
                    }
                }));
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(aeron);
            throw ex;
        }

        final NicClient client;
        try
        {
            client = new NicClient(ctx, aeron, control);
            self[0] = client;
            client.sendConnect();
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(control, aeron);
            throw ex;
        }
        client.heartbeatThread.start();
        if (client.shutdownHook != null)
        {
            Runtime.getRuntime().addShutdownHook(client.shutdownHook);
        }
        return client;
    }

    /**
     * The Aeron client of the control plane, its conductor on a daemon thread: like a JDK socket, an unclosed client
     * must not keep the process alive (the shutdown hook still disconnects it at exit).
     */
    private static Aeron connectAeron(final Context ctx)
    {
        final String directory = ctx.aeronDirectoryName();
        final String what = "card driver of instance " + ctx.instance();
        if (!Files.exists(Path.of(directory, "cnc.dat")))
        {
            throw new ControlTimeoutException("no " + what + " is running: no media driver at " + directory);
        }
        final String threadName = "nicq-aeron-" + ctx.name();
        try
        {
            return Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(directory)
                .driverTimeoutMs(TimeUnit.NANOSECONDS.toMillis(ctx.connectTimeoutNs()))
                .threadFactory(runnable ->
                {
                    final Thread thread = new Thread(runnable, threadName);
                    thread.setDaemon(true);
                    return thread;
                })
                .errorHandler(ctx.errorHandler())
                .subscriberErrorHandler(ctx.errorHandler()));
        }
        catch (final AeronException | IllegalStateException ex)
        {
            throw new ControlTimeoutException("cannot reach the " + what + "'s media driver at " + directory + ": " +
                ex.getMessage(), ex);
        }
    }

    private void sendConnect()
    {
        final ReentrantLock lock = control.lock();
        lock.lock();
        try
        {
            final long correlationId = control.nextCorrelationId();
            connectEncoder.wrapAndApplyHeader(control.requestBuffer(), 0, control.headerEncoder())
                .correlationId(correlationId)
                .clientId(clientId)
                .pid(ProcessHandle.current().pid())
                .name(ctx.name());
            final ControlResponse response = control.request(correlationId, length(connectEncoder.encodedLength()))
                .expect(ConnectedDecoder.TEMPLATE_ID);
            final ConnectedDecoder connected = connectedDecoder.wrap(
                response.buffer(), response.bodyOffset(), response.blockLength(), response.version());
            mac = connected.mac();
            ipv4 = (int)connected.ipv4();
            prefixLength = connected.prefixLength();
            gateway = (int)connected.gateway();
            mtu = connected.mtu();
            queuesFree = connected.queuesFree();
            filtersFree = connected.filtersFree();
            heartbeatTimeoutMs = connected.heartbeatTimeoutMs();
        }
        finally
        {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Queues
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Requests a hardware queue with the card driver's default ring size and slot count.
     *
     * @param mode where the queue driver runs: PROCESS or THREAD (the card driver's choice between the two), or
     *             INLINE (in the application's thread).
     * @return the queue, ready to poll.
     * @see #requestQueue(QueueMode, int, int)
     */
    public NicQueue requestQueue(final QueueMode mode)
    {
        return requestQueue(mode, 0, 0);
    }

    /**
     * Requests a hardware queue and opens its queue channel. In INLINE mode the client starts the queue driver itself
     * (on the card named in the grant, attaching its rings through this client); otherwise it waits until the card
     * driver's queue driver serves the channel.
     *
     * @param mode      PROCESS, THREAD or INLINE.
     * @param ringSize  descriptors per ring, a power of two; 0 = default.
     * @param slotCount slots in the pool, a power of two; 0 = default.
     * @return the queue.
     * @throws ControlException NO_QUEUE, INVALID_ARGUMENT, ... from the card driver; QUEUE_DRIVER_FAILED if the queue
     *                          driver does not start; NULL_VAL for local failures. The queue is released on failure.
     */
    public NicQueue requestQueue(final QueueMode mode, final int ringSize, final int slotCount)
    {
        ensureOpen();
        if (mode == null || mode == QueueMode.NULL_VAL)
        {
            throw new IllegalArgumentException("queue mode must be PROCESS, THREAD or INLINE");
        }
        final int queueId;
        final QueueMode grantedMode;
        final int grantedRingSize;
        final String channelPath;
        final String nicSpec;
        final ReentrantLock lock = control.lock();
        lock.lock();
        try
        {
            final long correlationId = control.nextCorrelationId();
            requestQueueEncoder.wrapAndApplyHeader(control.requestBuffer(), 0, control.headerEncoder())
                .correlationId(correlationId)
                .clientId(clientId)
                .ringSize(ringSize)
                .slotCount(slotCount)
                .mode(mode);
            final ControlResponse response = control.request(correlationId,
                length(requestQueueEncoder.encodedLength())).expect(QueueGrantedDecoder.TEMPLATE_ID);
            final QueueGrantedDecoder granted = queueGrantedDecoder.wrap(
                response.buffer(), response.bodyOffset(), response.blockLength(), response.version());
            queueId = granted.queueId();
            grantedMode = granted.mode();
            grantedRingSize = (int)granted.ringSize();
            channelPath = granted.channelPath();
            nicSpec = granted.nic();
        }
        finally
        {
            lock.unlock();
        }

        try
        {
            final NicQueue queue = grantedMode == QueueMode.INLINE ?
                openInline(queueId, grantedRingSize, channelPath, nicSpec) :
                openServed(queueId, grantedMode, channelPath);
            queues.put(queueId, queue);
            return queue;
        }
        catch (final RuntimeException ex)
        {
            try
            {
                sendReleaseQueue(queueId);
            }
            catch (final RuntimeException releaseFailure)
            {
                ex.addSuppressed(releaseFailure);
            }
            throw ex;
        }
    }

    private NicQueue openInline(final int queueId, final int ringSize, final String channelPath, final String nicSpec)
    {
        Nic nic = null;
        QueueDriver driver = null;
        QueueChannel channel = null;
        try
        {
            nic = Nic.open(nicSpec);
            driver = QueueDriver.start(new QueueDriver.Context()
                .nic(nic)
                .queueId(queueId)
                .channelFile(Path.of(channelPath))
                .ringSize(ringSize)
                .cardDriverPid(cardDriverPid())
                .queueAttacher(new ControlQueueAttacher(control)));
            channel = QueueChannel.open(Path.of(channelPath));
            return new NicQueue(this, channel, QueueMode.INLINE, driver, nic, ctx.txSlotReserve());
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(channel, driver, nic);
            if (ex instanceof ControlException)
            {
                throw ex;
            }
            throw new ControlException(ErrorCode.QUEUE_DRIVER_FAILED, "cannot run queue " + queueId +
                " inline on " + nicSpec + ": " + ex.getMessage(), ex);
        }
    }

    /** The card driver's pid from the instance's pid file, so an inline queue driver stops if it dies; 0 if unknown. */
    private long cardDriverPid()
    {
        try
        {
            return Long.parseLong(Files.readString(ctx.paths().pidFile(), StandardCharsets.US_ASCII).trim());
        }
        catch (final IOException | NumberFormatException | SecurityException ex)
        {
            return 0;
        }
    }

    private NicQueue openServed(final int queueId, final QueueMode mode, final String channelPath)
    {
        final QueueChannel channel;
        try
        {
            channel = QueueChannel.open(Path.of(channelPath));
        }
        catch (final RuntimeException ex)
        {
            throw new ControlException(ErrorCode.NULL_VAL, "cannot open the channel of queue " + queueId + ": " +
                ex.getMessage(), ex);
        }
        try
        {
            awaitActive(channel, queueId);
            return new NicQueue(this, channel, mode, null, null, ctx.txSlotReserve());
        }
        catch (final RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
    }

    private void awaitActive(final QueueChannel channel, final int queueId)
    {
        final QueueChannelHeader header = channel.header();
        final long deadlineNs = System.nanoTime() + ctx.queueActivationTimeoutNs();
        while (true)
        {
            final int state = header.state();
            if (state == QueueChannelHeader.STATE_ACTIVE)
            {
                return;
            }
            if (state != QueueChannelHeader.STATE_INITIALISING)
            {
                throw new ControlException(ErrorCode.QUEUE_DRIVER_FAILED, "the queue driver of queue " + queueId +
                    " stopped before serving it: channel " + QueueChannelHeader.stateName(state));
            }
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new ControlTimeoutException("the queue driver of queue " + queueId + " did not start serving " +
                    channel.description() + " within " + TimeUnit.NANOSECONDS.toMillis(ctx.queueActivationTimeoutNs()) +
                    " ms (channel still INITIALISING, driver pid " + header.driverPid() + ")");
            }
            control.poll();
            sleepQuietly(1);
        }
    }

    /**
     * Releases a queue: its filters are deregistered, the local side closed (inline queue driver stopped, channel
     * unmapped), and the card driver takes the queue back. A queue the card driver already revoked is only closed.
     *
     * @param queue one of this client's queues.
     * @throws ControlException if the card driver refuses.
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
        RuntimeException failure = null;
        for (final Filter filter : filtersOf(queueId))
        {
            try
            {
                deregister(filter);
            }
            catch (final ControlException ex)
            {
                if (ex.code() != ErrorCode.NO_SUCH_FILTER && ex.code() != ErrorCode.NO_SUCH_QUEUE)
                {
                    failure = failure == null ? ex : addSuppressed(failure, ex);
                }
            }
        }
        try
        {
            // The card driver disables the queue first, so the device stops using the rings before they are freed.
            sendReleaseQueue(queueId);
        }
        catch (final ControlException ex)
        {
            // A revoked queue is no longer granted: nothing left to give back.
            if (!(queue.isRevoked() && ex.code() == ErrorCode.NO_SUCH_QUEUE))
            {
                failure = failure == null ? ex : addSuppressed(failure, ex);
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

    private void sendReleaseQueue(final int queueId)
    {
        final ReentrantLock lock = control.lock();
        lock.lock();
        try
        {
            final long correlationId = control.nextCorrelationId();
            releaseQueueEncoder.wrapAndApplyHeader(control.requestBuffer(), 0, control.headerEncoder())
                .correlationId(correlationId)
                .clientId(clientId)
                .queueId(queueId);
            control.request(correlationId, length(releaseQueueEncoder.encodedLength()))
                .expect(QueueReleasedDecoder.TEMPLATE_ID);
        }
        finally
        {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Filters and neighbours
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Steers UDP datagrams to this client's address and {@code port} to {@code queue}.
     *
     * @return the filter.
     * @throws ControlException PORT_IN_USE, NO_FILTER_SLOT, NOT_OWNER, ...
     */
    public Filter registerUdpPort(final NicQueue queue, final int port)
    {
        return registerFilter(queue, FilterKind.UDP_PORT, port, 0, 0);
    }

    /**
     * Steers TCP segments to this client's address and {@code port} to {@code queue}.
     *
     * @return the filter.
     * @throws ControlException PORT_IN_USE, NO_FILTER_SLOT, NOT_OWNER, ...
     */
    public Filter registerTcpPort(final NicQueue queue, final int port)
    {
        return registerFilter(queue, FilterKind.TCP_PORT, port, 0, 0);
    }

    /**
     * Steers one TCP connection (the full 5-tuple) to {@code queue}.
     *
     * @return the filter.
     * @throws ControlException PORT_IN_USE, NO_FILTER_SLOT, NOT_OWNER, ...
     */
    public Filter registerTcpConnection(
        final NicQueue queue, final int localPort, final int remoteIp, final int remotePort)
    {
        return registerFilter(queue, FilterKind.TCP_CONNECTION, localPort, remoteIp, remotePort);
    }

    private Filter registerFilter(
        final NicQueue queue, final FilterKind kind, final int localPort, final int remoteIp, final int remotePort)
    {
        ensureOpen();
        checkPort("local", localPort);
        if (kind == FilterKind.TCP_CONNECTION)
        {
            checkPort("remote", remotePort);
        }
        final Filter filter;
        final ReentrantLock lock = control.lock();
        lock.lock();
        try
        {
            final long correlationId = control.nextCorrelationId();
            registerFilterEncoder.wrapAndApplyHeader(control.requestBuffer(), 0, control.headerEncoder())
                .correlationId(correlationId)
                .clientId(clientId)
                .queueId(queue.queueId())
                .kind(kind)
                .priority((short)0)
                .localIp(0)
                .localPort(localPort)
                .remoteIp(remoteIp & 0xFFFF_FFFFL)
                .remotePort(remotePort);
            final ControlResponse response = control.request(correlationId,
                length(registerFilterEncoder.encodedLength())).expect(FilterRegisteredDecoder.TEMPLATE_ID);
            final FilterRegisteredDecoder registered = filterRegisteredDecoder.wrap(
                response.buffer(), response.bodyOffset(), response.blockLength(), response.version());
            filter = new Filter(registered.filterId(), registered.queueId(), kind, registered.placement(),
                registered.hardwareIndex(), localPort, remoteIp, remotePort);
        }
        finally
        {
            lock.unlock();
        }
        filters.put(filter.filterId(), filter);
        return filter;
    }

    /**
     * Removes a filter. Idempotent for a filter already deregistered here.
     *
     * @throws ControlException NO_SUCH_FILTER, NOT_OWNER, ...
     */
    public void deregister(final Filter filter)
    {
        if (!filter.isRegistered())
        {
            return;
        }
        ensureOpen();
        final ReentrantLock lock = control.lock();
        lock.lock();
        try
        {
            final long correlationId = control.nextCorrelationId();
            deregisterFilterEncoder.wrapAndApplyHeader(control.requestBuffer(), 0, control.headerEncoder())
                .correlationId(correlationId)
                .clientId(clientId)
                .filterId(filter.filterId());
            control.request(correlationId, length(deregisterFilterEncoder.encodedLength()))
                .expect(FilterDeregisteredDecoder.TEMPLATE_ID);
        }
        finally
        {
            lock.unlock();
        }
        filter.markDeregistered();
        filters.remove(filter.filterId());
    }

    /**
     * The MAC of a neighbour on the card's subnet, resolved by the card driver (ARP on its default queue).
     *
     * @param ipv4 the neighbour's address, host order.
     * @return its MAC (low 48 bits).
     * @throws ControlException NEIGHBOUR_TIMEOUT if nobody answers, or another error of the card driver.
     */
    public long resolveNeighbour(final int ipv4)
    {
        ensureOpen();
        final ReentrantLock lock = control.lock();
        lock.lock();
        try
        {
            final long correlationId = control.nextCorrelationId();
            resolveNeighbourEncoder.wrapAndApplyHeader(control.requestBuffer(), 0, control.headerEncoder())
                .correlationId(correlationId)
                .clientId(clientId)
                .ipv4(ipv4 & 0xFFFF_FFFFL);
            final ControlResponse response = control.request(correlationId,
                length(resolveNeighbourEncoder.encodedLength())).expect(NeighbourDecoder.TEMPLATE_ID);
            return neighbourDecoder.wrap(
                response.buffer(), response.bodyOffset(), response.blockLength(), response.version()).mac();
        }
        finally
        {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Liveness, notifications, close
    // ---------------------------------------------------------------------------------------------------------------

    private void heartbeatLoop()
    {
        final long timeoutNs = TimeUnit.MILLISECONDS.toNanos(heartbeatTimeoutMs);
        // Several heartbeats per timeout, so that one late heartbeat is harmless.
        final long intervalNs = timeoutNs > 0 ? Math.min(ctx.heartbeatIntervalNs(), timeoutNs / 3) :
            ctx.heartbeatIntervalNs();
        while (!closed)
        {
            final long nowNs = System.nanoTime();
            for (final NicQueue queue : queues.values())
            {
                queue.heartbeat(nowNs);
            }
            if (lost == null)
            {
                try
                {
                    sendHeartbeat();
                }
                catch (final ControlException ex)
                {
                    if (closed)
                    {
                        return;
                    }
                    if (ex.code() == ErrorCode.NOT_CONNECTED || ex.code() == ErrorCode.CLIENT_TIMED_OUT)
                    {
                        // The card driver has reclaimed this client: its queues and filters are gone.
                        lost = ex;
                    }
                    ctx.errorHandler().onError(ex);
                }
                catch (final RuntimeException ex)
                {
                    if (!closed)
                    {
                        ctx.errorHandler().onError(ex);
                    }
                }
            }
            // Until the next heartbeat, read the answer stream every 10 ms: unasked messages arrive promptly and this
            // client keeps up with the stream every client shares (one that does not is left behind, untethered).
            while (!closed && System.nanoTime() - nowNs < intervalNs)
            {
                try
                {
                    control.poll();
                    TimeUnit.MILLISECONDS.sleep(10);
                }
                catch (final InterruptedException ex)
                {
                    return;
                }
                catch (final RuntimeException ex)
                {
                    if (!closed)
                    {
                        ctx.errorHandler().onError(ex);
                    }
                    break;
                }
            }
        }
    }

    private void sendHeartbeat()
    {
        final ReentrantLock lock = control.lock();
        lock.lock();
        try
        {
            if (closed)
            {
                return;
            }
            final long correlationId = control.nextCorrelationId();
            heartbeatEncoder.wrapAndApplyHeader(control.requestBuffer(), 0, control.headerEncoder())
                .correlationId(correlationId)
                .clientId(clientId);
            control.request(correlationId, length(heartbeatEncoder.encodedLength()))
                .expect(HeartbeatAckDecoder.TEMPLATE_ID);
            heartbeatsSent++;
        }
        finally
        {
            lock.unlock();
        }
    }

    private void onUnaskedMessage(final ControlResponse message)
    {
        if (message.templateId() != QueueRevokedDecoder.TEMPLATE_ID)
        {
            return;
        }
        final QueueRevokedDecoder revoked = queueRevokedDecoder.wrap(
            message.buffer(), message.bodyOffset(), message.blockLength(), message.version());
        final int queueId = revoked.queueId();
        final ErrorCode reason = ControlResponse.errorCode(revoked.reasonRaw());
        final String text = "queue " + queueId + " was revoked by the card driver (" + reason + "): " +
            revoked.message();
        final NicQueue queue = queues.get(queueId);
        if (queue != null)
        {
            queue.revoked(reason == ErrorCode.NULL_VAL ? ErrorCode.QUEUE_DRIVER_FAILED : reason, text);
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
        heartbeatThread.interrupt();
        joinQuietly(heartbeatThread);

        // Disconnect first: the card driver disables the queues before inline queue drivers free their rings.
        disconnect();
        for (final NicQueue queue : queues.values())
        {
            queue.closeLocally();
        }
        queues.clear();
        CloseHelper.quietCloseAll(control, aeron);
    }

    private void closeAtExit()
    {
        if (!closing.compareAndSet(false, true))
        {
            return;
        }
        closed = true;
        heartbeatThread.interrupt();
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
        final ReentrantLock lock = control.lock();
        lock.lock();
        try
        {
            final long correlationId = control.nextCorrelationId();
            disconnectEncoder.wrapAndApplyHeader(control.requestBuffer(), 0, control.headerEncoder())
                .correlationId(correlationId)
                .clientId(clientId);
            control.request(correlationId, length(disconnectEncoder.encodedLength()))
                .expect(DisconnectedDecoder.TEMPLATE_ID);
        }
        catch (final RuntimeException ex)
        {
            ctx.errorHandler().onError(ex);
        }
        finally
        {
            lock.unlock();
        }
    }

    public boolean isClosed()
    {
        return closed;
    }

    /**
     * Whether the card driver has reclaimed this client (it stopped hearing heartbeats): every request then fails.
     *
     * @return the card driver's refusal, null while the client is connected.
     */
    public ControlException lostReason()
    {
        return lost;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // What the card driver said at Connect
    // ---------------------------------------------------------------------------------------------------------------

    /** This client's id within the instance (its Aeron client id). */
    public long clientId()
    {
        return clientId;
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
        return mac;
    }

    /** The card's IPv4 address, host order: this client's address. */
    public int ipv4()
    {
        return ipv4;
    }

    public int prefixLength()
    {
        return prefixLength;
    }

    /** The gateway for destinations off the subnet, 0 if none. */
    public int gateway()
    {
        return gateway;
    }

    public int mtu()
    {
        return mtu;
    }

    /** Hardware queues free when this client connected. */
    public int queuesFree()
    {
        return queuesFree;
    }

    /** Hardware filters free when this client connected. */
    public int filtersFree()
    {
        return filtersFree;
    }

    /** Silence after which the card driver reclaims a client. */
    public long heartbeatTimeoutMs()
    {
        return heartbeatTimeoutMs;
    }

    /** Heartbeats answered so far. */
    public long heartbeatsSent()
    {
        return heartbeatsSent;
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
        return "NicClient{'" + ctx.name() + "' id " + clientId + " on " + description + ", " +
            Ipv4Address.toString(ipv4) + "/" + prefixLength + " " + MacAddress.toString(mac) +
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
        final ControlException reason = lost;
        if (reason != null)
        {
            throw new ControlException(reason.code(), "the " + description + " has reclaimed this client: " +
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

    private static int length(final int encodedLength)
    {
        return MessageHeaderEncoder.ENCODED_LENGTH + encodedLength;
    }

    private static RuntimeException addSuppressed(final RuntimeException failure, final RuntimeException other)
    {
        failure.addSuppressed(other);
        return failure;
    }

    private static void sleepQuietly(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new ControlException(ErrorCode.NULL_VAL, "interrupted while waiting for a queue driver", ex);
        }
    }

    private static void joinQuietly(final Thread thread)
    {
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
