/**
 * The interface layer of client-lib's stack: {@link io.nicq.client.iface.Ipv4Interface} (Ethernet, IPv4 in and out,
 * ICMP echo, next hops resolved through the card driver and cached), and the two seams of the layers above it:
 * {@link io.nicq.client.iface.Ipv4Protocol} (what the interface hands up, by IP protocol) and
 * {@link io.nicq.client.iface.Ipv4Output} (how a layer sends; the interface adds IPv4 and Ethernet). UDP
 * ({@code io.nicq.client.udp}) is one such layer; TCP plugs in the same way.
 */
package io.nicq.client.iface;
