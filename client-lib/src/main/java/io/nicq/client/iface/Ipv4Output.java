package io.nicq.client.iface;

import org.agrona.MutableDirectBuffer;

/**
 * How a transport layer sends IPv4 datagrams of its protocol through an {@link Ipv4Interface} (one per protocol, from
 * {@link Ipv4Interface#output(int)}): claim room in a slot, write the transport header and payload in place,
 * {@link #send} it; the interface adds the IPv4 and Ethernet headers below.
 * <pre>
 *   final int offset = output.claim(remote, 8 + length);         // NO_ROOM: no free slot (counted)
 *   ... write the header and payload at buffer()[offset..] ...
 *   output.send(8 + length);                                      // or abort()
 * </pre>
 * A reply from the slot a datagram arrived in starts with {@link #claimReply} instead, from inside
 * {@link Ipv4Protocol#receive}: no copy, no neighbour lookup.
 * <p>
 * <b>Batching</b>, one rule for every datagram the stack sends: what is sent during a poll (a reply or a send from a
 * handler, a protocol's timer) leaves with the poll's batch when the poll ends; what is sent outside a poll leaves
 * before {@link #send} returns. No datagram waits for a later call.
 * <p>
 * One claim at a time per output; one thread (the one that polls the interface).
 */
public interface Ipv4Output
{
    /** What {@link #claim} returns when no slot is free. */
    int NO_ROOM = -1;

    /**
     * Claims a free slot for a datagram to {@code remoteAddress}: the next hop's MAC is looked up now (a neighbour
     * not cached, or expired, is resolved through the card driver, which blocks for an ARP round trip at worst).
     *
     * @param remoteAddress IPv4 destination, host order.
     * @param maxLength     most bytes of IPv4 payload that will be sent, 0..{@link #maxLength()}.
     * @return the offset in {@link #buffer()} where the payload (the transport header) goes, or {@link #NO_ROOM}.
     * @throws io.nicq.client.NicException NO_ROUTE if there is no route, or NEIGHBOUR_TIMEOUT if the card driver
     *                                     cannot resolve the next hop.
     */
    int claim(int remoteAddress, int maxLength);

    /**
     * Claims the slot of the datagram being received, to answer its sender from it: its first {@code length} bytes
     * of payload move up behind a 20-byte header (IP options are not echoed); the answer goes back to the Ethernet
     * address it came from.
     *
     * @param length bytes of the received payload to keep (the answer's length, written in place at the received
     *               payload's offset before this call).
     * @return the offset in {@link #buffer()} where the payload now is.
     * @throws IllegalStateException if called outside {@link Ipv4Protocol#receive}.
     */
    int claimReply(int length);

    /** The buffer {@link #claim} offsets are in: the queue's packet pool. */
    MutableDirectBuffer buffer();

    /**
     * Sends the claimed datagram: the IPv4 header (from this host, TTL 64, DF, a fresh identification) and the
     * Ethernet header go in front of {@code length} bytes of payload. See the batching rule above.
     *
     * @param length bytes of payload written, at most what was claimed.
     */
    void send(int length);

    /** Gives up the claim: a claimed free slot goes back; a claimed reply slot stays the received datagram's. */
    void abort();

    /** Largest IPv4 payload of one datagram: the MTU (and the slot) less a 20-byte header. No fragmentation. */
    int maxLength();

    /** This host's address, the source of every datagram sent (for pseudo-header checksums). */
    int localAddress();
}
