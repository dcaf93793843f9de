package io.nicq.bench.queue;

import io.nicq.ixgbe.DmaAllocator;
import io.nicq.ixgbe.DmaBuffer;
import io.nicq.ixgbe.DmaMapping;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * DMA memory for a device stub living in the benchmark's own process: the IOVA of a byte is its virtual address, and
 * nothing is checked. Only for measuring the queue driver's own cost.
 */
final class IdentityDma implements DmaAllocator
{
    private final Arena arena = Arena.ofShared();

    public MemorySegment createFile(final Path file, final long size, final Arena arena)
    {
        throw new IllegalStateException("benchmarks create channels with QueueChannel.create");
    }

    public MemorySegment mapFile(final Path file, final Arena arena)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, channel.size(), arena);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot map " + file, ex);
        }
    }

    public DmaMapping map(final MemorySegment memory, final Path file, final long fileOffset)
    {
        return mapping(memory);
    }

    public DmaBuffer allocate(final String tag, final long size)
    {
        final MemorySegment segment = arena.allocate(size, 4096);
        final DmaMapping mapping = mapping(segment);
        return new DmaBuffer()
        {
            public MemorySegment segment()
            {
                return segment;
            }

            public DmaMapping mapping()
            {
                return mapping;
            }

            public void close()
            {
            }
        };
    }

    private static DmaMapping mapping(final MemorySegment memory)
    {
        return new DmaMapping()
        {
            public long iova(final long offset)
            {
                return memory.address() + offset;
            }

            public long length()
            {
                return memory.byteSize();
            }

            public void close()
            {
            }
        };
    }

    public long contiguousBlockSize()
    {
        return Long.MAX_VALUE;
    }

    public String description()
    {
        return "identity-mapped benchmark DMA";
    }

    public void close()
    {
        arena.close();
    }

    /** Identity DMA has no registrations to release. */
    public int releaseMappingsOf(final long pid)
    {
        return 0;
    }

    /** Identity DMA has no registrations to release. */
    public int releaseMappingsOfDeadProcesses()
    {
        return 0;
    }
}
