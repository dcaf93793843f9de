package io.nicq.ixgbe;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Memory the card may DMA to and from, and its I/O virtual addresses (IOVA): the addresses put into descriptors and
 * ring base registers. Implementations:
 * <ul>
 *   <li>simulated: shared-memory files registered in the simulated card's IOMMU table (IOVA = table address);</li>
 *   <li>hugepages: files on hugetlbfs, locked, IOVA = physical address from {@code /proc/self/pagemap};</li>
 *   <li>VFIO: files on hugetlbfs mapped into the card's IOMMU domain at IOVAs nicq chooses.</li>
 * </ul>
 * Like a real IOMMU, mapping is separate from allocation: a file created by one process (a queue channel created by
 * the card driver) can be mapped by another and a range of it registered for DMA by whoever programs the descriptors.
 */
public interface DmaAllocator extends AutoCloseable
{
    /**
     * Creates a file of {@code size} bytes in memory suitable for DMA and maps it shared and zeroed. The file is
     * readable and writable by its owner only.
     *
     * @param arena owns the mapping: closing it unmaps
     */
    MemorySegment createFile(Path file, long size, Arena arena);

    /** Maps an existing file created by {@link #createFile} (possibly by another process). */
    MemorySegment mapFile(Path file, Arena arena);

    /**
     * Registers a range of mapped memory for device DMA.
     *
     * @param memory     the mapped range to register (a slice of what {@link #createFile} or {@link #mapFile} returned)
     * @param file       the file that backs it (the simulated card maps the same file to reach the memory)
     * @param fileOffset where {@code memory} starts in {@code file}
     * @return the mapping: its IOVAs stay valid until it is closed
     */
    DmaMapping map(MemorySegment memory, Path file, long fileOffset);

    /**
     * Convenience for private DMA memory (descriptor rings): a new file in this allocator's own directory, mapped and
     * registered; closing the result unregisters, unmaps and deletes it.
     */
    DmaBuffer allocate(String tag, long size);

    /**
     * Unit within which IOVAs are contiguous: an aligned block of this size never straddles two discontiguous IOVA
     * ranges (2 MiB for hugepages; the simulated card maps every range contiguously and says Long.MAX_VALUE).
     */
    long contiguousBlockSize();

    /**
     * Unregisters the mappings a process made and never closed because it died (kill -9 of a queue driver), so the
     * device can no longer reach that memory.
     *
     * @param pid a process that has exited; mappings of live processes are never touched
     * @return mappings released (0 where there is nothing to release: hugepages have no registration)
     */
    int releaseMappingsOf(long pid);

    /** {@link #releaseMappingsOf} for every process that has exited (a card driver's start after a crash). */
    int releaseMappingsOfDeadProcesses();

    /**
     * Where files the device will DMA into must be created (queue channels: see {@code
     * InstancePaths.queueChannel(int, Path)}), or null where any file system will do (a simulated card reaches memory
     * by file name). Hugepages and VFIO: their hugetlbfs directory, since on any other file system the pages of one
     * file are not physically contiguous.
     */
    default Path dmaFileRoot()
    {
        return null;
    }

    /** "sim:card0 IOMMU", "hugepages /dev/hugepages", ... */
    String description();

    /** Unregisters every mapping this allocator made and releases its files. */
    void close();
}
