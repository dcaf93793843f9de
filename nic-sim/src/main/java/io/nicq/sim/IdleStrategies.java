package io.nicq.sim;

import java.util.Locale;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NoOpIdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

/** Idle strategies by name, for {@code --idle} and the Context. */
public final class IdleStrategies
{
    public static final String HELP = "backoff (default: spins, yields, then parks up to 1 ms), busy, noop, yield, " +
        "sleep (1 ms), sleep:MS";

    private IdleStrategies()
    {
    }

    /**
     * The default for a card: spins briefly (a frame right after another is handled at once), then yields, then parks
     * for up to a millisecond, so an idle card costs next to no CPU.
     */
    public static IdleStrategy backoff()
    {
        return new BackoffIdleStrategy(64, 16, 1_000, 1_000_000);
    }

    public static IdleStrategy parse(final String name)
    {
        final String value = name.trim().toLowerCase(Locale.ROOT);
        if (value.startsWith("sleep:"))
        {
            try
            {
                return new SleepingMillisIdleStrategy(Long.parseLong(value.substring("sleep:".length())));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("idle strategy '" + name + "': milliseconds expected", ex);
            }
        }
        return switch (value)
        {
            case "backoff" -> backoff();
            case "busy", "spin" -> new BusySpinIdleStrategy();
            case "noop" -> NoOpIdleStrategy.INSTANCE;
            case "yield" -> new YieldingIdleStrategy();
            case "sleep" -> new SleepingMillisIdleStrategy(1);
            default -> throw new IllegalArgumentException("idle strategy '" + name + "' is not one of " + HELP);
        };
    }
}
