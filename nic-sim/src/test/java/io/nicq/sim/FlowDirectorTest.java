package io.nicq.sim;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.FlowDirectorFields;
import io.nicq.ixgbe.RxDescriptor;
import io.nicq.packet.MacAddress;

import static io.nicq.ixgbe.Registers.*;
import static io.nicq.ixgbe.SimulatedCardFiles.*;
import static io.nicq.sim.Filters.*;
import static io.nicq.sim.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The simulated card's flow director in perfect-match mode, at the register level: initialisation and the packet
 * buffer it takes, add, duplicate, full table, remove and query through FDIRCMD with their counters, collision chains,
 * masks, and its place in the classification order (7.1.2: ethertype, 5-tuple, SYN, flow director, RSS).
 */
class FlowDirectorTest
{
    private static final long PEER = MacAddress.parse("02:00:00:00:00:ee");
    private static final int HOST = ip("10.0.0.1");
    private static final int CLIENT = ip("10.0.0.2");
    private static final int TCP = FDIR_FLOW_TYPE_TCPV4;
    private static final int UDP = FDIR_FLOW_TYPE_UDPV4;
    private static final int P256 = FDIRCTRL_PBALLOC_256K;

    @TempDir
    Path dir;

    private CardFixture card(final String name, final int pballoc, final boolean compareSource)
    {
        final CardFixture f = CardFixture.memory(dir, name);
        for (int q = 0; q < 8; q++)
        {
            f.driver.startRx(q, 64);
        }
        flowDirectorInit(f.driver.bar, pballoc, compareSource);
        f.driver.awaitSet(FDIRCTRL, FDIRCTRL_INIT_DONE, "FDIRCTRL.INIT_DONE");
        return f;
    }

    private static void addTcp(final CardFixture f, final int swIndex, final int sourcePort, final int queue)
    {
        final Bar bar = f.driver.bar;
        final int bucket = flowDirectorBucket(P256, TCP, CLIENT, HOST, sourcePort, 80);
        flowDirectorCommand(bar, bucket, swIndex, CLIENT, HOST, sourcePort, 80,
            FlowDirectorFields.addCommand(TCP, queue, false));
        f.driver.awaitClear(FDIRCMD, FDIRCMD_CMD_MASK, "FDIRCMD.CMD self-clears");
    }

    private static byte[] tcp(final CardFixture f, final int sourcePort, final int destinationPort, final int flags)
    {
        return Frames.tcp(f.card.mac(), PEER, CLIENT, HOST, sourcePort, destinationPort, flags, new byte[16]);
    }

    private static long frames(final CardFixture f, final int queue)
    {
        return f.status(rxQueueFramesOffset(queue));
    }

    private static void deliver(final CardFixture f, final byte[] frame)
    {
        assertTrue(f.wire().inject(frame));
        f.settle();
    }

    @Test
    void initialisationSetsInitDoneAndTakesThePacketBuffer()
    {
        try (CardFixture f = CardFixture.memory(dir, "init"))
        {
            final Bar bar = f.driver.bar;
            assertEquals(0, bar.read(FDIRCTRL) & FDIRCTRL_INIT_DONE, "off after reset");
            // The driver left RXPBSIZE(0) at its reset value, the whole 512 KiB: the table overlaps it.
            bar.write(rxpbsize(0), 512 * 1024);
            bar.write(FDIRCTRL, P256 | FDIRCTRL_PERFECT_MATCH);
            f.driver.awaitSet(FDIRCTRL, FDIRCTRL_INIT_DONE, "FDIRCTRL.INIT_DONE");
            assertEquals(8192, bar.read(FDIRFREE) & FDIRFREE_FREE_MASK);
            assertEquals(1, f.status(FDIR_PACKET_BUFFER_OVERLAPS_OFFSET), "an overlapping RXPBSIZE is counted");
            assertEquals(256 * 1024, f.status(RX_PACKET_BUFFER_BYTES_OFFSET), "TC 0 keeps what the table leaves");

            // Re-initialised with the buffer reduced first (DPDK's order): 2K filters, 448 KiB left to TC 0.
            bar.write(rxpbsize(0), 448 * 1024);
            bar.write(FDIRCTRL, FDIRCTRL_PBALLOC_64K | FDIRCTRL_PERFECT_MATCH);
            f.driver.awaitSet(FDIRCTRL, FDIRCTRL_INIT_DONE, "FDIRCTRL.INIT_DONE");
            assertEquals(2048, bar.read(FDIRFREE) & FDIRFREE_FREE_MASK);
            assertEquals(1, f.status(FDIR_PACKET_BUFFER_OVERLAPS_OFFSET));
            assertEquals(448 * 1024, f.status(RX_PACKET_BUFFER_BYTES_OFFSET));

            bar.write(FDIRCTRL, 0);
            f.settle();
            assertEquals(0, bar.read(FDIRFREE) & FDIRFREE_FREE_MASK, "off: no table");
        }
    }

