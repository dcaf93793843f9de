package io.nicq.examples.kernel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;

import io.nicq.examples.rpc.RoundTripRecorder;
import org.HdrHistogram.Histogram;

/**
 * The client side of the kernel baseline: round trips through a {@link DatagramChannel}, measured with the same clock
 * and histogram as nicq's. Busy polling by default (the strongest kernel baseline: no wake-up latency), or blocking
 * through a selector.
 */
public final class KernelUdpClient
{
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
        final Histogram histogram = RoundTripRecorder.newHistogram();
        final ByteBuffer request = ByteBuffer.allocateDirect(Math.max(size, 8)).order(ByteOrder.LITTLE_ENDIAN);
        final ByteBuffer reply = ByteBuffer.allocateDirect(65536).order(ByteOrder.LITTLE_ENDIAN);
        try (DatagramChannel channel = DatagramChannel.open(); Selector selector = Selector.open())
        {
            channel.connect(server);
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_READ);
            for (long seq = 0; seq < warmup + (long)count; seq++)
            {
                request.clear();
                request.putLong(0, seq);
                request.limit(size);
                final long start = System.nanoTime();
                channel.write(request);
                final boolean answered = awaitReply(channel, selector, reply, seq, start);
                final long end = System.nanoTime();
                if (!answered)
                {
                    lost++;
                    if (seq == 0)
                    {
                        throw new IOException("the kernel echo server at " + server + " does not answer");
                    }
                }
                else if (seq >= warmup)
                {
                    histogram.recordValue(Math.max(1, Math.min(end - start, histogram.getHighestTrackableValue())));
                }
            }
        }
        return histogram;
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
