package io.nicq.ixgbe;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.nicq.ixgbe.Registers.*;
import static io.nicq.ixgbe.SimulatedCardFiles.*;
import static org.junit.jupiter.api.Assertions.*;

class SimulatedBarTest
{
    @TempDir
    Path dir;
    private FakeCard card;
    private SimulatedBar bar;

    @BeforeEach
    void setUp() throws Exception
    {
        card = new FakeCard(dir, "bar");
        bar = new SimulatedBar(card.bar0, null, "sim:bar");
    }

    @AfterEach
    void tearDown()
    {
        bar.close();
        card.close();
    }

    @Test
    void clearOnReadRegistersReadOnceThenZero()
    {
        card.register(GPRC, 7);
        card.register(qprc(3), 9);
        assertEquals(7, bar.read(GPRC));
        assertEquals(0, bar.read(GPRC));
        assertEquals(9, bar.read(qprc(3)));
        assertEquals(0, bar.read(qprc(3)));
    }

    @Test
    void writesToReadOnlyRegistersAreDroppedAndCounted()
    {
        card.register(LINKS, LINKS_UP);
        bar.write(LINKS, 0);
        bar.write(STATUS, 0xFFFF);
        assertEquals(LINKS_UP, bar.read(LINKS));
        assertEquals(0, bar.read(STATUS));
        assertEquals(2, bar.status(READ_ONLY_WRITES_OFFSET));
    }

    @Test
    void readsOfWriteOnlyRegistersAreCountedAndReturnZero()
    {
        bar.write(l34tImir(5), L34T_IMIR_RESERVE | (3 << L34T_IMIR_RX_QUEUE_SHIFT));
        assertEquals(0, bar.read(l34tImir(5)));
        assertEquals(1, bar.status(WRITE_ONLY_READS_OFFSET));
        assertEquals(L34T_IMIR_RESERVE | (3 << L34T_IMIR_RX_QUEUE_SHIFT), card.register(l34tImir(5)),
            "the device sees what was written");
    }

    @Test
    void tailWritesDoNotMoveTheWriteGenerationOtherWritesDo()
    {
        final long start = bar.status(WRITE_GENERATION_OFFSET);
        bar.write(rdt(70), 5);
        bar.write(tdt(127), 5);
        assertEquals(start, bar.status(WRITE_GENERATION_OFFSET));
        bar.write(rdbal(70), 0x1000);
        assertEquals(start + 1, bar.status(WRITE_GENERATION_OFFSET));
    }

    @Test
    void queueEnableReadsBackWhatTheDeviceDid()
    {
        bar.setBits(rxdctl(65), DCTL_ENABLE);
        assertEquals(DCTL_ENABLE, card.register(rxdctl(65)) & DCTL_ENABLE, "the request is in the register");
        assertEquals(0, bar.read(rxdctl(65)) & DCTL_ENABLE, "not enabled until the device says so");
        // The device sets RX queue 65's bit: word 1, bit 1.
        card.status(RX_ENABLED_BITMAP_OFFSET + 8, 1L << 1);
        assertEquals(DCTL_ENABLE, bar.read(rxdctl(65)) & DCTL_ENABLE);
        assertTrue(bar.isRxQueueEnabled(65));
        assertFalse(bar.isTxQueueEnabled(65));
        // TX queue 3: bit 3 of the TX bitmap.
        card.status(TX_ENABLED_BITMAP_OFFSET, 1L << 3);
        assertEquals(DCTL_ENABLE, bar.read(txdctl(3)) & DCTL_ENABLE);
        assertTrue(bar.isTxQueueEnabled(3));
    }

    @Test
    void refusesOffsetsOutsideTheBarOrUnaligned()
    {
        assertThrows(IllegalArgumentException.class, () -> bar.read(BAR_SIZE));
        assertThrows(IllegalArgumentException.class, () -> bar.write(2, 0));
        assertThrows(IllegalArgumentException.class, () -> bar.read(-4));
    }

    @Test
    void awaitNamesWhatDidNotHappen()
    {
        final DeviceTimeoutException timeout = assertThrows(DeviceTimeoutException.class,
            () -> bar.awaitSet(LINKS, LINKS_UP, 1_000_000, "link came up (LINKS.LINK_UP)"));
        assertTrue(timeout.getMessage().contains("link came up"), timeout.getMessage());
        assertTrue(timeout.getMessage().contains("0x042A4"), timeout.getMessage());
    }
}
