package io.nicq.ixgbe;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.nicq.ixgbe.vfio.VfioService;

/**
 * DMA memory of a VFIO card in a process that does not hold the container (a queue driver): files on hugetlbfs like
 * the card driver's, mapped into the card's IOMMU domain by the card driver on request ({@link VfioService} MAP and
 * UNMAP over its socket). The IOVAs are the card driver's; this process only creates and maps files.
 */
public final class RemoteVfioDmaAllocator implements DmaAllocator
{

    private final Path socket;
    private final Path directory;
    private final String spec;
    private final long fileSystem;
    private final long pid = ProcessHandle.current().pid();
    private final List<Mapping> mappings = new ArrayList<>();
    private final List<FileDmaBuffer> buffers = new ArrayList<>();
    private boolean closed;

    /**
     * @param socket    the card driver's VFIO service
     * @param directory  a hugetlbfs directory for this process's DMA files
     * @param fileSystem the f_type DMA files must be on ({@link FileSystemType#HUGETLBFS_MAGIC} but in tests)
     */
    public RemoteVfioDmaAllocator(final Path socket, final Path directory, final String spec, final long fileSystem)
    {
        FileSystemType.require(directory, "DMA directory", fileSystem);
        this.fileSystem = fileSystem;
        this.socket = socket;
        this.directory = directory;
        this.spec = spec;
        DmaFiles.deleteFilesOfDeadProcesses(directory);
    }

    public MemorySegment createFile(final Path file, final long size, final Arena arena)
    {
        FileSystemType.require(file, "DMA file", fileSystem);
        return DmaFiles.createAndMap(file, HugepageDmaAllocator.roundUp(size), arena);
    }

    public MemorySegment mapFile(final Path file, final Arena arena)
    {
        FileSystemType.require(file, "DMA file", fileSystem);
        return DmaFiles.map(file, arena);
    }

    public synchronized DmaMapping map(final MemorySegment memory, final Path file, final long fileOffset)
    {
        checkOpen();
        if (memory.byteSize() <= 0)
        {
            throw new IllegalArgumentException("cannot register an empty range of " + file + " for DMA");
        }
        FileSystemType.require(file, "DMA file", fileSystem);
        final long iova = VfioService.requestMap(socket, file, fileOffset, memory.byteSize());
        final Mapping mapping = new Mapping(iova, memory.byteSize());
        mappings.add(mapping);
        return mapping;
    }

    public synchronized DmaBuffer allocate(final String tag, final long size)
    {
        checkOpen();
        final Path file = directory.resolve("nicq-" + pid + "-" + FileDmaBuffer.checkTag(tag) + "-" +
            FileDmaBuffer.nextFileNumber());
        final FileDmaBuffer buffer = FileDmaBuffer.create(this, file, size, buffers::remove);
        buffers.add(buffer);
        return buffer;
    }

    public long contiguousBlockSize()
    {
        return Long.MAX_VALUE;
    }

    public Path dmaFileRoot()
    {
        return directory;
    }

    /** Only the card driver's allocator can release another process's mappings. */
    public int releaseMappingsOf(final long pid)
    {
        return 0;
    }

    public int releaseMappingsOfDeadProcesses()
    {
        return 0;
    }

    public String description()
    {
        return spec + " IOMMU through the card driver (" + socket + "), files on " + directory;
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
        private final long iova;
        private final long length;
        private boolean released;

        Mapping(final long iova, final long length)
        {
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
            synchronized (RemoteVfioDmaAllocator.this)
            {
                if (released)
                {
                    return;
                }
                released = true;
                mappings.remove(this);
                try
                {
                    VfioService.requestUnmap(socket, iova);
                }
                catch (final RuntimeException ex)
                {
                    // The card driver is gone (and with it the container) or it already released us as dead.
                }
            }
        }
    }
}
