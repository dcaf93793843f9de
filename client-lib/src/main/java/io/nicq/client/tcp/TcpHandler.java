package io.nicq.client.tcp;

/**
 * The events of a {@link TcpConnection}, called on the thread that polls the interface, while it receives a segment
 * or runs the layer's timers. Every method has an empty default: implement the ones you act on. A handler may call
 * the connection's methods (read, write, close, abort) from inside an event.
 */
public interface TcpHandler
{
    /** An active open completed: the connection is ESTABLISHED. (Accepted connections get onAccepted instead.) */
    default void onConnected(final TcpConnection connection)
    {
    }

    /**
     * In-order bytes are readable ({@link TcpConnection#read}). Reading inside this call may see the received slot's
     * bytes directly (zero copy); what is left unread is copied into the connection's receive buffer.
     */
    default void onReadable(final TcpConnection connection)
    {
    }

    /** The send buffer has room again after a {@link TcpConnection#write} accepted less than it was offered. */
    default void onWritable(final TcpConnection connection)
    {
    }

    /** The peer's FIN arrived (half-close): every byte before it has been made readable; no more will come. */
    default void onPeerClosed(final TcpConnection connection)
    {
    }

    /** The connection ended; {@code reason} says how. Called once. */
    default void onClosed(final TcpConnection connection, final TcpCloseReason reason)
    {
    }
}
