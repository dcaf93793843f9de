package io.nicq.ixgbe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * DMA memory for a real card without an IOMMU: files on hugetlbfs (2 MiB pages, so each page is physically
 * contiguous), locked and touched so that they stay put, with IOVA = physical address read from
 * {@code /proc/self/pagemap} (which shows page frame numbers to root only). {@link #contiguousBlockSize()} is the huge
 * page size: a 2 MiB-aligned block never straddles two physical ranges.
 */
@SuppressWarnings("restricted") // mlock through the FFM API; nicq runs with --enable-native-access
public final class HugepageDmaAllocator implements DmaAllocator
{
    public static final long HUGE_PAGE_SIZE = 2L * 1024 * 1024;
    private static final long SMALL_PAGE_SIZE = 4096;
    private static final long PAGEMAP_PFN_MASK = (1L << 55) - 1;
    private static final long PAGEMAP_PRESENT = 1L << 63;
    private static final MethodHandle MLOCK = Linker.nativeLinker().downcallHandle(
        Linker.nativeLinker().defaultLookup().find("mlock").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));

    private final Path directory;
    private final int pid = (int)ProcessHandle.current().pid();
    private final List<Mapping> mappings = new ArrayList<>();
    private final List<FileDmaBuffer> buffers = new ArrayList<>();
    private boolean closed;

    /**
     * Uses hugetlbfs mounted at {@code directory} (its page size must be 2 MiB).
     *
     * @throws IllegalStateException when {@code directory} is not on hugetlbfs
     */
    public HugepageDmaAllocator(final Path directory)
    {
        FileSystemType.requireHugetlbfs(directory, "DMA directory");
        this.directory = directory;
        DmaFiles.deleteFilesOfDeadProcesses(directory);
    }

    /**
     * Finds a mounted hugetlbfs with 2 MiB pages and checks that this process can read physical addresses.
     *
     * @throws IllegalStateException saying what to do when hugepages are not mounted or this is not root
     */
    public static HugepageDmaAllocator open()
    {
        final Path mount = findMount();
        if (mount == null)
        {
            throw new IllegalStateException("no hugetlbfs with 2 MiB pages is mounted: as root, " +
                "'mkdir -p /dev/hugepages && mount -t hugetlbfs none /dev/hugepages' and reserve pages with " +
                "'echo 512 > /proc/sys/vm/nr_hugepages'");
        }
        if (freeHugePages() <= 0)
        {
            throw new IllegalStateException("no free 2 MiB hugepages (HugePages_Free is 0 in /proc/meminfo): " +
                "reserve some as root with 'echo 512 > /proc/sys/vm/nr_hugepages'");
        }
        return new HugepageDmaAllocator(mount);
    }

    /** The mount point of a hugetlbfs with 2 MiB pages, from /proc/mounts; null if there is none. */
    public static Path findMount()
    {
        return findMount(Path.of("/proc/mounts"));
    }

    /** The mount point of a hugetlbfs with 2 MiB pages in a mount table ({@code /proc/mounts}); null if none. */
    public static Path findMount(final Path mounts)
    {
        try
        {
            for (final String line : Files.readAllLines(mounts))
            {
                final String[] fields = line.split(" ");
                if (fields.length >= 4 && "hugetlbfs".equals(fields[2]) &&
                    (fields[3].contains("pagesize=2M") || !fields[3].contains("pagesize=")))
                {
                    return Path.of(fields[1].replace("\\040", " "));
                }
            }
            return null;
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    /** HugePages_Free from /proc/meminfo (default huge page size), or -1 if it cannot be read. */
    public static long freeHugePages()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/meminfo")))
            {
                if (line.startsWith("HugePages_Free:"))
                {
                    return Long.parseLong(line.substring("HugePages_Free:".length()).trim());
                }
            }
            return -1;
        }
        catch (final IOException | NumberFormatException ex)
        {
            return -1;
        }
    }

    /**
     * Creates a file on hugetlbfs (size rounded up to whole huge pages), maps it, touches and locks every page.
     *
     * @throws IllegalStateException naming the path when it is not on hugetlbfs (tmpfs pages are scattered: the
     *                               addresses {@link #map} computes would be wrong past the first 4 KiB of each
     *                               2 MiB window)
     */
    public MemorySegment createFile(final Path file, final long size, final Arena arena)
    {
        FileSystemType.requireHugetlbfs(file, "DMA file");
        final MemorySegment memory = DmaFiles.createAndMap(file, roundUp(size), arena);
        pin(memory, file);
        return memory;
    }

    public MemorySegment mapFile(final Path file, final Arena arena)
    {
        FileSystemType.requireHugetlbfs(file, "DMA file");
        final MemorySegment memory = DmaFiles.map(file, arena);
        pin(memory, file);
        return memory;
    }

    /** The hugetlbfs mount: queue channels and every other DMA-visible file are created under it. */
    public Path dmaFileRoot()
    {
        return directory;
    }

    public synchronized DmaMapping map(final MemorySegment memory, final Path file, final long fileOffset)
    {
        checkOpen();
        if (memory.byteSize() <= 0)
        {
            throw new IllegalArgumentException("cannot register an empty range of " + file + " for DMA");
        }
        final long start = memory.address();
        if (start % HUGE_PAGE_SIZE != Math.floorMod(fileOffset, HUGE_PAGE_SIZE))
        {
            throw new IllegalStateException(String.format("%s: the mapping at 0x%x (file offset %d) is not " +
                "aligned to its 2 MiB huge pages: not a hugetlbfs mapping", file, start, fileOffset));
        }
        final long firstPage = start / HUGE_PAGE_SIZE;
        final long lastPage = (start + memory.byteSize() - 1) / HUGE_PAGE_SIZE;
        final long[] physical = new long[(int)(lastPage - firstPage + 1)];
        try (FileChannel pagemap = FileChannel.open(Path.of("/proc/self/pagemap"), StandardOpenOption.READ))
        {
            final ByteBuffer entry = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < physical.length; i++)
            {
                final long virtualPage = (firstPage + i) * HUGE_PAGE_SIZE;
                final long first = Math.max(virtualPage, start);
                physical[i] = physicalAddress(pagemap, entry, first) - (first - virtualPage);
                // One frame per huge page is right only if the page really is one physically contiguous 2 MiB
                // frame: its last 4 KiB must sit where the first says (a tmpfs page would not).
                final long last = Math.min(virtualPage + HUGE_PAGE_SIZE, start + memory.byteSize()) - 1;
                final long lastPhysical = physicalAddress(pagemap, entry, last);
                if (lastPhysical != physical[i] + (last - virtualPage) || physical[i] % HUGE_PAGE_SIZE != 0)
                {
                    throw new IllegalStateException(String.format("%s: the 2 MiB page at 0x%x is not one " +
                        "physically contiguous huge page (0x%x..0x%x): not hugetlbfs memory", file, virtualPage,
                        physical[i], lastPhysical));
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read /proc/self/pagemap", ex);
        }
        final Mapping mapping = new Mapping(start, memory.byteSize(), physical);
        mappings.add(mapping);
        return mapping;
    }

    public synchronized DmaBuffer allocate(final String tag, final long size)
    {
        checkOpen();
        final Path file = directory.resolve("nicq-" + pid + "-" + FileDmaBuffer.checkTag(tag) + "-" +
            FileDmaBuffer.nextFileNumber());
        final FileDmaBuffer buffer = FileDmaBuffer.create(this, file, size, released ->
        {
            buffers.remove(released);
            mappings.remove(released.mapping());
        });
        buffers.add(buffer);
        return buffer;
    }

    public long contiguousBlockSize()
    {
        return HUGE_PAGE_SIZE;
    }

    /**
     * Nothing to release: physical addresses are not registered anywhere, and a dead process's hugepages stay
     * allocated as long as their hugetlbfs file (the card driver disables the queue before deleting it).
     */
    public int releaseMappingsOf(final long pid)
    {
        return 0;
    }

    /** Nothing to release, as {@link #releaseMappingsOf}. */
    public int releaseMappingsOfDeadProcesses()
    {
        return 0;
    }

    public String description()
    {
        return "hugepages " + directory;
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
        mappings.clear();
        closed = true;
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException(description() + ": allocator is closed");
        }
    }

    /** Touches every page (so that it is allocated now, not on the device's first DMA) and locks the range. */
    private static void pin(final MemorySegment memory, final Path file)
    {
        for (long offset = 0; offset < memory.byteSize(); offset += SMALL_PAGE_SIZE)
        {
            final byte value = memory.get(ValueLayout.JAVA_BYTE, offset);
            memory.set(ValueLayout.JAVA_BYTE, offset, value);
        }
        final int result;
        try
        {
            result = (int)MLOCK.invokeExact(memory, memory.byteSize());
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("mlock of " + file + " failed", ex);
        }
        if (result != 0)
        {
            throw new IllegalStateException("mlock of " + file + " (" + memory.byteSize() +
                " bytes) failed: raise RLIMIT_MEMLOCK or run as root");
        }
    }

    private static long physicalAddress(final FileChannel pagemap, final ByteBuffer entry, final long virtualAddress)
        throws IOException
    {
        entry.clear();
        final long position = (virtualAddress / SMALL_PAGE_SIZE) * 8;
        if (pagemap.read(entry, position) != 8)
        {
            throw new IllegalStateException(String.format("short read of /proc/self/pagemap at 0x%x", position));
        }
        final long value = entry.getLong(0);
        final long pfn = value & PAGEMAP_PFN_MASK;
        if ((value & PAGEMAP_PRESENT) == 0 || pfn == 0)
        {
            throw new IllegalStateException(String.format("no physical address for virtual 0x%x in " +
                "/proc/self/pagemap (page not present, or not root: the kernel hides page frame numbers from " +
                "processes without CAP_SYS_ADMIN)", virtualAddress));
        }
        return pfn * SMALL_PAGE_SIZE + (virtualAddress % SMALL_PAGE_SIZE);
    }

    static long roundUp(final long size)
    {
        if (size <= 0)
        {
            throw new IllegalArgumentException("DMA size " + size + " must be positive");
        }
        return (size + HUGE_PAGE_SIZE - 1) & -HUGE_PAGE_SIZE;
    }

    /** Physical addresses of each huge page the range touches; within one page they are contiguous. */
    private static final class Mapping implements DmaMapping
    {
        private final long start;
        private final long length;
        private final long[] physicalPages;

        Mapping(final long start, final long length, final long[] physicalPages)
        {
            this.start = start;
            this.length = length;
            this.physicalPages = physicalPages;
        }

        public long iova(final long offset)
        {
            if (offset < 0 || offset >= length)
            {
                throw new IndexOutOfBoundsException("offset " + offset + " outside DMA mapping of " + length +
                    " bytes");
            }
            final long virtualAddress = start + offset;
            final int page = (int)(virtualAddress / HUGE_PAGE_SIZE - start / HUGE_PAGE_SIZE);
            return physicalPages[page] + (virtualAddress % HUGE_PAGE_SIZE);
        }

        public long length()
        {
            return length;
        }

        public void close()
        {
            // Physical addresses stay valid while the memory stays mapped: nothing to unregister without an IOMMU.
        }
    }
}
