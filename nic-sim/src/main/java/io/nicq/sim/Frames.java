package io.nicq.sim;

import java.nio.ByteOrder;

import org.agrona.concurrent.UnsafeBuffer;

import io.nicq.packet.EthernetHeader;
import io.nicq.packet.IcmpEcho;
import io.nicq.packet.InternetChecksum;
import io.nicq.packet.Ipv4Address;
import io.nicq.packet.Ipv4Header;
import io.nicq.packet.MacAddress;
import io.nicq.packet.TcpHeader;
import io.nicq.packet.UdpHeader;

/**
 * Builds Ethernet frames for tests and tools: Ethernet II (optionally VLAN tagged), IPv4 with a correct header
 * checksum, UDP and TCP with correct checksums, ICMP echo. The fields are written by the {@code io.nicq.packet}
 * flyweights, so these frames are laid out exactly as the drivers and the client stack parse them. Addresses are
 * nicq's: IPv4 addresses ints in reading order ({@code 10.0.0.1} is {@code 0x0A000001}, {@link Ipv4Address}), MAC
 * addresses the low 48 bits of a long, first octet most significant ({@code 02:00:00:00:00:01} is
 * {@code 0x020000000001L}, {@link MacAddress}). Allocates: not for the packet path.
 */
public final class Frames
{
    public static final int ETHERTYPE_IPV4 = EthernetHeader.ETHER_TYPE_IPV4;
    public static final int ETHERTYPE_ARP = EthernetHeader.ETHER_TYPE_ARP;
    public static final int ETHERTYPE_VLAN = EthernetHeader.ETHER_TYPE_VLAN;
    /** IEEE 1588 (PTP) over Ethernet: an ethertype the ethertype filters are made for. */
    public static final int ETHERTYPE_PTP = 0x88F7;
    public static final int IPPROTO_ICMP = Ipv4Header.PROTOCOL_ICMP;
    public static final int IPPROTO_TCP = Ipv4Header.PROTOCOL_TCP;
    public static final int IPPROTO_UDP = Ipv4Header.PROTOCOL_UDP;
    public static final int IPPROTO_SCTP = 132;
    public static final int TCP_FIN = TcpHeader.FLAG_FIN;
    public static final int TCP_SYN = TcpHeader.FLAG_SYN;
    public static final int TCP_ACK = TcpHeader.FLAG_ACK;
    public static final long BROADCAST = MacAddress.BROADCAST;
    /** IPv4 flags/fragment word: more fragments. */
    public static final int IP_MORE_FRAGMENTS = Ipv4Header.FLAG_MORE_FRAGMENTS;

    private static final int VLAN_TAG_LENGTH = 4;
    private static final int VLAN_ID_MASK = 0xFFF;
    private static final int IPV4_IDENTIFICATION = 0x1234;
    private static final int TCP_SEQUENCE = 1000;
    private static final int TCP_WINDOW = 65535;

    private Frames()
    {
    }

    /** "10.0.0.1" as 0x0A000001 ({@link Ipv4Address#parse(CharSequence)}). */
    public static int ip(final String dotted)
    {
        return Ipv4Address.parse(dotted);
    }

    /** An Ethernet II frame. */
    public static byte[] ethernet(final long destination, final long source, final int etherType, final byte[] payload)
    {
        final byte[] frame = new byte[EthernetHeader.HEADER_LENGTH + payload.length];
        new EthernetHeader().wrap(new UnsafeBuffer(frame), 0)
            .destination(destination)
            .source(source)
            .etherType(etherType);
        System.arraycopy(payload, 0, frame, EthernetHeader.HEADER_LENGTH, payload.length);
        return frame;
    }

    /** An Ethernet frame with one 802.1Q tag (priority 0, the low 12 bits of {@code vlanId}). */
    public static byte[] vlan(final long destination, final long source, final int vlanId, final int etherType,
        final byte[] payload)
    {
        final int headerLength = EthernetHeader.HEADER_LENGTH + VLAN_TAG_LENGTH;
        final byte[] frame = new byte[headerLength + payload.length];
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        // The tag protocol identifier sits where an untagged frame has its ethertype; the tag control information
        // and the real ethertype follow (the packet module has no flyweight for a tag).
        new EthernetHeader().wrap(buffer, 0)
            .destination(destination)
            .source(source)
            .etherType(ETHERTYPE_VLAN);
        buffer.putShort(EthernetHeader.HEADER_LENGTH, (short)(vlanId & VLAN_ID_MASK), ByteOrder.BIG_ENDIAN);
        buffer.putShort(EthernetHeader.HEADER_LENGTH + 2, (short)etherType, ByteOrder.BIG_ENDIAN);
        System.arraycopy(payload, 0, frame, headerLength, payload.length);
        return frame;
    }

    /**
     * An IPv4 packet (header without options, TTL 64, identification 0x1234) carrying {@code l4}; {@code fragment} is
     * the flags/offset word as it goes on the wire ({@link #IP_MORE_FRAGMENTS}, the offset in 8-byte units).
     */
    public static byte[] ipv4(final int source, final int destination, final int protocol, final int fragment,
        final byte[] l4)
    {
        final byte[] packet = new byte[Ipv4Header.MIN_HEADER_LENGTH + l4.length];
        final UnsafeBuffer buffer = new UnsafeBuffer(packet);
        writeIpv4(buffer, 0, source, destination, protocol, fragment, l4.length);
        System.arraycopy(l4, 0, packet, Ipv4Header.MIN_HEADER_LENGTH, l4.length);
        return packet;
    }

