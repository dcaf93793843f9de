package io.nicq.proto.channel;

import org.agrona.BitUtil;

/**
 * Where each part of a queue channel file lies, computed from the slot count alone so that the creator and every
 * process that opens the file agree without trusting the offsets written in the header (they are checked against
 * this computation on open).
 * <pre>
 *   0                 header                        HEADER_LENGTH (one 4 KiB page)
 *   ringOffset(0)     ring rxReady                  ringLength bytes each, 128-byte aligned
 *   ringOffset(1)     ring rxFree
 *   ringOffset(2)     ring txReady
 *   ringOffset(3)     ring txDone
 *   forwardRingOffset software-forward ring           ForwardRing.LENGTH bytes, 128-byte aligned
 *   metadataOffset    slot metadata                 slotCount x METADATA_RECORD_LENGTH, page aligned
 *   poolOffset        packet pool (DMA)             slotCount x SLOT_SIZE, POOL_ALIGNMENT (2 MiB) aligned
 *   fileLength                                      rounded up to POOL_ALIGNMENT, so hugetlbfs can hold it
 * </pre>
 */
public final class QueueChannelLayout
{
    /** The header occupies one page of its own. */
    public static final int HEADER_LENGTH = 4096;

    /** Bytes of one packet buffer: the whole slot belongs to the frame, the NIC gets all of it. */
    public static final int SLOT_SIZE = 2048;

    /** Bytes of one slot's metadata record (two cache lines: RX fields, then TX fields). */
    public static final int METADATA_RECORD_LENGTH = 128;

    /** The pool starts on a 2 MiB boundary and the file is a multiple of 2 MiB: the same layout fits hugetlbfs. */
    public static final int POOL_ALIGNMENT = 2 * 1024 * 1024;

    /** Page alignment of the metadata array. */
    public static final int PAGE_SIZE = 4096;

    /** Rings in a channel, in file order. */
    public static final int RING_COUNT = 4;

    /** Ring index: received frames, queue driver to client. */
    public static final int RX_READY = 0;
    /** Ring index: empty slots for RX refill, client to queue driver. */
    public static final int RX_FREE = 1;
    /** Ring index: frames to send, client to queue driver. */
    public static final int TX_READY = 2;
    /** Ring index: slots free again (sent, rejected, or never posted), queue driver to client. */
    public static final int TX_DONE = 3;

    /** Fewest slots a channel may have. */
    public static final int MIN_SLOT_COUNT = 2;

    /** Most slots a channel may have: 128 MiB of pool. */
    public static final int MAX_SLOT_COUNT = 65536;

    /** What a queue gets when the request does not say: 4 MiB of pool, four times a default ring. */
    public static final int DEFAULT_SLOT_COUNT = 2048;

    private final int slotCount;
    private final int ringCapacity;
    private final int ringLength;
    private final long forwardRingOffset;
    private final long metadataOffset;
    private final long poolOffset;
    private final long fileLength;

    private QueueChannelLayout(final int slotCount)
    {
        this.slotCount = slotCount;
        this.ringCapacity = BitUtil.findNextPositivePowerOfTwo(slotCount);
        this.ringLength = IndexRing.lengthFor(ringCapacity);
        this.forwardRingOffset = BitUtil.align(HEADER_LENGTH + (long)RING_COUNT * ringLength, 128);
        this.metadataOffset = BitUtil.align(forwardRingOffset + ForwardRing.LENGTH, PAGE_SIZE);
        this.poolOffset = BitUtil.align(metadataOffset + (long)slotCount * METADATA_RECORD_LENGTH, POOL_ALIGNMENT);
        this.fileLength = BitUtil.align(poolOffset + (long)slotCount * SLOT_SIZE, POOL_ALIGNMENT);
    }

    /**
     * The layout of a channel with {@code slotCount} slots.
     *
     * @throws IllegalArgumentException if the count is outside [{@link #MIN_SLOT_COUNT}, {@link #MAX_SLOT_COUNT}]
     */
    public static QueueChannelLayout of(final int slotCount)
    {
        if (slotCount < MIN_SLOT_COUNT || slotCount > MAX_SLOT_COUNT)
        {
            throw new IllegalArgumentException("slot count " + slotCount + " is outside [" + MIN_SLOT_COUNT + ", " +
                MAX_SLOT_COUNT + "]");
        }
        return new QueueChannelLayout(slotCount);
    }

    public int slotCount()
    {
        return slotCount;
    }

    /** Entries per ring: the next power of two at or above the slot count, so an honest ring never overflows. */
    public int ringCapacity()
    {
        return ringCapacity;
    }

    /** Bytes of one ring, positions included. */
    public int ringLength()
    {
        return ringLength;
    }

    /** File offset of ring {@code ring} ({@link #RX_READY} .. {@link #TX_DONE}). */
    public long ringOffset(final int ring)
    {
        return HEADER_LENGTH + (long)ring * ringLength;
    }

    /** File offset of the software-forward ring ({@link ForwardRing}). */
    public long forwardRingOffset()
    {
        return forwardRingOffset;
    }

    public long metadataOffset()
    {
        return metadataOffset;
    }

    public long metadataLength()
    {
        return (long)slotCount * METADATA_RECORD_LENGTH;
    }

    /** File offset of the packet pool, the only part registered for DMA. */
    public long poolOffset()
    {
        return poolOffset;
    }

    public long poolLength()
    {
        return (long)slotCount * SLOT_SIZE;
    }

    public long fileLength()
    {
        return fileLength;
    }

    public String toString()
    {
        return "QueueChannelLayout{slotCount=" + slotCount + ", ringCapacity=" + ringCapacity + ", ringLength=" +
            ringLength + ", metadataOffset=" + metadataOffset + ", poolOffset=" + poolOffset + ", fileLength=" +
            fileLength + '}';
    }
}
