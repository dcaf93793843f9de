package io.nicq.packet;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlyweightTest
{
    private final EthernetHeader ethernet = new EthernetHeader();
    private final Ipv4Header ip = new Ipv4Header();
    private final IcmpEcho icmp = new IcmpEcho();
    private final UdpHeader udp = new UdpHeader();
    private final TcpHeader tcp = new TcpHeader();
    private final ArpPacket arp = new ArpPacket();

    @Test
    void parsesCapturedIcmpEchoReply()
    {
        final int at = 3;
        final UnsafeBuffer buffer = Frames.buffer(Frames.ICMP_ECHO_REPLY, at);

        ethernet.wrap(buffer, at);
        assertEquals(EthernetHeader.ETHER_TYPE_IPV4, ethernet.etherType());
        assertEquals(0L, ethernet.source());

        ip.wrap(buffer, ethernet.payloadOffset());
        assertEquals(4, ip.version());
        assertEquals(5, ip.ihl());
        assertEquals(20, ip.headerLength());
        assertEquals(46, ip.totalLength());
        assertEquals(0x7233, ip.identification());
        assertFalse(ip.dontFragment());
        assertFalse(ip.isFragment());
        assertEquals(64, ip.ttl());
        assertEquals(Ipv4Header.PROTOCOL_ICMP, ip.protocol());
        assertEquals(0x0A9A, ip.checksum());
        assertEquals(Ipv4Address.parse("127.0.0.1"), ip.source());
        assertEquals(0x7F000001, ip.destination());
        assertTrue(ip.verifyChecksum());
        assertEquals(0x0A9A, ip.computeChecksum());

        icmp.wrap(buffer, ip.payloadOffset());
        assertEquals(IcmpEcho.TYPE_ECHO_REPLY, icmp.type());
        assertEquals(0, icmp.code());
        assertEquals(0x4E51, icmp.identifier());
        assertEquals(1, icmp.sequence());
        assertEquals(0x2287, icmp.checksum());
        assertTrue(icmp.verifyChecksum(ip.payloadLength()));
        assertEquals(0x2287, icmp.computeChecksum(ip.payloadLength()));
        assertEquals("nicq-echo-payload!", buffer.getStringWithoutLengthAscii(icmp.dataOffset(), 18));
    }

    @Test
    void requestTurnedIntoReplyInPlaceMatchesTheKernelsReply()
    {
        final UnsafeBuffer request = Frames.buffer(Frames.ICMP_ECHO_REQUEST);
        final UnsafeBuffer kernelReply = Frames.buffer(Frames.ICMP_ECHO_REPLY);
        ip.wrap(request, EthernetHeader.HEADER_LENGTH);
        assertTrue(ip.verifyChecksum());
        icmp.wrap(request, ip.payloadOffset());
        assertEquals(IcmpEcho.TYPE_ECHO_REQUEST, icmp.type());
        assertTrue(icmp.verifyChecksum(ip.payloadLength()));

        icmp.toEchoReply();
        ip.swapAddresses();
        assertTrue(icmp.verifyChecksum(ip.payloadLength()));

        // The ICMP part is byte for byte what Linux answered.
        final byte[] ours = new byte[26];
        final byte[] theirs = new byte[26];
        request.getBytes(34, ours);
        kernelReply.getBytes(34, theirs);
        assertArrayEquals(theirs, ours);
    }

    @Test
    void parsesCapturedUdpDatagramWithOddLength()
    {
        final UnsafeBuffer buffer = Frames.buffer(Frames.UDP_HELLO);
        ip.wrap(buffer, EthernetHeader.HEADER_LENGTH);
        assertTrue(ip.dontFragment());
        assertFalse(ip.isFragment());
        assertEquals(Ipv4Header.PROTOCOL_UDP, ip.protocol());
        assertTrue(ip.verifyChecksum());

        udp.wrap(buffer, ip.payloadOffset());
        assertEquals(40000, udp.sourcePort());
        assertEquals(7777, udp.destinationPort());
        assertEquals(19, udp.length());
        assertEquals(11, udp.payloadLength());
        assertEquals(0x1057, udp.checksum());
        assertTrue(udp.verifyChecksum(ip.source(), ip.destination()));
        assertEquals(0x1057, udp.computeChecksum(ip.source(), ip.destination()));
        assertEquals("hello nicq!", buffer.getStringWithoutLengthAscii(udp.payloadOffset(), 11));

        buffer.putByte(udp.payloadOffset() + 10, (byte)'?');
        assertFalse(udp.verifyChecksum(ip.source(), ip.destination()));
    }

    @Test
    void udpWithoutChecksumVerifiesAndZeroIsSentAsAllOnes()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        udp.wrap(buffer, 0).writeHeader(1, 2, 0);
        assertTrue(udp.verifyChecksum(0x0A000001, 0x0A000002));

        // Choose addresses so that the pseudo-header and header sum to 0xFFFF: the checksum must go out as 0xFFFF.
        udp.writeHeader(0, 0, 0);
        final int pseudoWithoutAddress = InternetChecksum.fold(17 + 8 + 8);
        final int source = 0xFFFF - pseudoWithoutAddress;
        assertEquals(0xFFFF, udp.computeChecksum(source, 0));
        assertTrue(udp.verifyChecksum(source, 0));
    }

    @Test
    void swappingAddressesAndPortsKeepsChecksumsValid()
    {
        final UnsafeBuffer buffer = Frames.buffer(Frames.UDP_HELLO);
        ethernet.wrap(buffer, 0).swapAddresses();
        ip.wrap(buffer, EthernetHeader.HEADER_LENGTH).source(0x0A000001).destination(0x0A000002).computeChecksum();
        udp.wrap(buffer, ip.payloadOffset()).computeChecksum(ip.source(), ip.destination());

        ip.swapAddresses();
        udp.swapPorts();
        assertTrue(ip.verifyChecksum());
        assertTrue(udp.verifyChecksum(ip.source(), ip.destination()));
        assertEquals(7777, udp.sourcePort());
        assertEquals(0x0A000002, ip.source());
    }

    @Test
    void wikipediaHeaderFieldsAndFragments()
    {
        final UnsafeBuffer buffer = Frames.buffer(Frames.WIKIPEDIA_IPV4_HEADER);
        ip.wrap(buffer, 0);
        assertEquals(0xB861, ip.computeChecksum());
        assertEquals(0x73, ip.totalLength());
        assertEquals(Ipv4Address.parse("192.168.0.199"), ip.destination());

        ip.flagsAndFragmentOffset(Ipv4Header.FLAG_MORE_FRAGMENTS, 0);
        assertTrue(ip.isFragment());
        assertTrue(ip.moreFragments());
        ip.flagsAndFragmentOffset(0, 185);
        assertTrue(ip.isFragment());
        assertEquals(185, ip.fragmentOffset());
        ip.flagsAndFragmentOffset(Ipv4Header.FLAG_DONT_FRAGMENT, 0);
        assertFalse(ip.isFragment());
    }

    @Test
    void decrementTtlKeepsChecksumValid()
    {
        final UnsafeBuffer buffer = Frames.buffer(Frames.ICMP_ECHO_REQUEST);
        ip.wrap(buffer, EthernetHeader.HEADER_LENGTH);
        assertEquals(63, ip.decrementTtl());
        assertEquals(63, ip.ttl());
        assertTrue(ip.verifyChecksum());
    }

    @Test
    void arpRequestAndReply()
    {
        // "Who has 10.0.0.1? Tell 10.0.0.2", as sent by a host with MAC 02:00:00:00:00:02.
        final UnsafeBuffer buffer = Frames.buffer(
            "ffffffffffff020000000002" + "0806" +
            "0001" + "0800" + "06" + "04" + "0001" +
            "020000000002" + "0a000002" + "000000000000" + "0a000001");
        ethernet.wrap(buffer, 0);
        assertEquals(MacAddress.BROADCAST, ethernet.destination());
        assertEquals(EthernetHeader.ETHER_TYPE_ARP, ethernet.etherType());

        arp.wrap(buffer, ethernet.payloadOffset());
        assertTrue(arp.isIpv4OverEthernet());
        assertEquals(ArpPacket.OPERATION_REQUEST, arp.operation());
        assertEquals(0x020000000002L, arp.senderHardwareAddress());
        assertEquals(0x0A000002, arp.senderProtocolAddress());
        assertEquals(0L, arp.targetHardwareAddress());
        assertEquals(0x0A000001, arp.targetProtocolAddress());

        final UnsafeBuffer built = new UnsafeBuffer(new byte[42]);
        ethernet.wrap(built, 0).destination(MacAddress.BROADCAST).source(0x020000000002L)
            .etherType(EthernetHeader.ETHER_TYPE_ARP);
        arp.wrap(built, EthernetHeader.HEADER_LENGTH).request(0x020000000002L, 0x0A000002, 0x0A000001);
        assertArrayEquals(buffer.byteArray(), built.byteArray());

        arp.reply(0x020000000001L, 0x0A000001, 0x020000000002L, 0x0A000002);
        assertEquals(ArpPacket.OPERATION_REPLY, arp.operation());
        assertEquals(0x020000000002L, arp.targetHardwareAddress());

        buffer.putByte(ethernet.payloadOffset() + ArpPacket.HARDWARE_LENGTH_OFFSET, (byte)8);
        arp.wrap(buffer, ethernet.payloadOffset());
        assertFalse(arp.isIpv4OverEthernet());
    }

    @Test
    void tcpSynHeader()
    {
        // A SYN 10.0.0.2:45678 -> 10.0.0.1:80 with an MSS option (data offset 6).
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[24]);
        tcp.wrap(buffer, 0)
            .sourcePort(45678)
            .destinationPort(80)
            .sequenceNumber(0xDEADBEEF)
            .acknowledgmentNumber(0)
            .dataOffsetAndFlags(6, TcpHeader.FLAG_SYN | TcpHeader.FLAG_NS)
            .window(64240)
            .urgentPointer(0);
        buffer.putInt(20, 0x020405B4, java.nio.ByteOrder.BIG_ENDIAN);
        tcp.computeChecksum(0x0A000002, 0x0A000001, 24);

        assertEquals(45678, tcp.sourcePort());
        assertEquals(80, tcp.destinationPort());
        assertEquals(0xDEADBEEF, tcp.sequenceNumber());
        assertEquals(6, tcp.dataOffset());
        assertEquals(24, tcp.headerLength());
        assertEquals(24, tcp.payloadOffset());
        assertTrue(tcp.hasFlags(TcpHeader.FLAG_SYN));
        assertTrue(tcp.hasFlags(TcpHeader.FLAG_NS));
        assertFalse(tcp.hasFlags(TcpHeader.FLAG_ACK));
        assertEquals(64240, tcp.window());
        assertTrue(tcp.verifyChecksum(0x0A000002, 0x0A000001, 24));
        assertEquals(referenceTcpChecksum(buffer.byteArray(), 0x0A000002, 0x0A000001), tcp.checksum());
        assertFalse(tcp.verifyChecksum(0x0A000003, 0x0A000001, 24));
    }

    @Test
    void buildsAnIcmpEchoRequest()
    {
        final byte[] data = "ping".getBytes(StandardCharsets.US_ASCII);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[EthernetHeader.HEADER_LENGTH + 20 + 8 + data.length]);
        ethernet.wrap(buffer, 0).destination(0x020000000001L).source(0x020000000002L)
            .etherType(EthernetHeader.ETHER_TYPE_IPV4);
        ip.wrap(buffer, ethernet.payloadOffset())
            .writeHeader(0x0A000002, 0x0A000001, Ipv4Header.PROTOCOL_ICMP, 64, 8 + data.length, 7);
        icmp.wrap(buffer, ip.payloadOffset()).type(IcmpEcho.TYPE_ECHO_REQUEST).code(0).identifier(1).sequence(2);
        buffer.putBytes(icmp.dataOffset(), data);
        icmp.computeChecksum(8 + data.length);

        assertTrue(ip.verifyChecksum());
        assertTrue(icmp.verifyChecksum(ip.payloadLength()));
        assertEquals(8 + data.length, ip.payloadLength());
    }

    private static int referenceTcpChecksum(final byte[] segment, final int source, final int destination)
    {
        final byte[] all = new byte[12 + segment.length];
        final UnsafeBuffer pseudo = new UnsafeBuffer(all);
        pseudo.putInt(0, source, java.nio.ByteOrder.BIG_ENDIAN);
        pseudo.putInt(4, destination, java.nio.ByteOrder.BIG_ENDIAN);
        pseudo.putByte(9, (byte)6);
        pseudo.putShort(10, (short)segment.length, java.nio.ByteOrder.BIG_ENDIAN);
        System.arraycopy(segment, 0, all, 12, segment.length);
        all[12 + 16] = 0;
        all[12 + 17] = 0;
        return ~InternetChecksumTest.referenceSum(all) & 0xFFFF;
    }
}
