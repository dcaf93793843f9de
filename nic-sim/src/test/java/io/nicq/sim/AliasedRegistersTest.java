package io.nicq.sim;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.RegisterFile;
import io.nicq.ixgbe.Statistics;
import io.nicq.packet.MacAddress;

import static io.nicq.ixgbe.Registers.*;
import static io.nicq.ixgbe.SimulatedCardFiles.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Registers the part reaches at two addresses are one register in the simulated card too (a driver may use the
 * 82598 addresses Linux and DPDK use for MRQC, RETA and RSSRK), and PFQDE is indirect as on the part.
 */
class AliasedRegistersTest
{
    private static final long PEER = MacAddress.parse("02:00:00:00:00:ee");

    @TempDir
    Path dir;

    @Test
    void eitherAddressOfAnAliasedRegisterIsTheSameRegister()
    {
        try (CardFixture f = CardFixture.memory(dir, "aliases"))
        {
            final Bar bar = f.driver.bar;
            final int[][] pairs = {{srrctl(3), srrctlAlias(3)}, {dcaRxctrl(15), dcaRxctrlAlias(15)},
                {MRQC, MRQC_ALIAS}, {reta(31), retaAlias(31)}, {rssrk(9), rssrkAlias(9)}, {ral(7), ralAlias(7)}};
            int value = 0x0200_0001;
            for (final int[] pair : pairs)
            {
                assertEquals(pair[1], RegisterFile.aliasOf(pair[0]));
                assertEquals(pair[0], RegisterFile.aliasOf(pair[1]));
                assertEquals(RegisterFile.resetValue(pair[0]), RegisterFile.resetValue(pair[1]));
                bar.write(pair[1], value);
                f.settle();
                assertEquals(value, bar.read(pair[0]), String.format("0x%05X written at 0x%05X", pair[0], pair[1]));
                bar.write(pair[0], value + 1);
                f.settle();
                assertEquals(value + 1, bar.read(pair[1]), String.format("0x%05X written at 0x%05X", pair[1],
                    pair[0]));
                value += 0x10;
            }
            assertEquals(-1, RegisterFile.aliasOf(srrctl(16)), "queues 16..127 have one address");
        }
    }

    @Test
    void rssProgrammedAtThe82598AddressesSteersFrames()
    {
        try (CardFixture f = CardFixture.memory(dir, "rss-alias"))
        {
            final Bar bar = f.driver.bar;
            final TestDriver.RxQueue queue5 = f.driver.startRx(5, 16);
            for (int n = 0; n < RETA_REGISTER_COUNT; n++)
            {
                bar.write(retaAlias(n), 0x05050505);                 // IXGBE_RETA: every entry to queue 5
            }
            bar.write(MRQC_ALIAS, MRQC_RSS_ENABLED | MRQC_RSS_FIELD_IPV4 | MRQC_RSS_FIELD_IPV4_UDP); // IXGBE_MRQC
            f.settle();
            final byte[] frame = Frames.udp(f.card.mac(), PEER, Frames.ip("10.0.0.2"), Frames.ip("10.0.0.1"), 1000,
                7, new byte[32]);
            f.wire().inject(frame);
            f.settle();
            assertArrayEquals(frame, queue5.poll(), "RSS as programmed through the other addresses");
        }
    }

    @Test
    void pfqdeIsIndirectPerQueue()
    {
        try (CardFixture f = CardFixture.memory(dir, "pfqde"))
        {
            final Bar bar = f.driver.bar;
            bar.write(PFQDE, PFQDE_WRITE | PFQDE_QDE | (40 << PFQDE_QUEUE_INDEX_SHIFT));
            assertEquals((40 << PFQDE_QUEUE_INDEX_SHIFT) | PFQDE_QDE, bar.read(PFQDE), "queue 40's QDE reads back");
            bar.write(PFQDE, PFQDE_READ | (41 << PFQDE_QUEUE_INDEX_SHIFT));
            assertEquals(41 << PFQDE_QUEUE_INDEX_SHIFT, bar.read(PFQDE), "queue 41's is still 0: not a bitmap");
            bar.write(PFQDE, PFQDE_READ | (40 << PFQDE_QUEUE_INDEX_SHIFT));
            assertEquals((40 << PFQDE_QUEUE_INDEX_SHIFT) | PFQDE_QDE, bar.read(PFQDE));

            // Queues 40 and 41 without DROP_EN and without a descriptor: QDE decides where the drop is counted.
            for (final int q : new int[]{40, 41})
            {
                final TestDriver.RxQueue queue = f.driver.new RxQueue(q, 16);
                f.driver.configureRx(queue, SRRCTL_DESCTYPE_ADV_ONEBUF | 2);
                bar.setBits(rxdctl(q), DCTL_ENABLE);
                f.driver.awaitSet(rxdctl(q), DCTL_ENABLE, "queue " + q + " enabled");
            }
            Filters.etherType(bar, 1, 0x88B5, true, 40);
            Filters.etherType(bar, 2, 0x88B6, true, 41);
            f.settle();
            Statistics.clearAll(bar);
            f.wire().inject(Frames.ethernet(f.card.mac(), PEER, 0x88B5, new byte[46]));
            f.wire().inject(Frames.ethernet(f.card.mac(), PEER, 0x88B6, new byte[46]));
            f.settle();
            assertEquals(1, bar.read(qprdc(0)), "queue 40 drops (QDE): counted per queue");
            assertEquals(1, bar.read(mpc(0)), "queue 41 holds the frame until the packet buffer overflows");
            assertEquals(1, f.status(rxQueueDropsOffset(40)));
            assertEquals(1, f.status(rxQueueDropsOffset(41)));
        }
    }
}
