package io.nicq.ixgbe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The simulated card's IOMMU: a shared file that says which I/O virtual addresses (IOVAs) map to which ranges of which
 * shared-memory files. Drivers register their DMA memory here ({@link SimulatedDmaAllocator}); the device maps the
 * backing files itself when it first needs them, so a DMA can only ever reach memory that was registered, and an
 * address outside every entry is a DMA fault.
 * <pre>
 *   header, 4096 bytes (little endian):
 *     0                   8          12         16                 24                 32
 *     +-------------------+----------+----------+------------------+------------------+
 *     | magic 'NICQIOMU'  | version  | capacity | change counter   | next IOVA        |
 *     +-------------------+----------+----------+------------------+------------------+
 *
 *   entry i at 4096 + 512 i:
 *     0                   8                  16                 24                 32        36        40
 *     +---------+---------+------------------+------------------+------------------+---------+---------+------...
 *     | state   | owner   | IOVA             | length           | file offset      | path    | reserved| path
 *     | (int)   | pid     |                  |                  |                  | length  |         | (UTF-8,
 *     +---------+---------+------------------+------------------+------------------+---------+---------+  <= 472)
 *     state and owner pid form one 64-bit word, claimed and released with CAS.
 * </pre>
 * Rules:
 * <ul>
 *   <li>An entry goes FREE -> CLAIMED (CAS, by its owner) -> ACTIVE (fields written first, then the state with
 *       release semantics) -> FREE (CAS, by its owner, or by anyone once the owner is dead). Every change bumps the
 *       change counter, so the device notices new and removed entries with one load.</li>
 *   <li>IOVAs are never reused: they are bump-allocated from 4 GiB, 64 KiB aligned, with an unmapped 64 KiB guard
 *       after each range. A stale descriptor therefore faults instead of reaching memory registered later, and a
 *       DMA that runs past the end of a range faults instead of reaching the next.</li>
 *   <li>A reader confirms an entry by re-reading its state word and IOVA after reading the fields (IOVAs are unique,
 *       so an unchanged IOVA means an unchanged entry).</li>
 * </ul>
 */
public final class IommuTable implements AutoCloseable
{
    /** The ASCII bytes "NICQIOMU" read as a little-endian long. */
    public static final long MAGIC = asciiLittleEndian("NICQIOMU");
    public static final int VERSION = 1;
    public static final int DEFAULT_CAPACITY = 1024;
    public static final int HEADER_SIZE = 4096;
    public static final int ENTRY_SIZE = 512;
    public static final int MAX_PATH_BYTES = ENTRY_SIZE - 40;

    /** The first IOVA handed out: above 4 GiB, so a truncated 32-bit address can never hit a mapping. */
    public static final long FIRST_IOVA = 1L << 32;
    public static final long IOVA_ALIGNMENT = 64 * 1024;
    public static final long IOVA_GUARD = 64 * 1024;
    /** A registered range starts at a file offset that is a multiple of this (descriptors need aligned memory). */
    public static final long FILE_OFFSET_ALIGNMENT = 64;

    public static final int FREE = 0;
    public static final int CLAIMED = 1;
    public static final int ACTIVE = 2;

    private static final int MAGIC_OFFSET = 0;
    private static final int VERSION_OFFSET = 8;
    private static final int CAPACITY_OFFSET = 12;
    private static final int CHANGE_COUNTER_OFFSET = 16;
    private static final int NEXT_IOVA_OFFSET = 24;

    private static final int STATE_WORD_OFFSET = 0;
    private static final int IOVA_OFFSET = 8;
    private static final int LENGTH_OFFSET = 16;
    private static final int FILE_OFFSET_OFFSET = 24;
    private static final int PATH_LENGTH_OFFSET = 32;
    private static final int PATH_OFFSET = 40;

    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final MemorySegment table;
    private final Arena arena;
    private final Path file;
    private final int capacity;

    private IommuTable(final MemorySegment table, final Arena arena, final Path file, final int capacity)
    {
        this.table = table;
        this.arena = arena;
        this.file = file;
        this.capacity = capacity;
    }

