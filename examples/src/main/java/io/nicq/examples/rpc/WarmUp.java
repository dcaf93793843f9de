package io.nicq.examples.rpc;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.nicq.examples.report.StallWatch;
import io.nicq.runtime.JitWatch;

/**
 * When a latency run stops warming up and starts measuring. Either after a fixed number of round trips
 * ({@link #fixed}), or once every JVM taking part (this one and every java process it started: card drivers, queue
 * drivers, echo servers) has compiled nothing for a quiet window, after at least a minimum number of round trips and
 * within a bound of time ({@link #untilCompiled}): a run measured while the compilers still work measures them too.
 * <p>
 * {@link #keepGoing} is called after each warm-up round trip and looks at the JVMs at most every
 * {@link #CHECK_INTERVAL_NS} (a look reads a perf data file per JVM: it allocates, and it is warm-up only).
 */
public final class WarmUp
{
    /** No compilation anywhere for this long: warm. */
    public static final long DEFAULT_QUIET_MS = 500;

    /** Give up waiting for quiet after this long, and say so. */
    public static final long DEFAULT_BOUND_MS = 20_000;

    /** How often the JVMs are looked at. */
    public static final long CHECK_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(50);

    private final long minRoundTrips;
    private final JitWatch watch;
    private final long quietNs;
    private final long boundNs;
    private long startNs;
    private long lastCheckNs;
    private long endNs;
    private long roundTrips;
    private boolean quiet;
    private boolean ended;
    /** Bytes the measuring thread allocated in the measured window, and its round trips; -1 until measured. */
    private long measuredAllocatedBytes = -1;
    private long measuredRoundTrips;

    private WarmUp(final long minRoundTrips, final JitWatch watch, final long quietNs, final long boundNs)
    {
        if (minRoundTrips < 0)
        {
            throw new IllegalArgumentException("warm-up round trips must not be negative: " + minRoundTrips);
        }
        this.minRoundTrips = minRoundTrips;
        this.watch = watch;
        this.quietNs = quietNs;
        this.boundNs = boundNs;
    }

    /** Exactly this many round trips, whatever the compilers do. */
    public static WarmUp fixed(final long roundTrips)
    {
        return new WarmUp(roundTrips, null, 0, 0);
    }

    /**
     * At least {@code minRoundTrips}, then until no JVM of this process tree has compiled for {@code quietMs}, but
     * no longer than {@code boundMs} in all.
     */
    public static WarmUp untilCompiled(final long minRoundTrips, final long quietMs, final long boundMs)
    {
        if (quietMs <= 0 || boundMs < quietMs)
        {
            throw new IllegalArgumentException("warm-up quiet window " + quietMs + " ms and bound " + boundMs +
                " ms: the window must be positive and within the bound");
        }
        return new WarmUp(minRoundTrips, JitWatch.ofThisProcessTree(), TimeUnit.MILLISECONDS.toNanos(quietMs),
            TimeUnit.MILLISECONDS.toNanos(boundMs));
    }

    /** With the defaults: a quiet window of 500 ms within 20 s. */
    public static WarmUp untilCompiled(final long minRoundTrips)
    {
        return untilCompiled(minRoundTrips, DEFAULT_QUIET_MS, DEFAULT_BOUND_MS);
    }

    /** Warm-up starts now. */
    public void start(final long nowNs)
    {
        startNs = nowNs;
        lastCheckNs = nowNs;
        roundTrips = 0;
        ended = false;
        quiet = false;
        if (watch != null)
        {
            watch.sample(nowNs);
        }
    }

    /**
     * Whether to do another warm-up round trip.
     *
     * @param done  warm-up round trips done so far.
     * @param nowNs {@code System.nanoTime()}.
     */
    public boolean keepGoing(final long done, final long nowNs)
    {
        if (ended)
        {
            return false;
        }
        roundTrips = done;
        if (done < minRoundTrips)
        {
            return true;
        }
        if (watch == null)
        {
            return end(nowNs, true);
        }
        if (nowNs - lastCheckNs < CHECK_INTERVAL_NS)
        {
            return true;
        }
        lastCheckNs = nowNs;
        if (watch.sample(nowNs) >= quietNs)
        {
            return end(nowNs, true);
        }
        return nowNs - startNs < boundNs || end(nowNs, false);
    }

    private boolean end(final long nowNs, final boolean reachedQuiet)
    {
        ended = true;
        endNs = nowNs;
        quiet = reachedQuiet;
        return false;
    }

    /** A client's recorded round trips: {@code n} of them from sequence {@code seq} on; returns the next sequence. */
    @FunctionalInterface
    public interface Rounds
    {
        long run(long seq, long n, BooleanSupplier stop);
    }

