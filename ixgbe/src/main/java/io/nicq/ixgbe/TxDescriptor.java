package io.nicq.ixgbe;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The 82599's advanced transmit data descriptor (datasheet 7.2.3.2.4), 16 bytes, as static accessors.
 * <pre>
 *  Read format (driver to device):
 *    0                   8                  12                  16
 *    +-------------------+------------------+-------------------+
 *    | buffer address    | cmd_type_len     | olinfo_status     |
 *    +-------------------+------------------+-------------------+
 *    cmd_type_len: length [15:0], DTYP [23:20] = 3 (data), EOP 24, IFCS 25, RS 27, DEXT 29
 *    olinfo_status: PAYLEN [31:14]
 *
 *  Write-back format (device to driver, when RS was set and head write-back is off):
 *    0                   8                  12                  16
 *    +-------------------+------------------+-------------------+
 *    | reserved          | reserved         | status (DD bit 0) |
 *    +-------------------+------------------+-------------------+
 * </pre>
 * The simulated card writes its {@code System.nanoTime()} at the moment the frame went on the wire into the reserved
 * first 8 bytes of the write-back, so the device's phase can be timed.
 */
public final class TxDescriptor
{
    public static final int SIZE = 16;

    public static final int BUFFER_ADDRESS_OFFSET = 0;
    public static final int CMD_TYPE_LEN_OFFSET = 8;
    public static final int OLINFO_STATUS_OFFSET = 12;
    public static final int WRITEBACK_TIMESTAMP_OFFSET = 0;

    public static final int LENGTH_MASK = 0xFFFF;
    public static final int DTYP_DATA = 0x3 << 20;
    public static final int DTYP_MASK = 0xF << 20;
    public static final int CMD_EOP = 1 << 24;
    public static final int CMD_IFCS = 1 << 25;
    public static final int CMD_RS = 1 << 27;
    public static final int CMD_DEXT = 1 << 29;
    public static final int PAYLEN_SHIFT = 14;

    /** Descriptor done, in the write-back status. */
    public static final int STATUS_DD = 1 << 0;

    /** What nicq writes for a one-descriptor frame: data descriptor, end of packet, insert CRC, report status. */
    public static final int CMD_SINGLE_FRAME = DTYP_DATA | CMD_DEXT | CMD_EOP | CMD_IFCS | CMD_RS;

    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private TxDescriptor()
    {
    }

    /** Fills a descriptor for one buffer; the caller publishes it with the TDT write. */
    public static void set(final MemorySegment ring, final int index, final long bufferAddress, final int cmdTypeLen,
        final int olinfoStatus)
    {
        final long offset = (long)index * SIZE;
        LONG.set(ring, offset + BUFFER_ADDRESS_OFFSET, bufferAddress);
        INT.set(ring, offset + CMD_TYPE_LEN_OFFSET, cmdTypeLen);
        INT.setRelease(ring, offset + OLINFO_STATUS_OFFSET, olinfoStatus);
    }

    /** A single-buffer frame of {@code length} bytes. */
    public static void setFrame(final MemorySegment ring, final int index, final long bufferAddress, final int length)
    {
        set(ring, index, bufferAddress, CMD_SINGLE_FRAME | length, length << PAYLEN_SHIFT);
    }

    public static long bufferAddress(final MemorySegment ring, final int index)
    {
        return (long)LONG.get(ring, (long)index * SIZE + BUFFER_ADDRESS_OFFSET);
    }

    public static int cmdTypeLen(final MemorySegment ring, final int index)
    {
        return (int)INT.getAcquire(ring, (long)index * SIZE + CMD_TYPE_LEN_OFFSET);
    }

    /** Write-back status (olinfo_status position), acquire: DD set means the rest of the write-back is visible. */
    public static int status(final MemorySegment ring, final int index)
    {
        return (int)INT.getAcquire(ring, (long)index * SIZE + OLINFO_STATUS_OFFSET);
    }

    /** On the simulated card: when the frame went on the wire (nanoTime), 0 if not written. */
    public static long writeBackTimestamp(final MemorySegment ring, final int index)
    {
        return (long)LONG.get(ring, (long)index * SIZE + WRITEBACK_TIMESTAMP_OFFSET);
    }

    /** Device side: writes back DD (and the sim's wire timestamp). */
    public static void writeBack(final MemorySegment ring, final int index, final long timestampNs)
    {
        final long offset = (long)index * SIZE;
        LONG.set(ring, offset + WRITEBACK_TIMESTAMP_OFFSET, timestampNs);
        INT.set(ring, offset + CMD_TYPE_LEN_OFFSET, 0);
        INT.setRelease(ring, offset + OLINFO_STATUS_OFFSET, STATUS_DD);
    }
}
