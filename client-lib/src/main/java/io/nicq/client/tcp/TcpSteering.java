package io.nicq.client.tcp;

import io.nicq.packet.TcpHeader;
import org.agrona.MutableDirectBuffer;

/** What a listener's layer asks its hand-over ({@link TcpHandOver}) for a segment that matches no connection. */
@FunctionalInterface
interface TcpSteering
{
    /**
     * @param sourceAddress the peer, host order.
     * @param header        the segment's header, checked (length, offset, checksum, flags), options parsed.
     * @param buffer        the slot holding the segment.
     * @param offset        of the TCP header in {@code buffer}.
     * @param length        of the segment, header and payload.
     * @return true when the segment was taken (passed on to a worker, or dropped and counted by the hand-over).
     */
    boolean steer(int sourceAddress, TcpHeader header, MutableDirectBuffer buffer, int offset, int length);
}
