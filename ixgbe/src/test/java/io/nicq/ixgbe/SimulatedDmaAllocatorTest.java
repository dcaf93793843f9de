package io.nicq.ixgbe;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

class SimulatedDmaAllocatorTest
{
    @TempDir
    Path dir;
    private SimulatedCardFiles files;
    private IommuTable table;
    private SimulatedDmaAllocator dma;

    @BeforeEach
    void setUp() throws Exception
    {
        files = SimulatedCardFiles.of("card", dir);
        Files.createDirectories(files.root());
        table = IommuTable.create(files.iommuFile(), 64);
        dma = new SimulatedDmaAllocator(files);
    }

    @AfterEach
    void tearDown()
    {
        dma.close();
        table.close();
    }

    @Test
    void createFileIsOwnerOnlyAndZeroed() throws Exception
    {
        try (Arena arena = Arena.ofShared())
        {
            final Path file = dir.resolve("queues/0");
            final MemorySegment memory = dma.createFile(file, 10_000, arena);
            assertEquals(10_000, memory.byteSize());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            assertEquals(0, memory.get(ValueLayout.JAVA_LONG, 4096));
            memory.set(ValueLayout.JAVA_LONG, 8, 42L);
            final MemorySegment again = dma.mapFile(file, arena);
            assertEquals(42L, again.get(ValueLayout.JAVA_LONG, 8), "a second mapping sees the same memory");
        }
    }

    @Test
    void mapRegistersTheRangeAndCloseRemovesIt()
    {
        try (Arena arena = Arena.ofShared())
        {
            final Path file = dir.resolve("pool");
            final MemorySegment memory = dma.createFile(file, 1 << 20, arena);
            final DmaMapping mapping = dma.map(memory.asSlice(4096, 65536), file, 4096);
            final long iova = mapping.iova(0);
            assertTrue(iova >= IommuTable.FIRST_IOVA);
            assertEquals(iova + 100, mapping.iova(100));
            assertEquals(65536, mapping.length());
            assertThrows(IndexOutOfBoundsException.class, () -> mapping.iova(65536));
            assertThrows(IndexOutOfBoundsException.class, () -> mapping.iova(-1));
            assertEquals(1, activeEntries());
            mapping.close();
            assertEquals(0, activeEntries());
            mapping.close();
        }
    }

    @Test
    void allocateMakesAPrivateRegisteredFileThatCloseDeletes() throws Exception
    {
        final DmaBuffer buffer = dma.allocate("ring", 8192);
        assertEquals(8192, buffer.segment().byteSize());
        assertTrue(buffer.iova() >= IommuTable.FIRST_IOVA);
        try (var listing = Files.list(files.dmaDir()))
        {
            assertEquals(1, listing.count());
        }
        buffer.close();
        try (var listing = Files.list(files.dmaDir()))
        {
            assertEquals(0, listing.count());
        }
        assertEquals(0, activeEntries());
        assertThrows(IllegalArgumentException.class, () -> dma.allocate("../escape", 64));
    }

    @Test
    void closeUnregistersEverything()
    {
        dma.allocate("a", 4096);
        dma.allocate("b", 4096);
        assertEquals(2, activeEntries());
        dma.close();
        assertEquals(0, activeEntries());
        assertThrows(IllegalStateException.class, () -> dma.allocate("c", 64));
    }

    @Test
    void contiguousWithoutLimit()
    {
        assertEquals(Long.MAX_VALUE, dma.contiguousBlockSize());
    }

    private int activeEntries()
    {
        int active = 0;
        for (int i = 0; i < table.capacity(); i++)
        {
            if (table.state(i) == IommuTable.ACTIVE)
            {
                active++;
            }
        }
        return active;
    }
}