    @Test
    void addedFilterSteersItsFlowAndCountsAreClearOnRead()
    {
        try (CardFixture f = card("add", P256, true))
        {
            final Bar bar = f.driver.bar;
            addTcp(f, 1, 40000, 5);
            assertEquals(8191, bar.read(FDIRFREE) & FDIRFREE_FREE_MASK);
            assertEquals(1, bar.read(FDIRUSTAT) & 0xFFFF, "one add");
            assertEquals(0, bar.read(FDIRUSTAT), "FDIRUSTAT is clear on read");

            deliver(f, tcp(f, 40000, 80, TCP_ACK));
            deliver(f, tcp(f, 40001, 80, TCP_ACK));
            assertEquals(1, frames(f, 5), "the filter's flow");
            assertEquals(1, frames(f, 0), "another source port: no match, queue 0");
            assertEquals(1, bar.read(FDIRMATCH));
            assertEquals(1, bar.read(FDIRMISS));
            assertEquals(0, bar.read(FDIRMATCH), "clear on read");
            assertEquals(0, bar.read(FDIRMISS), "clear on read");
        }
    }

    @Test
    void duplicateFailsUnlessUpdateAndFullTableFails()
    {
        try (CardFixture f = card("dup", FDIRCTRL_PBALLOC_64K, true))
        {
            final Bar bar = f.driver.bar;
            final int bucket = flowDirectorBucket(FDIRCTRL_PBALLOC_64K, TCP, CLIENT, HOST, 40000, 80);
            flowDirectorCommand(bar, bucket, 1, CLIENT, HOST, 40000, 80, FlowDirectorFields.addCommand(TCP, 5, false));
            f.driver.awaitClear(FDIRCMD, FDIRCMD_CMD_MASK, "add");
            flowDirectorCommand(bar, bucket, 2, CLIENT, HOST, 40000, 80, FlowDirectorFields.addCommand(TCP, 6, false));
            f.driver.awaitClear(FDIRCMD, FDIRCMD_CMD_MASK, "duplicate add");
            assertEquals(1, bar.read(FDIRFSTAT) & FDIRFSTAT_FADD_MASK, "the duplicate is a failed add");
            assertEquals(2047, bar.read(FDIRFREE) & FDIRFREE_FREE_MASK, "and took no entry");
            deliver(f, tcp(f, 40000, 80, TCP_ACK));
            assertEquals(1, frames(f, 5));

            flowDirectorCommand(bar, bucket, 2, CLIENT, HOST, 40000, 80, FlowDirectorFields.addCommand(TCP, 6, true));
            f.driver.awaitClear(FDIRCMD, FDIRCMD_CMD_MASK, "update");
            deliver(f, tcp(f, 40000, 80, TCP_ACK));
            assertEquals(1, frames(f, 6), "FILTER_UPDATE moved the flow");

            for (int port = 1; port < 2048; port++)
            {
                final int b = flowDirectorBucket(FDIRCTRL_PBALLOC_64K, UDP, CLIENT, HOST, port, 7);
                flowDirectorCommand(bar, b, port, CLIENT, HOST, port, 7, FlowDirectorFields.addCommand(UDP, 3, false));
                f.driver.awaitClear(FDIRCMD, FDIRCMD_CMD_MASK, "add " + port);
            }
            assertEquals(0, bar.read(FDIRFREE) & FDIRFREE_FREE_MASK, "2K perfect-match filters with PBALLOC 64K");
            assertEquals(0, bar.read(FDIRFSTAT) & FDIRFSTAT_FADD_MASK);
            final int b = flowDirectorBucket(FDIRCTRL_PBALLOC_64K, UDP, CLIENT, HOST, 3000, 7);
            flowDirectorCommand(bar, b, 3000, CLIENT, HOST, 3000, 7, FlowDirectorFields.addCommand(UDP, 3, false));
            f.driver.awaitClear(FDIRCMD, FDIRCMD_CMD_MASK, "add to a full table");
            assertEquals(1, bar.read(FDIRFSTAT) & FDIRFSTAT_FADD_MASK, "a full table fails the add");
            deliver(f, Frames.udp(f.card.mac(), PEER, CLIENT, HOST, 2047, 7, new byte[8]));
            assertEquals(1, frames(f, 3));
        }
    }

