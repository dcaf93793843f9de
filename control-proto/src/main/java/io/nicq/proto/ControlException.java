package io.nicq.proto;

import io.nicq.proto.sbe.ErrorCode;

/**
 * A request failed. Thrown as itself when the card driver refused it: {@link #code()} is the code of its
 * {@code Error} answer and the message its text. Two subclasses are failures on this side, where no answer came:
 * {@link CardDriverUnavailableException} (no card driver to ask) and {@link ControlTimeoutException} (it did not
 * answer in time).
 */
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

    /**
     * The card driver's error code. {@code ErrorCode.NULL_VAL} when it answered with a code this side does not know
     * (a newer card driver; the message names the raw value), and for the two subclasses, which carry no answer.
     */
    public ErrorCode code()
    {
        return code;
    }

    public String toString()
    {
        return getClass().getSimpleName() + "{" + code + ": " + getMessage() + "}";
    }
}
