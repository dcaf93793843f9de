package io.nicq.proto.channel;

import org.agrona.concurrent.AtomicBuffer;

/**
 * Flyweight over the metadata array of a queue channel: one 128-byte record per slot, indexed by slot, kept apart
 * from the packet pool so that the NIC (which may reach only the pool) can never touch it. Whoever owns a slot (see
 * {@link QueueChannel} for the protocol) writes its record; the ring entry that hands the slot over publishes it.
 * <pre>
 *   record of slot s at 128 * s, little endian:
 *     0   frame length (int)      RX: the driver writes what the device received; TX: the client writes what to send
 *     4   flags (int)             FLAG_* bits, written by the driver when it hands the slot back
 *     8   RX  device wrote the descriptor         (simulated card only, else 0)   driver
 *    16   RX  driver saw DD                                                       driver
 *    24   RX  driver published to rxReady                                         driver
 *    32   RX  application received                                                client
 *    40   application's own (long), e.g. a sequence number; the driver never touches it
 *    48   reserved
 *    64   TX  application send                                                    client
 *    72   TX  client enqueued on txReady                                          client
 *    80   TX  driver dequeued                                                     driver
 *    88   TX  descriptor written + doorbell (TDT)                                 driver
 *    96   TX  device put the frame on the wire    (simulated card only, else 0)   driver
 *   104   reserved to 128
 * </pre>
 * All timestamps are {@code System.nanoTime()} of the process that wrote them (one clock per host), 0 when absent.
 * The RX fields share the first cache line with the length, the TX fields have the second: a zero-copy echo reuses
 * an RX slot for TX and keeps both halves, so one record carries a whole turnaround.
 * <p>
 * Slot indices are not checked here beyond the buffer's bounds: callers validate them first.
 */
public final class SlotMetadata
{
    public static final int RECORD_LENGTH = QueueChannelLayout.METADATA_RECORD_LENGTH;

    public static final int FRAME_LENGTH_OFFSET = 0;
    public static final int FLAGS_OFFSET = 4;
    public static final int RX_DEVICE_OFFSET = 8;
    public static final int RX_DRIVER_SAW_OFFSET = 16;
    public static final int RX_PUBLISHED_OFFSET = 24;
    public static final int RX_APP_OFFSET = 32;
    public static final int USER_OFFSET = 40;
    public static final int TX_APP_SEND_OFFSET = 64;
    public static final int TX_ENQUEUED_OFFSET = 72;
    public static final int TX_DEQUEUED_OFFSET = 80;
    public static final int TX_DOORBELL_OFFSET = 88;
    public static final int TX_WIRE_OFFSET = 96;

    /** On a slot returned on txDone: the frame was not sent, its length was outside [MIN_FRAME_LENGTH, slot size]. */
    public static final int FLAG_TX_REJECTED_LENGTH = 1;

    /** Shortest frame the queue driver transmits: an Ethernet header (the card pads to 60 bytes itself). */
    public static final int MIN_FRAME_LENGTH = 14;

    private final AtomicBuffer buffer;

    /** @param buffer the metadata array: slot count x {@link #RECORD_LENGTH} bytes */
    public SlotMetadata(final AtomicBuffer buffer)
    {
        this.buffer = buffer;
    }

    /** Offset of slot {@code slot}'s record in the metadata array. */
    public static int recordOffset(final int slot)
    {
        return slot * RECORD_LENGTH;
    }

    /** The buffer under this flyweight, for fields accessed in other ways. */
    public AtomicBuffer buffer()
    {
        return buffer;
    }

    public int frameLength(final int slot)
    {
        return buffer.getInt(recordOffset(slot) + FRAME_LENGTH_OFFSET);
    }

    public void frameLength(final int slot, final int length)
    {
        buffer.putInt(recordOffset(slot) + FRAME_LENGTH_OFFSET, length);
    }

    /** Writes the frame length and the flags together (one 8-byte store: length in the low half, little endian). */
    public void frameLengthAndFlags(final int slot, final int length, final int flags)
    {
        buffer.putLong(recordOffset(slot) + FRAME_LENGTH_OFFSET, ((long)flags << 32) | (length & 0xFFFF_FFFFL));
    }

    public int flags(final int slot)
    {
        return buffer.getInt(recordOffset(slot) + FLAGS_OFFSET);
    }

    public void flags(final int slot, final int flags)
    {
        buffer.putInt(recordOffset(slot) + FLAGS_OFFSET, flags);
    }

    /** RX: when the device wrote the descriptor back (simulated card), 0 if unknown. */
    public long rxDeviceNs(final int slot)
    {
        return buffer.getLong(recordOffset(slot) + RX_DEVICE_OFFSET);
    }

    public void rxDeviceNs(final int slot, final long nanoTime)
    {
        buffer.putLong(recordOffset(slot) + RX_DEVICE_OFFSET, nanoTime);
    }

