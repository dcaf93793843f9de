package io.nicq.ixgbe.vfio;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import io.nicq.ixgbe.VfioDmaAllocator;

/**
 * How processes other than the card driver reach a card opened through VFIO. Only the process holding the container
 * can map DMA, and /dev/vfio/N opens once; so the card driver serves, on an owner-only AF_UNIX socket next to the
 * card's name, three requests from its queue drivers (one connection per request, handled in order by one thread):
 * <pre>
 *   request (32 bytes + path):  0 kind (int: 1 DEVICE, 2 MAP, 3 UNMAP)  4 path length (int)  8 file offset (long)
 *                               16 length (long)  24 IOVA (long, UNMAP)  32 path (UTF-8, MAP)
 *   answer (24 bytes + text):   0 status (int: 0 done, 1 refused)  4 text length (int)  8 IOVA or BAR0 offset
 *                               16 BAR0 size  24 why it was refused (UTF-8)
 * </pre>
 * DEVICE answers with the device fd attached (SCM_RIGHTS): the queue driver maps BAR0 from it for its RDT/TDT. MAP
 * maps a range of a hugetlbfs file into the card's IOMMU domain for the asking process (its pid from SO_PEERCRED,
 * never from the request) and answers the IOVA; UNMAP undoes one. Mappings of a process that dies are unmapped by
 * {@link VfioDmaAllocator#releaseMappingsOf} once the card driver has disabled its queue. Peers of another uid are
 * refused.
 */
public final class VfioService implements AutoCloseable
{
    static final int DEVICE = 1;
    static final int MAP = 2;
    static final int UNMAP = 3;
    static final int REQUEST_HEADER = 32;
    static final int ANSWER_HEADER = 24;
    static final int MAX_MESSAGE = 4096 + REQUEST_HEADER;
    static final int DONE = 0;
    static final int REFUSED = 1;

    private final Path socket;
    private final int listenFd;
    private final int deviceFd;
    private final long barOffset;
    private final long barSize;
    private final VfioDmaAllocator dma;
    private final Thread thread;
    private final int uid;
    private volatile boolean running = true;

    /** What a queue driver gets for DEVICE: the device fd (its own now) and where BAR0 is in it. */
    public record DeviceGrant(int deviceFd, long barOffset, long barSize)
    {
    }

    private VfioService(final Path socket, final int listenFd, final int deviceFd, final long barOffset,
        final long barSize, final VfioDmaAllocator dma, final int uid)
    {
        this.socket = socket;
        this.listenFd = listenFd;
        this.deviceFd = deviceFd;
        this.barOffset = barOffset;
        this.barSize = barSize;
        this.dma = dma;
        this.uid = uid;
        this.thread = new Thread(this::serve, "nicq-vfio-service");
        this.thread.setDaemon(true);
    }

