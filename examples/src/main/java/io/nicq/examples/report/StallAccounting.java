package io.nicq.examples.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.nicq.runtime.JitWatch;
import io.nicq.runtime.ThreadActivity;

/**
 * What the scheduler took from the threads of a run during its measured window: for every busy thread of every
 * process taking part (the applications, inline or separate queue drivers, device loops: whatever used at least
 * {@link #BUSY_PERCENT} of a core), the time it was runnable but not running and how often it was preempted, from
 * {@link ThreadActivity} snapshots at the window's two ends. A reader of a latency report can then tell a stall (a
 * spinning loop that waited for a CPU) from a slow path.
 */
public final class StallAccounting
{
    /** A thread below this share of a core in the window is not one of the run's loops. */
    public static final double BUSY_PERCENT = 10.0;

    /** One busy thread over the window. */
    public record Stall(String process, long pid, String thread, double cpuPercent, long runDelayNs,
        long involuntarySwitches, double windowSeconds)
    {
        /** The run delay as a share of the window, in percent; NaN when the kernel does not say. */
        public double runDelayPercent()
        {
            return runDelayNs < 0 ? Double.NaN : 100.0 * runDelayNs / (windowSeconds * 1e9);
        }

        /** One line of the report. */
        public String describe()
        {
            return String.format(Locale.ROOT, "%s (pid %d) thread '%s': %.0f%% of a core; runnable, not running: " +
                "%s; preempted %,d times", process, pid, thread, cpuPercent,
                runDelayNs < 0 ? "unknown (no schedstat)" : String.format(Locale.ROOT, "%.1f ms (%.2f%% of the " +
                "window)", runDelayNs / 1e6, runDelayPercent()), involuntarySwitches);
        }
    }

    private final ThreadActivity activity = new ThreadActivity();
    private final Map<Long, String> processes = new LinkedHashMap<>();
    private final Map<Long, ThreadActivity.Snapshot> before = new LinkedHashMap<>();
    private final List<Stall> stalls = new ArrayList<>();
    private boolean tree;

    /** Watches a process of the run under a name the report uses (e.g. "card-driver-a"). */
    public StallAccounting process(final long pid, final String name)
    {
        processes.put(pid, name);
        return this;
    }

    /**
     * Watches this JVM under {@code name} and every java process it has started by the time a window begins, named by
     * the nicq command they run.
     */
    public StallAccounting thisProcessTree(final String name)
    {
        process(ProcessHandle.current().pid(), name);
        tree = true;
        return this;
    }

    private void addDescendants()
    {
        ProcessHandle.current().descendants()
            .filter(JitWatch::isJava)
            .forEach(child -> processes.putIfAbsent(child.pid(), mainClassOf(child)));
    }

    /** The window starts now. */
    public void begin()
    {
        if (tree)
        {
            addDescendants();
        }
        before.clear();
        stalls.clear();
        for (final long pid : processes.keySet())
        {
            final ThreadActivity.Snapshot snapshot = activity.sample(pid);
            if (snapshot != null)
            {
                before.put(pid, snapshot);
            }
        }
    }

    /**
     * The window ends now.
     *
     * @return the busy threads, most delayed first.
     */
    public List<Stall> end()
    {
        stalls.clear();
        for (final Map.Entry<Long, ThreadActivity.Snapshot> start : before.entrySet())
        {
            final ThreadActivity.Snapshot after = activity.sample(start.getKey());
            if (after == null || after.timeNs() <= start.getValue().timeNs())
            {
                continue;
            }
            final ThreadActivity.ProcessRate rate = ThreadActivity.between(start.getValue(), after);
            for (final ThreadActivity.ThreadRate thread : rate.threads())
            {
                if (thread.cpuPercent() >= BUSY_PERCENT)
                {
                    stalls.add(new Stall(processes.get(start.getKey()), start.getKey(), thread.name(),
                        thread.cpuPercent(), thread.runDelayNs(), thread.involuntarySwitches(), rate.seconds()));
                }
            }
        }
        stalls.sort((a, b) -> Long.compare(b.runDelayNs(), a.runDelayNs()));
        return List.copyOf(stalls);
    }

    private static String mainClassOf(final ProcessHandle process)
    {
        final String[] arguments = process.info().arguments().orElse(new String[0]);
        for (int i = arguments.length - 1; i >= 0; i--)
        {
            if (arguments[i].startsWith("io.nicq.") && !arguments[i].endsWith("RunCommand"))
            {
                return arguments[i].substring(arguments[i].lastIndexOf('.') + 1);
            }
        }
        return "java";
    }
}
