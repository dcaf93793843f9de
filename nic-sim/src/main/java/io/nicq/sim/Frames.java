package io.nicq.sim;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Builds Ethernet frames for tests and tools: Ethernet II (optionally VLAN tagged), IPv4 with a correct header
 * checksum, UDP and TCP with correct checksums, ICMP echo. IPv4 addresses are ints in the usual reading order
 * ({@code 10.0.0.1} is {@code 0x0A000001}); MAC addresses are {@link MacAddress} longs. Allocates: not for the packet
 * path.
 */
public final class Frames
{
    public static final int ETHERTYPE_IPV4 = 0x0800;
    public static final int ETHERTYPE_ARP = 0x0806;
    public static final int ETHERTYPE_VLAN = 0x8100;
    public static final int ETHERTYPE_PTP = 0x88F7;
    public static final int IPPROTO_ICMP = 1;
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;
    public static final int IPPROTO_SCTP = 132;
    public static final int TCP_FIN = 0x01;
    public static final int TCP_SYN = 0x02;
    public static final int TCP_ACK = 0x10;
    public static final long BROADCAST = 0xFFFF_FFFF_FFFFL;
    /** IPv4 flags/fragment word: more fragments. */
    public static final int IP_MORE_FRAGMENTS = 0x2000;

    private Frames()
    {
    }

    /** "10.0.0.1" as 0x0A000001. */
    public static int ip(final String dotted)
    {
        final String[] parts = dotted.split("\\.");
        if (parts.length != 4)
        {
            throw new IllegalArgumentException("IPv4 address '" + dotted + "'");
        }
        int value = 0;
        for (final String part : parts)
        {
            final int octet = Integer.parseInt(part);
            if (octet < 0 || octet > 255)
            {
                throw new IllegalArgumentException("IPv4 address '" + dotted + "'");
            }
            value = (value << 8) | octet;
        }
        return value;
    }

    /** An Ethernet II frame. */
    public static byte[] ethernet(final long destination, final long source, final int etherType, final byte[] payload)
    {
        final ByteBuffer frame = ByteBuffer.allocate(14 + payload.length).order(ByteOrder.BIG_ENDIAN);
        frame.put(MacAddress.toBytes(destination)).put(MacAddress.toBytes(source)).putShort((short)etherType);
        frame.put(payload);
        return frame.array();
    }

    /** An Ethernet frame with one 802.1Q tag. */
    public static byte[] vlan(final long destination, final long source, final int vlanId, final int etherType,
        final byte[] payload)
    {
        final ByteBuffer frame = ByteBuffer.allocate(18 + payload.length).order(ByteOrder.BIG_ENDIAN);
        frame.put(MacAddress.toBytes(destination)).put(MacAddress.toBytes(source));
        frame.putShort((short)ETHERTYPE_VLAN).putShort((short)(vlanId & 0xFFF)).putShort((short)etherType);
        frame.put(payload);
        return frame.array();
    }

    /** An IPv4 packet (header without options) carrying {@code l4}; {@code fragment} is the flags/offset word. */
    public static byte[] ipv4(final int source, final int destination, final int protocol, final int fragment,
        final byte[] l4)
    {
        final ByteBuffer packet = ByteBuffer.allocate(20 + l4.length).order(ByteOrder.BIG_ENDIAN);
        packet.put((byte)0x45).put((byte)0).putShort((short)(20 + l4.length));
        packet.putShort((short)0x1234).putShort((short)fragment);
        packet.put((byte)64).put((byte)protocol).putShort((short)0);
        packet.putInt(source).putInt(destination);
        packet.putShort(10, checksum(packet.array(), 0, 20, 0));
        packet.position(20);
        packet.put(l4);
        return packet.array();
    }

