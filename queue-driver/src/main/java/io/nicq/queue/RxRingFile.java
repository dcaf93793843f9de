package io.nicq.queue;

import io.nicq.ixgbe.RxDescriptor;
import org.agrona.BitUtil;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Flyweight over the file that holds a served queue's RX descriptor ring when its queue driver exposes the ring
 * read-only to the client (the Barrelfish thesis's proposed optimisation): the device's ring itself, and beside it
 * what the client needs to read it, all written by the queue driver alone.
 * <pre>
 *   0                  descriptor ring: ringSize x 16 B, the device's (RDBAL/RDBAH point here, RDLEN = ringSize x 16,
 *                      so the device reaches nothing after it)
 *   ringBytes          +0 magic 'NICQRXR1' (long)   +8 ring size (int)   written once, before the channel is ACTIVE
 *   ringBytes + 128    posted position (long): descriptors at positions below it are armed for their current lap
 *                      (position p is descriptor p mod ringSize), stored with release after their slot entries
 *   ringBytes + 256    slot table: ringSize x int, the slot whose buffer descriptor i was given
 *   length             rounded up to a page
 *
 *   ringBytes + 256 +0      +4      +8           +4(ringSize-1)
 *                   +-------+-------+-- ... --+-------+
 *                   | slot0 | slot1 |         | slotN |
 *                   +-------+-------+-- ... --+-------+
 * </pre>
 * The client maps the file read-only ({@link #openReadOnly}: an O_RDONLY descriptor and a PROT_READ mapping, so a
 * write through it faults), reads DD and the length where its own consumer position points, as long as that position
 * is below the posted position (a descriptor consumed a lap ago keeps its DD until the driver posts it again), and
 * finds the frame's slot in the table. Nothing the client writes reaches this file; what it says about its progress
 * (the channel header's RX consumer position) the queue driver checks against this ring as it reads it.
 */
public final class RxRingFile implements AutoCloseable
{
    /** "NICQRXR1" read as a little-endian long. */
    public static final long MAGIC = 0x315252585143494EL;

    public static final int MAGIC_OFFSET = 0;
    public static final int RING_SIZE_OFFSET = 8;
    public static final int POSTED_POSITION_OFFSET = 128;
    public static final int SLOT_TABLE_OFFSET = 256;

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment file;
    private final MemorySegment ring;
    private final int ringSize;
    private final long trailer;
    private final Arena arena;

    private RxRingFile(final MemorySegment file, final int ringSize, final Arena arena)
    {
        this.file = file;
        this.ringSize = ringSize;
        this.trailer = (long)ringSize * RxDescriptor.SIZE;
        this.ring = file.asSlice(0, trailer);
        this.arena = arena;
    }

    /** Bytes of the file for a ring of {@code ringSize} descriptors. */
    public static long length(final int ringSize)
    {
        return BitUtil.align((long)ringSize * RxDescriptor.SIZE + SLOT_TABLE_OFFSET + (long)ringSize * Integer.BYTES,
            4096);
    }

    /** Queue driver: formats DMA memory of {@link #length} bytes whose ring the device is given. */
    public static RxRingFile format(final MemorySegment memory, final int ringSize)
    {
        if (memory.byteSize() < length(ringSize))
        {
            throw new IllegalArgumentException("an RX ring file of " + ringSize + " descriptors needs " +
                length(ringSize) + " bytes, not " + memory.byteSize());
        }
        final RxRingFile file = new RxRingFile(memory, ringSize, null);
        file.file.set(INT, file.trailer + RING_SIZE_OFFSET, ringSize);
        LONG.setRelease(file.file, file.trailer + POSTED_POSITION_OFFSET, 0L);
        LONG.setRelease(file.file, file.trailer + MAGIC_OFFSET, MAGIC);
        return file;
    }

    /**
     * Client: maps a ring file read-only (the file opened O_RDONLY, mapped PROT_READ and MAP_SHARED: the driver's
     * stores show through, and a store through this mapping faults) and checks it.
     *
     * @throws IllegalStateException naming the file and what is wrong
     */
    public static RxRingFile openReadOnly(final Path path, final int ringSize)
    {
        final Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
        {
            final long expected = length(ringSize);
            if (channel.size() < expected)
            {
                throw new IllegalStateException("RX ring file " + path + " has " + channel.size() + " bytes, a ring of " +
                    ringSize + " needs " + expected);
            }
            // The whole file: on hugetlbfs (a real card's DMA memory) a mapping must be a multiple of the huge page,
            // and the allocator rounded the file up to one.
            final RxRingFile file =
                new RxRingFile(channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena), ringSize, arena);
            final long magic = (long)LONG.getAcquire(file.file, file.trailer + MAGIC_OFFSET);
            final int size = file.file.get(INT, file.trailer + RING_SIZE_OFFSET);
            if (magic != MAGIC || size != ringSize)
            {
                throw new IllegalStateException("RX ring file " + path + " is not a ring of " + ringSize +
                    " descriptors (magic 0x" + Long.toHexString(magic) + ", ring size " + size + ")");
            }
            return file;
        }
        catch (final IOException ex)
        {
            arena.close();
            throw new IllegalStateException("cannot map RX ring file " + path + " read-only: " + ex, ex);
        }
        catch (final RuntimeException ex)
        {
            arena.close();
            throw ex;
        }
    }

    /** The descriptor ring, for {@link RxDescriptor}'s accessors. */
    public MemorySegment descriptors()
    {
        return ring;
    }

    /** The whole mapping (a client's is read-only). */
    public MemorySegment segment()
    {
        return file;
    }

    public int ringSize()
    {
        return ringSize;
    }

    /** Queue driver: descriptor {@code index} was given slot {@code slot}'s buffer (before {@link #posted}). */
    public void slot(final int index, final int slot)
    {
        file.set(INT, trailer + SLOT_TABLE_OFFSET + (long)index * Integer.BYTES, slot);
    }

    /** The slot whose buffer descriptor {@code index} holds; meaningful for positions below {@link #posted()}. */
    public int slotAt(final int index)
    {
        return file.get(INT, trailer + SLOT_TABLE_OFFSET + (long)index * Integer.BYTES);
    }

    /** Queue driver: every descriptor below {@code position} is armed; after the descriptors and their slots. */
    public void posted(final long position)
    {
        LONG.setRelease(file, trailer + POSTED_POSITION_OFFSET, position);
    }

    /** Descriptors posted so far (a position, never wrapped), read with acquire: their slots and cleared DD show. */
    public long posted()
    {
        return (long)LONG.getAcquire(file, trailer + POSTED_POSITION_OFFSET);
    }

    /** Unmaps a mapping this object made ({@link #openReadOnly}); the driver's DMA buffer is its own to close. */
    public void close()
    {
        if (arena != null && arena.scope().isAlive())
        {
            arena.close();
        }
    }
}
