package io.nicq.net;

import io.nicq.packet.EthernetHeader;
import io.nicq.packet.Ipv4Address;
import io.nicq.packet.Ipv4Header;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.function.Consumer;

import static io.nicq.packet.Ipv4Address.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;

class Ipv4InputTest
{
    private static final int HOST = parse("10.0.0.1");
    private static final int PEER = parse("10.0.0.2");
    private static final int IP = TestPackets.FRAME + EthernetHeader.HEADER_LENGTH;

    private final Ipv4Link link = new Ipv4Link(HOST, 24, 0);
    private final Ipv4Header ip = new Ipv4Header();

    @Test
    void aWellFormedDatagramForThisHostIsAccepted()
    {
        assertEquals(Ipv4Verdict.ACCEPTED, check(packet(0), 28, ip -> { }));
        assertEquals(Ipv4Verdict.ACCEPTED, check(packet(2), 36, ip -> { }), "with options");
        assertEquals(Ipv4Verdict.ACCEPTED, check(packet(0), 46, ip -> { }), "padded to 60 bytes");
        assertEquals(Ipv4Verdict.ACCEPTED, check(packet(0), 28, ip -> ip.destination(Ipv4Address.BROADCAST)));
        assertEquals(Ipv4Verdict.ACCEPTED, check(packet(0), 28, ip -> ip.destination(parse("10.0.0.255"))));
        assertEquals(Ipv4Verdict.ACCEPTED, check(packet(0), 28, ip -> ip.ttl(1)), "TTL 1 is a host's to keep");
    }

    @Test
    void everyCheckHasItsVerdict()
    {
        assertEquals(Ipv4Verdict.TRUNCATED, check(packet(0), 19, ip -> { }));
        assertEquals(Ipv4Verdict.BAD_VERSION, check(packet(0), 28, ip -> ip.buffer().putByte(ip.offset(), (byte)0x65)));
        assertEquals(Ipv4Verdict.BAD_IHL, check(packet(0), 28, ip -> ip.versionAndIhl(4)));
        assertEquals(Ipv4Verdict.TRUNCATED, check(packet(0), 28, ip -> ip.versionAndIhl(8)));
        assertEquals(Ipv4Verdict.BAD_TOTAL_LENGTH, check(packet(0), 28, ip -> ip.totalLength(29)));
        assertEquals(Ipv4Verdict.BAD_TOTAL_LENGTH, check(packet(0), 28, ip -> ip.totalLength(19)));
        assertEquals(Ipv4Verdict.NOT_FOR_THIS_HOST, check(packet(0), 28, ip -> ip.destination(PEER)));
        assertEquals(Ipv4Verdict.NOT_FOR_THIS_HOST, check(packet(0), 28, ip -> ip.destination(parse("239.1.1.1"))));
        assertEquals(Ipv4Verdict.TTL_EXPIRED, check(packet(0), 28, ip -> ip.ttl(0)));
        assertEquals(Ipv4Verdict.FRAGMENT,
            check(packet(0), 28, ip -> ip.flagsAndFragmentOffset(Ipv4Header.FLAG_MORE_FRAGMENTS, 0)));
        assertEquals(Ipv4Verdict.FRAGMENT, check(packet(0), 28, ip -> ip.flagsAndFragmentOffset(0, 185)));

        final UnsafeBuffer corrupt = packet(0);
        ip.wrap(corrupt, IP).checksum(ip.checksum() ^ 0x0101);
        assertEquals(Ipv4Verdict.BAD_CHECKSUM, Ipv4Input.check(ip.wrap(corrupt, IP), 28, link));
    }

    @Test
    void aPointToPointLinkAcceptsItsOwnAddressNotItsPeers()
    {
        final Ipv4Link pointToPoint = new Ipv4Link(parse("10.0.0.0"), 31, 0);
        final UnsafeBuffer packet = packet(0);
        ip.wrap(packet, IP).destination(parse("10.0.0.1")).computeChecksum();
        assertEquals(Ipv4Verdict.NOT_FOR_THIS_HOST, Ipv4Input.check(ip.wrap(packet, IP), 28, pointToPoint));
        ip.wrap(packet, IP).destination(parse("10.0.0.0")).computeChecksum();
        assertEquals(Ipv4Verdict.ACCEPTED, Ipv4Input.check(ip.wrap(packet, IP), 28, pointToPoint));
    }

    private static UnsafeBuffer packet(final int optionWords)
    {
        final UnsafeBuffer pool = TestPackets.pool();
        TestPackets.ipv4(pool, PEER, HOST, Ipv4Header.PROTOCOL_UDP, 64, 8, optionWords);
        return pool;
    }

    /** Changes the packet's header (the checksum then recomputed) and checks it with {@code available} bytes. */
    private Ipv4Verdict check(final UnsafeBuffer packet, final int available, final Consumer<Ipv4Header> change)
    {
        change.accept(ip.wrap(packet, IP));
        if (ip.headerLength() >= Ipv4Header.MIN_HEADER_LENGTH &&
            ip.headerLength() <= Ipv4Header.MAX_HEADER_LENGTH)
        {
            ip.computeChecksum();
        }
        return Ipv4Input.check(ip.wrap(packet, IP), available, link);
    }
}
