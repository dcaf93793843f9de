package io.nicq.ixgbe;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class DescriptorTest
{
    @Test
    void rxReadFormatAndWriteBack()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment ring = arena.allocate(4 * RxDescriptor.SIZE, 128);
            RxDescriptor.setBuffer(ring, 2, 0x1_0000_1000L);
            assertEquals(0x1_0000_1000L, RxDescriptor.bufferAddress(ring, 2));
            assertEquals(0, RxDescriptor.headerAddress(ring, 2));
            assertEquals(0, RxDescriptor.statusError(ring, 2) & RxDescriptor.STATUS_DD);
            RxDescriptor.writeBack(ring, 2, 7, 60, 0xCAFE, RxDescriptor.STATUS_DD | RxDescriptor.STATUS_EOP);
            assertEquals(RxDescriptor.STATUS_DD | RxDescriptor.STATUS_EOP, RxDescriptor.statusError(ring, 2));
            assertEquals(60, RxDescriptor.length(ring, 2));
            assertEquals(0xCAFE, RxDescriptor.rssHash(ring, 2));
            assertEquals(7, RxDescriptor.packetInfo(ring, 2));
            RxDescriptor.setBuffer(ring, 2, 0x2000);
            assertEquals(0, RxDescriptor.statusError(ring, 2) & RxDescriptor.STATUS_DD, "setBuffer clears DD");
        }
    }

    @Test
    void txDescriptorAndWriteBack()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment ring = arena.allocate(4 * TxDescriptor.SIZE, 128);
            TxDescriptor.setFrame(ring, 1, 0x1_0000_0040L, 60);
            final int cmd = TxDescriptor.cmdTypeLen(ring, 1);
            assertEquals(60, cmd & TxDescriptor.LENGTH_MASK);
            assertEquals(TxDescriptor.DTYP_DATA, cmd & TxDescriptor.DTYP_MASK);
            assertNotEquals(0, cmd & TxDescriptor.CMD_EOP);
            assertNotEquals(0, cmd & TxDescriptor.CMD_RS);
            assertEquals(0, TxDescriptor.status(ring, 1) & TxDescriptor.STATUS_DD);
            TxDescriptor.writeBack(ring, 1, 123456789L);
            assertEquals(TxDescriptor.STATUS_DD, TxDescriptor.status(ring, 1) & TxDescriptor.STATUS_DD);
            assertEquals(123456789L, TxDescriptor.writeBackTimestamp(ring, 1));
        }
    }

    /**
     * A golden vector worked out by hand from datasheet 7.2.3.2.4, not from TxDescriptor's constants: a 60-byte frame
     * is cmd_type_len 0x2B30003C (DEXT 29, RS 27, IFCS 25, EOP 24, DTYP 0011b in [23:20], length 60) and olinfo_status
     * 0x000F0000 (PAYLEN 60 in [31:14]), little endian in the ring.
     */
    @Test
    void txDescriptorOfASixtyByteFrameMatchesTheHandWorkedVector()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment ring = arena.allocate(TxDescriptor.SIZE, 128);
            TxDescriptor.setFrame(ring, 0, 0x1_2345_6000L, 60);
            assertEquals(0x2B30003C, TxDescriptor.cmdTypeLen(ring, 0));
            assertEquals(0x000F0000, ring.get(ValueLayout.JAVA_INT_UNALIGNED
                .withOrder(ByteOrder.LITTLE_ENDIAN), TxDescriptor.OLINFO_STATUS_OFFSET));
            assertEquals(0x3C, ring.get(ValueLayout.JAVA_BYTE, TxDescriptor.CMD_TYPE_LEN_OFFSET),
                "little endian: the length's low byte first");
            assertEquals(0x1_2345_6000L, TxDescriptor.bufferAddress(ring, 0));
        }
    }

    @Test
    void deviceTimestampRebuildsNanoTimeAcrossWrap()
    {
        final long device = 0x7_FFFF_FFF0L;
        final long later = device + 1000;
        assertEquals(device, RxDescriptor.deviceTimestamp((int)device, later));
        final long negative = -5_000_000_000L;
        assertEquals(negative, RxDescriptor.deviceTimestamp((int)negative, negative + 50));
    }
}
