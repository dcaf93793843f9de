package io.nicq.card;

import io.nicq.proto.sbe.ErrorCode;

/**
 * Why the card driver takes a queue, or everything a client holds, away. All but {@link #RELEASED} are failures a
 * client is told of in {@code QueueRevoked}, with the error code {@link #code()} names.
 */
enum RevokeReason
{
    /** Its owner gave it back (ReleaseQueue, or Disconnect for everything): nothing went wrong, nobody is told. */
    RELEASED(null),
    /** The client's process died, or it was silent for the client timeout. */
    CLIENT_TIMED_OUT(ErrorCode.CLIENT_TIMED_OUT),
    /** The queue's driver died, stopped on its own, never attached, or its queue could not be enabled. */
    QUEUE_DRIVER_FAILED(ErrorCode.QUEUE_DRIVER_FAILED),
    /** The card driver is stopping. */
    SHUTTING_DOWN(ErrorCode.SHUTTING_DOWN),
    /** The card stopped answering. */
    CARD_FAILED(ErrorCode.CARD_FAILED);

    private final ErrorCode code;

    RevokeReason(final ErrorCode code)
    {
        this.code = code;
    }

    /** Whether the owner is told ({@code QueueRevoked}) when the conductor asks for it. */
    boolean isTold()
    {
        return code != null;
    }

    /** The reason {@code QueueRevoked} carries; only for a reason that {@link #isTold()}. */
    ErrorCode code()
    {
        if (code == null)
        {
            throw new IllegalStateException(this + " is not told to anyone");
        }
        return code;
    }
}
