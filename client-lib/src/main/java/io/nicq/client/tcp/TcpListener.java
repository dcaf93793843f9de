package io.nicq.client.tcp;

import io.nicq.client.Filter;
import io.nicq.client.NicException;

/**
 * A passive open on a local port: registers the TCP port filter with the card driver for the layer's queue, answers
 * SYNs with SYN-ACKs (within the layer's half-open bound) and hands every connection that reaches ESTABLISHED to its
 * {@link TcpListenerHandler}. Closing it deregisters the filter and resets half-open connections; established ones
 * are left alone.
 */
public final class TcpListener implements AutoCloseable
{
    private final TcpLayer tcp;
    private final int localPort;
    private final TcpListenerHandler handler;
    private final Filter filter;
    /** A hand-over worker's listener: no filter of its own, told when each of its connections is gone. */
    private final TcpReleaseHook releaseHook;
    private boolean closed;

    private TcpListener(final TcpLayer tcp, final int localPort, final TcpListenerHandler handler, final Filter filter)
    {
        this(tcp, localPort, handler, filter, null);
    }

    private TcpListener(final TcpLayer tcp, final int localPort, final TcpListenerHandler handler, final Filter filter,
        final TcpReleaseHook releaseHook)
    {
        this.tcp = tcp;
        this.localPort = localPort;
        this.handler = handler;
        this.filter = filter;
        this.releaseHook = releaseHook;
    }

    /**
     * A hand-over worker's listener on {@code port} ({@link TcpHandOver.Worker}): it registers no filter, takes new
     * connections only from the listener's hand-over (each with its own connection filter) and tells
     * {@code releaseHook} when each is gone from the layer.
     */
    static TcpListener openHandedOver(final TcpLayer tcp, final int port, final TcpListenerHandler handler,
        final TcpReleaseHook releaseHook)
    {
        if (port <= 0 || port > 0xFFFF)
        {
            throw new IllegalArgumentException("TCP port " + port + " is outside [1, 65535]");
        }
        if (handler == null)
        {
            throw new IllegalArgumentException("a listener needs a handler for its accepted connections");
        }
        final TcpListener listener = new TcpListener(tcp, port, handler, null, releaseHook);
        tcp.listen(port, listener);
        return listener;
    }

    /**
     * @param tcp     the TCP layer of the interface whose queue will carry the connections.
     * @param port    1..65535.
     * @param handler told of each accepted connection.
     * @return the listener.
     * @throws NicException PORT_IN_USE if the port has a listener here or the card driver refuses it.
     */
    public static TcpListener open(final TcpLayer tcp, final int port, final TcpListenerHandler handler)
    {
        if (port <= 0 || port > 0xFFFF)
        {
            throw new IllegalArgumentException("TCP port " + port + " is outside [1, 65535]");
        }
        if (handler == null)
        {
            throw new IllegalArgumentException("a listener needs a handler for its accepted connections");
        }
        final TcpListener probe = new TcpListener(tcp, port, handler, null);
        tcp.listen(port, probe);
        final Filter filter;
        try
        {
            filter = tcp.ip().controlPlane().registerTcpPort(tcp.ip().queue(), port);
        }
        catch (final RuntimeException ex)
        {
            tcp.unlisten(port, probe);
            throw ex;
        }
        final TcpListener listener = new TcpListener(tcp, port, handler, filter);
        tcp.unlisten(port, probe);
        tcp.listen(port, listener);
        return listener;
    }

    public int localPort()
    {
        return localPort;
    }

    /** The card driver's TCP port filter. */
    public Filter filter()
    {
        return filter;
    }

    TcpListenerHandler handler()
    {
        return handler;
    }

    /** Whether new connections come only through a hand-over (a worker's listener). */
    boolean handOverOnly()
    {
        return releaseHook != null;
    }

    /** A connection accepted here is gone from the layer ({@code key}: TcpLayer's 4-tuple key). */
    void released(final long key)
    {
        if (releaseHook != null)
        {
            releaseHook.released(key);
        }
    }

    public boolean isClosed()
    {
        return closed;
    }

    /** Stops listening: the filter is deregistered (unless the queue is gone), half-open connections reset. */
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        tcp.unlisten(localPort, this);
        if (filter != null && filter.isRegistered() && !tcp.ip().queue().isClosed())
        {
            tcp.ip().controlPlane().deregister(filter);
        }
    }

    public String toString()
    {
        return "TcpListener{port " + localPort + (closed ? ", closed" : "") + "}";
    }
}
