package io.nicq.client.iface;

import org.agrona.DirectBuffer;

/**
 * A transport layer on an {@link Ipv4Interface}: what the interface hands the payload of every received datagram of
 * the protocol it is {@link Ipv4Interface#register registered} for, and what it calls on every poll for timers.
 * client-lib's {@code UdpLayer} is one; a TCP layer plugs in the same way (protocol 6), sending through
 * {@link Ipv4Interface#output(int)}.
 * <p>
 * The payload is a view into the slot the frame arrived in, valid while {@link #receive} runs; a layer that answers
 * from the same slot does so before it returns ({@link Ipv4Output#claimReply}). Nothing may be allocated here: the
 * interface calls it for every packet.
 */
public interface Ipv4Protocol
{
    /**
     * A datagram of this protocol for this host: it passed every IPv4 check (checksum, lengths, destination, TTL, not
     * a fragment), and its payload is {@code length} bytes at {@code offset} in {@code buffer}.
     *
     * @param sourceAddress      the sender, host order.
     * @param destinationAddress this host's address, or a broadcast address, host order.
     * @param buffer             the queue's packet pool.
     * @param offset             of the IPv4 payload (the transport header) in {@code buffer}.
     * @param length             bytes of IPv4 payload, from the IPv4 total length (padding excluded).
     * @param nowNs              when the application took the frame ({@code System.nanoTime()}).
     */
    void receive(int sourceAddress, int destinationAddress, DirectBuffer buffer, int offset, int length, long nowNs);

    /**
     * Timers: called once per {@link Ipv4Interface#poll}, after the received frames; what it sends leaves with the
     * poll's batch.
     *
     * @param nowNs {@code System.nanoTime()}.
     * @return work done, 0 if none.
     */
    default int poll(final long nowNs)
    {
        return 0;
    }
}
