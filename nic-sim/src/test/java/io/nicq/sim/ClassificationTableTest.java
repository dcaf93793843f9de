package io.nicq.sim;

import io.nicq.ixgbe.ReceiveAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongFunction;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.nicq.ixgbe.Bar;
import io.nicq.packet.MacAddress;

import static io.nicq.ixgbe.Registers.*;
import static io.nicq.ixgbe.SimulatedCardFiles.*;
import static io.nicq.sim.Filters.*;
import static io.nicq.sim.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * For each filter kind, mask, priority and byte-order case: which RX queue a frame lands in. Each case programs the
 * filter registers of a fresh card as a driver would, injects one frame and looks at which queue received it.
 */
class ClassificationTableTest
{
    private static final long PEER = MacAddress.parse("02:00:00:00:00:ee");
    private static final long SECOND = MacAddress.parse("02:00:00:00:77:77");
    private static final long STRANGER = MacAddress.parse("02:00:00:00:12:34");
    private static final long ALL_HOSTS = MacAddress.parse("01:00:5e:00:00:01");
    private static final int HOST = ip("10.0.0.1");
    private static final int CLIENT = ip("10.0.0.2");
    private static final int OTHER = ip("10.9.9.9");
    private static final int[] QUEUES = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 100};
    private static final int MASK_PORTS_AND_ADDRESSES = MASK_ALL_BUT_PROTOCOL;
    private static final int COMPARE_DST_PORT = MASK_ALL_BUT_PROTOCOL & ~FTQF_MASK_DESTINATION_PORT;

    @TempDir
    Path dir;

    record Case(String name, Consumer<Bar> filters, LongFunction<byte[]> frame, int expectedQueue)
    {
        public String toString()
        {
            return name;
        }
    }

    private static byte[] udp(final long mac, final int sport, final int dport)
    {
        return Frames.udp(mac, PEER, CLIENT, HOST, sport, dport, new byte[32]);
    }

    private static byte[] tcp(final long mac, final int sport, final int dport, final int flags)
    {
        return Frames.tcp(mac, PEER, CLIENT, HOST, sport, dport, flags, new byte[32]);
    }

    static List<Case> cases()
    {
        return List.of(
            new Case("no filter: queue 0", bar -> { }, mac -> udp(mac, 1000, 5000), 0),

            new Case("ethertype PTP to queue 3", bar -> etherType(bar, 0, ETHERTYPE_PTP, true, 3),
                mac -> ethernet(mac, PEER, ETHERTYPE_PTP, new byte[46]), 3),
            new Case("ethertype match without QUEUE_EN decides nothing", bar -> etherType(bar, 0, ETHERTYPE_PTP, false,
                3), mac -> ethernet(mac, PEER, ETHERTYPE_PTP, new byte[46]), 0),
            new Case("ethertype filter not enabled", bar ->
            {
                bar.write(etqf(1), ETHERTYPE_PTP);
                bar.write(etqs(1), ETQS_QUEUE_ENABLE | (3 << ETQS_RX_QUEUE_SHIFT));
            }, mac -> ethernet(mac, PEER, ETHERTYPE_PTP, new byte[46]), 0),
            new Case("ethertype seen through a VLAN tag", bar -> etherType(bar, 7, ETHERTYPE_PTP, true, 3),
                mac -> vlan(mac, PEER, 42, ETHERTYPE_PTP, new byte[46]), 3),
            new Case("ethertype filter beats a 5-tuple filter", bar ->
            {
                etherType(bar, 0, ETHERTYPE_IPV4, true, 2);
                fiveTuple(bar, 0, FTQF_PROTOCOL_UDP, 0, 0, 0, 5000, COMPARE_DST_PORT, 7, 4);
            }, mac -> udp(mac, 1000, 5000), 2),

            new Case("UDP destination port", bar -> fiveTuple(bar, 0, FTQF_PROTOCOL_UDP, 0, 0, 0, 5000,
                COMPARE_DST_PORT, 1, 4), mac -> udp(mac, 1000, 5000), 4),
            new Case("UDP destination port, other port", bar -> fiveTuple(bar, 0, FTQF_PROTOCOL_UDP, 0, 0, 0, 5000,
                COMPARE_DST_PORT, 1, 4), mac -> udp(mac, 1000, 5001), 0),
            new Case("UDP filter, TCP frame: protocol differs", bar -> fiveTuple(bar, 0, FTQF_PROTOCOL_UDP, 0, 0, 0,
                5000, COMPARE_DST_PORT, 1, 4), mac -> tcp(mac, 1000, 5000, TCP_ACK), 0),
            new Case("protocol masked: TCP frame matches", bar -> fiveTuple(bar, 0, FTQF_PROTOCOL_UDP, 0, 0, 0, 5000,
                COMPARE_DST_PORT | FTQF_MASK_PROTOCOL, 1, 4), mac -> tcp(mac, 1000, 5000, TCP_ACK), 4),
            new Case("source port", bar -> fiveTuple(bar, 0, FTQF_PROTOCOL_UDP, 0, 0, 1000, 0,
                MASK_ALL_BUT_PROTOCOL & ~FTQF_MASK_SOURCE_PORT, 1, 5), mac -> udp(mac, 1000, 5000), 5),
            new Case("destination address, register in network order", bar -> fiveTuple(bar, 0, FTQF_PROTOCOL_UDP,
                0, HOST, 0, 0, MASK_ALL_BUT_PROTOCOL & ~FTQF_MASK_DESTINATION_ADDRESS, 1, 5),
                mac -> udp(mac, 1000, 5000), 5),
            new Case("destination address written in host order does not match", bar -> fiveTupleRaw(bar, 0,
                FTQF_PROTOCOL_UDP, 0, HOST, 0, MASK_ALL_BUT_PROTOCOL & ~FTQF_MASK_DESTINATION_ADDRESS, 1, 5),
                mac -> udp(mac, 1000, 5000), 0),
            new Case("source address", bar -> fiveTuple(bar, 0, FTQF_PROTOCOL_UDP, CLIENT, 0, 0, 0,
                MASK_ALL_BUT_PROTOCOL & ~FTQF_MASK_SOURCE_ADDRESS, 1, 6), mac -> udp(mac, 1000, 5000), 6),
            new Case("destination port written in host order does not match", bar -> fiveTupleRaw(bar, 0,
                FTQF_PROTOCOL_UDP, 0, 0, 5000 << 16, COMPARE_DST_PORT, 1, 4), mac -> udp(mac, 1000, 5000), 0),
            new Case("full 5-tuple", bar -> fiveTuple(bar, 0, FTQF_PROTOCOL_TCP, CLIENT, HOST, 1000, 5000, 0, 1, 7),
                mac -> tcp(mac, 1000, 5000, TCP_ACK), 7),
            new Case("full 5-tuple, one field differs", bar -> fiveTuple(bar, 0, FTQF_PROTOCOL_TCP, OTHER, HOST, 1000,
                5000, 0, 1, 7), mac -> tcp(mac, 1000, 5000, TCP_ACK), 0),
            new Case("higher priority wins over lower index", bar ->
            {
                fiveTuple(bar, 0, FTQF_PROTOCOL_UDP, 0, 0, 0, 5000, COMPARE_DST_PORT, 1, 4);
                fiveTuple(bar, 9, FTQF_PROTOCOL_UDP, CLIENT, 0, 0, 0, MASK_ALL_BUT_PROTOCOL &
                    ~FTQF_MASK_SOURCE_ADDRESS, 5, 6);
            }, mac -> udp(mac, 1000, 5000), 6),
            new Case("equal priority: lower index wins", bar ->
            {
                fiveTuple(bar, 9, FTQF_PROTOCOL_UDP, CLIENT, 0, 0, 0, MASK_ALL_BUT_PROTOCOL &
                    ~FTQF_MASK_SOURCE_ADDRESS, 3, 6);
                fiveTuple(bar, 2, FTQF_PROTOCOL_UDP, 0, 0, 0, 5000, COMPARE_DST_PORT, 3, 4);
            }, mac -> udp(mac, 1000, 5000), 4),
            new Case("a port filter never matches a fragment", bar -> fiveTuple(bar, 0, FTQF_PROTOCOL_UDP, 0, 0, 0,
                5000, COMPARE_DST_PORT, 1, 4), mac -> ipv4Frame(mac, PEER, CLIENT, HOST, IPPROTO_UDP,
                IP_MORE_FRAGMENTS, udpHeader(1000, 5000)), 0),
            new Case("an address filter matches a fragment", bar -> fiveTuple(bar, 0, FTQF_PROTOCOL_UDP, 0, HOST, 0,
                0, MASK_ALL_BUT_PROTOCOL & ~FTQF_MASK_DESTINATION_ADDRESS, 1, 4), mac -> ipv4Frame(mac, PEER, CLIENT,
                HOST, IPPROTO_UDP, IP_MORE_FRAGMENTS, udpHeader(1000, 5000)), 4),
            new Case("protocol 'other' matches ICMP", bar -> fiveTuple(bar, 0, FTQF_PROTOCOL_OTHER, 0, 0, 0, 0,
                MASK_PORTS_AND_ADDRESSES, 1, 8), mac -> icmpEcho(mac, PEER, CLIENT, HOST, 1, 1, new byte[32]), 8),
            new Case("queue of the upper bank (100)", bar -> fiveTuple(bar, 127, FTQF_PROTOCOL_UDP, 0, 0, 0, 5000,
                COMPARE_DST_PORT, 1, 100), mac -> udp(mac, 1000, 5000), 100),
            new Case("5-tuple filter not enabled", bar ->
            {
                fiveTuple(bar, 0, FTQF_PROTOCOL_UDP, 0, 0, 0, 5000, COMPARE_DST_PORT, 1, 4);
                bar.write(ftqf(0), bar.read(ftqf(0)) & ~FTQF_QUEUE_ENABLE);
            }, mac -> udp(mac, 1000, 5000), 0),
            new Case("non-IPv4 frame skips the 5-tuple filters", bar -> fiveTuple(bar, 0, FTQF_PROTOCOL_OTHER, 0, 0,
                0, 0, MASK_ALL_BUT_PROTOCOL | FTQF_MASK_PROTOCOL, 1, 8),
                mac -> ethernet(mac, PEER, ETHERTYPE_ARP, new byte[46]), 0),

            new Case("SYN filter", bar -> syn(bar, 9, false), mac -> tcp(mac, 1000, 80, TCP_SYN), 9),
            new Case("SYN filter ignores segments without SYN", bar -> syn(bar, 9, false),
                mac -> tcp(mac, 1000, 80, TCP_ACK), 0),
            new Case("5-tuple before SYN filter by default", bar ->
            {
                syn(bar, 9, false);
                fiveTuple(bar, 0, FTQF_PROTOCOL_TCP, 0, 0, 0, 80, COMPARE_DST_PORT, 1, 10);
            }, mac -> tcp(mac, 1000, 80, TCP_SYN), 10),
            new Case("SYN filter first with SYNQFP", bar ->
            {
                syn(bar, 9, true);
                fiveTuple(bar, 0, FTQF_PROTOCOL_TCP, 0, 0, 0, 80, COMPARE_DST_PORT, 1, 10);
            }, mac -> tcp(mac, 1000, 80, TCP_SYN), 9),

            new Case("RSS spreads TCP by the Toeplitz hash", bar -> rss(bar, MRQC_RSS_FIELD_IPV4_TCP |
                MRQC_RSS_FIELD_IPV4), mac -> msTcp(mac), 8),
            new Case("RSS over addresses only when UDP hashing is off", bar -> rss(bar, MRQC_RSS_FIELD_IPV4_TCP |
                MRQC_RSS_FIELD_IPV4), mac -> msUdp(mac), 2),
            new Case("5-tuple filter before RSS", bar ->
            {
                rss(bar, MRQC_RSS_FIELD_IPV4_TCP | MRQC_RSS_FIELD_IPV4);
                fiveTuple(bar, 0, FTQF_PROTOCOL_TCP, 0, 0, 0, 1766, COMPARE_DST_PORT, 1, 11);
            }, mac -> msTcp(mac), 11));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void frameLandsInTheExpectedQueue(final Case c)
    {
        try (CardFixture f = CardFixture.memory(dir, "classify"))
        {
            for (final int q : QUEUES)
            {
                f.driver.startRx(q, 8);
            }
            c.filters().accept(f.driver.bar);
            f.settle();
            assertTrue(f.wire().inject(c.frame().apply(f.card.mac())));
            f.settle();
            assertEquals(c.expectedQueue(), receivingQueue(f), c.name());
        }
    }

    @Test
    void rssHashIsTheToeplitzHashOfTheVerificationSuite()
    {
        try (CardFixture f = CardFixture.memory(dir, "rss"))
        {
            for (final int q : QUEUES)
            {
                f.driver.startRx(q, 8);
            }
            rss(f.driver.bar, MRQC_RSS_FIELD_IPV4_TCP | MRQC_RSS_FIELD_IPV4);
            f.settle();
            f.wire().inject(msTcp(f.card.mac()));
            f.wire().inject(msUdp(f.card.mac()));
            f.settle();
            assertNotNull(f.driver.rx[8].poll());
            assertEquals(0x51ccc178, f.driver.rx[8].lastRssOrTime, "TCP/IPv4 hash of the verification suite");
            assertEquals(Classifier.RSS_TYPE_TCP_IPV4, f.driver.rx[8].lastPacketInfo & 0xF);
            assertNotNull(f.driver.rx[2].poll());
            assertEquals(0x323e8fc2, f.driver.rx[2].lastRssOrTime, "IPv4 hash of the verification suite");
            assertEquals(Classifier.RSS_TYPE_IPV4, f.driver.rx[2].lastPacketInfo & 0xF);
        }
    }

    @Test
    void macFilterPassesOwnAddressBroadcastWithBamAndNothingElse()
    {
        try (CardFixture f = CardFixture.memory(dir, "mac"))
        {
            f.driver.startRx(0, 16);
            f.driver.bar.write(FCTRL, 0);
            f.settle();
            f.wire().inject(udp(f.card.mac(), 1, 2));
            f.wire().inject(udp(SECOND, 1, 2));
            f.wire().inject(udp(BROADCAST, 1, 2));
            f.wire().inject(udp(ALL_HOSTS, 1, 2));
            f.settle();
            assertEquals(1, f.status(rxQueueFramesOffset(0)));
            assertEquals(3, f.status(L2_FILTERED_OFFSET));

            f.driver.bar.write(FCTRL, FCTRL_BAM);
            f.driver.bar.write(ral(3), ReceiveAddress.ral(SECOND));
            f.driver.bar.write(rah(3), ReceiveAddress.rahAddress(SECOND) | RAH_AV);
            f.settle();
            f.wire().inject(udp(SECOND, 1, 2));
            f.wire().inject(udp(BROADCAST, 1, 2));
            f.wire().inject(udp(ALL_HOSTS, 1, 2));
            f.settle();
            assertEquals(3, f.status(rxQueueFramesOffset(0)), "second address and broadcast pass");
            assertEquals(4, f.status(L2_FILTERED_OFFSET), "multicast still needs MPE");

            f.driver.bar.write(FCTRL, FCTRL_UPE | FCTRL_MPE);
            f.settle();
            f.wire().inject(udp(STRANGER, 1, 2));
            f.wire().inject(udp(ALL_HOSTS, 1, 2));
            f.settle();
            assertEquals(5, f.status(rxQueueFramesOffset(0)), "promiscuous");
        }
    }

    private static int receivingQueue(final CardFixture f)
    {
        int found = -1;
        for (final int q : QUEUES)
        {
            final long frames = f.status(rxQueueFramesOffset(q));
            if (frames > 0)
            {
                assertEquals(-1, found, "frame counted in queues " + found + " and " + q);
                assertEquals(1, frames);
                found = q;
            }
        }
        assertNotEquals(-1, found, "the frame reached no queue (L2 filtered " + f.status(L2_FILTERED_OFFSET) +
            ", drops " + f.status(rxQueueDropsOffset(0)) + ")");
        return found;
    }

    /** The verification suite's first IPv4 case: 66.9.149.187:2794 to 161.142.100.80:1766. */
    private static byte[] msTcp(final long mac)
    {
        return Frames.tcp(mac, PEER, ip("66.9.149.187"), ip("161.142.100.80"), 2794, 1766, TCP_ACK, new byte[16]);
    }

    private static byte[] msUdp(final long mac)
    {
        return Frames.udp(mac, PEER, ip("66.9.149.187"), ip("161.142.100.80"), 2794, 1766, new byte[16]);
    }

    private static byte[] udpHeader(final int sport, final int dport)
    {
        return new byte[]{(byte)(sport >> 8), (byte)sport, (byte)(dport >> 8), (byte)dport, 0, 8, 0, 0, 1, 2, 3, 4,
            5, 6, 7, 8};
    }
}
