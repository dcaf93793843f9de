package io.nicq.ixgbe;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.nicq.ixgbe.vfio.IovaAllocator;
import io.nicq.ixgbe.vfio.LinuxException;
import io.nicq.ixgbe.vfio.VfioApi;
import io.nicq.ixgbe.vfio.VfioCalls;

/**
 * DMA memory for a real card behind an IOMMU, in the process that holds the VFIO container (the card driver): files
 * on hugetlbfs, registered with VFIO_IOMMU_MAP_DMA at IOVAs nicq chooses ({@link IovaAllocator}: aligned, guarded,
 * never reused). VFIO pins the pages while they are mapped, so nothing needs mlock or physical addresses, and the
 * device can reach nothing that is not mapped: a stale or runaway address is an IOMMU fault.
 * <p>
 * Only this process can map: queue drivers in other processes ask it through {@link io.nicq.ixgbe.vfio.VfioService},
 * which calls {@link #mapFileFor} and {@link #unmapFor}. Each mapping records the pid it was made for, so {@link
 * #releaseMappingsOf} unmaps what a dead queue driver left (after the card driver has disabled its queue).
 * <p>
 * Pinned pages count against RLIMIT_MEMLOCK of this process unless it has CAP_IPC_LOCK: every map is checked first
 * and refused with what to raise.
 */
public final class VfioDmaAllocator implements DmaAllocator
{
    private static final long PAGE = 4096;

    private final VfioCalls calls;
    private final int containerFd;
    private final Path directory;
    private final long memlockLimit;
    private final boolean ipcLock;
    private final String spec;
    private final IovaAllocator iovas;
    private final long fileSystem;
    private final long pid = ProcessHandle.current().pid();
    private final List<Mapping> mappings = new ArrayList<>();
    private final List<FileDmaBuffer> buffers = new ArrayList<>();
    private long lockedBytes;
    private boolean closed;

    /**
     * @param containerFd  the VFIO container with its IOMMU set (not closed here)
     * @param directory    a hugetlbfs directory for DMA-visible files
     * @param memlockLimit soft RLIMIT_MEMLOCK in bytes (Long.MAX_VALUE: unlimited)
     * @param ipcLock      this process has CAP_IPC_LOCK (the limit does not apply)
     * @param fileSystem   the f_type DMA files must be on: {@link FileSystemType#HUGETLBFS_MAGIC} (tests say which
     *                     file system their temporary directory is)
     */
    public VfioDmaAllocator(final VfioCalls calls, final int containerFd, final Path directory,
        final long memlockLimit, final boolean ipcLock, final String spec, final IovaAllocator iovas,
        final long fileSystem)
    {
        FileSystemType.require(directory, "DMA directory", fileSystem);
        this.fileSystem = fileSystem;
        this.calls = calls;
        this.containerFd = containerFd;
        this.directory = directory;
        this.memlockLimit = memlockLimit;
        this.ipcLock = ipcLock;
        this.spec = spec;
        this.iovas = iovas;
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
        return mapRange(memory, null, pid, file);
    }

    /**
     * Maps a range of a hugetlbfs file for another process (a queue driver): this process maps the file itself to
     * give VFIO a virtual address, and keeps that mapping until {@link #unmapFor}.
     *
     * @return the IOVA of {@code fileOffset}
     */
    public synchronized long mapFileFor(final long owner, final Path file, final long fileOffset, final long length)
    {
        checkOpen();
        FileSystemType.require(file, "DMA file", fileSystem);
        if (fileOffset < 0 || length <= 0)
        {
            throw new IllegalArgumentException("cannot map " + length + " bytes at offset " + fileOffset + " of " +
                file);
        }
        final Arena arena = Arena.ofShared();
        try
        {
            final MemorySegment whole = DmaFiles.map(file, arena);
            if (fileOffset + length > whole.byteSize())
            {
                throw new IllegalArgumentException("cannot map " + length + " bytes at offset " + fileOffset +
                    " of " + file + ": the file has " + whole.byteSize());
            }
            return mapRange(whole.asSlice(fileOffset, length), arena, owner, file).iova(0);
        }
        catch (final RuntimeException ex)
        {
            arena.close();
            throw ex;
        }
    }

