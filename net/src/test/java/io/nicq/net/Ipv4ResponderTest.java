package io.nicq.net;

import io.nicq.packet.EthernetHeader;
import io.nicq.packet.IcmpEcho;
import io.nicq.packet.Ipv4Address;
import io.nicq.packet.Ipv4Header;
import io.nicq.packet.UdpHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.nicq.packet.Ipv4Address.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv4ResponderTest
{
    private static final int HOST = parse("10.0.0.1");
    private static final int PEER = parse("10.0.0.2");
    private static final int FRAME = TestPackets.FRAME;
    private static final int IP = FRAME + EthernetHeader.HEADER_LENGTH;

    private final Ipv4Link link = new Ipv4Link(HOST, 24, 0);
    private final Ipv4Responder responder = new Ipv4Responder(TestPackets.HOST_MAC, link);

    @Test
    void anEchoRequestBecomesItsReplyInPlace()
    {
        final UnsafeBuffer pool = TestPackets.pool();
        TestPackets.echoRequest(pool, PEER, HOST, "ping data", 0);
        final int replyLength = responder.answerEcho(pool, FRAME);
        assertEquals(14 + 20 + 8 + 9, replyLength, "not padded: the card pads short frames");
        assertEchoReply(pool, "ping data");
    }

    @Test
    void optionsOfAnEchoRequestAreNotEchoed()
    {
        final UnsafeBuffer pool = TestPackets.pool();
        TestPackets.echoRequest(pool, PEER, HOST, "with options", 3);
        final int replyLength = responder.answerEcho(pool, FRAME);
        assertEquals(14 + 20 + 8 + 12, replyLength, "a 20-byte header: the options are gone");
        assertEchoReply(pool, "with options");
    }

    @Test
    void whatIsNotAnEchoRequestToThisHostIsNotAnswered()
    {
        final UnsafeBuffer pool = TestPackets.pool();
        TestPackets.echoRequest(pool, PEER, Ipv4Address.BROADCAST, "anyone?", 0);
        assertEquals(Ipv4Responder.ECHO_NOT_ANSWERED, responder.answerEcho(pool, FRAME), "a broadcast ping");

        TestPackets.echoRequest(pool, PEER, HOST, "reply", 0);
        final IcmpEcho icmp = new IcmpEcho().wrap(pool, IP + 20).type(IcmpEcho.TYPE_ECHO_REPLY);
        icmp.computeChecksum(8 + 5);
        assertEquals(Ipv4Responder.ECHO_NOT_ANSWERED, responder.answerEcho(pool, FRAME), "an echo reply");

        TestPackets.echoRequest(pool, PEER, HOST, "corrupt", 0);
        pool.putByte(IP + 20 + 8, (byte)'C');
        assertEquals(Ipv4Responder.ECHO_BAD_CHECKSUM, responder.answerEcho(pool, FRAME));

        TestPackets.echoRequest(pool, PEER, HOST, "", 0);
        new Ipv4Header().wrap(pool, IP).totalLength(27).computeChecksum();
        assertEquals(Ipv4Responder.ECHO_TRUNCATED, responder.answerEcho(pool, FRAME));
    }

    @Test
    void aDatagramTurnedAroundKeepsItsPayloadBehindAFreshHeader()
    {
        final UnsafeBuffer pool = TestPackets.pool();
        final int udpOffset = TestPackets.udp(pool, PEER, HOST, "echo me", 2);
        assertEquals(IP + 28, udpOffset);
        final int replyOffset = responder.turnAround(pool, FRAME, UdpHeader.HEADER_LENGTH + 7);
        assertEquals(IP + 20, replyOffset);
        assertEquals("echo me", pool.getStringWithoutLengthAscii(replyOffset + 8, 7));
        final EthernetHeader ethernet = new EthernetHeader().wrap(pool, FRAME);
        assertEquals(TestPackets.PEER_MAC, ethernet.destination());
        assertEquals(TestPackets.HOST_MAC, ethernet.source());

        assertEquals(14 + 20 + 15, responder.writeHeader(pool, FRAME, PEER, Ipv4Header.PROTOCOL_UDP, 15));
        final Ipv4Header ip = new Ipv4Header().wrap(pool, IP);
        assertEquals(5, ip.ihl());
        assertEquals(HOST, ip.source());
        assertEquals(PEER, ip.destination());
        assertEquals(35, ip.totalLength());
        assertEquals(Ipv4Header.DEFAULT_TTL, ip.ttl());
        assertTrue(ip.dontFragment());
        assertTrue(ip.verifyChecksum());
    }

    @Test
    void everyDatagramHasANewIdentification()
    {
        final UnsafeBuffer pool = TestPackets.pool();
        final Ipv4Header ip = new Ipv4Header().wrap(pool, IP);
        responder.writeHeader(pool, FRAME, PEER, Ipv4Header.PROTOCOL_UDP, 0);
        final int first = ip.identification();
        responder.writeHeader(pool, FRAME, PEER, Ipv4Header.PROTOCOL_UDP, 0);
        assertNotEquals(first, ip.identification());
        assertEquals((first + 1) & 0xFFFF, ip.identification());
    }

    private static void assertEchoReply(final UnsafeBuffer pool, final String data)
    {
        final EthernetHeader ethernet = new EthernetHeader().wrap(pool, FRAME);
        assertEquals(TestPackets.PEER_MAC, ethernet.destination());
        assertEquals(TestPackets.HOST_MAC, ethernet.source());
        final Ipv4Header ip = new Ipv4Header().wrap(pool, IP);
        assertEquals(5, ip.ihl());
        assertTrue(ip.verifyChecksum(), "IPv4 header checksum");
        assertEquals(HOST, ip.source());
        assertEquals(PEER, ip.destination());
        assertEquals(Ipv4Header.PROTOCOL_ICMP, ip.protocol());
        assertEquals(Ipv4Header.DEFAULT_TTL, ip.ttl());
        assertEquals(20 + 8 + data.length(), ip.totalLength());
        final IcmpEcho icmp = new IcmpEcho().wrap(pool, IP + 20);
        assertEquals(IcmpEcho.TYPE_ECHO_REPLY, icmp.type());
        assertEquals(0x1234, icmp.identifier());
        assertEquals(7, icmp.sequence());
        assertTrue(icmp.verifyChecksum(8 + data.length()), "ICMP checksum");
        assertEquals(data, pool.getStringWithoutLengthAscii(icmp.dataOffset(), data.length()));
    }
}
