package io.nicq.examples.report;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.nicq.examples.rpc.RoundTripRecorder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The platform's own stalls over a window, in the manner of jHiccup: an idle thread asks to sleep for a fixed
 * interval again and again and records by how much each wake-up came late. Whatever delays it (the scheduler giving
 * the CPU to someone else, a safepoint, the hypervisor taking the vCPU) delays every other thread of the process just
 * the same, so a round trip in the tail that coincides with a hiccup of the same size is a stall, not a slow path.
 * <p>
 * The meter is itself a thread that wakes every interval (1,000 times a second at the default 1 ms): on a machine
 * with two CPUs and spinning loops its wake-ups are part of what it measures, and the report says the interval.
 */
public final class HiccupMeter implements AutoCloseable
{
    /** jHiccup's default resolution. */
    public static final long DEFAULT_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final long intervalNs;
    private final Recorder recorder = new Recorder(1, RoundTripRecorder.HIGHEST_NS, 3);
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * Starts the meter's thread. It records from the start (so that its own code is compiled before a window), and
     * {@link #startRecording()} drops what came before.
     */
    public HiccupMeter(final long intervalNs)
    {
        if (intervalNs <= 0)
        {
            throw new IllegalArgumentException("hiccup interval must be positive, not " + intervalNs + " ns");
        }
        this.intervalNs = intervalNs;
        this.thread = new Thread(this::run, "nicq-hiccup-meter");
        thread.setDaemon(true);
        thread.start();
    }

    /** A meter at the default 1 ms interval. */
    public HiccupMeter()
    {
        this(DEFAULT_INTERVAL_NS);
    }

    public long intervalNs()
    {
        return intervalNs;
    }

    /** Starts the window: what was recorded before is dropped. */
    public void startRecording()
    {
        recorder.reset();
    }

    /**
     * Ends the window.
     *
     * @return how late each wake-up came within it, in nanoseconds (at least 1 each, so the count is the wake-ups).
     */
    public Histogram stopRecording()
    {
        return recorder.getIntervalHistogram();
    }

    public void close()
    {
        running = false;
        LockSupport.unpark(thread);
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private void run()
    {
        while (running)
        {
            final long asleep = System.nanoTime();
            LockSupport.parkNanos(intervalNs);
            final long late = System.nanoTime() - asleep - intervalNs;
            recorder.recordValue(Math.max(1, Math.min(late, RoundTripRecorder.HIGHEST_NS)));
        }
    }
}
