package io.nicq.client.udp;

import io.nicq.client.ControlPlane;
import io.nicq.client.DropReason;
import io.nicq.client.Filter;
import io.nicq.client.NicException;
import io.nicq.client.NicQueue;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.packet.Ipv4Address;
import org.agrona.DirectBuffer;

/**
 * A UDP socket on a {@link UdpLayer}, read like the JDK's {@code DatagramChannel} in non-blocking mode, without
 * allocation or copies on receive:
 * <pre>
 *   final UdpLayer udp = new UdpLayer(new Ipv4Interface(queue, client));
 *   try (UdpSocket socket = UdpSocket.open(udp).bind(7))            // registers the UDP filter: port 7 -&gt; queue
 *   {
 *       final UdpHandler echo = UdpDatagram::reply;                 // zero-copy echo: the request's slot answers
 *       while (running)
 *       {
 *           idle.idle(socket.receive(echo));
 *       }
 *   }
 * </pre>
 * {@link #bind(int)} registers a UDP port filter with the card driver, so the card steers the port's datagrams to the
 * socket's queue. {@link #send} builds the datagram straight in a slot of the queue's packet pool (the payload's only
 * copy) and resolves the next hop's MAC through the card driver on first use. {@link #receive(UdpHandler)} polls the
 * interface once and hands each datagram for this port to the handler as a view into the slot it arrived in.
 * <p>
 * <b>Batching</b> is the interface's one rule ({@link Ipv4Interface}): a send outside a receive leaves before
 * {@link #send} returns; a send or {@link UdpDatagram#reply() reply} from inside a handler leaves with the receive's
 * batch, when {@link #receive} returns.
 * <p>
 * Several sockets may share a layer; a datagram goes to the handler its socket last received with (a datagram for a
 * socket that has never received is dropped and counted, {@link DropReason#NO_SOCKET}). One thread uses the sockets
 * of a queue.
 */
public final class UdpSocket implements AutoCloseable
{
    private static final int EPHEMERAL_ATTEMPTS = 64;

    private final UdpLayer udp;
    private final Ipv4Interface ip;
    private final ControlPlane plane;
    private int localPort;
    private Filter filter;
    private UdpHandler handler;
    private long datagramsReceived;
    private boolean closed;

    private UdpSocket(final UdpLayer udp)
    {
        this.udp = udp;
        this.ip = udp.ip();
        this.plane = ip.controlPlane();
    }

    /**
     * An unbound socket.
     *
     * @param udp the UDP layer of the interface whose queue carries the datagrams.
     * @return the socket.
     */
    public static UdpSocket open(final UdpLayer udp)
    {
        return new UdpSocket(udp);
    }

    /**
     * Binds to a local port: registers the UDP port filter with the card driver for the socket's queue.
     *
     * @param port 1..65535, or 0 for a free ephemeral port (49152..65535).
     * @return this.
     * @throws NicException PORT_IN_USE if the port is taken (here or by another client), or the card driver's
     *                      refusal.
     */
    public UdpSocket bind(final int port)
    {
        ensureOpen();
        if (localPort != 0)
        {
            throw new IllegalStateException("socket is already bound to UDP port " + localPort);
        }
        if (port < 0 || port > 0xFFFF)
        {
            throw new IllegalArgumentException("UDP port " + port + " is outside [0, 65535]");
        }
        if (port != 0)
        {
            bindTo(port);
            return this;
        }
        NicException lastRefusal = null;
        for (int attempt = 0; attempt < EPHEMERAL_ATTEMPTS; attempt++)
        {
            try
            {
                bindTo(udp.nextEphemeralPort());
                return this;
            }
            catch (final NicException ex)
            {
                if (ex.reason() != NicException.Reason.PORT_IN_USE)
                {
                    throw ex;
                }
                lastRefusal = ex;
            }
        }
        throw new NicException(NicException.Reason.PORT_IN_USE, "no free ephemeral UDP port after " +
            EPHEMERAL_ATTEMPTS + " attempts", lastRefusal);
    }

    private void bindTo(final int port)
    {
        udp.checkPortFree(port);
        filter = plane.registerUdpPort(ip.queue(), port);
        udp.bind(port, this);
        localPort = port;
    }

    /** The bound port, 0 while unbound. */
    public int localPort()
    {
        return localPort;
    }

    /** This client's IPv4 address, host order: the source of what the socket sends. */
    public int localAddress()
    {
        return ip.link().address();
    }

    /** The card driver's filter for the bound port, null while unbound. */
    public Filter filter()
    {
        return filter;
    }

    /** The queue the socket's datagrams travel on. */
    public NicQueue queue()
    {
        return ip.queue();
    }

    /** The UDP layer the socket is bound in. */
    public UdpLayer udp()
    {
        return udp;
    }

    /** Largest payload {@link #send} takes: the MTU less the IPv4 and UDP headers. */
    public int maxPayload()
    {
        return udp.maxPayload();
    }

    /**
     * Sends one datagram: the payload is copied into a free slot behind freshly built headers (checksums computed).
     * An unbound socket binds an ephemeral port first.
     *
     * @param destinationAddress IPv4 address, host order.
     * @param destinationPort    1..65535.
     * @param buffer             holding the payload.
     * @param offset             of the payload in {@code buffer}.
     * @param length             of the payload, at most {@link #maxPayload()}.
     * @return {@code length}, or 0 if no slot was free (counted as {@link DropReason#NO_SLOT}).
     * @throws NicException if the next hop cannot be resolved (no route, no ARP answer), or the queue is gone.
     */
    public int send(
        final int destinationAddress,
        final int destinationPort,
        final DirectBuffer buffer,
        final int offset,
        final int length)
    {
        ensureOpen();
        if (localPort == 0)
        {
            bind(0);
        }
        return udp.send(localPort, destinationAddress, destinationPort, buffer, offset, length);
    }

    /**
     * Polls the interface once: each datagram for this socket goes to {@code handler} (zero copy, see
     * {@link UdpDatagram}); other traffic of the queue is handled by the stack (other sockets, ICMP echo, drops).
     *
     * @param handler gets each datagram; create it once.
     * @return datagrams delivered to this socket (0 if none arrived).
     * @throws NicException if the queue was revoked or its queue driver stopped.
     */
    public int receive(final UdpHandler handler)
    {
        ensureOpen();
        if (localPort == 0)
        {
            throw new IllegalStateException("socket is not bound: bind(port) before receiving");
        }
        this.handler = handler;
        final long before = datagramsReceived;
        ip.poll();
        return (int)(datagramsReceived - before);
    }

    UdpHandler handler()
    {
        return handler;
    }

    void onReceived()
    {
        datagramsReceived++;
    }

    /** Datagrams delivered to this socket. */
    public long datagramsReceived()
    {
        return datagramsReceived;
    }

    public boolean isClosed()
    {
        return closed;
    }

    /**
     * Unbinds: the port's filter is deregistered (unless the queue is already gone). Idempotent.
     *
     * @throws NicException if the card driver refuses to deregister.
     */
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (localPort != 0)
        {
            udp.unbind(localPort, this);
            if (filter != null && filter.isRegistered() && !ip.queue().isClosed())
            {
                plane.deregister(filter);
            }
        }
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("UDP socket " + localPort + " is closed");
        }
    }

    public String toString()
    {
        return "UdpSocket{" + Ipv4Address.toString(localAddress()) + ":" + localPort + " on queue " +
            ip.queue().queueId() + (closed ? ", closed" : "") + "}";
    }
}
