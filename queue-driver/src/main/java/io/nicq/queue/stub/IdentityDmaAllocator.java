package io.nicq.queue.stub;

import io.nicq.ixgbe.DmaAllocator;
import io.nicq.ixgbe.DmaBuffer;
import io.nicq.ixgbe.DmaMapping;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * DMA allocator for a device stub in the same process: the IOVA of a byte is its virtual address.
 * It remembers what is registered, so the stub can refuse (and count) DMA outside every mapping, and tests can check
 * that a stopped driver released everything. Made with a directory, it backs each {@link #allocate} with a file there
 * (mapped shared), as the real allocators do, so that a read-only RX ring can be mapped by a client.
 */
public final class IdentityDmaAllocator implements DmaAllocator
{
    public record Range(long start, long length, String tag)
    {
        boolean contains(final long address, final long bytes)
        {
            return address >= start && bytes >= 0 && address + bytes <= start + length;
        }
    }

    private final List<Range> registered = new ArrayList<>();
    private final List<Arena> arenas = new ArrayList<>();
    private final Path fileDir;
    private int files;

    /** Anonymous memory for {@link #allocate}. */
    public IdentityDmaAllocator()
    {
        this(null);
    }

    /** @param fileDir where {@link #allocate} creates its files, null for anonymous memory */
    public IdentityDmaAllocator(final Path fileDir)
    {
        this.fileDir = fileDir;
    }

    public MemorySegment createFile(final Path file, final long size, final Arena arena)
    {
        throw new IllegalStateException("tests create channels with QueueChannel.create");
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

    public synchronized DmaMapping map(final MemorySegment memory, final Path file, final long fileOffset)
    {
        final Range range = new Range(memory.address(), memory.byteSize(), file + "@" + fileOffset);
        registered.add(range);
        return new DmaMapping()
        {
            private boolean closed;

            public long iova(final long offset)
            {
                if (offset < 0 || offset >= range.length())
                {
                    throw new IndexOutOfBoundsException("offset " + offset + " outside " + range);
                }
                return range.start() + offset;
            }

            public long length()
            {
                return range.length();
            }

            public void close()
            {
                synchronized (IdentityDmaAllocator.this)
                {
                    if (!closed)
                    {
                        closed = true;
                        registered.remove(range);
                    }
                }
            }
        };
    }

    public synchronized DmaBuffer allocate(final String tag, final long size)
    {
        final Arena arena = Arena.ofShared();
        arenas.add(arena);
        final Path file = fileDir == null ? null : fileDir.resolve(tag + "-" + (++files));
        final MemorySegment segment;
        if (file == null)
        {
            segment = arena.allocate(size, 4096);
        }
        else
        {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE))
            {
                channel.truncate(size);
                channel.write(ByteBuffer.wrap(new byte[1]), size - 1);
                segment = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("cannot create " + file, ex);
            }
        }
        final DmaMapping mapping = map(segment, file != null ? file : Path.of(tag), 0);
        return new DmaBuffer()
        {
            private boolean closed;

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
                synchronized (IdentityDmaAllocator.this)
                {
                    if (!closed)
                    {
                        closed = true;
                        mapping.close();
                        arenas.remove(arena);
                        arena.close();
                        if (file != null)
                        {
                            try
                            {
                                Files.deleteIfExists(file);
                            }
                            catch (final IOException ignore)
                            {
                                // A temporary directory of a test: it goes with the directory.
                            }
                        }
                    }
                }
            }
        };
    }

    /** Whether {@code bytes} at {@code address} lie inside one registered range. */
    public synchronized boolean isRegistered(final long address, final long bytes)
    {
        for (final Range range : registered)
        {
            if (range.contains(address, bytes))
            {
                return true;
            }
        }
        return false;
    }

    /** The registered range that maps (part of) {@code file}: for a queue channel, its pool as the driver sees it. */
    public synchronized Range rangeOf(final Path file)
    {
        for (final Range range : registered)
        {
            if (range.tag().startsWith(file + "@"))
            {
                return range;
            }
        }
        throw new IllegalStateException("nothing of " + file + " is registered");
    }

    public synchronized int registeredCount()
    {
        return registered.size();
    }

    public long contiguousBlockSize()
    {
        return Long.MAX_VALUE;
    }

    public String description()
    {
        return "identity-mapped test DMA";
    }

    public synchronized void close()
    {
        registered.clear();
        for (final Arena arena : arenas)
        {
            arena.close();
        }
        arenas.clear();
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
