package io.nicq.examples.kernel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

import io.nicq.examples.report.StallWatch;
import io.nicq.examples.rpc.RoundTripRecorder;
import io.nicq.examples.rpc.WarmUp;
import org.HdrHistogram.Histogram;

/**
 * The client side of the kernel's TCP baseline: request/answer round trips of a fixed size on one
 * {@link SocketChannel} with TCP_NODELAY, measured with the same clock and histogram as nicq's. A round trip writes
 * the whole request and ends when the whole answer has been read, however many reads that takes: the stream has no
 * framing beyond the fixed size, as with nicq's {@code tcp-rpc-latency}. Busy polling by default (a non-blocking
 * channel spun on, the strongest kernel baseline), or blocking through a selector. No allocation per round trip.
 */
public final class KernelTcpClient
{
    /** Bytes of the sequence at the start of each request, which its answer must carry back. */
    public static final int MIN_SIZE = 8;
    /** Round trips per warm-up round: the JIT is looked at between rounds. */
    private static final long WARM_UP_ROUND = 5_000;

    private final InetSocketAddress server;
    private final boolean busyPoll;
    private final long timeoutNs;
    private long mismatched;

    public KernelTcpClient(final InetSocketAddress server, final boolean busyPoll, final long timeout,
        final TimeUnit unit)
    {
        this.server = server;
        this.busyPoll = busyPoll;
        this.timeoutNs = unit.toNanos(timeout);
    }

    /**
     * Connects, warms up as {@code warmUp} says, then runs {@code count} recorded round trips of {@code size}-byte
     * messages and closes the connection.
     *
     * @param window marks the measured window (stalls and hiccups), null for none.
     * @return the round-trip histogram in nanoseconds
     * @throws IOException when the connection fails, or an answer does not come within the timeout (the stream is
     *                     then out of step with the sequence, so the run cannot go on)
     */
    public Histogram run(final WarmUp warmUp, final int count, final int size, final StallWatch window)
        throws IOException
    {
        if (size < MIN_SIZE)
        {
            throw new IllegalArgumentException("message size " + size + " < " + MIN_SIZE + " (the sequence)");
        }
        final Histogram histogram = RoundTripRecorder.newHistogram();
        final ByteBuffer request = ByteBuffer.allocateDirect(size).order(ByteOrder.LITTLE_ENDIAN);
        final ByteBuffer answer = ByteBuffer.allocateDirect(size).order(ByteOrder.LITTLE_ENDIAN);
        try (SocketChannel channel = SocketChannel.open(); Selector selector = Selector.open())
        {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.socket().connect(server, (int)Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNs)));
            channel.configureBlocking(false);
            final SelectionKey key = channel.register(selector, SelectionKey.OP_READ);
            final long roundSize = Math.max(1, Math.min(WARM_UP_ROUND, count));
            long seq = 0;
            warmUp.start(System.nanoTime());
            while (warmUp.keepGoing(seq, System.nanoTime()))
            {
                final long missing = warmUp.belowMinimum(seq);
                seq = round(channel, selector, key, request, answer, histogram, seq,
                    missing > 0 ? Math.min(missing, roundSize) : roundSize);
            }
            histogram.reset();
            mismatched = 0;
            if (window != null)
            {
                window.begin();
            }
            round(channel, selector, key, request, answer, histogram, seq, count);
            if (window != null)
            {
                window.end();
            }
            channel.shutdownOutput();
        }
        return histogram;
    }

    /** Answers of the measured window that did not carry their request's sequence (not recorded). */
    public long mismatched()
    {
        return mismatched;
    }

    /** {@code n} recorded round trips from sequence {@code seq} on; returns the next sequence. */
    private long round(final SocketChannel channel, final Selector selector, final SelectionKey key,
        final ByteBuffer request, final ByteBuffer answer, final Histogram histogram, final long seq, final long n)
        throws IOException
    {
        final long last = seq + n;
        long next = seq;
        for (; next < last; next++)
        {
            request.clear();
            request.putLong(0, next);
            answer.clear();
            final long start = System.nanoTime();
            exchange(channel, selector, key, request, answer, next, start);
            final long end = System.nanoTime();
            if (answer.getLong(0) != next)
            {
                mismatched++;
            }
            else
            {
                histogram.recordValue(Math.max(1, Math.min(end - start, histogram.getHighestTrackableValue())));
            }
        }
        return next;
    }

    /** Writes all of the request while reading, until all of the answer has been read. */
    private void exchange(final SocketChannel channel, final Selector selector, final SelectionKey key,
        final ByteBuffer request, final ByteBuffer answer, final long seq, final long start) throws IOException
    {
        while (answer.hasRemaining())
        {
            final int written = request.hasRemaining() ? channel.write(request) : 0;
            final int read = channel.read(answer);
            if (read < 0)
            {
                throw new IOException("the kernel echo server at " + server + " closed the connection during round " +
                    "trip " + seq + " (" + answer.position() + " of " + answer.limit() + " bytes back)");
            }
            if (read == 0 && written == 0 && answer.hasRemaining())
            {
                final long waited = System.nanoTime() - start;
                if (waited > timeoutNs)
                {
                    throw new IOException("the kernel echo server at " + server + " did not answer round trip " +
                        seq + " within " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms (" + answer.position() +
                        " of " + answer.limit() + " bytes back)");
                }
                if (!busyPoll)
                {
                    key.interestOps(request.hasRemaining() ? SelectionKey.OP_READ | SelectionKey.OP_WRITE :
                        SelectionKey.OP_READ);
                    selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNs - waited)));
                    selector.selectedKeys().clear();
                }
            }
        }
    }
}
