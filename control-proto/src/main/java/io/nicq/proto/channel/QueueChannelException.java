package io.nicq.proto.channel;

/** A queue channel file could not be created, opened or trusted; the message names the file and what was wrong. */
public final class QueueChannelException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public QueueChannelException(final String message)
    {
        super(message);
    }

    public QueueChannelException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