    /** RX: when the queue driver saw the descriptor's DD bit. */
    public long rxDriverSawNs(final int slot)
    {
        return buffer.getLong(recordOffset(slot) + RX_DRIVER_SAW_OFFSET);
    }

    public void rxDriverSawNs(final int slot, final long nanoTime)
    {
        buffer.putLong(recordOffset(slot) + RX_DRIVER_SAW_OFFSET, nanoTime);
    }

    /** RX: when the queue driver published the slot on rxReady. */
    public long rxPublishedNs(final int slot)
    {
        return buffer.getLong(recordOffset(slot) + RX_PUBLISHED_OFFSET);
    }

    /**
     * Whether a received frame came without a queue driver in between: the client took it from a read-only RX ring,
     * so neither "driver saw DD" nor "published" was stamped (both 0), and the device's write-back is where the
     * client's ring begins.
     */
    public boolean rxTakenFromRing(final int slot)
    {
        return rxDriverSawNs(slot) == 0 && rxPublishedNs(slot) == 0;
    }

    public void rxPublishedNs(final int slot, final long nanoTime)
    {
        buffer.putLong(recordOffset(slot) + RX_PUBLISHED_OFFSET, nanoTime);
    }

    /** RX: when the application took the frame. */
    public long rxAppNs(final int slot)
    {
        return buffer.getLong(recordOffset(slot) + RX_APP_OFFSET);
    }

    public void rxAppNs(final int slot, final long nanoTime)
    {
        buffer.putLong(recordOffset(slot) + RX_APP_OFFSET, nanoTime);
    }

    /** The application's own field. */
    public long user(final int slot)
    {
        return buffer.getLong(recordOffset(slot) + USER_OFFSET);
    }

    public void user(final int slot, final long value)
    {
        buffer.putLong(recordOffset(slot) + USER_OFFSET, value);
    }

    /** TX: when the application asked to send. */
    public long txAppSendNs(final int slot)
    {
        return buffer.getLong(recordOffset(slot) + TX_APP_SEND_OFFSET);
    }

    public void txAppSendNs(final int slot, final long nanoTime)
    {
        buffer.putLong(recordOffset(slot) + TX_APP_SEND_OFFSET, nanoTime);
    }

    /** TX: when the client put the slot on txReady. */
    public long txEnqueuedNs(final int slot)
    {
        return buffer.getLong(recordOffset(slot) + TX_ENQUEUED_OFFSET);
    }

    public void txEnqueuedNs(final int slot, final long nanoTime)
    {
        buffer.putLong(recordOffset(slot) + TX_ENQUEUED_OFFSET, nanoTime);
    }

    /** TX: when the queue driver took the slot from txReady. */
    public long txDequeuedNs(final int slot)
    {
        return buffer.getLong(recordOffset(slot) + TX_DEQUEUED_OFFSET);
    }

    public void txDequeuedNs(final int slot, final long nanoTime)
    {
        buffer.putLong(recordOffset(slot) + TX_DEQUEUED_OFFSET, nanoTime);
    }

    /** TX: when the queue driver wrote TDT for the descriptor of this slot. */
    public long txDoorbellNs(final int slot)
    {
        return buffer.getLong(recordOffset(slot) + TX_DOORBELL_OFFSET);
    }

    public void txDoorbellNs(final int slot, final long nanoTime)
    {
        buffer.putLong(recordOffset(slot) + TX_DOORBELL_OFFSET, nanoTime);
    }

    /** TX: when the device put the frame on the wire (simulated card), 0 if unknown. */
    public long txWireNs(final int slot)
    {
        return buffer.getLong(recordOffset(slot) + TX_WIRE_OFFSET);
    }

    public void txWireNs(final int slot, final long nanoTime)
    {
        buffer.putLong(recordOffset(slot) + TX_WIRE_OFFSET, nanoTime);
    }

    /** Clears the RX half of a record (length, flags, RX timestamps, not the user field). */
    public void clearRx(final int slot)
    {
        final int offset = recordOffset(slot);
        buffer.putLong(offset + FRAME_LENGTH_OFFSET, 0L);
        buffer.putLong(offset + RX_DEVICE_OFFSET, 0L);
        buffer.putLong(offset + RX_DRIVER_SAW_OFFSET, 0L);
        buffer.putLong(offset + RX_PUBLISHED_OFFSET, 0L);
        buffer.putLong(offset + RX_APP_OFFSET, 0L);
    }

    /** Clears the TX timestamps of a record, for a client reusing a slot. */
    public void clearTx(final int slot)
    {
        final int offset = recordOffset(slot);
        buffer.putLong(offset + TX_APP_SEND_OFFSET, 0L);
        buffer.putLong(offset + TX_ENQUEUED_OFFSET, 0L);
        buffer.putLong(offset + TX_DEQUEUED_OFFSET, 0L);
        buffer.putLong(offset + TX_DOORBELL_OFFSET, 0L);
        buffer.putLong(offset + TX_WIRE_OFFSET, 0L);
    }
}
