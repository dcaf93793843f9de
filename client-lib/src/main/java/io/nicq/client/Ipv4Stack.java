package io.nicq.client;

import io.nicq.packet.EthernetHeader;
import io.nicq.packet.IcmpEcho;
import io.nicq.packet.Ipv4Address;
import io.nicq.packet.Ipv4Header;
import io.nicq.packet.MacAddress;
import io.nicq.packet.UdpHeader;
import io.nicq.proto.channel.QueueChannelLayout;
import org.agrona.DirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.AtomicBuffer;

/**
 * A small IPv4 stack on one {@link NicQueue}, zero copy and allocation free on the packet path: Ethernet, IPv4
 * (header checksum, TTL, fragments counted and dropped), ICMP echo (requests to this client's address are answered
 * from the slot they came in), UDP (checksums both ways) demultiplexed to the queue's {@link UdpEndpoint}s by
 * destination port. ARP is the card driver's (default queue): neighbours are resolved through it once and cached.
 * <pre>
 *   frame -> Ethernet -+- IPv4 -> checks -+- UDP  -> checks -> endpoint of the destination port -> UdpHandler
 *                      |                  +- ICMP -> echo request to us -> echo reply, same slot
 *                      +- anything else: counted drop
 * </pre>
 * Every check that fails is a counted drop ({@link DropReason}, {@link #drops(DropReason)}); the slot is recycled and
 * nothing is thrown. Lengths are checked before any field behind them is read: a frame is never read past its end.
 * <p>
 * One thread uses the stack: the one that polls the queue.
 */
public final class Ipv4Stack implements FrameHandler
{
    private static final long NO_MAC = -1L;
    private static final int EPHEMERAL_FIRST = 49152;
    private static final int EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;
    private static final int UDP_OVERHEAD = Ipv4Header.MIN_HEADER_LENGTH + UdpHeader.HEADER_LENGTH;

    private final NicQueue queue;
    private final ControlPlane plane;
    private final long mac;
    private final int address;
    private final int prefixLength;
    private final int gateway;
    private final int subnetBroadcast;
    private final int maxUdpPayload;

    private final EthernetHeader ethernet = new EthernetHeader();
    private final Ipv4Header ip = new Ipv4Header();
    private final UdpHeader udp = new UdpHeader();
    private final IcmpEcho icmp = new IcmpEcho();
    private final UdpDatagram datagram = new UdpDatagram(this);
    private final long[] drops = new long[DropReason.COUNT];
    private final Int2ObjectHashMap<UdpEndpoint> endpoints = new Int2ObjectHashMap<>();
    private final Long2LongHashMap neighbours = new Long2LongHashMap(NO_MAC);

    private int identification;
    private int ephemeralCursor;
    private long datagramsReceived;
    private long datagramsSent;
    private long echoRepliesSent;

    Ipv4Stack(final NicQueue queue, final ControlPlane plane)
    {
        this.queue = queue;
        this.plane = plane;
        this.mac = plane.mac();
        this.address = plane.ipv4();
        this.prefixLength = plane.prefixLength();
        this.gateway = plane.gateway();
        final int netmask = Ipv4Address.netmask(prefixLength);
        this.subnetBroadcast = prefixLength >= 31 ? Ipv4Address.BROADCAST : (address & netmask) | ~netmask;
        final int mtu = plane.mtu() > 0 ? plane.mtu() : 1500;
        this.maxUdpPayload = Math.min(mtu, QueueChannelLayout.SLOT_SIZE - EthernetHeader.HEADER_LENGTH) - UDP_OVERHEAD;
        this.identification = (int)System.nanoTime() & 0xFFFF;
        this.ephemeralCursor = (int)(System.nanoTime() % EPHEMERAL_COUNT);
    }

    public NicQueue queue()
    {
        return queue;
    }

