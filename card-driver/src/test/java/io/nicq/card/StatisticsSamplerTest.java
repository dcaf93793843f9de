package io.nicq.card;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.proto.channel.QueueChannelLayout;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;

import static io.nicq.ixgbe.Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/** Handing out the 16 statistics sets, and sampling sets, the card's counters and the queue drivers' counters. */
class StatisticsSamplerTest
{
    private final FakeCard bar = new FakeCard(0x02_00_00_00_00_01L);
    private final CountersManager manager = new CountersManager(
        new UnsafeBuffer(ByteBuffer.allocateDirect(CardCounters.MAX_COUNTERS * 512)),
        new UnsafeBuffer(ByteBuffer.allocateDirect(CardCounters.MAX_COUNTERS * 128)), StandardCharsets.US_ASCII);
    private final StatisticsSampler sampler = new StatisticsSampler(bar, new CardCounters(manager));

    @Test
    void sixteenStatisticsSetsWhileTheyLast()
    {
        assertEquals(StatisticsSampler.SHARED_SET, sampler.queueAttached(0, header(0)), "queue 0 counts in set 0");
        for (int set = 1; set <= 15; set++)
        {
            final int queue = set * 7 % 128;
            assertEquals(set, sampler.queueAttached(queue, header(queue)));
        }
        assertEquals(StatisticsSampler.NO_SET, sampler.queueAttached(100, header(100)));
        assertEquals(0, sampler.setsFree());

        // Queue 7 (set 1) lives in RQSMR(1), nibble of byte 3.
        assertEquals(1 << 24, bar.registers[rqsmr(1) >> 2] & (0xF << 24));
        assertEquals(1 << 24, bar.registers[tqsm(1) >> 2] & (0xF << 24));
        sampler.queueDisabled(7);
        assertEquals(0, bar.registers[rqsmr(1) >> 2] & (0xF << 24), "queue 7 counts in set 0 again");
        assertEquals(StatisticsSampler.NO_SET, sampler.setOf(7));
        assertEquals(1, sampler.queueAttached(101, header(101)), "a returned set is handed out again");
    }

    @Test
    void samplesTheCardTheSetsAndTheQueueDriversCounters()
    {
        final QueueChannelHeader header = header(3);
        assertEquals(1, sampler.queueAttached(3, header));
        bar.registers[qprc(1) >> 2] = 4;
        bar.registers[qbrcL(1) >> 2] = 0xFFFF_FFFE;
        bar.registers[qbrcH(1) >> 2] = 1;
        bar.registers[ROC >> 2] = 2;
        bar.registers[GPRC >> 2] = 8;
        bar.registers[mpc(3) >> 2] = 5;
        header.counter(QueueChannelHeader.COUNTER_RX_PACKETS, 4);
        header.counter(QueueChannelHeader.COUNTER_REJECTED_LENGTH, 9);

        sampler.sample();
        sampler.sample();

        assertEquals(4, counter("queue 3 rx packets (stats set 1)"), "read once: the registers clear on read");
        assertEquals(0x1_FFFF_FFFEL, counter("queue 3 rx bytes (stats set 1)"));
        assertEquals(8, counter("card rx good packets (GPRC)"));
        assertEquals(2, bar.register(ROC), "left to others: the card driver does not report it");
        assertEquals(5, counter("card rx missed, no packet buffer (MPC)"), "every packet buffer's MPC");
        assertEquals(4, counter("queue 3 driver rx-packets"), "copied, not added");
        assertEquals(9, counter("queue 3 driver rejected-length"));

        final StatisticsSampler.Totals totals = new StatisticsSampler.Totals();
        sampler.addTotals(3, totals);
        assertEquals(4, totals.rxPackets);
        assertEquals(0x1_FFFF_FFFEL, totals.rxBytes);

        // Disabled: a last read of the set, which goes back; freed: a last copy of the driver's, then all closed.
        bar.registers[qptc(1) >> 2] = 6;
        sampler.queueDisabled(3);
        assertEquals(6, counter("queue 3 tx packets (stats set 1)"));
        header.counter(QueueChannelHeader.COUNTER_RX_PACKETS, 7);
        sampler.queueFreed(3);
        assertEquals(Long.MIN_VALUE, counter("queue 3 driver rx-packets"), "closed with the queue");
        assertEquals(Long.MIN_VALUE, counter("queue 3 rx packets (stats set 1)"));
    }

    @Test
    void aQueueAttachedAgainInAnotherSetKeepsItsCounts()
    {
        sampler.queueAttached(1, header(1));          // set 1
        sampler.queueAttached(2, header(2));          // set 2
        bar.registers[qprc(1) >> 2] = 3;
        sampler.queueDisabled(1);                     // set 1 back
        sampler.queueAttached(5, header(5));          // takes set 1
        assertEquals(3, sampler.queueAttached(1, header(1)));
        assertEquals(3, counter("queue 1 rx packets (stats set 3)"));
        assertEquals(Long.MIN_VALUE, counter("queue 1 rx packets (stats set 1)"));
    }

    private static QueueChannelHeader header(final int queueId)
    {
        final QueueChannelHeader header = new QueueChannelHeader(
            new UnsafeBuffer(ByteBuffer.allocateDirect(QueueChannelLayout.HEADER_LENGTH)));
        header.format(queueId, QueueChannelLayout.of(QueueChannelLayout.MIN_SLOT_COUNT));
        return header;
    }

    private long counter(final String label)
    {
        final long[] value = {Long.MIN_VALUE};
        manager.forEach((counterId, typeId, key, counterLabel) ->
        {
            if (counterLabel.equals(label))
            {
                value[0] = manager.getCounterValue(counterId);
            }
        });
        return value[0];
    }
}
