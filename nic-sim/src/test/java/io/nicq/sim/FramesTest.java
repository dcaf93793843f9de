package io.nicq.sim;

import java.util.Arrays;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.nicq.packet.EthernetHeader;
import io.nicq.packet.IcmpEcho;
import io.nicq.packet.Ipv4Header;
import io.nicq.packet.MacAddress;
import io.nicq.packet.TcpHeader;
import io.nicq.packet.UdpHeader;

import static org.junit.jupiter.api.Assertions.*;

/** Frames as the rest of nicq parses them: addresses in wire order, lengths and checksums that verify. */
class FramesTest
{
    private static final long DESTINATION = MacAddress.parse("02:11:22:33:44:55");
    private static final long SOURCE = MacAddress.parse("02:00:00:00:00:ee");
    private static final int SOURCE_IP = Frames.ip("10.0.0.2");
    private static final int DESTINATION_IP = Frames.ip("10.0.0.1");
    private static final byte[] PAYLOAD = "seventeen bytes!!".getBytes();

    @Test
    void macAddressesGoOnTheWireFirstOctetFirst()
    {
        final byte[] frame = Frames.ethernet(DESTINATION, SOURCE, Frames.ETHERTYPE_ARP, new byte[46]);
        assertArrayEquals(new byte[]{0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x02, 0, 0, 0, 0, (byte)0xEE, 0x08, 0x06},
            Arrays.copyOf(frame, 14));
    }

    @Test
    void udpLengthsAndChecksumsVerify()
    {
        final UnsafeBuffer frame = new UnsafeBuffer(Frames.udp(DESTINATION, SOURCE, SOURCE_IP, DESTINATION_IP, 1000,
            53, PAYLOAD));
        final Ipv4Header ip = ipv4(frame, Ipv4Header.PROTOCOL_UDP, UdpHeader.HEADER_LENGTH + PAYLOAD.length);
        final UdpHeader udp = new UdpHeader().wrap(frame, ip.payloadOffset());
        assertEquals(1000, udp.sourcePort());
        assertEquals(53, udp.destinationPort());
        assertEquals(UdpHeader.HEADER_LENGTH + PAYLOAD.length, udp.length());
        assertNotEquals(UdpHeader.NO_CHECKSUM, udp.checksum());
        assertTrue(udp.verifyChecksum(SOURCE_IP, DESTINATION_IP));
    }

    @Test
    void tcpFlagsAndChecksumVerify()
    {
        final UnsafeBuffer frame = new UnsafeBuffer(Frames.tcp(DESTINATION, SOURCE, SOURCE_IP, DESTINATION_IP, 40000,
            80, Frames.TCP_SYN | Frames.TCP_ACK, PAYLOAD));
        final int segmentLength = TcpHeader.MIN_HEADER_LENGTH + PAYLOAD.length;
        final Ipv4Header ip = ipv4(frame, Ipv4Header.PROTOCOL_TCP, segmentLength);
        final TcpHeader tcp = new TcpHeader().wrap(frame, ip.payloadOffset());
        assertEquals(40000, tcp.sourcePort());
        assertEquals(80, tcp.destinationPort());
        assertEquals(TcpHeader.MIN_HEADER_LENGTH, tcp.headerLength());
        assertEquals(TcpHeader.FLAG_SYN | TcpHeader.FLAG_ACK, tcp.flags());
        assertTrue(tcp.verifyChecksum(SOURCE_IP, DESTINATION_IP, segmentLength));
    }

    @Test
    void icmpEchoChecksumVerifies()
    {
        final UnsafeBuffer frame = new UnsafeBuffer(Frames.icmpEcho(DESTINATION, SOURCE, SOURCE_IP, DESTINATION_IP,
            0x4E51, 7, PAYLOAD));
        final int length = IcmpEcho.HEADER_LENGTH + PAYLOAD.length;
        final IcmpEcho icmp = new IcmpEcho().wrap(frame, ipv4(frame, Ipv4Header.PROTOCOL_ICMP, length).payloadOffset());
        assertEquals(IcmpEcho.TYPE_ECHO_REQUEST, icmp.type());
        assertEquals(0x4E51, icmp.identifier());
        assertEquals(7, icmp.sequence());
        assertTrue(icmp.verifyChecksum(length));
    }

    @Test
    void fragmentsCarryTheirFlagsAndOffset()
    {
        final UnsafeBuffer frame = new UnsafeBuffer(Frames.ipv4Frame(DESTINATION, SOURCE, SOURCE_IP, DESTINATION_IP,
            Frames.IPPROTO_UDP, Frames.IP_MORE_FRAGMENTS | 3, PAYLOAD));
        final Ipv4Header ip = ipv4(frame, Ipv4Header.PROTOCOL_UDP, PAYLOAD.length);
        assertTrue(ip.moreFragments());
        assertEquals(3, ip.fragmentOffset());
    }

    @Test
    void aVlanTagSitsBetweenTheAddressesAndTheEthertype()
    {
        final byte[] frame = Frames.vlan(DESTINATION, SOURCE, 0x1042, Frames.ETHERTYPE_PTP, new byte[46]);
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        final EthernetHeader ethernet = new EthernetHeader().wrap(buffer, 0);
        assertEquals(DESTINATION, ethernet.destination());
        assertEquals(SOURCE, ethernet.source());
        assertEquals(Frames.ETHERTYPE_VLAN, ethernet.etherType());
        assertArrayEquals(new byte[]{0x00, 0x42, (byte)0x88, (byte)0xF7}, Arrays.copyOfRange(frame, 14, 18),
            "VLAN ID 0x042 (the low 12 bits), then the ethertype");
    }

    @Test
    void theChecksumOfDataWithItsChecksumIsZero()
    {
        final byte[] header = Arrays.copyOfRange(Frames.udp(DESTINATION, SOURCE, SOURCE_IP, DESTINATION_IP, 1, 2,
            PAYLOAD), 14, 34);
        assertEquals(0, Frames.checksum(header, 0, header.length, 0));
    }

    private static Ipv4Header ipv4(final UnsafeBuffer frame, final int protocol, final int payloadLength)
    {
        final EthernetHeader ethernet = new EthernetHeader().wrap(frame, 0);
        assertEquals(DESTINATION, ethernet.destination());
        assertEquals(SOURCE, ethernet.source());
        assertEquals(Frames.ETHERTYPE_IPV4, ethernet.etherType());
        final Ipv4Header ip = new Ipv4Header().wrap(frame, ethernet.payloadOffset());
        assertEquals(Ipv4Header.VERSION, ip.version());
        assertEquals(Ipv4Header.MIN_HEADER_LENGTH, ip.headerLength());
        assertEquals(protocol, ip.protocol());
        assertEquals(SOURCE_IP, ip.source());
        assertEquals(DESTINATION_IP, ip.destination());
        assertEquals(payloadLength, ip.payloadLength());
        assertEquals(frame.capacity(), EthernetHeader.HEADER_LENGTH + ip.totalLength());
        assertTrue(ip.verifyChecksum());
        return ip;
    }
}
