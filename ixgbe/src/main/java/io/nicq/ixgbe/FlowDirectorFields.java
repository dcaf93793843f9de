package io.nicq.ixgbe;

import static io.nicq.ixgbe.Registers.*;

/**
 * The byte order and packing of the flow director's filter and mask registers (datasheet 8.2.3.21), once for the
 * drivers and for tests that program the simulated card as a driver would. They differ from the 5-tuple filters'
 * (8.2.3.7): FDIRPORT holds its ports in host order where SDPQF swaps each half; the addresses are SAQF's order.
 * <pre>
 *   FDIRIPSA, FDIRIPDA    network order as a little-endian load sees it: 10.0.0.1 is 0x0100000A
 *   FDIRPORT              destination port [31:16] | source port [15:0], host order: :80 from :40000 is 0x00509C40
 *   FDIRVLAN              flexible bytes [31:16] | VLAN tag [15:0]
 *   FDIRHASH              SW index [31:16] | bucket hash [14:0]
 *   FDIRSIP4M, FDIRDIP4M  the address mask inverted (set = not compared), in the addresses' order
 *   FDIRTCPM, FDIRUDPM    the port masks inverted, each half bit reversed, destination in [31:16]
 * </pre>
 */
public final class FlowDirectorFields
{
    private FlowDirectorFields()
    {
    }

    /** FDIRIPSA/FDIRIPDA (and the address masks' order) for a host-order IPv4 address. */
    public static int address(final int hostOrderIpv4)
    {
        return Integer.reverseBytes(hostOrderIpv4);
    }

    /** FDIRPORT: both ports in host order, destination in the upper half. */
    public static int ports(final int sourcePort, final int destinationPort)
    {
        return (destinationPort & 0xFFFF) << FDIRPORT_DESTINATION_SHIFT | (sourcePort & 0xFFFF);
    }

    /** FDIRHASH: the bucket (the hash, masked to the table's buckets) and the filter's SW index. */
    public static int hash(final int bucket, final int swIndex)
    {
        return (swIndex & 0xFFFF) << FDIRHASH_SW_INDEX_SHIFT | (bucket & FDIRHASH_BUCKET_MASK);
    }

    /**
     * FDIRSIP4M/FDIRDIP4M for an address mask whose set bits are compared (0xFFFFFFFF: the whole address; 0: none).
     */
    public static int addressMask(final int comparedBits)
    {
        return ~Integer.reverseBytes(comparedBits);
    }

    /** FDIRTCPM/FDIRUDPM for port masks whose set bits are compared (0xFFFF: the whole port; 0: none). */
    public static int portMask(final int comparedSourceBits, final int comparedDestinationBits)
    {
        final int source = Integer.reverse(comparedSourceBits << 16) & 0xFFFF;
        final int destination = Integer.reverse(comparedDestinationBits << 16) & 0xFFFF;
        return ~(destination << FDIRTCPM_DESTINATION_SHIFT | source);
    }

    /** FDIRCMD adding a perfect-match filter for an IPv4 flow type that steers to a queue. */
    public static int addCommand(final int flowType, final int queue, final boolean update)
    {
        return FDIRCMD_CMD_ADD | (update ? FDIRCMD_FILTER_UPDATE : 0) | FDIRCMD_LAST | FDIRCMD_QUEUE_EN |
            flowType << FDIRCMD_FLOW_TYPE_SHIFT | (queue & 0x7F) << FDIRCMD_RX_QUEUE_SHIFT;
    }
}
