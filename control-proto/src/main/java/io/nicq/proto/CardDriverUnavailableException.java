package io.nicq.proto;

import io.nicq.proto.sbe.ErrorCode;

/**
 * There is no card driver to ask: none runs for the instance (no media driver), its media driver cannot be reached,
 * or the connection to it has closed (the card driver went away). No request was answered; retrying helps only once
 * a card driver runs again.
 */
public final class CardDriverUnavailableException extends ControlException
{
    private static final long serialVersionUID = 1L;

    public CardDriverUnavailableException(final String message)
    {
        super(ErrorCode.NULL_VAL, message);
    }

    public CardDriverUnavailableException(final String message, final Throwable cause)
    {
        super(ErrorCode.NULL_VAL, message, cause);
    }
}
