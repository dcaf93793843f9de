package io.nicq.ixgbe.vfio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import io.nicq.ixgbe.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The real system calls behind {@link VfioCalls}, on things every Linux has (a regular file, an eventfd): both ioctl
 * forms, errno capture, mmap, pread/pwrite, getrlimit. The VFIO ioctls themselves need a device (VfioNicTest fakes
 * them; VfioApiLayoutTest checks their numbers).
 */
class NativeVfioCallsTest
{
    /** FIONREAD and FIOCLEX, asm-generic/ioctls.h: a pointer argument and none. */
    private static final long FIONREAD = 0x541B;
    private static final long FIOCLEX = 0x5451;

    @TempDir
    Path dir;

    @Test
    void ioctlOpenMmapPreadPwriteOnARegularFile() throws Exception
    {
        final Path file = dir.resolve("data");
        Files.write(file, new byte[8192]);
        final VfioCalls calls = NativeVfioCalls.INSTANCE;
        final int fd = calls.open(file);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment available = arena.allocate(ValueLayout.JAVA_INT);
            assertEquals(0, calls.ioctl(fd, FIONREAD, available));
            assertEquals(8192, available.get(ValueLayout.JAVA_INT, 0), "FIONREAD wrote through the pointer");
            assertEquals(0, calls.ioctl(fd, FIOCLEX, 0));

            final MemorySegment mapped = calls.mmap(fd, 4096, 4096, arena);
            mapped.set(ValueLayout.JAVA_INT, 16, 0x01020304);
            final MemorySegment read = arena.allocate(4);
            assertEquals(4, calls.pread(fd, read, 4096 + 16));
            assertEquals(0x01020304, read.get(ValueLayout.JAVA_INT, 0), "mmap is MAP_SHARED");
            read.set(ValueLayout.JAVA_INT, 0, 0x0A0B0C0D);
            assertEquals(4, calls.pwrite(fd, read, 4096 + 32));
            assertEquals(0x0A0B0C0D, mapped.get(ValueLayout.JAVA_INT, 32));
        }
        finally
        {
            calls.close(fd);
        }
        final LinuxException closed = assertThrows(LinuxException.class, () -> calls.close(fd));
        assertEquals(Errno.EBADF, closed.errno());
        final LinuxException missing = assertThrows(LinuxException.class, () -> calls.open(dir.resolve("none")));
        assertEquals(Errno.ENOENT, missing.errno());
        assertTrue(missing.getMessage().contains("ENOENT (No such file or directory)"), missing.getMessage());
    }

    @Test
    void ioctlThatTheFileDoesNotKnowReportsEnotty()
    {
        final int fd = NativeVfioCalls.INSTANCE.eventfd();
        try
        {
            final LinuxException refused = assertThrows(LinuxException.class,
                () -> NativeVfioCalls.INSTANCE.ioctl(fd, VfioApi.GET_API_VERSION, 0));
            assertEquals(Errno.ENOTTY, refused.errno());
            assertTrue(refused.getMessage().contains("VFIO_GET_API_VERSION"), refused.getMessage());
        }
        finally
        {
            NativeVfioCalls.INSTANCE.close(fd);
        }
    }

    @Test
    void memlockLimitIsWhatProcSelfLimitsSays() throws Exception
    {
        String soft = null;
        for (final String line : Files.readAllLines(Path.of("/proc/self/limits")))
        {
            if (line.startsWith("Max locked memory"))
            {
                soft = line.substring("Max locked memory".length()).trim().split("\\s+")[0];
            }
        }
        assertNotNull(soft);
        final long limit = NativeVfioCalls.INSTANCE.memlockLimit();
        assertEquals("unlimited".equals(soft) ? Long.MAX_VALUE : Long.parseLong(soft), limit);
    }
}
