package io.nicq.client.tcp;

/** Why a {@link TcpConnection} ended: what {@link TcpHandler#onClosed} reports and {@link TcpConnection#closeReason()} keeps. */
public enum TcpCloseReason
{
    /** Still open: no reason yet. */
    NONE,
    /** Graceful: both FINs sent and acknowledged (or TIME_WAIT reached). */
    CLOSED,
    /** The peer sent an acceptable RST on an established or closing connection. */
    RESET,
    /** The peer answered our SYN with a RST: nothing listens on its port. */
    REFUSED,
    /** Our SYN (active open) got no answer after {@code Context.synRetries} retransmissions. */
    CONNECT_TIMED_OUT,
    /**
     * Data or a FIN got no acknowledgment after {@code Context.dataRetries} retransmissions, or keepalive probes
     * went unanswered.
     */
    TIMED_OUT,
    /** Closed locally by {@link TcpConnection#abort()} (a RST sent), or by close() with unread data. */
    ABORTED
}
