package io.nicq.proto;

import java.io.File;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import io.nicq.runtime.WakeWord;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The control plane's wake-up words, in a small file of the instance ({@link InstancePaths#controlWakeFile()}): Aeron
 * IPC has no way to wake a reader, so the card driver's conductor and its clients sleep on these {@link WakeWord}s
 * and signal each other after every message, instead of polling the streams.
 * <pre>
 *   0     magic 'NICQWAKE'                                          8 bytes
 *   8     layout version                                            int
 *   128   requests   WakeWord   clients signal it after offering a request (or adding Aeron publications):
 *                               the card driver's conductor sleeps on it until a request or its next timer
 *   256   answers    WakeWord   the conductor signals it after publishing answers: a client waiting for its
 *                               answer sleeps on it
 *   384   notices    WakeWord   the conductor signals it after an unasked message (QueueRevoked): clients'
 *                               heartbeat threads sleep on it between heartbeats
 *   512   attention  long       System.nanoTime() until which the conductor polls the media driver closely: a
 *                               client about to add publications or subscriptions (Aeron commands, which ring
 *                               nothing) moves it forward
 *   4096  end
 * </pre>
 * Each word has 128 bytes to itself (no false sharing with the adjacent-line prefetcher). Signalling is one atomic
 * add while nobody sleeps, so the signals cost nothing measurable on a busy control plane. The card driver creates
 * the file afresh at each start; a client that finds none (an older card driver, another media driver) polls as
 * before and is served at the conductor's next timer.
 * <p>
 * Each thread that signals or sleeps takes its own {@link WakeWord} flyweight ({@link #requests()}, ...): a flyweight
 * holds its system call's memory.
 */
public final class ControlWakeWords implements AutoCloseable
{
    public static final long MAGIC = 0x454B41575143494EL;   // "NICQWAKE" little endian
    public static final int LAYOUT_VERSION = 1;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int REQUESTS_OFFSET = 128;
    public static final int ANSWERS_OFFSET = 256;
    public static final int NOTICES_OFFSET = 384;
    public static final int ATTENTION_OFFSET = 512;
    public static final int LENGTH = 4096;

    private final Path file;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer buffer;

    private ControlWakeWords(final Path file, final MappedByteBuffer mapped)
    {
        this.file = file;
        this.mapped = mapped;
        this.buffer = new UnsafeBuffer(mapped);
    }

    /** Creates the file afresh (replacing a stale one) for a card driver that is starting; every word zero. */
    public static ControlWakeWords create(final Path file)
    {
        try
        {
            Files.createDirectories(file.getParent());
            Files.deleteIfExists(file);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot create the control wake file " + file + ": " + ex.getMessage(),
                ex);
        }
        final ControlWakeWords words = new ControlWakeWords(file, IoUtil.mapNewFile(file.toFile(), LENGTH, true));
        words.buffer.putInt(VERSION_OFFSET, LAYOUT_VERSION);
        words.buffer.putLongVolatile(MAGIC_OFFSET, MAGIC);  // last: whoever sees the magic sees a complete file
        return words;
    }

    /**
     * Maps the file of a running card driver.
     *
     * @return null when there is none, or it is not (yet) a complete wake file of this layout
     */
    public static ControlWakeWords openIfPresent(final Path file)
    {
        final File f = file.toFile();
        if (!f.isFile() || f.length() < LENGTH)
        {
            return null;
        }
        final MappedByteBuffer mapped;
        try
        {
            mapped = IoUtil.mapExistingFile(f, FileChannel.MapMode.READ_WRITE, "control wake file", 0, LENGTH);
        }
        catch (final RuntimeException ex)
        {
            return null;   // removed or replaced between the check and the mapping: as if absent
        }
        final ControlWakeWords words = new ControlWakeWords(file, mapped);
        if (words.buffer.getLongVolatile(MAGIC_OFFSET) != MAGIC || words.buffer.getInt(VERSION_OFFSET) != LAYOUT_VERSION)
        {
            words.close();
            return null;
        }
        return words;
    }

    public Path file()
    {
        return file;
    }

    /** A flyweight on the requests word for the calling thread (close it when done). */
    public WakeWord requests()
    {
        return new WakeWord().wrap(buffer, REQUESTS_OFFSET);
    }

    /** A flyweight on the answers word for the calling thread. */
    public WakeWord answers()
    {
        return new WakeWord().wrap(buffer, ANSWERS_OFFSET);
    }

    /** A flyweight on the notices word for the calling thread. */
    public WakeWord notices()
    {
        return new WakeWord().wrap(buffer, NOTICES_OFFSET);
    }

    /**
     * Asks the conductor to poll the media driver closely until {@code deadlineNs} ({@code System.nanoTime()}); a
     * later deadline already set stays. Then signal {@link #requests()} so that a sleeping conductor hears it.
     */
    public void attendUntil(final long deadlineNs)
    {
        while (true)
        {
            final long current = buffer.getLongVolatile(ATTENTION_OFFSET);
            if (current != 0 && current - deadlineNs >= 0)
            {
                return;
            }
            if (buffer.compareAndSetLong(ATTENTION_OFFSET, current, deadlineNs))
            {
                return;
            }
        }
    }

    /** Until when a client asked for attention; 0 if none ever did. */
    public long attentionDeadlineNs()
    {
        return buffer.getLongVolatile(ATTENTION_OFFSET);
    }

    /** Unmaps the file: only once no thread of this process signals or sleeps on its words any more. */
    public void close()
    {
        IoUtil.unmap(mapped);
    }
}
