package io.nicq.client.udp;

/**
 * Receives datagrams from {@link UdpSocket#receive(UdpHandler)}. The {@link UdpDatagram} is a reused view of the
 * slot the datagram arrived in: valid until the call returns, unless the handler {@link UdpDatagram#keep() keeps} it.
 * Create the handler once: a lambda that captures variables allocates each time it is evaluated.
 */
@FunctionalInterface
public interface UdpHandler
{
    /**
     * One datagram.
     *
     * @param datagram source address and port, payload view, and the zero-copy {@link UdpDatagram#reply()}.
     */
    void onDatagram(UdpDatagram datagram);
}
