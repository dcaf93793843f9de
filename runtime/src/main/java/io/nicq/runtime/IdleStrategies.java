package io.nicq.runtime;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NoOpIdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

/**
 * Agrona idle strategies by the names every nicq process accepts ({@code --idle}):
 * <ul>
 *   <li>{@code busy}: spin with {@code Thread.onSpinWait}; lowest latency, burns a core;</li>
 *   <li>{@code noop}: spin without even a pause hint;</li>
 *   <li>{@code yield}: {@code Thread.yield} between empty polls; a good choice when spinners outnumber cores;</li>
 *   <li>{@code backoff}: spin, then yield, then park from 1 us up to 1 ms; an idle loop costs next to nothing;
 *   {@code backoff:MS} parks up to MS milliseconds (fewer wake-ups of idle control loops, slower to react);</li>
 *   <li>{@code sleep} (1 ms) or {@code sleep:MS};</li>
 *   <li>{@code adaptive} or {@code adaptive:US}: spin 50 us (or US microseconds) after the last work, then sleep on
 *   the loop's wake-up ({@link AdaptiveIdleStrategy}; a loop without one parks as {@code backoff} does).</li>
 * </ul>
 */
public final class IdleStrategies
{
    /** For help texts. */
    public static final String NAMES = "busy, noop, yield, backoff, backoff:MS, sleep, sleep:MS, adaptive, adaptive:US";

    /** The bound on one adaptive sleep unless its owner sets another: the coarse timers of nicq's loops run by it. */
    public static final long ADAPTIVE_MAX_SLEEP_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private IdleStrategies()
    {
    }

    private static long positiveMillis(final String name, final String ms)
    {
        try
        {
            final long value = Long.parseLong(ms);
            if (value > 0)
            {
                return value;
            }
        }
        catch (final NumberFormatException ex)
        {
            // falls through to the error below
        }
        throw new IllegalArgumentException("idle strategy '" + name + "': a positive number of milliseconds expected");
    }

    /** The backoff strategy nicq's control and device loops default to. */
    public static IdleStrategy backoff()
    {
        return new BackoffIdleStrategy(64, 16, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(1));
    }

    /** The adaptive strategy with its default spin and bound, without a wake source yet. */
    public static AdaptiveIdleStrategy adaptive()
    {
        return new AdaptiveIdleStrategy(AdaptiveIdleStrategy.DEFAULT_SPIN_NS, ADAPTIVE_MAX_SLEEP_NS);
    }

    /**
     * @throws IllegalArgumentException naming the accepted names when {@code name} is none of them
     */
    public static IdleStrategy of(final String name)
    {
        final String value = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (value.startsWith("backoff:"))
        {
            final long ms = positiveMillis(name, value.substring("backoff:".length()));
            return new BackoffIdleStrategy(64, 16, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(ms));
        }
        if (value.startsWith("adaptive:"))
        {
            final String us = value.substring("adaptive:".length());
            try
            {
                final long spinUs = Long.parseLong(us);
                if (spinUs >= 0)
                {
                    return new AdaptiveIdleStrategy(TimeUnit.MICROSECONDS.toNanos(spinUs), ADAPTIVE_MAX_SLEEP_NS);
                }
            }
            catch (final NumberFormatException ex)
            {
                // falls through to the error below
            }
            throw new IllegalArgumentException("idle strategy '" + name + "': a spin of 0 or more microseconds " +
                "expected");
        }
        if (value.startsWith("sleep:"))
        {
            return new SleepingMillisIdleStrategy(positiveMillis(name, value.substring("sleep:".length())));
        }
        return switch (value)
        {
            case "busy", "spin" -> new BusySpinIdleStrategy();
            case "noop" -> NoOpIdleStrategy.INSTANCE;
            case "yield" -> new YieldingIdleStrategy();
            case "backoff" -> backoff();
            case "sleep" -> new SleepingMillisIdleStrategy(1);
            case "adaptive" -> adaptive();
            default -> throw new IllegalArgumentException("idle strategy '" + name + "' is not one of " + NAMES);
        };
    }
}
