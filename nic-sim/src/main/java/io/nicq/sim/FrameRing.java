package io.nicq.sim;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A single-producer, single-consumer ring of variable-length frames over shared memory (a cable's file or native
 * memory of one process): the medium of the {@code cable} and {@code memory} wires.
 * <pre>
 *   0                 128               256
 *   +-----------------+-----------------+------------------------------------------------------+
 *   | tail (producer) | head (consumer) | records, capacity bytes (a power of two)              |
 *   +-----------------+-----------------+------------------------------------------------------+
 *   tail and head are byte positions that only grow; each on its own pair of cache lines.
 *
 *   record at (position & (capacity - 1)), 8-byte aligned:
 *   0        4        8
 *   +--------+--------+-------------------------------+----------+
 *   | length | type   | frame (length bytes)          | pad to 8 |
 *   +--------+--------+-------------------------------+----------+
 *   type 1 = frame; type 2 = padding to the end of the buffer (a record never wraps).
 * </pre>
 * The producer writes a record, then publishes it by storing the new tail with release semantics; the consumer reads
 * the tail with acquire semantics, reads the records up to it and frees them by storing the head. Neither trusts the
 * other's memory: a consumer that finds a record with an impossible length drops everything up to the tail and counts
 * it, rather than reading out of bounds.
 */
public final class FrameRing
{
    public static final int TAIL_OFFSET = 0;
    public static final int HEAD_OFFSET = 128;
    public static final int HEADER_SIZE = 256;
    public static final int RECORD_HEADER_SIZE = 8;
    public static final int TYPE_FRAME = 1;
    public static final int TYPE_PADDING = 2;
    public static final int MIN_CAPACITY = 64 * 1024;

    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final MemorySegment region;
    private final MemorySegment data;
    private final int capacity;
    private final long mask;
    private final int maxFrameLength;
    private long headCache;
    private long corruptions;

    /**
     * @param region {@link #regionSize(int)} bytes of shared memory, 8-byte aligned (a fresh region is all zeros)
     */
    public FrameRing(final MemorySegment region, final int capacity)
    {
        if (Integer.bitCount(capacity) != 1 || capacity < MIN_CAPACITY)
        {
            throw new IllegalArgumentException("frame ring capacity " + capacity + " must be a power of two >= " +
                MIN_CAPACITY);
        }
        if (region.byteSize() < regionSize(capacity))
        {
            throw new IllegalArgumentException("frame ring region of " + region.byteSize() + " bytes, need " +
                regionSize(capacity));
        }
        this.region = region;
        this.data = region.asSlice(HEADER_SIZE, capacity);
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.maxFrameLength = Math.min(Wire.MAX_FRAME_LENGTH, capacity / 4);
        this.headCache = (long)LONG.getAcquire(region, (long)HEAD_OFFSET);
    }

    /** Bytes a ring of this capacity occupies. */
    public static long regionSize(final int capacity)
    {
        return HEADER_SIZE + (long)capacity;
    }

    public int capacity()
    {
        return capacity;
    }

    /**
     * Producer: appends a frame.
     *
     * @return false if the ring has no room for it now, or the frame is longer than a ring of this size carries
     */
    public boolean offer(final MemorySegment frame, final long offset, final int length)
    {
        if (length <= 0 || length > maxFrameLength)
        {
            return false;
        }
        final int recordLength = align8(RECORD_HEADER_SIZE + length);
        final long tail = (long)LONG.get(region, (long)TAIL_OFFSET);
        final int index = (int)(tail & mask);
        final int toEnd = capacity - index;
        final int padding = recordLength > toEnd ? toEnd : 0;
        final long required = (long)recordLength + padding;

        if (tail + required - headCache > capacity)
        {
            headCache = (long)LONG.getAcquire(region, (long)HEAD_OFFSET);
            if (tail + required - headCache > capacity)
            {
                return false;
            }
        }

        int recordIndex = index;
        if (padding != 0)
        {
            INT.set(data, (long)index, toEnd - RECORD_HEADER_SIZE);
            INT.set(data, (long)index + 4, TYPE_PADDING);
            recordIndex = 0;
        }
        MemorySegment.copy(frame, offset, data, recordIndex + RECORD_HEADER_SIZE, length);
        INT.set(data, (long)recordIndex, length);
        INT.set(data, (long)recordIndex + 4, TYPE_FRAME);
        LONG.setRelease(region, (long)TAIL_OFFSET, tail + required);
        return true;
    }

    /** Consumer: hands up to {@code limit} frames to the sink, then frees them; returns how many. */
    public int poll(final FrameSink sink, final int limit)
    {
        long head = (long)LONG.get(region, (long)HEAD_OFFSET);
        final long tail = (long)LONG.getAcquire(region, (long)TAIL_OFFSET);
        if (tail == head)
        {
            return 0;
        }
        if (tail - head > capacity || tail < head)
        {
            return dropCorrupt(tail);
        }

        int frames = 0;
        while (head < tail && frames < limit)
        {
            final int index = (int)(head & mask);
            final int length = (int)INT.get(data, (long)index);
            final int type = (int)INT.get(data, (long)index + 4);
            final int recordLength = align8(RECORD_HEADER_SIZE + length);
            if (length < 0 || recordLength > capacity - index || head + recordLength > tail)
            {
                return frames + dropCorrupt(tail);
            }
            if (type == TYPE_FRAME)
            {
                sink.onFrame(data, index + RECORD_HEADER_SIZE, length);
                frames++;
            }
            else if (type != TYPE_PADDING)
            {
                return frames + dropCorrupt(tail);
            }
            head += recordLength;
        }
        LONG.setRelease(region, (long)HEAD_OFFSET, head);
        return frames;
    }

    /** Consumer: forgets every frame sent so far (an end that attaches to a cable does not get old frames). */
    public void discardAll()
    {
        LONG.setRelease(region, (long)HEAD_OFFSET, (long)LONG.getAcquire(region, (long)TAIL_OFFSET));
    }

    /** Bytes of records waiting to be consumed (an approximation while the other side runs). */
    public long pendingBytes()
    {
        return (long)LONG.getAcquire(region, (long)TAIL_OFFSET) - (long)LONG.getAcquire(region, (long)HEAD_OFFSET);
    }

    /** How many times the consumer found garbage and dropped the ring's contents. */
    public long corruptions()
    {
        return corruptions;
    }

    private int dropCorrupt(final long tail)
    {
        corruptions++;
        LONG.setRelease(region, (long)HEAD_OFFSET, tail);
        return 0;
    }

    private static int align8(final int value)
    {
        return (value + 7) & ~7;
    }
}