    /**
     * Serves a card at {@code socket} (an old socket of a dead card driver is replaced; its directory is created
     * owner-only).
     */
    public static VfioService start(final Path socket, final int deviceFd, final long barOffset, final long barSize,
        final VfioDmaAllocator dma)
    {
        try
        {
            Files.createDirectories(socket.getParent(),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.deleteIfExists(socket);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot prepare " + socket + ": " + ex.getMessage(), ex);
        }
        final int fd = UnixSeqpacket.listen(socket);
        final int uid = ownUid(socket);
        final VfioService service = new VfioService(socket, fd, deviceFd, barOffset, barSize, dma, uid);
        service.thread.start();
        return service;
    }

    public Path socket()
    {
        return socket;
    }

    public void close()
    {
        running = false;
        UnixSeqpacket.shutdown(listenFd);
        try
        {
            thread.join(2000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        UnixSeqpacket.close(listenFd);
        try
        {
            Files.deleteIfExists(socket);
        }
        catch (final IOException ignore)
        {
            // A stale socket is replaced by the next card driver.
        }
    }

    private void serve()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = arena.allocate(MAX_MESSAGE, 8);
            while (running)
            {
                final int connection;
                try
                {
                    connection = UnixSeqpacket.accept(listenFd);
                }
                catch (final LinuxException ex)
                {
                    if (ex.errno() == io.nicq.ixgbe.Errno.EINTR)
                    {
                        continue;
                    }
                    return; // shut down
                }
                try
                {
                    answer(connection, buffer);
                }
                catch (final RuntimeException ex)
                {
                    // A peer that went away mid-request loses its answer; the service goes on.
                }
                finally
                {
                    UnixSeqpacket.close(connection);
                }
            }
        }
    }

    private void answer(final int connection, final MemorySegment buffer)
    {
        final UnixSeqpacket.Peer peer = UnixSeqpacket.peer(connection);
        final UnixSeqpacket.Received received = UnixSeqpacket.receive(connection, buffer);
        if (received.fd() >= 0)
        {
            UnixSeqpacket.close(received.fd());
        }
        if (peer.uid() != uid)
        {
            reply(connection, REFUSED, 0, 0, "uid " + peer.uid() + " may not use a card of uid " + uid, -1);
            return;
        }
        if (received.length() < REQUEST_HEADER)
        {
            reply(connection, REFUSED, 0, 0, "short request of " + received.length() + " bytes", -1);
            return;
        }
        final int kind = buffer.get(ValueLayout.JAVA_INT, 0);
        final int pathLength = buffer.get(ValueLayout.JAVA_INT, 4);
        final long offset = buffer.get(ValueLayout.JAVA_LONG, 8);
        final long length = buffer.get(ValueLayout.JAVA_LONG, 16);
        final long iova = buffer.get(ValueLayout.JAVA_LONG, 24);
        try
        {
            switch (kind)
            {
                case DEVICE -> reply(connection, DONE, barOffset, barSize, "", deviceFd);
                case MAP ->
                {
                    if (pathLength <= 0 || REQUEST_HEADER + pathLength > received.length())
                    {
                        reply(connection, REFUSED, 0, 0, "MAP without a path", -1);
                        return;
                    }
                    final byte[] path = buffer.asSlice(REQUEST_HEADER, pathLength).toArray(ValueLayout.JAVA_BYTE);
                    final long mapped = dma.mapFileFor(peer.pid(), Path.of(new String(path, StandardCharsets.UTF_8)),
                        offset, length);
                    reply(connection, DONE, mapped, 0, "", -1);
                }
                case UNMAP -> reply(connection, dma.unmapFor(peer.pid(), iova) ? DONE : REFUSED, iova, 0,
                    "pid " + peer.pid() + " has no mapping at IOVA 0x" + Long.toHexString(iova), -1);
                default -> reply(connection, REFUSED, 0, 0, "unknown request kind " + kind, -1);
            }
        }
        catch (final RuntimeException ex)
        {
            reply(connection, REFUSED, 0, 0, String.valueOf(ex.getMessage()), -1);
        }
    }

    private static void reply(final int connection, final int status, final long value, final long size,
        final String text, final int passFd)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        final int textLength = Math.min(bytes.length, MAX_MESSAGE - ANSWER_HEADER);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment answer = arena.allocate(ANSWER_HEADER + textLength, 8);
            answer.set(ValueLayout.JAVA_INT, 0, status);
            answer.set(ValueLayout.JAVA_INT, 4, textLength);
            answer.set(ValueLayout.JAVA_LONG, 8, value);
            answer.set(ValueLayout.JAVA_LONG, 16, size);
            MemorySegment.copy(bytes, 0, answer, ValueLayout.JAVA_BYTE, ANSWER_HEADER, textLength);
            UnixSeqpacket.send(connection, answer, passFd);
        }
    }

    /** DEVICE: the card's device fd, for a queue driver's BAR0 mapping. */
    public static DeviceGrant requestDevice(final Path socket)
    {
        final Answer answer = request(socket, DEVICE, null, 0, 0, 0);
        if (answer.fd < 0)
        {
            throw new IllegalStateException("the card driver at " + socket + " answered DEVICE without a device fd");
        }
        return new DeviceGrant(answer.fd, answer.value, answer.size);
    }

    /** MAP: the IOVA of {@code fileOffset} of {@code file}, mapped for this process by the card driver. */
    public static long requestMap(final Path socket, final Path file, final long fileOffset, final long length)
    {
        return request(socket, MAP, file, fileOffset, length, 0).value;
    }

    /** UNMAP of a range {@link #requestMap} mapped. */
    public static void requestUnmap(final Path socket, final long iova)
    {
        request(socket, UNMAP, null, 0, 0, iova);
    }

    private record Answer(long value, long size, int fd)
    {
    }

    private static Answer request(final Path socket, final int kind, final Path file, final long offset,
        final long length, final long iova)
    {
        final byte[] path = file == null ? new byte[0] :
            file.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8);
        if (REQUEST_HEADER + path.length > MAX_MESSAGE)
        {
            throw new IllegalArgumentException("path " + file + " is too long for the VFIO service");
        }
        final int fd;
        try
        {
            fd = UnixSeqpacket.connect(socket);
        }
        catch (final LinuxException ex)
        {
            throw new IllegalStateException("cannot reach the card driver's VFIO service at " + socket + ": " +
                ex.getMessage() + " (is the card driver running?)", ex);
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment message = arena.allocate(REQUEST_HEADER + path.length, 8);
            message.set(ValueLayout.JAVA_INT, 0, kind);
            message.set(ValueLayout.JAVA_INT, 4, path.length);
            message.set(ValueLayout.JAVA_LONG, 8, offset);
            message.set(ValueLayout.JAVA_LONG, 16, length);
            message.set(ValueLayout.JAVA_LONG, 24, iova);
            MemorySegment.copy(path, 0, message, ValueLayout.JAVA_BYTE, REQUEST_HEADER, path.length);
            UnixSeqpacket.send(fd, message, -1);

            final MemorySegment buffer = arena.allocate(MAX_MESSAGE, 8);
            final UnixSeqpacket.Received received = UnixSeqpacket.receive(fd, buffer);
            if (received.length() < ANSWER_HEADER)
            {
                if (received.fd() >= 0)
                {
                    UnixSeqpacket.close(received.fd());
                }
                throw new IllegalStateException("the card driver's VFIO service at " + socket +
                    " closed without an answer");
            }
            final int status = buffer.get(ValueLayout.JAVA_INT, 0);
            final int textLength = Math.min(buffer.get(ValueLayout.JAVA_INT, 4), received.length() - ANSWER_HEADER);
            if (status != DONE)
            {
                if (received.fd() >= 0)
                {
                    UnixSeqpacket.close(received.fd());
                }
                throw new IllegalStateException("the card driver refused: " + new String(
                    buffer.asSlice(ANSWER_HEADER, Math.max(0, textLength)).toArray(ValueLayout.JAVA_BYTE),
                    StandardCharsets.UTF_8));
            }
            return new Answer(buffer.get(ValueLayout.JAVA_LONG, 8), buffer.get(ValueLayout.JAVA_LONG, 16),
                received.fd());
        }
        finally
        {
            UnixSeqpacket.close(fd);
        }
    }

    private static int ownUid(final Path file)
    {
        try
        {
            return (Integer)Files.getAttribute(file, "unix:uid");
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            throw new IllegalStateException("cannot read the owner of " + file, ex);
        }
    }
}
