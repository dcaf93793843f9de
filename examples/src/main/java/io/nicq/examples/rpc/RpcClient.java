package io.nicq.examples.rpc;

import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.nicq.client.Frame;
import io.nicq.client.udp.UdpDatagram;
import io.nicq.client.udp.UdpHandler;
import io.nicq.client.udp.UdpSocket;
import io.nicq.examples.report.StallWatch;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The RPC latency client's loop: one request at a time to an echo server, each round trip recorded phase by phase in
 * a {@link RoundTripRecorder}. Optionally runs a duty on every turn of its loop (the simulated card's device loop, when
 * the application's thread also plays its card's hardware), so a host can be a single thread.
 */
public final class RpcClient
{
    /** Made once: a method reference evaluated in the loop would be a new object per poll. */
    private final UdpHandler onAnswerHandler = this::onAnswer;

    private static final int HEADERS = 14 + 20 + 8;

    private final UdpSocket socket;
    private final int serverIp;
    private final int serverPort;
    private final int size;
    private final long timeoutNs;
    private final IdleStrategy idle;
    private final RoundTripRecorder recorder = new RoundTripRecorder();
    private final RpcPayload payload = new RpcPayload();
    private final RpcPayload completed = new RpcPayload();
    private final UnsafeBuffer request;
    private volatile Agent duty;
    private long expected;
    private boolean answered;
    private boolean recording;
    private long lost;

    public RpcClient(final UdpSocket socket, final int serverIp, final int serverPort, final int size,
        final long timeout, final TimeUnit unit, final IdleStrategy idle)
    {
        if (size < RpcPayload.MIN_LENGTH || size > socket.maxPayload())
        {
            throw new IllegalArgumentException("payload size " + size + " is outside [" + RpcPayload.MIN_LENGTH + ", " +
                socket.maxPayload() + "]");
        }
        this.socket = socket;
        this.serverIp = serverIp;
        this.serverPort = serverPort;
        this.size = size;
        this.timeoutNs = unit.toNanos(timeout);
        this.idle = idle;
        this.request = new UnsafeBuffer(new byte[size]);
        socket.queue().txCompletionHandler(this::onTxComplete);
    }

    /** Work done on every turn of the loop, e.g. a simulated card's device loop; null for none. */
    public RpcClient duty(final Agent duty)
    {
        this.duty = duty;
        return this;
    }

    /**
     * Runs {@code warmup} unrecorded round trips then {@code count} recorded ones, or fewer if {@code stop} says so.
     *
     * @param progress where to print a progress line, null for none
     * @return round trips recorded
     * @throws IllegalStateException when the very first request gets no answer at all
     */
    public long run(final long warmup, final long count, final BooleanSupplier stop, final PrintStream progress)
    {
        return run(WarmUp.fixed(warmup), count, stop, progress, null);
    }

    /**
     * Warms up as {@code warmUp} says (unrecorded round trips), then runs {@code count} recorded ones, or fewer if
     * {@code stop} says so.
     *
     * @param window   marks the measured window (stalls and hiccups), null for none.
     * @param progress where to print a progress line, null for none
     * @return round trips recorded
     * @throws IllegalStateException when the very first request gets no answer at all
     */
    public long run(final WarmUp warmUp, final long count, final BooleanSupplier stop, final PrintStream progress,
        final StallWatch window)
    {
        return warmUp.thenMeasure(count, stop, this::round, recorder::reset, recorder, window, progress, "rpc-latency");
    }

    /** {@code n} recorded round trips from sequence {@code seq} on; returns the next sequence. */
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

    /** One round trip: send request {@code seq}, wait for its answer or the timeout. */
    public void roundTrip(final long seq, final boolean record)
    {
        recording = record;
        payload.wrap(request, 0, size).initRequest(seq);
        expected = seq;
        answered = false;
        final long txApp = System.nanoTime();
        if (record)
        {
            recorder.onSend(seq, txApp);
        }
        if (socket.send(serverIp, serverPort, request, 0, size) == 0)
        {
            lost++;
            return;
        }
        idle.reset();
        while (!answered)
        {
            final Agent work = duty;
            int done = work != null ? doWork(work) : 0;
            done += socket.receive(onAnswerHandler);
            if (!answered)
            {
                if (System.nanoTime() - txApp > timeoutNs)
                {
                    lost++;
                    if (seq == 0)
                    {
                        throw new IllegalStateException("the echo server does not answer (" +
                            TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms)");
                    }
                    return;
                }
                idle.idle(done);
            }
        }
    }

    public RoundTripRecorder recorder()
    {
        return recorder;
    }

    /** Requests without an answer within the timeout (or without a free slot to send from). */
    public long lost()
    {
        return lost;
    }

    private static int doWork(final Agent work)
    {
        try
        {
            return work.doWork();
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("duty " + work.roleName() + " failed", ex);
        }
    }

    private void onAnswer(final UdpDatagram datagram)
    {
        final long rxApp = System.nanoTime();
        payload.wrap(datagram.buffer(), datagram.offset(), datagram.length());
        if (!payload.isValid() || payload.sequence() != expected)
        {
            return;
        }
        answered = true;
        if (recording)
        {
            final Frame frame = datagram.frame();
            recorder.onReply(expected, frame.rxDeviceNs(), frame.rxDriverSawNs(), frame.rxRingNs(), rxApp,
                payload);
        }
    }

    private void onTxComplete(final Frame frame)
    {
        if (!recording || frame.length() < HEADERS + RpcPayload.MIN_LENGTH)
        {
            return;
        }
        completed.wrap(frame.buffer(), frame.offset() + HEADERS, RpcPayload.MIN_LENGTH);
        if (completed.isValid())
        {
            recorder.onTxComplete(completed.sequence(), frame.txEnqueuedNs(), frame.txDequeuedNs(),
                frame.txDoorbellNs(), frame.txWireNs());
        }
    }
}
