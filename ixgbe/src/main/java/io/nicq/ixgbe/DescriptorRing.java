package io.nicq.ixgbe;

/**
 * What a descriptor ring of the 82599 must be, RX and TX alike (datasheet 8.2.3.8.1-3 for RDBAL/RDBAH/RDLEN,
 * 8.2.3.9.5-7 for TDBAL/TDBAH/TDLEN): a base aligned to 128 bytes and a length in bytes that is a multiple of 128, of
 * descriptors of 16 bytes ({@link RxDescriptor#SIZE}, {@link TxDescriptor#SIZE}). The card driver checks rings against
 * it before it programs them, the queue driver before it allocates them, and the simulated card when a queue is
 * enabled.
 * <p>
 * nicq's drivers keep every ring a power of two in size (indices wrap with a mask) and within what the datasheet
 * validated: {@link #isValidSize(long)}.
 */
public final class DescriptorRing
{
    /** Ring bases are 128-byte aligned (RDBAL/TDBAL [6:0] are ignored by the part). */
    public static final int BASE_ALIGNMENT = 128;

    /** RDLEN/TDLEN hold the length in bytes in [19:7]: a multiple of 128, eight descriptors. */
    public static final int LENGTH_MASK = 0x000F_FF80;

    /** Fewest descriptors in a ring: one 128-byte unit of RDLEN. */
    public static final int MIN_SIZE = 8;

    /** Most descriptors in a ring: "validated lengths up to 128 K (8 K descriptors)" (8.2.3.8.3). */
    public static final int MAX_SIZE = 8192;

    /**
     * Alignment of a TX head write-back address (TDWBAL/TDWBAH, 7.2.3.5.2). The datasheet says the address is dword
     * (7.2.3.5.2) or qword (8.2.3.9.11) aligned; TinyNF found by experiment that the part writes nothing unless it is
     * 16-byte aligned, so the drivers ask for that and the simulated card ignores any other.
     */
    public static final int HEAD_WRITE_BACK_ALIGNMENT = 16;

    private DescriptorRing()
    {
    }

    /** Whether a ring of this many descriptors is one nicq's drivers use: a power of two in [8, 8192]. */
    public static boolean isValidSize(final long descriptors)
    {
        return descriptors >= MIN_SIZE && descriptors <= MAX_SIZE && Long.bitCount(descriptors) == 1;
    }

    /** The rule {@link #isValidSize} checks, for messages. */
    public static String sizeRule()
    {
        return "a power of two in " + MIN_SIZE + ".." + MAX_SIZE;
    }

    /** Whether a base address is aligned as RDBAL/TDBAL need it. */
    public static boolean isAligned(final long baseAddress)
    {
        return (baseAddress & (BASE_ALIGNMENT - 1)) == 0;
    }

    /** Whether a TX head write-back address is aligned as the part needs it ({@link #HEAD_WRITE_BACK_ALIGNMENT}). */
    public static boolean isHeadWriteBackAligned(final long address)
    {
        return (address & (HEAD_WRITE_BACK_ALIGNMENT - 1)) == 0;
    }

    /** Whether a length in bytes is one RDLEN/TDLEN can hold: non-zero, a multiple of 128, within [19:7]. */
    public static boolean isValidLength(final int bytes)
    {
        return bytes > 0 && (bytes & ~LENGTH_MASK) == 0;
    }
}
