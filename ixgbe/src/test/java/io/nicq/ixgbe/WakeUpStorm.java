package io.nicq.ixgbe;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Signals racing a waiter that is going to sleep, iteration by iteration: the waiter reads the vector's count, looks
 * at the "ring" (a counter the signaller moves before it signals), and sleeps only if the ring is empty; the signaller
 * posts and signals at a random moment in that sequence (random spins on both sides). The signaller always posts
 * within microseconds, so an {@link InterruptVector#await} that times out is a lost wake-up: the test fails, naming
 * the seed and the item.
 */
final class WakeUpStorm
{
    static final long WAIT_NS = TimeUnit.SECONDS.toNanos(5);

    private WakeUpStorm()
    {
    }

    static void run(final InterruptVector waiter, final Runnable signal, final long seed, final int iterations)
        throws InterruptedException
    {
        final AtomicLong posted = new AtomicLong();
        final AtomicLong taken = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final SplittableRandom seeds = new SplittableRandom(seed);
        final SplittableRandom waiterRandom = seeds.split();
        final SplittableRandom signallerRandom = seeds.split();

        final Thread waiting = new Thread(() ->
        {
            try
            {
                long consumed = 0;
                while (consumed < iterations)
                {
                    final long seen = waiter.interrupts();
                    spin(waiterRandom.nextInt(64));
                    final long available = posted.get();
                    if (available > consumed)
                    {
                        consumed = available;
                        taken.set(consumed);
                        continue;
                    }
                    // The window a lost wake-up needs: the ring looked empty, the sleep has not begun.
                    spin(waiterRandom.nextInt(256));
                    if (!waiter.await(seen, WAIT_NS))
                    {
                        // The signaller posts within microseconds of the last take: a timeout is a lost wake-up.
                        throw new AssertionError("lost wake-up: slept " + WAIT_NS / 1_000_000 + " ms waiting for item " +
                            (consumed + 1) + ", posted " + posted.get() + " (seed " + seed + ")");
                    }
                }
            }
            catch (final Throwable ex)
            {
                failure.compareAndSet(null, ex);
            }
        }, "storm-waiter");
        waiting.start();

        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int i = 1; i <= iterations && failure.get() == null; i++)
        {
            // Random moment: somewhere between the waiter's read of the count and its sleep.
            spin(signallerRandom.nextInt(512));
            posted.set(i);
            signal.run();
            while (taken.get() < i && failure.get() == null && waiting.isAlive())
            {
                if (System.nanoTime() - deadline > 0)
                {
                    fail("storm did not finish within 60 s at iteration " + i + " (seed " + seed + ")");
                }
                Thread.onSpinWait();
            }
        }
        waiting.join(TimeUnit.NANOSECONDS.toMillis(WAIT_NS) * 2);
        assertFalse(waiting.isAlive(), "the waiter never finished (seed " + seed + ")");
        if (failure.get() != null)
        {
            throw new AssertionError("seed " + seed, failure.get());
        }
        assertEquals(iterations, taken.get());
    }

    private static void spin(final int rounds)
    {
        for (int i = 0; i < rounds; i++)
        {
            Thread.onSpinWait();
        }
    }
}