    /** Unmaps what {@link #mapFileFor} mapped at {@code iova} for {@code owner}; false if there is no such mapping. */
    public synchronized boolean unmapFor(final long owner, final long iova)
    {
        for (final Mapping mapping : mappings)
        {
            if (mapping.owner == owner && mapping.iova(0) == iova)
            {
                mapping.close();
                return true;
            }
        }
        return false;
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

    /** A mapped range is contiguous in IOVA space however large it is. */
    public long contiguousBlockSize()
    {
        return Long.MAX_VALUE;
    }

    public Path dmaFileRoot()
    {
        return directory;
    }

    public synchronized int releaseMappingsOf(final long owner)
    {
        if (owner == pid || ProcessHandle.of(owner).map(ProcessHandle::isAlive).orElse(false))
        {
            return 0;
        }
        int released = 0;
        for (final Mapping mapping : new ArrayList<>(mappings))
        {
            if (mapping.owner == owner)
            {
                mapping.close();
                released++;
            }
        }
        return released;
    }

    public synchronized int releaseMappingsOfDeadProcesses()
    {
        int released = 0;
        for (final Mapping mapping : new ArrayList<>(mappings))
        {
            if (mapping.owner != pid && !ProcessHandle.of(mapping.owner).map(ProcessHandle::isAlive).orElse(false))
            {
                mapping.close();
                released++;
            }
        }
        return released;
    }

    /** Bytes VFIO has pinned for this allocator's mappings. */
    public synchronized long lockedBytes()
    {
        return lockedBytes;
    }

    public String description()
    {
        return spec + " IOMMU (VFIO type 1), files on " + directory;
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

    /** VFIO_IOMMU_MAP_DMA of the whole 4 KiB pages under {@code memory}, at a fresh IOVA. */
    private Mapping mapRange(final MemorySegment memory, final Arena ownArena, final long owner, final Path file)
    {
        if (memory.byteSize() <= 0)
        {
            throw new IllegalArgumentException("cannot register an empty range of " + file + " for DMA");
        }
        final long start = memory.address() & -PAGE;
        final long end = (memory.address() + memory.byteSize() + PAGE - 1) & -PAGE;
        final long length = end - start;
        if (!ipcLock && lockedBytes + length > memlockLimit)
        {
            throw new IllegalStateException(memlockMessage(length));
        }
        final long iova = iovas.allocate(length);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment map = arena.allocate(VfioApi.DMA_MAP_SIZE, 8);
            map.set(ValueLayout.JAVA_INT, 0, VfioApi.DMA_MAP_SIZE);
            map.set(ValueLayout.JAVA_INT, VfioApi.DMA_MAP_FLAGS, VfioApi.DMA_MAP_FLAG_READ | VfioApi.DMA_MAP_FLAG_WRITE);
            map.set(ValueLayout.JAVA_LONG, VfioApi.DMA_MAP_VADDR, start);
            map.set(ValueLayout.JAVA_LONG, VfioApi.DMA_MAP_IOVA, iova);
            map.set(ValueLayout.JAVA_LONG, VfioApi.DMA_MAP_SIZE_FIELD, length);
            calls.ioctl(containerFd, VfioApi.IOMMU_MAP_DMA, map);
        }
        catch (final LinuxException ex)
        {
            if (ex.errno() == Errno.ENOMEM)
            {
                throw new IllegalStateException(spec + ": VFIO_IOMMU_MAP_DMA of " + file + " refused with ENOMEM: " +
                    memlockMessage(length), ex);
            }
            throw new IllegalStateException(spec + ": VFIO_IOMMU_MAP_DMA of " + length + " bytes of " + file +
                " at IOVA 0x" + Long.toHexString(iova) + " failed: " + ex.getMessage(), ex);
        }
        lockedBytes += length;
        final Mapping mapping = new Mapping(iova, memory.address() - start, memory.byteSize(), length, owner, ownArena);
        mappings.add(mapping);
        return mapping;
    }

    private String memlockMessage(final long length)
    {
        return String.format("mapping %d more bytes for DMA would pin %d bytes, over this process's " +
            "RLIMIT_MEMLOCK of %d: VFIO counts every mapped page as locked memory; raise the limit " +
            "('ulimit -l unlimited' in the card driver's shell, 'memlock' in /etc/security/limits.conf, or " +
            "LimitMEMLOCK=infinity in its systemd unit) or run it with CAP_IPC_LOCK ('nicq doctor' checks)",
            length, lockedBytes + length, memlockLimit);
    }

    private final class Mapping implements DmaMapping
    {
        private final long iova;
        private final long offsetInFirstPage;
        private final long length;
        private final long mappedLength;
        private final long owner;
        private final Arena arena;
        private boolean released;

        Mapping(final long iova, final long offsetInFirstPage, final long length, final long mappedLength,
            final long owner, final Arena arena)
        {
            this.iova = iova;
            this.offsetInFirstPage = offsetInFirstPage;
            this.length = length;
            this.mappedLength = mappedLength;
            this.owner = owner;
            this.arena = arena;
        }

        public long iova(final long offset)
        {
            if (offset < 0 || offset >= length)
            {
                throw new IndexOutOfBoundsException("offset " + offset + " outside DMA mapping of " + length +
                    " bytes");
            }
            return iova + offsetInFirstPage + offset;
        }

        public long length()
        {
            return length;
        }

        public void close()
        {
            synchronized (VfioDmaAllocator.this)
            {
                if (released)
                {
                    return;
                }
                released = true;
                mappings.remove(this);
                try (Arena scratch = Arena.ofConfined())
                {
                    final MemorySegment unmap = scratch.allocate(VfioApi.DMA_UNMAP_SIZE, 8);
                    unmap.set(ValueLayout.JAVA_INT, 0, VfioApi.DMA_UNMAP_SIZE);
                    unmap.set(ValueLayout.JAVA_LONG, VfioApi.DMA_UNMAP_IOVA, iova);
                    unmap.set(ValueLayout.JAVA_LONG, VfioApi.DMA_UNMAP_SIZE_FIELD, mappedLength);
                    calls.ioctl(containerFd, VfioApi.IOMMU_UNMAP_DMA, unmap);
                    lockedBytes -= mappedLength;
                }
                catch (final LinuxException ex)
                {
                    // The container is gone (closed with the card): nothing is mapped any more.
                }
                finally
                {
                    if (arena != null)
                    {
                        arena.close();
                    }
                }
            }
        }

        public String toString()
        {
            return String.format("IOVA 0x%x+%d (pid %d)", iova + offsetInFirstPage, length, owner);
        }
    }
}
