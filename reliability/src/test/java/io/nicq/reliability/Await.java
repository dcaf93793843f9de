package io.nicq.reliability;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Bounded waits that sleep between checks and fail naming what did not happen. */
final class Await
{
    private Await()
    {
    }

    /**
     * Waits until {@code condition} holds, sleeping {@code pollMs} between checks.
     *
     * @return milliseconds it took
     */
    static double until(final BooleanSupplier condition, final long timeoutMs, final long pollMs,
        final Supplier<String> what)
    {
        final long start = System.nanoTime();
        final long deadline = start + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("timed out after " + timeoutMs + " ms waiting until " + what.get());
            }
            sleep(pollMs);
        }
        return (System.nanoTime() - start) / 1e6;
    }

    static double until(final BooleanSupplier condition, final long timeoutMs, final String what)
    {
        return until(condition, timeoutMs, 2, () -> what);
    }

    /** Like {@link #until} but says whether it happened instead of failing. */
    static boolean within(final BooleanSupplier condition, final long timeoutMs, final long pollMs)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                return false;
            }
            sleep(pollMs);
        }
        return true;
    }

    static void sleep(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", ex);
        }
    }
}
