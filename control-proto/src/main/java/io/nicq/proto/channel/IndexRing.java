package io.nicq.proto.channel;

import org.agrona.BitUtil;
import org.agrona.concurrent.AtomicBuffer;

/**
 * A single-producer single-consumer ring of {@code int} slot indices in shared memory: one of the four rings of a
 * {@link QueueChannel}. Positions are 64-bit counters that only grow; an entry lives at its position modulo the
 * capacity (a power of two).
 * <pre>
 *   0                      128                    256
 *   +----------------------+----------------------+-------------------------------------------+
 *   | tail: producer       | head: consumer       | entries: int[capacity]                    |
 *   | position (long)      | position (long)      | position p at 256 + 4 * (p &amp; (capacity-1)) |
 *   | + padding            | + padding            |                                           |
 *   +----------------------+----------------------+-------------------------------------------+
 *   head and tail each own two cache lines (128 bytes), so neither side's store invalidates the line
 *   the other side writes, and the adjacent-line prefetcher does not pair them.
 * </pre>
 * Publication: the producer writes entries with plain stores, then the tail with a release store; the consumer reads
 * the tail with a volatile load, then the entries, then releases the head. Whatever a producer wrote before
 * publishing (slot metadata, frame bytes) is visible to the consumer that has seen the entry.
 * <p>
 * Each side keeps its own position privately and caches the other side's: a side never reads back its own position
 * from the shared file (a peer that scribbles on it cannot move it), and reads the other side's only when the cached
 * value does not already allow the whole operation. A peer position that is impossible (the consumer ahead of the
 * producer, or the producer more than a capacity ahead) is never used: the ring then reads as empty to a consumer
 * and full to a producer, and {@link #corruptPositions()} counts the observation.
 * <p>
 * One instance per side per process; not thread safe. Entries are whatever the peer wrote: the receiver validates
 * them (a queue driver checks every index against its own ownership table). Nothing here allocates.
 */
public final class IndexRing
{
    /** Producer position: written by the producer only. */
    public static final int TAIL_OFFSET = 0;

    /** Consumer position: written by the consumer only. */
    public static final int HEAD_OFFSET = 2 * BitUtil.CACHE_LINE_LENGTH;

    /** First entry. */
    public static final int ENTRIES_OFFSET = 4 * BitUtil.CACHE_LINE_LENGTH;

    /** Bytes of one entry. */
    public static final int ENTRY_LENGTH = Integer.BYTES;

    /** What {@link #poll()} returns when the ring is empty. */
    public static final int EMPTY = -1;

    private final AtomicBuffer buffer;
    private final int capacity;
    private final int mask;

    private long tail;
    private long headCache;
    private long head;
    private long tailCache;
    private long corruptPositions;

    /**
     * Wraps a ring whose memory starts at offset 0 of {@code buffer}; takes up the positions found there.
     *
     * @param buffer   at least {@link #lengthFor(int)} bytes, 8-byte aligned
     * @param capacity entries, a power of two
     */
    public IndexRing(final AtomicBuffer buffer, final int capacity)
    {
        if (!BitUtil.isPowerOfTwo(capacity))
        {
            throw new IllegalArgumentException("ring capacity " + capacity + " is not a power of two");
        }
        if (buffer.capacity() < lengthFor(capacity))
        {
            throw new IllegalArgumentException("ring of " + capacity + " entries needs " + lengthFor(capacity) +
                " bytes, buffer has " + buffer.capacity());
        }
        buffer.verifyAlignment();
        this.buffer = buffer;
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.tail = buffer.getLongVolatile(TAIL_OFFSET);
        this.head = buffer.getLongVolatile(HEAD_OFFSET);
        // Conservative caches (empty to a consumer, full to a producer): the first operation reads the peer's position
        // and checks it, whatever the file held when it was wrapped.
        this.tailCache = head;
        this.headCache = tail - capacity;
    }

    /** Bytes a ring of {@code capacity} entries occupies, positions included, rounded to 128. */
    public static int lengthFor(final int capacity)
    {
        return BitUtil.align(ENTRIES_OFFSET + capacity * ENTRY_LENGTH, 2 * BitUtil.CACHE_LINE_LENGTH);
    }

    public int capacity()
    {
        return capacity;
    }

    // -----------------------------------------------------------------------------------------------------------
    // Producer side
    // -----------------------------------------------------------------------------------------------------------

