package io.nicq.sim;

import java.lang.foreign.MemorySegment;

/**
 * Where a wire or a frame ring hands the raw Ethernet frames it carries (the device's receive path, a capture, a
 * test): a frame is valid only for the duration of the call, so copy what you need before returning.
 */
@FunctionalInterface
public interface FrameSink
{
    /**
     * @param buffer memory holding the frame
     * @param offset where the frame starts in {@code buffer}
     * @param length frame length in bytes (Ethernet header to payload, no FCS)
     */
    void onFrame(MemorySegment buffer, long offset, int length);
}
