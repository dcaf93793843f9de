package io.nicq.client;

/**
 * Why client-lib's stack dropped a frame, whichever layer dropped it: the interface (Ethernet, IPv4, ICMP, TX
 * without a slot) or a transport layer (UDP). Received frames that fail a check are counted under their reason in
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
    /** TX: no free slot to send from. */
    NO_SLOT;

    /** Number of reasons. */
    public static final int COUNT = values().length;
}
