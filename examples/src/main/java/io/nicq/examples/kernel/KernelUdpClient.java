package io.nicq.examples.kernel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;

import io.nicq.examples.report.StallWatch;
import io.nicq.examples.rpc.RoundTripRecorder;
import io.nicq.examples.rpc.WarmUp;
import org.HdrHistogram.Histogram;

/**
 * The client side of the kernel baseline: round trips through a {@link DatagramChannel}, measured with the same clock
 * and histogram as nicq's. Busy polling by default (the strongest kernel baseline: no wake-up latency), or blocking
 * through a selector.
 */
public final class KernelUdpClient
{
    /** Round trips per warm-up round: the JIT is looked at between rounds. */
    private static final long WARM_UP_ROUND = 5_000;

    private final InetSocketAddress server;
    private final boolean busyPoll;
    private final long timeoutNs;
    private long lost;

    public KernelUdpClient(final InetSocketAddress server, final boolean busyPoll, final long timeout, final TimeUnit unit)
    {
        this.server = server;
        this.busyPoll = busyPoll;
        this.timeoutNs = unit.toNanos(timeout);
    }

    /** "10.0.0.1:7" as a socket address. */
    public static InetSocketAddress parse(final String ipAndPort)
    {
        final int colon = ipAndPort.lastIndexOf(':');
        if (colon <= 0)
        {
            throw new IllegalArgumentException("address '" + ipAndPort + "' must be IP:PORT");
        }
        return new InetSocketAddress(ipAndPort.substring(0, colon), Integer.parseInt(ipAndPort.substring(colon + 1)));
    }

    /**
     * Runs {@code warmup} unrecorded and then {@code count} recorded round trips of {@code size}-byte payloads.
     *
     * @return the round-trip histogram in nanoseconds
     * @throws IOException when the server does not answer at all during warm-up
     */
    public Histogram run(final int warmup, final int count, final int size) throws IOException
    {
        return run(WarmUp.fixed(warmup), count, size, null);
    }

    /**
     * Warms up as {@code warmUp} says, then runs {@code count} recorded round trips of {@code size}-byte payloads.
     *
     * @param window marks the measured window (stalls and hiccups), null for none.
     * @return the round-trip histogram in nanoseconds
     * @throws IOException when the server does not answer at all during warm-up
     */
    public Histogram run(final WarmUp warmUp, final int count, final int size, final StallWatch window)
        throws IOException
    {
        final Histogram histogram = RoundTripRecorder.newHistogram();
        final ByteBuffer request = ByteBuffer.allocateDirect(Math.max(size, 8)).order(ByteOrder.LITTLE_ENDIAN);
        final ByteBuffer reply = ByteBuffer.allocateDirect(65536).order(ByteOrder.LITTLE_ENDIAN);
        try (DatagramChannel channel = DatagramChannel.open(); Selector selector = Selector.open())
        {
            channel.connect(server);
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_READ);
            // Warm-up runs in rounds through the code that then measures (round), as RpcClient's does.
            final long roundSize = Math.max(1, Math.min(WARM_UP_ROUND, count));
            long seq = 0;
            warmUp.start(System.nanoTime());
            while (warmUp.keepGoing(seq, System.nanoTime()))
            {
                final long missing = warmUp.belowMinimum(seq);
                seq = round(channel, selector, request, reply, histogram, seq,
                    missing > 0 ? Math.min(missing, roundSize) : roundSize, size);
            }
            histogram.reset();
            final long lostInWarmUp = lost;
            if (window != null)
            {
                window.begin();
            }
            round(channel, selector, request, reply, histogram, seq, count, size);
            if (window != null)
            {
                window.end();
            }
            lost -= lostInWarmUp;
        }
        return histogram;
    }

    /** {@code n} recorded round trips from sequence {@code seq} on; returns the next sequence. */
    private long round(final DatagramChannel channel, final Selector selector, final ByteBuffer request,
        final ByteBuffer reply, final Histogram histogram, final long seq, final long n, final int size)
        throws IOException
    {
        final long last = seq + n;
        long next = seq;
        for (; next < last; next++)
        {
            request.clear();
            request.putLong(0, next);
            request.limit(size);
            final long start = System.nanoTime();
            channel.write(request);
            final boolean answered = awaitReply(channel, selector, reply, next, start);
            final long end = System.nanoTime();
            if (!answered)
            {
                lost++;
                if (next == 0)
                {
                    throw new IOException("the kernel echo server at " + server + " does not answer");
                }
            }
            else
            {
                histogram.recordValue(Math.max(1, Math.min(end - start, histogram.getHighestTrackableValue())));
            }
        }
        return next;
    }

    /** Round trips whose answer did not come within the timeout. */
    public long lost()
    {
        return lost;
    }

    private boolean awaitReply(final DatagramChannel channel, final Selector selector, final ByteBuffer reply,
        final long seq, final long start) throws IOException
    {
        while (true)
        {
            reply.clear();
            final int read = channel.read(reply);
            if (read >= 8 && reply.getLong(0) == seq)
            {
                return true;
            }
            if (read <= 0)
            {
                final long waited = System.nanoTime() - start;
                if (waited > timeoutNs)
                {
                    return false;
                }
                if (!busyPoll)
                {
                    selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNs - waited)));
                    selector.selectedKeys().clear();
                }
            }
        }
    }
}
