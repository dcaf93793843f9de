package io.nicq.client.udp;

import io.nicq.client.Frame;
import io.nicq.packet.Ipv4Address;
import org.agrona.concurrent.AtomicBuffer;

/**
 * A received UDP datagram as a reused view: who sent it, and where its payload lies in the slot the NIC wrote it to
 * (no copy). Handed to a {@link UdpHandler}.
 * <pre>
 *   buffer()
 *   ... +----------+-------------+----------+------------------------+ ...
 *       | Ethernet | IPv4 (IHL)  | UDP      | payload, length() bytes |
 *       +----------+-------------+----------+------------------------+
 *       frame().offset()                     offset()
 * </pre>
 * {@link #reply()} turns the slot itself into the answer: addresses and ports swapped, the same payload (or one
 * rewritten in place, {@link #reply(int)}), checksums fixed, the same slot sent. Nothing is copied or allocated. A
 * reply leaves when the receive that delivered the datagram ends, with the rest of its batch (the interface's
 * batching rule, {@link io.nicq.client.iface.Ipv4Interface}).
 */
public final class UdpDatagram
{
    private final UdpLayer udp;
    Frame frame;
    int sourceAddress;
    int sourcePort;
    int destinationAddress;
    int destinationPort;
    int payloadOffset;
    int payloadLength;

    UdpDatagram(final UdpLayer udp)
    {
        this.udp = udp;
    }

    /** The sender's IPv4 address, host order. */
    public int sourceAddress()
    {
        return sourceAddress;
    }

    /** The sender's port. */
    public int sourcePort()
    {
        return sourcePort;
    }

    /** The address it was sent to: this client's, or a broadcast address. */
    public int destinationAddress()
    {
        return destinationAddress;
    }

    /** The local port it was sent to. */
    public int destinationPort()
    {
        return destinationPort;
    }

    /** The buffer holding the payload (the queue's packet pool). */
    public AtomicBuffer buffer()
    {
        return frame.buffer();
    }

    /** Offset of the payload in {@link #buffer()}. */
    public int offset()
    {
        return payloadOffset;
    }

    /** Bytes of payload. */
    public int length()
    {
        return payloadLength;
    }

    /**
     * Most payload bytes a reply from this slot can carry: within the MTU, and within the slot from {@link #offset()}
     * on, where the handler writes it (further down the slot when the request had IP options).
     *
     * @return the largest length {@link #reply(int)} accepts.
     */
    public int maxReplyLength()
    {
        return udp.maxReplyPayload(this);
    }

    /** The frame underneath: slot, phase timestamps, the application's own field. */
    public Frame frame()
    {
        return frame;
    }

    /**
     * Answers with the same payload from the same slot (zero-copy echo): Ethernet and IP addresses and UDP ports
     * swapped, the IP header rebuilt (TTL 64, no options), checksums fixed. The slot leaves when the current receive
     * ends.
     */
    public void reply()
    {
        udp.reply(this, payloadLength, false);
    }

    /**
     * Answers from the same slot with a payload the handler wrote in place at {@link #offset()} (it may be longer or
     * shorter than the request's, up to {@link #maxReplyLength()}); the UDP checksum is computed.
     *
     * @param length bytes of the answer's payload.
     * @throws IllegalArgumentException if it does not fit.
     */
    public void reply(final int length)
    {
        udp.reply(this, length, true);
    }

    /** Keeps the slot after the handler returns: send or release it later through the queue ({@link Frame#slot()}). */
    public void keep()
    {
        frame.keep();
    }

    public String toString()
    {
        return "UdpDatagram{" + Ipv4Address.toString(sourceAddress) + ":" + sourcePort + " -> " +
            destinationPort + ", " + payloadLength + " bytes}";
    }
}