    /** A UDP datagram in IPv4 in Ethernet. */
    public static byte[] udp(final long destinationMac, final long sourceMac, final int sourceIp,
        final int destinationIp, final int sourcePort, final int destinationPort, final byte[] payload)
    {
        final int l4Length = UdpHeader.HEADER_LENGTH + payload.length;
        final UnsafeBuffer frame = unfinishedIpv4Frame(destinationMac, sourceMac, sourceIp, destinationIp, IPPROTO_UDP,
            l4Length);
        final int l4 = EthernetHeader.HEADER_LENGTH + Ipv4Header.MIN_HEADER_LENGTH;
        frame.putBytes(l4 + UdpHeader.HEADER_LENGTH, payload);
        // A computed zero goes out as 0xFFFF (RFC 768): computeChecksum does that.
        new UdpHeader().wrap(frame, l4)
            .writeHeader(sourcePort, destinationPort, payload.length)
            .computeChecksum(sourceIp, destinationIp);
        return frame.byteArray();
    }

    /**
     * A TCP segment (no options; sequence number 1000, acknowledgment 0, window 65535) in IPv4 in Ethernet;
     * {@code flags} are {@link TcpHeader#FLAG_FIN} to {@link TcpHeader#FLAG_NS}.
     */
    public static byte[] tcp(final long destinationMac, final long sourceMac, final int sourceIp,
        final int destinationIp, final int sourcePort, final int destinationPort, final int flags,
        final byte[] payload)
    {
        final int l4Length = TcpHeader.MIN_HEADER_LENGTH + payload.length;
        final UnsafeBuffer frame = unfinishedIpv4Frame(destinationMac, sourceMac, sourceIp, destinationIp, IPPROTO_TCP,
            l4Length);
        final int l4 = EthernetHeader.HEADER_LENGTH + Ipv4Header.MIN_HEADER_LENGTH;
        frame.putBytes(l4 + TcpHeader.MIN_HEADER_LENGTH, payload);
        new TcpHeader().wrap(frame, l4)
            .sourcePort(sourcePort)
            .destinationPort(destinationPort)
            .sequenceNumber(TCP_SEQUENCE)
            .acknowledgmentNumber(0)
            .dataOffsetAndFlags(TcpHeader.MIN_HEADER_LENGTH >> 2, flags)
            .window(TCP_WINDOW)
            .urgentPointer(0)
            .computeChecksum(sourceIp, destinationIp, l4Length);
        return frame.byteArray();
    }

    /** An IPv4 packet of any protocol with an opaque payload, optionally a fragment (see {@link #ipv4}). */
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
        final int l4Length = IcmpEcho.HEADER_LENGTH + payload.length;
        final UnsafeBuffer frame = unfinishedIpv4Frame(destinationMac, sourceMac, sourceIp, destinationIp, IPPROTO_ICMP,
            l4Length);
        final int l4 = EthernetHeader.HEADER_LENGTH + Ipv4Header.MIN_HEADER_LENGTH;
        frame.putBytes(l4 + IcmpEcho.HEADER_LENGTH, payload);
        new IcmpEcho().wrap(frame, l4)
            .type(IcmpEcho.TYPE_ECHO_REQUEST)
            .code(0)
            .identifier(identifier)
            .sequence(sequence)
            .computeChecksum(l4Length);
        return frame.byteArray();
    }

    /**
     * The Internet checksum (RFC 1071) of a range, starting from a partial sum (any 32-bit sum of 16-bit words, such
     * as a pseudo-header's), ready to be stored big-endian in a checksum field.
     */
    public static short checksum(final byte[] data, final int offset, final int length, final int initial)
    {
        final int partial = InternetChecksum.fold(initial & 0xFFFF_FFFFL);
        return (short)~InternetChecksum.sum(new UnsafeBuffer(data), offset, length, partial);
    }

    /** An Ethernet frame whose IPv4 header (no options, unfragmented) is written and whose L4 part is still zero. */
    private static UnsafeBuffer unfinishedIpv4Frame(final long destinationMac, final long sourceMac,
        final int sourceIp, final int destinationIp, final int protocol, final int l4Length)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(
            new byte[EthernetHeader.HEADER_LENGTH + Ipv4Header.MIN_HEADER_LENGTH + l4Length]);
        new EthernetHeader().wrap(frame, 0)
            .destination(destinationMac)
            .source(sourceMac)
            .etherType(ETHERTYPE_IPV4);
        writeIpv4(frame, EthernetHeader.HEADER_LENGTH, sourceIp, destinationIp, protocol, 0, l4Length);
        return frame;
    }

    private static void writeIpv4(final UnsafeBuffer buffer, final int offset, final int source,
        final int destination, final int protocol, final int fragment, final int payloadLength)
    {
        // Not Ipv4Header.writeHeader: that sets DF, and these frames carry whatever flags/offset word they are given.
        new Ipv4Header().wrap(buffer, offset)
            .versionAndIhl(Ipv4Header.MIN_HEADER_LENGTH >> 2)
            .tos(0)
            .totalLength(Ipv4Header.MIN_HEADER_LENGTH + payloadLength)
            .identification(IPV4_IDENTIFICATION)
            .flagsAndFragmentOffset(fragment & ~Ipv4Header.FRAGMENT_OFFSET_MASK,
                fragment & Ipv4Header.FRAGMENT_OFFSET_MASK)
            .ttl(Ipv4Header.DEFAULT_TTL)
            .protocol(protocol)
            .source(source)
            .destination(destination)
            .computeChecksum();
    }
}
