package io.nicq.proto;

import io.nicq.proto.sbe.ErrorCode;

/**
 * The card driver is there (its media driver runs) but did not take a request or answer it within the timeout: it
 * is busy, stuck, or has just gone. Compare {@link CardDriverUnavailableException}: no card driver to ask at all.
 */
public final class ControlTimeoutException extends ControlException
{
    private static final long serialVersionUID = 1L;

    public ControlTimeoutException(final String message)
    {
        super(ErrorCode.NULL_VAL, message);
    }
}
