/**
 * The IPv4 host rules both ends of a nicq link apply, written once: {@link io.nicq.net.Ipv4Link} (this host's
 * destinations, broadcasts, next hop and link-layer destination), {@link io.nicq.net.NeighbourCache} (next hops' MACs
 * with expiry), {@link io.nicq.net.Ipv4Input} (the checks a received packet passes) and
 * {@link io.nicq.net.Ipv4Responder} (the IPv4 header from this host, replies and ICMP echo built in place). The card
 * driver's default queue and client-lib's interface layer use them; the wire formats themselves are
 * {@code io.nicq.packet}'s. Nothing here allocates per packet.
 */
package io.nicq.net;
