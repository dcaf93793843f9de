package io.nicq.card;

import java.util.concurrent.TimeUnit;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.DeviceTimeoutException;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * Waits for register bits with a deadline and an error that names what did not happen ("link did not come up within
 * 10 s"). Unlike {@link Bar#awaitSet} it backs off to sleeping: the waits here last milliseconds to seconds, at start
 * and at queue enable, and must not take a core from the queue drivers.
 */
final class RegisterWait
{
    private RegisterWait()
    {
    }

    /**
     * Polls until every bit of {@code bits} in the register reads back as {@code set}.
     *
     * @param failure  what did not happen, e.g. "link did not come up"
     * @param register the register and bits, e.g. "LINKS.LINK_UP"
     * @throws DeviceTimeoutException "failure within 10 s (register; LINKS reads 0x...)" on timeout
     */
    static void await(
        final Bar bar,
        final int offset,
        final int bits,
        final boolean set,
        final long timeoutNs,
        final String failure,
        final String register)
    {
        final IdleStrategy idle = new BackoffIdleStrategy(
            100, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(1));
        final long deadline = System.nanoTime() + timeoutNs;
        while (true)
        {
            final int value = bar.read(offset);
            if (set ? (value & bits) == bits : (value & bits) == 0)
            {
                return;
            }
            if (System.nanoTime() - deadline > 0)
            {
                throw new DeviceTimeoutException(bar.description() + ": " + failure + " within " +
                    formatDuration(timeoutNs) + " (" + register + (set ? " never set" : " still set") +
                    String.format("; register 0x%05X reads 0x%08X)", offset, value));
            }
            idle.idle();
        }
    }

    /** "10 s", "250 ms", "1.5 s". */
    static String formatDuration(final long ns)
    {
        final long ms = TimeUnit.NANOSECONDS.toMillis(ns);
        if (ms < 1000)
        {
            return ms + " ms";
        }
        return ms % 1000 == 0 ? (ms / 1000) + " s" : String.format("%.1f s", ms / 1000.0);
    }
}
