package io.nicq.ixgbe;

import io.nicq.runtime.Durations;

/**
 * BAR0 of an 82599: 32-bit volatile register reads and writes. One interface for the real card (a mapping of the PCI
 * resource or a VFIO region, {@link MappedBar}) and the simulated one ({@link SimulatedBar}), so driver code is the
 * same for both.
 */
public interface Bar extends AutoCloseable
{
    /** Volatile 32-bit read of the register at a 4-byte aligned offset. */
    int read(int offset);

    /** Volatile 32-bit write of the register at a 4-byte aligned offset. */
    void write(int offset, int value);

    /** What this BAR belongs to, for messages: "sim:card0", "pci:0000:03:00.0". */
    String description();

    /** Unmaps the BAR. */
    void close();

    /** Read-modify-write: sets bits. */
    default void setBits(final int offset, final int bits)
    {
        write(offset, read(offset) | bits);
    }

    /** Read-modify-write: clears bits. */
    default void clearBits(final int offset, final int bits)
    {
        write(offset, read(offset) & ~bits);
    }

    /**
     * Polls until every bit of {@code bits} reads back as {@code set}, or fails naming what did not happen. It spins
     * for the first microseconds (a device answers most writes at once) and then sleeps up to a millisecond between
     * reads: waits at start-up and queue enable last milliseconds to seconds and must not take a core from the packet
     * path.
     *
     * @param failure what did not happen, e.g. "link did not come up"
     * @param field   the register and bits, e.g. "LINKS.LINK_UP"
     * @throws DeviceTimeoutException "failure within 10 s (LINKS.LINK_UP never set; register 0x042A4 reads 0x...)"
     */
    default void await(final int offset, final int bits, final boolean set, final long timeoutNs, final String failure,
        final String field)
    {
        if (!poll(offset, bits, set, timeoutNs))
        {
            throw new DeviceTimeoutException(description() + ": " + failure + " within " + Durations.format(timeoutNs) +
                " (" + field + (set ? " never set" : " still set") +
                String.format("; register 0x%05X reads 0x%08X)", offset, read(offset)));
        }
    }

    /** Polls until all of {@code bits} read back set; {@code what} says what was awaited, e.g. "link came up". */
    default void awaitSet(final int offset, final int bits, final long timeoutNs, final String what)
    {
        await(offset, bits, true, timeoutNs, "timed out waiting until " + what, "bits " + Integer.toHexString(bits));
    }

    /** Polls until all of {@code bits} read back clear; {@code what} says what was awaited. */
    default void awaitClear(final int offset, final int bits, final long timeoutNs, final String what)
    {
        await(offset, bits, false, timeoutNs, "timed out waiting until " + what, "bits " + Integer.toHexString(bits));
    }

    /** Whether the bits read back as wanted before the timeout; spins, then backs off to 1 ms sleeps. */
    private boolean poll(final int offset, final int bits, final boolean set, final long timeoutNs)
    {
        final long start = System.nanoTime();
        long sleepNs = 1_000;
        while (true)
        {
            final int value = read(offset);
            if (set ? (value & bits) == bits : (value & bits) == 0)
            {
                return true;
            }
            final long waited = System.nanoTime() - start;
            if (waited > timeoutNs)
            {
                return false;
            }
            if (waited < 20_000)
            {
                Thread.onSpinWait();
            }
            else
            {
                java.util.concurrent.locks.LockSupport.parkNanos(sleepNs);
                sleepNs = Math.min(sleepNs * 2, 1_000_000);
            }
        }
    }
}
