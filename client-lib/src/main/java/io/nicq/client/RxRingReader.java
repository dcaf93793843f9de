package io.nicq.client;

import io.nicq.ixgbe.RxDescriptor;
import io.nicq.proto.channel.ChannelEndpoint;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.proto.channel.QueueChannelLayout;
import io.nicq.queue.RxRingFile;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * The client's side of a served queue's read-only RX descriptor ring (queue-driver's {@link RxRingFile}, named in the
 * channel header when the queue driver exposes it): the client sees DD itself, takes the frame's slot from the
 * driver's table, lends it to the application through {@link ChannelEndpoint#lendFromRing} (which checks it is the
 * driver's to give, as for rxReady), and publishes its consumer position in the channel header, which the queue driver
 * validates before it takes anything from it.
 * <pre>
 *   next &lt; posted (driver, acquire)  and  DD at next (device, acquire)
 *     -&gt; RxDescriptor.isDeliverable(status, length, discarding)?  lend slotAt(next) : skip (the driver takes it back)
 *   consumer position := next (release)   before the batch's handlers run: a slot they send or give back is known to
 *                                         the driver as the client's by the time it reads txReady or rxFree
 * </pre>
 * A descriptor consumed a lap ago keeps its DD until the driver posts it again: only positions below the posted
 * position are looked at. One thread (the queue's); nothing allocated after {@link #open}.
 */
final class RxRingReader implements AutoCloseable
{
    private final RxRingFile file;
    private final MemorySegment ring;
    private final QueueChannelHeader header;
    private final int mask;
    private final boolean deviceTimestamps;
    private long next;
    private long posted;
    private boolean discarding;

    private RxRingReader(final RxRingFile file, final QueueChannelHeader header)
    {
        this.file = file;
        this.ring = file.descriptors();
        this.header = header;
        this.mask = file.ringSize() - 1;
        this.deviceTimestamps = (header.rxRingFlags() & QueueChannelHeader.RX_RING_FLAG_DEVICE_TIMESTAMPS) != 0;
        this.next = header.rxConsumerPosition();
    }

    /**
     * Maps the channel's exposed RX ring read-only.
     *
     * @return the reader, or null when the queue driver does not expose its ring (frames come on rxReady only)
     * @throws NicException CHANNEL_UNAVAILABLE if the ring is named but cannot be mapped
     */
    static RxRingReader open(final QueueChannel channel)
    {
        final QueueChannelHeader header = channel.header();
        final int ringSize = header.rxRingSize();
        if (ringSize == 0)
        {
            return null;
        }
        final String path = header.rxRingPath();
        try
        {
            if (path == null || Integer.bitCount(ringSize) != 1)
            {
                throw new IllegalStateException("the channel names no usable RX ring (size " + ringSize + ")");
            }
            return new RxRingReader(RxRingFile.openReadOnly(Path.of(path), ringSize), header);
        }
        catch (final RuntimeException ex)
        {
            throw new NicException(NicException.Reason.CHANNEL_UNAVAILABLE, "cannot map the read-only RX ring of " +
                "queue " + header.queueId() + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * Takes up to {@code max} done descriptors: each frame to deliver is lent to the application and its slot written
     * into {@code slots} from index 0; an error or the tail of a dropped frame is skipped (its buffer is the driver's
     * again once it reads the new position).
     *
     * @return slots written (lent frames)
     */
    int receive(final ChannelEndpoint endpoint, final int[] slots, final int max)
    {
        long limit = posted;
        if (limit - next < max)
        {
            limit = posted = file.posted();
        }
        long position = next;
        final long end = Math.min(limit, position + max);
        int count = 0;
        long nowNs = 0;
        while (position < end)
        {
            final int index = (int)(position & mask);
            final int status = RxDescriptor.statusError(ring, index);
            if ((status & RxDescriptor.STATUS_DD) == 0)
            {
                break;
            }
            if (nowNs == 0)
            {
                nowNs = System.nanoTime();
            }
            final int length = RxDescriptor.length(ring, index);
            if (RxDescriptor.isDeliverable(status, length, discarding, QueueChannelLayout.SLOT_SIZE))
            {
                final int slot = file.slotAt(index);
                final int stamp = deviceTimestamps ? RxDescriptor.rssHash(ring, index) : 0;
                final long deviceNs = stamp != 0 ? RxDescriptor.deviceTimestamp(stamp, nowNs) : 0L;
                if (endpoint.lendFromRing(slot, length, deviceNs, nowNs))
                {
                    slots[count++] = slot;
                }
            }
            discarding = RxDescriptor.continuesFrame(status);
            position++;
        }
        if (position != next)
        {
            next = position;
            header.rxConsumerPosition(position);
        }
        return count;
    }

    /** Whether a done descriptor waits at the consumer position (the wake source's last look). */
    boolean hasFrame()
    {
        return next < file.posted() &&
            (RxDescriptor.statusError(ring, (int)(next & mask)) & RxDescriptor.STATUS_DD) != 0;
    }

    /** Descriptors taken so far: the consumer position. */
    long position()
    {
        return next;
    }

    /** Descriptors armed ahead of the consumer position: what the device can still fill before the driver refills. */
    long armedAhead()
    {
        return file.posted() - next;
    }

    /** The slot posted at the consumer position (the next frame's), for tests. */
    int slotAtConsumer()
    {
        return file.slotAt((int)(next & mask));
    }

    /** The mapping (read-only), for tests. */
    MemorySegment segment()
    {
        return file.segment();
    }

    public String toString()
    {
        return "RxRingReader{next " + next + ", posted " + file.posted() + ", DD at next " +
            ((RxDescriptor.statusError(ring, (int)(next & mask)) & RxDescriptor.STATUS_DD) != 0) + "}";
    }

    public void close()
    {
        file.close();
    }
}
