package io.nicq.card;

import io.nicq.proto.sbe.ErrorCode;

/**
 * A request the card driver refuses: the protocol's error code and a sentence for the client. Thrown by the queue and
 * filter managers, caught by the control server and turned into one {@code Error} answer. Control path only; no stack
 * trace is filled in, as the message says everything.
 */
public final class RequestException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final transient ErrorCode code;

    public RequestException(final ErrorCode code, final String message)
    {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code()
    {
        return code;
    }

    public String toString()
    {
        return "RequestException{" + code + ": " + getMessage() + "}";
    }
}
