package io.nicq.proto;

import io.nicq.proto.sbe.ErrorCode;

/** No answer from the card driver within the request timeout, or it cannot be reached at all. */
public final class ControlTimeoutException extends ControlException
{
    private static final long serialVersionUID = 1L;

    public ControlTimeoutException(final String message)
    {
        super(ErrorCode.NULL_VAL, message);
    }

    public ControlTimeoutException(final String message, final Throwable cause)
    {
        super(ErrorCode.NULL_VAL, message, cause);
    }
}
