package io.nicq.runtime;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How often each thread of a process wakes up and how much of a core it uses, read from {@code /proc}: the measure
 * behind {@code nicq stat}'s thread view and the idle benchmark. Two {@link Snapshot}s of a process, taken a window
 * apart, give each thread's rates ({@link #between}).
 * <pre>
 *   /proc/PID/task/TID/comm      the thread's name (15 characters: the start of a Java thread's name)
 *   /proc/PID/task/TID/status    voluntary_ctxt_switches, nonvoluntary_ctxt_switches
 *   /proc/PID/task/TID/stat      utime (field 14) + stime (field 15), in clock ticks (sysconf(_SC_CLK_TCK))
 *   /proc/PID/task/TID/schedstat time on a CPU, time runnable but waiting for one (run delay), timeslices: ns
 * </pre>
 * The run delay is what a spinning loop loses to the scheduler: runnable, not running. A latency tail with a large
 * run delay and involuntary switches in the same window is a stall, not a slow path.
 * A wake-up is a context switch of the thread, voluntary (it slept and was woken: a park, a futex, poll(2)) or not
 * (preempted): on a machine with few cores each one displaces whatever else was running there. A thread that started
 * within the window counts from zero; one that ended within it is not shown.
 * <p>
 * Reading allocates (strings, a map per snapshot): this is a tool for a monitor or a benchmark, not for a loop.
 */
public final class ThreadActivity
{
    /** Where the kernel's process files are. */
    public static final Path PROC = Path.of("/proc");

    /** Clock ticks per second of {@code utime}/{@code stime} (USER_HZ: 100 on every Linux nicq runs on). */
    public static final long CLOCK_TICKS_PER_SECOND = clockTicksPerSecond();

    private final Path proc;

    /** Reads the real {@code /proc}. */
    public ThreadActivity()
    {
        this(PROC);
    }

    /** Reads a tree laid out like {@code /proc} (tests point it at a fake one). */
    public ThreadActivity(final Path proc)
    {
        this.proc = proc;
    }

    /** One thread's counts at one moment. */
    public record ThreadCounts(long tid, String name, long voluntarySwitches, long involuntarySwitches, long cpuTicks,
        long runDelayNs)
    {
        /** Counts without a run delay (a kernel without schedstat): it reads as unknown, -1. */
        public ThreadCounts(final long tid, final String name, final long voluntarySwitches,
            final long involuntarySwitches, final long cpuTicks)
        {
            this(tid, name, voluntarySwitches, involuntarySwitches, cpuTicks, -1);
        }

        /** Voluntary and involuntary context switches so far. */
        public long wakeups()
        {
            return voluntarySwitches + involuntarySwitches;
        }
    }

    /** Every thread of one process at one moment ({@code System.nanoTime()}). */
    public record Snapshot(long pid, long timeNs, Map<Long, ThreadCounts> threads)
    {
    }

    /**
     * One thread over a window.
     *
     * @param involuntarySwitches times it was preempted in the window.
     * @param runDelayNs          time it was runnable but not running in the window; -1 when the kernel does not say.
     */
    public record ThreadRate(long tid, String name, double wakeupsPerSecond, double voluntaryPerSecond,
        double cpuPercent, long involuntarySwitches, long runDelayNs)
    {
    }

    /**
     * One process over a window: its threads busiest first (by wake-ups), and their sums.
     *
     * @param cpuPercent share of one core, summed over the threads (200 = two cores busy)
     */
    public record ProcessRate(long pid, double seconds, List<ThreadRate> threads, double wakeupsPerSecond,
        double cpuPercent)
    {
        /** The threads whose name starts with {@code prefix}, summed: wake-ups per second and CPU share. */
        public double[] sumOf(final String prefix)
        {
            double wakeups = 0;
            double cpu = 0;
            for (final ThreadRate thread : threads)
            {
                if (thread.name().startsWith(prefix))
                {
                    wakeups += thread.wakeupsPerSecond();
                    cpu += thread.cpuPercent();
                }
            }
            return new double[]{wakeups, cpu};
        }
    }