    /**
     * Receives up to {@link NicQueue#DEFAULT_POLL_LIMIT} frames and runs them through the stack.
     *
     * @return frames taken from the queue.
     */
    public int poll()
    {
        return queue.poll(this, NicQueue.DEFAULT_POLL_LIMIT);
    }

    /**
     * Receives up to {@code limit} frames and runs them through the stack.
     *
     * @param limit most frames to take.
     * @return frames taken from the queue.
     */
    public int poll(final int limit)
    {
        return queue.poll(this, limit);
    }

    /** Most payload bytes of one UDP datagram: the MTU less the IPv4 and UDP headers (no fragmentation). */
    public int maxUdpPayload()
    {
        return maxUdpPayload;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Receive
    // ---------------------------------------------------------------------------------------------------------------

    public void onFrame(final Frame frame)
    {
        final AtomicBuffer buffer = frame.buffer();
        final int offset = frame.offset();
        final int length = frame.length();
        if (length < EthernetHeader.HEADER_LENGTH)
        {
            drop(DropReason.TRUNCATED_ETHERNET);
            return;
        }

        final int etherType = ethernet.wrap(buffer, offset).etherType();
        if (etherType != EthernetHeader.ETHER_TYPE_IPV4)
        {
            drop(etherType == EthernetHeader.ETHER_TYPE_ARP ? DropReason.ARP : DropReason.ETHER_TYPE);
            return;
        }

        final int ipOffset = offset + EthernetHeader.HEADER_LENGTH;
        final int ipAvailable = length - EthernetHeader.HEADER_LENGTH;
        if (ipAvailable < Ipv4Header.MIN_HEADER_LENGTH)
        {
            drop(DropReason.TRUNCATED_IPV4);
            return;
        }
        ip.wrap(buffer, ipOffset);
        if (ip.version() != Ipv4Header.VERSION)
        {
            drop(DropReason.BAD_IP_VERSION);
            return;
        }
        final int headerLength = ip.headerLength();
        if (headerLength < Ipv4Header.MIN_HEADER_LENGTH)
        {
            drop(DropReason.BAD_IHL);
            return;
        }
        if (headerLength > ipAvailable)
        {
            drop(DropReason.TRUNCATED_IPV4);
            return;
        }
        // Frames under 60 bytes arrive padded: the total length, not the frame length, says where the packet ends.
        final int totalLength = ip.totalLength();
        if (totalLength < headerLength || totalLength > ipAvailable)
        {
            drop(DropReason.BAD_TOTAL_LENGTH);
            return;
        }
        if (!ip.verifyChecksum())
        {
            drop(DropReason.BAD_IP_CHECKSUM);
            return;
        }
        final int destination = ip.destination();
        if (destination != address && destination != Ipv4Address.BROADCAST && destination != subnetBroadcast)
        {
            drop(DropReason.WRONG_DESTINATION);
            return;
        }
        if (ip.ttl() == 0)
        {
            drop(DropReason.TTL_EXPIRED);
            return;
        }
        if (ip.isFragment())
        {
            drop(DropReason.FRAGMENT);
            return;
        }

        final int protocol = ip.protocol();
        if (protocol == Ipv4Header.PROTOCOL_UDP)
        {
            onUdp(frame, ipOffset, headerLength, totalLength - headerLength, ip.source(), destination);
        }
        else if (protocol == Ipv4Header.PROTOCOL_ICMP)
        {
            onIcmp(frame, ipOffset, headerLength, totalLength - headerLength, ip.source(), destination);
        }
        else
        {
            drop(DropReason.PROTOCOL);
        }
    }

    private void onUdp(
        final Frame frame,
        final int ipOffset,
        final int headerLength,
        final int ipPayloadLength,
        final int source,
        final int destination)
    {
        if (ipPayloadLength < UdpHeader.HEADER_LENGTH)
        {
            drop(DropReason.TRUNCATED_UDP);
            return;
        }
        final int udpOffset = ipOffset + headerLength;
        udp.wrap(frame.buffer(), udpOffset);
        final int udpLength = udp.length();
        if (udpLength < UdpHeader.HEADER_LENGTH || udpLength > ipPayloadLength)
        {
            drop(DropReason.BAD_UDP_LENGTH);
            return;
        }
        if (!udp.verifyChecksum(source, destination))
        {
            drop(DropReason.BAD_UDP_CHECKSUM);
            return;
        }
        final int destinationPort = udp.destinationPort();
        final UdpEndpoint endpoint = endpoints.get(destinationPort);
        final UdpHandler handler = endpoint != null ? endpoint.handler() : null;
        if (handler == null)
        {
            drop(DropReason.NO_ENDPOINT);
            return;
        }

        final UdpDatagram datagram = this.datagram;
        datagram.frame = frame;
        datagram.sourceAddress = source;
        datagram.sourcePort = udp.sourcePort();
        datagram.destinationAddress = destination;
        datagram.destinationPort = destinationPort;
        datagram.ipOffset = ipOffset;
        datagram.payloadOffset = udpOffset + UdpHeader.HEADER_LENGTH;
        datagram.payloadLength = udpLength - UdpHeader.HEADER_LENGTH;
        datagramsReceived++;
        endpoint.onReceived();
        try
        {
            handler.onDatagram(datagram);
        }
        finally
        {
            datagram.frame = null;
        }
    }

    private void onIcmp(
        final Frame frame,
        final int ipOffset,
        final int headerLength,
        final int ipPayloadLength,
        final int source,
        final int destination)
    {
        if (ipPayloadLength < IcmpEcho.HEADER_LENGTH)
        {
            drop(DropReason.TRUNCATED_ICMP);
            return;
        }
        final AtomicBuffer buffer = frame.buffer();
        icmp.wrap(buffer, ipOffset + headerLength);
        if (!icmp.verifyChecksum(ipPayloadLength))
        {
            drop(DropReason.BAD_ICMP_CHECKSUM);
            return;
        }
        if (icmp.type() != IcmpEcho.TYPE_ECHO_REQUEST || icmp.code() != 0 || destination != address)
        {
            drop(DropReason.ICMP_IGNORED);
            return;
        }

        // The reply is the request's own slot: options dropped (the message moves up), type 0, addresses swapped.
        final int icmpOffset = ipOffset + Ipv4Header.MIN_HEADER_LENGTH;
        if (headerLength > Ipv4Header.MIN_HEADER_LENGTH)
        {
            buffer.putBytes(icmpOffset, buffer, ipOffset + headerLength, ipPayloadLength);
            icmp.wrap(buffer, icmpOffset);
        }
        icmp.toEchoReply();
        ethernet.wrap(buffer, frame.offset());
        ethernet.destination(ethernet.source()).source(mac);
        ip.wrap(buffer, ipOffset).writeHeader(
            address, source, Ipv4Header.PROTOCOL_ICMP, Ipv4Header.DEFAULT_TTL, ipPayloadLength, nextIdentification());
        queue.send(frame.slot(), EthernetHeader.HEADER_LENGTH + Ipv4Header.MIN_HEADER_LENGTH + ipPayloadLength);
        echoRepliesSent++;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Send
    // ---------------------------------------------------------------------------------------------------------------

    int send(
        final int sourcePort,
        final int destinationAddress,
        final int destinationPort,
        final DirectBuffer payload,
        final int payloadOffset,
        final int payloadLength)
    {
        if (payloadLength < 0 || payloadLength > maxUdpPayload)
        {
            throw new IllegalArgumentException("UDP payload of " + payloadLength + " bytes is outside [0, " +
                maxUdpPayload + "] (MTU, no fragmentation)");
        }
        if (destinationPort <= 0 || destinationPort > 0xFFFF)
        {
            throw new IllegalArgumentException("destination port " + destinationPort + " is outside [1, 65535]");
        }
        final long destinationMac = neighbour(destinationAddress);

        final int slot = queue.tryClaim();
        if (slot == NicQueue.NO_SLOT)
        {
            drop(DropReason.NO_SLOT);
            return 0;
        }
        final AtomicBuffer buffer = queue.buffer();
        final int offset = NicQueue.frameOffset(slot);
        final int ipOffset = offset + EthernetHeader.HEADER_LENGTH;
        final int udpOffset = ipOffset + Ipv4Header.MIN_HEADER_LENGTH;

        ethernet.wrap(buffer, offset).destination(destinationMac).source(mac).etherType(EthernetHeader.ETHER_TYPE_IPV4);
        buffer.putBytes(udpOffset + UdpHeader.HEADER_LENGTH, payload, payloadOffset, payloadLength);
        udp.wrap(buffer, udpOffset).writeHeader(sourcePort, destinationPort, payloadLength);
        udp.computeChecksum(address, destinationAddress);
        ip.wrap(buffer, ipOffset).writeHeader(address, destinationAddress, Ipv4Header.PROTOCOL_UDP,
            Ipv4Header.DEFAULT_TTL, UdpHeader.HEADER_LENGTH + payloadLength, nextIdentification());

        queue.send(slot, EthernetHeader.HEADER_LENGTH + UDP_OVERHEAD + payloadLength);
        queue.flush();
        datagramsSent++;
        return payloadLength;
    }

    int maxReplyPayload(final UdpDatagram datagram)
    {
        return maxUdpPayload;
    }

    void reply(final UdpDatagram datagram, final int payloadLength, final boolean rewritten)
    {
        final Frame frame = datagram.frame;
        if (frame == null || frame.slot() == NicQueue.NO_SLOT)
        {
            throw new IllegalStateException("the datagram is no longer held: reply from inside the handler");
        }
        if (payloadLength < 0 || payloadLength > maxUdpPayload)
        {
            throw new IllegalArgumentException("reply payload of " + payloadLength + " bytes is outside [0, " +
                maxUdpPayload + "]");
        }
        final AtomicBuffer buffer = frame.buffer();
        final int offset = frame.offset();
        final int ipOffset = offset + EthernetHeader.HEADER_LENGTH;
        final int udpOffset = ipOffset + Ipv4Header.MIN_HEADER_LENGTH;
        final int receivedUdpOffset = datagram.payloadOffset - UdpHeader.HEADER_LENGTH;
        final int receivedChecksum = udp.wrap(buffer, receivedUdpOffset).checksum();
        if (receivedUdpOffset != udpOffset)
        {
            // The request had IP options; the reply has none: header and payload move up (memmove semantics).
            buffer.putBytes(udpOffset, buffer, receivedUdpOffset, UdpHeader.HEADER_LENGTH + payloadLength);
        }

        ethernet.wrap(buffer, offset);
        ethernet.destination(ethernet.source()).source(mac);
        ip.wrap(buffer, ipOffset).writeHeader(address, datagram.sourceAddress, Ipv4Header.PROTOCOL_UDP,
            Ipv4Header.DEFAULT_TTL, UdpHeader.HEADER_LENGTH + payloadLength, nextIdentification());
        udp.wrap(buffer, udpOffset)
            .sourcePort(datagram.destinationPort)
            .destinationPort(datagram.sourcePort)
            .length(UdpHeader.HEADER_LENGTH + payloadLength);
        // Same payload, same address pair, ports swapped: the one's complement sum is unchanged and the received
        // (verified) checksum still holds. Otherwise compute it.
        if (rewritten || receivedChecksum == UdpHeader.NO_CHECKSUM || datagram.destinationAddress != address)
        {
            udp.computeChecksum(address, datagram.sourceAddress);
        }
        else
        {
            udp.checksum(receivedChecksum);
        }

        queue.send(frame.slot(), EthernetHeader.HEADER_LENGTH + UDP_OVERHEAD + payloadLength);
        datagramsSent++;
    }

    /**
     * The MAC to send to for a destination: broadcast and multicast mapped, otherwise the next hop's (the destination
     * on the subnet, else the gateway), resolved through the card driver on first use and cached.
     *
     * @param destinationAddress IPv4 destination, host order.
     * @return the MAC for the Ethernet header.
     * @throws NicException if there is no route or the card driver cannot resolve the next hop.
     */
    public long neighbour(final int destinationAddress)
    {
        if (destinationAddress == Ipv4Address.BROADCAST || destinationAddress == subnetBroadcast)
        {
            return MacAddress.BROADCAST;
        }
        if (Ipv4Address.isMulticast(destinationAddress))
        {
            return 0x01005E000000L | (destinationAddress & 0x7FFFFF);
        }
        final int nextHop = Ipv4Address.sameSubnet(destinationAddress, address, prefixLength) ? destinationAddress :
            gateway;
        if (nextHop == 0)
        {
            throw new NicException(NicException.Reason.NO_ROUTE, "no route to " +
                Ipv4Address.toString(destinationAddress) + ": not on " + Ipv4Address.toString(address) + "/" +
                prefixLength + " and no gateway");
        }
        long nextHopMac = neighbours.get(nextHop);
        if (nextHopMac == NO_MAC)
        {
            nextHopMac = plane.resolveNeighbour(nextHop);
            neighbours.put(nextHop, nextHopMac);
        }
        return nextHopMac;
    }

    /** Forgets every cached neighbour: the next send to each resolves again. */
    public void forgetNeighbours()
    {
        neighbours.clear();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Endpoints
    // ---------------------------------------------------------------------------------------------------------------

    void checkPortFree(final int port)
    {
        final UdpEndpoint existing = endpoints.get(port);
        if (existing != null)
        {
            throw new NicException(NicException.Reason.PORT_IN_USE, "UDP port " + port + " is already bound on " +
                "queue " + queue.queueId() + " by " + existing);
        }
    }

    void bind(final int port, final UdpEndpoint endpoint)
    {
        endpoints.put(port, endpoint);
    }

    void unbind(final int port, final UdpEndpoint endpoint)
    {
        if (endpoints.get(port) == endpoint)
        {
            endpoints.remove(port);
        }
    }

    int nextEphemeralPort()
    {
        for (int i = 0; i < EPHEMERAL_COUNT; i++)
        {
            final int port = EPHEMERAL_FIRST + (ephemeralCursor++ % EPHEMERAL_COUNT);
            if (!endpoints.containsKey(port))
            {
                return port;
            }
        }
        throw new NicException(NicException.Reason.PORT_IN_USE, "every ephemeral UDP port is bound on queue " +
            queue.queueId());
    }

    private int nextIdentification()
    {
        identification = (identification + 1) & 0xFFFF;
        return identification;
    }

    private void drop(final DropReason reason)
    {
        drops[reason.ordinal()]++;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Counters
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Frames dropped for one reason.
     *
     * @param reason the reason.
     * @return how many.
     */
    public long drops(final DropReason reason)
    {
        return drops[reason.ordinal()];
    }

    /** Frames dropped for any reason. */
    public long totalDrops()
    {
        long total = 0;
        for (final long count : drops)
        {
            total += count;
        }
        return total;
    }

    /** Datagrams handed to endpoints. */
    public long datagramsReceived()
    {
        return datagramsReceived;
    }

    /** Datagrams sent (sends and replies). */
    public long datagramsSent()
    {
        return datagramsSent;
    }

    /** ICMP echo requests answered. */
    public long echoRepliesSent()
    {
        return echoRepliesSent;
    }

    /** The non-zero drop counters, for logs: "BAD_UDP_CHECKSUM=2 FRAGMENT=1". */
    public String dropsToString()
    {
        final StringBuilder builder = new StringBuilder();
        for (int i = 0; i < DropReason.COUNT; i++)
        {
            if (drops[i] != 0)
            {
                builder.append(builder.isEmpty() ? "" : " ").append(DropReason.get(i)).append('=').append(drops[i]);
            }
        }
        return builder.toString();
    }
}
