package io.nicq.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes frames to a pcap file (the classic libpcap format with nanosecond timestamps, magic 0xa1b23c4d, link type
 * Ethernet) that Wireshark and tshark read. Records are gathered in a direct buffer and written when it fills, on
 * {@link #flush()} (the device loop flushes from its slow path) and on {@link #close()}; nothing is allocated per
 * frame.
 * <pre>
 *   file header, 24 bytes: magic, version 2.4, thiszone 0, sigfigs 0, snaplen, link type 1 (Ethernet)
 *   per frame, 16 bytes:   seconds, nanoseconds, captured length, original length; then the frame
 * </pre>
 */
public final class PcapWriter implements AutoCloseable
{
    public static final int MAGIC_NANOSECONDS = 0xa1b23c4d;
    public static final int LINKTYPE_ETHERNET = 1;
    public static final int SNAPLEN = 65535;
    private static final int BUFFER_SIZE = 1024 * 1024;
    private static final int RECORD_HEADER_SIZE = 16;

    private final Path file;
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final MemorySegment bufferSegment = MemorySegment.ofBuffer(buffer);
    private final long epochOffsetNs;
    private long frames;
    private boolean closed;

    public PcapWriter(final Path file)
    {
        this.file = file;
        try
        {
            final Path parent = file.toAbsolutePath().getParent();
            if (parent != null)
            {
                java.nio.file.Files.createDirectories(parent);
            }
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create pcap file " + file, ex);
        }
        // Frames are stamped with nanoTime (cheap, monotonic); this turns it into wall-clock time for the file.
        epochOffsetNs = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
        buffer.putInt(MAGIC_NANOSECONDS);
        buffer.putShort((short)2);
        buffer.putShort((short)4);
        buffer.putInt(0);
        buffer.putInt(0);
        buffer.putInt(SNAPLEN);
        buffer.putInt(LINKTYPE_ETHERNET);
        flush();
    }

    /** Appends one frame, stamped with {@code nanoTime} (a {@link System#nanoTime()} reading). */
    public void write(final MemorySegment frame, final long offset, final int length, final long nanoTime)
    {
        final int captured = Math.min(length, SNAPLEN);
        if (buffer.remaining() < RECORD_HEADER_SIZE + captured)
        {
            flush();
        }
        final long epochNs = epochOffsetNs + nanoTime;
        buffer.putInt((int)(epochNs / 1_000_000_000L));
        buffer.putInt((int)(epochNs % 1_000_000_000L));
        buffer.putInt(captured);
        buffer.putInt(length);
        MemorySegment.copy(frame, offset, bufferSegment, buffer.position(), captured);
        buffer.position(buffer.position() + captured);
        frames++;
    }

    /** Writes out what is buffered. */
    public void flush()
    {
        buffer.flip();
        try
        {
            while (buffer.hasRemaining())
            {
                channel.write(buffer);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write pcap file " + file, ex);
        }
        finally
        {
            buffer.clear();
        }
    }

    public long frames()
    {
        return frames;
    }

    public Path file()
    {
        return file;
    }

    public void close()
    {
        if (!closed)
        {
            closed = true;
            try
            {
                flush();
            }
            finally
            {
                try
                {
                    channel.close();
                }
                catch (final IOException ignore)
                {
                    // Everything written has been flushed above.
                }
            }
        }
    }
}
