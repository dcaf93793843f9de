/**
 * The application side of nicq. Its public API is of its own types; the control protocol's codecs stay inside.
 * <ul>
 *   <li>{@link io.nicq.client.NicClient}: connect to an instance, request queues ({@link io.nicq.client.QueueService}:
 *   served by the card driver or inline), register and deregister UDP/TCP port and TCP connection filters, resolve
 *   neighbours; everything is released on close and at process exit. Failures are
 *   {@link io.nicq.client.NicException}s with a {@link io.nicq.client.NicException.Reason}.</li>
 *   <li>{@link io.nicq.client.NicQueue}: the zero-copy packet API over the queue channel (receive a batch of frame
 *   views, give slots back, claim, write, send a batch, TX completions).</li>
 *   <li>{@link io.nicq.client.Ipv4Stack} and {@link io.nicq.client.UdpEndpoint}: Ethernet, IPv4, ICMP echo and UDP,
 *   with a zero-copy reply; malformed frames are counted drops ({@link io.nicq.client.DropReason}).</li>
 *   <li>{@link io.nicq.client.LatencyRecorder}: one HdrHistogram per {@link io.nicq.client.Phase}.</li>
 * </ul>
 * Nothing on the packet path allocates.
 */
package io.nicq.client;
