package io.nicq.card;

import java.util.Arrays;

import io.nicq.packet.ArpPacket;
import io.nicq.packet.EthernetHeader;
import io.nicq.packet.IcmpEcho;
import io.nicq.packet.Ipv4Header;
import io.nicq.packet.TcpHeader;
import io.nicq.packet.UdpHeader;
import org.agrona.concurrent.UnsafeBuffer;

/** Frames for tests, built with the packet module's flyweights; all at least 60 bytes (padded). */
final class TestFrames
{
    private TestFrames()
    {
    }

    static byte[] udp(final long dstMac, final long srcMac, final int srcIp, final int dstIp, final int srcPort,
        final int dstPort, final byte[] payload)
    {
        final int ipLength = Ipv4Header.MIN_HEADER_LENGTH + UdpHeader.HEADER_LENGTH + payload.length;
        final UnsafeBuffer buffer = frame(dstMac, srcMac, EthernetHeader.ETHER_TYPE_IPV4, ipLength);
        new Ipv4Header().wrap(buffer, 14).writeHeader(srcIp, dstIp, Ipv4Header.PROTOCOL_UDP, 64,
            UdpHeader.HEADER_LENGTH + payload.length, 1);
        final UdpHeader udp = new UdpHeader().wrap(buffer, 34).writeHeader(srcPort, dstPort, payload.length);
        buffer.putBytes(42, payload);
        udp.computeChecksum(srcIp, dstIp);
        return padded(buffer, 14 + ipLength);
    }

    static byte[] tcpSyn(final long dstMac, final long srcMac, final int srcIp, final int dstIp, final int srcPort,
        final int dstPort)
    {
        final int ipLength = Ipv4Header.MIN_HEADER_LENGTH + 20;
        final UnsafeBuffer buffer = frame(dstMac, srcMac, EthernetHeader.ETHER_TYPE_IPV4, ipLength);
        new Ipv4Header().wrap(buffer, 14).writeHeader(srcIp, dstIp, Ipv4Header.PROTOCOL_TCP, 64, 20, 2);
        new TcpHeader().wrap(buffer, 34).sourcePort(srcPort).destinationPort(dstPort).sequenceNumber(1)
            .dataOffsetAndFlags(5, 0x02).window(65535);
        return padded(buffer, 14 + ipLength);
    }

    static byte[] arpRequest(final long srcMac, final int srcIp, final int targetIp)
    {
        final UnsafeBuffer buffer = frame(0xFFFF_FFFF_FFFFL, srcMac, EthernetHeader.ETHER_TYPE_ARP, ArpPacket.LENGTH);
        new ArpPacket().wrap(buffer, 14).request(srcMac, srcIp, targetIp);
        return padded(buffer, 14 + ArpPacket.LENGTH);
    }

    static byte[] arpReply(final long srcMac, final int srcIp, final long dstMac, final int dstIp)
    {
        final UnsafeBuffer buffer = frame(dstMac, srcMac, EthernetHeader.ETHER_TYPE_ARP, ArpPacket.LENGTH);
        new ArpPacket().wrap(buffer, 14).reply(srcMac, srcIp, dstMac, dstIp);
        return padded(buffer, 14 + ArpPacket.LENGTH);
    }

    static byte[] icmpEcho(final long dstMac, final long srcMac, final int srcIp, final int dstIp, final int id,
        final int sequence, final byte[] data)
    {
        final int icmpLength = IcmpEcho.HEADER_LENGTH + data.length;
        final UnsafeBuffer buffer = frame(dstMac, srcMac, EthernetHeader.ETHER_TYPE_IPV4,
            Ipv4Header.MIN_HEADER_LENGTH + icmpLength);
        new Ipv4Header().wrap(buffer, 14).writeHeader(srcIp, dstIp, Ipv4Header.PROTOCOL_ICMP, 64, icmpLength, 3);
        final IcmpEcho icmp = new IcmpEcho().wrap(buffer, 34).type(IcmpEcho.TYPE_ECHO_REQUEST).code(0)
            .identifier(id).sequence(sequence);
        buffer.putBytes(42, data);
        icmp.computeChecksum(icmpLength);
        return padded(buffer, 34 + icmpLength);
    }

    static UnsafeBuffer wrap(final byte[] frame)
    {
        return new UnsafeBuffer(frame);
    }

    private static UnsafeBuffer frame(final long dstMac, final long srcMac, final int etherType, final int payload)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[Math.max(60, 14 + payload)]);
        new EthernetHeader().wrap(buffer, 0).destination(dstMac).source(srcMac).etherType(etherType);
        return buffer;
    }

    private static byte[] padded(final UnsafeBuffer buffer, final int length)
    {
        return Arrays.copyOf(buffer.byteArray(), Math.max(60, length));
    }
}
