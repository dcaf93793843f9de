package io.nicq.packet;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over an Ethernet II header (IEEE 802.3, DIX framing). The frame check sequence is not part of the
 * frame as software sees it: the NIC appends and strips it.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Destination MAC address (6 octets)            |
 *  +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                               |                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *  |                   Source MAC address (6 octets)               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           EtherType           |   Payload (46..1500 octets)  ...
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * MAC addresses are longs (see {@link MacAddress}); multi-byte fields are big-endian on the wire and host values
 * here. The flyweight does no bounds checking of its own beyond the buffer's: callers check
 * {@link #HEADER_LENGTH} against the frame length first.
 */
public final class EthernetHeader
{
    /** Offset of the destination address. */
    public static final int DESTINATION_OFFSET = 0;
    /** Offset of the source address. */
    public static final int SOURCE_OFFSET = 6;
    /** Offset of the EtherType. */
    public static final int ETHER_TYPE_OFFSET = 12;
    /** Length of the header; the payload starts here. */
    public static final int HEADER_LENGTH = 14;

    /** Smallest frame on the wire without its FCS: shorter frames are padded with zeros. */
    public static final int MIN_FRAME_LENGTH = 60;
    /** Largest untagged frame for a 1500-byte MTU, without its FCS. */
    public static final int MAX_FRAME_LENGTH = 1514;
    /** Length of the frame check sequence (CRC-32) the NIC appends and strips. */
    public static final int FCS_LENGTH = 4;

    /** EtherType of IPv4. */
    public static final int ETHER_TYPE_IPV4 = 0x0800;
    /** EtherType of ARP. */
    public static final int ETHER_TYPE_ARP = 0x0806;
    /** EtherType of an IEEE 802.1Q VLAN tag. */
    public static final int ETHER_TYPE_VLAN = 0x8100;
    /** EtherType of IPv6. */
    public static final int ETHER_TYPE_IPV6 = 0x86DD;
    /** Values below this are IEEE 802.3 lengths, not EtherTypes. */
    public static final int ETHER_TYPE_MIN = 0x0600;

    private MutableDirectBuffer buffer;
    private int offset;

    /**
     * Points the flyweight at a header.
     *
     * @param buffer holding the frame.
     * @param offset of the first byte of the frame.
     * @return this.
     */
    public EthernetHeader wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    public int offset()
    {
        return offset;
    }

    /**
     * Offset of the payload (the IPv4 header, the ARP packet) in the buffer.
     *
     * @return offset + {@link #HEADER_LENGTH}.
     */
    public int payloadOffset()
    {
        return offset + HEADER_LENGTH;
    }

    public long destination()
    {
        return MacAddress.get(buffer, offset + DESTINATION_OFFSET);
    }

    public EthernetHeader destination(final long mac)
    {
        MacAddress.put(buffer, offset + DESTINATION_OFFSET, mac);
        return this;
    }

    public long source()
    {
        return MacAddress.get(buffer, offset + SOURCE_OFFSET);
    }

    public EthernetHeader source(final long mac)
    {
        MacAddress.put(buffer, offset + SOURCE_OFFSET, mac);
        return this;
    }

    public int etherType()
    {
        return buffer.getShort(offset + ETHER_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public EthernetHeader etherType(final int etherType)
    {
        buffer.putShort(offset + ETHER_TYPE_OFFSET, (short)etherType, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /**
     * Swaps source and destination, the first step of turning a received frame into its answer in place.
     *
     * @return this.
     */
    public EthernetHeader swapAddresses()
    {
        final long destination = destination();
        destination(source());
        source(destination);
        return this;
    }
}
