/**
 * The application side of nicq.
 * <ul>
 *   <li>{@link io.nicq.client.NicClient}: connect to an instance, request queues (process, thread or inline mode),
 *   register and deregister UDP/TCP port and TCP connection filters, resolve neighbours; everything is released on
 *   close and at process exit. Errors are {@link io.nicq.proto.ControlException}s carrying the protocol's code.</li>
 *   <li>{@link io.nicq.client.NicQueue}: the zero-copy packet API over the queue channel (receive a batch of frame
 *   views, give slots back, claim, write, send a batch, TX completions).</li>
 *   <li>{@link io.nicq.client.Ipv4Stack} and {@link io.nicq.client.UdpEndpoint}: Ethernet, IPv4, ICMP echo and UDP,
 *   with a zero-copy reply; malformed frames are counted drops ({@link io.nicq.client.DropReason}).</li>
 *   <li>{@link io.nicq.client.LatencyRecorder}: one HdrHistogram per {@link io.nicq.client.Phase}.</li>
 * </ul>
 * Nothing on the packet path allocates.
 */
package io.nicq.client;
