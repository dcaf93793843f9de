package io.nicq.ixgbe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * DMA memory for a simulated card: ordinary shared-memory files, registered in the card's {@link IommuTable}. The
 * IOVA of a registered range is the address the table handed out for it; the card maps the same file to reach the
 * memory. {@link #close()} unregisters everything this allocator registered (and the card reclaims the entries of a
 * process that died without closing).
 * <p>
 * Thread safe: registration is the control path, so a lock is fine.
 */
public final class SimulatedDmaAllocator implements DmaAllocator
{

    private final SimulatedCardFiles files;
    private final IommuTable iommu;
    private final int pid = (int)ProcessHandle.current().pid();
    private final List<Mapping> mappings = new ArrayList<>();
    private final List<FileDmaBuffer> buffers = new ArrayList<>();
    private boolean closed;

    /** Attaches to the IOMMU table of a running simulated card. */
    public SimulatedDmaAllocator(final SimulatedCardFiles files)
    {
        this.files = files;
        this.iommu = IommuTable.open(files.iommuFile());
    }

    public MemorySegment createFile(final Path file, final long size, final Arena arena)
    {
        return DmaFiles.createAndMap(file, size, arena);
    }

    public MemorySegment mapFile(final Path file, final Arena arena)
    {
        return DmaFiles.map(file, arena);
    }

    public synchronized DmaMapping map(final MemorySegment memory, final Path file, final long fileOffset)
    {
        checkOpen();
        if (memory.byteSize() <= 0)
        {
            throw new IllegalArgumentException("cannot register an empty range of " + file + " for DMA");
        }
        final int entry = iommu.register(file, fileOffset, memory.byteSize(), pid);
        final Mapping mapping = new Mapping(entry, iommu.iova(entry), memory.byteSize());
        mappings.add(mapping);
        return mapping;
    }

    public synchronized DmaBuffer allocate(final String tag, final long size)
    {
        checkOpen();
        final String name = FileDmaBuffer.checkTag(tag);
        final Path dir = files.dmaDir();
        try
        {
            Files.createDirectories(dir);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create DMA directory " + dir, ex);
        }
        final Path file = dir.resolve(name + "-" + pid + "-" + FileDmaBuffer.nextFileNumber());
        final FileDmaBuffer buffer = FileDmaBuffer.create(this, file, size, buffers::remove);
        buffers.add(buffer);
        return buffer;
    }

    /** Unit of IOVA contiguity: a registered range is contiguous in IOVA space however large it is. */
    public long contiguousBlockSize()
    {
        return Long.MAX_VALUE;
    }

    public String description()
    {
        return files + " IOMMU";
    }

    /** The card's IOMMU table (tests and the card driver's clean-up of dead queue drivers use it). */
    public int releaseMappingsOf(final long pid)
    {
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
        {
            return 0;
        }
        return iommu().releaseAllOf((int)pid);
    }

    public int releaseMappingsOfDeadProcesses()
    {
        return iommu().reclaimDead();
    }

    public IommuTable iommu()
    {
        return iommu;
    }

    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        for (final FileDmaBuffer buffer : new ArrayList<>(buffers))
        {
            buffer.close();
        }
        for (final Mapping mapping : new ArrayList<>(mappings))
        {
            mapping.close();
        }
        closed = true;
        iommu.close();
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException(description() + ": allocator is closed");
        }
    }

    private final class Mapping implements DmaMapping
    {
        private final int entry;
        private final long iova;
        private final long length;
        private boolean released;

        Mapping(final int entry, final long iova, final long length)
        {
            this.entry = entry;
            this.iova = iova;
            this.length = length;
        }

        public long iova(final long offset)
        {
            if (offset < 0 || offset >= length)
            {
                throw new IndexOutOfBoundsException("offset " + offset + " outside DMA mapping of " + length +
                    " bytes");
            }
            return iova + offset;
        }

        public long length()
        {
            return length;
        }

        public void close()
        {
            synchronized (SimulatedDmaAllocator.this)
            {
                if (!released)
                {
                    released = true;
                    mappings.remove(this);
                    if (!closed)
                    {
                        iommu.unregister(entry, iova);
                    }
                }
            }
        }

        public String toString()
        {
            return String.format("IOVA 0x%x+%d", iova, length);
        }
    }
}
