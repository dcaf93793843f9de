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
