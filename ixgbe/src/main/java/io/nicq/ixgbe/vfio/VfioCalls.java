package io.nicq.ixgbe.vfio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * The system calls the VFIO path makes, behind one small interface so that the open sequence and every failure's
 * sentence can be tested against a fake ({@link NativeVfioCalls} is the real one). Each call throws {@link
 * LinuxException} with the errno where the C call returns -1.
 */
public interface VfioCalls
{
    /** open(2) read-write with O_CLOEXEC; returns the file descriptor. */
    int open(Path path);

    void close(int fd);

    /** ioctl(2) whose argument is a plain integer (VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU). */
    int ioctl(int fd, long request, long argument);

    /** ioctl(2) whose argument is a pointer to {@code argument} (the VFIO structures, a string, an int). */
    int ioctl(int fd, long request, MemorySegment argument);

    /** mmap(2) MAP_SHARED, read-write, of {@code length} bytes of {@code fd} at {@code offset}; unmapped with arena. */
    MemorySegment mmap(int fd, long offset, long length, Arena arena);

    /** pread(2) of {@code buffer.byteSize()} bytes at {@code offset}; returns bytes read. */
    long pread(int fd, MemorySegment buffer, long offset);

    /** pwrite(2) of {@code buffer.byteSize()} bytes at {@code offset}; returns bytes written. */
    long pwrite(int fd, MemorySegment buffer, long offset);

    /** The soft RLIMIT_MEMLOCK of this process in bytes; Long.MAX_VALUE for RLIM_INFINITY. */
    long memlockLimit();

    /** eventfd(2) with EFD_CLOEXEC: a counter the kernel bumps for each interrupt. */
    int eventfd();
}
