package io.nicq.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * The performance counters a HotSpot JVM publishes about itself in {@code /tmp/hsperfdata_USER/PID} (what
 * {@code jstat} and {@code jcmd PerfCounter.print} read), so that one nicq process can tell whether another JVM of
 * the same run is still compiling: its JIT compilations so far ({@link #compilations()}) and the time they took.
 * <pre>
 *   prologue (32 bytes)                          entry (one per counter, at entry offset, entry length apart)
 *   0        4     5     6     7     8            0        4        8        12   13    14    15    16
 *   +--------+-----+-----+-----+-----+-- ...     +--------+--------+--------+----+-----+-----+-----+--------+-- ...
 *   | magic  |order|major|minor|ready| used      | length | name   | vector | type flags units  var  | data   |
 *   +--------+-----+-----+-----+-----+-- ...     |        | offset | length |    |     |     |     | offset |
 *   16: modification time stamp, 24: entry offset, 28: number of entries
 *
 *   magic 0xCAFEC0C0 (big endian); order 0 big, 1 little (of every field after the magic); version 2.
 *   name: NUL-terminated at the entry + name offset; type 'J' is a long scalar at the entry + data offset.
 * </pre>
 * A JVM started with {@code -XX:-UsePerfData} or {@code -XX:+PerfDisableSharedMem} has no such file: {@link #read}
 * then says null and the caller reports the JVM as not watched.
 */
public final class HotSpotCounters
{
    /** Where HotSpot keeps the files on Linux, whatever java.io.tmpdir says. */
    public static final Path TMP = Path.of("/tmp");

    /** JIT compilations so far (standard and on-stack replacement). */
    public static final String COMPILATIONS = "sun.ci.totalCompiles";

    /** Time spent compiling, in ticks of {@link #TICK_FREQUENCY}. */
    public static final String COMPILATION_TICKS = "java.ci.totalTime";

    /** Ticks per second of the JVM's high-resolution counters. */
    public static final String TICK_FREQUENCY = "sun.os.hrt.frequency";

    static final int MAGIC = 0xCAFEC0C0;
    private static final int PROLOGUE_LENGTH = 32;
    private static final int ENTRY_HEADER_LENGTH = 20;

    private final long pid;
    private final Map<String, Long> longs;

    private HotSpotCounters(final long pid, final Map<String, Long> longs)
    {
        this.pid = pid;
        this.longs = longs;
    }

    /**
     * The counters of JVM {@code pid} now.
     *
     * @return null when the process publishes none (not a JVM, gone, or perf data disabled).
     * @throws IllegalStateException when the file is there but is not HotSpot's perf data.
     */
    public static HotSpotCounters read(final long pid)
    {
        return read(TMP, pid);
    }

    /** As {@link #read(long)}, under another directory laid out like /tmp (tests). */
    static HotSpotCounters read(final Path tmp, final long pid)
    {
        final Path file = find(tmp, pid);
        if (file == null)
        {
            return null;
        }
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(file);
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot read " + file + ": " + ex.getMessage(), ex);
        }
        return new HotSpotCounters(pid, parse(ByteBuffer.wrap(bytes), file.toString()));
    }

    /** The JVM's process id. */
    public long pid()
    {
        return pid;
    }

    /** A long counter by name, or {@code missing} when the JVM has no such counter. */
    public long get(final String name, final long missing)
    {
        final Long value = longs.get(name);
        return value != null ? value : missing;
    }

    /** JIT compilations so far, or -1 when the JVM does not count them. */
    public long compilations()
    {
        return get(COMPILATIONS, -1);
    }

    /** Time spent compiling so far, in nanoseconds, or -1 when the JVM does not say. */
    public long compilationNs()
    {
        final long ticks = get(COMPILATION_TICKS, -1);
        final long frequency = get(TICK_FREQUENCY, 0);
        if (ticks < 0 || frequency <= 0)
        {
            return -1;
        }
        return (long)(ticks * (1e9 / frequency));
    }

    /** Every long counter, by name. */
    public Map<String, Long> longs()
    {
        return longs;
    }

    /** The file of {@code pid} in any user's {@code hsperfdata_USER} directory (the JVM's owner may not be ours). */
    private static Path find(final Path tmp, final long pid)
    {
        final String name = Long.toString(pid);
        try (DirectoryStream<Path> users = Files.newDirectoryStream(tmp, "hsperfdata_*"))
        {
            for (final Path user : users)
            {
                final Path file = user.resolve(name);
                if (Files.isRegularFile(file))
                {
                    return file;
                }
            }
        }
        catch (final IOException ex)
        {
            return null;
        }
        return null;
    }

    static Map<String, Long> parse(final ByteBuffer buffer, final String source)
    {
        if (buffer.capacity() < PROLOGUE_LENGTH || buffer.order(ByteOrder.BIG_ENDIAN).getInt(0) != MAGIC)
        {
            throw new IllegalStateException(source + " is not HotSpot perf data (no 0xCAFEC0C0 magic)");
        }
        buffer.order(buffer.get(4) == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        final int major = buffer.get(5);
        if (major != 2)
        {
            throw new IllegalStateException(source + " is HotSpot perf data version " + major + ", not 2");
        }
        final int entries = buffer.getInt(28);
        int entry = buffer.getInt(24);
        final Map<String, Long> longs = new HashMap<>();
        for (int i = 0; i < entries; i++)
        {
            if (entry < PROLOGUE_LENGTH || entry > buffer.capacity() - ENTRY_HEADER_LENGTH)
            {
                throw new IllegalStateException(source + ": entry " + i + " at " + entry + " is outside the file (" +
                    buffer.capacity() + " bytes)");
            }
            final int length = buffer.getInt(entry);
            final int nameOffset = buffer.getInt(entry + 4);
            final int vectorLength = buffer.getInt(entry + 8);
            final byte type = buffer.get(entry + 12);
            final int dataOffset = buffer.getInt(entry + 16);
            if (length < ENTRY_HEADER_LENGTH || entry + length > buffer.capacity())
            {
                throw new IllegalStateException(source + ": entry " + i + " has length " + length);
            }
            if (type == 'J' && vectorLength == 0 && dataOffset + 8 <= length)
            {
                longs.put(name(buffer, entry + nameOffset, entry + length, source), buffer.getLong(entry + dataOffset));
            }
            entry += length;
        }
        return Collections.unmodifiableMap(longs);
    }

    private static String name(final ByteBuffer buffer, final int start, final int end, final String source)
    {
        int nul = start;
        while (nul < end && buffer.get(nul) != 0)
        {
            nul++;
        }
        if (nul == end)
        {
            throw new IllegalStateException(source + ": a counter name at " + start + " has no end");
        }
        final byte[] bytes = new byte[nul - start];
        buffer.get(start, bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }
}
