package io.nicq.client;

import io.nicq.packet.Ipv4Address;
import org.agrona.DirectBuffer;

/**
 * A UDP socket on a {@link NicQueue}, read like the JDK's {@code DatagramChannel} in non-blocking mode, without
 * allocation or copies on receive:
 * <pre>
 *   try (UdpEndpoint endpoint = UdpEndpoint.open(queue).bind(7))      // registers the UDP filter: port 7 -&gt; queue
 *   {
 *       final UdpHandler echo = UdpDatagram::reply;                   // zero-copy echo: the request's slot answers
 *       while (running)
 *       {
 *           idle.idle(endpoint.receive(echo));
 *       }
 *   }
 * </pre>
 * {@link #bind(int)} registers a UDP port filter with the card driver, so the card steers the port's datagrams to this
 * endpoint's queue. {@link #send} builds the datagram straight in a slot of the queue's packet pool (the payload's only
 * copy) and resolves the next hop's MAC through the card driver on first use. {@link #receive(UdpHandler)} polls the
 * queue once and hands each datagram for this port to the handler as a view into the slot it arrived in.
 * <p>
 * Several endpoints may share a queue; a datagram goes to the handler its endpoint last received with (a datagram for
 * an endpoint that has never received is dropped and counted, {@link DropReason#NO_ENDPOINT}). One thread uses the
 * endpoints of a queue.
 */
public final class UdpEndpoint implements AutoCloseable
{
    private static final int EPHEMERAL_ATTEMPTS = 64;

    private final NicQueue queue;
    private final Ipv4Stack stack;
    private final ControlPlane plane;
    private int localPort;
    private Filter filter;
    private UdpHandler handler;
    private long datagramsReceived;
    private boolean closed;

    private UdpEndpoint(final NicQueue queue)
    {
        this.queue = queue;
        this.stack = queue.stack();
        this.plane = queue.plane();
    }

    /**
     * An unbound endpoint on a queue.
     *
     * @param queue the queue whose slots carry the datagrams.
     * @return the endpoint.
     */
    public static UdpEndpoint open(final NicQueue queue)
    {
        return new UdpEndpoint(queue);
    }

    /**
     * Binds to a local port: registers the UDP port filter with the card driver for this endpoint's queue.
     *
     * @param port 1..65535, or 0 for a free ephemeral port (49152..65535).
     * @return this.
     * @throws NicException PORT_IN_USE if the port is taken (here or by another client), or the card driver's
     *                      refusal.
     */
    public UdpEndpoint bind(final int port)
    {
        ensureOpen();
        if (localPort != 0)
        {
            throw new IllegalStateException("endpoint is already bound to UDP port " + localPort);
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
                bindTo(stack.nextEphemeralPort());
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
        stack.checkPortFree(port);
        filter = plane.registerUdpPort(queue, port);
        stack.bind(port, this);
        localPort = port;
    }

    /** The bound port, 0 while unbound. */
    public int localPort()
    {
        return localPort;
    }

    /** This client's IPv4 address, host order: the source of what the endpoint sends. */
    public int localAddress()
    {
        return plane.ipv4();
    }

    /** The card driver's filter for the bound port, null while unbound. */
    public Filter filter()
    {
        return filter;
    }

    public NicQueue queue()
    {
        return queue;
    }

    /** Largest payload {@link #send} takes: the MTU less the IPv4 and UDP headers. */
    public int maxPayload()
    {
        return stack.maxUdpPayload();
    }

    /**
     * Sends one datagram now: the payload is copied into a free slot behind freshly built headers (checksums
     * computed) and the slot handed to the queue driver. An unbound endpoint binds an ephemeral port first.
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
        return stack.send(localPort, destinationAddress, destinationPort, buffer, offset, length);
    }

    /**
     * Polls the queue once: each datagram for this endpoint goes to {@code handler} (zero copy, see
     * {@link UdpDatagram}); other traffic of the queue is handled by the stack (other endpoints, ICMP echo, drops).
     *
     * @param handler gets each datagram; create it once.
     * @return datagrams delivered to this endpoint (0 if none arrived).
     * @throws NicException if the queue was revoked or its queue driver stopped.
     */
    public int receive(final UdpHandler handler)
    {
        ensureOpen();
        if (localPort == 0)
        {
            throw new IllegalStateException("endpoint is not bound: bind(port) before receiving");
        }
        this.handler = handler;
        final long before = datagramsReceived;
        stack.poll();
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

    /** Datagrams delivered to this endpoint. */
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
            stack.unbind(localPort, this);
            if (filter != null && filter.isRegistered() && !queue.isClosed())
            {
                plane.deregister(filter);
            }
        }
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("UDP endpoint " + localPort + " is closed");
        }
    }

    public String toString()
    {
        return "UdpEndpoint{" + Ipv4Address.toString(plane.ipv4()) + ":" + localPort + " on queue " +
            queue.queueId() + (closed ? ", closed" : "") + "}";
    }
}