    /** Bytes a table of this capacity occupies. */
    public static long fileSize(final int capacity)
    {
        return HEADER_SIZE + (long)capacity * ENTRY_SIZE;
    }

    /**
     * Creates a new, empty table (the card does this when it starts), replacing any file there. The file is written
     * under a temporary name and moved into place, so an opener never sees a half-initialised table.
     */
    public static IommuTable create(final Path file, final int capacity)
    {
        if (capacity <= 0 || capacity > 65536)
        {
            throw new IllegalArgumentException("IOMMU capacity " + capacity + " must be 1..65536");
        }
        final Path temp = file.resolveSibling(file.getFileName() + ".new");
        try
        {
            Files.deleteIfExists(temp);
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            final Arena arena = Arena.ofShared();
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                final long size = fileSize(capacity);
                // Mapping READ_WRITE beyond the end of the new, empty file sizes it (zero-filled).
                final MemorySegment segment = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
                INT.set(segment, (long)VERSION_OFFSET, VERSION);
                INT.set(segment, (long)CAPACITY_OFFSET, capacity);
                LONG.set(segment, (long)CHANGE_COUNTER_OFFSET, 0L);
                LONG.set(segment, (long)NEXT_IOVA_OFFSET, FIRST_IOVA);
                LONG.setRelease(segment, (long)MAGIC_OFFSET, MAGIC);
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return new IommuTable(segment, arena, file, capacity);
            }
            catch (final IOException | RuntimeException ex)
            {
                arena.close();
                throw ex;
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create IOMMU table " + file, ex);
        }
    }

