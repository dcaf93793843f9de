package io.nicq.ixgbe;

/** The device did not do something within the time allowed; the message names what. */
public final class DeviceTimeoutException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public DeviceTimeoutException(final String message)
    {
        super(message);
    }
}
