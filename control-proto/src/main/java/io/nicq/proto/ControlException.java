package io.nicq.proto;

import io.nicq.proto.sbe.ErrorCode;

/** A request failed: the card driver's error code and message, or a local failure (no answer, no card driver). */
public class ControlException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final transient ErrorCode code;

    public ControlException(final ErrorCode code, final String message)
    {
        super(message);
        this.code = code;
    }

    public ControlException(final ErrorCode code, final String message, final Throwable cause)
    {
        super(message, cause);
        this.code = code;
    }

    /** The protocol's error code; {@code ErrorCode.NULL_VAL} when the failure was local (see the message). */
    public ErrorCode code()
    {
        return code;
    }

    public String toString()
    {
        return "ControlException{" + code + ": " + getMessage() + "}";
    }
}