    /**
     * The counts of every thread of {@code pid} now.
     *
     * @return null when the process does not exist (or has just gone)
     */
    public Snapshot sample(final long pid)
    {
        final long timeNs = System.nanoTime();
        final Path tasks = proc.resolve(Long.toString(pid)).resolve("task");
        final Map<Long, ThreadCounts> threads = new TreeMap<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(tasks))
        {
            for (final Path task : stream)
            {
                final ThreadCounts counts = readThread(task);
                if (counts != null)
                {
                    threads.put(counts.tid(), counts);
                }
            }
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot read the threads of process " + pid + " under " + tasks + ": " +
                ex.getMessage(), ex);
        }
        return threads.isEmpty() ? null : new Snapshot(pid, timeNs, Collections.unmodifiableMap(threads));
    }

    /**
     * The rates between two snapshots of one process.
     *
     * @throws IllegalArgumentException when they are of different processes or not in order
     */
    public static ProcessRate between(final Snapshot before, final Snapshot after)
    {
        if (before.pid() != after.pid() || after.timeNs() <= before.timeNs())
        {
            throw new IllegalArgumentException("snapshots of pid " + before.pid() + " and " + after.pid() +
                " are not two moments of one process in order");
        }
        final double seconds = (after.timeNs() - before.timeNs()) / 1e9;
        final List<ThreadRate> rates = new ArrayList<>();
        double wakeups = 0;
        double cpu = 0;
        for (final ThreadCounts now : after.threads().values())
        {
            final ThreadCounts then = before.threads().get(now.tid());
            final long voluntary = now.voluntarySwitches() - (then != null ? then.voluntarySwitches() : 0);
            final long involuntary = now.involuntarySwitches() - (then != null ? then.involuntarySwitches() : 0);
            final long ticks = now.cpuTicks() - (then != null ? then.cpuTicks() : 0);
            final long runDelay = now.runDelayNs() < 0 || (then != null && then.runDelayNs() < 0) ? -1 :
                now.runDelayNs() - (then != null ? then.runDelayNs() : 0);
            final ThreadRate rate = new ThreadRate(now.tid(), now.name(), (voluntary + involuntary) / seconds,
                voluntary / seconds, 100.0 * ticks / CLOCK_TICKS_PER_SECOND / seconds, involuntary, runDelay);
            rates.add(rate);
            wakeups += rate.wakeupsPerSecond();
            cpu += rate.cpuPercent();
        }
        rates.sort((a, b) -> Double.compare(b.wakeupsPerSecond(), a.wakeupsPerSecond()));
        return new ProcessRate(before.pid(), seconds, List.copyOf(rates), wakeups, cpu);
    }

    /** The thread's counts, or null when it ended while being read. */
    private static ThreadCounts readThread(final Path task) throws IOException
    {
        final long tid;
        try
        {
            tid = Long.parseLong(task.getFileName().toString());
        }
        catch (final NumberFormatException ex)
        {
            return null;
        }
        try
        {
            final String name = Files.readString(task.resolve("comm"), StandardCharsets.UTF_8).strip();
            long voluntary = 0;
            long involuntary = 0;
            for (final String line : Files.readAllLines(task.resolve("status"), StandardCharsets.UTF_8))
            {
                if (line.startsWith("voluntary_ctxt_switches:"))
                {
                    voluntary = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
                }
                else if (line.startsWith("nonvoluntary_ctxt_switches:"))
                {
                    involuntary = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
                }
            }
            return new ThreadCounts(tid, name, voluntary, involuntary,
                cpuTicks(Files.readString(task.resolve("stat"), StandardCharsets.UTF_8)), runDelayNs(task));
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
    }

    /** The run delay of a {@code schedstat} file (its second field), or -1 when there is none. */
    private static long runDelayNs(final Path task) throws IOException
    {
        final Path schedstat = task.resolve("schedstat");
        if (!Files.exists(schedstat))
        {
            return -1;
        }
        return runDelayNs(Files.readString(schedstat, StandardCharsets.UTF_8));
    }

    /**
     * The run delay of a {@code schedstat} line: "on-CPU ns, run delay ns, timeslices".
     *
     * @throws IllegalArgumentException when the line does not look like one
     */
    static long runDelayNs(final String schedstatLine)
    {
        final String[] fields = schedstatLine.strip().split("\\s+");
        if (fields.length < 2)
        {
            throw new IllegalArgumentException("not a /proc schedstat line: '" + schedstatLine.strip() + "'");
        }
        return Long.parseLong(fields[1]);
    }

    /**
     * utime + stime of a {@code stat} line. The name (field 2) is in parentheses and may itself hold spaces and
     * parentheses, so fields are counted from the last ')': state is field 3, utime 14, stime 15.
     *
     * @throws IllegalArgumentException when the line does not look like one
     */
    static long cpuTicks(final String statLine)
    {
        final int end = statLine.lastIndexOf(')');
        if (end < 0)
        {
            throw new IllegalArgumentException("not a /proc stat line: '" + statLine.strip() + "'");
        }
        final String[] fields = statLine.substring(end + 1).strip().split("\\s+");
        // fields[0] is field 3 (state): utime (14) is fields[11], stime (15) fields[12].
        if (fields.length < 13)
        {
            throw new IllegalArgumentException("a /proc stat line with " + (fields.length + 2) + " fields: '" +
                statLine.strip() + "'");
        }
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    private static long clockTicksPerSecond()
    {
        final int scClkTck = 2;   // _SC_CLK_TCK in glibc's and musl's unistd.h
        try
        {
            final Linker linker = Linker.nativeLinker();
            final MethodHandle sysconf = linker.defaultLookup().find("sysconf")
                .map(symbol -> linker.downcallHandle(symbol,
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT)))
                .orElse(null);
            if (sysconf != null)
            {
                final long ticks = (long)sysconf.invokeExact(scClkTck);
                if (ticks > 0)
                {
                    return ticks;
                }
            }
        }
        catch (final Throwable ex)
        {
            // No native access: USER_HZ is 100 on x86-64 and aarch64 Linux.
        }
        return 100;
    }
}
