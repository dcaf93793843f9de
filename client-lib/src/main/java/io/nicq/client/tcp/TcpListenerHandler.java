package io.nicq.client.tcp;

/** What a {@link TcpListener} calls for each connection that reaches ESTABLISHED. */
@FunctionalInterface
public interface TcpListenerHandler
{
    /**
     * A passive open completed. Set the connection's handler here ({@link TcpConnection#handler(TcpHandler)}); data
     * that arrived with the handshake's last ACK is reported to it right after this returns.
     */
    void onAccepted(TcpConnection connection);
}
