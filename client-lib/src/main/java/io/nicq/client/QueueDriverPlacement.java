package io.nicq.client;

import io.nicq.proto.sbe.QueueMode;

/** Where a granted queue's driver runs ({@link NicQueue#driverPlacement()}). */
public enum QueueDriverPlacement
{
    /** A child process of the card driver, which supervises it. */
    PROCESS,

    /** A thread of the card driver. */
    THREAD,

    /** The application's own thread, in {@link NicQueue#poll}. */
    INLINE;

    /** The placement the card driver granted. */
    static QueueDriverPlacement of(final QueueMode mode)
    {
        return switch (mode)
        {
            case PROCESS -> PROCESS;
            case THREAD -> THREAD;
            case INLINE -> INLINE;
            case NULL_VAL -> throw new NicException(NicException.Reason.INTERNAL_ERROR,
                "the card driver granted a queue without saying where its queue driver runs");
        };
    }
}
