package io.nicq.client.tcp;

import io.nicq.client.DropReason;
import io.nicq.client.Filter;
import io.nicq.client.iface.Ipv4Output;
import io.nicq.packet.Ipv4Address;
import io.nicq.packet.TcpHeader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.nicq.client.tcp.SequenceNumbers.ge;
import static io.nicq.client.tcp.SequenceNumbers.gt;
import static io.nicq.client.tcp.SequenceNumbers.le;
import static io.nicq.client.tcp.SequenceNumbers.lt;

/**
 * One TCP connection (its transmission control block, RFC 9293 3.3.1) on a {@link TcpLayer}: the state machine,
 * a send ring and a receive ring, and the retransmission timer (RFC 6298).
 * <p>
 * Send: {@link #write} copies into the send ring (bytes from SND.UNA on, unacknowledged then unsent); segments are
 * built from it straight into claimed slots. Receive: in-order bytes are copied from the slot into the receive ring
 * and {@link #read} hands out views of it; the advertised window is the ring's free space. Out-of-order segments are
 * written into the ring at their place and kept as a bounded list of sequence ranges (no memory beyond the ring),
 * answered with a duplicate ACK, and joined to the in-order bytes when the hole fills.
 * <p>
 * One thread: the one that polls the interface.
 */
public final class TcpConnection
{
    private static final long NO_DEADLINE = Long.MAX_VALUE;
    private static final int DEFAULT_PEER_MSS = 536;
    /** NOP, NOP, kind 8, length 10, TSval, TSecr: the word-aligned layout every segment carries (RFC 7323 App. A). */
    private static final int TIMESTAMP_OPTION_LENGTH = 12;
    /**
     * RFC 7323 5.5: after this long without a valid timestamp from the peer, TS.Recent is no longer valid (its 1 ms
     * clock may have run through half its sequence space, 2^31 ms, about 24.8 days) and PAWS does not reject on it.
     */
    private static final long TS_RECENT_VALID_NS = java.util.concurrent.TimeUnit.DAYS.toNanos(24);
    /** NOP, NOP, kind 5, length: the SACK option's 4 bytes before its 8-byte blocks (RFC 2018 3). */
    private static final int SACK_OPTION_OVERHEAD = 4;
    private static final int SACK_BLOCK_LENGTH = 8;
    /** NOP, NOP, kind 4, length 2: SACK-permitted, word-aligned on a SYN. */
    private static final int SACK_PERMITTED_OPTION_LENGTH = 4;
    /** SACKed ranges above SND.UNA the sender remembers; a block that finds no room is simply not remembered. */
    private static final int SCOREBOARD_RANGES = 16;

    private final TcpLayer tcp;
    private final TcpLayer.Context ctx;
    private final int localPort;
    private final int remoteAddress;
    private final int remotePort;
    private final TcpListener listener;
    private Filter filter;
    private TcpHandler handler;
    private TcpState state = TcpState.CLOSED;
    private TcpCloseReason closeReason = TcpCloseReason.NONE;
    int activeIndex = -1;

    private UnsafeBuffer sendRing;
    private UnsafeBuffer receiveRing;
    private int sendHead;
    private int sendLength;
    private int sendBase;
    private int receiveHead;
    private int receiveLength;
    /**
     * Out-of-order data already in the receive ring past the in-order tail, as disjoint sorted sequence ranges
     * [start, end): a byte with sequence number X always sits at (receiveHead + receiveLength + X - RCV.NXT) mod
     * capacity, so holding it costs no memory beyond the ring, only a range (at most Context.maxOutOfOrderSegments).
     */
    private final int[] outOfOrderStart;
    private final int[] outOfOrderEnd;
    private int outOfOrderCount;
    private boolean peerFinHeld;
    private int peerFinSeq;

    private int iss;
    private int sndUna;
    private int sndNxt;
    private int sndMax;
    private int sndWnd;
    /** The largest window the peer has offered (RFC 9293 3.8.6.2.1's Max(SND.WND)), for silly window avoidance. */
    private int maxSendWindow;
    private int sndWl1;
    private int sndWl2;
    private int sndShift;
    private int rcvShift;
    private int irs;
    private int rcvNxt;
    private int rcvAdv;
    private int mss;
    /**
     * Timestamps (RFC 7323), negotiated when both SYNs carried the option: every segment but a RST then carries
     * TSval (the layer's 1 ms clock plus {@link #tsOffset}) and TSecr (TS.Recent); PAWS rejects a segment whose
     * TSval is older than TS.Recent. TS.Recent is updated only by a segment that starts at or before the ACK last
     * sent (Last.ACK.sent, RFC 7323 4.3), so a delayed ACK echoes the oldest unacknowledged segment's time.
     */
    private boolean timestamps;
    private int tsRecent;
    private long tsRecentNs;
    private int tsOffset;
    private int lastAckSent;
    /**
     * SACK (RFC 2018), negotiated when both SYNs carried SACK-permitted. As receiver: every pure ACK sent while
     * out-of-order data is held carries up to 4 blocks (3 with timestamps), the one holding the latest segment first.
     * As sender: the scoreboard holds the SACKed ranges above SND.UNA (sorted, disjoint); fast recovery retransmits
     * only the holes below the highest SACKed byte, one per duplicate ACK, from {@link #highRxt} on (RFC 6675's
     * NextSeg, without its pipe estimate: NewReno's window inflation paces new data). A retransmission timeout
     * forgets the scoreboard (RFC 2018 8: the receiver may have reneged).
     */
    private boolean sack;
    private int latestOutOfOrderSeq;
    private final int[] sackedStart = new int[SCOREBOARD_RANGES];
    private final int[] sackedEnd = new int[SCOREBOARD_RANGES];
    private int sackedCount;
    private int highRxt;
    private boolean noDelay;
    private boolean finQueued;
    private boolean appClosed;
    private boolean wantWritable;
    private boolean ackNow;
    private boolean released;

    /** The RTO from the estimators (RFC 6298 2); the timer runs at it doubled {@link #backoff} times. */
    private long rtoNs;
    /**
     * Timeouts since the RTO was last known good (RFC 6298 5.5): cleared by a fresh RTT sample, by any ACK of new
     * data when timestamps tell which transmission it answers (as BSD's tcp_input does), and by a window that opens
     * after zero-window probes (as Linux's tcp_ack_probe does). Kept apart from rtoNs so that ending a backoff
     * needs no new sample: a connection that once probed a zero window for a minute must not keep a 60 s RTO.
     */
    private int backoff;
    private long srttNs;
    private long rttvarNs;
    private boolean rttTiming;
    private int rttSeq;
    private long rttStartNs;
    private int retries;
    private long rtxDeadlineNs = NO_DEADLINE;
    private long timeWaitDeadlineNs = NO_DEADLINE;
    /** Delayed ACK (Context.delayedAck): when the held ACK goes out, and full segments it covers so far. */
    private long ackDeadlineNs = NO_DEADLINE;
    /** Output that found no free slot tries again at the layer's next poll (see retryWhenSlotsFree). */
    private long outputRetryNs = NO_DEADLINE;
    /** Keepalive (Context.keepalive): when the next probe is due, and probes sent without an answer. */
    private long keepaliveDeadlineNs = NO_DEADLINE;
    private int keepaliveProbes;
    private int segmentsUnacked;
    /** When in-order data last arrived, for the interactive ACK (Context.interactiveAckDelay). */
    private long lastDataReceivedNs = Long.MIN_VALUE / 2;
    /** The application answered within the interactive ACK delay: a short segment's ACK may wait for its write. */
    private boolean interactive;
    /** The held ACK is an interactive one: its timer firing means the application did not answer in time. */
    private boolean interactiveAckHeld;
    private int cwnd;
    private int ssthresh = Integer.MAX_VALUE;
    private int dupAcks;
    /** NewReno (RFC 6582): in fast recovery until SND.UNA passes {@link #recover}, SND.MAX when it began. */
    private boolean fastRecovery;
    private int recover;
    /**
     * Eifel detection (RFC 3522) of a spurious timeout, with timestamps: the TSval of the first retransmission after
     * a timeout, and the windows before it. If the first new ACK after the timeout echoes an older TSval, it answers
     * the original transmission: the timeout was spurious (the peer or this host was only late, as a descheduled
     * thread on a busy machine is), and the windows come back (RFC 4015) instead of a slow start from one segment.
     */
    private boolean afterTimeout;
    private int timeoutTsval;
    private int cwndBeforeTimeout;
    private int ssthreshBeforeTimeout;

    private long bytesSent;
    private long bytesReceived;
    private long retransmissions;