    @Test
    void wrongBucketHashNeverMatches()
    {
        try (CardFixture f = card("wrong-hash", P256, true))
        {
            final Bar bar = f.driver.bar;
            final int bucket = flowDirectorBucket(P256, TCP, CLIENT, HOST, 40000, 80);
            flowDirectorCommand(bar, bucket ^ 1, 1, CLIENT, HOST, 40000, 80, FlowDirectorFields.addCommand(TCP, 5,
                false));
            f.driver.awaitClear(FDIRCMD, FDIRCMD_CMD_MASK, "add");
            deliver(f, tcp(f, 40000, 80, TCP_ACK));
            assertEquals(0, frames(f, 5), "the device trusts FDIRHASH: the filter is where no frame looks");
            assertEquals(1, frames(f, 0));
        }
    }

    @Test
    void collisionsChainInOneBucketAndRemoveAndQueryUseTheSwIndex()
    {
        try (CardFixture f = card("collide", P256, true))
        {
            final Bar bar = f.driver.bar;
            final int first = flowDirectorBucket(P256, TCP, CLIENT, HOST, 1024, 80);
            final int[] ports = new int[3];
            ports[0] = 1024;
            int found = 1;
            for (int port = 1025; port < 65536 && found < ports.length; port++)
            {
                if (flowDirectorBucket(P256, TCP, CLIENT, HOST, port, 80) == first)
                {
                    ports[found++] = port;
                }
            }
            assertEquals(ports.length, found, "three source ports whose flows share a bucket");
            for (int i = 0; i < ports.length; i++)
            {
                addTcp(f, 10 + i, ports[i], 1 + i);
            }
            assertEquals(2, (bar.read(FDIRFREE) & FDIRFREE_COLL_MASK) >>> FDIRFREE_COLL_SHIFT, "two collisions");
            final int length = bar.read(FDIRLEN);
            assertEquals(3, length & FDIRLEN_MAXLEN_MASK, "the longest chain");
            assertEquals(first, (length & FDIRLEN_MAXHASH_MASK) >>> FDIRLEN_MAXHASH_SHIFT, "and its bucket");
            for (int i = 0; i < ports.length; i++)
            {
                deliver(f, tcp(f, ports[i], 80, TCP_ACK));
                assertEquals(1, frames(f, 1 + i), "flow " + i + " of the chain");
            }

            // Remove the middle one: by bucket and SW index (what DPDK's fdir_erase_filter_82599 writes).
            bar.write(FDIRHASH, FlowDirectorFields.hash(first, 11));
            bar.write(FDIRCMD, FDIRCMD_CMD_QUERY);
            f.driver.awaitClear(FDIRCMD, FDIRCMD_CMD_MASK, "query");
            assertNotEquals(0, bar.read(FDIRCMD) & FDIRCMD_FILTER_VALID, "the query finds it");
            bar.write(FDIRHASH, FlowDirectorFields.hash(first, 11));
            bar.write(FDIRCMD, FDIRCMD_CMD_REMOVE);
            f.driver.awaitClear(FDIRCMD, FDIRCMD_CMD_MASK, "remove");
            assertEquals(1 << FDIRUSTAT_REMOVE_SHIFT, bar.read(FDIRUSTAT) & 0xFFFF0000, "one remove");
            bar.write(FDIRCMD, FDIRCMD_CMD_QUERY);
            f.driver.awaitClear(FDIRCMD, FDIRCMD_CMD_MASK, "query");
            assertEquals(0, bar.read(FDIRCMD) & FDIRCMD_FILTER_VALID, "gone");
            bar.write(FDIRCMD, FDIRCMD_CMD_REMOVE);
            f.driver.awaitClear(FDIRCMD, FDIRCMD_CMD_MASK, "remove again");
            assertEquals(1 << FDIRFSTAT_FREMOVE_SHIFT, bar.read(FDIRFSTAT) & FDIRFSTAT_FREMOVE_MASK,
                "removing a missing filter fails");

            deliver(f, tcp(f, ports[1], 80, TCP_ACK));
            deliver(f, tcp(f, ports[2], 80, TCP_ACK));
            assertEquals(1, frames(f, 0), "the removed flow falls through");
            assertEquals(2, frames(f, 3), "the chain behind it still matches");
            assertEquals(8190, bar.read(FDIRFREE) & FDIRFREE_FREE_MASK);

            bar.write(FDIRCMD, FDIRCMD_CLEARHT);
            bar.write(FDIRCMD, 0);
            f.settle();
            assertEquals(8192, bar.read(FDIRFREE) & FDIRFREE_FREE_MASK, "CLEARHT empties the table");
        }
    }

