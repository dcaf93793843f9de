package io.nicq.runtime;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdaptiveIdleStrategyTest
{
    /** Counts the protocol's steps; {@code workOnArm} plays the last look finding work. */
    private static final class CountingSource implements AdaptiveIdleStrategy.WakeSource
    {
        int arms;
        int sleeps;
        long lastTimeoutNs;
        boolean workOnArm;

        public boolean arm()
        {
            arms++;
            return workOnArm;
        }

        public void sleep(final long timeoutNs)
        {
            sleeps++;
            lastTimeoutNs = timeoutNs;
        }
    }

    @Test
    void spinsForItsBudgetBeforeArming()
    {
        final CountingSource source = new CountingSource();
        final AdaptiveIdleStrategy idle = new AdaptiveIdleStrategy(TimeUnit.MILLISECONDS.toNanos(20),
            TimeUnit.MILLISECONDS.toNanos(7)).wakeSource(source);
        final long start = System.nanoTime();
        while (source.sleeps == 0)
        {
            idle.idle(0);
        }
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(20), "slept before its spin was over");
        assertEquals(1, source.arms);
        assertEquals(TimeUnit.MILLISECONDS.toNanos(7), source.lastTimeoutNs, "each sleep is bounded");
    }

    @Test
    void workRestartsTheSpin()
    {
        final CountingSource source = new CountingSource();
        final AdaptiveIdleStrategy idle = new AdaptiveIdleStrategy(TimeUnit.MILLISECONDS.toNanos(50),
            TimeUnit.MILLISECONDS.toNanos(1)).wakeSource(source);
        final long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(150);
        while (System.nanoTime() < end)
        {
            idle.idle(0);
            idle.idle(1); // work on every pass: a loop under traffic never arms
        }
        assertEquals(0, source.arms);
        assertEquals(0, source.sleeps);
    }

    @Test
    void aLastLookThatFindsWorkDoesNotSleep()
    {
        final CountingSource source = new CountingSource();
        source.workOnArm = true;
        final AdaptiveIdleStrategy idle = new AdaptiveIdleStrategy(0, TimeUnit.MILLISECONDS.toNanos(1))
            .wakeSource(source);
        idle.idle(0);
        idle.idle(0);
        assertEquals(2, source.arms);
        assertEquals(0, source.sleeps, "work found after arming is polled, not slept through");
    }

    @Test
    void withoutAWakeSourceItParksAfterTheSpin()
    {
        final AdaptiveIdleStrategy idle = new AdaptiveIdleStrategy(0, TimeUnit.MILLISECONDS.toNanos(1));
        idle.idle(0);
        idle.idle(0);
        assertEquals(2, idle.sleeps());
    }

    @Test
    void namesParse()
    {
        final AdaptiveIdleStrategy byDefault = assertInstanceOf(AdaptiveIdleStrategy.class,
            IdleStrategies.of("adaptive"));
        assertEquals(AdaptiveIdleStrategy.DEFAULT_SPIN_NS, byDefault.spinNs());
        assertEquals(TimeUnit.MICROSECONDS.toNanos(20),
            assertInstanceOf(AdaptiveIdleStrategy.class, IdleStrategies.of("adaptive:20")).spinNs());
        assertThrows(IllegalArgumentException.class, () -> IdleStrategies.of("adaptive:-1"));
        assertThrows(IllegalArgumentException.class, () -> IdleStrategies.of("adaptive:x"));
    }
}
