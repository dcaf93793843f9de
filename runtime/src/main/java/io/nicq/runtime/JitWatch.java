package io.nicq.runtime;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Whether the JVMs of a run have stopped compiling: the JIT compilation count of every JVM in a process tree (this
 * JVM and its descendants: card drivers, queue drivers, echo servers started as child processes), sampled with
 * {@link #sample}, and since when none of them has compiled anything ({@link #quietNs}). A measurement that starts
 * before this is quiet measures the compilers as much as the code.
 * <p>
 * Other JVMs are read through their {@link HotSpotCounters}; this JVM through its {@code CompilationMXBean} when it
 * publishes no counters. A JVM that publishes none is listed as not watched; processes that are not java are no JVMs
 * and are left out. A process that appears later (a queue
 * driver started on demand) joins at the next sample and counts as a change. Sampling reads files: call it every
 * few tens of milliseconds during a warm-up, not per packet.
 */
public final class JitWatch
{
    private final long rootPid;
    private final Map<Long, Long> compilations = new TreeMap<>();
    private final Map<Long, Long> lastChangeByPid = new TreeMap<>();
    private final List<Long> unwatched = new ArrayList<>();
    private long lastChangeNs;
    private long firstSampleNs;
    private long lastSampleNs;
    private boolean sampled;

    /**
     * @param rootPid the process whose JVM and descendants make up the run.
     */
    public JitWatch(final long rootPid)
    {
        this.rootPid = rootPid;
    }

    /** Watches this JVM and every process it starts. */
    public static JitWatch ofThisProcessTree()
    {
        return new JitWatch(ProcessHandle.current().pid());
    }

    /**
     * Samples every JVM of the tree now.
     *
     * @param nowNs {@code System.nanoTime()}.
     * @return nanoseconds since the last compilation anywhere in the tree (0 when one happened since the last sample).
     */
    public long sample(final long nowNs)
    {
        final List<Long> pids = new ArrayList<>();
        pids.add(rootPid);
        ProcessHandle.of(rootPid).ifPresent(root -> root.descendants().filter(JitWatch::isJava)
            .forEach(child -> pids.add(child.pid())));
        boolean changed = !sampled;
        unwatched.clear();
        for (final long pid : pids)
        {
            final long count = compilationsOf(pid);
            if (count < 0)
            {
                unwatched.add(pid);
                continue;
            }
            final Long before = compilations.put(pid, count);
            if (before == null || before != count)
            {
                changed = true;
                lastChangeByPid.put(pid, nowNs);
            }
        }
        compilations.keySet().retainAll(pids);
        lastChangeByPid.keySet().retainAll(pids);
        lastSampleNs = nowNs;
        if (!sampled)
        {
            firstSampleNs = nowNs;
            sampled = true;
        }
        if (changed)
        {
            lastChangeNs = nowNs;
        }
        return nowNs - lastChangeNs;
    }

    /** Nanoseconds since the last compilation seen, as of {@code nowNs}; 0 before the first sample. */
    public long quietNs(final long nowNs)
    {
        return sampled ? nowNs - lastChangeNs : 0;
    }

    /** Nanoseconds since the first sample. */
    public long watchedNs(final long nowNs)
    {
        return sampled ? nowNs - firstSampleNs : 0;
    }

    /** JVMs watched at the last sample. */
    public int jvms()
    {
        return compilations.size();
    }

    /** Compilations of each watched JVM at the last sample, by pid. */
    public Map<Long, Long> compilations()
    {
        return compilations;
    }

    /** One line: which JVMs, how many compilations each, which processes could not be watched. */
    public String describe()
    {
        final StringBuilder text = new StringBuilder();
        text.append(compilations.size()).append(compilations.size() == 1 ? " JVM" : " JVMs").append(" (");
        String separator = "";
        for (final Map.Entry<Long, Long> jvm : compilations.entrySet())
        {
            text.append(separator).append("pid ").append(jvm.getKey()).append(": ")
                .append(String.format(Locale.ROOT, "%,d", jvm.getValue())).append(" compilations");
            separator = ", ";
        }
        text.append(')');
        long latestPid = -1;
        long latestNs = 0;
        for (final Map.Entry<Long, Long> change : lastChangeByPid.entrySet())
        {
            if (latestPid < 0 || change.getValue() - latestNs > 0)
            {
                latestNs = change.getValue();
                latestPid = change.getKey();
            }
        }
        if (latestPid >= 0 && sampled)
        {
            text.append(String.format(Locale.ROOT, "; the last compilation seen was in pid %d, %d ms before the last " +
                "look", latestPid, (lastSampleNs - latestNs) / 1_000_000));
        }
        if (!unwatched.isEmpty())
        {
            text.append("; not watched (no HotSpot counters): pids ").append(unwatched);
        }
        return text.toString();
    }

    /** Whether a process runs java (a short-lived {@code ip} or {@code tc} of the run is no JVM to wait for). */
    public static boolean isJava(final ProcessHandle process)
    {
        return process.info().command().map(command -> command.endsWith("/java")).orElse(false);
    }

    private long compilationsOf(final long pid)
    {
        final HotSpotCounters counters = HotSpotCounters.read(pid);
        if (counters != null && counters.compilations() >= 0)
        {
            return counters.compilations();
        }
        if (pid == ProcessHandle.current().pid())
        {
            // No perf data file (-XX:-UsePerfData): the MXBean's total time moves whenever a compilation finishes.
            final var bean = ManagementFactory.getCompilationMXBean();
            return bean != null && bean.isCompilationTimeMonitoringSupported() ? bean.getTotalCompilationTime() : -1;
        }
        return -1;
    }
}