    /** Producer: appends one index. @return false if the ring is full (or the consumer's position is corrupt). */
    public boolean offer(final int value)
    {
        final long tail = this.tail;
        if (tail - headCache >= capacity && !refreshHead(tail, 1))
        {
            return false;
        }
        buffer.putInt(entryOffset(tail), value);
        this.tail = tail + 1;
        buffer.putLongRelease(TAIL_OFFSET, tail + 1);
        return true;
    }

    /**
     * Producer: appends up to {@code length} indices from {@code values[offset..]} and publishes them with one
     * release store.
     *
     * @return how many were appended, from the front: the rest did not fit
     */
    public int offer(final int[] values, final int offset, final int length)
    {
        final long tail = this.tail;
        long free = capacity - (tail - headCache);
        if (free < length)
        {
            refreshHead(tail, length);
            free = capacity - (tail - headCache);
        }
        final int count = (int)Math.min(free, length);
        if (count <= 0)
        {
            return 0;
        }
        for (int i = 0; i < count; i++)
        {
            buffer.putInt(entryOffset(tail + i), values[offset + i]);
        }
        this.tail = tail + count;
        buffer.putLongRelease(TAIL_OFFSET, tail + count);
        return count;
    }

    /** Producer: how many entries would fit now (reads the consumer's position). */
    public int remainingCapacity()
    {
        refreshHead(tail, capacity);
        return (int)(capacity - (tail - headCache));
    }

    // -----------------------------------------------------------------------------------------------------------
    // Consumer side
    // -----------------------------------------------------------------------------------------------------------

    /**
     * Consumer: takes one index.
     *
     * @return the index, or {@link #EMPTY}; a consumer that must tell a peer's -1 from an empty ring uses
     * {@link #poll(int[], int, int)}
     */
    public int poll()
    {
        final long head = this.head;
        if (tailCache - head <= 0 && !refreshTail(head, 1))
        {
            return EMPTY;
        }
        final int value = buffer.getInt(entryOffset(head));
        this.head = head + 1;
        buffer.putLongRelease(HEAD_OFFSET, head + 1);
        return value;
    }

    /**
     * Consumer: takes up to {@code max} indices into {@code values[offset..]} and frees their entries with one release
     * store.
     *
     * @return how many were taken
     */
    public int poll(final int[] values, final int offset, final int max)
    {
        final long head = this.head;
        long available = tailCache - head;
        if (available < max)
        {
            refreshTail(head, max);
            available = tailCache - head;
        }
        final int count = (int)Math.min(available, max);
        if (count <= 0)
        {
            return 0;
        }
        for (int i = 0; i < count; i++)
        {
            values[offset + i] = buffer.getInt(entryOffset(head + i));
        }
        this.head = head + count;
        buffer.putLongRelease(HEAD_OFFSET, head + count);
        return count;
    }

    // -----------------------------------------------------------------------------------------------------------
    // Monitoring
    // -----------------------------------------------------------------------------------------------------------

    /** Entries published and not yet consumed, from the shared positions (0 if they are inconsistent). */
    public int size()
    {
        final long size = buffer.getLongVolatile(TAIL_OFFSET) - buffer.getLongVolatile(HEAD_OFFSET);
        return size < 0 || size > capacity ? 0 : (int)size;
    }

    /** The producer position as the shared memory has it. */
    public long producerPosition()
    {
        return buffer.getLongVolatile(TAIL_OFFSET);
    }

    /** The consumer position as the shared memory has it. */
    public long consumerPosition()
    {
        return buffer.getLongVolatile(HEAD_OFFSET);
    }

    /** Times this side found the peer's position impossible and ignored it. */
    public long corruptPositions()
    {
        return corruptPositions;
    }

    private boolean refreshHead(final long tail, final int wanted)
    {
        final long head = buffer.getLongVolatile(HEAD_OFFSET);
        final long used = tail - head;
        if (used < 0 || used > capacity)
        {
            corruptPositions++;
            return false;
        }
        headCache = head;
        return capacity - used >= wanted;
    }

    private boolean refreshTail(final long head, final int wanted)
    {
        final long tail = buffer.getLongVolatile(TAIL_OFFSET);
        final long available = tail - head;
        if (available < 0 || available > capacity)
        {
            corruptPositions++;
            return false;
        }
        tailCache = tail;
        return available >= wanted;
    }

    private int entryOffset(final long position)
    {
        return ENTRIES_OFFSET + ((int)position & mask) * ENTRY_LENGTH;
    }
}
