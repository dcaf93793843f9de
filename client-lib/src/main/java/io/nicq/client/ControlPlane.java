package io.nicq.client;

/**
 * What a queue and its IPv4 stack need from the control plane: the client's addresses, neighbour resolution, port
 * filters and releasing the queue. {@link NicClient} is the implementation; tests provide their own.
 */
interface ControlPlane
{
    long mac();

    int ipv4();

    int prefixLength();

    int gateway();

    int mtu();

    long resolveNeighbour(int ipv4);

    Filter registerUdpPort(NicQueue queue, int port);

    void deregister(Filter filter);

    void releaseQueue(NicQueue queue);
}
