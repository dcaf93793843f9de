package io.nicq.ixgbe;

import io.nicq.ixgbe.vfio.LinuxException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The system calls an eventfd interrupt waiter sleeps in, through the FFM API: eventfd(2), read(2), write(2) and
 * poll(2). (A futex word's waits are the runtime module's {@code Futex} and {@code WakeWord}.) Each call takes a
 * call-state segment ({@link #callState}) for its errno, allocated once by its caller, so that waiting and waking
 * allocate nothing.
 */
@SuppressWarnings("restricted") // nicq runs with --enable-native-access
public final class NativeWaits
{
    public static final int EFD_NONBLOCK = 0x800;
    public static final int EFD_CLOEXEC = 0x80000;
    static final short POLLIN = 1;
    /** struct pollfd: int fd, short events, short revents. */
    public static final long POLLFD_SIZE = 8;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final long ERRNO_OFFSET =
        Linker.Option.captureStateLayout().byteOffset(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle EVENTFD = handle("eventfd",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), ERRNO);
    private static final MethodHandle READ = handle("read",
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
        ERRNO);
    private static final MethodHandle WRITE = handle("write",
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
        ERRNO);
    private static final MethodHandle POLL = handle("poll",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT),
        ERRNO);
    private static final MethodHandle CLOSE = handle("close",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), ERRNO);

    private NativeWaits()
    {
    }

    /** A segment for the errno of calls made by one thread at a time. */
    public static MemorySegment callState(final Arena arena)
    {
        return arena.allocate(Linker.Option.captureStateLayout());
    }

    /** eventfd(2) with a counter starting at 0. */
    public static int eventfd(final int flags)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = callState(arena);
            final int fd = (int)EVENTFD.invokeExact(state, 0, flags);
            if (fd < 0)
            {
                throw new LinuxException("eventfd", errno(state));
            }
            return fd;
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
    }

    /** read(2) of 8 bytes into {@code buffer}: an eventfd's counter. Returns -errno on failure, else the count. */
    public static long read8(final MemorySegment state, final int fd, final MemorySegment buffer)
    {
        try
        {
            final long result = (long)READ.invokeExact(state, fd, buffer, 8L);
            return result < 0 ? -errno(state) : result;
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
    }

    /** write(2) of the 8 bytes of {@code buffer}: adds to an eventfd's counter. */
    public static void write8(final MemorySegment state, final int fd, final MemorySegment buffer)
    {
        try
        {
            if ((long)WRITE.invokeExact(state, fd, buffer, 8L) != 8L)
            {
                throw new LinuxException("write(eventfd " + fd + ")", errno(state));
            }
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
    }

    /**
     * poll(2) of one {@link #POLLFD_SIZE} pollfd for POLLIN.
     *
     * @return whether the fd became readable (false on timeout or EINTR)
     */
    public static boolean pollIn(final MemorySegment state, final MemorySegment pollfd, final int fd,
        final int timeoutMs)
    {
        pollfd.set(ValueLayout.JAVA_INT, 0, fd);
        pollfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
        pollfd.set(ValueLayout.JAVA_SHORT, 6, (short)0);
        final int result;
        try
        {
            result = (int)POLL.invokeExact(state, pollfd, 1L, timeoutMs);
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
        if (result < 0)
        {
            final int errno = errno(state);
            if (errno == Errno.EINTR)
            {
                return false;
            }
            throw new LinuxException("poll(" + fd + ")", errno);
        }
        return result > 0 && (pollfd.get(ValueLayout.JAVA_SHORT, 6) & POLLIN) != 0;
    }

    /** close(2). */
    public static void close(final int fd)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = callState(arena);
            if ((int)CLOSE.invokeExact(state, fd) < 0)
            {
                throw new LinuxException("close(" + fd + ")", errno(state));
            }
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
    }

    private static int errno(final MemorySegment state)
    {
        return state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
    }

    private static RuntimeException rethrow(final Throwable ex)
    {
        if (ex instanceof RuntimeException runtime)
        {
            return runtime;
        }
        if (ex instanceof Error error)
        {
            throw error;
        }
        return new IllegalStateException(ex);
    }

    private static MethodHandle handle(final String name, final FunctionDescriptor descriptor,
        final Linker.Option... options)
    {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), descriptor, options);
    }
}
