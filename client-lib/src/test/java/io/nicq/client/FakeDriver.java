package io.nicq.client;

import io.nicq.proto.channel.IndexRing;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.proto.channel.SlotMetadata;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.AtomicBuffer;

import io.nicq.ixgbe.RxDescriptor;
import io.nicq.queue.RxRingFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Test code playing the queue driver's side of a real queue channel file: creates the channel, hands slots out on
 * txDone, "receives" frames into slots from its free list onto rxReady, and "transmits" what the client puts on
 * txReady (stamping the TX times, returning the slot on txDone). Allocation free after construction, so that the
 * client's allocation can be measured through it.
 */
final class FakeDriver implements AutoCloseable
{
    /** Sees each transmitted frame before its slot goes back. */
    @FunctionalInterface
    interface TxSink
    {
        void onTransmit(AtomicBuffer buffer, int offset, int length, int slot);
    }

    final QueueChannel channel;
    final IndexRing rxReady;
    final IndexRing rxFree;
    final IndexRing txReady;
    final IndexRing txDone;
    final SlotMetadata metadata;
    final AtomicBuffer pool;
    private final int[] free;
    private int freeCount;
    private final int[] batch;
    long transmitted;
    long dropped;
    private RxRingFile ring;
    private Arena ringArena;
    private int ringMask;
    private long postedPosition;
    private long devicePosition;

    /**
     * @param file      channel file to create.
     * @param slotCount slots of the pool.
     * @param rxBuffers slots the driver keeps as "posted" RX buffers; the rest go to the client on txDone.
     */
    FakeDriver(final Path file, final int slotCount, final int rxBuffers)
    {
        channel = QueueChannel.create(file, 3, slotCount);
        rxReady = channel.rxReady();
        rxFree = channel.rxFree();
        txReady = channel.txReady();
        txDone = channel.txDone();
        metadata = channel.metadata();
        pool = channel.pool();
        free = new int[slotCount];
        batch = new int[slotCount];
        for (int slot = 0; slot < rxBuffers; slot++)
        {
            free[freeCount++] = slot;
        }
        for (int slot = rxBuffers; slot < slotCount; slot++)
        {
            txDone.offer(slot);
        }
        channel.header().driverPid(ProcessHandle.current().pid());
        channel.header().state(QueueChannelHeader.STATE_ACTIVE);
    }

    /**
     * "Receives" a frame: copies it into a free RX slot and publishes it on rxReady with RX timestamps.
     *
     * @return the slot, -1 if the driver had no free slot (the frame is dropped, as the card would).
     */
    int inject(final DirectBuffer frame, final int offset, final int length)
    {
        takeRxFree();
        if (freeCount == 0)
        {
            dropped++;
            return -1;
        }
        final int slot = free[--freeCount];
        pool.putBytes(QueueChannel.frameOffset(slot), frame, offset, length);
        final long now = System.nanoTime();
        metadata.frameLength(slot, length);
        metadata.flags(slot, 0);
        metadata.rxDeviceNs(slot, now - 3_000);
        metadata.rxDriverSawNs(slot, now - 2_000);
        metadata.rxPublishedNs(slot, now - 1_000);
        metadata.rxAppNs(slot, 0);
        rxReady.offer(slot);
        return slot;
    }

    int inject(final DirectBuffer frame)
    {
        return inject(frame, 0, frame.capacity());
    }

    /**
     * Exposes a read-only RX ring, as a queue driver with {@code readOnlyRxRing} does (before the client opens the
     * queue): its free slots are posted there, and {@link #injectToRing} plays the device.
     */
    void exposeRxRing(final Path file, final int ringSize)
    {
        ringArena = Arena.ofShared();
        try (FileChannel fileChannel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE))
        {
            final long length = RxRingFile.length(ringSize);
            fileChannel.truncate(length);
            fileChannel.write(ByteBuffer.wrap(new byte[1]), length - 1);
            ring = RxRingFile.format(fileChannel.map(FileChannel.MapMode.READ_WRITE, 0, length, ringArena), ringSize);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        ringMask = ringSize - 1;
        channel.header().exposeRxRing(ringSize, QueueChannelHeader.RX_RING_FLAG_DEVICE_TIMESTAMPS, file.toString());
        refillRing();
    }

    /** Posts free slots (and those the client gave back) on the ring up to what the client's position allows. */
    void refillRing()
    {
        takeRxFree();
        final long consumed = channel.header().rxConsumerPosition();
        while (postedPosition - consumed < ringMask && freeCount > 0)
        {
            final int index = (int)(postedPosition & ringMask);
            final int slot = free[--freeCount];
            RxDescriptor.setBuffer(ring.descriptors(), index, 0x10_0000L + (long)slot * 2048);
            ring.slot(index, slot);
            postedPosition++;
        }
        ring.posted(postedPosition);
    }

    /** The device's part: the frame into the next posted descriptor's slot, written back with DD and EOP. */
    int injectToRing(final DirectBuffer frame)
    {
        refillRing();
        if (devicePosition == postedPosition)
        {
            dropped++;
            return -1;
        }
        final int index = (int)(devicePosition & ringMask);
        final int slot = ring.slotAt(index);
        pool.putBytes(QueueChannel.frameOffset(slot), frame, 0, frame.capacity());
        RxDescriptor.writeBack(ring.descriptors(), index, frame.capacity(), (int)System.nanoTime(),
            RxDescriptor.STATUS_DD | RxDescriptor.STATUS_EOP);
        devicePosition++;
        return slot;
    }

    /** Publishes a raw index on rxReady, as a misbehaving driver might. */
    void injectRawIndex(final int slot, final int length)
    {
        if (slot >= 0 && slot < metadata.buffer().capacity() / SlotMetadata.RECORD_LENGTH)
        {
            metadata.frameLength(slot, length);
        }
        rxReady.offer(slot);
    }

    /** Takes back the slots the client gave on rxFree. */
    int takeRxFree()
    {
        final int count = rxFree.poll(batch, 0, batch.length);
        for (int i = 0; i < count; i++)
        {
            free[freeCount++] = batch[i];
        }
        return count;
    }

    /** "Transmits" everything on txReady: stamps TX times, shows the frame to the sink, returns the slot on txDone. */
    int transmit(final TxSink sink)
    {
        final int count = txReady.poll(batch, 0, batch.length);
        if (count == 0)
        {
            return 0;
        }
        final long now = System.nanoTime();
        for (int i = 0; i < count; i++)
        {
            final int slot = batch[i];
            metadata.txDequeuedNs(slot, now);
            metadata.txDoorbellNs(slot, now + 100);
            metadata.txWireNs(slot, now + 200);
            if (sink != null)
            {
                sink.onTransmit(pool, QueueChannel.frameOffset(slot), metadata.frameLength(slot), slot);
            }
        }
        txDone.offer(batch, 0, count);
        transmitted += count;
        return count;
    }

    /** Slots the driver holds free (not counting any on rings). */
    int freeCount()
    {
        return freeCount;
    }

    /** Where the client's end maps the same file. */
    Path file()
    {
        return Path.of(channel.description());
    }

    public void close()
    {
        if (ringArena != null)
        {
            ringArena.close();
        }
        channel.close();
    }
}
