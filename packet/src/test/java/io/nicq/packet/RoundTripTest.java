package io.nicq.packet;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Build a frame with the flyweights, parse it back with fresh flyweights: every field survives and every checksum
 * verifies, for any addresses, ports, TTLs and payloads (odd lengths and unaligned offsets included).
 */
class RoundTripTest
{
    @Property(tries = 300)
    void udpOverIpv4OverEthernet(
        @ForAll @LongRange(min = 0, max = 0xFFFF_FFFF_FFFFL) final long dstMac,
        @ForAll @LongRange(min = 0, max = 0xFFFF_FFFF_FFFFL) final long srcMac,
        @ForAll final int srcIp,
        @ForAll final int dstIp,
        @ForAll @IntRange(max = 0xFFFF) final int srcPort,
        @ForAll @IntRange(max = 0xFFFF) final int dstPort,
        @ForAll @IntRange(min = 1, max = 255) final int ttl,
        @ForAll @IntRange(max = 0xFFFF) final int id,
        @ForAll @Size(max = 1472) final byte[] payload,
        @ForAll @IntRange(max = 9) final int at)
    {
        final int frameLength = EthernetHeader.HEADER_LENGTH + 20 + 8 + payload.length;
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[at + frameLength]);

        final EthernetHeader ethernet = new EthernetHeader().wrap(buffer, at);
        ethernet.destination(dstMac).source(srcMac).etherType(EthernetHeader.ETHER_TYPE_IPV4);
        final Ipv4Header ip = new Ipv4Header().wrap(buffer, ethernet.payloadOffset());
        final UdpHeader udp = new UdpHeader().wrap(buffer, ethernet.payloadOffset() + 20);
        udp.writeHeader(srcPort, dstPort, payload.length);
        buffer.putBytes(udp.payloadOffset(), payload);
        udp.computeChecksum(srcIp, dstIp);
        ip.writeHeader(srcIp, dstIp, Ipv4Header.PROTOCOL_UDP, ttl, 8 + payload.length, id);

        final EthernetHeader e2 = new EthernetHeader().wrap(buffer, at);
        assertEquals(dstMac, e2.destination());
        assertEquals(srcMac, e2.source());
        assertEquals(EthernetHeader.ETHER_TYPE_IPV4, e2.etherType());
        final Ipv4Header ip2 = new Ipv4Header().wrap(buffer, e2.payloadOffset());
        assertEquals(4, ip2.version());
        assertEquals(20, ip2.headerLength());
        assertEquals(20 + 8 + payload.length, ip2.totalLength());
        assertEquals(ttl, ip2.ttl());
        assertEquals(id, ip2.identification());
        assertEquals(srcIp, ip2.source());
        assertEquals(dstIp, ip2.destination());
        assertEquals(Ipv4Header.PROTOCOL_UDP, ip2.protocol());
        assertTrue(ip2.verifyChecksum());
        final UdpHeader udp2 = new UdpHeader().wrap(buffer, ip2.payloadOffset());
        assertEquals(srcPort, udp2.sourcePort());
        assertEquals(dstPort, udp2.destinationPort());
        assertEquals(payload.length, udp2.payloadLength());
        assertTrue(udp2.checksum() != 0);
        assertTrue(udp2.verifyChecksum(ip2.source(), ip2.destination()));
        final byte[] back = new byte[payload.length];
        buffer.getBytes(udp2.payloadOffset(), back);
        assertEquals(java.util.Arrays.toString(payload), java.util.Arrays.toString(back));
    }

    @Property(tries = 200)
    void icmpEchoRequestToReply(
        @ForAll final int srcIp,
        @ForAll final int dstIp,
        @ForAll @IntRange(max = 0xFFFF) final int identifier,
        @ForAll @IntRange(max = 0xFFFF) final int sequence,
        @ForAll @Size(max = 256) final byte[] data)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[20 + 8 + data.length]);
        final Ipv4Header ip = new Ipv4Header().wrap(buffer, 0)
            .writeHeader(srcIp, dstIp, Ipv4Header.PROTOCOL_ICMP, 64, 8 + data.length, 1);
        final IcmpEcho icmp = new IcmpEcho().wrap(buffer, 20)
            .type(IcmpEcho.TYPE_ECHO_REQUEST).code(0).identifier(identifier).sequence(sequence);
        buffer.putBytes(icmp.dataOffset(), data);
        icmp.computeChecksum(8 + data.length);
        assertTrue(icmp.verifyChecksum(ip.payloadLength()));

        icmp.toEchoReply();
        ip.swapAddresses();
        assertEquals(IcmpEcho.TYPE_ECHO_REPLY, icmp.type());
        assertEquals(identifier, icmp.identifier());
        assertEquals(sequence, icmp.sequence());
        assertTrue(icmp.verifyChecksum(ip.payloadLength()));
        assertTrue(ip.verifyChecksum());
        assertEquals(dstIp, ip.source());
    }

    @Property(tries = 200)
    void tcpHeaderFields(
        @ForAll @IntRange(max = 0xFFFF) final int srcPort,
        @ForAll @IntRange(max = 0xFFFF) final int dstPort,
        @ForAll final int seq,
        @ForAll final int ack,
        @ForAll @IntRange(min = 5, max = 15) final int dataOffset,
        @ForAll @IntRange(max = 0x1FF) final int flags,
        @ForAll @IntRange(max = 0xFFFF) final int window,
        @ForAll final int srcIp,
        @ForAll final int dstIp)
    {
        final int length = dataOffset * 4 + 10;
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[length]);
        final TcpHeader tcp = new TcpHeader().wrap(buffer, 0)
            .sourcePort(srcPort).destinationPort(dstPort).sequenceNumber(seq).acknowledgmentNumber(ack)
            .dataOffsetAndFlags(dataOffset, flags).window(window).urgentPointer(0);
        tcp.computeChecksum(srcIp, dstIp, length);

        final TcpHeader back = new TcpHeader().wrap(buffer, 0);
        assertEquals(srcPort, back.sourcePort());
        assertEquals(dstPort, back.destinationPort());
        assertEquals(seq, back.sequenceNumber());
        assertEquals(ack, back.acknowledgmentNumber());
        assertEquals(dataOffset, back.dataOffset());
        assertEquals(flags, back.flags());
        assertEquals(window, back.window());
        assertTrue(back.verifyChecksum(srcIp, dstIp, length));
    }

    @Property(tries = 200)
    void arpRoundTrip(
        @ForAll @LongRange(min = 0, max = 0xFFFF_FFFF_FFFFL) final long senderMac,
        @ForAll final int senderIp,
        @ForAll @LongRange(min = 0, max = 0xFFFF_FFFF_FFFFL) final long targetMac,
        @ForAll final int targetIp)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[ArpPacket.LENGTH]);
        new ArpPacket().wrap(buffer, 0).reply(senderMac, senderIp, targetMac, targetIp);
        final ArpPacket back = new ArpPacket().wrap(buffer, 0);
        assertTrue(back.isIpv4OverEthernet());
        assertEquals(ArpPacket.OPERATION_REPLY, back.operation());
        assertEquals(senderMac, back.senderHardwareAddress());
        assertEquals(senderIp, back.senderProtocolAddress());
        assertEquals(targetMac, back.targetHardwareAddress());
        assertEquals(targetIp, back.targetProtocolAddress());
    }
}
