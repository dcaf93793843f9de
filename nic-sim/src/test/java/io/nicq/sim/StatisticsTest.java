package io.nicq.sim;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.Statistics;
import io.nicq.packet.MacAddress;

import static io.nicq.ixgbe.Registers.*;
import static io.nicq.ixgbe.SimulatedCardFiles.*;
import static org.junit.jupiter.api.Assertions.*;

/** Clear-on-read statistics, global and per queue-statistics set (RQSMR/TQSM), and the sim's per-queue counters. */
class StatisticsTest
{
    private static final long PEER = MacAddress.parse("02:00:00:00:00:99");
    private static final long ALL_HOSTS = MacAddress.parse("01:00:5e:00:00:01");

    @TempDir
    Path dir;

    @Test
    void byteCountsAreThirtySixBitsAndWrapThere()
    {
        try (CardFixture f = CardFixture.memory(dir, "wrap36"))
        {
            cardMac = f.card.mac();
            final Bar bar = f.driver.bar;
            f.driver.startRx(0, 32);
            f.settle();
            Statistics.clearAll(bar);
            bar.write(GORCL, 0xFFFF_FFC0);                          // 2^36 - 64 octets counted so far
            bar.write(GORCH, 0xF);
            final byte[] frame = frame(6000, 100);
            f.wire().inject(frame);
            f.settle();
            final long octets = frame.length;                     // HLREG0.RXCRCSTRP: no FCS in GORC
            assertEquals(octets - 64, Statistics.CardCounter.GORC.read(bar, 0), "wrapped at 2^36, not carried on");
            bar.write(GORCH, 0xFFF0);
            assertEquals(0, Statistics.CardCounter.GORC.read(bar, 0) >>> 32, "bits 31:4 of GORCH are reserved");
        }
    }

    @Test
    void receiveCountersCountThenClearOnRead()
    {
        try (CardFixture f = CardFixture.memory(dir, "rxstats"))
        {
            cardMac = f.card.mac();
            final Bar bar = f.driver.bar;
            f.driver.startRx(0, 32);
            f.driver.startRx(5, 32);
            bar.write(rqsmr(1), 3 << 8); // queue 5 -> statistics set 3
            Filters.fiveTuple(bar, 0, FTQF_PROTOCOL_UDP, 0, 0, 0, 5000, Filters.MASK_ALL_BUT_PROTOCOL &
                ~FTQF_MASK_DESTINATION_PORT, 1, 5);
            f.settle();

            final byte[] toFive = frame(5000, 20);
            final byte[] toZero = frame(6000, 30);
            for (int i = 0; i < 3; i++)
            {
                assertTrue(f.wire().inject(toFive));
            }
            f.wire().inject(toZero);
            f.wire().inject(toZero);
            f.settle();

            assertEquals(5, bar.read(GPRC));
            assertEquals(0, bar.read(GPRC), "clear on read");
            assertEquals(3L * toFive.length + 2L * toZero.length, bar.read(GORCL), "CRC stripped: not counted");
            assertEquals(0, bar.read(GORCH));
            assertEquals(3, bar.read(qprc(3)));
            assertEquals(3L * toFive.length, bar.read(qbrcL(3)));
            assertEquals(2, bar.read(qprc(0)));
            assertEquals(0, bar.read(qprc(3)));
            assertEquals(5, bar.read(TPR));
            assertEquals(3, f.status(rxQueueFramesOffset(5)), "the sim's per-queue counters are never cleared");
            assertEquals(3, f.status(rxQueueFramesOffset(5)));
            assertEquals(2, f.status(rxQueueFramesOffset(0)));
        }
    }

    @Test
    void transmitCountersCountThenClearOnRead()
    {
        try (CardFixture f = CardFixture.memory(dir, "txstats"))
        {
            final Bar bar = f.driver.bar;
            final TestDriver.TxQueue tx = f.driver.startTx(2, 32);
            bar.write(tqsm(0), 7 << 16); // queue 2 -> statistics set 7
            final byte[] frame = frame(7, 100);
            int last = 0;
            for (int i = 0; i < 4; i++)
            {
                last = tx.send(frame);
            }
            final int d = last;
            f.driver.await(() -> tx.done(d), "4 frames transmitted");
            assertEquals(4, bar.read(GPTC));
            assertEquals(0, bar.read(GPTC));
            assertEquals(4L * (frame.length + 4), bar.read(GOTCL));
            assertEquals(4, bar.read(qptc(7)));
            assertEquals(4L * frame.length, bar.read(qbtcL(7)));
            assertEquals(0, bar.read(qptc(7)));
            assertEquals(4, f.status(txQueueFramesOffset(2)));
            assertEquals(4, f.status(WIRE_FRAMES_SENT_OFFSET));
        }
    }

