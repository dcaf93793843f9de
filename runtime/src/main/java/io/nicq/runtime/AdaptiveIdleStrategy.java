package io.nicq.runtime;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.IdleStrategy;

/**
 * Idling as Linux NAPI with busy polling does it ({@code --idle adaptive}): spin for a budget after the last work,
 * then arm the loop's wake-up, look once more, and sleep until it fires (or a bound passes); on waking, disarm and
 * poll. Under traffic the loop never sleeps (each packet restarts the spin), and an idle loop costs one wake-up per
 * bound instead of a core.
 * <p>
 * What wakes a loop is the loop's own business: a simulated card's doorbell and wire, a queue driver's interrupt
 * vector. Its owner installs it as a {@link WakeSource}; until one is installed (a loop that nothing can wake), the
 * strategy parks after its spin as {@code backoff} does, from 1 us doubling up to 1 ms, so it is never worse than the
 * old default.
 * <p>
 * The sleep is the check-after-arm protocol: {@link WakeSource#arm()} announces the sleeper (unmasks the interrupt,
 * prepares the wake words) and takes the last look; only if that look found nothing does {@link WakeSource#sleep}
 * run, and anything that arrived after the arm ends the sleep at once. Nothing here allocates.
 */
public final class AdaptiveIdleStrategy implements IdleStrategy
{
    /** The spin a loop keeps after its last work unless told otherwise: NAPI's busy-poll default is 50 us. */
    public static final long DEFAULT_SPIN_NS = TimeUnit.MICROSECONDS.toNanos(50);
    private static final long MIN_PARK_NS = TimeUnit.MICROSECONDS.toNanos(1);
    private static final long MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

    /** What a loop sleeps on: installed by the loop's owner, who knows what brings it work. */
    public interface WakeSource
    {
        /**
         * Arms the wake-up (announce the sleeper, unmask the vector) and takes the last look for work.
         *
         * @return true when the look found work: the wake-up is disarmed again and the loop polls instead of sleeping
         */
        boolean arm();

        /** Sleeps until the armed wake-up fires or {@code timeoutNs} passes, then disarms it (mask the vector). */
        void sleep(long timeoutNs);
    }

    private final long spinNs;
    private final long maxSleepNs;
    private WakeSource source;
    private long idleSinceNs;
    private long parkNs = MIN_PARK_NS;
    private long sleeps;

    /**
     * @param spinNs     how long to spin after the last work before sleeping (0: sleep at the first idle pass)
     * @param maxSleepNs the bound on one sleep: the loop's coarsest timer (heartbeats, liveness) must still run
     */
    public AdaptiveIdleStrategy(final long spinNs, final long maxSleepNs)
    {
        if (spinNs < 0 || maxSleepNs <= 0)
        {
            throw new IllegalArgumentException("adaptive idle: spin " + spinNs + " ns and sleep bound " + maxSleepNs +
                " ns; the spin must be >= 0 and the bound > 0");
        }
        this.spinNs = spinNs;
        this.maxSleepNs = maxSleepNs;
    }

    /** Installs what the loop sleeps on (null: park as backoff does after the spin). */
    public AdaptiveIdleStrategy wakeSource(final WakeSource source)
    {
        this.source = source;
        return this;
    }

    public WakeSource wakeSource()
    {
        return source;
    }

    /** A copy with the same spin and bound and no wake source: each loop needs a strategy of its own. */
    public AdaptiveIdleStrategy copy()
    {
        return new AdaptiveIdleStrategy(spinNs, maxSleepNs);
    }

    public long spinNs()
    {
        return spinNs;
    }

    public long maxSleepNs()
    {
        return maxSleepNs;
    }

    /** Sleeps taken so far (a wake source's sleeps, or parks): diagnostics and tests. */
    public long sleeps()
    {
        return sleeps;
    }

    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            reset();
            return;
        }
        idle();
    }

    public void idle()
    {
        final long now = System.nanoTime();
        if (idleSinceNs == 0)
        {
            idleSinceNs = now;
        }
        if (now - idleSinceNs < spinNs)
        {
            Thread.onSpinWait();
            return;
        }
        final WakeSource wake = source;
        if (wake == null)
        {
            sleeps++;
            LockSupport.parkNanos(parkNs);
            parkNs = Math.min(parkNs << 1, MAX_PARK_NS);
            return;
        }
        if (wake.arm())
        {
            // The last look found work: poll at once, and spin again after it.
            idleSinceNs = 0;
            return;
        }
        sleeps++;
        wake.sleep(maxSleepNs);
        // Woken by work or by the bound: poll, and spin a full budget before the next sleep.
        idleSinceNs = 0;
    }

    public void reset()
    {
        idleSinceNs = 0;
        parkNs = MIN_PARK_NS;
    }

    public String alias()
    {
        return "adaptive";
    }
}
