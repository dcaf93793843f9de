package io.nicq.examples.tcp;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.nicq.client.Frame;
import io.nicq.client.FrameHandler;
import io.nicq.client.NicQueue;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.tcp.TcpCloseReason;
import io.nicq.client.tcp.TcpConnection;
import io.nicq.client.tcp.TcpHandler;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.client.tcp.TcpReader;
import io.nicq.client.tcp.TcpState;
import io.nicq.examples.report.StallWatch;
import io.nicq.examples.rpc.RoundTripRecorder;
import io.nicq.examples.rpc.RpcPayload;
import io.nicq.examples.rpc.WarmUp;
import io.nicq.packet.Ipv4Address;
import org.HdrHistogram.Histogram;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The TCP RPC latency client's loop: one TCP connection to an echo server, one request at a time. A round trip
 * writes {@code size} bytes (an {@link RpcPayload} request, zero padded) and ends when {@code size} bytes have come
 * back, however many segments and reads that takes: the stream has no framing beyond the fixed size.
 * <p>
 * What the client side can see, into a {@link RoundTripRecorder}: the application's write to the TX timestamps of the
 * segment that carries the request's first byte (found on the queue's TX completions by the payload's magic and
 * sequence; its first transmission only), and the RX slot timestamps of the segment that completes the answer to
 * the moment its bytes are read.
 * The server's phases come only from a server that writes them into the payload; a plain echo server leaves them out.
 * <p>
 * Segments are counted per round trip: those received that delivered no new bytes (pure ACKs, window updates,
 * duplicates: {@link TcpLayer#segmentsReceived} less the segments that made bytes readable) and ACK-only segments
 * sent (seen on the TX completions). No allocation per round trip once connected.
 * <p>
 * Optionally runs a duty on every turn of its polling loops (the simulated card's device loop, when the application's
 * thread also plays its card's hardware), so a host can be a single thread, as with the UDP {@code RpcClient}.
 */
public final class TcpRpcClient implements TcpHandler, TcpReader, FrameHandler
{
    private static final int ETHERNET = 14;
    private static final int TCP_PROTOCOL = 6;
    private static final int FLAGS_SYN_FIN_RST = 0x07;
    /** Requests whose write time is remembered until their first segment's TX completion: as the recorder's window. */
    private static final int TX_WINDOW = 64;

    private final TcpLayer tcp;
    private final Ipv4Interface ip;
    private final NicQueue queue;
    private final int size;
    private final long timeoutNs;
    private final IdleStrategy idle;
    private final RoundTripRecorder recorder = new RoundTripRecorder();
    private final RpcPayload payload = new RpcPayload();
    private final RpcPayload answerPayload = new RpcPayload();
    private final RpcPayload completed = new RpcPayload();
    private final UnsafeBuffer request;
    private final long[] txWriteSeq = new long[TX_WINDOW];
    private final long[] txWriteNs = new long[TX_WINDOW];
    private final Histogram txStack = RoundTripRecorder.newHistogram();
    private final Histogram txToRing = RoundTripRecorder.newHistogram();
    private final Histogram rxToApp = RoundTripRecorder.newHistogram();
    private final Histogram rxStack = RoundTripRecorder.newHistogram();
    private final UnsafeBuffer answer;
    private volatile Agent duty;
    private TcpConnection connection;
    private long expected;
    private int received;
    private boolean recording;
    private long rxDevice;
    private long rxDriver;
    private long rxRing;
    private long rxApp;
    private long rxTaken;
    private long dataSegments;
    /** The request whose first segment's TX timestamps were taken: a retransmission of it is not its send. */
    private long txTimed = -1;

    private long lost;
    private long mismatched;
    private long roundTrips;
    private long ackOnlyReceived;
    private long dataSegmentsReceived;
    private long ackOnlySent;
    private long dataSegmentsSent;
    private long maxAckOnlyReceived;
    private long bytesWritten;
    private long bytesRead;

    /**
     * @param tcp  the TCP layer of the client's interface; the client takes its queue's TX completions.
     * @param size bytes per request and per answer.
     */
    public TcpRpcClient(final TcpLayer tcp, final int size, final long timeout, final TimeUnit unit,
        final IdleStrategy idle)
    {
        final int max = maxSize(tcp.context());
        if (size < RpcPayload.MIN_LENGTH || size > max)
        {
            throw new IllegalArgumentException("message size " + size + " is outside [" + RpcPayload.MIN_LENGTH +
                ", " + max + "]");
        }
        this.tcp = tcp;
        this.ip = tcp.ip();
        this.queue = ip.queue();
        this.size = size;
        this.timeoutNs = unit.toNanos(timeout);
        this.idle = idle;
        this.request = new UnsafeBuffer(new byte[size]);
        this.answer = new UnsafeBuffer(new byte[size]);
        Arrays.fill(txWriteSeq, -1);
        queue.txCompletionHandler(this);
    }

    /** Work done with every poll of the interface, e.g. a simulated card's device loop; null for none. */
    public TcpRpcClient duty(final Agent duty)
    {
        this.duty = duty;
        return this;
    }

    /**
     * The largest message: a request must fit the send buffer whole (so one write takes it) and the answer the
     * receive buffer (the echo server's window).
     */
    public static int maxSize(final TcpLayer.Context context)
    {
        return Math.min(context.sendBufferSize(), context.receiveBufferSize());
    }

    /**
     * Opens the connection and waits until it is established, at most {@code timeout}.
     *
     * @throws IllegalStateException when it is refused, times out or closes.
     */
    public TcpRpcClient connect(final int serverIp, final int serverPort, final long timeout, final TimeUnit unit)
    {
        connection = TcpConnection.connect(tcp, serverIp, serverPort, this);
        final long deadline = System.nanoTime() + unit.toNanos(timeout);
        idle.reset();
        while (connection.state() != TcpState.ESTABLISHED)
        {
            if (connection.state() == TcpState.CLOSED || System.nanoTime() - deadline > 0)
            {
                final String why = connection.state() == TcpState.CLOSED ? connection.closeReason().toString() :
                    "no answer within " + unit.toMillis(timeout) + " ms";
                connection.abort();
                throw new IllegalStateException("TCP connection to " + Ipv4Address.toString(serverIp) + ":" +
                    serverPort + " failed: " + why);
            }
            idle.idle(poll());
        }
        return this;
    }

    /**
     * Warms up as {@code warmUp} says (unrecorded round trips, through the very code that then measures), then runs
     * {@code count} recorded ones, or fewer if {@code stop} says so or the connection ends.
     *
     * @param window   marks the measured window (stalls and hiccups), null for none.
     * @param progress where to print a progress line, null for none
     * @return round trips recorded
     * @throws IllegalStateException when the very first request gets no answer, or the connection ends
     */
    public long run(final WarmUp warmUp, final long count, final BooleanSupplier stop, final PrintStream progress,
        final StallWatch window)
    {
        return warmUp.thenMeasure(count, stop, this::round, this::reset, recorder, window, progress, "tcp-rpc-latency");
    }

    /**
     * Closes the connection gracefully and goes on polling until the layer has let it go (TIME_WAIT included: its
     * last ACK may still be on this queue's ring, an inline queue driver moves it only when polled, and a server whose
     * FIN got no answer would retransmit it into a host nobody polls), at most {@code timeout}; then aborts it.
     *
     * @return how the connection ended (NONE if it was still going at the timeout and was aborted).
     */
    public TcpCloseReason close(final long timeout, final TimeUnit unit)
    {
        if (connection == null)
        {
            return TcpCloseReason.NONE;
        }
        connection.close();
        flush();
        final long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (tcp.connections() > 0 && System.nanoTime() - deadline < 0)
        {
            idle.idle(poll());
        }
        final TcpCloseReason reason = connection.closeReason();
        if (tcp.connections() > 0)
        {
            connection.abort();
            flush();
        }
        queue.txCompletionHandler(null);
        return reason;
    }

    private void reset()
    {
        recorder.reset();
        roundTrips = 0;
        ackOnlyReceived = 0;
        dataSegmentsReceived = 0;
        ackOnlySent = 0;
        dataSegmentsSent = 0;
        maxAckOnlyReceived = 0;
        txStack.reset();
        txToRing.reset();
        rxToApp.reset();
        rxStack.reset();
        lost = 0;
        mismatched = 0;
    }

    private long round(final long seq, final long n, final BooleanSupplier stop)
    {
        final long end = seq + n;
        long next = seq;
        while (next < end && !stop.getAsBoolean())
        {
            roundTrip(next++, true);
        }
        return next;
    }

    /** One round trip: write request {@code seq}, wait until all of its answer has been read or the timeout. */
    public void roundTrip(final long seq, final boolean record)
    {
        final TcpConnection c = connection;
        if (c == null || !c.state().canSend())
        {
            throw new IllegalStateException("the connection cannot send: " + c);
        }
        recording = record;
        payload.wrap(request, 0, size).initRequest(seq);
        expected = seq;
        received = 0;
        rxDevice = 0;
        rxDriver = 0;
        rxRing = 0;
        rxApp = 0;
        rxTaken = 0;
        dataSegments = 0;
        final long segmentsBefore = tcp.segmentsReceived();
        final long txApp = System.nanoTime();
        if (record)
        {
            recorder.onSend(seq, txApp);
            txWriteSeq[(int)(seq & (TX_WINDOW - 1))] = seq;
            txWriteNs[(int)(seq & (TX_WINDOW - 1))] = txApp;
        }
        int written = c.write(request, 0, size);
        bytesWritten += written;
        // The segment leaves now, not at the next poll's end: the TX phase starts at the write.
        flush();
        idle.reset();
        while (received < size)
        {
            if (written < size && c.state().canSend())
            {
                final int more = c.write(request, written, size - written);
                written += more;
                bytesWritten += more;
                flush();
            }
            final int done = poll();
            if (received < size)
            {
                // Out of ESTABLISHED (the peer's FIN, a reset) no more answer bytes can come.
                if (c.state() != TcpState.ESTABLISHED)
                {
                    throw new IllegalStateException("the connection ended during round trip " + seq + " (" +
                        received + " of " + size + " bytes back): " + c);
                }
                if (System.nanoTime() - txApp > timeoutNs)
                {
                    lost++;
                    if (seq == 0)
                    {
                        throw new IllegalStateException("the echo server does not answer (" +
                            TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms): " + c);
                    }
                    // The stream is now out of step with the sequence: a late answer would be read as the next one.
                    throw new IllegalStateException("round trip " + seq + " timed out after " +
                        TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms with " + received + " of " + size +
                        " bytes back: " + c);
                }
                idle.idle(done);
            }
        }
        roundTrips++;
        final long ackOnly = Math.max(0, tcp.segmentsReceived() - segmentsBefore - dataSegments);
        ackOnlyReceived += ackOnly;
        dataSegmentsReceived += dataSegments;
        maxAckOnlyReceived = Math.max(maxAckOnlyReceived, ackOnly);
        answerPayload.wrap(answer, 0, size);
        final boolean serverStamped = answerPayload.isValid() && answerPayload.hasServerTimestamps();
        if (!answerPayload.isValid() || answerPayload.sequence() != seq ||
            !serverStamped && !sameBytes(answer, request, size))
        {
            mismatched++;
            return;
        }
        if (record)
        {
            recorder.onReply(seq, rxDevice, rxDriver, rxRing, rxApp, answerPayload);
            recordSpan(rxToApp, rxRing, rxTaken);
            recordSpan(rxStack, rxTaken, rxApp);
        }
    }

    /** The duty's work, then the interface's: frames moved, segments handled. */
    private int poll()
    {
        final Agent work = duty;
        int done = 0;
        if (work != null)
        {
            try
            {
                done = work.doWork();
            }
            catch (final Exception ex)
            {
                throw new IllegalStateException("duty " + work.roleName() + " failed", ex);
            }
        }
        return done + ip.poll();
    }

    private void flush()
    {
        if (queue.pendingFrames() > 0)
        {
            queue.flush();
        }
    }

    /** b - a into the histogram when both are known and in order (clamped to its highest value). */
    private static void recordSpan(final Histogram histogram, final long a, final long b)
    {
        if (a != 0 && b != 0 && b >= a)
        {
            histogram.recordValue(Math.max(1, Math.min(b - a, RoundTripRecorder.HIGHEST_NS)));
        }
    }

    private static boolean sameBytes(final UnsafeBuffer a, final UnsafeBuffer b, final int length)
    {
        int i = 0;
        for (; i + 8 <= length; i += 8)
        {
            if (a.getLong(i) != b.getLong(i))
            {
                return false;
            }
        }
        for (; i < length; i++)
        {
            if (a.getByte(i) != b.getByte(i))
            {
                return false;
            }
        }
        return true;
    }

    public void onReadable(final TcpConnection c)
    {
        // Called once per segment that made in-order bytes readable, inside its receive: its slot is the frame.
        dataSegments++;
        if (received >= size)
        {
            return;
        }
        c.read(this);
        if (received == size)
        {
            rxApp = System.nanoTime();
            final Frame frame = ip.receivedFrame();
            if (frame != null)
            {
                rxDevice = frame.rxDeviceNs();
                rxDriver = frame.rxDriverSawNs();
                rxRing = frame.rxRingNs();
                rxTaken = frame.rxAppNs();
            }
        }
    }

    public int onData(final DirectBuffer buffer, final int offset, final int length)
    {
        final int n = Math.min(length, size - received);
        answer.putBytes(received, buffer, offset, n);
        received += n;
        bytesRead += n;
        return n;
    }

    /** The queue's TX completions: the request's first segment's timestamps, and ACK-only segments counted. */
    public void onFrame(final Frame frame)
    {
        final int offset = frame.offset();
        final int length = frame.length();
        if (length < ETHERNET + 20 + 20)
        {
            return;
        }
        final AtomicBuffer buffer = frame.buffer();
        final int ipOffset = offset + ETHERNET;
        if ((buffer.getByte(ipOffset + 9) & 0xFF) != TCP_PROTOCOL)
        {
            return;
        }
        final int ipHeader = (buffer.getByte(ipOffset) & 0x0F) * 4;
        final int ipTotal = ((buffer.getByte(ipOffset + 2) & 0xFF) << 8) | (buffer.getByte(ipOffset + 3) & 0xFF);
        final int tcpOffset = ipOffset + ipHeader;
        final int tcpHeader = ((buffer.getByte(tcpOffset + 12) & 0xFF) >>> 4) * 4;
        final int flags = buffer.getByte(tcpOffset + 13) & 0xFF;
        final int payloadLength = ipTotal - ipHeader - tcpHeader;
        if (payloadLength <= 0)
        {
            if ((flags & FLAGS_SYN_FIN_RST) == 0)
            {
                ackOnlySent++;
            }
            return;
        }
        dataSegmentsSent++;
        if (!recording || payloadLength < RpcPayload.MIN_LENGTH)
        {
            return;
        }
        completed.wrap(buffer, tcpOffset + tcpHeader, RpcPayload.MIN_LENGTH);
        if (completed.isValid() && completed.sequence() != txTimed)
        {
            final long seq = completed.sequence();
            txTimed = seq;
            final int i = (int)(seq & (TX_WINDOW - 1));
            if (txWriteSeq[i] == seq)
            {
                txWriteSeq[i] = -1;
                recordSpan(txStack, txWriteNs[i], frame.txAppSendNs());
                recordSpan(txToRing, frame.txAppSendNs(), frame.txEnqueuedNs());
            }
            recorder.onTxComplete(completed.sequence(), frame.txEnqueuedNs(), frame.txDequeuedNs(),
                frame.txDoorbellNs(), frame.txWireNs());
        }
    }

    /** The TCP stack's send: the application's write to the segment handed to the queue (its first transmission). */
    public Histogram txStack()
    {
        return txStack;
    }

    /** The segment handed to the queue to its slot on the client TX ring (the flush). */
    public Histogram txToRing()
    {
        return txToRing;
    }

    /** The answer's last segment published on the client RX ring to the client taking it off for the stack. */
    public Histogram rxToApp()
    {
        return rxToApp;
    }

    /** The TCP stack's receive: the answer's last segment taken off the ring to its bytes read by the application. */
    public Histogram rxStack()
    {
        return rxStack;
    }

    public RoundTripRecorder recorder()
    {
        return recorder;
    }

    /** How long an answer's ACK may wait for the next request (the layer's interactive ACK delay), ns. */
    public long interactiveAckDelayNs()
    {
        return tcp.context().interactiveAckDelayNs();
    }

    public TcpConnection connection()
    {
        return connection;
    }

    public int size()
    {
        return size;
    }

    /** Round trips of the measured window that completed (recorded or not: answers that did not match count too). */
    public long roundTrips()
    {
        return roundTrips;
    }

    /** Round trips whose answer was not the request's bytes (or, from a timestamping server, not its sequence). */
    public long mismatched()
    {
        return mismatched;
    }

    /** Round trips that timed out (the run stops at the first: the stream is then out of step). */
    public long lost()
    {
        return lost;
    }

    /** Bytes the connection took from this client's writes since it connected (warm-up included). */
    public long bytesWritten()
    {
        return bytesWritten;
    }

    /** Answer bytes this client read since it connected (warm-up included). */
    public long bytesRead()
    {
        return bytesRead;
    }

    /** Segments received that delivered no new bytes: pure ACKs, window updates, duplicates. */
    public long ackOnlyReceived()
    {
        return ackOnlyReceived;
    }

    /** The most such segments in one round trip. */
    public long maxAckOnlyReceivedPerRoundTrip()
    {
        return maxAckOnlyReceived;
    }

    /** Segments received that made answer bytes readable. */
    public long dataSegmentsReceived()
    {
        return dataSegmentsReceived;
    }

    /** ACK-only segments this client sent (no payload, no SYN, FIN or RST). */
    public long ackOnlySent()
    {
        return ackOnlySent;
    }

    /** Segments with payload this client sent, retransmissions included. */
    public long dataSegmentsSent()
    {
        return dataSegmentsSent;
    }
}
