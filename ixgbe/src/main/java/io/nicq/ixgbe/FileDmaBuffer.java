package io.nicq.ixgbe;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Private DMA memory in a file of its own, as every file-backed allocator hands it out ({@link #create}): closing it
 * unregisters the mapping, unmaps the memory and deletes the file, once, under the allocator's lock (the allocator
 * also forgets it).
 */
final class FileDmaBuffer implements DmaBuffer
{
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final AtomicLong FILE_NUMBER = new AtomicLong();

    private final MemorySegment segment;
    private final DmaMapping mapping;
    private final Arena arena;
    private final Path file;
    private final Object lock;
    private final Consumer<FileDmaBuffer> forget;
    private boolean released;

    /**
     * @param lock   the allocator's lock
     * @param forget removes the buffer from the allocator's books (called under the lock)
     */
    FileDmaBuffer(final MemorySegment segment, final DmaMapping mapping, final Arena arena, final Path file,
        final Object lock, final Consumer<FileDmaBuffer> forget)
    {
        this.segment = segment;
        this.mapping = mapping;
        this.arena = arena;
        this.file = file;
        this.lock = lock;
        this.forget = forget;
    }

    /**
     * A buffer's tag, checked: every allocator names the buffer's file by it.
     *
     * @throws IllegalArgumentException unless it is 1-64 letters, digits, '_', '.', '-'
     */
    static String checkTag(final String tag)
    {
        if (tag == null || !TAG.matcher(tag).matches())
        {
            throw new IllegalArgumentException("DMA buffer tag '" + tag +
                "' must be 1-64 letters, digits, '_', '.', '-'");
        }
        return tag;
    }

    /** A number for this process's next buffer file, so that names stay apart when a tag repeats. */
    static long nextFileNumber()
    {
        return FILE_NUMBER.incrementAndGet();
    }

    /**
     * What every file-backed allocator's allocate() does once it has named the file: creates it through the
     * allocator's own {@link DmaAllocator#createFile} (its file system's checks, its rounding up), registers the
     * whole of it for DMA through {@link DmaAllocator#map}, and hands out its first {@code size} bytes. On any failure
     * the memory is unmapped and the file deleted. Called under the allocator's lock, which the buffer's close takes.
     *
     * @param forget removes the buffer from the allocator's books when it closes
     */
    static FileDmaBuffer create(final DmaAllocator allocator, final Path file, final long size,
        final Consumer<FileDmaBuffer> forget)
    {
        final Arena arena = Arena.ofShared();
        try
        {
            final MemorySegment memory = allocator.createFile(file, size, arena);
            return new FileDmaBuffer(memory.asSlice(0, size), allocator.map(memory, file, 0), arena, file, allocator,
                forget);
        }
        catch (final RuntimeException ex)
        {
            arena.close();
            DmaFiles.deleteQuietly(file);
            throw ex;
        }
    }

    public MemorySegment segment()
    {
        return segment;
    }

    public DmaMapping mapping()
    {
        return mapping;
    }

    public Path file()
    {
        return file;
    }

    public void close()
    {
        synchronized (lock)
        {
            if (!released)
            {
                released = true;
                forget.accept(this);
                mapping.close();
                arena.close();
                DmaFiles.deleteQuietly(file);
            }
        }
    }
}
