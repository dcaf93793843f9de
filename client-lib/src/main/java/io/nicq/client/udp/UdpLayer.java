package io.nicq.client.udp;

import io.nicq.client.DropReason;
import io.nicq.client.Frame;
import io.nicq.client.NicException;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.iface.Ipv4Output;
import io.nicq.client.iface.Ipv4Protocol;
import io.nicq.packet.Ipv4Header;
import io.nicq.packet.UdpHeader;
import io.nicq.proto.channel.QueueChannelLayout;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;

/**
 * UDP (RFC 768) on an {@link Ipv4Interface}: the transport layer registered for protocol 17. It checks each datagram
 * the interface hands up (length, checksum with the pseudo-header), delivers it to the {@link UdpSocket} bound to its
 * destination port as a view into its slot, and builds what sockets send: fresh datagrams through the interface's
 * {@link Ipv4Output}, and zero-copy replies from the slot a datagram arrived in.
 * <pre>
 *   Ipv4Interface -&gt; receive(...) -&gt; length, checksum -&gt; socket of the destination port -&gt; UdpHandler
 *   UdpSocket.send -&gt; claim, UDP header + payload, checksum -&gt; Ipv4Output.send (IPv4, Ethernet below)
 *   UdpDatagram.reply -&gt; claimReply (same slot), ports swapped, checksum -&gt; Ipv4Output.send
 * </pre>
 * Sends follow the interface's batching rule ({@link Ipv4Interface}). Malformed datagrams are counted drops in the
 * interface's table ({@link DropReason#TRUNCATED_UDP}, {@link DropReason#BAD_UDP_LENGTH},
 * {@link DropReason#BAD_UDP_CHECKSUM}, {@link DropReason#NO_SOCKET}), never exceptions. One thread.
 */
public final class UdpLayer implements Ipv4Protocol
{
    private static final int EPHEMERAL_FIRST = 49152;
    private static final int EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;

    private final Ipv4Interface ip;
    private final Ipv4Output output;
    private final UdpHeader udp = new UdpHeader();
    private final UdpDatagram datagram = new UdpDatagram(this);
    private final Int2ObjectHashMap<UdpSocket> sockets = new Int2ObjectHashMap<>();
    private final int maxPayload;
    private int ephemeralCursor;
    private long datagramsReceived;
    private long datagramsSent;

    /**
     * The UDP layer of an interface: registers itself for protocol 17.
     *
     * @param ip the interface below.
     * @throws IllegalStateException if the interface has a UDP layer already.
     */
    public UdpLayer(final Ipv4Interface ip)
    {
        this.ip = ip;
        this.output = ip.output(Ipv4Header.PROTOCOL_UDP);
        this.maxPayload = output.maxLength() - UdpHeader.HEADER_LENGTH;
        this.ephemeralCursor = (int)(System.nanoTime() % EPHEMERAL_COUNT);
        ip.register(Ipv4Header.PROTOCOL_UDP, this);
    }

    /** The interface below. */
    public Ipv4Interface ip()
    {
        return ip;
    }

    /** Most payload bytes of one datagram: the MTU less the IPv4 and UDP headers (no fragmentation). */
    public int maxPayload()
    {
        return maxPayload;
    }