    /** A UDP datagram in IPv4 in Ethernet. */
    public static byte[] udp(final long destinationMac, final long sourceMac, final int sourceIp,
        final int destinationIp, final int sourcePort, final int destinationPort, final byte[] payload)
    {
        final ByteBuffer udp = ByteBuffer.allocate(8 + payload.length).order(ByteOrder.BIG_ENDIAN);
        udp.putShort((short)sourcePort).putShort((short)destinationPort).putShort((short)(8 + payload.length));
        udp.putShort((short)0).put(payload);
        short sum = checksum(udp.array(), 0, udp.capacity(),
            pseudoHeader(sourceIp, destinationIp, IPPROTO_UDP, udp.capacity()));
        if (sum == 0)
        {
            sum = (short)0xFFFF; // RFC 768: a computed zero is sent as all ones
        }
        udp.putShort(6, sum);
        return ethernet(destinationMac, sourceMac, ETHERTYPE_IPV4,
            ipv4(sourceIp, destinationIp, IPPROTO_UDP, 0, udp.array()));
    }

    /** A TCP segment (no options) in IPv4 in Ethernet. */
    public static byte[] tcp(final long destinationMac, final long sourceMac, final int sourceIp,
        final int destinationIp, final int sourcePort, final int destinationPort, final int flags,
        final byte[] payload)
    {
        final ByteBuffer tcp = ByteBuffer.allocate(20 + payload.length).order(ByteOrder.BIG_ENDIAN);
        tcp.putShort((short)sourcePort).putShort((short)destinationPort).putInt(1000).putInt(0);
        tcp.put((byte)0x50).put((byte)flags).putShort((short)65535).putShort((short)0).putShort((short)0);
        tcp.put(payload);
        tcp.putShort(16, checksum(tcp.array(), 0, tcp.capacity(),
            pseudoHeader(sourceIp, destinationIp, IPPROTO_TCP, tcp.capacity())));
        return ethernet(destinationMac, sourceMac, ETHERTYPE_IPV4,
            ipv4(sourceIp, destinationIp, IPPROTO_TCP, 0, tcp.array()));
    }

    /** An IPv4 packet of any protocol with an opaque payload, optionally a fragment. */
    public static byte[] ipv4Frame(final long destinationMac, final long sourceMac, final int sourceIp,
        final int destinationIp, final int protocol, final int fragment, final byte[] l4)
    {
        return ethernet(destinationMac, sourceMac, ETHERTYPE_IPV4, ipv4(sourceIp, destinationIp, protocol, fragment,
            l4));
    }

    /** An ICMP echo request. */
    public static byte[] icmpEcho(final long destinationMac, final long sourceMac, final int sourceIp,
        final int destinationIp, final int identifier, final int sequence, final byte[] payload)
    {
        final ByteBuffer icmp = ByteBuffer.allocate(8 + payload.length).order(ByteOrder.BIG_ENDIAN);
        icmp.put((byte)8).put((byte)0).putShort((short)0).putShort((short)identifier).putShort((short)sequence);
        icmp.put(payload);
        icmp.putShort(2, checksum(icmp.array(), 0, icmp.capacity(), 0));
        return ethernet(destinationMac, sourceMac, ETHERTYPE_IPV4,
            ipv4(sourceIp, destinationIp, IPPROTO_ICMP, 0, icmp.array()));
    }

    /** The Internet checksum (RFC 1071) of a range, starting from a partial sum. */
    public static short checksum(final byte[] data, final int offset, final int length, final int initial)
    {
        long sum = initial & 0xFFFF_FFFFL;
        int i = offset;
        for (; i + 1 < offset + length; i += 2)
        {
            sum += ((data[i] & 0xFF) << 8) | (data[i + 1] & 0xFF);
        }
        if (i < offset + length)
        {
            sum += (data[i] & 0xFF) << 8;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (short)~sum;
    }

    private static int pseudoHeader(final int source, final int destination, final int protocol, final int length)
    {
        return (source >>> 16) + (source & 0xFFFF) + (destination >>> 16) + (destination & 0xFFFF) + protocol + length;
    }
}
