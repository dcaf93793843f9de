package io.nicq.packet;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum of the data taken as
 * 16-bit big-endian words, an odd last byte padded with a zero byte.
 * <p>
 * Fast path: eight bytes at a time. Each 64-bit big-endian word is added to a 64-bit accumulator as its two 32-bit
 * halves; because one's complement addition is associative and commutative, the carries collected in the upper
 * bits of the accumulator are folded back into 16 bits once at the end (RFC 1071 section 2, "deferred carries").
 * The halves cannot overflow the accumulator for any buffer an int can index.
 * <p>
 * Partial sums ({@link #sum(DirectBuffer, int, int, int)}) are 16-bit values in network order, as an int, and can
 * be chained: a pseudo-header sum from {@link #pseudoHeaderSum(int, int, int, int)} is the usual starting value of a
 * UDP or TCP checksum. A chained segment must start at an even offset from the start of the checksummed data.
 */
public final class InternetChecksum
{
    /** A 16-bit one's complement sum of all ones: what a correct checksum sums to. */
    public static final int VERIFIES = 0xFFFF;

    private InternetChecksum()
    {
    }

    /**
     * One's complement sum of {@code length} bytes, folded to 16 bits, added to a previous partial sum.
     *
     * @param buffer  holding the data.
     * @param offset  of the first byte.
     * @param length  in bytes, may be odd.
     * @param initial partial sum to continue from (0 to start).
     * @return the 16-bit partial sum (not complemented), in [0, 0xFFFF].
     */
    public static int sum(final DirectBuffer buffer, final int offset, final int length, final int initial)
    {
        long acc = initial & 0xFFFFL;
        int i = offset;
        final int end = offset + length;

        // Two independent accumulators let the CPU overlap the loads and adds of consecutive words.
        long acc2 = 0;
        final int limit16 = end - 16;
        while (i <= limit16)
        {
            final long w0 = buffer.getLong(i, ByteOrder.BIG_ENDIAN);
            final long w1 = buffer.getLong(i + 8, ByteOrder.BIG_ENDIAN);
            acc += (w0 >>> 32) + (w0 & 0xFFFF_FFFFL);
            acc2 += (w1 >>> 32) + (w1 & 0xFFFF_FFFFL);
            i += 16;
        }
        acc += acc2;

        if (i <= end - 8)
        {
            final long w = buffer.getLong(i, ByteOrder.BIG_ENDIAN);
            acc += (w >>> 32) + (w & 0xFFFF_FFFFL);
            i += 8;
        }
        if (i <= end - 4)
        {
            acc += buffer.getInt(i, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
            i += 4;
        }
        if (i <= end - 2)
        {
            acc += buffer.getShort(i, ByteOrder.BIG_ENDIAN) & 0xFFFFL;
            i += 2;
        }
        if (i < end)
        {
            acc += (buffer.getByte(i) & 0xFFL) << 8;
        }

        return fold(acc);
    }

    /**
     * One's complement sum of {@code length} bytes, folded to 16 bits.
     *
     * @param buffer holding the data.
     * @param offset of the first byte.
     * @param length in bytes, may be odd.
     * @return the 16-bit sum (not complemented).
     */
    public static int sum(final DirectBuffer buffer, final int offset, final int length)
    {
        return sum(buffer, offset, length, 0);
    }

    /**
     * The checksum of {@code length} bytes: the complement of their sum, ready to be stored (big-endian) in the
     * checksum field, which must be zero while it is computed.
     *
     * @param buffer holding the data.
     * @param offset of the first byte.
     * @param length in bytes, may be odd.
     * @return the checksum, in [0, 0xFFFF].
     */
    public static int checksum(final DirectBuffer buffer, final int offset, final int length)
    {
        return ~sum(buffer, offset, length, 0) & 0xFFFF;
    }

    /**
     * Whether data that includes its checksum field verifies: its one's complement sum is all ones.
     *
     * @param buffer holding the data.
     * @param offset of the first byte.
     * @param length in bytes, may be odd.
     * @return true if the sum is 0xFFFF.
     */
    public static boolean verify(final DirectBuffer buffer, final int offset, final int length)
    {
        return sum(buffer, offset, length, 0) == VERIFIES;
    }

    /**
     * The one's complement sum of the IPv4 pseudo-header used by UDP and TCP (RFC 768, RFC 793): source address,
     * destination address, zero, protocol, and the UDP/TCP length.
     *
     * @param sourceAddress      IPv4 address, host order int.
     * @param destinationAddress IPv4 address, host order int.
     * @param protocol           IP protocol number.
     * @param length             of the UDP or TCP header plus payload, in bytes.
     * @return the 16-bit partial sum, to pass as {@code initial} to {@link #sum(DirectBuffer, int, int, int)}.
     */
    public static int pseudoHeaderSum(
        final int sourceAddress, final int destinationAddress, final int protocol, final int length)
    {
        final long acc = (sourceAddress >>> 16) + (sourceAddress & 0xFFFF) +
            (destinationAddress >>> 16) + (destinationAddress & 0xFFFF) +
            (protocol & 0xFF) + (length & 0xFFFF);
        return fold(acc);
    }

    /**
     * Folds a wide one's complement accumulator to 16 bits by adding the carries back in.
     *
     * @param acc accumulator of 16-bit (or 32-bit) words.
     * @return the folded sum, in [0, 0xFFFF].
     */
    public static int fold(final long acc)
    {
        long sum = (acc >>> 32) + (acc & 0xFFFF_FFFFL);
        sum = (sum >>> 16) + (sum & 0xFFFF);
        sum = (sum >>> 16) + (sum & 0xFFFF);
        sum = (sum >>> 16) + (sum & 0xFFFF);
        return (int)sum;
    }

    /**
     * Incremental update of a checksum after one 16-bit word of the covered data changed (RFC 1624, eqn. 3:
     * HC' = ~(~HC + ~m + m')), so that a rewritten field does not force a pass over the whole data.
     * <p>
     * A zero result is returned as 0xFFFF, the other representation of zero: the update cannot tell whether the
     * rest of the data is all zeros, and only 0xFFFF verifies in both cases (0 would fail for all-zero data, as
     * an echo reply with zero identifier, sequence and data is).
     *
     * @param checksum the old checksum field value.
     * @param oldWord  the old 16-bit value of the changed word.
     * @param newWord  its new value.
     * @return the new checksum field value.
     */
    public static int adjust(final int checksum, final int oldWord, final int newWord)
    {
        final long acc = (~checksum & 0xFFFF) + (~oldWord & 0xFFFF) + (newWord & 0xFFFF);
        return nonZero(~fold(acc) & 0xFFFF);
    }

    /**
     * Incremental update of a checksum after a 32-bit field (an IPv4 address) changed (RFC 1624); a zero result
     * is returned as 0xFFFF, see {@link #adjust(int, int, int)}.
     *
     * @param checksum the old checksum field value.
     * @param oldValue the old 32-bit value.
     * @param newValue its new value.
     * @return the new checksum field value.
     */
    public static int adjust32(final int checksum, final int oldValue, final int newValue)
    {
        final long acc = (~checksum & 0xFFFF) +
            (~(oldValue >>> 16) & 0xFFFF) + (~oldValue & 0xFFFF) +
            (newValue >>> 16) + (newValue & 0xFFFF);
        return nonZero(~fold(acc) & 0xFFFF);
    }

    private static int nonZero(final int checksum)
    {
        return checksum == 0 ? 0xFFFF : checksum;
    }
}