    /**
     * Most payload bytes of one datagram on a link of this MTU, before any interface exists (to check a user's
     * payload size up front).
     *
     * @param mtu of the link; 0 or less means the default, 1500.
     */
    public static int maxPayloadAtMtu(final int mtu)
    {
        return Ipv4Interface.maxPayloadAtMtu(mtu) - UdpHeader.HEADER_LENGTH;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Receive
    // ---------------------------------------------------------------------------------------------------------------

    public void receive(
        final int sourceAddress,
        final int destinationAddress,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final long nowNs)
    {
        if (length < UdpHeader.HEADER_LENGTH)
        {
            ip.countDrop(DropReason.TRUNCATED_UDP);
            return;
        }
        final Frame frame = ip.receivedFrame();
        udp.wrap(frame.buffer(), offset);
        final int udpLength = udp.length();
        if (udpLength < UdpHeader.HEADER_LENGTH || udpLength > length)
        {
            ip.countDrop(DropReason.BAD_UDP_LENGTH);
            return;
        }
        if (!udp.verifyChecksum(sourceAddress, destinationAddress))
        {
            ip.countDrop(DropReason.BAD_UDP_CHECKSUM);
            return;
        }
        final int destinationPort = udp.destinationPort();
        final UdpSocket socket = sockets.get(destinationPort);
        final UdpHandler handler = socket != null ? socket.handler() : null;
        if (handler == null)
        {
            ip.countDrop(DropReason.NO_SOCKET);
            return;
        }

        final UdpDatagram datagram = this.datagram;
        datagram.frame = frame;
        datagram.sourceAddress = sourceAddress;
        datagram.sourcePort = udp.sourcePort();
        datagram.destinationAddress = destinationAddress;
        datagram.destinationPort = destinationPort;
        datagram.payloadOffset = offset + UdpHeader.HEADER_LENGTH;
        datagram.payloadLength = udpLength - UdpHeader.HEADER_LENGTH;
        datagramsReceived++;
        socket.onReceived();
        try
        {
            handler.onDatagram(datagram);
        }
        finally
        {
            datagram.frame = null;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Send
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * One datagram: the payload copied behind a UDP header in a free slot, the checksum computed.
     *
     * @return {@code payloadLength}, or 0 if no slot was free (counted as {@link DropReason#NO_SLOT}).
     */
    int send(
        final int sourcePort,
        final int destinationAddress,
        final int destinationPort,
        final DirectBuffer payload,
        final int payloadOffset,
        final int payloadLength)
    {
        if (payloadLength < 0 || payloadLength > maxPayload)
        {
            throw new IllegalArgumentException("UDP payload of " + payloadLength + " bytes is outside [0, " +
                maxPayload + "] (MTU, no fragmentation)");
        }
        if (destinationPort <= 0 || destinationPort > 0xFFFF)
        {
            throw new IllegalArgumentException("destination port " + destinationPort + " is outside [1, 65535]");
        }
        final int udpLength = UdpHeader.HEADER_LENGTH + payloadLength;
        final int offset = output.claim(destinationAddress, udpLength);
        if (offset == Ipv4Output.NO_ROOM)
        {
            return 0;
        }
        final MutableDirectBuffer buffer = output.buffer();
        buffer.putBytes(offset + UdpHeader.HEADER_LENGTH, payload, payloadOffset, payloadLength);
        udp.wrap(buffer, offset).writeHeader(sourcePort, destinationPort, payloadLength);
        udp.computeChecksum(output.localAddress(), destinationAddress);
        output.send(udpLength);
        datagramsSent++;
        return payloadLength;
    }

    /**
     * Most payload a reply from {@code datagram}'s slot can carry: within the MTU, and, since the reply's payload is
     * written in place at the request's payload offset before it moves up, within the slot from there.
     */
    int maxReplyPayload(final UdpDatagram datagram)
    {
        final int slotEnd = datagram.frame.offset() + QueueChannelLayout.SLOT_SIZE;
        return Math.min(maxPayload, slotEnd - datagram.payloadOffset);
    }

    void reply(final UdpDatagram datagram, final int payloadLength, final boolean rewritten)
    {
        if (datagram.frame == null)
        {
            throw new IllegalStateException("the datagram is no longer held: reply from inside the handler");
        }
        if (payloadLength < 0 || payloadLength > maxReplyPayload(datagram))
        {
            throw new IllegalArgumentException("reply payload of " + payloadLength + " bytes is outside [0, " +
                maxReplyPayload(datagram) + "]");
        }
        final MutableDirectBuffer buffer = output.buffer();
        final int receivedChecksum = udp.wrap(buffer, datagram.payloadOffset - UdpHeader.HEADER_LENGTH).checksum();
        final int udpLength = UdpHeader.HEADER_LENGTH + payloadLength;
        final int offset = output.claimReply(udpLength);
        final int localAddress = output.localAddress();
        udp.wrap(buffer, offset)
            .sourcePort(datagram.destinationPort)
            .destinationPort(datagram.sourcePort)
            .length(udpLength);
        // Same payload, same address pair, ports swapped: the one's complement sum is unchanged and the received
        // (verified) checksum still holds. Otherwise (a new payload, a reply to a broadcast from the unicast address,
        // no checksum received) compute it.
        if (rewritten || receivedChecksum == UdpHeader.NO_CHECKSUM || datagram.destinationAddress != localAddress)
        {
            udp.computeChecksum(localAddress, datagram.sourceAddress);
        }
        else
        {
            udp.checksum(receivedChecksum);
        }
        output.send(udpLength);
        datagramsSent++;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Ports
    // ---------------------------------------------------------------------------------------------------------------

    void checkPortFree(final int port)
    {
        final UdpSocket existing = sockets.get(port);
        if (existing != null)
        {
            throw new NicException(NicException.Reason.PORT_IN_USE, "UDP port " + port + " is already bound on " +
                "queue " + ip.queue().queueId() + " by " + existing);
        }
    }

    void bind(final int port, final UdpSocket socket)
    {
        sockets.put(port, socket);
    }

    void unbind(final int port, final UdpSocket socket)
    {
        if (sockets.get(port) == socket)
        {
            sockets.remove(port);
        }
    }

    int nextEphemeralPort()
    {
        for (int i = 0; i < EPHEMERAL_COUNT; i++)
        {
            final int port = EPHEMERAL_FIRST + (ephemeralCursor++ % EPHEMERAL_COUNT);
            if (!sockets.containsKey(port))
            {
                return port;
            }
        }
        throw new NicException(NicException.Reason.PORT_IN_USE, "every ephemeral UDP port is bound on queue " +
            ip.queue().queueId());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Counters
    // ---------------------------------------------------------------------------------------------------------------

    /** Datagrams handed to sockets. */
    public long datagramsReceived()
    {
        return datagramsReceived;
    }

    /** Datagrams sent, sends and replies. */
    public long datagramsSent()
    {
        return datagramsSent;
    }

    public String toString()
    {
        return "UdpLayer{" + sockets.size() + " sockets on " + ip + "}";
    }
}
