package io.nicq.ixgbe;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Hugepages with physical addresses, for real: as root, reserves a few 2 MiB pages (and mounts a hugetlbfs when none
 * is mounted), then restores both. Skips, saying why, where that cannot be done.
 */
class HugepageDmaAllocatorTest
{
    private static final Path NR_HUGEPAGES = Path.of("/proc/sys/vm/nr_hugepages");
    private static final int PAGES_NEEDED = 8;
    private static long originalPages = -1;
    private static Path mountedHere;
    private static Path mount;

    @BeforeAll
    static void reserve() throws Exception
    {
        assumeTrue("root".equals(System.getProperty("user.name")),
            "needs root: reserves hugepages and reads physical addresses from /proc/self/pagemap");
        assumeTrue(Files.isWritable(NR_HUGEPAGES), "needs a writable " + NR_HUGEPAGES + " to reserve hugepages");
        if (HugepageDmaAllocator.freeHugePages() < PAGES_NEEDED)
        {
            originalPages = Long.parseLong(Files.readString(NR_HUGEPAGES).trim());
            Files.writeString(NR_HUGEPAGES, Long.toString(originalPages + PAGES_NEEDED));
        }
        assumeTrue(HugepageDmaAllocator.freeHugePages() >= PAGES_NEEDED,
            "the kernel could not reserve " + PAGES_NEEDED + " free 2 MiB hugepages (memory fragmented or limited)");
        mount = HugepageDmaAllocator.findMount();
        if (mount == null)
        {
            mountedHere = Files.createTempDirectory("nicq-hugetlbfs-");
            run("mount", "-t", "hugetlbfs", "-o", "pagesize=2M", "none", mountedHere.toString());
            mount = HugepageDmaAllocator.findMount();
        }
        assumeTrue(mount != null, "no hugetlbfs could be mounted");
    }

    @AfterAll
    static void restore() throws Exception
    {
        if (mountedHere != null)
        {
            run("umount", mountedHere.toString());
            Files.deleteIfExists(mountedHere);
        }
        if (originalPages >= 0)
        {
            Files.writeString(NR_HUGEPAGES, Long.toString(originalPages));
        }
    }

    @Test
    void allocatesLockedMemoryWithPhysicalAddresses() throws Exception
    {
        final HugepageDmaAllocator dma = HugepageDmaAllocator.open();
        try
        {
            assertEquals(2L * 1024 * 1024, dma.contiguousBlockSize());
            final long size = 3L * 1024 * 1024;
            final DmaBuffer buffer = dma.allocate("test", size);
            final MemorySegment memory = buffer.segment();
            assertEquals(size, memory.byteSize());
            final DmaMapping mapping = buffer.mapping();

            final long first = mapping.iova(0);
            assertNotEquals(0, first);
            assertEquals(0, first % dma.contiguousBlockSize(), "a huge page is physically 2 MiB aligned");
            assertEquals(first + 12345, mapping.iova(12345), "contiguous within a huge page");
            final long second = mapping.iova(dma.contiguousBlockSize());
            assertEquals(0, second % dma.contiguousBlockSize());
            assertEquals(second + 7, mapping.iova(dma.contiguousBlockSize() + 7));
            assertTrue(isSystemRam(first) && isSystemRam(second), "physical addresses lie in System RAM");

            memory.set(ValueLayout.JAVA_LONG, size - 8, 0x1122334455667788L);
            assertEquals(0x1122334455667788L, memory.get(ValueLayout.JAVA_LONG, size - 8));
            final Path file;
            try (var files = Files.list(mount))
            {
                file = files.filter(p -> p.getFileName().toString().startsWith("nicq-")).findFirst().orElseThrow();
            }
            try (Arena arena = Arena.ofShared())
            {
                final MemorySegment again = dma.mapFile(file, arena);
                assertEquals(0x1122334455667788L, again.get(ValueLayout.JAVA_LONG, size - 8),
                    "another mapping of the file sees the same physical memory");
                assertEquals(first, dma.map(again, file, 0).iova(0));
            }
            buffer.close();
            assertFalse(Files.exists(file), "closing deletes the hugetlbfs file");
        }
        finally
        {
            dma.close();
        }
    }

    /**
     * A queue channel's shape (a 2 MiB-aligned header area, then a 4 MiB pool: 2048 slots of 2 KiB): every 4 KiB page
     * of the pool must translate, through /proc/self/pagemap, to the bus address the allocator computed for it. This
     * is what was wrong on tmpfs, where only the first 4 KiB of each 2 MiB window was right.
     */
    @Test
    void everyPageOfAChannelSizedPoolTranslatesToTheAddressTheDriverComputed() throws Exception
    {
        final HugepageDmaAllocator dma = HugepageDmaAllocator.open();
        final Path file = dma.dmaFileRoot().resolve("nicq-test-channel-" + ProcessHandle.current().pid());
        try (Arena arena = Arena.ofShared(); FileChannel pagemap = FileChannel.open(Path.of("/proc/self/pagemap"),
            StandardOpenOption.READ))
        {
            final long poolOffset = 2L * 1024 * 1024;
            final long poolLength = 2048L * 2048;
            final MemorySegment channel = dma.createFile(file, poolOffset + poolLength, arena);
            final MemorySegment pool = channel.asSlice(poolOffset, poolLength);
            final DmaMapping mapping = dma.map(pool, file, poolOffset);
            final ByteBuffer entry = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            int pages = 0;
            for (long offset = 0; offset < poolLength; offset += 4096)
            {
                entry.clear();
                assertEquals(8, pagemap.read(entry, ((pool.address() + offset) / 4096) * 8));
                final long value = entry.getLong(0);
                assertTrue(value < 0, "page present");
                final long physical = (value & ((1L << 55) - 1)) * 4096;
                assertEquals(physical, mapping.iova(offset), "4 KiB page at pool offset " + offset);
                assertEquals(physical + 100, mapping.iova(offset + 100));
                pages++;
            }
            assertEquals(poolLength / 4096, pages);
        }
        finally
        {
            Files.deleteIfExists(file);
            dma.close();
        }
    }

    private static boolean isSystemRam(final long physical) throws IOException
    {
        final List<String> lines = Files.readAllLines(Path.of("/proc/iomem"));
        for (final String line : lines)
        {
            if (line.endsWith(": System RAM"))
            {
                final String[] range = line.trim().split("[-: ]+");
                final long start = Long.parseUnsignedLong(range[0], 16);
                final long end = Long.parseUnsignedLong(range[1], 16);
                if (physical >= start && physical <= end)
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static void run(final String... command) throws Exception
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(10, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        assertEquals(0, process.exitValue(), String.join(" ", command) + ": " + output);
    }
}
