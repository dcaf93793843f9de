/**
 * The application side of nicq: the control plane and the queue (layer 2). The stack on top is in
 * {@link io.nicq.client.iface} (Ethernet, IPv4, ICMP) and {@link io.nicq.client.udp} (UDP sockets); the application
 * owns the queue, the interface and the layers above it. Its public API is of its own types; the control protocol's
 * codecs stay inside.
 * <ul>
 *   <li>{@link io.nicq.client.NicClient}: connect to an instance, request queues ({@link io.nicq.client.QueueService}:
 *   served by the card driver or inline), register and deregister UDP/TCP port and TCP connection filters, resolve
 *   neighbours; everything is released on close and at process exit. Failures are
 *   {@link io.nicq.client.NicException}s with a {@link io.nicq.client.NicException.Reason}.</li>
 *   <li>{@link io.nicq.client.NicQueue}: the zero-copy packet API over the queue channel (receive a batch of frame
 *   views, give slots back, claim, write, send a batch, TX completions), on control-proto's
 *   {@link io.nicq.proto.channel.ChannelEndpoint}.</li>
 *   <li>{@link io.nicq.client.Frame}, {@link io.nicq.client.FrameHandler}: a slot as a reused view, and its
 *   callback.</li>
 *   <li>{@link io.nicq.client.ControlPlane}: what the stack needs from the control plane ({@code NicClient} is
 *   one); {@link io.nicq.client.DropReason}: why the stack dropped a frame.</li>
 *   <li>{@link io.nicq.client.LatencyRecorder}: one HdrHistogram per {@link io.nicq.client.Phase}.</li>
 * </ul>
 * Nothing on the packet path allocates.
 */
package io.nicq.client;
