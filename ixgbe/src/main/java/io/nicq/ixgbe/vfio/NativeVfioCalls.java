package io.nicq.ixgbe.vfio;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/** {@link VfioCalls} through the FFM API (java.lang.foreign): the C library's open, ioctl, mmap, ... */
@SuppressWarnings("restricted") // nicq runs with --enable-native-access
public final class NativeVfioCalls implements VfioCalls
{
    public static final NativeVfioCalls INSTANCE = new NativeVfioCalls();

    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;
    static final int RLIMIT_MEMLOCK = 8;
    static final int EFD_CLOEXEC = 0x80000;
    static final long RLIM_INFINITY = -1L;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final long ERRNO_OFFSET =
        Linker.Option.captureStateLayout().byteOffset(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle OPEN = handle("open",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
        ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = handle("close",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), ERRNO);
    private static final MethodHandle IOCTL_LONG = handle("ioctl",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
        ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL_POINTER = handle("ioctl",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
        ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle MMAP = handle("mmap",
        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG), ERRNO);
    private static final MethodHandle MUNMAP = handle("munmap",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle PREAD = handle("pread",
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG), ERRNO);
    private static final MethodHandle PWRITE = handle("pwrite",
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG), ERRNO);
    private static final MethodHandle GETRLIMIT = handle("getrlimit",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS), ERRNO);
    private static final MethodHandle EVENTFD = handle("eventfd",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), ERRNO);

    private NativeVfioCalls()
    {
    }

    public int open(final Path path)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            final int fd = (int)OPEN.invokeExact(state, arena.allocateFrom(path.toString()), O_RDWR | O_CLOEXEC);
            return check(fd, state, "open(" + path + ")");
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
    }

    public void close(final int fd)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            check((int)CLOSE.invokeExact(state, fd), state, "close(" + fd + ")");
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
    }

    public int ioctl(final int fd, final long request, final long argument)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            return check((int)IOCTL_LONG.invokeExact(state, fd, request, argument), state, ioctlName(request));
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
    }

    public int ioctl(final int fd, final long request, final MemorySegment argument)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            return check((int)IOCTL_POINTER.invokeExact(state, fd, request, argument), state, ioctlName(request));
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
    }

    public MemorySegment mmap(final int fd, final long offset, final long length, final Arena owner)
    {
        final MemorySegment address;
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            address = (MemorySegment)MMAP.invokeExact(state, MemorySegment.NULL, length, PROT_READ | PROT_WRITE,
                MAP_SHARED, fd, offset);
            if (address.address() == -1L)
            {
                throw new LinuxException("mmap of " + length + " bytes at offset 0x" + Long.toHexString(offset),
                    state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET));
            }
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
        return address.reinterpret(length, owner, unmapped -> munmapQuietly(unmapped.address(), length));
    }

    public long pread(final int fd, final MemorySegment buffer, final long offset)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            final long n = (long)PREAD.invokeExact(state, fd, buffer, buffer.byteSize(), offset);
            if (n < 0)
            {
                throw new LinuxException("pread(" + fd + ")", state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET));
            }
            return n;
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
    }

    public long pwrite(final int fd, final MemorySegment buffer, final long offset)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            final long n = (long)PWRITE.invokeExact(state, fd, buffer, buffer.byteSize(), offset);
            if (n < 0)
            {
                throw new LinuxException("pwrite(" + fd + ")", state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET));
            }
            return n;
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
    }

    public long memlockLimit()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            final MemorySegment rlimit = arena.allocate(16, 8); // struct rlimit { rlim_t cur, max; }
            check((int)GETRLIMIT.invokeExact(state, RLIMIT_MEMLOCK, rlimit), state, "getrlimit(RLIMIT_MEMLOCK)");
            final long soft = rlimit.get(ValueLayout.JAVA_LONG, 0);
            return soft == RLIM_INFINITY ? Long.MAX_VALUE : soft;
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
    }

    public int eventfd()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            return check((int)EVENTFD.invokeExact(state, 0, EFD_CLOEXEC), state, "eventfd");
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
    }

    private static void munmapQuietly(final long address, final long length)
    {
        try
        {
            final int ignored = (int)MUNMAP.invokeExact(MemorySegment.ofAddress(address), length);
        }
        catch (final Throwable ignore)
        {
            // Unmapping at arena close cannot fail for a range mmap returned.
        }
    }

    private static int check(final int result, final MemorySegment state, final String call)
    {
        if (result < 0)
        {
            throw new LinuxException(call, state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET));
        }
        return result;
    }

    private static String ioctlName(final long request)
    {
        return "ioctl(" + VfioApi.ioctlName(request) + ")";
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
