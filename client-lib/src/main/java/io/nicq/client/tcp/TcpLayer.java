package io.nicq.client.tcp;

import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

import io.nicq.client.DropReason;
import io.nicq.client.Frame;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.iface.Ipv4Output;
import io.nicq.client.iface.Ipv4Protocol;
import io.nicq.packet.Ipv4Header;
import io.nicq.packet.TcpHeader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * TCP (RFC 9293) on an {@link Ipv4Interface}: the transport layer registered for protocol 6. It checks each segment
 * the interface hands up (length, data offset, checksum with the pseudo-header, options, flags), demultiplexes it by
 * 4-tuple to a {@link TcpConnection} or by local port to a {@link TcpListener}, and answers a segment for neither
 * with a RST (RFC 9293 3.10.7.1) from the slot it arrived in. {@link #poll} runs the connections' timers.
 * <pre>
 *   Ipv4Interface -&gt; receive(...) -&gt; checks -&gt; connection of the 4-tuple -&gt; state machine -&gt; TcpHandler events
 *                                         +-&gt; listener of the port (SYN)   -&gt; SYN-RECEIVED -&gt; onAccepted
 *                                         +-&gt; otherwise                      -&gt; RST (unless a RST)
 *   poll(now) -&gt; retransmission / persist / delayed ACK / keepalive / TIME_WAIT / SYN-RECEIVED expiry
 * </pre>
 * Malformed segments are counted drops in the interface's table ({@link DropReason#TRUNCATED_TCP},
 * {@link DropReason#BAD_TCP_OFFSET}, {@link DropReason#BAD_TCP_CHECKSUM}, {@link DropReason#BAD_TCP_OPTIONS},
 * {@link DropReason#BAD_TCP_FLAGS}, ...), never exceptions. Nothing is allocated per segment: a connection's send and
 * receive rings are taken when it is created (from a small pool of released ones) and given back when it is gone.
 * One thread: the one that polls the interface.
 */
public final class TcpLayer implements Ipv4Protocol
{
    /** Configuration of a TCP layer and of every connection on it, with defaults. */
    public static final class Context
    {
        /** TCP_NODELAY semantics by default: a latency stack sends small segments at once (no Nagle). */
        public static final boolean DEFAULT_NO_DELAY = true;
        /** Delayed ACK off by default: every data segment is acknowledged at once (an RPC peer waits for it). */
        public static final boolean DEFAULT_DELAYED_ACK = false;
        /** How long an ACK may be delayed when delayed ACK is on (RFC 9293 3.8.6.3 allows up to 500 ms). */
        public static final long DEFAULT_DELAYED_ACK_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(40);
        /**
         * How long the ACK of a short segment may wait for the application's answer to carry it on an interactive
         * connection; 0 (the default) acknowledges every segment at once. See {@link #interactiveAckDelay}.
         */
        public static final long DEFAULT_INTERACTIVE_ACK_DELAY_NS = 0;
        /** Send ring per connection. */
        public static final int DEFAULT_SEND_BUFFER_SIZE = 256 * 1024;
        /** Receive ring per connection: the most the advertised window can be. */
        public static final int DEFAULT_RECEIVE_BUFFER_SIZE = 256 * 1024;
        /**
         * Smallest retransmission timeout. RFC 6298 asks for 1 s and Linux uses 200 ms, both sized for Internet paths;
         * a LAN round trip through nicq is tens of microseconds, so 5 ms still leaves two orders of magnitude for
         * jitter (a descheduled poll loop, a peer's interrupt moderation) while a lost segment costs milliseconds,
         * not a fifth of a second. Against a peer that delays its ACKs (Linux, up to 40 ms) an idle tail segment may
         * be retransmitted spuriously: harmless (the peer discards the duplicate), and raised here if it matters.
         */
        public static final long DEFAULT_MIN_RTO_NS = TimeUnit.MILLISECONDS.toNanos(5);
        /** Largest retransmission timeout after backoff (RFC 6298 2.5 allows a maximum of at least 60 s). */
        public static final long DEFAULT_MAX_RTO_NS = TimeUnit.SECONDS.toNanos(60);
        /**
         * Longest interval between zero-window probes. They back off like the RTO (RFC 9293 3.8.6.1), but a probe is
         * also how a sender learns of a window update that was lost: uncapped, one lost update after a long stall
         * would cost up to maxRto. One probe a second to a peer that keeps its window shut is nothing on a LAN.
         */
        public static final long DEFAULT_MAX_PERSIST_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);
        /**
         * The RTO before any round trip is measured, for the SYN and SYN-ACK: 1 s, RFC 6298 2.1. The peer may be off
         * the link behind a gateway and nothing is known of the path yet; a LAN application may lower it. The
         * handshake's own round trip (when not retransmitted) is the first sample, so data sees a measured RTO.
         */
        public static final long DEFAULT_INITIAL_RTO_NS = TimeUnit.SECONDS.toNanos(1);
        /** SYN (and SYN-ACK) retransmissions before the open is given up: 1+2+4+8+16+32 s with the default RTO. */
        public static final int DEFAULT_SYN_RETRIES = 5;
        /** Data / FIN retransmissions without progress before the connection times out (Linux's tcp_retries2). */
        public static final int DEFAULT_DATA_RETRIES = 15;
        /** Keepalive probes off by default. */
        public static final boolean DEFAULT_KEEPALIVE = false;
        /** Idle time before the first keepalive probe (RFC 9293 3.8.4: no less than two hours by default). */
        public static final long DEFAULT_KEEPALIVE_IDLE_NS = TimeUnit.HOURS.toNanos(2);
        /** Time between unanswered keepalive probes. */
        public static final long DEFAULT_KEEPALIVE_INTERVAL_NS = TimeUnit.SECONDS.toNanos(75);
        /** Unanswered keepalive probes before the connection times out. */
        public static final int DEFAULT_KEEPALIVE_COUNT = 9;
        /**
         * TIME_WAIT: 1 s instead of 2 MSL (RFC 9293 suggests 2 x 2 min). A LAN holds no segment for minutes, and
         * the ISNs (RFC 6528, clock driven) and timestamps (PAWS) already keep an old duplicate out of a new
         * incarnation; a short wait keeps connect/close cycles from holding thousands of 4-tuples.
         */
        public static final long DEFAULT_TIME_WAIT_NS = TimeUnit.SECONDS.toNanos(1);
        /** Connections (every state but LISTEN) on the layer. */
        public static final int DEFAULT_MAX_CONNECTIONS = 1024;
        /** SYN-RECEIVED connections at once: beyond, SYNs are dropped (counted), so a flood cannot exhaust memory. */
        public static final int DEFAULT_MAX_HALF_OPEN = 128;
        /** How long a SYN-RECEIVED connection waits for the handshake's ACK before it is dropped. */
        public static final long DEFAULT_SYN_RECEIVED_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);
        /** Disjoint out-of-order ranges held per connection (the bytes are held in the receive ring itself). */
        public static final int DEFAULT_MAX_OUT_OF_ORDER_SEGMENTS = 32;
        /** Window scaling (RFC 7323) offered and accepted. */
        public static final boolean DEFAULT_WINDOW_SCALING = true;
        /**
         * Timestamps (RFC 7323) offered on a SYN and accepted from one: PAWS on every segment, TSval on a 1 ms clock.
         * RTT samples still come from the connection's own nanosecond timer of one segment per round trip (a LAN
         * round trip is far below the timestamp clock's millisecond), so the option costs 12 bytes of every segment
         * and buys protection from old duplicates once the sequence space can wrap within a segment lifetime.
         */
        public static final boolean DEFAULT_TIMESTAMPS = true;
        /**
         * SACK (RFC 2018) offered and accepted: out-of-order data is reported in the duplicate ACKs, and fast recovery
         * resends only the holes the peer's blocks leave.
         */
        public static final boolean DEFAULT_SACK = true;
        /** Released rings kept for the next connection instead of garbage, per direction. */
        public static final int DEFAULT_BUFFER_POOL_SIZE = 16;

        private boolean noDelay = DEFAULT_NO_DELAY;
        private boolean delayedAck = DEFAULT_DELAYED_ACK;
        private long delayedAckTimeoutNs = DEFAULT_DELAYED_ACK_TIMEOUT_NS;
        private long interactiveAckDelayNs = DEFAULT_INTERACTIVE_ACK_DELAY_NS;
        private int sendBufferSize = DEFAULT_SEND_BUFFER_SIZE;
        private int receiveBufferSize = DEFAULT_RECEIVE_BUFFER_SIZE;
        private long minRtoNs = DEFAULT_MIN_RTO_NS;
        private long maxRtoNs = DEFAULT_MAX_RTO_NS;
        private long maxPersistIntervalNs = DEFAULT_MAX_PERSIST_INTERVAL_NS;
        private long initialRtoNs = DEFAULT_INITIAL_RTO_NS;
        private int synRetries = DEFAULT_SYN_RETRIES;
        private int dataRetries = DEFAULT_DATA_RETRIES;
        private boolean keepalive = DEFAULT_KEEPALIVE;
        private long keepaliveIdleNs = DEFAULT_KEEPALIVE_IDLE_NS;
        private long keepaliveIntervalNs = DEFAULT_KEEPALIVE_INTERVAL_NS;
        private int keepaliveCount = DEFAULT_KEEPALIVE_COUNT;
        private long timeWaitNs = DEFAULT_TIME_WAIT_NS;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int maxHalfOpen = DEFAULT_MAX_HALF_OPEN;
        private long synReceivedTimeoutNs = DEFAULT_SYN_RECEIVED_TIMEOUT_NS;
        private int maxOutOfOrderSegments = DEFAULT_MAX_OUT_OF_ORDER_SEGMENTS;
        private boolean windowScaling = DEFAULT_WINDOW_SCALING;
        private boolean timestamps = DEFAULT_TIMESTAMPS;
        private boolean sack = DEFAULT_SACK;
        private int bufferPoolSize = DEFAULT_BUFFER_POOL_SIZE;
        private NanoClock clock;
        private SecureRandom random;

        public Context noDelay(final boolean noDelay)
        {
            this.noDelay = noDelay;
            return this;
        }

        public boolean noDelay()
        {
            return noDelay;
        }

        public Context delayedAck(final boolean delayedAck)
        {
            this.delayedAck = delayedAck;
            return this;
        }

        public boolean delayedAck()
        {
            return delayedAck;
        }

        public Context delayedAckTimeout(final long timeout, final TimeUnit unit)
        {
            this.delayedAckTimeoutNs = unit.toNanos(timeout);
            return this;
        }

        public long delayedAckTimeoutNs()
        {
            return delayedAckTimeoutNs;
        }

        /**
         * An RPC's ACKs on the answers (Linux's ping-pong mode, with a delay sized for a LAN): once the application
         * has written data within {@code delay} of receiving some, the connection is interactive, and the ACK of the
         * next short in-order segment waits up to {@code delay} for the application's next write to carry it, instead
         * of leaving at once as a segment of its own. The ACK-only segment per round trip (a request's ACK sent
         * before the next request) goes away. When the delay passes with nothing written, the ACK goes alone and the
         * connection is not interactive again until the application answers within the delay once more, so a
         * one-way stream keeps its immediate ACKs. Full segments, out-of-order data and FINs are acknowledged as
         * without it. Must be below half the minimum RTO (the peer must never retransmit for want of this ACK).
         */
        public Context interactiveAckDelay(final long delay, final TimeUnit unit)
        {
            this.interactiveAckDelayNs = unit.toNanos(delay);
            return this;
        }

        public long interactiveAckDelayNs()
        {
            return interactiveAckDelayNs;
        }

        public Context sendBufferSize(final int sendBufferSize)
        {
            this.sendBufferSize = sendBufferSize;
            return this;
        }

        public int sendBufferSize()
        {
            return sendBufferSize;
        }

        public Context receiveBufferSize(final int receiveBufferSize)
        {
            this.receiveBufferSize = receiveBufferSize;
            return this;
        }

        public int receiveBufferSize()
        {
            return receiveBufferSize;
        }

        public Context minRto(final long rto, final TimeUnit unit)
        {
            this.minRtoNs = unit.toNanos(rto);
            return this;
        }

        public long minRtoNs()
        {
            return minRtoNs;
        }

        public Context maxRto(final long rto, final TimeUnit unit)
        {
            this.maxRtoNs = unit.toNanos(rto);
            return this;
        }

        public long maxRtoNs()
        {
            return maxRtoNs;
        }

        public Context maxPersistInterval(final long interval, final TimeUnit unit)
        {
            this.maxPersistIntervalNs = unit.toNanos(interval);
            return this;
        }

        public long maxPersistIntervalNs()
        {
            return maxPersistIntervalNs;
        }

        public Context initialRto(final long rto, final TimeUnit unit)
        {
            this.initialRtoNs = unit.toNanos(rto);
            return this;
        }

        public long initialRtoNs()
        {
            return initialRtoNs;
        }

        public Context synRetries(final int synRetries)
        {
            this.synRetries = synRetries;
            return this;
        }

        public int synRetries()
        {
            return synRetries;
        }

        public Context dataRetries(final int dataRetries)
        {
            this.dataRetries = dataRetries;
            return this;
        }

        public int dataRetries()
        {
            return dataRetries;
        }

        public Context keepalive(final boolean keepalive)
        {
            this.keepalive = keepalive;
            return this;
        }

        public boolean keepalive()
        {
            return keepalive;
        }

        public Context keepaliveIdle(final long idle, final TimeUnit unit)
        {
            this.keepaliveIdleNs = unit.toNanos(idle);
            return this;
        }

        public long keepaliveIdleNs()
        {
            return keepaliveIdleNs;
        }

        public Context keepaliveInterval(final long interval, final TimeUnit unit)
        {
            this.keepaliveIntervalNs = unit.toNanos(interval);
            return this;
        }

        public long keepaliveIntervalNs()
        {
            return keepaliveIntervalNs;
        }

        public Context keepaliveCount(final int keepaliveCount)
        {
            this.keepaliveCount = keepaliveCount;
            return this;
        }

        public int keepaliveCount()
        {
            return keepaliveCount;
        }

        public Context timeWait(final long timeWait, final TimeUnit unit)
        {
            this.timeWaitNs = unit.toNanos(timeWait);
            return this;
        }

        public long timeWaitNs()
        {
            return timeWaitNs;
        }

        public Context maxConnections(final int maxConnections)
        {
            this.maxConnections = maxConnections;
            return this;
        }

        public int maxConnections()
        {
            return maxConnections;
        }

        public Context maxHalfOpen(final int maxHalfOpen)
        {
            this.maxHalfOpen = maxHalfOpen;
            return this;
        }

        public int maxHalfOpen()
        {
            return maxHalfOpen;
        }

        public Context synReceivedTimeout(final long timeout, final TimeUnit unit)
        {
            this.synReceivedTimeoutNs = unit.toNanos(timeout);
            return this;
        }

        public long synReceivedTimeoutNs()
        {
            return synReceivedTimeoutNs;
        }

        public Context maxOutOfOrderSegments(final int maxOutOfOrderSegments)
        {
            this.maxOutOfOrderSegments = maxOutOfOrderSegments;
            return this;
        }

        public int maxOutOfOrderSegments()
        {
            return maxOutOfOrderSegments;
        }

        public Context windowScaling(final boolean windowScaling)
        {
            this.windowScaling = windowScaling;
            return this;
        }

        public boolean windowScaling()
        {
            return windowScaling;
        }

        public Context timestamps(final boolean timestamps)
        {
            this.timestamps = timestamps;
            return this;
        }

        public boolean timestamps()
        {
            return timestamps;
        }

        public Context sack(final boolean sack)
        {
            this.sack = sack;
            return this;
        }

        public boolean sack()
        {
            return sack;
        }

        public Context bufferPoolSize(final int bufferPoolSize)
        {
            this.bufferPoolSize = bufferPoolSize;
            return this;
        }

        public int bufferPoolSize()
        {
            return bufferPoolSize;
        }

        /**
         * A clock for tests and simulations: when set, the layer reads the time from it everywhere instead of the
         * times the interface passes ({@link Ipv4Protocol#receive}, {@link Ipv4Protocol#poll}), so a test can drive
         * every timer. Null (the default): the interface's times.
         */
        public Context clock(final NanoClock clock)
        {
            this.clock = clock;
            return this;
        }

        public NanoClock clock()
        {
            return clock;
        }

        /** The randomness of the ISN secret (RFC 6528); null (the default): a new {@link SecureRandom}. */
        public Context random(final SecureRandom random)
        {
            this.random = random;
            return this;
        }

        public SecureRandom random()
        {
            return random;
        }

        void validate()
        {
            positive("sendBufferSize", sendBufferSize);
            positive("receiveBufferSize", receiveBufferSize);
            if (receiveBufferSize > 1 << 30 || sendBufferSize > 1 << 30)
            {
                throw new IllegalArgumentException("buffers are at most 1 GiB (RFC 7323's largest window)");
            }
            positive("minRto", minRtoNs);
            positive("maxPersistInterval", maxPersistIntervalNs);
            positive("initialRto", initialRtoNs);
            if (maxRtoNs < minRtoNs)
            {
                throw new IllegalArgumentException("maxRto " + maxRtoNs + " ns is below minRto " + minRtoNs + " ns");
            }
            positive("maxConnections", maxConnections);
            positive("maxHalfOpen", maxHalfOpen);
            positive("maxOutOfOrderSegments", maxOutOfOrderSegments);
            positive("timeWait", timeWaitNs);
            positive("delayedAckTimeout", delayedAckTimeoutNs);
            if (interactiveAckDelayNs < 0 || interactiveAckDelayNs >= minRtoNs / 2)
            {
                throw new IllegalArgumentException("interactiveAckDelay " + interactiveAckDelayNs + " ns must be at " +
                    "least 0 and below half of minRto (" + minRtoNs / 2 + " ns)");
            }
            if (synRetries < 0 || dataRetries < 0 || keepaliveCount < 0 || bufferPoolSize < 0)
            {
                throw new IllegalArgumentException("retries, keepalive count and pool size cannot be negative");
            }
        }

        private static void positive(final String name, final long value)
        {
            if (value <= 0)
            {
                throw new IllegalArgumentException(name + " must be positive: " + value);
            }
        }
    }

    private static final int FLAGS_SYN_FIN = TcpHeader.FLAG_SYN | TcpHeader.FLAG_FIN;
    private static final int FLAGS_SYN_RST = TcpHeader.FLAG_SYN | TcpHeader.FLAG_RST;

    private final Ipv4Interface ip;
    private final Ipv4Output output;
    private final Context ctx;
    private final NanoClock clock;
    private final IsnGenerator isn;
    private final TcpHeader header = new TcpHeader();
    private final TcpOptions options = new TcpOptions();
    private final Long2ObjectHashMap<TcpConnection> connections = new Long2ObjectHashMap<>();
    private final Int2ObjectHashMap<TcpListener> listeners = new Int2ObjectHashMap<>();
    private final TcpConnection[] active;
    private final ArrayDeque<UnsafeBuffer> sendPool = new ArrayDeque<>();
    private final ArrayDeque<UnsafeBuffer> receivePool = new ArrayDeque<>();
    private final int maxSegmentPayload;
    private final long timestampBaseNs;
    private int activeCount;
    private int halfOpen;
    private long nextDeadlineNs = Long.MAX_VALUE;
    private long nowNs;
    /** A listener's hand-over ({@link TcpHandOver}): sees every segment that matches no connection here first. */
    private TcpSteering steering;
    /** The segment being received came through a hand-over inbox, not this layer's queue. */
    private boolean handedOver;
    /** A TIME_WAIT connection is being released for a new incarnation of its 4-tuple. */
    private boolean reincarnating;

    private long segmentsReceived;
    private long segmentsSent;
    private long retransmissions;
    private long timeouts;
    private long spuriousTimeouts;
    private long connectionsOpened;
    private long connectionsAccepted;
    private long resetsSent;
    private long synsDropped;
    private long timeWaitRecycled;
    private long synsNotHandedOver;

    /**
     * The TCP layer of an interface with the default {@link Context}: registers itself for protocol 6.
     *
     * @see #TcpLayer(Ipv4Interface, Context)
     */
    public TcpLayer(final Ipv4Interface ip)
    {
        this(ip, new Context());
    }

    /**
     * @param ip  the interface below.
     * @param ctx configuration of the layer and its connections.
     * @throws IllegalStateException if the interface has a TCP layer already.
     */
    public TcpLayer(final Ipv4Interface ip, final Context ctx)
    {
        ctx.validate();
        this.ip = ip;
        this.ctx = ctx;
        this.clock = ctx.clock();
        this.output = ip.output(Ipv4Header.PROTOCOL_TCP);
        this.isn = new IsnGenerator(ctx.random() != null ? ctx.random() : new SecureRandom());
        this.active = new TcpConnection[ctx.maxConnections()];
        this.maxSegmentPayload = output.maxLength() - TcpHeader.MIN_HEADER_LENGTH;
        this.nowNs = clock != null ? clock.nanoTime() : System.nanoTime();
        this.timestampBaseNs = nowNs;
        ip.register(Ipv4Header.PROTOCOL_TCP, this);
    }

    /** The interface below. */
    public Ipv4Interface ip()
    {
        return ip;
    }

    /** The layer's configuration. */
    public Context context()
    {
        return ctx;
    }

    /** The MSS this host announces: the largest IPv4 payload less the 20-byte TCP header. */
    public int maxSegmentSize()
    {
        return maxSegmentPayload;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Receive
    // ---------------------------------------------------------------------------------------------------------------

    public void receive(
        final int sourceAddress,
        final int destinationAddress,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final long nowNs)
    {
        this.nowNs = clock != null ? clock.nanoTime() : nowNs;
        if (length < TcpHeader.MIN_HEADER_LENGTH)
        {
            ip.countDrop(DropReason.TRUNCATED_TCP);
            return;
        }
        final Frame frame = ip.receivedFrame();
        final MutableDirectBuffer slot = frame != null ? frame.buffer() : (MutableDirectBuffer)buffer;
        final TcpHeader header = this.header.wrap(slot, offset);
        final int headerLength = header.headerLength();
        if (headerLength < TcpHeader.MIN_HEADER_LENGTH || headerLength > length)
        {
            ip.countDrop(DropReason.BAD_TCP_OFFSET);
            return;
        }
        if (!header.verifyChecksum(sourceAddress, destinationAddress, length))
        {
            ip.countDrop(DropReason.BAD_TCP_CHECKSUM);
            return;
        }
        if (destinationAddress != output.localAddress())
        {
            ip.countDrop(DropReason.WRONG_DESTINATION);
            return;
        }
        final int flags = header.flags();
        if ((flags & FLAGS_SYN_FIN) == FLAGS_SYN_FIN || (flags & FLAGS_SYN_RST) == FLAGS_SYN_RST ||
            header.sourcePort() == 0 || header.destinationPort() == 0)
        {
            ip.countDrop(DropReason.BAD_TCP_FLAGS);
            return;
        }
        if (!options.parse(slot, offset + TcpHeader.MIN_HEADER_LENGTH, headerLength - TcpHeader.MIN_HEADER_LENGTH))
        {
            ip.countDrop(DropReason.BAD_TCP_OPTIONS);
            return;
        }
        segmentsReceived++;
        final int localPort = header.destinationPort();
        final int remotePort = header.sourcePort();
        TcpConnection connection = connections.get(key(sourceAddress, remotePort, localPort));
        boolean reincarnation = false;
        if (connection != null && connection.state() == TcpState.TIME_WAIT &&
            connection.acceptsNewIncarnation(header, options))
        {
            // The new incarnation keeps what steered the old one here (a hand-over's connection filter).
            reincarnating = true;
            try
            {
                connection.release();
            }
            finally
            {
                reincarnating = false;
            }
            connection = null;
            reincarnation = true;
        }
        if (connection != null)
        {
            connection.onSegment(header, options, slot, offset + headerLength, length - headerLength);
            return;
        }
        if (steering != null && !reincarnation && steering.steer(sourceAddress, header, slot, offset, length))
        {
            return;
        }
        final TcpListener listener = listeners.get(localPort);
        if (listener != null)
        {
            onListenerSegment(listener, sourceAddress, header, length - headerLength, reincarnation);
            return;
        }
        ip.countDrop(DropReason.NO_CONNECTION);
        resetUnknown(sourceAddress, header, length - headerLength);
    }

    /** RFC 9293 3.10.7.2: a segment to a listener. */
    private void onListenerSegment(
        final TcpListener listener, final int sourceAddress, final TcpHeader header, final int payloadLength,
        final boolean reincarnation)
    {
        final int flags = header.flags();
        if ((flags & TcpHeader.FLAG_RST) != 0)
        {
            ip.countDrop(DropReason.NO_CONNECTION);
            return;
        }
        if ((flags & TcpHeader.FLAG_ACK) != 0)
        {
            ip.countDrop(DropReason.NO_CONNECTION);
            resetUnknown(sourceAddress, header, payloadLength);
            return;
        }
        if ((flags & TcpHeader.FLAG_SYN) == 0)
        {
            ip.countDrop(DropReason.BAD_TCP_FLAGS);
            return;
        }
        // A worker takes a new connection only from its listener's hand-over, which registers its filter; one that
        // came straight here (its 4-tuple's filter outlived its last connection) would lose that filter under it.
        if (listener.handOverOnly() && !handedOver && !reincarnation)
        {
            synsNotHandedOver++;
            ip.countDrop(DropReason.TCP_NOT_HANDED_OVER);
            return;
        }
        if (halfOpen >= ctx.maxHalfOpen() || listener.isClosed() || !hasRoomForConnection())
        {
            synsDropped++;
            ip.countDrop(DropReason.TCP_BACKLOG_FULL);
            return;
        }
        final TcpConnection connection = new TcpConnection(this, listener.localPort(), sourceAddress,
            header.sourcePort(), listener);
        add(connection);
        halfOpen++;
        connection.onSyn(header, options);
    }

    /**
     * RFC 9293 3.10.7.1: a RST for a segment to nothing, written over the segment in its own slot (no copy, no
     * neighbour lookup): seq = the segment's ACK if it had one, else seq 0 with an ACK of everything it occupied.
     */
    private void resetUnknown(final int remoteAddress, final TcpHeader header, final int payloadLength)
    {
        if ((header.flags() & TcpHeader.FLAG_RST) != 0 || ip.receivedFrame() == null)
        {
            return;
        }
        // The received slot becomes the reply; its first 20 TCP bytes move up with the payload, and RFC 9293
        // 3.10.7.1's rule (one place: TcpHeader.turnIntoReset) turns them into the reset.
        final int offset = output.claimReply(TcpHeader.MIN_HEADER_LENGTH);
        this.header.wrap(output.buffer(), offset).turnIntoReset(payloadLength)
            .computeChecksum(output.localAddress(), remoteAddress, TcpHeader.MIN_HEADER_LENGTH);
        output.send(TcpHeader.MIN_HEADER_LENGTH);
        segmentsSent++;
        resetsSent++;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Timers
    // ---------------------------------------------------------------------------------------------------------------

    public int poll(final long nowNs)
    {
        final long now = clock != null ? clock.nanoTime() : nowNs;
        this.nowNs = now;
        if (now - nextDeadlineNs < 0)
        {
            return 0;
        }
        nextDeadlineNs = Long.MAX_VALUE;
        long next = Long.MAX_VALUE;
        int work = 0;
        for (int i = 0; i < activeCount; )
        {
            final TcpConnection connection = active[i];
            if (connection.deadlineNs() - now <= 0)
            {
                work++;
                connection.onTimer(now);
            }
            if (i < activeCount && active[i] == connection)
            {
                next = Math.min(next, connection.deadlineNs());
                i++;
            }
        }
        nextDeadlineNs = Math.min(next, nextDeadlineNs);
        return work;
    }

    /** A connection's earliest deadline moved to {@code deadlineNs}: the next poll looks at it then. */
    void schedule(final long deadlineNs)
    {
        if (deadlineNs - nextDeadlineNs < 0)
        {
            nextDeadlineNs = deadlineNs;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // For connections and listeners
    // ---------------------------------------------------------------------------------------------------------------

    long nowNs()
    {
        return clock != null ? clock.nanoTime() : nowNs;
    }

    /** Refreshes the layer's time outside a receive or poll (an application's connect, write or read). */
    long refreshNow()
    {
        nowNs = clock != null ? clock.nanoTime() : System.nanoTime();
        return nowNs;
    }

    /** RFC 7323's TSval clock: milliseconds since the layer started. */
    int timestampNow()
    {
        return (int)TimeUnit.NANOSECONDS.toMillis(nowNs - timestampBaseNs) + 1;
    }

    Ipv4Output output()
    {
        return output;
    }

    TcpHeader header()
    {
        return header;
    }

    int maxSegmentPayload()
    {
        return maxSegmentPayload;
    }

    int initialSequenceNumber(final int localPort, final int remoteAddress, final int remotePort)
    {
        return isn.isn(output.localAddress(), localPort, remoteAddress, remotePort, nowNs);
    }

    static long key(final int remoteAddress, final int remotePort, final int localPort)
    {
        return ((long)remoteAddress << 32) | ((long)(remotePort & 0xFFFF) << 16) | (localPort & 0xFFFF);
    }

    void add(final TcpConnection connection)
    {
        if (activeCount >= active.length)
        {
            throw new io.nicq.client.NicException(io.nicq.client.NicException.Reason.INTERNAL_ERROR,
                "the TCP layer holds " + active.length + " connections (Context.maxConnections)");
        }
        final long key = key(connection.remoteAddress(), connection.remotePort(), connection.localPort());
        final TcpConnection existing = connections.get(key);
        if (existing != null)
        {
            throw new IllegalStateException("a connection with this 4-tuple exists: " + existing);
        }
        connections.put(key, connection);
        connection.activeIndex = activeCount;
        active[activeCount++] = connection;
    }

    void remove(final TcpConnection connection)
    {
        final long key = key(connection.remoteAddress(), connection.remotePort(), connection.localPort());
        if (connections.get(key) == connection)
        {
            connections.remove(key);
            final TcpListener listener = connection.listener();
            if (listener != null && !reincarnating)
            {
                listener.released(key);
            }
        }
        final int index = connection.activeIndex;
        if (index >= 0 && index < activeCount && active[index] == connection)
        {
            final TcpConnection last = active[--activeCount];
            active[index] = last;
            last.activeIndex = index;
            active[activeCount] = null;
        }
        connection.activeIndex = -1;
    }

    /**
     * Whether one more connection fits: when the table is full, the TIME_WAIT connection nearest its end gives up
     * its slot (as Linux does when its time-wait buckets overflow). TIME_WAIT guards against an old duplicate of a
     * finished incarnation; a new connection gets a new ephemeral port and ISN, and timestamps (PAWS) guard the rest,
     * so a client that opens and closes connections faster than maxConnections per TIME_WAIT never starves.
     */
    boolean hasRoomForConnection()
    {
        if (activeCount < active.length)
        {
            return true;
        }
        TcpConnection oldest = null;
        for (int i = 0; i < activeCount; i++)
        {
            final TcpConnection connection = active[i];
            if (connection.state() == TcpState.TIME_WAIT &&
                (oldest == null || connection.timeWaitDeadlineNs() - oldest.timeWaitDeadlineNs() < 0))
            {
                oldest = connection;
            }
        }
        if (oldest == null)
        {
            return false;
        }
        oldest.release();
        timeWaitRecycled++;
        return activeCount < active.length;
    }

    /** Whether a connection of this 4-tuple is on the layer (in any state, TIME_WAIT included). */
    boolean hasConnection(final long key)
    {
        return connections.containsKey(key);
    }

    /** Installs a listener's hand-over: it sees every segment that matches no connection of this layer first. */
    void steering(final TcpSteering steering)
    {
        if (steering != null && this.steering != null)
        {
            throw new IllegalStateException("the TCP layer on queue " + ip.queue().queueId() + " has a hand-over");
        }
        this.steering = steering;
    }

    /**
     * A segment a listener's hand-over passed to this layer (it reached the listener's queue): received as if it had
     * come through this layer's own queue, with the 4-tuple's new connection allowed on a hand-over listener. The
     * segment is read and may be written in place, as a received slot is.
     */
    void receiveHandedOver(final int sourceAddress, final MutableDirectBuffer buffer, final int offset,
        final int length)
    {
        handedOver = true;
        try
        {
            receive(sourceAddress, output.localAddress(), buffer, offset, length, System.nanoTime());
        }
        finally
        {
            handedOver = false;
        }
    }

    void halfOpenEnded()
    {
        halfOpen--;
    }

    void listen(final int port, final TcpListener listener)
    {
        final TcpListener existing = listeners.get(port);
        if (existing != null)
        {
            throw new io.nicq.client.NicException(io.nicq.client.NicException.Reason.PORT_IN_USE,
                "TCP port " + port + " already has a listener on queue " + ip.queue().queueId() + ": " + existing);
        }
        listeners.put(port, listener);
    }

    void unlisten(final int port, final TcpListener listener)
    {
        if (listeners.get(port) == listener)
        {
            listeners.remove(port);
        }
        for (int i = activeCount - 1; i >= 0; i--)
        {
            final TcpConnection connection = active[i];
            if (connection.listener() == listener && connection.state() == TcpState.SYN_RECEIVED)
            {
                connection.abort();
            }
        }
    }

    UnsafeBuffer takeSendBuffer()
    {
        final UnsafeBuffer pooled = sendPool.pollFirst();
        return pooled != null ? pooled : new UnsafeBuffer(new byte[ctx.sendBufferSize()]);
    }

    UnsafeBuffer takeReceiveBuffer()
    {
        final UnsafeBuffer pooled = receivePool.pollFirst();
        return pooled != null ? pooled : new UnsafeBuffer(new byte[ctx.receiveBufferSize()]);
    }

    void giveBack(final UnsafeBuffer send, final UnsafeBuffer receive)
    {
        if (send != null && sendPool.size() < ctx.bufferPoolSize())
        {
            sendPool.addFirst(send);
        }
        if (receive != null && receivePool.size() < ctx.bufferPoolSize())
        {
            receivePool.addFirst(receive);
        }
    }

    void countDrop(final DropReason reason)
    {
        ip.countDrop(reason);
    }

    void countSent(final boolean retransmission)
    {
        segmentsSent++;
        if (retransmission)
        {
            retransmissions++;
        }
    }

    void countRetransmission()
    {
        retransmissions++;
    }

    void countTimeout()
    {
        timeouts++;
    }

    void countSpuriousTimeout()
    {
        spuriousTimeouts++;
    }

    /** Timeouts found spurious by their first ACK's timestamp echo (Eifel): the windows were restored. */
    public long spuriousTimeouts()
    {
        return spuriousTimeouts;
    }

    /** Retransmission timeouts of data (not SYNs, not zero-window probes): each one a go-back-N from SND.UNA. */
    public long timeouts()
    {
        return timeouts;
    }

    void countReset()
    {
        resetsSent++;
    }

    void countOpened(final boolean passive)
    {
        if (passive)
        {
            connectionsAccepted++;
        }
        else
        {
            connectionsOpened++;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Counters
    // ---------------------------------------------------------------------------------------------------------------

    /** Segments that passed the checks and reached a connection or listener (or were answered with a RST). */
    public long segmentsReceived()
    {
        return segmentsReceived;
    }

    /** Segments sent, retransmissions and RSTs included. */
    public long segmentsSent()
    {
        return segmentsSent;
    }

    /** Segments sent again: timeouts, fast retransmits, SYN and FIN retransmissions. */
    public long retransmissions()
    {
        return retransmissions;
    }

    /** Connections now on the layer (every state but LISTEN, TIME_WAIT included). */
    public int connections()
    {
        return activeCount;
    }

    /** Connections in SYN-RECEIVED now. */
    public int halfOpenConnections()
    {
        return halfOpen;
    }

    /** Active opens started. */
    public long connectionsOpened()
    {
        return connectionsOpened;
    }

    /** Passive opens that reached ESTABLISHED. */
    public long connectionsAccepted()
    {
        return connectionsAccepted;
    }

    /** RSTs sent: to segments for nothing, aborts, and resets of misbehaving peers. */
    public long resetsSent()
    {
        return resetsSent;
    }

    /** SYNs dropped because the half-open table or the connection table was full. */
    public long synsDropped()
    {
        return synsDropped;
    }

    /** SYNs dropped on a hand-over worker's queue because they did not come through the hand-over. */
    public long synsNotHandedOver()
    {
        return synsNotHandedOver;
    }

    /** TIME_WAIT connections ended early to make room for a new one (the table was full). */
    public long timeWaitRecycled()
    {
        return timeWaitRecycled;
    }

    /** Listeners open. */
    public int listeners()
    {
        return listeners.size();
    }

    /** Counters; and each connection, while there are at most four (a stuck transfer then says where it stands). */
    public String toString()
    {
        final StringBuilder text = new StringBuilder("TcpLayer{").append(activeCount).append(" connections (")
            .append(halfOpen).append(" half-open), ").append(listeners.size()).append(" listeners, segments in ")
            .append(segmentsReceived).append(" out ").append(segmentsSent).append(", retransmissions ")
            .append(retransmissions).append(timeWaitRecycled > 0 ? ", TIME_WAIT recycled " + timeWaitRecycled : "")
            .append(" on ").append(ip);
        for (int i = 0; i < activeCount && activeCount <= 4; i++)
        {
            text.append(", ").append(active[i]);
        }
        return text.append('}').toString();
    }
}
