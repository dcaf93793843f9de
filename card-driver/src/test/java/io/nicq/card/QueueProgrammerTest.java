package io.nicq.card;

import java.util.concurrent.TimeUnit;

import io.nicq.ixgbe.DeviceTimeoutException;
import io.nicq.proto.sbe.ErrorCode;
import org.junit.jupiter.api.Test;

import static io.nicq.ixgbe.Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/** Attaching a queue driver's rings and disabling a queue. */
class QueueProgrammerTest
{
    private static final long RX = 0x1_0021_0000L;
    private static final long TX = 0x1_0023_0000L;
    private static final long HEAD = 0x1_0025_0040L;

    private final RecordingBar bar = new RecordingBar();
    private final QueueProgrammer programmer = new QueueProgrammer(bar, TimeUnit.MILLISECONDS.toNanos(100));

    @Test
    void enableProgramsTheRingsThenTheEnableBits()
    {
        programmer.enable(70, 512, RX, TX, HEAD);

        assertEquals((int)RX, bar.registers[rdbal(70) >> 2]);
        assertEquals(1, bar.registers[rdbah(70) >> 2]);
        assertEquals(512 * 16, bar.registers[rdlen(70) >> 2]);
        assertEquals(SRRCTL_DESCTYPE_ADV_ONEBUF | SRRCTL_DROP_EN | 2, bar.registers[srrctl(70) >> 2]);
        assertEquals(0, bar.registers[rdt(70) >> 2]);
        assertEquals((int)TX, bar.registers[tdbal(70) >> 2]);
        assertEquals(512 * 16, bar.registers[tdlen(70) >> 2]);
        assertEquals((int)HEAD | TDWBAL_HEAD_WB_ENABLE, bar.registers[tdwbal(70) >> 2]);
        assertEquals(1, bar.registers[tdwbah(70) >> 2]);
        final int txdctl = bar.registers[txdctl(70) >> 2];
        assertEquals(36, txdctl & 0x7F);
        assertEquals(8, (txdctl >> 8) & 0x7F);
        assertEquals(0, (txdctl >> 16) & 0x7F, "write-back at once for latency");
        assertNotEquals(0, txdctl & DCTL_ENABLE);
        assertNotEquals(0, bar.registers[rxdctl(70) >> 2] & DCTL_ENABLE);

        final int rdbalWrite = bar.writeOffsetsSince(0, rdbal(70), rxdctl(70)).indexOf(rxdctl(70));
        assertTrue(rdbalWrite > 0, "RXDCTL.ENABLE after the ring base");
    }

    @Test
    void disableClearsEnableAndForgetsTheRings()
    {
        programmer.enable(3, 64, RX, TX, 0);
        assertNull(programmer.disable(3));
        assertFalse(programmer.isEnabled(3));
        for (final int offset : new int[]{rdbal(3), rdbah(3), rdlen(3), tdbal(3), tdbah(3), tdlen(3), tdwbal(3)})
        {
            assertEquals(0, bar.registers[offset >> 2]);
        }
    }

    @Test
    void aTxQueueIsDisabledOnlyOnceItHasSentWhatItHolds()
    {
        final int[] seenAtDisable = {-1, -1};
        final RecordingBar draining = new RecordingBar()
        {
            public int read(final int offset)
            {
                if (offset == tdh(7) && registers[offset >> 2] != registers[tdt(7) >> 2])
                {
                    registers[offset >> 2]++;                      // the device sends one descriptor per look
                }
                return super.read(offset);
            }

            void onWrite(final int offset, final int value)
            {
                if (offset == txdctl(7) && (value & DCTL_ENABLE) == 0 && seenAtDisable[0] < 0)
                {
                    seenAtDisable[0] = registers[tdh(7) >> 2];
                    seenAtDisable[1] = registers[tdt(7) >> 2];
                }
            }
        };
        final QueueProgrammer queues = new QueueProgrammer(draining, TimeUnit.MILLISECONDS.toNanos(100));
        queues.enable(7, 64, RX, TX, HEAD);
        seenAtDisable[0] = -1;                                    // enabling wrote TXDCTL without ENABLE too
        draining.registers[tdt(7) >> 2] = 20;                     // the queue driver posted 20 descriptors
        assertNull(queues.disable(7));
        assertEquals(20, seenAtDisable[0], "TXDCTL.ENABLE cleared only once TDH reached TDT");
        assertEquals(20, seenAtDisable[1]);
        assertFalse(queues.isEnabled(7));
    }

