/**
 * Wire formats as flyweights over Agrona buffers: {@link io.nicq.packet.EthernetHeader},
 * {@link io.nicq.packet.ArpPacket}, {@link io.nicq.packet.Ipv4Header}, {@link io.nicq.packet.IcmpEcho},
 * {@link io.nicq.packet.UdpHeader}, {@link io.nicq.packet.TcpHeader}, the Internet checksum
 * ({@link io.nicq.packet.InternetChecksum}) and address helpers ({@link io.nicq.packet.MacAddress},
 * {@link io.nicq.packet.Ipv4Address}, {@link io.nicq.packet.NetworkOrder}).
 * <p>
 * A flyweight is wrapped over a buffer and an offset and reads or writes fields in place: no allocation, no copy,
 * reusable for every packet. Fields are big-endian on the wire and host values through the accessors; MAC addresses
 * are the low 48 bits of a long and IPv4 addresses host-order ints, as in the control protocol. Flyweights do not
 * validate: a parser checks lengths (header length constants, IHL, length fields) against the frame before reading
 * a field, so that a malformed frame is a counted drop rather than an exception.
 */
package io.nicq.packet;
