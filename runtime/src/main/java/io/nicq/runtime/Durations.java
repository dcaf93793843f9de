package io.nicq.runtime;

import java.util.concurrent.TimeUnit;

/** Durations as nicq's messages and logs show them. */
public final class Durations
{
    private Durations()
    {
    }

    /** "10 s", "250 ms", "1.5 s": a timeout or an elapsed time, rounded down to the millisecond. */
    public static String format(final long ns)
    {
        final long ms = TimeUnit.NANOSECONDS.toMillis(ns);
        if (ms < 1000)
        {
            return ms + " ms";
        }
        return ms % 1000 == 0 ? (ms / 1000) + " s" : String.format("%.1f s", ms / 1000.0);
    }
}
