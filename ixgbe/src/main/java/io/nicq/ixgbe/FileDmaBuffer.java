package io.nicq.ixgbe;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Private DMA memory in a file of its own, as both allocators hand it out: closing it unregisters the mapping, unmaps
 * the memory and deletes the file, once, under the allocator's lock (the allocator also forgets it).
 */
final class FileDmaBuffer implements DmaBuffer
{
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
