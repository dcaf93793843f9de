package io.nicq.queue;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.util.concurrent.TimeUnit;

/** The idle strategies a queue driver can be told to use by name. */
public final class IdleStrategies
{
    /** Names accepted by {@link #of(String)}. */
    public static final String NAMES = "busy, yield, backoff, sleep";

    private IdleStrategies()
    {
    }

    /**
     * <ul>
     *   <li>{@code busy}: spin ({@code Thread.onSpinWait}), lowest latency, burns a core;</li>
     *   <li>{@code yield}: {@code Thread.yield} between empty polls;</li>
     *   <li>{@code backoff}: spin, then yield, then park from 1 us up to 1 ms;</li>
     *   <li>{@code sleep}: sleep 1 ms between empty polls.</li>
     * </ul>
     */
    public static IdleStrategy of(final String name)
    {
        return switch (name)
        {
            case "busy" -> new BusySpinIdleStrategy();
            case "yield" -> new YieldingIdleStrategy();
            case "backoff" -> new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1),
                TimeUnit.MILLISECONDS.toNanos(1));
            case "sleep" -> new SleepingMillisIdleStrategy(1);
            default -> throw new IllegalArgumentException("idle strategy '" + name + "' is not one of " + NAMES);
        };
    }
}