    @Test
    void portFilterUnderASourceMaskMatchesEverySource()
    {
        try (CardFixture f = card("ports", P256, false))
        {
            final Bar bar = f.driver.bar;
            final int bucket = flowDirectorBucket(P256, UDP, 0, HOST, 0, 53);
            flowDirectorCommand(bar, bucket, 1, 0, HOST, 0, 53, FlowDirectorFields.addCommand(UDP, 4, false));
            f.driver.awaitClear(FDIRCMD, FDIRCMD_CMD_MASK, "add");
            deliver(f, Frames.udp(f.card.mac(), PEER, CLIENT, HOST, 1111, 53, new byte[8]));
            deliver(f, Frames.udp(f.card.mac(), PEER, ip("192.168.7.7"), HOST, 2222, 53, new byte[8]));
            deliver(f, tcp(f, 3333, 53, TCP_ACK));
            assertEquals(2, frames(f, 4), "any source, UDP only");
            assertEquals(1, frames(f, 0), "TCP to port 53: the L4 type is compared");
        }
    }

    @Test
    void reportStatusPutsTheFilterIdInTheWriteBack()
    {
        try (CardFixture f = card("report", P256, true))
        {
            final Bar bar = f.driver.bar;
            bar.write(FDIRCTRL, (bar.read(FDIRCTRL) & ~FDIRCTRL_INIT_DONE) | FDIRCTRL_REPORT_STATUS);
            f.driver.awaitSet(FDIRCTRL, FDIRCTRL_INIT_DONE, "re-initialised");
            addTcp(f, 77, 40000, 5);
            deliver(f, tcp(f, 40000, 80, TCP_ACK));
            final int bucket = flowDirectorBucket(P256, TCP, CLIENT, HOST, 40000, 80);
            assertEquals(bucket | 77 << 16, RxDescriptor.rssHash(f.driver.rx[5].ring.segment(), 0));
            assertNotEquals(0, RxDescriptor.statusError(f.driver.rx[5].ring.segment(), 0) & RxDescriptor.STATUS_FLM);
        }
    }

    @Test
    void classificationOrderEthertypeFiveTupleSynThenFlowDirectorThenRss()
    {
        try (CardFixture f = card("order", P256, true))
        {
            final Bar bar = f.driver.bar;
            addTcp(f, 1, 40000, 5);

            etherType(bar, 0, ETHERTYPE_IPV4, true, 2);
            f.settle();
            deliver(f, tcp(f, 40000, 80, TCP_ACK));
            assertEquals(1, frames(f, 2), "ethertype filter before the flow director");
            bar.write(etqf(0), 0);

            fiveTuple(bar, 0, FTQF_PROTOCOL_TCP, 0, 0, 0, 80, MASK_ALL_BUT_PROTOCOL & ~FTQF_MASK_DESTINATION_PORT, 1,
                3);
            f.settle();
            deliver(f, tcp(f, 40000, 80, TCP_ACK));
            assertEquals(1, frames(f, 3), "5-tuple filter (even a lower-priority port filter) before the flow director");
            bar.write(ftqf(0), 0);

            syn(bar, 4, false);
            f.settle();
            deliver(f, tcp(f, 40000, 80, TCP_SYN));
            assertEquals(1, frames(f, 4), "SYN filter before the flow director");
            deliver(f, tcp(f, 40000, 80, TCP_ACK));
            assertEquals(1, frames(f, 5), "no SYN: the flow director");
            bar.write(SYNQF, 0);

            rss(bar, MRQC_RSS_FIELD_IPV4_TCP | MRQC_RSS_FIELD_IPV4);
            f.settle();
            deliver(f, tcp(f, 40000, 80, TCP_ACK));
            assertEquals(2, frames(f, 5), "the flow director before RSS");
        }
    }
}
