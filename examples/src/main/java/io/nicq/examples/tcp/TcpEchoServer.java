package io.nicq.examples.tcp;

import java.util.List;
import java.util.concurrent.TimeUnit;

import io.nicq.client.tcp.TcpCloseReason;
import io.nicq.client.tcp.TcpConnection;
import io.nicq.client.tcp.TcpHandOver;
import io.nicq.client.tcp.TcpHandler;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.client.tcp.TcpListener;
import io.nicq.client.tcp.TcpListenerHandler;
import io.nicq.client.tcp.TcpReader;
import io.nicq.client.tcp.TcpState;
import org.HdrHistogram.Histogram;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;

/**
 * The TCP echo server's work as an Agrona {@link Agent}: every byte received on every connection of a port goes back
 * on the same connection. A connection's received bytes are read as views and written straight into its send buffer;
 * what does not fit stays unread (so the advertised window closes and the peer waits) until the connection is
 * writable again. When the peer half-closes, the rest is echoed and the connection closed. A discard server
 * ({@link #discard}, RFC 863's service on TCP) consumes every byte and sends none: the sink of the throughput
 * benchmark. Allocates nothing per segment; one thread (the one that polls the interface).
 * <p>
 * With connections handed over to workers ({@link TcpHandOver}), one server per thread: the listener's
 * ({@link #handingOver}) hands each new connection to a worker and echoes only those it keeps; each worker's
 * ({@link #handOverWorker}) echoes the connections it was given, and records the hand-over's time from the listener
 * taking the SYN to the worker's first echo of the connection.
 */
public final class TcpEchoServer implements Agent, TcpListenerHandler, TcpHandler, TcpReader
{
    private final TcpLayer tcp;
    private final TcpListener listener;
    private final boolean echo;
    /** The hand-over of the listener's server, null otherwise. */
    private final TcpHandOver handOver;
    /** The hand-over worker of a worker's server, null otherwise. */
    private final TcpHandOver.Worker worker;
    /** A worker's hand-over times: the listener taking the SYN -&gt; the first byte echoed, nanoseconds. */
    private final Histogram handOverToFirstByte;
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
        this.handOver = null;
        this.worker = null;
        this.handOverToFirstByte = null;
        this.listener = TcpListener.open(tcp, port, this);
    }

    private TcpEchoServer(final TcpLayer tcp, final int port, final List<TcpHandOver.Worker> workers)
    {
        this.tcp = tcp;
        this.echo = true;
        if (workers == null)
        {
            this.handOver = null;
            this.worker = new TcpHandOver.Worker(tcp, port, this);
            this.handOverToFirstByte = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
            this.listener = worker.listener();
        }
        else
        {
            this.handOver = new TcpHandOver(tcp, port, workers, this);
            this.worker = null;
            this.handOverToFirstByte = null;
            this.listener = handOver.listener();
        }
    }

    /**
     * A worker's echo server on {@code port} of its own layer: it serves the connections a listener's
     * {@link #handingOver} server gives it. Make the workers first, then the listener's server.
     */
    public static TcpEchoServer handOverWorker(final TcpLayer tcp, final int port)
    {
        return new TcpEchoServer(tcp, port, (List<TcpHandOver.Worker>)null);
    }

    /**
     * The listener's echo server on {@code port}: it hands every new connection to one of {@code workers}' servers
     * ({@link #worker()}), each on its own queue and thread, and echoes only the connections it keeps.
     */
    public static TcpEchoServer handingOver(final TcpLayer tcp, final int port, final List<TcpEchoServer> workers)
    {
        return new TcpEchoServer(tcp, port, workers.stream().map(TcpEchoServer::worker).toList());
    }

    /** A server on {@code port} that reads every byte of every connection and sends nothing back. */
    public static TcpEchoServer discard(final TcpLayer tcp, final int port)
    {
        return new TcpEchoServer(tcp, port, false);
    }

    public int doWork()
    {
        int work = tcp.ip().poll();
        if (handOver != null)
        {
            work += handOver.doWork();
        }
        else if (worker != null)
        {
            work += worker.doWork();
        }
        return work;
    }

    public String roleName()
    {
        return "tcp-echo";
    }

    public void onClose()
    {
        if (handOver != null)
        {
            handOver.close();
        }
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
        if (worker != null && written > 0)
        {
            final long sinceHandOver = worker.sinceHandOver(writingTo);
            if (sinceHandOver >= 0)
            {
                handOverToFirstByte.recordValue(
                    Math.min(sinceHandOver, handOverToFirstByte.getHighestTrackableValue()));
            }
        }
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

    /** The hand-over of a listener's server ({@link #handingOver}), null for others. */
    public TcpHandOver handOver()
    {
        return handOver;
    }

    /** The hand-over worker of a worker's server ({@link #handOverWorker}), null for others. */
    public TcpHandOver.Worker worker()
    {
        return worker;
    }

    /**
     * A worker's hand-over times in nanoseconds, from the listener taking a connection's SYN to the worker's first
     * echo of it; null for others. Written by the worker's thread: read it once that thread has stopped.
     */
    public Histogram handOverToFirstByte()
    {
        return handOverToFirstByte;
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