    /** Round trips per warm-up round: the JIT is looked at between rounds. */
    private static final long ROUND = 5_000;
    private static final com.sun.management.ThreadMXBean ALLOCATION =
        (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();

    /**
     * Warms up as this says, then runs {@code count} recorded round trips, or fewer if {@code stop} says so: the loop
     * every RPC client shares. Warm-up runs in rounds through the very code that then measures ({@code rounds}),
     * recording as it does, so that nothing the measurement executes is new to the JIT: a branch first taken when
     * measuring starts would deoptimise and recompile the loop inside the measured window.
     *
     * @param resetRecording forgets what the last round recorded (the recorder, and any counters of the client's)
     * @param window         marks the measured window (stalls and hiccups), null for none
     * @param progress       where to print a progress line, null for none
     * @param name           of the client, for the progress line
     * @return round trips recorded
     */
    public long thenMeasure(final long count, final BooleanSupplier stop, final Rounds rounds,
        final Runnable resetRecording, final RoundTripRecorder recorder, final StallWatch window,
        final PrintStream progress, final String name)
    {
        final long warmUpStart = System.nanoTime();
        final long roundSize = Math.max(1, Math.min(ROUND, count));
        long seq = 0;
        start(warmUpStart);
        while (!stop.getAsBoolean() && keepGoing(seq, System.nanoTime()))
        {
            resetRecording.run();
            final long missing = belowMinimum(seq);
            seq = rounds.run(seq, missing > 0 ? Math.min(missing, roundSize) : roundSize, stop);
            if (progress != null)
            {
                progress.printf(Locale.ROOT, "\r%s: warm-up, %d round trips in %.1f s, p50 %.2f us   ", name, seq,
                    (System.nanoTime() - warmUpStart) / 1e9, recorder.roundTrip().getValueAtPercentile(50) / 1000.0);
            }
        }
        resetRecording.run();
        if (window != null)
        {
            window.begin();
        }
        // The measuring thread: in inline mode the application, its queue driver and the simulated card's device
        // loop all run on it, so this is the whole packet path's allocation of that host.
        final long allocatedBefore = ALLOCATION.getCurrentThreadAllocatedBytes();
        final long before = recorder.roundTrips();
        rounds.run(seq, count, stop);
        measuredAllocatedBytes = ALLOCATION.getCurrentThreadAllocatedBytes() - allocatedBefore;
        measuredRoundTrips = recorder.roundTrips() - before;
        if (window != null)
        {
            window.end();
        }
        if (progress != null)
        {
            progress.printf(Locale.ROOT, "\r%s: %d round trips recorded, p50 %.2f us%n", name,
                recorder.roundTrips(), recorder.roundTrip().getValueAtPercentile(50) / 1000.0);
        }
        recorder.finish();
        return recorder.roundTrips();
    }

    /** Round trips still missing to the minimum after {@code done}: a caller warming up in rounds stops there. */
    public long belowMinimum(final long done)
    {
        return Math.max(0, minRoundTrips - done);
    }

    /** Warm-up round trips done. */
    public long roundTrips()
    {
        return roundTrips;
    }

    /** How long warm-up took. */
    public long elapsedNs()
    {
        return ended ? endNs - startNs : 0;
    }

    /** Whether it ended because the JVMs were quiet (or its fixed count was done), not at the bound. */
    public boolean reachedQuiet()
    {
        return quiet;
    }

    /** One line for a report. */
    /**
     * What the measuring thread allocated over the measured window, per round trip ("" before {@link #thenMeasure}
     * ran): the goal is nothing.
     */
    public String describeAllocation()
    {
        if (measuredAllocatedBytes < 0 || measuredRoundTrips == 0)
        {
            return "";
        }
        return String.format(Locale.ROOT, "allocated by the measuring thread in the measured window: %,d bytes, " +
            "%.3f per round trip", measuredAllocatedBytes, (double)measuredAllocatedBytes / measuredRoundTrips);
    }

    /** Bytes the measuring thread allocated per measured round trip, or NaN before {@link #thenMeasure} ran. */
    public double allocatedBytesPerRoundTrip()
    {
        return measuredAllocatedBytes < 0 || measuredRoundTrips == 0 ? Double.NaN :
            (double)measuredAllocatedBytes / measuredRoundTrips;
    }

    public String describe()
    {
        final String base = String.format(Locale.ROOT, "warm-up: %.1f s, %,d round trips", elapsedNs() / 1e9,
            roundTrips);
        if (watch == null)
        {
            return base + " (a fixed count; the compilers were not watched)";
        }
        return base + (quiet ? String.format(Locale.ROOT, ", until no JVM of the run had compiled for %d ms",
            TimeUnit.NANOSECONDS.toMillis(quietNs)) : String.format(Locale.ROOT, ", stopped at the %.0f s bound " +
            "with compilations still going on", boundNs / 1e9)) + ": " + watch.describe();
    }
}
