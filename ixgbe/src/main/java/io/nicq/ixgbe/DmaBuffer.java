package io.nicq.ixgbe;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

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

    /**
     * The file that backs the memory, which another process may map too (a client maps a served queue's RX descriptor
     * ring read-only), or null where the memory is anonymous (a device stub's).
     */
    default Path file()
    {
        return null;
    }

    /** Unregisters, unmaps and deletes the memory. */
    void close();
}
