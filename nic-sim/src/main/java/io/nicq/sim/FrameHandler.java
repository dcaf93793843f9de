package io.nicq.sim;

import java.lang.foreign.MemorySegment;

/** Receives a frame that is valid only for the duration of the call: copy what you need before returning. */
@FunctionalInterface
public interface FrameHandler
{
    /**
     * @param buffer memory holding the frame
     * @param offset where the frame starts in {@code buffer}
     * @param length frame length in bytes (Ethernet header to payload, no FCS)
     */
    void onFrame(MemorySegment buffer, long offset, int length);
}