    /** Maps an existing table (drivers do this to register memory). */
    public static IommuTable open(final Path file)
    {
        if (!Files.isRegularFile(file))
        {
            throw new IllegalStateException("no IOMMU table at " + file + " (is the simulated card running?)");
        }
        final Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final long size = channel.size();
            if (size < HEADER_SIZE)
            {
                throw new IllegalStateException("IOMMU table " + file + " is " + size + " bytes, too short");
            }
            final MemorySegment segment = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            if ((long)LONG.getAcquire(segment, (long)MAGIC_OFFSET) != MAGIC)
            {
                throw new IllegalStateException("IOMMU table " + file + " has a bad magic (not a nicq IOMMU table)");
            }
            final int version = (int)INT.get(segment, (long)VERSION_OFFSET);
            final int capacity = (int)INT.get(segment, (long)CAPACITY_OFFSET);
            if (version != VERSION || capacity <= 0 || fileSize(capacity) > size)
            {
                throw new IllegalStateException("IOMMU table " + file + ": version " + version + ", capacity " +
                    capacity + " do not fit this build (version " + VERSION + ") or the file size " + size);
            }
            return new IommuTable(segment, arena, file, capacity);
        }
        catch (final IOException ex)
        {
            arena.close();
            throw new UncheckedIOException("cannot map IOMMU table " + file, ex);
        }
        catch (final RuntimeException ex)
        {
            arena.close();
            throw ex;
        }
    }

    public Path file()
    {
        return file;
    }

    public int capacity()
    {
        return capacity;
    }

    /** Bumped by every registration and removal: the device rescans the table only when this moves. */
    public long changeCounter()
    {
        return (long)LONG.getAcquire(table, (long)CHANGE_COUNTER_OFFSET);
    }

    /**
     * Registers a range of a file for DMA and returns the entry index; its IOVA is {@link #iova(int)}.
     *
     * @throws IllegalStateException when the table is full even after reclaiming entries of dead owners
     */
    public int register(final Path backingFile, final long fileOffset, final long length, final int ownerPid)
    {
        if (length <= 0 || fileOffset < 0 || (fileOffset & (FILE_OFFSET_ALIGNMENT - 1)) != 0)
        {
            throw new IllegalArgumentException("DMA range of " + length + " bytes at file offset " + fileOffset +
                ": the length must be positive and the offset a multiple of " + FILE_OFFSET_ALIGNMENT);
        }
        final byte[] path = backingFile.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8);
        if (path.length > MAX_PATH_BYTES)
        {
            throw new IllegalArgumentException("DMA file path " + backingFile + " is longer than " + MAX_PATH_BYTES +
                " bytes");
        }

        int entry = claim(ownerPid);
        if (entry < 0)
        {
            reclaimDead();
            entry = claim(ownerPid);
            if (entry < 0)
            {
                throw new IllegalStateException("IOMMU table " + file + " is full: " + capacity +
                    " ranges registered; release DMA mappings or restart the card with a larger table");
            }
        }

        final long base = entryOffset(entry);
        LONG.set(table, base + IOVA_OFFSET, allocateIova(length));
        LONG.set(table, base + LENGTH_OFFSET, length);
        LONG.set(table, base + FILE_OFFSET_OFFSET, fileOffset);
        INT.set(table, base + PATH_LENGTH_OFFSET, path.length);
        MemorySegment.copy(path, 0, table, ValueLayout.JAVA_BYTE, base + PATH_OFFSET, path.length);
        LONG.setRelease(table, base + STATE_WORD_OFFSET, stateWord(ACTIVE, ownerPid));
        LONG.getAndAdd(table, (long)CHANGE_COUNTER_OFFSET, 1L);
        return entry;
    }

    /**
     * Removes an entry its owner registered. The IOVA is checked so that an entry freed and reused by someone else
     * is never removed by mistake.
     *
     * @return false if the entry no longer holds that IOVA (already removed or reclaimed)
     */
    public boolean unregister(final int entry, final long iova)
    {
        checkEntry(entry);
        final long base = entryOffset(entry);
        final long word = (long)LONG.getAcquire(table, base + STATE_WORD_OFFSET);
        if (state(word) != ACTIVE || (long)LONG.get(table, base + IOVA_OFFSET) != iova)
        {
            return false;
        }
        if (LONG.compareAndSet(table, base + STATE_WORD_OFFSET, word, stateWord(FREE, 0)))
        {
            LONG.getAndAdd(table, (long)CHANGE_COUNTER_OFFSET, 1L);
            return true;
        }
        return false;
    }

    /**
     * Frees every entry whose owner process is gone (a driver killed with kill -9 cannot clean up after itself).
     *
     * @return the number of entries freed
     */
    public int reclaimDead()
    {
        int freed = 0;
        for (int i = 0; i < capacity; i++)
        {
            final long base = entryOffset(i);
            final long word = (long)LONG.getAcquire(table, base + STATE_WORD_OFFSET);
            if (state(word) != FREE && !isAlive(pid(word)) &&
                LONG.compareAndSet(table, base + STATE_WORD_OFFSET, word, stateWord(FREE, 0)))
            {
                freed++;
            }
        }
        if (freed > 0)
        {
            LONG.getAndAdd(table, (long)CHANGE_COUNTER_OFFSET, 1L);
        }
        return freed;
    }

    /**
     * Frees every entry of one owner (a card driver releasing what a dead queue driver left, or a test).
     *
     * @return the number of entries freed
     */
    public int releaseAllOf(final int ownerPid)
    {
        int freed = 0;
        for (int i = 0; i < capacity; i++)
        {
            final long base = entryOffset(i);
            final long word = (long)LONG.getAcquire(table, base + STATE_WORD_OFFSET);
            if (state(word) != FREE && pid(word) == ownerPid &&
                LONG.compareAndSet(table, base + STATE_WORD_OFFSET, word, stateWord(FREE, 0)))
            {
                freed++;
            }
        }
        if (freed > 0)
        {
            LONG.getAndAdd(table, (long)CHANGE_COUNTER_OFFSET, 1L);
        }
        return freed;
    }

    /** State of an entry: {@link #FREE}, {@link #CLAIMED} or {@link #ACTIVE}. */
    public int state(final int entry)
    {
        checkEntry(entry);
        return state((long)LONG.getAcquire(table, entryOffset(entry) + STATE_WORD_OFFSET));
    }

    public int ownerPid(final int entry)
    {
        checkEntry(entry);
        return pid((long)LONG.getAcquire(table, entryOffset(entry) + STATE_WORD_OFFSET));
    }

    public long iova(final int entry)
    {
        checkEntry(entry);
        return (long)LONG.getAcquire(table, entryOffset(entry) + IOVA_OFFSET);
    }

    public long length(final int entry)
    {
        checkEntry(entry);
        return (long)LONG.get(table, entryOffset(entry) + LENGTH_OFFSET);
    }

    public long fileOffset(final int entry)
    {
        checkEntry(entry);
        return (long)LONG.get(table, entryOffset(entry) + FILE_OFFSET_OFFSET);
    }

    /** The backing file of an entry; allocates (control path only). An entry with a corrupt length gives null. */
    public Path path(final int entry)
    {
        checkEntry(entry);
        final long base = entryOffset(entry);
        final int length = (int)INT.get(table, base + PATH_LENGTH_OFFSET);
        if (length <= 0 || length > MAX_PATH_BYTES)
        {
            return null;
        }
        final byte[] bytes = new byte[length];
        MemorySegment.copy(table, ValueLayout.JAVA_BYTE, base + PATH_OFFSET, bytes, 0, length);
        try
        {
            return Path.of(new String(bytes, StandardCharsets.UTF_8));
        }
        catch (final RuntimeException ex)
        {
            return null;
        }
    }

    /**
     * Reads an active entry consistently: returns its IOVA if the entry was ACTIVE with that IOVA both before and
     * after {@code fieldsRead} ran, else -1. The device uses it to take a snapshot of an entry.
     */
    public long readActive(final int entry, final Runnable fieldsRead)
    {
        checkEntry(entry);
        final long base = entryOffset(entry);
        final long word = (long)LONG.getAcquire(table, base + STATE_WORD_OFFSET);
        if (state(word) != ACTIVE)
        {
            return -1;
        }
        final long iova = (long)LONG.getAcquire(table, base + IOVA_OFFSET);
        fieldsRead.run();
        VarHandle.acquireFence();
        if ((long)LONG.getAcquire(table, base + STATE_WORD_OFFSET) != word ||
            (long)LONG.getAcquire(table, base + IOVA_OFFSET) != iova)
        {
            return -1;
        }
        return iova;
    }

    public void close()
    {
        arena.close();
    }

    public String toString()
    {
        return "IOMMU table " + file;
    }

    /** Whether a process is alive (a pid of 0 or below never is). */
    public static boolean isAlive(final int pid)
    {
        return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private int claim(final int ownerPid)
    {
        for (int i = 0; i < capacity; i++)
        {
            final long base = entryOffset(i);
            final long word = (long)LONG.getAcquire(table, base + STATE_WORD_OFFSET);
            if (state(word) == FREE &&
                LONG.compareAndSet(table, base + STATE_WORD_OFFSET, word, stateWord(CLAIMED, ownerPid)))
            {
                return i;
            }
        }
        return -1;
    }

    private long allocateIova(final long length)
    {
        final long span = align(length, IOVA_ALIGNMENT) + IOVA_GUARD;
        return (long)LONG.getAndAdd(table, (long)NEXT_IOVA_OFFSET, span);
    }

    private void checkEntry(final int entry)
    {
        if (entry < 0 || entry >= capacity)
        {
            throw new IndexOutOfBoundsException("IOMMU entry " + entry + " of " + capacity);
        }
    }

    private static long entryOffset(final int entry)
    {
        return HEADER_SIZE + (long)entry * ENTRY_SIZE;
    }

    private static long stateWord(final int state, final int pid)
    {
        return ((long)pid << 32) | (state & 0xFFFF_FFFFL);
    }

    private static int state(final long word)
    {
        return (int)word;
    }

    private static int pid(final long word)
    {
        return (int)(word >>> 32);
    }

    private static long align(final long value, final long alignment)
    {
        return (value + alignment - 1) & -alignment;
    }

    private static long asciiLittleEndian(final String ascii)
    {
        long value = 0;
        for (int i = 7; i >= 0; i--)
        {
            value = (value << 8) | (ascii.charAt(i) & 0xFF);
        }
        return value;
    }
}
