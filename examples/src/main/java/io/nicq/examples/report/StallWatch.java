package io.nicq.examples.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.HdrHistogram.Histogram;

/**
 * The conditions a latency run was measured in: the stalls of its busy threads ({@link StallAccounting}) and the
 * platform's hiccups ({@link HiccupMeter}) over exactly the measured window, which {@link #begin} and {@link #end}
 * mark. Goes into the report beside the round trips it explains.
 */
public final class StallWatch implements AutoCloseable
{
    private final String label;
    private final StallAccounting accounting;
    private final HiccupMeter meter;
    private List<StallAccounting.Stall> stalls = List.of();
    private Histogram hiccups;

    /**
     * @param label      what the window measured, e.g. "nicq" or "kernel".
     * @param accounting the processes to account for.
     * @param meter      the hiccup meter; closed with this.
     */
    public StallWatch(final String label, final StallAccounting accounting, final HiccupMeter meter)
    {
        this.label = label;
        this.accounting = accounting;
        this.meter = meter;
    }

    /** Watches this JVM (named {@code name}) and every java process it started, with a 1 ms hiccup meter. */
    public static StallWatch ofThisProcessTree(final String label, final String name)
    {
        return new StallWatch(label, new StallAccounting().thisProcessTree(name), new HiccupMeter());
    }

    /** The measured window starts now. */
    public void begin()
    {
        meter.startRecording();
        accounting.begin();
    }

    /** The measured window ends now. */
    public void end()
    {
        stalls = accounting.end();
        hiccups = meter.stopRecording();
    }

    public String label()
    {
        return label;
    }

    /** The busy threads of the window, most delayed first. */
    public List<StallAccounting.Stall> stalls()
    {
        return stalls;
    }

    /** How late the meter's wake-ups came during the window (ns); null before {@link #end}. */
    public Histogram hiccups()
    {
        return hiccups;
    }

    /** The meter's interval. */
    public long hiccupIntervalNs()
    {
        return meter.intervalNs();
    }

    /** The lines the report prints. */
    public List<String> lines()
    {
        final List<String> lines = new ArrayList<>();
        lines.add("stalls in the measured window (" + label + "): every thread of the run's JVMs that used at least " +
            (int)StallAccounting.BUSY_PERCENT + "% of a core");
        if (stalls.isEmpty())
        {
            lines.add("  (none measured)");
        }
        for (final StallAccounting.Stall stall : stalls)
        {
            lines.add("  " + stall.describe());
        }
        if (hiccups != null && hiccups.getTotalCount() > 0)
        {
            lines.add(String.format(Locale.ROOT, "platform hiccups (%s): an idle thread sleeping %d us at a time woke " +
                "late by p50 %.1f, p99 %.1f, p99.9 %.1f, max %.1f us over %,d wake-ups", label,
                hiccupIntervalNs() / 1000, hiccups.getValueAtPercentile(50) / 1e3,
                hiccups.getValueAtPercentile(99) / 1e3, hiccups.getValueAtPercentile(99.9) / 1e3,
                hiccups.getMaxValue() / 1e3, hiccups.getTotalCount()));
        }
        return lines;
    }

    public void close()
    {
        meter.close();
    }
}
