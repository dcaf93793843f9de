package io.nicq.ixgbe;

import java.lang.foreign.MemorySegment;

/** Private DMA memory: the mapped memory and its DMA mapping, released together. */
public interface DmaBuffer extends AutoCloseable
{
    MemorySegment segment();

    DmaMapping mapping();

    /** IOVA of the first byte. */
    default long iova()
    {
        return mapping().iova(0);
    }

    /** Unregisters, unmaps and deletes the memory. */
    void close();
}
