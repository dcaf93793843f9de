package io.nicq.sim;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.io.RandomAccessFile;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.ixgbe.IommuTable;

import static org.junit.jupiter.api.Assertions.*;

class DeviceIommuTest
{
    private static final int PID = (int)ProcessHandle.current().pid();

    @TempDir
    Path dir;
    private IommuTable table;
    private DeviceIommu iommu;

    @BeforeEach
    void setUp()
    {
        table = IommuTable.create(dir.resolve("iommu"), 16);
        iommu = new DeviceIommu(table);
    }

    @AfterEach
    void tearDown()
    {
        iommu.close();
        table.close();
    }

    private Path file(final String name, final long size) throws Exception
    {
        final Path file = dir.resolve(name);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            raf.setLength(size);
        }
        return file;
    }

    @Test
    void memoryRegisteredInTheMiddleOfAPassIsFoundWithoutWaitingForTheNextPass() throws Exception
    {
        iommu.refreshIfChanged(); // the first look
        assertFalse(iommu.refreshIfChanged());
        final int entry = table.register(file("late", 8192), 4096, 4096, PID);
        final long iova = table.iova(entry);

        final int index = iommu.find(iova + 100, 64);
        assertTrue(index >= 0, "a miss rescans a changed table");
        assertEquals(100, iommu.offset(index, iova + 100));
        assertTrue(iommu.refreshIfChanged(), "the next pass hears of the change, to revalidate its rings");
        assertFalse(iommu.refreshIfChanged());
    }

    @Test
    void aRangeRemovedInTheMiddleOfAPassStaysMappedUntilReleased() throws Exception
    {
        final int entry = table.register(file("ring", 4096), 0, 4096, PID);
        final long iova = table.iova(entry);
        iommu.refreshIfChanged();
        final int index = iommu.find(iova, 16);
        final MemorySegment ring = iommu.segment(index);

        table.unregister(entry, iova);
        final int other = table.register(file("other", 4096), 0, 4096, PID);
        assertTrue(iommu.find(table.iova(other), 16) >= 0, "a miss rescans: the removed range is retired");
        assertEquals(-1, iommu.find(iova, 16), "the removed range faults");
        ring.set(ValueLayout.JAVA_LONG, 0, 1L); // still mapped: the device may be using it until its next pass

        assertTrue(iommu.refreshIfChanged());
        iommu.releaseRetired();
        assertThrows(IllegalStateException.class, () -> ring.get(ValueLayout.JAVA_LONG, 0), "unmapped now");
    }

    @Test
    void rangesAreContainedNotMerelyStarted() throws Exception
    {
        final int entry = table.register(file("f", 4096), 0, 4096, PID);
        final long iova = table.iova(entry);
        iommu.refreshIfChanged();
        assertTrue(iommu.find(iova + 4000, 96) >= 0);
        assertEquals(-1, iommu.find(iova + 4000, 97));
        assertEquals(-1, iommu.find(iova - 1, 1));
        assertEquals(-1, iommu.find(iova, 0));
        assertEquals(-1, iommu.find(Long.MAX_VALUE - 10, 64));
        assertEquals(-1, iommu.find(iova + 4096, 1));
    }
}
