package io.nicq.client.tcp;

/** The connection states of RFC 9293 (3.3.2), as a {@link TcpConnection} goes through them. */
public enum TcpState
{
    /** No connection: before an active open is sent, and after the connection is gone. */
    CLOSED,
    /** A {@link TcpListener}'s state: waiting for a SYN. Connections are never in it. */
    LISTEN,
    /** Active open: our SYN sent, waiting for the SYN-ACK. */
    SYN_SENT,
    /** Passive (or simultaneous) open: a SYN received, our SYN-ACK sent, waiting for its ACK. */
    SYN_RECEIVED,
    /** Data flows both ways. */
    ESTABLISHED,
    /** We closed (FIN sent), waiting for its ACK or the peer's FIN. */
    FIN_WAIT_1,
    /** Our FIN acknowledged, waiting for the peer's FIN: the peer may still send. */
    FIN_WAIT_2,
    /** The peer closed (its FIN received): we may still send, until we close. */
    CLOSE_WAIT,
    /** Both closed at once: our FIN not yet acknowledged, the peer's received. */
    CLOSING,
    /** The peer closed first, then we did: waiting for the ACK of our FIN. */
    LAST_ACK,
    /** Both FINs exchanged, we closed first: waiting out old segments before the 4-tuple may be reused. */
    TIME_WAIT;

    /** Whether both sides' initial sequence numbers are known (RFC 9293's "synchronized states"). */
    public boolean isSynchronized()
    {
        return ordinal() >= ESTABLISHED.ordinal();
    }

    /** Whether the peer may still send data in this state (its FIN not yet received). */
    public boolean canReceive()
    {
        return this == ESTABLISHED || this == FIN_WAIT_1 || this == FIN_WAIT_2;
    }

    /** Whether the application may still queue data in this state (our FIN not yet queued). */
    public boolean canSend()
    {
        return this == SYN_SENT || this == SYN_RECEIVED || this == ESTABLISHED || this == CLOSE_WAIT;
    }
}
