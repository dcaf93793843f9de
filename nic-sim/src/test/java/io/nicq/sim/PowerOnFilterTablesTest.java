package io.nicq.sim;

import java.nio.file.Path;
import java.util.function.IntUnaryOperator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.ReceiveFilterTables;
import io.nicq.ixgbe.RegisterFile;
import io.nicq.packet.MacAddress;

import static io.nicq.ixgbe.Registers.*;
import static io.nicq.ixgbe.SimulatedCardFiles.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The filter tables without a reset value (5-tuple, SYN, multicast, VLAN, receive addresses 1..127) power on holding
 * random values seeded by the card, keep them across a software reset, and steer frames until a driver clears them.
 */
class PowerOnFilterTablesTest
{
    private static final long PEER = MacAddress.parse("02:00:00:00:00:ee");

    @TempDir
    Path dir;

    @Test
    void theTablesPowerOnRandomSeededByTheCardAndSurviveAReset()
    {
        final int[] first = fiveTupleWords("seeded");
        final int[] again = fiveTupleWords("seeded");
        final int[] other = fiveTupleWords("another");
        assertArrayEquals(first, again, "the same card powers on the same way");
        assertFalse(java.util.Arrays.equals(first, other), "another card otherwise");
        int enabled = 0;
        for (int n = 0; n < FIVE_TUPLE_FILTER_COUNT; n++)
        {
            enabled += (first[4 * n] & FTQF_QUEUE_ENABLE) != 0 ? 1 : 0;
        }
        assertTrue(enabled > 16, "about half the 5-tuple filters power on enabled: " + enabled);

        try (CardFixture f = CardFixture.launch(context("seeded")))
        {
            final Bar bar = f.driver.bar;
            bar.setBits(CTRL, CTRL_PCIE_MASTER_DISABLE);       // 5.2.5.3.2: no DMA in flight across the reset
            f.driver.awaitClear(STATUS, STATUS_PCIE_MASTER_ENABLE, "master disabled");
            bar.write(CTRL, CTRL_RST_MASK);
            f.driver.awaitClear(CTRL, CTRL_RST_MASK, "reset done");
            assertArrayEquals(first, words(bar), "a software reset leaves the tables as they were");
            for (int n = 1; n < RECEIVE_ADDRESS_COUNT; n++)
            {
                assertEquals(0, bar.read(rah(n)) & RAH_AV, "RAH.AV is defined: 0 after reset");
            }
            assertEquals(0, f.status(WRITE_ONLY_READS_OFFSET));
        }
    }

    @Test
    void aDriverThatDoesNotClearTheTablesLosesFramesToStrayFilters()
    {
        try (CardFixture f = CardFixture.launch(context("stray")))
        {
            final Bar bar = f.driver.bar;
            f.driver.init(false, false);
            final TestDriver.RxQueue queue0 = f.driver.startRx(0, 16);
            // The power-on filter that wins for a UDP frame: enabled, UDP or protocol masked, highest priority.
            int winner = -1;
            int best = -1;
            for (int n = 0; n < FIVE_TUPLE_FILTER_COUNT; n++)
            {
                final int ftqf = bar.read(ftqf(n));
                final boolean udp = (ftqf & FTQF_MASK_PROTOCOL) != 0 ||
                    (ftqf & FTQF_PROTOCOL_MASK) == FTQF_PROTOCOL_UDP;
                final int priority = (ftqf & FTQF_PRIORITY_MASK) >>> FTQF_PRIORITY_SHIFT;
                if ((ftqf & FTQF_QUEUE_ENABLE) != 0 && udp && priority > best)
                {
                    winner = n;
                    best = priority;
                }
            }
            assertTrue(winner >= 0, "some power-on filter takes UDP");
            final int sdpqf = bar.read(sdpqf(winner));
            final IntUnaryOperator port = half -> Short.toUnsignedInt(Short.reverseBytes((short)half));
            final byte[] frame = Frames.udp(f.card.mac(), PEER, Integer.reverseBytes(bar.read(saqf(winner))),
                Integer.reverseBytes(bar.read(daqf(winner))), port.applyAsInt(sdpqf & 0xFFFF),
                port.applyAsInt(sdpqf >>> 16), new byte[32]);

            f.wire().inject(frame);
            f.settle();
            assertNull(queue0.poll(), "steered away from queue 0 by a filter nobody programmed");
            assertEquals(0, f.status(rxQueueFramesOffset(0)));

            ReceiveFilterTables.clear(bar);
            f.settle();
            f.wire().inject(frame);
            f.settle();
            assertArrayEquals(frame, queue0.poll(), "with the tables cleared the frame reaches queue 0");
            assertEquals(0, f.status(WRITE_ONLY_READS_OFFSET), "L34T_IMIR written, never read");
            RegisterFile.forEachUndefined(offset ->
            {
                if (offset >= l34tImir(0) && offset <= l34tImir(FIVE_TUPLE_FILTER_COUNT - 1))
                {
                    return;
                }
                assertEquals(0, bar.read(offset), String.format("0x%05X cleared", offset));
            });
        }
    }

    private SimulatedCard.Context context(final String name)
    {
        return new SimulatedCard.Context().cardName(name).baseDir(dir.resolve(name)).wireSpec("memory");
    }

    /** FTQF, SAQF, DAQF, SDPQF of every 5-tuple filter of a freshly powered-on card of this name. */
    private int[] fiveTupleWords(final String name)
    {
        try (CardFixture f = CardFixture.launch(context(name)))
        {
            return words(f.driver.bar);
        }
    }

    private static int[] words(final Bar bar)
    {
        final int[] words = new int[4 * FIVE_TUPLE_FILTER_COUNT];
        for (int n = 0; n < FIVE_TUPLE_FILTER_COUNT; n++)
        {
            words[4 * n] = bar.read(ftqf(n));
            words[4 * n + 1] = bar.read(saqf(n));
            words[4 * n + 2] = bar.read(daqf(n));
            words[4 * n + 3] = bar.read(sdpqf(n));
        }
        return words;
    }
}
