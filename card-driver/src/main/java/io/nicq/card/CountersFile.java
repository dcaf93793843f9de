package io.nicq.card;

import java.io.File;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.agrona.IoUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

/**
 * The card driver's counters file ({@code InstancePaths.countersFile()}): a small header, then Agrona's counter
 * metadata and values buffers, so that {@code nicq stat} (or AeronStat-like tools) read them live from another
 * process while the card driver writes.
 * <pre>
 *   0     magic 'NICQCNT1'                      8 bytes
 *   8     layout version                        int
 *   12    header length                         int
 *   16    pid of the card driver                long
 *   24    start time, epoch ms                  long
 *   32    heartbeat, epoch ms (the conductor    long, ordered writes; stale = the card driver is gone
 *         writes it every duty cycle tick)
 *   40    metadata buffer length                int
 *   44    values buffer length                  int
 *   48    shutdown flag (1 once closed cleanly) int
 *   4096  metadata buffer  (MAX_COUNTERS x CountersReader.METADATA_LENGTH)
 *   ...   values buffer    (MAX_COUNTERS x CountersReader.COUNTER_LENGTH)
 * </pre>
 */
public final class CountersFile implements AutoCloseable
{
    public static final long MAGIC = 0x31544E435143494EL; // "NICQCNT1" little endian
    public static final int LAYOUT_VERSION = 1;
    public static final int HEADER_LENGTH = 4096;
    public static final int MAX_COUNTERS = CardCounters.MAX_COUNTERS;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int HEADER_LENGTH_OFFSET = 12;
    public static final int PID_OFFSET = 16;
    public static final int START_TIME_OFFSET = 24;
    public static final int HEARTBEAT_OFFSET = 32;
    public static final int METADATA_LENGTH_OFFSET = 40;
    public static final int VALUES_LENGTH_OFFSET = 44;
    public static final int SHUTDOWN_OFFSET = 48;

    /** A heartbeat older than this means the card driver is not running (it ticks several times a second). */
    public static final long HEARTBEAT_STALE_MS = 3000;

    private static final int METADATA_LENGTH = MAX_COUNTERS * CountersReader.METADATA_LENGTH;
    private static final int VALUES_LENGTH = MAX_COUNTERS * CountersReader.COUNTER_LENGTH;

    private final Path file;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer header;
    private final AtomicBuffer metadata;
    private final AtomicBuffer values;
    private final CountersReader reader;
    private final CountersManager manager;

    private CountersFile(final Path file, final MappedByteBuffer mapped, final boolean writable)
    {
        this.file = file;
        this.mapped = mapped;
        this.header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        final int metadataLength = header.getInt(METADATA_LENGTH_OFFSET);
        final int valuesLength = header.getInt(VALUES_LENGTH_OFFSET);
        this.metadata = new UnsafeBuffer(mapped, HEADER_LENGTH, metadataLength);
        this.values = new UnsafeBuffer(mapped, HEADER_LENGTH + metadataLength, valuesLength);
        if (writable)
        {
            final CachedEpochClock clock = new CachedEpochClock();
            clock.update(System.currentTimeMillis());
            this.manager = new CountersManager(metadata, values, StandardCharsets.US_ASCII, clock, 0);
            this.reader = manager;
        }
        else
        {
            this.manager = null;
            this.reader = new CountersReader(metadata, values, StandardCharsets.US_ASCII);
        }
    }

    /** Creates (replacing) the file for a card driver of this pid and maps it read-write. */
    public static CountersFile create(final Path file, final long pid)
    {
        try
        {
            Files.createDirectories(file.getParent());
            Files.deleteIfExists(file);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot create counters file " + file + ": " + ex.getMessage(), ex);
        }
        final MappedByteBuffer mapped = IoUtil.mapNewFile(file.toFile(), HEADER_LENGTH + METADATA_LENGTH +
            VALUES_LENGTH, true);
        final UnsafeBuffer header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        header.putInt(VERSION_OFFSET, LAYOUT_VERSION);
        header.putInt(HEADER_LENGTH_OFFSET, HEADER_LENGTH);
        header.putLong(PID_OFFSET, pid);
        header.putLong(START_TIME_OFFSET, System.currentTimeMillis());
        header.putLong(HEARTBEAT_OFFSET, System.currentTimeMillis());
        header.putInt(METADATA_LENGTH_OFFSET, METADATA_LENGTH);
        header.putInt(VALUES_LENGTH_OFFSET, VALUES_LENGTH);
        header.putInt(SHUTDOWN_OFFSET, 0);
        header.putLongOrdered(MAGIC_OFFSET, MAGIC);     // last: a reader sees a complete header or none
        return new CountersFile(file, mapped, true);
    }

    /**
     * Maps an existing file read-only (for {@code nicq stat}).
     *
     * @throws IllegalStateException naming the file when it is missing or is not a nicq counters file
     */
    public static CountersFile openReadOnly(final Path file)
    {
        final File f = file.toFile();
        if (!f.isFile())
        {
            throw new IllegalStateException("no counters file at " + file);
        }
        if (f.length() < HEADER_LENGTH)
        {
            throw new IllegalStateException(file + " is too short for a counters file (" + f.length() + " bytes)");
        }
        final MappedByteBuffer mapped = IoUtil.mapExistingFile(f, FileChannel.MapMode.READ_ONLY, "counters");
        mapped.order(ByteOrder.LITTLE_ENDIAN);
        final UnsafeBuffer header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        if (header.getLongVolatile(MAGIC_OFFSET) != MAGIC || header.getInt(VERSION_OFFSET) != LAYOUT_VERSION ||
            HEADER_LENGTH + (long)header.getInt(METADATA_LENGTH_OFFSET) + header.getInt(VALUES_LENGTH_OFFSET) >
            mapped.capacity())
        {
            IoUtil.unmap(mapped);
            throw new IllegalStateException(file + " is not a nicq counters file of layout " + LAYOUT_VERSION +
                " (or is still being created)");
        }
        return new CountersFile(file, mapped, false);
    }

    public Path file()
    {
        return file;
    }

    /** The writer's manager; null when mapped read-only. */
    public CountersManager manager()
    {
        return manager;
    }

    public CountersReader reader()
    {
        return reader;
    }

    public long pid()
    {
        return header.getLong(PID_OFFSET);
    }

    public long startTimeMs()
    {
        return header.getLong(START_TIME_OFFSET);
    }

    public long heartbeatMs()
    {
        return header.getLongVolatile(HEARTBEAT_OFFSET);
    }

    public void heartbeat(final long nowMs)
    {
        header.putLongOrdered(HEARTBEAT_OFFSET, nowMs);
    }

    /** Whether the card driver marked the file as closed cleanly. */
    public boolean isShutdown()
    {
        return header.getIntVolatile(SHUTDOWN_OFFSET) != 0;
    }

    public void markShutdown()
    {
        header.putIntOrdered(SHUTDOWN_OFFSET, 1);
    }

    /** Whether a card driver is behind this file: not shut down, heartbeat fresh, process alive. */
    public boolean isLive(final long nowMs)
    {
        return !isShutdown() && nowMs - heartbeatMs() < HEARTBEAT_STALE_MS &&
            ProcessHandle.of(pid()).map(ProcessHandle::isAlive).orElse(false);
    }

    public void close()
    {
        IoUtil.unmap(mapped);
    }
}
