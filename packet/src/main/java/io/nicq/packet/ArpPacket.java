package io.nicq.packet;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over an ARP packet for IPv4 over Ethernet (RFC 826), the payload of an Ethernet frame of EtherType
 * 0x0806.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |   Hardware type (1 = Ethernet)|  Protocol type (0x0800 = IPv4)|
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  HW len (6)   | Proto len (4) |  Operation (1 req, 2 reply)   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                Sender hardware address (6 octets)             |
 *  +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                               |  Sender protocol address ...  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  ... (4 octets)               |  Target hardware address ...  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *  |                           ... (6 octets)                      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                Target protocol address (4 octets)             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * Hardware addresses are longs ({@link MacAddress}), protocol addresses host-order ints ({@link Ipv4Address}).
 */
public final class ArpPacket
{
    /** Offset of the hardware type. */
    public static final int HARDWARE_TYPE_OFFSET = 0;
    /** Offset of the protocol type. */
    public static final int PROTOCOL_TYPE_OFFSET = 2;
    /** Offset of the hardware address length. */
    public static final int HARDWARE_LENGTH_OFFSET = 4;
    /** Offset of the protocol address length. */
    public static final int PROTOCOL_LENGTH_OFFSET = 5;
    /** Offset of the operation. */
    public static final int OPERATION_OFFSET = 6;
    /** Offset of the sender hardware address. */
    public static final int SENDER_HARDWARE_ADDRESS_OFFSET = 8;
    /** Offset of the sender protocol address. */
    public static final int SENDER_PROTOCOL_ADDRESS_OFFSET = 14;
    /** Offset of the target hardware address. */
    public static final int TARGET_HARDWARE_ADDRESS_OFFSET = 18;
    /** Offset of the target protocol address. */
    public static final int TARGET_PROTOCOL_ADDRESS_OFFSET = 24;
    /** Length of an IPv4-over-Ethernet ARP packet. */
    public static final int LENGTH = 28;

    /** Hardware type of Ethernet. */
    public static final int HARDWARE_TYPE_ETHERNET = 1;
    /** Operation: who has the target protocol address? */
    public static final int OPERATION_REQUEST = 1;
    /** Operation: the sender has the sender protocol address. */
    public static final int OPERATION_REPLY = 2;

    private MutableDirectBuffer buffer;
    private int offset;

    /**
     * Points the flyweight at an ARP packet.
     *
     * @param buffer holding the packet.
     * @param offset of its first byte (the Ethernet payload offset).
     * @return this.
     */
    public ArpPacket wrap(final MutableDirectBuffer buffer, final int offset)
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
     * Whether the fixed part says IPv4 over Ethernet (hardware type 1, protocol 0x0800, lengths 6 and 4): the only
     * kind the other accessors make sense for.
     *
     * @return true if the packet is IPv4 over Ethernet.
     */
    public boolean isIpv4OverEthernet()
    {
        return hardwareType() == HARDWARE_TYPE_ETHERNET &&
            protocolType() == EthernetHeader.ETHER_TYPE_IPV4 &&
            hardwareLength() == MacAddress.LENGTH &&
            protocolLength() == Ipv4Address.LENGTH;
    }

    /**
     * Writes the fixed part for IPv4 over Ethernet.
     *
     * @return this.
     */
    public ArpPacket ipv4OverEthernet()
    {
        buffer.putShort(offset + HARDWARE_TYPE_OFFSET, (short)HARDWARE_TYPE_ETHERNET, ByteOrder.BIG_ENDIAN);
        buffer.putShort(offset + PROTOCOL_TYPE_OFFSET, (short)EthernetHeader.ETHER_TYPE_IPV4, ByteOrder.BIG_ENDIAN);
        buffer.putByte(offset + HARDWARE_LENGTH_OFFSET, (byte)MacAddress.LENGTH);
        buffer.putByte(offset + PROTOCOL_LENGTH_OFFSET, (byte)Ipv4Address.LENGTH);
        return this;
    }

    public int hardwareType()
    {
        return buffer.getShort(offset + HARDWARE_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int protocolType()
    {
        return buffer.getShort(offset + PROTOCOL_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public int hardwareLength()
    {
        return buffer.getByte(offset + HARDWARE_LENGTH_OFFSET) & 0xFF;
    }

    public int protocolLength()
    {
        return buffer.getByte(offset + PROTOCOL_LENGTH_OFFSET) & 0xFF;
    }

    public int operation()
    {
        return buffer.getShort(offset + OPERATION_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public ArpPacket operation(final int operation)
    {
        buffer.putShort(offset + OPERATION_OFFSET, (short)operation, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public long senderHardwareAddress()
    {
        return MacAddress.get(buffer, offset + SENDER_HARDWARE_ADDRESS_OFFSET);
    }

    public ArpPacket senderHardwareAddress(final long mac)
    {
        MacAddress.put(buffer, offset + SENDER_HARDWARE_ADDRESS_OFFSET, mac);
        return this;
    }

    public int senderProtocolAddress()
    {
        return buffer.getInt(offset + SENDER_PROTOCOL_ADDRESS_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public ArpPacket senderProtocolAddress(final int ipv4)
    {
        buffer.putInt(offset + SENDER_PROTOCOL_ADDRESS_OFFSET, ipv4, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public long targetHardwareAddress()
    {
        return MacAddress.get(buffer, offset + TARGET_HARDWARE_ADDRESS_OFFSET);
    }

    public ArpPacket targetHardwareAddress(final long mac)
    {
        MacAddress.put(buffer, offset + TARGET_HARDWARE_ADDRESS_OFFSET, mac);
        return this;
    }

    public int targetProtocolAddress()
    {
        return buffer.getInt(offset + TARGET_PROTOCOL_ADDRESS_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public ArpPacket targetProtocolAddress(final int ipv4)
    {
        buffer.putInt(offset + TARGET_PROTOCOL_ADDRESS_OFFSET, ipv4, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /**
     * Writes a complete request: who has {@code targetIp}? tell {@code senderIp}.
     *
     * @param senderMac the asker's MAC.
     * @param senderIp  the asker's IPv4 address.
     * @param targetIp  the address being resolved.
     * @return this.
     */
    public ArpPacket request(final long senderMac, final int senderIp, final int targetIp)
    {
        return ipv4OverEthernet()
            .operation(OPERATION_REQUEST)
            .senderHardwareAddress(senderMac)
            .senderProtocolAddress(senderIp)
            .targetHardwareAddress(MacAddress.ZERO)
            .targetProtocolAddress(targetIp);
    }

    /**
     * Writes a complete reply: {@code senderIp} is at {@code senderMac}, addressed to the asker.
     *
     * @param senderMac the answering MAC.
     * @param senderIp  the answering IPv4 address.
     * @param targetMac the asker's MAC.
     * @param targetIp  the asker's IPv4 address.
     * @return this.
     */
    public ArpPacket reply(final long senderMac, final int senderIp, final long targetMac, final int targetIp)
    {
        return ipv4OverEthernet()
            .operation(OPERATION_REPLY)
            .senderHardwareAddress(senderMac)
            .senderProtocolAddress(senderIp)
            .targetHardwareAddress(targetMac)
            .targetProtocolAddress(targetIp);
    }
}
