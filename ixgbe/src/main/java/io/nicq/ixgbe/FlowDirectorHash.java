package io.nicq.ixgbe;

/**
 * The 82599 flow director's bucket hash (datasheet 7.1.2.7.15, "Flow Director Filters Hash Function"), as the device
 * computes it over a received frame and as a driver must compute it to fill FDIRHASH for a perfect-match filter. The
 * driver and the simulated card share this one description, and the tests check it against values DPDK's
 * {@code ixgbe_atr_compute_hash_82599} gives for the same input.
 * <p>
 * The input is the flow director's 44-byte stream of an IPv4 flow, eleven 32-bit words in network order, after the
 * global masks have zeroed what is not compared:
 * <pre>
 *   word 0    VM pool (8) | flow type (8) | VLAN tag (16)       the "flow, pool, VLAN" word
 *   word 1    destination IPv4 address                           (words 2-4: the rest of an IPv6 address, 0)
 *   word 5    source IPv4 address                                (words 6-8: 0)
 *   word 9    source port (16) | destination port (16)
 *   word 10   flexible bytes (16) | 0
 * </pre>
 * The hash XORs words 1..10 into one word ("common"); with the key K (FDIRHKEY), bit i of K XORs the common word
 * shifted right by i into the result, for its two 16-bit halves taken in either order (key bits 0..15 use the
 * common word with its halves swapped, key bits 16..31 the common word itself), word 0 folded into both as the
 * datasheet's bit stream has it. Perfect match uses the low 11, 12 or 13 bits (2K, 4K or 8K buckets, by PBALLOC).
 * Deliberately scalar and allocation free: the simulated card calls it once per received frame that reaches the
 * flow director.
 */
public final class FlowDirectorHash
{
    private FlowDirectorHash()
    {
    }

    /**
     * The 32-bit hash (before the bucket mask) of an IPv4 flow.
     *
     * @param key             FDIRHKEY
     * @param flowPoolVlan    word 0: {@link #flowPoolVlan}
     * @param destinationIp   host order (10.0.0.1 is 0x0A000001), 0 if masked
     * @param sourceIp        host order, 0 if masked
     * @param sourcePort      0 if masked
     * @param destinationPort 0 if masked
     * @param flexBytes       0 if masked
     */
    public static int hash(
        final int key,
        final int flowPoolVlan,
        final int destinationIp,
        final int sourceIp,
        final int sourcePort,
        final int destinationPort,
        final int flexBytes)
    {
        final int common = destinationIp ^ sourceIp ^ ((sourcePort & 0xFFFF) << 16 | (destinationPort & 0xFFFF)) ^
            ((flexBytes & 0xFFFF) << 16);
        int high = common ^ flowPoolVlan ^ (flowPoolVlan >>> 16);
        int low = Integer.rotateLeft(common, 16);

        int hash = 0;
        // Key bits 0 and 16 take the words as they are; the flow word joins the low half only after bit 0 (the bit
        // stream's first 16 bits are the common word's, not the flow word's).
        if ((key & 1) != 0)
        {
            hash ^= low;
        }
        if ((key & (1 << 16)) != 0)
        {
            hash ^= high;
        }
        low ^= flowPoolVlan ^ (flowPoolVlan << 16);
        for (int i = 1; i < 16; i++)
        {
            if ((key & (1 << i)) != 0)
            {
                hash ^= low >>> i;
            }
            if ((key & (1 << (16 + i))) != 0)
            {
                hash ^= high >>> i;
            }
        }
        return hash;
    }

    /** Word 0 of the input: VM pool, flow type ({@code Registers.FDIR_FLOW_TYPE_*}), VLAN tag. */
    public static int flowPoolVlan(final int vmPool, final int flowType, final int vlan)
    {
        return (vmPool & 0xFF) << 24 | (flowType & 0xFF) << 16 | (vlan & 0xFFFF);
    }

    /** The perfect-match bucket of an IPv4 flow for a PBALLOC value: the hash's low 11, 12 or 13 bits. */
    public static int perfectBucket(
        final int key,
        final int pballoc,
        final int flowType,
        final int destinationIp,
        final int sourceIp,
        final int sourcePort,
        final int destinationPort)
    {
        return hash(key, flowPoolVlan(0, flowType, 0), destinationIp, sourceIp, sourcePort, destinationPort, 0) &
            Registers.fdirBucketMask(pballoc);
    }
}
