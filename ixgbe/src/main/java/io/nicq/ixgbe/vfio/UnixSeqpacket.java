package io.nicq.ixgbe.vfio;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * AF_UNIX SOCK_SEQPACKET sockets through the FFM API, with what Java's own channels cannot do: pass a file descriptor
 * (SCM_RIGHTS) and name the peer's pid (SO_PEERCRED). A VFIO device fd can only reach another process this way.
 * Layouts (64-bit Linux, checked against the C headers by VfioApiLayoutTest):
 * <pre>
 *   struct sockaddr_un { sa_family_t sun_family; char sun_path[108]; }                      110 bytes
 *   struct iovec       { void *iov_base; size_t iov_len; }                                   16 bytes
 *   struct msghdr      { void *name; socklen_t namelen; struct iovec *iov; size_t iovlen;
 *                        void *control; size_t controllen; int flags; }                       56 bytes
 *   struct cmsghdr     { size_t cmsg_len; int cmsg_level; int cmsg_type; } + one int fd       CMSG_SPACE(4) = 24
 *   struct ucred       { pid_t pid; uid_t uid; gid_t gid; }                                   12 bytes
 * </pre>
 */
@SuppressWarnings("restricted") // nicq runs with --enable-native-access
public final class UnixSeqpacket
{
    static final int AF_UNIX = 1;
    static final int SOCK_SEQPACKET = 5;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SCM_RIGHTS = 1;
    static final int SO_PEERCRED = 17;
    static final int SHUT_RDWR = 2;
    static final int MSG_CMSG_CLOEXEC = 0x40000000;
    static final int SUN_PATH_LENGTH = 108;
    static final int SOCKADDR_UN_SIZE = 110;
    static final int MSGHDR_SIZE = 56;
    static final int MSGHDR_IOV = 16;
    static final int MSGHDR_IOVLEN = 24;
    static final int MSGHDR_CONTROL = 32;
    static final int MSGHDR_CONTROLLEN = 40;
    static final int CMSG_DATA = 16;
    static final int CMSG_LEN_ONE_FD = 20;
    static final int CMSG_SPACE_ONE_FD = 24;
    static final int UCRED_SIZE = 12;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final long ERRNO_OFFSET =
        Linker.Option.captureStateLayout().byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final java.lang.foreign.AddressLayout ADDRESS = ValueLayout.ADDRESS;

