/**
 * TCP (RFC 9293) on client-lib's IPv4 interface: {@link io.nicq.client.tcp.TcpLayer} (protocol 6, demultiplexing,
 * RST for segments to nothing, timers), {@link io.nicq.client.tcp.TcpListener} (passive open on a port filter),
 * {@link io.nicq.client.tcp.TcpConnection} (active open on a connection filter, the state machine, send and receive
 * rings) and the events of {@link io.nicq.client.tcp.TcpHandler}.
 */
package io.nicq.client.tcp;
