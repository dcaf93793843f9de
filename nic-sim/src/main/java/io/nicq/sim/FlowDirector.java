package io.nicq.sim;

import java.lang.foreign.MemorySegment;

/**
 * The seam for the 82599's flow director (datasheet 7.1.2.7): consulted after the 5-tuple and SYN filters and before
 * RSS. The simulated card does not model it yet ({@link #NONE} never matches, so frames fall through to RSS or queue
 * 0); an implementation would compile FDIRCTRL, the flow director masks and its perfect-match or hash table from the
 * registers in {@link #compile(MemorySegment)} and look frames up without allocating.
 */
interface FlowDirector
{
    /** No match: the next stage decides. */
    int NO_MATCH = -1;

    /** The flow director as the simulated card ships it: disabled. */
    FlowDirector NONE = new FlowDirector()
    {
        public void compile(final MemorySegment bar)
        {
        }

        public int queueFor(final MemorySegment frame, final long offset, final int length, final long ipOffset)
        {
            return NO_MATCH;
        }
    };

    /** Rereads the flow director registers after the driver wrote registers. */
    void compile(MemorySegment bar);

    /**
     * @param ipOffset where the IPv4 header starts in {@code frame}
     * @return the RX queue, or {@link #NO_MATCH}
     */
    int queueFor(MemorySegment frame, long offset, int length, long ipOffset);
}
