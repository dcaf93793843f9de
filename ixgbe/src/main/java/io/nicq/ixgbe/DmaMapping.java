package io.nicq.ixgbe;

/** A range of memory registered for DMA; its IOVAs are valid until {@link #close()}. */
public interface DmaMapping extends AutoCloseable
{
    /**
     * IOVA of the byte at {@code offset} in the mapped range. Ranges within one {@link
     * DmaAllocator#contiguousBlockSize()}-aligned block are contiguous in IOVA space.
     */
    long iova(long offset);

    /** Bytes mapped. */
    long length();

    /** Unregisters the range: the device can no longer reach it. */
    void close();
}
