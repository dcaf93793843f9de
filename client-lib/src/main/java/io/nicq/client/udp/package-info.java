/**
 * UDP on client-lib's interface layer: {@link io.nicq.client.udp.UdpLayer} (protocol 17: checks, sockets by port,
 * sends and zero-copy replies through the interface's output), {@link io.nicq.client.udp.UdpSocket} (bind, send,
 * receive), {@link io.nicq.client.udp.UdpDatagram} (a received datagram as a view into its slot, with
 * {@link io.nicq.client.udp.UdpDatagram#reply()}) and {@link io.nicq.client.udp.UdpHandler}.
 */
package io.nicq.client.udp;
