package io.nicq.examples.report;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.nicq.examples.rpc.WarmUp;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class StallWatchTest
{
    @Test
    void aBusyThreadOfThisJvmIsAccountedForWithItsName() throws Exception
    {
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread spinner = new Thread(() ->
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!stop.get() && System.nanoTime() < deadline)
            {
                Thread.onSpinWait();
            }
        }, "busy-loop");
        try (StallWatch watch = StallWatch.ofThisProcessTree("test", "this test"))
        {
            spinner.start();
            watch.begin();
            Thread.sleep(400);
            watch.end();
            stop.set(true);
            spinner.join(TimeUnit.SECONDS.toMillis(20));

            final List<StallAccounting.Stall> stalls = watch.stalls();
            final StallAccounting.Stall busy = stalls.stream().filter(s -> s.thread().equals("busy-loop")).findFirst()
                .orElseThrow(() -> new AssertionError("the spinning thread is missing: " + stalls));
            assertEquals("this test", busy.process());
            assertEquals(ProcessHandle.current().pid(), busy.pid());
            assertTrue(busy.cpuPercent() >= StallAccounting.BUSY_PERCENT, busy::describe);
            assertTrue(busy.windowSeconds() >= 0.3, busy::describe);
            assertTrue(busy.describe().contains("busy-loop") && busy.describe().contains("of a core"),
                busy::describe);

            final Histogram hiccups = watch.hiccups();
            // 400 ms of 1 ms sleeps: a few hundred wake-ups, however loaded the machine is (a park may end early).
            assertTrue(hiccups.getTotalCount() >= 20 && hiccups.getTotalCount() <= 2_000, "wake-ups " +
                hiccups.getTotalCount());
            assertTrue(hiccups.getMinValue() >= 1);
            final String text = String.join("\n", watch.lines());
            assertTrue(text.contains("stalls in the measured window (test)") && text.contains("platform hiccups"),
                text);
        }
    }

    @Test
    void aFixedWarmUpIsItsCountAndDoesNotWatchTheCompilers()
    {
        final WarmUp warmUp = WarmUp.fixed(3);
        warmUp.start(0);
        assertTrue(warmUp.keepGoing(0, 0));
        assertTrue(warmUp.keepGoing(2, 10));
        assertEquals(1, warmUp.belowMinimum(2));
        assertFalse(warmUp.keepGoing(3, 20));
        assertFalse(warmUp.keepGoing(4, 30), "ended stays ended");
        assertTrue(warmUp.reachedQuiet());
        assertEquals(3, warmUp.roundTrips());
        assertTrue(warmUp.describe().contains("fixed count"), warmUp.describe());
    }

    @Test
    void aWarmUpUntilCompiledEndsWhenThisJvmIsQuiet() throws Exception
    {
        final WarmUp warmUp = WarmUp.untilCompiled(10, 100, 15_000);
        final long start = System.nanoTime();
        warmUp.start(start);
        long done = 0;
        while (warmUp.keepGoing(done, System.nanoTime()))
        {
            done++;
            Thread.sleep(1);
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30), "the bound must end it");
        }
        assertTrue(done >= 10, "at least the minimum: " + done);
        assertTrue(warmUp.elapsedNs() > 0);
        assertTrue(warmUp.describe().contains("JVM"), warmUp.describe());
        if (warmUp.reachedQuiet())
        {
            assertTrue(warmUp.describe().contains("had compiled for 100 ms"), warmUp.describe());
        }
        else
        {
            assertTrue(warmUp.describe().contains("bound"), warmUp.describe());
        }
    }

    @Test
    void warmUpArgumentsAreChecked()
    {
        assertThrows(IllegalArgumentException.class, () -> WarmUp.fixed(-1));
        assertThrows(IllegalArgumentException.class, () -> WarmUp.untilCompiled(0, 0, 100));
        assertThrows(IllegalArgumentException.class, () -> WarmUp.untilCompiled(0, 500, 100));
        assertThrows(IllegalArgumentException.class, () -> new HiccupMeter(0));
    }
}
