package io.nicq.card;

import java.io.PrintStream;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.TimeUnit;

/**
 * The card driver's log: one line per event with a time and the instance, on a stream (stdout by default, the
 * command's log file when a parent redirects it). Lines caused by input from outside (malformed requests, strange
 * frames) go through {@link #warnLimited(String)}, which lets a few lines per second through and counts the rest, so a
 * hostile or broken client cannot flood the log.
 */
public final class CardLog
{
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    /** Lines from hostile input let through per window. */
    static final int LIMITED_LINES_PER_WINDOW = 5;
    static final long LIMIT_WINDOW_NS = TimeUnit.SECONDS.toNanos(1);

    private final PrintStream out;
    private final String prefix;
    private long windowStartNs;
    private int linesInWindow;
    private long suppressed;
    private long totalSuppressed;

    public CardLog(final PrintStream out, final String instance)
    {
        this.out = out;
        this.prefix = " card-driver[" + instance + "] ";
    }

    public void info(final String line)
    {
        out.println(LocalTime.now().format(TIME) + prefix + line);
    }

    /**
     * A line caused by outside input, rate limited.
     *
     * @return whether the line was written
     */
    public synchronized boolean warnLimited(final String line)
    {
        final long now = System.nanoTime();
        if (now - windowStartNs > LIMIT_WINDOW_NS)
        {
            if (suppressed > 0)
            {
                info("(" + suppressed + " similar lines suppressed)");
            }
            windowStartNs = now;
            linesInWindow = 0;
            suppressed = 0;
        }
        if (linesInWindow < LIMITED_LINES_PER_WINDOW)
        {
            linesInWindow++;
            info(line);
            return true;
        }
        suppressed++;
        totalSuppressed++;
        return false;
    }

    /** Lines {@link #warnLimited} has dropped since start. */
    public synchronized long suppressedLines()
    {
        return totalSuppressed;
    }
}
