package io.nicq.ixgbe;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.nicq.ixgbe.Registers.*;
import static io.nicq.ixgbe.SimulatedCardFiles.*;
import static org.junit.jupiter.api.Assertions.*;

/** The interrupt registers (8.2.3.5) as a driver sees them through {@link SimulatedBar}, register by register. */
class InterruptRegistersTest
{
    @TempDir
    Path dir;
    private FakeCard card;
    private SimulatedBar bar;

    @BeforeEach
    void setUp() throws Exception
    {
        card = new FakeCard(dir, "irq");
        bar = new SimulatedBar(card.bar0, null, "sim:irq");
    }

    @AfterEach
    void tearDown()
    {
        bar.close();
        card.close();
    }

    @Test
    void eimsWriteSetsOnlyTheOnesAndReadsBackTheMask()
    {
        bar.write(EIMS, 0b0101);
        bar.write(EIMS, 0b0010);
        bar.write(EIMS, 0);
        assertEquals(0b0111, bar.read(EIMS), "1s set, 0s leave bits alone");
        assertEquals(0b0111, card.bar0.get(ValueLayout.JAVA_INT, INTERRUPT_LATCH_OFFSET),
            "each bit a write unmasked is latched for the device");
        card.bar0.set(ValueLayout.JAVA_INT, INTERRUPT_LATCH_OFFSET, 0);
        bar.write(EIMS, 0b0011);
        assertEquals(0, card.bar0.get(ValueLayout.JAVA_INT, INTERRUPT_LATCH_OFFSET),
            "bits already unmasked are not news");
    }

    @Test
    void eimcClearsOnlyTheOnesOfEimsAndStoresNothing()
    {
        bar.write(EIMS, 0xFF);
        bar.write(EIMC, 0b1001);
        assertEquals(0xF6, bar.read(EIMS));
        assertEquals(0, bar.read(EIMC), "EIMC is write-only: it holds nothing");
        bar.write(EIMC, EIMC_ALL);
        assertEquals(0, bar.read(EIMS));
    }

    @Test
    void eicrReadClearsEveryCauseWithoutOcd()
    {
        card.register(EICR, 0x8001_0003);
        assertEquals(0x8001_0003, bar.read(EICR));
        assertEquals(0, bar.read(EICR));
    }

    @Test
    void eicrReadWithOcdClearsOnlyTheOtherCauses()
    {
        bar.write(GPIE, GPIE_MSIX_MODE | GPIE_OCD);
        final int causes = 0x0000_0005 | (1 << 20) | EICR_TCP_TIMER | EICR_OTHER;
        card.register(EICR, causes);
        assertEquals(causes, bar.read(EICR));
        assertEquals(0x0000_0005 | EICR_TCP_TIMER | EICR_OTHER, bar.read(EICR),
            "queue causes, TCP timer and Other stay; LSC (bit 20) went");
    }

    @Test
    void eicrWriteOneClearsThatCauseOnly()
    {
        card.register(EICR, 0b1111);
        bar.write(EICR, 0b0101);
        bar.write(GPIE, GPIE_OCD); // so that the read below does not clear the queue causes
        assertEquals(0b1010, bar.read(EICR));
    }

    @Test
    void eicsSetsCausesReadsThemWithoutClearingAndLatchesThemForTheDevice()
    {
        card.register(EICR, 0b0001);
        bar.write(EICS, 0b0100);
        assertEquals(0b0101, bar.read(EICS), "EICS reads EICR");
        assertEquals(0b0101, bar.read(EICS), "without clearing it");
        assertEquals(0b0100, card.bar0.get(ValueLayout.JAVA_INT, INTERRUPT_LATCH_OFFSET),
            "the device learns which causes software raised");
        assertEquals(0b0101, bar.read(EICR));
        assertEquals(0, bar.read(EICR));
    }

    @Test
    void interruptRegistersThatStoreValuesDoSo()
    {
        bar.write(EIAC, EICR_RTX_QUEUE);
        bar.write(EIAM, 0x00F0);
        bar.write(GPIE, GPIE_MSIX_MODE | GPIE_EIAME | GPIE_PBA_SUPPORT | GPIE_OCD);
        bar.write(eitr(3), eitrForMicros(50));
        bar.write(ivar(2), ivarEntry(7) << ivarRxShift(4));
        assertEquals(EICR_RTX_QUEUE, bar.read(EIAC));
        assertEquals(0x00F0, bar.read(EIAM));
        assertEquals(0xC000_0030, bar.read(GPIE));
        assertEquals(50_000L, eitrIntervalNs(bar.read(eitr(3))));
        assertEquals(0x87, bar.read(ivar(2)));
    }

    @Test
    void writesToEveryInterruptRegisterBumpTheWriteGeneration()
    {
        final long before = bar.status(WRITE_GENERATION_OFFSET);
        for (final int offset : new int[] {EICR, EICS, EIMS, EIMC, EIAC, EIAM, GPIE, eitr(0), ivar(0)})
        {
            bar.write(offset, 0);
        }
        assertEquals(before + 9, bar.status(WRITE_GENERATION_OFFSET));
    }

    @Test
    void ivarLayoutIsTheEightyTwoFiveNineNines()
    {
        // 8.2.3.5.16: IVAR[n] holds queues 2n and 2n+1: RX 2n [7:0], TX 2n [15:8], RX 2n+1 [23:16], TX 2n+1 [31:24].
        assertEquals(0x00900, ivarOf(0));
        assertEquals(0x00900, ivarOf(1));
        assertEquals(0x009FC, ivarOf(127));
        assertEquals(0, ivarRxShift(0));
        assertEquals(8, ivarTxShift(0));
        assertEquals(16, ivarRxShift(1));
        assertEquals(24, ivarTxShift(1));
        assertEquals(0x80 | 5, ivarEntry(5));
        assertThrows(IllegalArgumentException.class, () -> ivarEntry(64));
    }

    @Test
    void eitrOffsetsAndIntervalField()
    {
        assertEquals(0x00820, eitr(0));
        assertEquals(0x0087C, eitr(23));
        assertEquals(0x12300, eitr(24));
        // Linux's IXGBE_20K_ITR is 200: ITR [11:3] = 25, 25 x 2 us = 50 us.
        assertEquals(50_000L, eitrIntervalNs(200));
        assertEquals(200, eitrForMicros(50));
        assertEquals(0L, eitrIntervalNs(EITR_CNT_WDIS | 0x7), "bits outside [11:3] are not the interval");
        assertEquals(1_022_000L, eitrIntervalNs(EITR_ITR_MASK));
        assertThrows(IllegalArgumentException.class, () -> eitrForMicros(1024));
    }
}