    @Test
    void aTxQueueThatNeverDrainsIsDisabledAnywayAndNamed()
    {
        programmer.enable(8, 64, RX, TX, HEAD);
        bar.registers[tdt(8) >> 2] = 5;                           // a device that never sends (link down)
        final long start = System.nanoTime();
        final String failure = programmer.disable(8);
        assertTrue(System.nanoTime() - start >= QueueProgrammer.TX_DRAIN_TIMEOUT_NS, "waited the drain timeout");
        assertNotNull(failure);
        assertTrue(failure.contains("TX queue 8 did not drain within 10 ms (TDH 0, TDT 5)"), failure);
        assertFalse(programmer.isEnabled(8), "disabled anyway");
        assertEquals(0, bar.registers[tdbal(8) >> 2], "and its rings forgotten");
    }

    @Test
    void theRingsAreForgottenOnlyAFurtherWaitAfterEnableReadsZero()
    {
        final long[] disabledAt = {0};
        final long[] forgottenAt = {0};
        final RecordingBar timed = new RecordingBar()
        {
            void onWrite(final int offset, final int value)
            {
                if (offset == txdctl(9) && (value & DCTL_ENABLE) == 0 && disabledAt[0] == 0)
                {
                    disabledAt[0] = System.nanoTime();
                }
                else if (offset == rdbal(9) && value == 0 && disabledAt[0] != 0 && forgottenAt[0] == 0)
                {
                    forgottenAt[0] = System.nanoTime();
                }
            }
        };
        final QueueProgrammer queues = new QueueProgrammer(timed, TimeUnit.MILLISECONDS.toNanos(100));
        queues.enable(9, 64, RX, TX, HEAD);
        disabledAt[0] = 0;                                        // enabling wrote TXDCTL without ENABLE too
        assertNull(queues.disable(9));
        assertTrue(forgottenAt[0] - disabledAt[0] >= QueueProgrammer.AFTER_DISABLE_WAIT_NS,
            "4.6.7.1.2 / DPDK: ~100 us after ENABLE reads 0 before the memory may go: " +
            (forgottenAt[0] - disabledAt[0]) + " ns");
    }

    @Test
    void queueThatNeverStartsIsNamed()
    {
        final RecordingBar stuck = new RecordingBar()
        {
            void onWrite(final int offset, final int value)
            {
                if (offset == rxdctl(5))
                {
                    registers[offset >> 2] = value & ~DCTL_ENABLE;
                }
            }
        };
        final DeviceTimeoutException ex = assertThrows(DeviceTimeoutException.class,
            () -> new QueueProgrammer(stuck, TimeUnit.MILLISECONDS.toNanos(50)).enable(5, 64, RX, TX, 0));
        assertTrue(ex.getMessage().contains("RX queue 5 did not start within 50 ms"), ex.getMessage());
    }

    @Test
    void badRingsAreInvalid()
    {
        assertCode(() -> QueueProgrammer.validate(100, RX, TX, 0));
        assertCode(() -> QueueProgrammer.validate(16384, RX, TX, 0));
        assertCode(() -> QueueProgrammer.validate(64, RX + 64, TX, 0));
        assertCode(() -> QueueProgrammer.validate(64, RX, 0, 0));
        assertCode(() -> QueueProgrammer.validate(64, RX, TX, HEAD + 2));
        QueueProgrammer.validate(64, RX, TX, HEAD);
        QueueProgrammer.validate(64, RX, TX, HEAD + 16);
    }

    @Test
    void aHeadWriteBackAddressMustBeSixteenByteAligned()
    {
        // 7.2.3.5.2 says dword, 8.2.3.9.11 qword: neither is enough on the part.
        for (final long address : new long[]{HEAD + 4, HEAD + 8, HEAD + 12})
        {
            final RequestException ex = assertThrows(RequestException.class,
                () -> QueueProgrammer.validate(64, RX, TX, address));
            assertEquals(ErrorCode.INVALID_ARGUMENT, ex.code());
            assertTrue(ex.getMessage().contains(String.format("0x%X must be 16-byte aligned", address)),
                ex.getMessage());
        }
    }

    private static void assertCode(final Runnable action)
    {
        final RequestException ex = assertThrows(RequestException.class, action::run);
        assertEquals(ErrorCode.INVALID_ARGUMENT, ex.code());
    }
}
