package io.nicq.examples.tcp;

import io.nicq.client.tcp.TcpCloseReason;
import io.nicq.client.tcp.TcpConnection;
import io.nicq.client.tcp.TcpHandler;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.client.tcp.TcpListener;
import io.nicq.client.tcp.TcpListenerHandler;
import io.nicq.client.tcp.TcpReader;
import io.nicq.client.tcp.TcpState;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;

/**
 * The TCP echo server's work as an Agrona {@link Agent}: every byte received on every connection of a port goes back
 * on the same connection. A connection's received bytes are read as views and written straight into its send buffer;
 * what does not fit stays unread (so the advertised window closes and the peer waits) until the connection is
 * writable again. When the peer half-closes, the rest is echoed and the connection closed. A discard server
 * ({@link #discard}, RFC 863's service on TCP) consumes every byte and sends none: the sink of the throughput
 * benchmark. Allocates nothing per segment; one thread (the one that polls the interface).
 */
public final class TcpEchoServer implements Agent, TcpListenerHandler, TcpHandler, TcpReader
{
    private final TcpLayer tcp;
    private final TcpListener listener;
    private final boolean echo;
    private TcpConnection writingTo;
    private long accepted;
    private long open;
    private long closedGracefully;
    private long closedOtherwise;
    private long echoedBytes;

    /** Listens on {@code port} of the layer's interface (a TCP port filter to the layer's queue). */
    public TcpEchoServer(final TcpLayer tcp, final int port)
    {
        this(tcp, port, true);
    }

    private TcpEchoServer(final TcpLayer tcp, final int port, final boolean echo)
    {
        this.tcp = tcp;
        this.echo = echo;
        this.listener = TcpListener.open(tcp, port, this);
    }

    /** A server on {@code port} that reads every byte of every connection and sends nothing back. */
    public static TcpEchoServer discard(final TcpLayer tcp, final int port)
    {
        return new TcpEchoServer(tcp, port, false);
    }

    public int doWork()
    {
        return tcp.ip().poll();
    }

    public String roleName()
    {
        return "tcp-echo";
    }

    public void onClose()
    {
        listener.close();
    }

    public void onAccepted(final TcpConnection connection)
    {
        accepted++;
        open++;
        connection.handler(this);
        echo(connection);
    }

    public void onReadable(final TcpConnection connection)
    {
        echo(connection);
    }

    public void onWritable(final TcpConnection connection)
    {
        echo(connection);
    }

    public void onPeerClosed(final TcpConnection connection)
    {
        echo(connection);
    }

    public void onClosed(final TcpConnection connection, final TcpCloseReason reason)
    {
        open--;
        if (reason == TcpCloseReason.CLOSED)
        {
            closedGracefully++;
        }
        else
        {
            closedOtherwise++;
        }
    }

    public int onData(final DirectBuffer buffer, final int offset, final int length)
    {
        final int written = echo ? writingTo.write(buffer, offset, length) : length;
        echoedBytes += written;
        return written;
    }

    private void echo(final TcpConnection connection)
    {
        writingTo = connection;
        try
        {
            connection.read(this);
        }
        finally
        {
            writingTo = null;
        }
        // Everything the peer sent before its FIN is echoed (queued): answer its half-close with ours.
        if (connection.state() == TcpState.CLOSE_WAIT && connection.readableBytes() == 0)
        {
            connection.close();
        }
    }

    /** The listener: its port and filter. */
    public TcpListener listener()
    {
        return listener;
    }

    /** Connections accepted. */
    public long accepted()
    {
        return accepted;
    }

    /** Connections accepted and not yet closed. */
    public long open()
    {
        return open;
    }

    /** Connections that ended with FIN both ways. */
    public long closedGracefully()
    {
        return closedGracefully;
    }

    /** Connections that ended otherwise: reset, timed out, aborted. */
    public long closedOtherwise()
    {
        return closedOtherwise;
    }

    /** Bytes written back (a discard server: bytes read). */
    public long echoedBytes()
    {
        return echoedBytes;
    }

    public String toString()
    {
        return "tcp-echo{accepted " + accepted + ", open " + open + ", closed " + closedGracefully + " gracefully, " +
            closedOtherwise + " otherwise, echoed " + echoedBytes + " bytes}";
    }
}