    private static final MethodHandle SOCKET = handle("socket", FunctionDescriptor.of(INT, INT, INT, INT));
    private static final MethodHandle BIND = handle("bind", FunctionDescriptor.of(INT, INT, ADDRESS, INT));
    private static final MethodHandle LISTEN = handle("listen", FunctionDescriptor.of(INT, INT, INT));
    private static final MethodHandle ACCEPT4 = handle("accept4",
        FunctionDescriptor.of(INT, INT, ADDRESS, ADDRESS, INT));
    private static final MethodHandle CONNECT = handle("connect", FunctionDescriptor.of(INT, INT, ADDRESS, INT));
    private static final MethodHandle SENDMSG = handle("sendmsg", FunctionDescriptor.of(LONG, INT, ADDRESS, INT));
    private static final MethodHandle RECVMSG = handle("recvmsg", FunctionDescriptor.of(LONG, INT, ADDRESS, INT));
    private static final MethodHandle GETSOCKOPT = handle("getsockopt",
        FunctionDescriptor.of(INT, INT, INT, INT, ADDRESS, ADDRESS));
    private static final MethodHandle SHUTDOWN = handle("shutdown", FunctionDescriptor.of(INT, INT, INT));
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(INT, INT));

    /** What {@link #receive} got: the message length (0: the peer closed) and a passed fd, or -1. */
    public record Received(int length, int fd)
    {
    }

    /** The peer of a connection, from SO_PEERCRED. */
    public record Peer(int pid, int uid)
    {
    }

    private UnixSeqpacket()
    {
    }

    /** A listening socket bound to {@code path} (which must not exist). */
    public static int listen(final Path path)
    {
        final int fd = socket();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = state(arena);
            check((int)BIND.invokeExact(state, fd, address(arena, path), SOCKADDR_UN_SIZE), state, "bind(" + path + ")");
            check((int)LISTEN.invokeExact(state, fd, 16), state, "listen(" + path + ")");
            return fd;
        }
        catch (final Throwable ex)
        {
            close(fd);
            throw rethrow(ex);
        }
    }

    /** Blocks for the next connection; {@link #shutdown} of the listening socket makes it throw. */
    public static int accept(final int listenFd)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = state(arena);
            return check((int)ACCEPT4.invokeExact(state, listenFd, MemorySegment.NULL, MemorySegment.NULL,
                SOCK_CLOEXEC), state, "accept");
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
    }

    public static int connect(final Path path)
    {
        final int fd = socket();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = state(arena);
            check((int)CONNECT.invokeExact(state, fd, address(arena, path), SOCKADDR_UN_SIZE), state,
                "connect(" + path + ")");
            return fd;
        }
        catch (final Throwable ex)
        {
            close(fd);
            throw rethrow(ex);
        }
    }

    /** Sends one message, with {@code passFd} attached (SCM_RIGHTS) unless it is negative. */
    public static void send(final int fd, final MemorySegment message, final int passFd)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment header = header(arena, message, passFd >= 0);
            if (passFd >= 0)
            {
                final MemorySegment control = header.get(ADDRESS, MSGHDR_CONTROL).reinterpret(CMSG_SPACE_ONE_FD);
                control.set(LONG, 0, CMSG_LEN_ONE_FD);
                control.set(INT, 8, SOL_SOCKET);
                control.set(INT, 12, SCM_RIGHTS);
                control.set(INT, CMSG_DATA, passFd);
            }
            final MemorySegment state = state(arena);
            final long sent = (long)SENDMSG.invokeExact(state, fd, header, 0);
            if (sent < 0)
            {
                throw new LinuxException("sendmsg", state.get(INT, ERRNO_OFFSET));
            }
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
    }

    /** Receives one message into {@code buffer}, and the fd passed with it if any (close-on-exec). */
    public static Received receive(final int fd, final MemorySegment buffer)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment header = header(arena, buffer, true);
            final MemorySegment state = state(arena);
            final long received = (long)RECVMSG.invokeExact(state, fd, header, MSG_CMSG_CLOEXEC);
            if (received < 0)
            {
                throw new LinuxException("recvmsg", state.get(INT, ERRNO_OFFSET));
            }
            int passed = -1;
            final MemorySegment control = header.get(ADDRESS, MSGHDR_CONTROL).reinterpret(CMSG_SPACE_ONE_FD);
            if (header.get(LONG, MSGHDR_CONTROLLEN) >= CMSG_LEN_ONE_FD && control.get(INT, 8) == SOL_SOCKET &&
                control.get(INT, 12) == SCM_RIGHTS)
            {
                passed = control.get(INT, CMSG_DATA);
            }
            return new Received((int)received, passed);
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
    }

    /** Who is at the other end of a connected socket. */
    public static Peer peer(final int fd)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = state(arena);
            final MemorySegment credentials = arena.allocate(UCRED_SIZE, 4);
            final MemorySegment length = arena.allocateFrom(INT, UCRED_SIZE);
            check((int)GETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_PEERCRED, credentials, length), state,
                "getsockopt(SO_PEERCRED)");
            return new Peer(credentials.get(INT, 0), credentials.get(INT, 4));
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
    }

    /** Wakes a thread blocked in {@link #accept} or {@link #receive} on {@code fd}. */
    public static void shutdown(final int fd)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final int ignored = (int)SHUTDOWN.invokeExact(state(arena), fd, SHUT_RDWR);
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
    }

    public static void close(final int fd)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final int ignored = (int)CLOSE.invokeExact(state(arena), fd);
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
    }

    private static int socket()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = state(arena);
            return check((int)SOCKET.invokeExact(state, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), state,
                "socket(AF_UNIX, SOCK_SEQPACKET)");
        }
        catch (final Throwable ex)
        {
            throw rethrow(ex);
        }
    }

    private static MemorySegment address(final Arena arena, final Path path)
    {
        final byte[] bytes = path.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes.length >= SUN_PATH_LENGTH)
        {
            throw new IllegalArgumentException("socket path " + path + " is longer than " + (SUN_PATH_LENGTH - 1) +
                " bytes");
        }
        final MemorySegment address = arena.allocate(SOCKADDR_UN_SIZE, 2);
        address.set(ValueLayout.JAVA_SHORT, 0, (short)AF_UNIX);
        MemorySegment.copy(bytes, 0, address, ValueLayout.JAVA_BYTE, 2, bytes.length);
        return address;
    }

    /** A msghdr over {@code data} with room for one fd of control data when {@code control}. */
    private static MemorySegment header(final Arena arena, final MemorySegment data, final boolean control)
    {
        final MemorySegment iov = arena.allocate(16, 8);
        iov.set(ADDRESS, 0, data);
        iov.set(LONG, 8, data.byteSize());
        final MemorySegment header = arena.allocate(MSGHDR_SIZE, 8);
        header.set(ADDRESS, MSGHDR_IOV, iov);
        header.set(LONG, MSGHDR_IOVLEN, 1);
        if (control)
        {
            header.set(ADDRESS, MSGHDR_CONTROL, arena.allocate(CMSG_SPACE_ONE_FD, 8));
            header.set(LONG, MSGHDR_CONTROLLEN, CMSG_SPACE_ONE_FD);
        }
        return header;
    }

    private static MemorySegment state(final Arena arena)
    {
        return arena.allocate(Linker.Option.captureStateLayout());
    }

    private static int check(final int result, final MemorySegment state, final String call)
    {
        if (result < 0)
        {
            throw new LinuxException(call, state.get(INT, ERRNO_OFFSET));
        }
        return result;
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

    private static MethodHandle handle(final String name, final FunctionDescriptor descriptor)
    {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor, ERRNO);
    }
}