    @Test
    void octetCountersCarryIntoTheHighRegister()
    {
        try (CardFixture f = CardFixture.memory(dir, "carry"))
        {
            cardMac = f.card.mac();
            final Bar bar = f.driver.bar;
            f.driver.startRx(0, 32);
            bar.write(GORCL, 0xFFFF_FFF0);
            f.settle();
            final byte[] frame = frame(1, 60);
            f.wire().inject(frame);
            f.settle();
            assertEquals(1, bar.read(GORCH));
            assertEquals(frame.length - 0x10, bar.read(GORCL));
        }
    }

    /** 82599: MPRC counts no broadcast (Linux and DPDK subtract BPRC from MPRC on the 82598 only). */
    @Test
    void broadcastAndMulticastAreCountedApart()
    {
        try (CardFixture f = CardFixture.memory(dir, "bcast"))
        {
            final Bar bar = f.driver.bar;
            f.driver.startRx(0, 32);
            bar.setBits(FCTRL, FCTRL_MPE | FCTRL_BAM);
            f.settle();
            f.wire().inject(Frames.udp(Frames.BROADCAST, PEER, Frames.ip("10.0.0.2"), Frames.ip("10.0.0.255"), 1, 2,
                new byte[20]));
            f.wire().inject(Frames.udp(ALL_HOSTS, PEER, Frames.ip("10.0.0.2"), Frames.ip("224.0.0.1"), 1, 2,
                new byte[20]));
            f.settle();
            assertEquals(1, bar.read(BPRC));
            assertEquals(1, bar.read(MPRC));
            assertEquals(2, bar.read(GPRC));
        }
    }

    @Test
    void receivedOctetsCountTheFcsOnlyWhenTheMacKeepsIt()
    {
        try (CardFixture f = CardFixture.memory(dir, "fcs"))
        {
            cardMac = f.card.mac();
            final Bar bar = f.driver.bar;
            f.driver.startRx(0, 32);
            f.settle();
            Statistics.clearAll(bar);
            final byte[] frame = frame(6000, 100);
            f.wire().inject(frame);
            f.settle();
            assertEquals(frame.length, Statistics.CardCounter.GORC.read(bar, 0), "stripped (DPDK: GORC without CRC)");
            assertEquals(frame.length, Statistics.QueueCounter.QBRC.read(bar, 0), "QBRC likewise");
            assertEquals(frame.length + 4, Statistics.CardCounter.TOR.read(bar, 0), "TOR always with the FCS");

            bar.clearBits(HLREG0, HLREG0_RXCRCSTRP);
            bar.clearBits(RDRXCTL, RDRXCTL_CRCSTRIP);
            f.settle();
            f.wire().inject(frame);
            f.settle();
            assertEquals(frame.length + 4, Statistics.CardCounter.GORC.read(bar, 0), "kept: the FCS is counted");
            assertEquals(frame.length + 4, Statistics.QueueCounter.QBRC.read(bar, 0));
            assertEquals(frame.length + 4, Statistics.CardCounter.TOR.read(bar, 0));
        }
    }

    @Test
    void aPaddingSendersShortFrameArrivesAt60BytesAnUnpaddedOneIsARuntAndAFragmentIsCountedNowhere()
    {
        try (CardFixture f = CardFixture.memory(dir, "runt"))
        {
            cardMac = f.card.mac();
            final Bar bar = f.driver.bar;
            f.driver.startRx(0, 32);
            f.settle();
            Statistics.clearAll(bar);
            final byte[] arp = java.util.Arrays.copyOf(frame(6000, 100), 42); // an ARP frame's size, as the kernel
            f.wire().inject(arp);                                            // hands it to a TAP device
            f.settle();
            assertEquals(1, bar.read(GPRC), "padded by its sender: a good frame");
            assertEquals(60, Statistics.CardCounter.GORC.read(bar, 0), "of 60 bytes (64 with the FCS)");
            assertEquals(0, bar.read(RUC));
            assertEquals(1, bar.read(TPR));

            f.wire().injectUnpadded(arp);
            f.settle();
            assertEquals(1, bar.read(RUC), "under 64 bytes with the FCS, good CRC: receive undersize");
            assertEquals(0, bar.read(GPRC), "and not received");
            assertEquals(1, bar.read(TPR), "the MAC saw it");

            f.wire().injectUnpadded(new byte[11]);
            f.settle();
            assertEquals(0, bar.read(RUC), "under 12 bytes: no statistics register counts it (spec update 18)");
            assertEquals(0, bar.read(TPR));
            assertEquals(1, f.status(RX_FRAGMENTS_OFFSET));
            assertEquals(1, f.status(rxQueueFramesOffset(0)), "only the padded frame reached the queue");
        }
    }

    private long cardMac;

    private byte[] frame(final int port, final int payload)
    {
        return Frames.udp(cardMac, PEER, Frames.ip("10.0.0.2"), Frames.ip("10.0.0.1"),
            1111, port, new byte[payload]);
    }
}
