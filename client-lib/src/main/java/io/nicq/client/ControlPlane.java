package io.nicq.client;

/**
 * What a queue and the layers above it need from the control plane: the client's addresses, neighbour resolution
 * (ARP through the card driver), UDP port filters and releasing the queue. {@link NicClient} is the implementation;
 * tests provide their own. The interface layer ({@code io.nicq.client.iface.Ipv4Interface}) and the UDP layer reach
 * the card driver only through it.
 */
public interface ControlPlane
{
    /** The card's MAC: the source of every frame the client sends. */
    long mac();

    /** The client's IPv4 address (the card's), host order. */
    int ipv4();

    int prefixLength();

    /** The default gateway, host order; 0 for none. */
    int gateway();

    /** Largest IPv4 packet, bytes. */
    int mtu();

    /**
     * The MAC of a next hop on the subnet, as the card driver knows it or learns it by ARP.
     *
     * @throws NicException NEIGHBOUR_TIMEOUT if ARP gets no answer.
     */
    long resolveNeighbour(int ipv4);

    /** Registers a UDP port filter: the port's datagrams go to {@code queue}. */
    Filter registerUdpPort(NicQueue queue, int port);

    /** Registers a TCP port filter: segments to this host's address and port go to {@code queue} (a listener). */
    Filter registerTcpPort(NicQueue queue, int port);

    /**
     * Registers a TCP connection filter (the 5-tuple). {@code localPort} 0 asks the card driver for a free ephemeral
     * port, unique on the card; the returned filter's {@link Filter#localPort()} is the port allocated.
     */
    Filter registerTcpConnection(NicQueue queue, int localPort, int remoteIp, int remotePort);

    void deregister(Filter filter);

    /** Releases a queue: its filters go, the card driver takes it back, the channel is unmapped. */
    void releaseQueue(NicQueue queue);
}
