package io.nicq.card;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.nicq.runtime.ThreadActivity;

/**
 * {@code nicq stat}'s view of the instance's processes: every thread's wake-ups per second and share of a core
 * between two refreshes ({@link ThreadActivity}, from /proc). The processes are those the card driver knows: itself
 * (the counters file's pid) and the clients and queue driver processes it lists as {@link CardCounters#TYPE_PROCESS}
 * counters ({@link ProcessCounters}). Threads that neither woke up nor used the CPU are summed on one line.
 */
final class ThreadView
{
    /** A process of the instance and what it is. */
    record Process(long pid, String label)
    {
    }

    private static final double SHOWN_WAKEUPS = 0.5;
    private static final double SHOWN_CPU = 0.05;

    private final ThreadActivity activity;
    private Map<Long, ThreadActivity.Snapshot> previous = new HashMap<>();

    ThreadView(final ThreadActivity activity)
    {
        this.activity = activity;
    }

    /** The card driver, then its clients and queue driver processes, from the counters file. */
    static List<Process> processes(final CountersFile counters)
    {
        final List<Process> processes = new ArrayList<>();
        processes.add(new Process(counters.pid(), "card driver"));
        counters.reader().forEach((counterId, typeId, keyBuffer, label) ->
        {
            if (typeId == CardCounters.TYPE_PROCESS)
            {
                final long pid = counters.reader().getCounterValue(counterId);
                processes.add(new Process(pid, label.startsWith("pid of ") ? label.substring(7) : label));
            }
        });
        return processes;
    }

    /** Takes this moment's snapshots without printing: the start of the first window. */
    void start(final CountersFile counters)
    {
        final Map<Long, ThreadActivity.Snapshot> now = new HashMap<>();
        for (final Process process : processes(counters))
        {
            final ThreadActivity.Snapshot snapshot = activity.sample(process.pid());
            if (snapshot != null)
            {
                now.put(process.pid(), snapshot);
            }
        }
        previous = now;
    }

    /** Prints each process's threads over the window since the last call, and starts the next window. */
    void print(final PrintWriter out, final CountersFile counters)
    {
        final Map<Long, ThreadActivity.Snapshot> now = new HashMap<>();
        final List<Process> processes = processes(counters);
        out.println();
        out.printf("%-8s %-40s %12s %12s %7s%n", "pid", "process / thread", "wake-ups/s", "voluntary/s", "CPU %");
        out.println("-".repeat(83));
        for (final Process process : processes)
        {
            final ThreadActivity.Snapshot snapshot = activity.sample(process.pid());
            if (snapshot == null)
            {
                out.printf("%-8d %-40s %s%n", process.pid(), process.label(), "(not running)");
                continue;
            }
            now.put(process.pid(), snapshot);
            final ThreadActivity.Snapshot before = previous.get(process.pid());
            if (before == null || before.timeNs() >= snapshot.timeNs())
            {
                out.printf("%-8d %-40s %s%n", process.pid(), process.label(), "(measured from the next refresh)");
                continue;
            }
            final ThreadActivity.ProcessRate rate = ThreadActivity.between(before, snapshot);
            out.printf("%-8d %-40s %12.1f %12s %7.2f%n", process.pid(), process.label(), rate.wakeupsPerSecond(), "",
                rate.cpuPercent());
            int quiet = 0;
            for (final ThreadActivity.ThreadRate thread : rate.threads())
            {
                if (thread.wakeupsPerSecond() < SHOWN_WAKEUPS && thread.cpuPercent() < SHOWN_CPU)
                {
                    quiet++;
                    continue;
                }
                out.printf("%-8s   %-38s %12.1f %12.1f %7.2f%n", "", thread.name() + " (" + thread.tid() + ")",
                    thread.wakeupsPerSecond(), thread.voluntaryPerSecond(), thread.cpuPercent());
            }
            if (quiet > 0)
            {
                out.printf("%-8s   %-38s%n", "", quiet + " other threads, each under 0.5/s and 0.05%");
            }
        }
        previous = now;
    }
}