    TcpConnection(final TcpLayer tcp, final int localPort, final int remoteAddress, final int remotePort,
        final TcpListener listener)
    {
        this.tcp = tcp;
        this.ctx = tcp.context();
        this.localPort = localPort;
        this.remoteAddress = remoteAddress;
        this.remotePort = remotePort;
        this.listener = listener;
        this.noDelay = ctx.noDelay();
        this.rtoNs = ctx.initialRtoNs();
        this.outOfOrderStart = new int[Math.max(0, ctx.maxOutOfOrderSegments())];
        this.outOfOrderEnd = new int[outOfOrderStart.length];
        int shift = 0;
        while (ctx.windowScaling() && shift < 14 && (ctx.receiveBufferSize() >> shift) > 0xFFFF)
        {
            shift++;
        }
        this.rcvShift = shift;
    }

    /**
     * Active open: registers the TCP connection filter (the card driver allocates the local port) and sends the SYN.
     * Returns at once; {@link TcpHandler#onConnected} (or onClosed with REFUSED / CONNECT_TIMED_OUT) follows on the
     * poll thread.
     *
     * @throws io.nicq.client.NicException if the card driver refuses the filter or the next hop cannot be resolved.
     */
    public static TcpConnection connect(final TcpLayer tcp, final int remoteAddress, final int remotePort,
        final TcpHandler handler)
    {
        if (remotePort <= 0 || remotePort > 0xFFFF)
        {
            throw new IllegalArgumentException("remote port " + remotePort + " is outside [1, 65535]");
        }
        if (!tcp.hasRoomForConnection())
        {
            throw new IllegalStateException("the TCP layer holds its most connections (Context.maxConnections)");
        }
        final Filter filter = tcp.ip().controlPlane().registerTcpConnection(tcp.ip().queue(), 0, remoteAddress,
            remotePort);
        final TcpConnection connection = new TcpConnection(tcp, filter.localPort(), remoteAddress, remotePort, null);
        connection.filter = filter;
        connection.handler = handler;
        try
        {
            tcp.add(connection);
        }
        catch (final RuntimeException ex)
        {
            tcp.ip().controlPlane().deregister(filter);
            throw ex;
        }
        final long now = tcp.refreshNow();
        connection.allocateBuffers();
        connection.iss = tcp.initialSequenceNumber(connection.localPort, remoteAddress, remotePort);
        connection.tsOffset = timestampOffset(connection.iss);
        connection.recover = connection.iss;
        connection.sndUna = connection.iss;
        connection.sndNxt = connection.iss + 1;
        connection.sndMax = connection.sndNxt;
        connection.sendBase = connection.iss + 1;
        connection.state = TcpState.SYN_SENT;
        tcp.countOpened(false);
        connection.sendSyn(false, false);
        connection.startTiming(connection.iss + 1, now);
        connection.armRetransmission(now);
        return connection;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Application API
    // ---------------------------------------------------------------------------------------------------------------

    public TcpState state()
    {
        return state;
    }

    public int localPort()
    {
        return localPort;
    }

    public int remoteAddress()
    {
        return remoteAddress;
    }

    public int remotePort()
    {
        return remotePort;
    }

    public TcpHandler handler()
    {
        return handler;
    }

    /** Sets the handler that gets this connection's events (for accepted connections, in onAccepted). */
    public TcpConnection handler(final TcpHandler handler)
    {
        this.handler = handler;
        return this;
    }

    /** Nagle off (true, the default from the Context) or on (false): TCP_NODELAY. */
    public TcpConnection noDelay(final boolean noDelay)
    {
        this.noDelay = noDelay;
        return this;
    }

    public boolean noDelay()
    {
        return noDelay;
    }

    /** The connection filter of an active open; null for an accepted connection (it came through the port filter). */
    public Filter filter()
    {
        return filter;
    }

    public TcpCloseReason closeReason()
    {
        return closeReason;
    }

    /**
     * Copies up to {@code length} bytes into the send ring and sends what the windows allow.
     *
     * @return bytes accepted: 0 when the ring is full (then {@link TcpHandler#onWritable} when it has room again).
     * @throws IllegalStateException after shutdownOutput, close or abort.
     */
    public int write(final DirectBuffer src, final int offset, final int length)
    {
        if (!state.canSend() || finQueued || released)
        {
            throw new IllegalStateException("connection cannot send in " + state + (finQueued ? " (FIN queued)" : ""));
        }
        final int capacity = sendRing.capacity();
        final int count = Math.min(length, capacity - sendLength);
        if (count < length)
        {
            wantWritable = true;
        }
        if (count <= 0)
        {
            return 0;
        }
        int tail = (sendHead + sendLength) % capacity;
        final int first = Math.min(count, capacity - tail);
        sendRing.putBytes(tail, src, offset, first);
        if (first < count)
        {
            sendRing.putBytes(0, src, offset + first, count - first);
        }
        sendLength += count;
        if (state.isSynchronized())
        {
            final long now = tcp.refreshNow();
            if (ctx.interactiveAckDelayNs() > 0 && now - lastDataReceivedNs <= ctx.interactiveAckDelayNs())
            {
                interactive = true;
            }
            output();
        }
        return count;
    }

    /** Room in the send ring. */
    public int writableBytes()
    {
        return sendRing == null || finQueued ? 0 : sendRing.capacity() - sendLength;
    }

    /**
     * Hands the reader views of the in-order received bytes (at most two: the ring may wrap) until it consumes less
     * than offered.
     *
     * @return bytes consumed.
     */
    public int read(final TcpReader reader)
    {
        if (receiveRing == null || receiveLength == 0)
        {
            return 0;
        }
        int total = 0;
        final int capacity = receiveRing.capacity();
        while (receiveLength > 0)
        {
            final int chunk = Math.min(receiveLength, capacity - receiveHead);
            final int consumed = Math.max(0, Math.min(chunk, reader.onData(receiveRing, receiveHead, chunk)));
            receiveHead = (receiveHead + consumed) % capacity;
            receiveLength -= consumed;
            total += consumed;
            if (consumed < chunk)
            {
                break;
            }
        }
        if (total > 0)
        {
            maybeWindowUpdate();
            releaseBuffersIfDone();
        }
        return total;
    }

    /** In-order bytes waiting to be read. */
    public int readableBytes()
    {
        return receiveLength;
    }

    /** Half-close: a FIN goes after the queued data; the peer may go on sending. */
    public void shutdownOutput()
    {
        if (finQueued || released)
        {
            return;
        }
        switch (state)
        {
            case SYN_SENT ->
            {
                abortQuietly(TcpCloseReason.CLOSED);
                return;
            }
            case ESTABLISHED, SYN_RECEIVED -> state = state == TcpState.ESTABLISHED ? TcpState.FIN_WAIT_1 : state;
            case CLOSE_WAIT -> state = TcpState.LAST_ACK;
            default ->
            {
                return;
            }
        }
        finQueued = true;
        if (state.isSynchronized())
        {
            tcp.refreshNow();
            output();
        }
    }

    /** Graceful close: FIN after the queued data, released when done. With unread data: a RST (as Linux does). */
    public void close()
    {
        if (released)
        {
            return;
        }
        appClosed = true;
        if (receiveLength > 0)
        {
            abort();
            return;
        }
        shutdownOutput();
        releaseBuffersIfDone();
    }

    /** Sends a RST (in a synchronized state) and releases everything now; onClosed(ABORTED). */
    public void abort()
    {
        if (released)
        {
            return;
        }
        appClosed = true;
        if (state.isSynchronized() || state == TcpState.SYN_RECEIVED)
        {
            tcp.refreshNow();
            sendReset(sndNxt);
        }
        abortQuietly(TcpCloseReason.ABORTED);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Passive open
    // ---------------------------------------------------------------------------------------------------------------

    TcpListener listener()
    {
        return listener;
    }

    void onSyn(final TcpHeader header, final TcpOptions options)
    {
        final long now = tcp.nowNs();
        irs = header.sequenceNumber();
        rcvNxt = irs + 1;
        negotiate(options, true);
        sndWnd = header.window();
        maxSendWindow = sndWnd;
        // RFC 9293 3.10.7.4: WL1/WL2 from the SYN, so the handshake's ACK (seq IRS+1) updates the window; left at 0
        // they would ignore every window update until the peer's sequence passed 0 in modular order.
        sndWl1 = irs;
        iss = tcp.initialSequenceNumber(localPort, remoteAddress, remotePort);
        tsOffset = timestampOffset(iss);
        recover = iss;
        sndUna = iss;
        sndNxt = iss + 1;
        sndMax = sndNxt;
        sendBase = iss + 1;
        sndWl2 = iss;
        state = TcpState.SYN_RECEIVED;
        sendSyn(true, options.windowScale >= 0);
        startTiming(iss + 1, now);
        armRetransmission(now);
    }

    private void negotiate(final TcpOptions options, final boolean passive)
    {
        final int peerMss = options.mss > 0 ? options.mss : DEFAULT_PEER_MSS;
        mss = Math.max(64, Math.min(peerMss, tcp.maxSegmentPayload()));
        sack = ctx.sack() && options.sackPermitted;
        sackedCount = 0;
        timestamps = ctx.timestamps() && options.hasTimestamp;
        if (timestamps)
        {
            tsRecent = options.timestampValue;
            tsRecentNs = tcp.nowNs();
            // The MSS counts no options (RFC 9293 3.7.1, RFC 6691): 12 bytes of every segment are now the option.
            mss -= TIMESTAMP_OPTION_LENGTH;
        }
        if (ctx.windowScaling() && options.windowScale >= 0)
        {
            sndShift = options.windowScale;
        }
        else
        {
            sndShift = 0;
            rcvShift = 0;
        }
        cwnd = Math.min(10 * mss, Math.max(2 * mss, 14600));
    }

    boolean acceptsNewIncarnation(final TcpHeader header, final TcpOptions options)
    {
        final int flags = header.flags();
        return (flags & TcpHeader.FLAG_SYN) != 0 && (flags & TcpHeader.FLAG_ACK) == 0 &&
            gt(header.sequenceNumber(), rcvNxt) && listener != null && !listener.isClosed();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Segment arrival (RFC 9293 3.10.7)
    // ---------------------------------------------------------------------------------------------------------------

    void onSegment(final TcpHeader header, final TcpOptions options, final DirectBuffer buffer,
        final int payloadOffset, final int payloadLength)
    {
        final int flags = header.flags();
        final int seq = header.sequenceNumber();
        final int ack = header.acknowledgmentNumber();
        final boolean hasAck = (flags & TcpHeader.FLAG_ACK) != 0;
        final boolean rst = (flags & TcpHeader.FLAG_RST) != 0;
        final boolean syn = (flags & TcpHeader.FLAG_SYN) != 0;
        if (state == TcpState.SYN_SENT)
        {
            onSynSentSegment(header, options, flags, seq, ack);
            return;
        }
        if (state == TcpState.SYN_RECEIVED && syn && !hasAck && seq == irs)
        {
            sendSyn(true, sndShift > 0 || rcvShift > 0);
            return;
        }
        if (timestamps && !rst && !timestampAcceptable(options))
        {
            return;
        }
        final int segmentLength = payloadLength + (syn ? 1 : 0) + ((flags & TcpHeader.FLAG_FIN) != 0 ? 1 : 0);
        int dataLength = payloadLength;
        boolean fin = (flags & TcpHeader.FLAG_FIN) != 0;
        if (!acceptable(seq, segmentLength))
        {
            tcp.countDrop(DropReason.TCP_OUT_OF_WINDOW);
            if (rst || syn || seq != rcvNxt || receiveWindow() != 0)
            {
                if (!rst)
                {
                    sendAck();
                }
                return;
            }
            // RFC 9293 3.10.7.4: a zero window takes no data, "but special allowance should be made to accept valid
            // ACKs". A zero-window probe's ACK field may be the only news of what the peer holds: two hosts whose
            // windows are both shut would otherwise ignore each other's probes for ever. The data is dropped.
            dataLength = 0;
            fin = false;
            ackNow = true;
        }
        if (timestamps && options.hasTimestamp && le(seq, lastAckSent) && ge(options.timestampValue, tsRecent))
        {
            // RFC 7323 4.3 and 5.3 R3: the segment is acceptable and starts at or before the left edge we acked.
            tsRecent = options.timestampValue;
            tsRecentNs = tcp.nowNs();
        }
        heard();
        if (rst)
        {
            if (seq == rcvNxt)
            {
                if (state == TcpState.SYN_RECEIVED && listener != null)
                {
                    abortQuietly(TcpCloseReason.RESET);
                }
                else
                {
                    abortQuietly(state == TcpState.TIME_WAIT || state == TcpState.LAST_ACK || state ==
                        TcpState.CLOSING ? TcpCloseReason.CLOSED : TcpCloseReason.RESET);
                }
            }
            else
            {
                sendAck();
            }
            return;
        }
        if (syn)
        {
            sendAck();
            return;
        }
        if (!hasAck)
        {
            tcp.countDrop(DropReason.BAD_TCP_FLAGS);
            return;
        }
        if (state == TcpState.SYN_RECEIVED)
        {
            if (!(gt(ack, sndUna) && le(ack, sndMax)))
            {
                sendReset(ack);
                return;
            }
            established();
            if (released)
            {
                return;
            }
        }
        if (!onAck(header, options, seq, ack, payloadLength))
        {
            return;
        }
        if (released)
        {
            return;
        }
        if (dataLength > 0 && state.canReceive())
        {
            onData(seq, buffer, payloadOffset, dataLength, fin);
            if (released)
            {
                return;
            }
        }
        else if (payloadLength > 0)
        {
            ackNow = true;
        }
        if ((fin && seq + dataLength == rcvNxt) ||
            (peerFinHeld && rcvNxt == peerFinSeq && state.canReceive()))
        {
            peerFinHeld = false;
            onFin();
            if (released)
            {
                return;
            }
        }
        output();
    }

    private void onSynSentSegment(final TcpHeader header, final TcpOptions options, final int flags, final int seq,
        final int ack)
    {
        final boolean hasAck = (flags & TcpHeader.FLAG_ACK) != 0;
        if (hasAck && (le(ack, iss) || gt(ack, sndMax)))
        {
            if ((flags & TcpHeader.FLAG_RST) == 0)
            {
                sendResetTo(ack, 0, TcpHeader.FLAG_RST);
            }
            tcp.countDrop(DropReason.TCP_OUT_OF_WINDOW);
            return;
        }
        if ((flags & TcpHeader.FLAG_RST) != 0)
        {
            if (hasAck)
            {
                abortQuietly(TcpCloseReason.REFUSED);
            }
            return;
        }
        if ((flags & TcpHeader.FLAG_SYN) == 0)
        {
            tcp.countDrop(DropReason.BAD_TCP_FLAGS);
            return;
        }
        irs = seq;
        rcvNxt = seq + 1;
        negotiate(options, false);
        if (hasAck)
        {
            sndUna = ack;
            sndWnd = header.window() << sndShift;
            maxSendWindow = sndWnd;
            sndWl1 = seq;
            sndWl2 = ack;
            sampleRtt(ack, tcp.nowNs());
            retries = 0;
            rtxDeadlineNs = NO_DEADLINE;
            state = TcpState.ESTABLISHED;
            heard();
            sendAck();
            final TcpHandler h = handler;
            if (h != null)
            {
                h.onConnected(this);
            }
            if (!released)
            {
                output();
            }
        }
        else
        {
            state = TcpState.SYN_RECEIVED;
            sndWnd = header.window();
            sndWl1 = seq;
            sndWl2 = iss;
            sendSyn(true, sndShift > 0);
        }
    }

    /**
     * PAWS (RFC 7323 5.3 R1): a segment whose TSval is older than a valid TS.Recent is an old duplicate, dropped
     * and answered with an ACK; once timestamps are negotiated a segment without the option is dropped silently
     * (RFC 7323 3.2). Both are counted as TCP_PAWS.
     */
    private boolean timestampAcceptable(final TcpOptions options)
    {
        if (!options.hasTimestamp)
        {
            tcp.countDrop(DropReason.TCP_PAWS);
            return false;
        }
        if (lt(options.timestampValue, tsRecent) && tcp.nowNs() - tsRecentNs < TS_RECENT_VALID_NS)
        {
            tcp.countDrop(DropReason.TCP_PAWS);
            sendAck();
            return false;
        }
        return true;
    }

    /** A per-connection start for TSval, so the clock says nothing about the host's uptime (RFC 7323 7.1). */
    private static int timestampOffset(final int iss)
    {
        return Integer.rotateLeft(iss * 0x9E3779B9, 13);
    }

    private boolean acceptable(final int seq, final int segmentLength)
    {
        final int window = receiveWindow();
        if (segmentLength == 0)
        {
            // Up to the right edge itself, as Linux's tcp_sequence: a sender whose flight fills the window numbers
            // its pure ACKs there.
            return window == 0 ? seq == rcvNxt : ge(seq, rcvNxt) && le(seq, rcvNxt + window);
        }
        if (window == 0)
        {
            return false;
        }
        final int last = seq + segmentLength - 1;
        return (ge(seq, rcvNxt) && lt(seq, rcvNxt + window)) || (ge(last, rcvNxt) && lt(last, rcvNxt + window));
    }

    private void established()
    {
        if (listener != null)
        {
            tcp.halfOpenEnded();
            allocateBuffers();
            tcp.countOpened(true);
        }
        state = TcpState.ESTABLISHED;
        retries = 0;
        if (listener != null)
        {
            listener.handler().onAccepted(this);
        }
    }

    /** @return false if the segment is to be dropped. */
    private boolean onAck(final TcpHeader header, final TcpOptions options, final int seq, final int ack,
        final int payloadLength)
    {
        final long now = tcp.nowNs();
        if (gt(ack, sndMax))
        {
            tcp.countDrop(DropReason.TCP_OUT_OF_WINDOW);
            sendAck();
            return false;
        }
        if (sack && options.sackBlocks > 0)
        {
            recordSack(options, ack);
        }
        final int window = header.window() << sndShift;
        if (gt(ack, sndUna))
        {
            final int finSeq = sendBase + sendLength;
            final int dataAcked = Math.min(ack - sendBase, sendLength);
            if (dataAcked > 0)
            {
                sendHead = (sendHead + dataAcked) % sendRing.capacity();
                sendLength -= dataAcked;
                sendBase += dataAcked;
            }
            final int acked = ack - sndUna;
            sndUna = ack;
            forgetSackedBelow(ack);
            if (afterTimeout)
            {
                afterTimeout = false;
                if (timestamps && options.hasTimestamp && lt(options.timestampEcho, timeoutTsval))
                {
                    cwnd = cwndBeforeTimeout;
                    ssthresh = ssthreshBeforeTimeout;
                    backoff = 0;
                    tcp.countSpuriousTimeout();
                }
            }
            if (lt(sndNxt, ack))
            {
                sndNxt = ack;
            }
            sampleRtt(ack, now);
            retries = 0;
            if (fastRecovery && lt(ack, recover))
            {
                // A partial ACK (RFC 6582 3.2 step 5): the next hole is lost too; resend it now instead of waiting
                // for three more duplicates or the RTO, and deflate the window by what left the network.
                if (sackedCount > 0 && lt(sndUna, highRxt))
                {
                    retransmitNextHole(now);
                }
                else
                {
                    retransmit(now);
                }
                cwnd = Math.max(mss, cwnd - acked + mss);
            }
            else if (fastRecovery)
            {
                fastRecovery = false;
                dupAcks = 0;
                cwnd = Math.max(mss, Math.min(ssthresh, (sndMax - sndUna) + mss));
            }
            else
            {
                dupAcks = 0;
                if (cwnd < ssthresh)
                {
                    cwnd += Math.min(acked, mss);
                }
                else
                {
                    cwnd += Math.max(1, mss * mss / Math.max(1, cwnd));
                }
            }
            cwnd = Math.min(cwnd, 1 << 30);
            if (timestamps)
            {
                backoff = 0;
            }
            rtxDeadlineNs = sndUna == sndMax ? NO_DEADLINE : now + currentRtoNs();
            tcp.schedule(rtxDeadlineNs);
            if (finQueued && gt(ack, finSeq))
            {
                onFinAcked(now);
                if (released)
                {
                    return false;
                }
            }
            if (wantWritable && sendRing != null && sendLength < sendRing.capacity() && state.canSend() &&
                !finQueued)
            {
                wantWritable = false;
                final TcpHandler h = handler;
                if (h != null)
                {
                    h.onWritable(this);
                }
                if (released)
                {
                    return false;
                }
            }
        }
        else if (ack == sndUna && payloadLength == 0 && sndUna != sndMax && window == sndWnd && window != 0)
        {
            if (++dupAcks == 3 && !fastRecovery && gt(ack, recover))
            {
                // Fast retransmit (RFC 5681 3.2); a new recovery only once the cumulative ACK passes `recover`
                // (RFC 6582 3.2 step 1): the last recovery's data, or what was in flight at a timeout, whose
                // go-back-N makes the peer answer duplicates with duplicate ACKs that signal no loss.
                ssthresh = Math.max((sndMax - sndUna) / 2, 2 * mss);
                cwnd = ssthresh + 3 * mss;
                fastRecovery = true;
                recover = sndMax;
                retransmit(now);
            }
            else if (fastRecovery)
            {
                // One segment left the network: with SACK, spend it on the next hole if there is one.
                if (!(sackedCount > 0 && retransmitNextHole(now)))
                {
                    cwnd += mss;
                }
            }
        }
        if (lt(sndWl1, seq) || (sndWl1 == seq && le(sndWl2, ack)))
        {
            if (window > maxSendWindow)
            {
                maxSendWindow = window;
            }
            if (sndWnd == 0 && window > 0)
            {
                // The window opened: the probes' backoff says nothing about the path (Linux: tcp_ack_probe).
                backoff = 0;
            }
            sndWnd = window;
            sndWl1 = seq;
            sndWl2 = ack;
        }
        if (window == 0 && ack == sndUna && sndWnd == 0)
        {
            retries = 0;
        }
        return true;
    }

    /**
     * Merges the SACK blocks of an ACK into the scoreboard. A block that is not above the cumulative ACK (a D-SACK,
     * RFC 2883, or a stale one), is empty or reversed, or reaches beyond SND.MAX says nothing usable and is ignored.
     */
    private void recordSack(final TcpOptions options, final int ack)
    {
        for (int b = 0; b < options.sackBlocks; b++)
        {
            int start = options.sackStart[b];
            final int end = options.sackEnd[b];
            if (le(end, start) || le(end, ack) || gt(end, sndMax))
            {
                continue;
            }
            if (lt(start, ack))
            {
                start = ack;
            }
            int first = 0;
            while (first < sackedCount && lt(sackedEnd[first], start))
            {
                first++;
            }
            int last = first;
            int mergedStart = start;
            int mergedEnd = end;
            while (last < sackedCount && le(sackedStart[last], mergedEnd))
            {
                if (lt(sackedStart[last], mergedStart))
                {
                    mergedStart = sackedStart[last];
                }
                if (gt(sackedEnd[last], mergedEnd))
                {
                    mergedEnd = sackedEnd[last];
                }
                last++;
            }
            final int merged = last - first;
            if (merged == 0 && sackedCount == SCOREBOARD_RANGES)
            {
                continue;
            }
            final int shift = 1 - merged;
            if (shift != 0)
            {
                System.arraycopy(sackedStart, last, sackedStart, last + shift, sackedCount - last);
                System.arraycopy(sackedEnd, last, sackedEnd, last + shift, sackedCount - last);
                sackedCount += shift;
            }
            sackedStart[first] = mergedStart;
            sackedEnd[first] = mergedEnd;
        }
    }

    /** The cumulative ACK reached {@code ack}: the ranges below it are acknowledged for good. */
    private void forgetSackedBelow(final int ack)
    {
        int gone = 0;
        while (gone < sackedCount && le(sackedEnd[gone], ack))
        {
            gone++;
        }
        if (gone > 0)
        {
            System.arraycopy(sackedStart, gone, sackedStart, 0, sackedCount - gone);
            System.arraycopy(sackedEnd, gone, sackedEnd, 0, sackedCount - gone);
            sackedCount -= gone;
        }
        if (sackedCount > 0 && lt(sackedStart[0], ack))
        {
            sackedStart[0] = ack;
        }
        if (lt(highRxt, ack))
        {
            highRxt = ack;
        }
    }

    /**
     * Resends the first bytes from HighRxt on that no SACK covers and that lie below the highest SACKed byte (so
     * the peer has seen later data: they are lost, RFC 6675 IsLost in its simplest form).
     *
     * @return false if there is no such hole.
     */
    private boolean retransmitNextHole(final long now)
    {
        int from = ge(highRxt, sndUna) ? highRxt : sndUna;
        for (int r = 0; r < sackedCount; r++)
        {
            if (lt(from, sackedStart[r]))
            {
                final int length = Math.min(mss, sackedStart[r] - from);
                rttTiming = false;
                if (!sendSegment(from, length, 0, true))
                {
                    return false;
                }
                retransmissions++;
                highRxt = from + length;
                return true;
            }
            if (lt(from, sackedEnd[r]))
            {
                from = sackedEnd[r];
            }
        }
        return false;
    }

    /** The SACK blocks a pure ACK carries now: with out-of-order data held, as many as fit beside the options. */
    private int sackBlocksToSend()
    {
        return sack ? Math.min(outOfOrderCount, timestamps ? 3 : 4) : 0;
    }

    /** RFC 2018 4: the block holding the latest out-of-order segment first, then the others in sequence order. */
    private void putSackOption(final MutableDirectBuffer buffer, final int at, final int blocks)
    {
        putAlignedOptionHead(buffer, at, TcpOptions.KIND_SACK, 2 + SACK_BLOCK_LENGTH * blocks);
        int latest = 0;
        for (int r = 0; r < outOfOrderCount; r++)
        {
            if (le(outOfOrderStart[r], latestOutOfOrderSeq) && lt(latestOutOfOrderSeq, outOfOrderEnd[r]))
            {
                latest = r;
                break;
            }
        }
        putSackBlock(buffer, at + SACK_OPTION_OVERHEAD, latest);
        int written = 1;
        for (int r = 0; r < outOfOrderCount && written < blocks; r++)
        {
            if (r != latest)
            {
                putSackBlock(buffer, at + SACK_OPTION_OVERHEAD + SACK_BLOCK_LENGTH * written++, r);
            }
        }
    }

    private void putSackBlock(final MutableDirectBuffer buffer, final int at, final int range)
    {
        buffer.putInt(at, outOfOrderStart[range], java.nio.ByteOrder.BIG_ENDIAN);
        buffer.putInt(at + 4, outOfOrderEnd[range], java.nio.ByteOrder.BIG_ENDIAN);
    }

    private void onFinAcked(final long now)
    {
        switch (state)
        {
            case FIN_WAIT_1 -> state = TcpState.FIN_WAIT_2;
            case CLOSING -> enterTimeWait(now);
            case LAST_ACK -> finish(TcpCloseReason.CLOSED);
            default ->
            {
            }
        }
    }

    private void onData(final int seq, final DirectBuffer buffer, final int payloadOffset, final int payloadLength,
        final boolean fin)
    {
        final int room = receiveRing.capacity() - receiveLength;
        final boolean inOrder = !gt(seq, rcvNxt) && outOfOrderCount == 0;
        if (inOrder)
        {
            lastDataReceivedNs = tcp.nowNs();
        }
        if (inOrder && interactive && !fin && payloadLength < mss && segmentsUnacked == 0)
        {
            // An interactive connection's short segment: its ACK waits a moment for the application's answer.
            segmentsUnacked++;
            if (ackDeadlineNs == NO_DEADLINE)
            {
                ackDeadlineNs = tcp.nowNs() + ctx.interactiveAckDelayNs();
                interactiveAckHeld = true;
                tcp.schedule(ackDeadlineNs);
            }
        }
        else if (gt(seq, rcvNxt) || !ctx.delayedAck() || outOfOrderCount > 0)
        {
            // Out-of-order data, a hole being filled, or no delayed ACK: acknowledge at once (RFC 5681 4.2).
            ackNow = true;
        }
        else if (++segmentsUnacked >= 2 || payloadLength < mss)
        {
            // Every second full segment, and a short one (the end of a message: the latency user waits for it).
            ackNow = true;
        }
        else if (ackDeadlineNs == NO_DEADLINE)
        {
            ackDeadlineNs = tcp.nowNs() + ctx.delayedAckTimeoutNs();
            tcp.schedule(ackDeadlineNs);
        }
        if (gt(seq, rcvNxt))
        {
            if (holdOutOfOrder(seq, buffer, payloadOffset, payloadLength, room) && fin)
            {
                peerFinHeld = true;
                peerFinSeq = seq + payloadLength;
            }
            // A pure duplicate ACK now, with its SACK blocks, even if data is waiting to go: one that rides on data
            // is no duplicate ACK to the peer (RFC 5681 2), and its fast retransmit would wait for the timer.
            sendAck();
            return;
        }
        final int skip = rcvNxt - seq;
        final int length = Math.min(payloadLength - skip, room);
        if (length <= 0)
        {
            return;
        }
        copyIntoRing(0, buffer, payloadOffset + skip, length);
        receiveLength += length;
        rcvNxt += length;
        bytesReceived += length;
        absorbOutOfOrder();
        final TcpHandler h = handler;
        if (h != null)
        {
            h.onReadable(this);
        }
    }

    /** Copies {@code length} bytes to the ring position of RCV.NXT + {@code distance}. */
    private void copyIntoRing(final int distance, final DirectBuffer buffer, final int offset, final int length)
    {
        final int capacity = receiveRing.capacity();
        final int at = (int)(((long)receiveHead + receiveLength + distance) % capacity);
        final int first = Math.min(length, capacity - at);
        receiveRing.putBytes(at, buffer, offset, first);
        if (first < length)
        {
            receiveRing.putBytes(0, buffer, offset + first, length - first);
        }
    }

    /**
     * Keeps a segment beyond RCV.NXT (trimmed to the free ring) and merges its range with the held ones; overlapping
     * and duplicated bytes are simply written again.
     *
     * @return true if all of its payload is held.
     */
    private boolean holdOutOfOrder(final int seq, final DirectBuffer buffer, final int payloadOffset,
        final int payloadLength, final int room)
    {
        final int distance = seq - rcvNxt;
        final int length = Math.min(payloadLength, room - distance);
        if (length <= 0)
        {
            return false;
        }
        int start = seq;
        int end = seq + length;
        int first = 0;
        while (first < outOfOrderCount && lt(outOfOrderEnd[first], start))
        {
            first++;
        }
        int last = first;
        while (last < outOfOrderCount && le(outOfOrderStart[last], end))
        {
            if (lt(outOfOrderStart[last], start))
            {
                start = outOfOrderStart[last];
            }
            if (gt(outOfOrderEnd[last], end))
            {
                end = outOfOrderEnd[last];
            }
            last++;
        }
        final int merged = last - first;
        if (merged == 0 && outOfOrderCount == outOfOrderStart.length)
        {
            tcp.countDrop(DropReason.TCP_OUT_OF_ORDER_FULL);
            return false;
        }
        copyIntoRing(distance, buffer, payloadOffset, length);
        latestOutOfOrderSeq = seq;
        final int shift = 1 - merged;
        if (shift != 0)
        {
            System.arraycopy(outOfOrderStart, last, outOfOrderStart, last + shift, outOfOrderCount - last);
            System.arraycopy(outOfOrderEnd, last, outOfOrderEnd, last + shift, outOfOrderCount - last);
            outOfOrderCount += shift;
        }
        outOfOrderStart[first] = start;
        outOfOrderEnd[first] = end;
        return length == payloadLength;
    }

    /** Moves held ranges that RCV.NXT reached into the in-order bytes (they are in place in the ring already). */
    private void absorbOutOfOrder()
    {
        int absorbed = 0;
        while (absorbed < outOfOrderCount && le(outOfOrderStart[absorbed], rcvNxt))
        {
            final int end = outOfOrderEnd[absorbed];
            if (gt(end, rcvNxt))
            {
                final int gained = end - rcvNxt;
                receiveLength += gained;
                rcvNxt = end;
                bytesReceived += gained;
            }
            absorbed++;
        }
        if (absorbed > 0)
        {
            System.arraycopy(outOfOrderStart, absorbed, outOfOrderStart, 0, outOfOrderCount - absorbed);
            System.arraycopy(outOfOrderEnd, absorbed, outOfOrderEnd, 0, outOfOrderCount - absorbed);
            outOfOrderCount -= absorbed;
        }
    }

    /** When TIME_WAIT ends (NO_DEADLINE outside it): the layer recycles the nearest one when its table is full. */
    long timeWaitDeadlineNs()
    {
        return timeWaitDeadlineNs;
    }

    /** Out-of-order ranges held (for tests and toString). */
    int outOfOrderRanges()
    {
        return outOfOrderCount;
    }

    private void onFin()
    {
        rcvNxt++;
        ackNow = true;
        final long now = tcp.nowNs();
        switch (state)
        {
            case ESTABLISHED -> state = TcpState.CLOSE_WAIT;
            case FIN_WAIT_1 -> state = TcpState.CLOSING;
            case FIN_WAIT_2 -> enterTimeWait(now);
            default ->
            {
                return;
            }
        }
        final TcpHandler h = handler;
        if (h != null)
        {
            h.onPeerClosed(this);
        }
    }

    private void enterTimeWait(final long now)
    {
        state = TcpState.TIME_WAIT;
        rtxDeadlineNs = NO_DEADLINE;
        timeWaitDeadlineNs = now + ctx.timeWaitNs();
        tcp.schedule(timeWaitDeadlineNs);
        closeReason = TcpCloseReason.CLOSED;
        final TcpHandler h = handler;
        if (h != null)
        {
            h.onClosed(this, TcpCloseReason.CLOSED);
        }
        releaseBuffersIfDone();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Output
    // ---------------------------------------------------------------------------------------------------------------

    private void output()
    {
        if (released || !state.isSynchronized() || state == TcpState.TIME_WAIT)
        {
            if (ackNow && state == TcpState.TIME_WAIT)
            {
                sendAck();
            }
            return;
        }
        final long now = tcp.nowNs();
        boolean sent = false;
        final int dataEnd = sendBase + sendLength;
        while (true)
        {
            final int inFlight = sndNxt - sndUna;
            final int window = Math.min(sndWnd, cwnd);
            final int unsent = dataEnd - sndNxt;
            if (unsent > 0)
            {
                final int usable = window - inFlight;
                final int length = Math.min(Math.min(mss, unsent), usable);
                if (length <= 0 || (!noDelay && length < mss && inFlight > 0))
                {
                    break;
                }
                if (length < mss && length < unsent && inFlight > 0 && length < maxSendWindow / 2)
                {
                    // Sender-side silly window avoidance (RFC 9293 3.8.6.2.1): the window, not the data, cuts this
                    // segment short; wait for the ACKs in flight to open a full segment (or half the largest window
                    // the peer offered) instead of sending a sliver per ACK. With nothing in flight it goes at once.
                    break;
                }
                final boolean fin = finQueued && length == unsent;
                if (!sendSegment(sndNxt, length, fin ? TcpHeader.FLAG_FIN : 0, lt(sndNxt, sndMax)))
                {
                    retryWhenSlotsFree(now);
                    break;
                }
                if (!rttTiming && ge(sndNxt, sndMax))
                {
                    startTiming(sndNxt + length, now);
                }
                sndNxt += length + (fin ? 1 : 0);
                sent = true;
            }
            else if (finQueued && sndNxt == dataEnd)
            {
                if (!sendSegment(sndNxt, 0, TcpHeader.FLAG_FIN, lt(sndNxt, sndMax)))
                {
                    retryWhenSlotsFree(now);
                    break;
                }
                sndNxt++;
                sent = true;
            }
            else
            {
                break;
            }
            if (gt(sndNxt, sndMax))
            {
                sndMax = sndNxt;
            }
        }
        if (!sent && ackNow)
        {
            sendAck();
        }
        if (sndUna != sndMax && rtxDeadlineNs == NO_DEADLINE)
        {
            armRetransmission(now);
        }
        else if (sndUna == sndMax && dataEnd != sndNxt && sndWnd == 0 && rtxDeadlineNs == NO_DEADLINE)
        {
            armRetransmission(now);
        }
    }

    /**
     * No slot was free for a segment (the queue's TX slots are all in flight): try again on the next poll of the
     * layer, after the queue has reaped its completions. Without this, data with nothing in flight behind it (a
     * request, an answer, a FIN) would wait for the application's next write or a timeout: milliseconds of nothing.
     */
    private void retryWhenSlotsFree(final long now)
    {
        if (outputRetryNs == NO_DEADLINE)
        {
            outputRetryNs = now;
            tcp.schedule(now);
        }
    }

    private void retransmit(final long now)
    {
        final int dataEnd = sendBase + sendLength;
        int length = Math.min(mss, dataEnd - sndUna);
        if (sackedCount > 0)
        {
            // The peer holds what the first SACKed range covers: resend only the hole before it.
            length = Math.min(length, sackedStart[0] - sndUna);
        }
        highRxt = sndUna + Math.max(0, length);
        final boolean fin = finQueued && sndUna + Math.max(0, length) == dataEnd && gt(sndMax, dataEnd);
        rttTiming = false;
        sendSegment(sndUna, Math.max(0, length), fin ? TcpHeader.FLAG_FIN : 0, true);
        retransmissions++;
    }

    /** Builds one segment from the send ring into a claimed slot. @return false if no slot was free. */
    private boolean sendSegment(final int seq, final int length, final int extraFlags, final boolean retransmission)
    {
        final Ipv4Output output = tcp.output();
        final int headerLength = headerLength();
        final int segmentLength = headerLength + length;
        final int offset = output.claim(remoteAddress, segmentLength);
        if (offset == Ipv4Output.NO_ROOM)
        {
            return false;
        }
        final MutableDirectBuffer buffer = output.buffer();
        if (length > 0)
        {
            final int capacity = sendRing.capacity();
            final int start = (sendHead + (seq - sendBase)) % capacity;
            final int first = Math.min(length, capacity - start);
            buffer.putBytes(offset + headerLength, sendRing, start, first);
            if (first < length)
            {
                buffer.putBytes(offset + headerLength + first, sendRing, 0, length - first);
            }
        }
        writeHeader(buffer, offset, seq, rcvNxt, TcpHeader.FLAG_ACK | extraFlags |
            (length > 0 ? TcpHeader.FLAG_PSH : 0), segmentLength, 0);
        output.send(segmentLength);
        tcp.countSent(retransmission);
        bytesSent += retransmission ? 0 : length;
        ackNow = false;
        ackDeadlineNs = NO_DEADLINE;
        interactiveAckHeld = false;
        segmentsUnacked = 0;
        return true;
    }

    /** The header of every synchronized segment but a RST: 20 bytes, and the timestamp option once negotiated. */
    private int headerLength()
    {
        return TcpHeader.MIN_HEADER_LENGTH + (timestamps ? TIMESTAMP_OPTION_LENGTH : 0);
    }

    private void writeHeader(final MutableDirectBuffer buffer, final int offset, final int seq, final int ack,
        final int flags, final int segmentLength, final int sackBlocks)
    {
        final int window = advertisedWindow();
        final int sackAt = headerLength(); // behind the timestamp option, when there is one
        final int headerLength = sackAt + sackOptionLength(sackBlocks);
        final TcpHeader header = tcp.header().wrap(buffer, offset);
        header.sourcePort(localPort).destinationPort(remotePort).sequenceNumber(seq).acknowledgmentNumber(ack)
            .dataOffsetAndFlags(headerLength / 4, flags).window(window).urgentPointer(0);
        if (timestamps)
        {
            putTimestampOption(buffer, offset + TcpHeader.MIN_HEADER_LENGTH);
        }
        if (sackBlocks > 0)
        {
            putSackOption(buffer, offset + sackAt, sackBlocks);
        }
        header.computeChecksum(tcp.output().localAddress(), remoteAddress, segmentLength);
        if ((flags & TcpHeader.FLAG_ACK) != 0)
        {
            rcvAdv = rcvNxt + (window << rcvShift);
            lastAckSent = ack;
        }
    }

    private static int sackOptionLength(final int blocks)
    {
        return blocks > 0 ? SACK_OPTION_OVERHEAD + SACK_BLOCK_LENGTH * blocks : 0;
    }

    /** This connection's TSval now: the layer's 1 ms clock from this connection's own start. */
    private int timestampValue()
    {
        return tcp.timestampNow() + tsOffset;
    }

    /** NOP, NOP, kind, length: how every option of a synchronized segment starts, word-aligned (RFC 7323 App. A). */
    private static void putAlignedOptionHead(final MutableDirectBuffer buffer, final int at, final int kind,
        final int length)
    {
        buffer.putByte(at, (byte)TcpOptions.KIND_NOP);
        buffer.putByte(at + 1, (byte)TcpOptions.KIND_NOP);
        buffer.putByte(at + 2, (byte)kind);
        buffer.putByte(at + 3, (byte)length);
    }

    /** NOP, NOP, then kind 8: TSval from the layer's clock, TSecr the peer's latest (0 on our first SYN). */
    private void putTimestampOption(final MutableDirectBuffer buffer, final int at)
    {
        putAlignedOptionHead(buffer, at, TcpOptions.KIND_TIMESTAMP, TcpOptions.LENGTH_TIMESTAMP);
        buffer.putInt(at + 4, timestampValue(), java.nio.ByteOrder.BIG_ENDIAN);
        buffer.putInt(at + 8, timestamps ? tsRecent : 0, java.nio.ByteOrder.BIG_ENDIAN);
    }

    private void sendSyn(final boolean withAck, final boolean windowScale)
    {
        final Ipv4Output output = tcp.output();
        final boolean scale = ctx.windowScaling() && (!withAck || windowScale);
        // A SYN offers timestamps when the Context says so; a SYN-ACK answers with them only if the SYN had them.
        final boolean stamp = withAck ? timestamps : ctx.timestamps();
        final boolean sackPermitted = withAck ? sack : ctx.sack();
        final int optionsLength = 4 + (scale ? 4 : 0) + (stamp ? TIMESTAMP_OPTION_LENGTH : 0) +
            (sackPermitted ? SACK_PERMITTED_OPTION_LENGTH : 0);
        final int segmentLength = TcpHeader.MIN_HEADER_LENGTH + optionsLength;
        final int offset = output.claim(remoteAddress, segmentLength);
        if (offset == Ipv4Output.NO_ROOM)
        {
            return;
        }
        final MutableDirectBuffer buffer = output.buffer();
        final int options = offset + TcpHeader.MIN_HEADER_LENGTH;
        buffer.putByte(options, (byte)TcpOptions.KIND_MSS);
        buffer.putByte(options + 1, (byte)TcpOptions.LENGTH_MSS);
        buffer.putShort(options + 2, (short)tcp.maxSegmentPayload(), java.nio.ByteOrder.BIG_ENDIAN);
        if (scale)
        {
            buffer.putByte(options + 4, (byte)TcpOptions.KIND_NOP);
            buffer.putByte(options + 5, (byte)TcpOptions.KIND_WINDOW_SCALE);
            buffer.putByte(options + 6, (byte)TcpOptions.LENGTH_WINDOW_SCALE);
            buffer.putByte(options + 7, (byte)rcvShift);
        }
        if (stamp)
        {
            putTimestampOption(buffer, options + 4 + (scale ? 4 : 0));
        }
        if (sackPermitted)
        {
            putAlignedOptionHead(buffer, options + optionsLength - SACK_PERMITTED_OPTION_LENGTH,
                TcpOptions.KIND_SACK_PERMITTED, TcpOptions.LENGTH_SACK_PERMITTED);
        }
        final int window = Math.min(0xFFFF, ctx.receiveBufferSize());
        final TcpHeader header = tcp.header().wrap(buffer, offset);
        header.sourcePort(localPort).destinationPort(remotePort).sequenceNumber(iss)
            .acknowledgmentNumber(withAck ? rcvNxt : 0)
            .dataOffsetAndFlags(5 + optionsLength / 4, TcpHeader.FLAG_SYN | (withAck ? TcpHeader.FLAG_ACK : 0))
            .window(window).urgentPointer(0);
        header.computeChecksum(output.localAddress(), remoteAddress, segmentLength);
        output.send(segmentLength);
        tcp.countSent(false);
        if (withAck)
        {
            rcvAdv = rcvNxt + window;
            lastAckSent = rcvNxt;
        }
    }

    private void sendAck()
    {
        final Ipv4Output output = tcp.output();
        final int blocks = sackBlocksToSend();
        final int length = headerLength() + sackOptionLength(blocks);
        final int offset = output.claim(remoteAddress, length);
        if (offset == Ipv4Output.NO_ROOM)
        {
            ackNow = true;
            retryWhenSlotsFree(tcp.nowNs());
            return;
        }
        writeHeader(output.buffer(), offset, acceptableSeq(), rcvNxt, TcpHeader.FLAG_ACK, length, blocks);
        output.send(length);
        tcp.countSent(false);
        ackNow = false;
        ackDeadlineNs = NO_DEADLINE;
        interactiveAckHeld = false;
        segmentsUnacked = 0;
    }

    /**
     * The number of a pure ACK: SND.MAX, not SND.NXT, since after a timeout SND.NXT is back at SND.UNA while the peer
     * may already hold more (its ACKs were lost) and a pure ACK below its RCV.NXT is unacceptable to it (RFC 9293
     * 3.10.7.4; BSD's tcp_output makes the same choice). But never past the right edge of the peer's window, where a
     * zero-window probe's byte would put it: Linux's tcp_acceptable_seq.
     */
    private int acceptableSeq()
    {
        final int windowEnd = sndUna + sndWnd;
        return le(sndMax, windowEnd) ? sndMax : windowEnd;
    }

    private void sendReset(final int seq)
    {
        sendResetTo(seq, 0, TcpHeader.FLAG_RST);
    }

    private void sendResetTo(final int seq, final int ack, final int flags)
    {
        final Ipv4Output output = tcp.output();
        final int offset = output.claim(remoteAddress, TcpHeader.MIN_HEADER_LENGTH);
        if (offset == Ipv4Output.NO_ROOM)
        {
            return;
        }
        final TcpHeader header = tcp.header().wrap(output.buffer(), offset);
        header.sourcePort(localPort).destinationPort(remotePort).sequenceNumber(seq).acknowledgmentNumber(ack)
            .dataOffsetAndFlags(5, flags).window(0).urgentPointer(0);
        header.computeChecksum(output.localAddress(), remoteAddress, TcpHeader.MIN_HEADER_LENGTH);
        output.send(TcpHeader.MIN_HEADER_LENGTH);
        tcp.countSent(false);
        tcp.countReset();
    }

    private int receiveWindow()
    {
        final int capacity = receiveRing != null ? receiveRing.capacity() : ctx.receiveBufferSize();
        return Math.max(capacity - receiveLength, rcvAdv - rcvNxt);
    }

    /** The window field: free receive ring, scaled, never moving the right edge back (RFC 9293 3.8.6.2.2). */
    private int advertisedWindow()
    {
        final int capacity = receiveRing != null ? receiveRing.capacity() : ctx.receiveBufferSize();
        int free = capacity - receiveLength;
        final int promised = rcvAdv - rcvNxt;
        if (free < promised)
        {
            free = promised;
        }
        if (free - Math.max(0, promised) < Math.min(capacity / 2, mss) && promised >= 0 && free != capacity)
        {
            free = Math.max(0, promised);
        }
        return Math.min(0xFFFF, free >> rcvShift);
    }

    private void maybeWindowUpdate()
    {
        if (!state.canReceive())
        {
            return;
        }
        final int capacity = receiveRing.capacity();
        // What a window field can say: a ring larger than 64 KiB without window scaling never opens further, and
        // comparing the raw free space would send a gratuitous ACK on every read.
        final int free = (int)Math.min(capacity - receiveLength, (long)0xFFFF << rcvShift);
        final int promised = rcvAdv - rcvNxt;
        if (free - promised >= Math.min(capacity / 2, 2 * mss))
        {
            sendAck();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Timers (RFC 6298)
    // ---------------------------------------------------------------------------------------------------------------

    long deadlineNs()
    {
        return Math.min(Math.min(Math.min(rtxDeadlineNs, timeWaitDeadlineNs), Math.min(ackDeadlineNs,
            keepaliveDeadlineNs)), outputRetryNs);
    }

    void onTimer(final long now)
    {
        if (timeWaitDeadlineNs - now <= 0)
        {
            timeWaitDeadlineNs = NO_DEADLINE;
            release();
            return;
        }
        if (outputRetryNs - now <= 0)
        {
            outputRetryNs = NO_DEADLINE;
            output();
            if (released)
            {
                return;
            }
        }
        if (ackDeadlineNs - now <= 0)
        {
            ackDeadlineNs = NO_DEADLINE;
            if (interactiveAckHeld)
            {
                // The application did not answer within the delay: not a ping-pong, ACK at once from now on.
                interactiveAckHeld = false;
                interactive = false;
            }
            if (state.isSynchronized() && state != TcpState.TIME_WAIT)
            {
                sendAck();
            }
        }
        if (keepaliveDeadlineNs - now <= 0 && onKeepalive(now))
        {
            return;
        }
        if (rtxDeadlineNs - now > 0)
        {
            return;
        }
        rtxDeadlineNs = NO_DEADLINE;
        final boolean opening = state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED;
        final boolean persist = !opening && sndWnd == 0 && sendRing != null && sendBase + sendLength != sndUna;
        if (!opening && !persist && sndUna == sndMax)
        {
            return;
        }
        final int limit = opening ? ctx.synRetries() : ctx.dataRetries();
        if (retries >= limit)
        {
            if (state == TcpState.SYN_RECEIVED && listener != null)
            {
                abortQuietly(TcpCloseReason.CONNECT_TIMED_OUT);
            }
            else
            {
                if (state.isSynchronized())
                {
                    sendReset(sndNxt);
                }
                abortQuietly(opening ? TcpCloseReason.CONNECT_TIMED_OUT : TcpCloseReason.TIMED_OUT);
            }
            return;
        }
        if (persist)
        {
            // Persist timer (RFC 9293 3.8.6.1): a one-byte probe at SND.UNA, backed off like the RTO up to
            // Context.maxPersistInterval. Each answer with a zero window resets the retries (onAck), so a live peer
            // that keeps its window shut is probed for as long as it answers; one that stops answering times out
            // after dataRetries probes. The cap bounds what a lost window update costs.
            retries++;
            backoff++;
            rttTiming = false;
            sndNxt = sndUna;
            sendSegment(sndUna, 1, 0, lt(sndUna, sndMax));
            if (gt(sndUna + 1, sndMax))
            {
                sndMax = sndUna + 1;
            }
            rtxDeadlineNs = now + Math.min(currentRtoNs(), ctx.maxPersistIntervalNs());
            tcp.schedule(rtxDeadlineNs);
            return;
        }
        retries++;
        retransmissions++;
        rttTiming = false;
        backoff++;
        if (opening)
        {
            tcp.countRetransmission();
            sendSyn(state == TcpState.SYN_RECEIVED, sndShift > 0);
        }
        else
        {
            tcp.countTimeout();
            if (!afterTimeout && timestamps)
            {
                afterTimeout = true;
                timeoutTsval = timestampValue();
                cwndBeforeTimeout = cwnd;
                ssthreshBeforeTimeout = ssthresh;
            }
            recover = sndMax;
            ssthresh = Math.max((sndMax - sndUna) / 2, 2 * mss);
            cwnd = mss;
            dupAcks = 0;
            fastRecovery = false;
            sackedCount = 0;
            highRxt = sndUna;
            sndNxt = sndUna;
            output();
        }
        armRetransmission(now);
    }

    /** An acceptable segment arrived: the peer is alive, the idle time starts again. */
    private void heard()
    {
        if (ctx.keepalive())
        {
            keepaliveProbes = 0;
            keepaliveDeadlineNs = tcp.nowNs() + ctx.keepaliveIdleNs();
            tcp.schedule(keepaliveDeadlineNs);
        }
    }

    /**
     * Keepalive (RFC 9293 3.8.4): after keepaliveIdle without a segment from the peer, an ACK one below SND.NXT (no
     * data, so any peer answers it with an ACK) every keepaliveInterval; keepaliveCount unanswered probes end the
     * connection TIMED_OUT with a RST. With data in flight the retransmission timer watches the peer instead.
     *
     * @return true if the connection ended.
     */
    private boolean onKeepalive(final long now)
    {
        keepaliveDeadlineNs = NO_DEADLINE;
        if (released || (state != TcpState.ESTABLISHED && state != TcpState.CLOSE_WAIT))
        {
            return false;
        }
        if (sndUna != sndMax)
        {
            heard();
            return false;
        }
        if (keepaliveProbes >= ctx.keepaliveCount())
        {
            sendReset(sndNxt);
            abortQuietly(TcpCloseReason.TIMED_OUT);
            return true;
        }
        keepaliveProbes++;
        final Ipv4Output output = tcp.output();
        final int length = headerLength();
        final int offset = output.claim(remoteAddress, length);
        if (offset != Ipv4Output.NO_ROOM)
        {
            writeHeader(output.buffer(), offset, sndNxt - 1, rcvNxt, TcpHeader.FLAG_ACK, length, 0);
            output.send(length);
            tcp.countSent(false);
        }
        keepaliveDeadlineNs = now + ctx.keepaliveIntervalNs();
        tcp.schedule(keepaliveDeadlineNs);
        return false;
    }

    private void armRetransmission(final long now)
    {
        rtxDeadlineNs = now + currentRtoNs();
        tcp.schedule(rtxDeadlineNs);
    }

    /** The RTO doubled per timeout since it was last known good, at most maxRto (RFC 6298 5.5, 2.5). */
    private long currentRtoNs()
    {
        return backoff == 0 ? rtoNs : Math.min(ctx.maxRtoNs(), rtoNs << Math.min(backoff, 24));
    }

    private void startTiming(final int endSeq, final long now)
    {
        rttTiming = true;
        rttSeq = endSeq;
        rttStartNs = now;
    }

    private void sampleRtt(final int ack, final long now)
    {
        if (!rttTiming || lt(ack, rttSeq))
        {
            return;
        }
        rttTiming = false;
        final long rtt = Math.max(1, now - rttStartNs);
        if (srttNs == 0)
        {
            srttNs = rtt;
            rttvarNs = rtt / 2;
        }
        else
        {
            rttvarNs = (3 * rttvarNs + Math.abs(srttNs - rtt)) / 4;
            srttNs = (7 * srttNs + rtt) / 8;
        }
        rtoNs = Math.min(ctx.maxRtoNs(), Math.max(ctx.minRtoNs(), srttNs + 4 * rttvarNs));
        backoff = 0;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Release
    // ---------------------------------------------------------------------------------------------------------------

    private void allocateBuffers()
    {
        if (sendRing == null)
        {
            sendRing = tcp.takeSendBuffer();
            receiveRing = tcp.takeReceiveBuffer();
        }
    }

    private void abortQuietly(final TcpCloseReason reason)
    {
        final boolean halfOpenPassive = state == TcpState.SYN_RECEIVED && listener != null;
        if (halfOpenPassive)
        {
            tcp.halfOpenEnded();
            release();
            return;
        }
        finish(reason);
    }

    private void finish(final TcpCloseReason reason)
    {
        final boolean notify = closeReason == TcpCloseReason.NONE;
        closeReason = notify ? reason : closeReason;
        state = TcpState.CLOSED;
        release();
        final TcpHandler h = handler;
        if (notify && h != null)
        {
            h.onClosed(this, reason);
        }
    }

    /** Gone: off the layer, the connection filter deregistered, the rings back to the pool (once read). */
    void release()
    {
        if (released)
        {
            return;
        }
        released = true;
        state = TcpState.CLOSED;
        rtxDeadlineNs = NO_DEADLINE;
        timeWaitDeadlineNs = NO_DEADLINE;
        ackDeadlineNs = NO_DEADLINE;
        keepaliveDeadlineNs = NO_DEADLINE;
        outputRetryNs = NO_DEADLINE;
        tcp.remove(this);
        if (filter != null && filter.isRegistered() && !tcp.ip().queue().isClosed())
        {
            tcp.ip().controlPlane().deregister(filter);
        }
        releaseBuffersIfDone();
    }

    private void releaseBuffersIfDone()
    {
        if ((released || state == TcpState.TIME_WAIT) && (appClosed || receiveLength == 0) && sendRing != null)
        {
            tcp.giveBack(sendRing, receiveRing);
            sendRing = null;
            receiveRing = null;
            receiveLength = 0;
            sendLength = 0;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Counters
    // ---------------------------------------------------------------------------------------------------------------

    public long bytesSent()
    {
        return bytesSent;
    }

    public long bytesReceived()
    {
        return bytesReceived;
    }

    public long retransmissions()
    {
        return retransmissions;
    }

    public long srttNs()
    {
        return srttNs;
    }

    /** The retransmission timeout the timer runs at now: the estimators' RTO, backed off. */
    public long rtoNs()
    {
        return currentRtoNs();
    }

    public int cwnd()
    {
        return cwnd;
    }

    /** The peer's window, bytes (scaled). */
    public int sendWindow()
    {
        return sndWnd;
    }

    /** Whether both SYNs carried RFC 7323 timestamps, so every segment now does (and PAWS applies). */
    public boolean timestamps()
    {
        return timestamps;
    }

    /** The effective send MSS: the peer's, less the timestamp option when negotiated. */
    public int mss()
    {
        return mss;
    }

    /** Identity and state; with the send and receive sequence variables, so a stuck transfer says where it stands. */
    public String toString()
    {
        final String where = "TcpConnection{" + localPort + " -> " + Ipv4Address.toString(remoteAddress) + ":" +
            remotePort + " " + state + (closeReason != TcpCloseReason.NONE ? " " + closeReason : "");
        if (!state.isSynchronized() || released)
        {
            return where + "}";
        }
        return where + ", snd una " + Integer.toUnsignedString(sndUna - iss) + " nxt +" + (sndNxt - sndUna) +
            " max +" + (sndMax - sndUna) + " unsent " + (sendBase + sendLength - sndNxt) + " wnd " + sndWnd +
            " cwnd " + cwnd + (fastRecovery ? " recovering" : "") + ", rcv nxt " +
            Integer.toUnsignedString(rcvNxt - irs) + " unread " + receiveLength + " out-of-order ranges " +
            outOfOrderCount + ", rto " + currentRtoNs() / 1000 + " us retries " + retries + "}";
    }
}
