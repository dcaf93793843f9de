package io.nicq.client;

/**
 * Why client-lib's stack dropped a frame, whichever layer dropped it: the interface (Ethernet, IPv4, ICMP, TX
 * without a slot) or a transport layer (UDP, TCP). Received frames that fail a check are counted under their reason in
 * the interface's one table ({@code io.nicq.client.iface.Ipv4Interface#drops}) and their slots recycled; nothing
 * about a malformed frame is ever thrown at the application.
 */
public enum DropReason
{
    /** RX: shorter than an Ethernet header. */
    TRUNCATED_ETHERNET,
    /** RX: ARP reached an application queue; ARP belongs to the card driver's default queue. */
    ARP,
    /** RX: neither IPv4 nor ARP (IPv6, VLAN tagged, 802.3 length, ...). */
    ETHER_TYPE,
    /** RX: shorter than its IPv4 header (20 bytes, or IHL x 4). */
    TRUNCATED_IPV4,
    /** RX: IP version other than 4. */
    BAD_IP_VERSION,
    /** RX: IHL below 5. */
    BAD_IHL,
    /** RX: total length below the header length or beyond the frame. */
    BAD_TOTAL_LENGTH,
    /** RX: IPv4 header checksum does not verify. */
    BAD_IP_CHECKSUM,
    /** RX: time to live 0. */
    TTL_EXPIRED,
    /** RX: addressed to another host (or to a multicast group). */
    WRONG_DESTINATION,
    /** RX: an IPv4 fragment; fragments are not reassembled. */
    FRAGMENT,
    /** RX: an IP protocol no layer is registered for (and not ICMP). */
    PROTOCOL,
    /** RX: IPv4 payload shorter than a UDP header. */
    TRUNCATED_UDP,
    /** RX: UDP length below 8 or beyond the IPv4 payload. */
    BAD_UDP_LENGTH,
    /** RX: UDP checksum does not verify. */
    BAD_UDP_CHECKSUM,
    /** RX: no UDP socket (with a handler) bound to the destination port on this queue. */
    NO_SOCKET,
    /** RX: IPv4 payload shorter than an ICMP echo header. */
    TRUNCATED_ICMP,
    /** RX: ICMP checksum does not verify. */
    BAD_ICMP_CHECKSUM,
    /** RX: ICMP other than an echo request to this address (not answered). */
    ICMP_IGNORED,
    /** RX: IPv4 payload shorter than a TCP header. */
    TRUNCATED_TCP,
    /** RX: TCP data offset below 5 words or beyond the segment. */
    BAD_TCP_OFFSET,
    /** RX: TCP checksum does not verify. */
    BAD_TCP_CHECKSUM,
    /** RX: TCP options malformed or truncated (a length below 2, past the header, or wrong for its kind). */
    BAD_TCP_OPTIONS,
    /** RX: TCP flags that make no sense (SYN+FIN, SYN+RST, no ACK on a synchronized connection), or port 0. */
    BAD_TCP_FLAGS,
    /** RX: a TCP segment for no connection and no listener (answered with a RST unless it was one). */
    NO_CONNECTION,
    /** RX: a SYN dropped because the half-open (SYN-RECEIVED) table or the connection table is full. */
    TCP_BACKLOG_FULL,
    /** RX: a TCP segment outside the receive window, or an unacceptable ACK (answered with an ACK). */
    TCP_OUT_OF_WINDOW,
    /**
     * RX: a TCP segment whose timestamp is older than the connection's (PAWS, RFC 7323 5; answered with an ACK), or
     * one without the option on a connection that negotiated timestamps (RFC 7323 3.2; dropped silently).
     */
    TCP_PAWS,
    /** RX: out-of-order TCP data beyond what the connection holds (its out-of-order ranges are all taken). */
    TCP_OUT_OF_ORDER_FULL,
    /**
     * RX: a SYN that reached a hand-over worker's queue directly, not through its listener's hand-over (the listener
     * did not choose this worker for it); dropped without an answer, the peer's retransmission reaches the listener.
     */
    TCP_NOT_HANDED_OVER,
    /** TX: no free slot to send from. */
    NO_SLOT;

    /** Number of reasons. */
    public static final int COUNT = values().length;
}
