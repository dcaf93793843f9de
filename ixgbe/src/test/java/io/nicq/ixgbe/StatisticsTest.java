package io.nicq.ixgbe;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import io.nicq.ixgbe.Statistics.CardCounter;
import io.nicq.ixgbe.Statistics.QueueCounter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.nicq.ixgbe.Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/** The statistics register groups: what they hold, that the register file agrees, and how a count is read. */
class StatisticsTest
{
    @TempDir
    Path dir;

    @Test
    void theGroupsHoldEveryStatisticsRegisterOnceAndTheRegisterFileClearsThemOnRead()
    {
        final Set<Integer> registers = new HashSet<>();
        Statistics.forEachRegister(offset -> assertTrue(registers.add(offset), String.format("0x%05X twice", offset)));

        // 19 card-wide registers (three 64-bit counts among them), MPC of 8 packet buffers, 7 of each of 16 sets.
        assertEquals(19 + PACKET_BUFFER_COUNT + 7 * QUEUE_STATS_COUNT, registers.size());
        for (final int offset : new int[]{CRCERRS, ILLERRC, ERRBC, MSPDC, RLEC, GPRC, BPRC, MPRC, GPTC, GORCL, GORCH,
            GOTCL, GOTCH, RUC, ROC, TORL, TORH, TPR, TPT, mpc(7), qprc(15), qbrcH(0), qprdc(9), qbtcL(15), qbtcH(15)})
        {
            assertTrue(registers.contains(offset), String.format("0x%05X is a statistics register", offset));
        }
        for (int offset = 0; offset < BAR_SIZE; offset += 4)
        {
            final boolean flowDirectorStatistic = offset == FDIRLEN || offset == FDIRUSTAT || offset == FDIRFSTAT ||
                offset == FDIRMATCH || offset == FDIRMISS;
            assertEquals(registers.contains(offset) || offset == EICR || flowDirectorStatistic,
                RegisterFile.isClearOnRead(offset), String.format("0x%05X: clear on read exactly when it is a " +
                "statistics register (or EICR, or one of the flow director's statistics)", offset));
        }
    }

    @Test
    void eachCounterNamesItsRegisters()
    {
        assertEquals(ROC, CardCounter.ROC.low(0));
        assertEquals(Statistics.NO_REGISTER, CardCounter.ROC.high(0));
        assertEquals(GORCH, CardCounter.GORC.high(0));
        assertEquals(mpc(5), CardCounter.MPC.low(5));
        assertEquals(PACKET_BUFFER_COUNT, CardCounter.MPC.instances());
        assertEquals(qbrcL(3), QueueCounter.QBRC.low(3));
        assertEquals(qbrcH(3), QueueCounter.QBRC.high(3));
        assertEquals(qbtcH(15), QueueCounter.QBTC.high(15));
        assertEquals(Statistics.NO_REGISTER, QueueCounter.QPRDC.high(2));
        for (int i = 0; i < QueueCounter.COUNT; i++)
        {
            assertSame(QueueCounter.values()[i], QueueCounter.of(i));
        }
    }

    @Test
    void readingCombinesTheHalvesAndClears() throws Exception
    {
        try (FakeCard card = new FakeCard(dir, "stats");
             SimulatedBar bar = new SimulatedBar(card.bar0, null, "sim:stats"))
        {
            card.register(qbtcL(4), 0xFFFF_FFF0);
            card.register(qbtcH(4), 2);
            card.register(mpc(0), 3);
            card.register(mpc(7), 4);
            card.register(ROC, 5);

            assertEquals((2L << 32) | 0xFFFF_FFF0L, QueueCounter.QBTC.read(bar, 4), "unsigned halves, low first");
            assertEquals(0, QueueCounter.QBTC.read(bar, 4), "read clears");
            assertEquals(7, CardCounter.MPC.readAll(bar), "the packet buffers' sum");

            card.register(qprc(9), 6);
            Statistics.clearSet(bar, 9);
            assertEquals(0, bar.read(qprc(9)));
            Statistics.clearAll(bar);
            assertEquals(0, bar.read(ROC));
        }
    }
}
