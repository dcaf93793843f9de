package io.nicq.ixgbe;

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
     * Polls until all of {@code bits} read back set, or fails naming what did not happen.
     *
     * @param what a sentence fragment for the error, e.g. "link came up (LINKS.LINK_UP)"
     */
    default void awaitSet(final int offset, final int bits, final long timeoutNs, final String what)
    {
        final long deadline = System.nanoTime() + timeoutNs;
        while ((read(offset) & bits) != bits)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new DeviceTimeoutException(description() + ": timed out after " + timeoutNs / 1_000_000 +
                    " ms waiting until " + what +
                    String.format(" (register 0x%05X reads 0x%08X)", offset, read(offset)));
            }
            Thread.onSpinWait();
        }
    }

    /** Polls until all of {@code bits} read back clear, or fails naming what did not happen. */
    default void awaitClear(final int offset, final int bits, final long timeoutNs, final String what)
    {
        final long deadline = System.nanoTime() + timeoutNs;
        while ((read(offset) & bits) != 0)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new DeviceTimeoutException(description() + ": timed out after " + timeoutNs / 1_000_000 +
                    " ms waiting until " + what +
                    String.format(" (register 0x%05X reads 0x%08X)", offset, read(offset)));
            }
            Thread.onSpinWait();
        }
    }
}
