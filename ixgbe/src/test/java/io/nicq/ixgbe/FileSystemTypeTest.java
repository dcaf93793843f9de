package io.nicq.ixgbe;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** statfs through FFM, and the refusal of DMA-visible files that are not on hugetlbfs. */
class FileSystemTypeTest
{
    @TempDir
    Path dir;

    @Test
    void namesTmpfsAndProcfsByTheirMagic()
    {
        assumeTrue(Files.isDirectory(Path.of("/dev/shm")), "no /dev/shm");
        assertEquals(FileSystemType.TMPFS_MAGIC, FileSystemType.of(Path.of("/dev/shm")));
        assertEquals(0x9fa0L, FileSystemType.of(Path.of("/proc/self")), "PROC_SUPER_MAGIC");
        assertEquals(FileSystemType.of(Path.of("/dev/shm")), FileSystemType.of(Path.of("/dev/shm/not/yet/made")),
            "a path that does not exist yet is judged by its nearest existing ancestor");
        assertFalse(FileSystemType.isHugetlbfs(Path.of("/dev/shm")));
    }

    @Test
    void hugepageAllocatorRefusesAQueueChannelOnTmpfsNamingThePathAndWhatToDo()
    {
        assumeTrue(Files.isDirectory(Path.of("/dev/shm")), "no /dev/shm");
        final IllegalStateException directory = assertThrows(IllegalStateException.class,
            () -> new HugepageDmaAllocator(Path.of("/dev/shm")));
        assertTrue(directory.getMessage().contains("/dev/shm is on tmpfs") &&
            directory.getMessage().contains("mount -t hugetlbfs"), directory.getMessage());

        final IllegalStateException file = assertThrows(IllegalStateException.class,
            () -> FileSystemType.requireHugetlbfs(Path.of("/dev/shm/nicq/a/queues/1"), "queue channel"));
        assertTrue(file.getMessage().startsWith("queue channel /dev/shm/nicq/a/queues/1 is on tmpfs (f_type " +
            "0x01021994), not hugetlbfs"), file.getMessage());
        assertTrue(file.getMessage().contains("wrong bus address"), file.getMessage());
    }

    @Test
    void vfioAllocatorRefusesFilesOffItsFileSystem()
    {
        final Path tmp = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(tmp), "no /dev/shm");
        final IllegalStateException refused = assertThrows(IllegalStateException.class,
            () -> new VfioDmaAllocator(null, -1, tmp, Long.MAX_VALUE, true, "vfio:x",
                new io.nicq.ixgbe.vfio.IovaAllocator(), FileSystemType.HUGETLBFS_MAGIC));
        assertTrue(refused.getMessage().contains("DMA directory /dev/shm is on tmpfs"), refused.getMessage());
    }

    @Test
    void simulatedCardsTakeFilesAnywhere()
    {
        assertNull(new DmaAllocator()
        {
            public java.lang.foreign.MemorySegment createFile(final Path file, final long size, final Arena arena)
            {
                return null;
            }

            public java.lang.foreign.MemorySegment mapFile(final Path file, final Arena arena)
            {
                return null;
            }

            public DmaMapping map(final java.lang.foreign.MemorySegment memory, final Path file, final long offset)
            {
                return null;
            }

            public DmaBuffer allocate(final String tag, final long size)
            {
                return null;
            }

            public long contiguousBlockSize()
            {
                return 0;
            }

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
                return "";
            }

            public void close()
            {
            }
        }.dmaFileRoot(), "the default: no constraint on where DMA files go");
    }
}
