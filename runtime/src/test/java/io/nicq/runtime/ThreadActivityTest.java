package io.nicq.runtime;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ThreadActivityTest
{
    @TempDir
    Path proc;

    @Test
    void readsNamesSwitchesAndTicksOfEveryThreadFromAProcTree() throws Exception
    {
        writeTask(42, 42, "java", 10, 2, "42 (java) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 30 0 5 0 0");
        // A name with a space and a parenthesis: fields are counted from the last ')'.
        writeTask(42, 43, "odd) name", 500, 7,
            "43 (odd) name) R 1 42 42 0 -1 4194560 100 0 0 0 120 30 0 0 20 0 30 0 5 0 0");
        final ThreadActivity activity = new ThreadActivity(proc);

        final ThreadActivity.Snapshot snapshot = activity.sample(42);
        assertNotNull(snapshot);
        assertEquals(2, snapshot.threads().size());
        assertEquals(new ThreadActivity.ThreadCounts(42, "java", 10, 2, 10), snapshot.threads().get(42L));
        assertEquals(new ThreadActivity.ThreadCounts(43, "odd) name", 500, 7, 150), snapshot.threads().get(43L));
        assertNull(activity.sample(7), "no such process");
    }

    @Test
    void ratesArePerSecondOverTheWindowBusiestFirstAndANewThreadCountsFromZero()
    {
        final long second = TimeUnit.SECONDS.toNanos(1);
        final ThreadActivity.Snapshot before = new ThreadActivity.Snapshot(9, 10 * second, Map.of(
            1L, new ThreadActivity.ThreadCounts(1, "main", 100, 0, 50),
            2L, new ThreadActivity.ThreadCounts(2, "ended", 5, 0, 0)));
        final ThreadActivity.Snapshot after = new ThreadActivity.Snapshot(9, 12 * second, Map.of(
            1L, new ThreadActivity.ThreadCounts(1, "main", 120, 4, 52),
            3L, new ThreadActivity.ThreadCounts(3, "started", 300, 0, 100)));

        final ThreadActivity.ProcessRate rate = ThreadActivity.between(before, after);

        assertEquals(2.0, rate.seconds(), 1e-9);
        assertEquals(2, rate.threads().size(), "the thread that ended is not shown");
        final ThreadActivity.ThreadRate started = rate.threads().get(0);
        assertEquals("started", started.name());
        assertEquals(150.0, started.wakeupsPerSecond(), 1e-9);
        assertEquals(100.0 * 100 / ThreadActivity.CLOCK_TICKS_PER_SECOND / 2, started.cpuPercent(), 1e-9);
        final ThreadActivity.ThreadRate main = rate.threads().get(1);
        assertEquals(12.0, main.wakeupsPerSecond(), 1e-9);
        assertEquals(10.0, main.voluntaryPerSecond(), 1e-9);
        assertEquals(100.0 * 2 / ThreadActivity.CLOCK_TICKS_PER_SECOND / 2, main.cpuPercent(), 1e-9);
        assertEquals(162.0, rate.wakeupsPerSecond(), 1e-9);
        assertEquals(150.0, rate.sumOf("st")[0], 1e-9);

        assertThrows(IllegalArgumentException.class, () -> ThreadActivity.between(after, before));
    }

    @Test
    void runDelayComesFromSchedstatAndIsADeltaOverTheWindow() throws Exception
    {
        writeTask(50, 50, "spinner", 1, 3, "50 (spinner) R 1 50 50 0 -1 4194560 100 0 0 0 90 10 0 0 20 0 30 0 5 0 0");
        Files.writeString(proc.resolve("50/task/50/schedstat"), "1000000000 25000000 120\n");
        final ThreadActivity.Snapshot snapshot = new ThreadActivity(proc).sample(50);
        assertEquals(25_000_000L, snapshot.threads().get(50L).runDelayNs());

        final long second = TimeUnit.SECONDS.toNanos(1);
        final ThreadActivity.Snapshot before = new ThreadActivity.Snapshot(9, second, Map.of(
            1L, new ThreadActivity.ThreadCounts(1, "spinner", 0, 10, 100, 5_000_000),
            2L, new ThreadActivity.ThreadCounts(2, "no schedstat", 0, 0, 0)));
        final ThreadActivity.Snapshot after = new ThreadActivity.Snapshot(9, 2 * second, Map.of(
            1L, new ThreadActivity.ThreadCounts(1, "spinner", 0, 17, 200, 45_000_000),
            2L, new ThreadActivity.ThreadCounts(2, "no schedstat", 0, 0, 0)));
        final ThreadActivity.ProcessRate rate = ThreadActivity.between(before, after);
        final ThreadActivity.ThreadRate spinner = rate.threads().stream().filter(t -> t.tid() == 1).findFirst()
            .orElseThrow();
        assertEquals(40_000_000L, spinner.runDelayNs());
        assertEquals(7, spinner.involuntarySwitches());
        assertEquals(-1, rate.threads().stream().filter(t -> t.tid() == 2).findFirst().orElseThrow().runDelayNs(),
            "unknown stays unknown");
        assertThrows(IllegalArgumentException.class, () -> ThreadActivity.runDelayNs("17"));
    }

    /**
     * A spinning thread that another spinner shares its CPU with for a known time is runnable but not running for a
     * good part of that time, and is preempted: the accounting the latency reports use to tell a stall from a slow
     * path.
     */
    @Test
    void aDescheduledSpinnerShowsRunDelayAndPreemptions() throws Exception
    {
        assumeTrue(Files.exists(Path.of("/proc/thread-self/schedstat")), "this kernel has no schedstat");
        final ThreadActivity activity = new ThreadActivity();
        final long pid = ProcessHandle.current().pid();
        final AtomicLong victimTid = new AtomicLong();
        final AtomicLong stop = new AtomicLong();
        final int cpu = CpuAffinity.currentThreadCpus()[0];
        final Thread victim = new Thread(() ->
        {
            CpuAffinity.pinCurrentThread(cpu);
            victimTid.set(currentTid());
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (stop.get() == 0 && System.nanoTime() < deadline)
            {
                Thread.onSpinWait();
            }
        }, "victim");
        victim.start();
        final long waitDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (victimTid.get() == 0 && System.nanoTime() < waitDeadline)
        {
            Thread.sleep(1);
        }
        Thread.sleep(50);
        final ThreadActivity.Snapshot from = activity.sample(pid);
        final long competeNs = TimeUnit.MILLISECONDS.toNanos(400);
        final Thread competitor = new Thread(() ->
        {
            CpuAffinity.pinCurrentThread(cpu);
            final long end = System.nanoTime() + competeNs;
            while (System.nanoTime() < end)
            {
                Thread.onSpinWait();
            }
        }, "competitor");
        competitor.start();
        competitor.join(TimeUnit.SECONDS.toMillis(20));
        final ThreadActivity.Snapshot to = activity.sample(pid);
        stop.set(1);
        victim.join(TimeUnit.SECONDS.toMillis(20));

        final ThreadActivity.ThreadRate rate = ThreadActivity.between(from, to).threads().stream()
            .filter(t -> t.tid() == victimTid.get()).findFirst().orElseThrow();
        // Two spinners on one CPU share it: the victim waits about half of the 400 ms; a quarter is the floor.
        assertTrue(rate.runDelayNs() >= competeNs / 4, "run delay " + rate.runDelayNs() / 1_000_000 + " ms while a " +
            "competitor spun on its CPU for " + competeNs / 1_000_000 + " ms");
        assertTrue(rate.involuntarySwitches() > 0, "the victim was preempted: " + rate);
    }

    @Test
    void aStatLineWithTooFewFieldsIsAClearError()
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> ThreadActivity.cpuTicks("7 (x) S 1 2"));
        assertTrue(ex.getMessage().contains("fields"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ThreadActivity.cpuTicks("garbage"));
    }

    /** Counts, not rates: CPU time spent shows as ticks. */
    @Test
    void aSpinningThreadUsesCpu()
    {
        final ThreadActivity activity = new ThreadActivity();
        final long pid = ProcessHandle.current().pid();
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final long self = currentTid();
        final ThreadActivity.Snapshot spinFrom = activity.sample(pid);
        final long cpuStart = threads.getCurrentThreadCpuTime();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (threads.getCurrentThreadCpuTime() - cpuStart < TimeUnit.MILLISECONDS.toNanos(300) &&
            System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
        }
        final ThreadActivity.Snapshot spinTo = activity.sample(pid);
        final long ticks = spinTo.threads().get(self).cpuTicks() - spinFrom.threads().get(self).cpuTicks();
        assertTrue(ticks >= ThreadActivity.CLOCK_TICKS_PER_SECOND / 10,
            "300 ms of CPU shows as at least 100 ms of ticks, not " + ticks);
        assertTrue(ThreadActivity.between(spinFrom, spinTo).threads().stream().anyMatch(t -> t.tid() == self &&
            t.cpuPercent() > 0), "the spinning thread has a CPU share");
    }

    @Test
    void aSleepingThreadsSwitchesGrowByItsSleeps() throws Exception
    {
        final ThreadActivity activity = new ThreadActivity();
        final long pid = ProcessHandle.current().pid();
        final AtomicLong tid = new AtomicLong();
        final AtomicLong phase = new AtomicLong();
        final int sleeps = 200;
        final Thread sleeper = new Thread(() ->
        {
            tid.set(currentTid());
            while (phase.get() == 0)
            {
                Thread.onSpinWait();
            }
            for (int i = 0; i < sleeps; i++)
            {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
            }
            phase.set(2);
            while (phase.get() != 3)
            {
                Thread.onSpinWait();
            }
        }, "activity-sleeper");
        sleeper.setDaemon(true);
        sleeper.start();
        while (tid.get() == 0)
        {
            Thread.onSpinWait();
        }
        final ThreadActivity.Snapshot before = activity.sample(pid);
        phase.set(1);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (phase.get() != 2 && System.nanoTime() < deadline)
        {
            Thread.sleep(1);
        }
        final ThreadActivity.Snapshot after = activity.sample(pid);
        phase.set(3);
        sleeper.join(TimeUnit.SECONDS.toMillis(30));

        final ThreadActivity.ThreadCounts from = before.threads().get(tid.get());
        final ThreadActivity.ThreadCounts to = after.threads().get(tid.get());
        assertNotNull(from);
        assertNotNull(to);
        assertEquals("activity-sleepe", to.name(), "the kernel keeps 15 characters of a Java thread's name");
        assertTrue(to.voluntarySwitches() - from.voluntarySwitches() >= sleeps,
            sleeps + " sleeps are at least as many voluntary switches, not " +
            (to.voluntarySwitches() - from.voluntarySwitches()));
    }

    private static long currentTid()
    {
        // /proc/thread-self names the calling thread's own task directory.
        try
        {
            return Long.parseLong(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private void writeTask(final long pid, final long tid, final String name, final long voluntary,
        final long involuntary, final String stat) throws Exception
    {
        final Path task = proc.resolve(Long.toString(pid)).resolve("task").resolve(Long.toString(tid));
        Files.createDirectories(task);
        Files.writeString(task.resolve("comm"), name + "\n");
        Files.writeString(task.resolve("status"), "Name:\t" + name + "\nState:\tS (sleeping)\n" +
            "voluntary_ctxt_switches:\t" + voluntary + "\nnonvoluntary_ctxt_switches:\t" + involuntary + "\n");
        Files.writeString(task.resolve("stat"), stat + "\n");
    }
}
