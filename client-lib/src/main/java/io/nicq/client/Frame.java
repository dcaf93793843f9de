package io.nicq.client;

import io.nicq.proto.channel.QueueChannelLayout;
import io.nicq.proto.channel.SlotMetadata;
import org.agrona.concurrent.AtomicBuffer;

/**
 * A reused view of one slot of a {@link NicQueue}: where its frame lies in the packet pool (zero copy: the NIC wrote
 * it there, or will read it from there), its length and its phase timestamps. Handed to a {@link FrameHandler};
 * nothing is allocated per frame.
 * <pre>
 *   buffer(): the whole packet pool       offset() = slot x 2048
 *   +----------------+--------------------+------------------------------------+----------------
 *   | slot 0         | ...                | slot s: frame, length() bytes      | ...
 *   +----------------+--------------------+------------------------------------+----------------
 *                                         |&lt;------------- capacity() = 2048 --&gt;|
 * </pre>
 * The frame starts with its Ethernet header; wrap the {@code io.nicq.packet} flyweights over
 * {@code buffer(), offset()}. Write within {@link #capacity()} bytes of {@link #offset()} only.
 */
public final class Frame
{
    private final NicQueue queue;
    private final AtomicBuffer buffer;
    private final SlotMetadata metadata;
    private int slot = NicQueue.NO_SLOT;
    private int length;

    Frame(final NicQueue queue, final AtomicBuffer buffer, final SlotMetadata metadata)
    {
        this.queue = queue;
        this.buffer = buffer;
        this.metadata = metadata;
    }

    Frame wrap(final int slot, final int length)
    {
        this.slot = slot;
        this.length = length;
        return this;
    }

    /** The slot index: what {@link NicQueue#send(int, int)} and {@link NicQueue#release(int)} take. */
    public int slot()
    {
        return slot;
    }

    /** The queue this slot belongs to. */
    public NicQueue queue()
    {
        return queue;
    }

    /** The packet pool; the frame is at {@link #offset()}. */
    public AtomicBuffer buffer()
    {
        return buffer;
    }

    /** Offset of the frame's first byte (its Ethernet header) in {@link #buffer()}. */
    public int offset()
    {
        return NicQueue.frameOffset(slot);
    }

    /** Bytes of the frame: as received, or as sent. */
    public int length()
    {
        return length;
    }

    /** Bytes the slot can hold. */
    public int capacity()
    {
        return QueueChannelLayout.SLOT_SIZE;
    }

    /**
     * Sends this slot as a frame of {@code length} bytes (written in place): the zero-copy echo of a received frame,
     * or a resend of a sent one. Goes out with the next {@link NicQueue#flush()} (at the latest when the current
     * poll ends).
     *
     * @param length of the frame to send.
     */
    public void send(final int length)
    {
        queue.send(slot, length);
    }

    /** Gives the slot back to the queue now instead of when the handler returns. */
    public void release()
    {
        queue.release(slot);
    }

    /** Keeps the slot after the handler returns: the application must {@link NicQueue#send} or release it later. */
    public void keep()
    {
        queue.keep(slot);
    }

    /** Driver flags of a slot back from TX ({@link SlotMetadata#FLAG_TX_REJECTED_LENGTH}), 0 otherwise. */
    public int flags()
    {
        return metadata.flags(slot);
    }

    /** Whether the queue driver refused to send this frame (length out of range). */
    public boolean isTxRejected()
    {
        return (metadata.flags(slot) & SlotMetadata.FLAG_TX_REJECTED_LENGTH) != 0;
    }

    /** RX: when the device wrote the descriptor (simulated card only), 0 if absent. */
    public long rxDeviceNs()
    {
        return metadata.rxDeviceNs(slot);
    }

    /** RX: when the queue driver saw the descriptor done. */
    public long rxDriverSawNs()
    {
        return metadata.rxDriverSawNs(slot);
    }

    /** RX: when the queue driver published the slot on the client ring. */
    public long rxPublishedNs()
    {
        return metadata.rxPublishedNs(slot);
    }

    /**
     * RX: when the frame reached the client's ring: published on rxReady by the queue driver, or, for a frame the
     * client took itself from a served queue's read-only RX ring (no driver stamps: saw DD and published are absent),
     * the device's write-back, which is that ring's publication. The start of the "client ring -> app" phase.
     */
    public long rxRingNs()
    {
        return metadata.rxTakenFromRing(slot) ? metadata.rxDeviceNs(slot) : metadata.rxPublishedNs(slot);
    }

    /** RX: when the client took the frame off the ring for the application. */
    public long rxAppNs()
    {
        return metadata.rxAppNs(slot);
    }

    /** TX: when the application asked to send. */
    public long txAppSendNs()
    {
        return metadata.txAppSendNs(slot);
    }

    /** TX: when the client put the slot on the TX ring. */
    public long txEnqueuedNs()
    {
        return metadata.txEnqueuedNs(slot);
    }

    /** TX: when the queue driver took the slot. */
    public long txDequeuedNs()
    {
        return metadata.txDequeuedNs(slot);
    }

    /** TX: when the queue driver wrote the descriptor and rang the doorbell. */
    public long txDoorbellNs()
    {
        return metadata.txDoorbellNs(slot);
    }

    /** TX: when the device put the frame on the wire (simulated card only), 0 if absent. */
    public long txWireNs()
    {
        return metadata.txWireNs(slot);
    }

    /** The application's own 64-bit field of the slot (e.g. a sequence number); the driver never touches it. */
    public long user()
    {
        return metadata.user(slot);
    }

    public void user(final long value)
    {
        metadata.user(slot, value);
    }

    public String toString()
    {
        return "Frame{slot " + slot + ", " + length + " bytes}";
    }
}
