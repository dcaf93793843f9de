package io.nicq.client.iface;

import java.util.concurrent.TimeUnit;

import io.nicq.client.ControlPlane;
import io.nicq.client.DropReason;
import io.nicq.client.Frame;
import io.nicq.client.FrameHandler;
import io.nicq.client.NicException;
import io.nicq.client.NicQueue;
import io.nicq.net.Ipv4Input;
import io.nicq.net.Ipv4Link;
import io.nicq.net.Ipv4Responder;
import io.nicq.net.Ipv4Verdict;
import io.nicq.net.NeighbourCache;
import io.nicq.packet.EthernetHeader;
import io.nicq.packet.Ipv4Header;
import io.nicq.proto.channel.QueueChannelLayout;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.AtomicBuffer;

/**
 * The interface layer of client-lib's stack, on one {@link NicQueue}: Ethernet, IPv4 in and out, ICMP echo, and next
 * hops' MACs resolved through the card driver (which does the ARP) and cached with an expiry. It dispatches every
 * datagram that passes the IPv4 checks to the transport layer registered for its protocol, and gives each layer an
 * {@link Ipv4Output} to send through. The application owns the queue, the interface and the layers above, in this
 * order:
 * <pre>
 *   NicQueue queue = client.requestQueue(...);                  layer 2: slots, rings, the queue driver
 *   Ipv4Interface ip = new Ipv4Interface(queue, client);        layer 3: Ethernet, IPv4, ICMP, neighbours
 *   UdpLayer udp = new UdpLayer(ip);                            layer 4: registered for protocol 17, sockets by port
 *
 *   frame -&gt; Ethernet -+- IPv4 -&gt; checks -+- ICMP echo request to us -&gt; echo reply from the same slot
 *                      |                  +- protocol p registered   -&gt; layer p .receive(...)
 *                      +- otherwise: counted drop
 * </pre>
 * The rules are the net module's, the ones the card driver's default queue applies too: {@link Ipv4Link} (which
 * destinations are this host's, broadcasts, next hop and link-layer destination), {@link Ipv4Input} (the checks),
 * {@link Ipv4Responder} (the header from this host, replies in place). Every check that fails is a counted drop
 * ({@link DropReason}, {@link #drops(DropReason)}; the layers above count theirs here too, {@link #countDrop}); the
 * slot is recycled and nothing is thrown. Lengths are checked before any field behind them is read.
 * <p>
 * <b>Batching</b>, one rule for every datagram the stack sends (replies, sends, ICMP echo replies, a protocol's
 * timers): what is sent during a {@link #poll} leaves with the poll's batch when the poll ends; what is sent outside
 * a poll leaves before its send returns. No datagram waits for a later call.
 * <p>
 * One thread uses the interface and its layers: the one that polls the queue. Nothing on the packet path allocates,
 * except a neighbour that is not cached: resolving it is a control-plane request (at most once per next hop and
 * neighbour lifetime).
 */
public final class Ipv4Interface
{
    /** Configuration of an interface, with defaults. */
    public static final class Context
    {
        /** How long a next hop's MAC from the card driver is trusted before it is asked again. */
        public static final long DEFAULT_NEIGHBOUR_LIFETIME_NS = TimeUnit.SECONDS.toNanos(60);

        /** Next hops cached; the one closest to expiry makes room. */
        public static final int DEFAULT_NEIGHBOUR_CAPACITY = 64;

        private long neighbourLifetimeNs = DEFAULT_NEIGHBOUR_LIFETIME_NS;
        private int neighbourCapacity = DEFAULT_NEIGHBOUR_CAPACITY;

        public Context neighbourLifetime(final long lifetime, final TimeUnit unit)
        {
            this.neighbourLifetimeNs = unit.toNanos(lifetime);
            return this;
        }

        public long neighbourLifetimeNs()
        {
            return neighbourLifetimeNs;
        }

        public Context neighbourCapacity(final int neighbourCapacity)
        {
            this.neighbourCapacity = neighbourCapacity;
            return this;
        }

        public int neighbourCapacity()
        {
            return neighbourCapacity;
        }
    }

    private static final DropReason[] REASONS = DropReason.values();
    private static final int DEFAULT_MTU = 1500;

    private final NicQueue queue;
    private final ControlPlane plane;
    private final long mac;
    private final Ipv4Link link;
    private final NeighbourCache neighbours;
    private final Ipv4Responder responder;
    private final int maxPayload;
    private final EthernetHeader ethernet = new EthernetHeader();
    private final Ipv4Header ip = new Ipv4Header();
    private final FrameHandler receiver = this::onFrame;
    private final Ipv4Protocol[] protocols = new Ipv4Protocol[256];
    private final Ipv4Protocol[] registered = new Ipv4Protocol[256];
    private int registeredCount;
    private final long[] drops = new long[REASONS.length];

    private Frame received;
    private int receivedSource;
    private int pollDepth;
    private long datagramsDelivered;
    private long datagramsSent;
    private long echoRepliesSent;

    /**
     * An interface with the default {@link Context}.
     *
     * @see #Ipv4Interface(NicQueue, ControlPlane, Context)
     */
    public Ipv4Interface(final NicQueue queue, final ControlPlane plane)
    {
        this(queue, plane, new Context());
    }

    /**
     * @param queue the queue whose slots carry the frames; one interface per queue.
     * @param plane the client's control plane ({@link io.nicq.client.NicClient}): addresses, MTU, neighbours.
     * @param ctx   configuration.
     */
    public Ipv4Interface(final NicQueue queue, final ControlPlane plane, final Context ctx)
    {
        this.queue = queue;
        this.plane = plane;
        this.mac = plane.mac();
        this.link = new Ipv4Link(plane.ipv4(), plane.prefixLength(), plane.gateway());
        this.neighbours = new NeighbourCache(ctx.neighbourCapacity(), ctx.neighbourLifetimeNs());
        this.responder = new Ipv4Responder(mac, link);
        this.maxPayload = maxPayloadAtMtu(plane.mtu());
    }

    /**
     * Largest IPv4 payload of one datagram on a link of this MTU: the MTU, or a packet slot less the Ethernet header
     * if smaller, less a 20-byte IPv4 header (nicq does not fragment).
     *
     * @param mtu of the link, as the card driver tells it; 0 or less means the default, 1500.
     */
    public static int maxPayloadAtMtu(final int mtu)
    {
        return Math.min(mtu > 0 ? mtu : DEFAULT_MTU, QueueChannelLayout.SLOT_SIZE - EthernetHeader.HEADER_LENGTH) -
            Ipv4Header.MIN_HEADER_LENGTH;
    }

    public NicQueue queue()
    {
        return queue;
    }

    /** The control plane the interface and its layers reach the card driver through. */
    public ControlPlane controlPlane()
    {
        return plane;
    }

    /** This host's addressing: address, prefix, gateway. */
    public Ipv4Link link()
    {
        return link;
    }

    /** Largest IPv4 payload of one datagram: the MTU less a 20-byte header (no fragmentation). */
    public int maxPayload()
    {
        return maxPayload;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Layers above
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Registers the transport layer for an IP protocol: every accepted datagram of that protocol goes to it, and its
     * timers run with every poll.
     *
     * @param protocol IP protocol number (6 TCP, 17 UDP, ...); ICMP is the interface's own.
     * @param layer    the layer.
     * @throws IllegalStateException if the protocol is ICMP or already has a layer.
     */
    public void register(final int protocol, final Ipv4Protocol layer)
    {
        if (protocol < 0 || protocol > 255)
        {
            throw new IllegalArgumentException("IP protocol " + protocol + " is outside [0, 255]");
        }
        if (protocol == Ipv4Header.PROTOCOL_ICMP)
        {
            throw new IllegalStateException("ICMP is the interface's own (echo requests are answered here)");
        }
        if (protocols[protocol] != null)
        {
            throw new IllegalStateException("IP protocol " + protocol + " already has a layer: " +
                protocols[protocol]);
        }
        protocols[protocol] = layer;
        registered[registeredCount++] = layer;
    }

    /**
     * A new way for a layer to send datagrams of {@code protocol}; create it once, when the layer is made.
     *
     * @param protocol IP protocol number written into the IPv4 headers.
     * @return the output.
     */
    public Ipv4Output output(final int protocol)
    {
        if (protocol < 0 || protocol > 255)
        {
            throw new IllegalArgumentException("IP protocol " + protocol + " is outside [0, 255]");
        }
        return new ProtocolOutput(protocol);
    }

    /** Counts a frame a layer above dropped, beside the interface's own drops: one table for the whole stack. */
    public void countDrop(final DropReason reason)
    {
        drops[reason.ordinal()]++;
    }

    /** The frame whose datagram is being dispatched to a layer, null outside {@link Ipv4Protocol#receive}. */
    public Frame receivedFrame()
    {
        return received;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Receive
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Receives up to {@link NicQueue#DEFAULT_POLL_LIMIT} frames.
     *
     * @see #poll(int)
     */
    public int poll()
    {
        return poll(NicQueue.DEFAULT_POLL_LIMIT);
    }

    /**
     * One round: up to {@code limit} received frames through the interface and the layers above, then the layers'
     * timers; what they all sent leaves together when the round ends.
     *
     * @param limit most frames to take from the queue.
     * @return work done: frames taken, plus the timers' work.
     * @throws NicException when the queue has stopped (revoked, or its queue driver stopped).
     */
    public int poll(final int limit)
    {
        int work;
        pollDepth++;
        try
        {
            work = queue.poll(receiver, limit);
            if (registeredCount > 0)
            {
                final long nowNs = System.nanoTime();
                for (int i = 0; i < registeredCount; i++)
                {
                    work += registered[i].poll(nowNs);
                }
            }
        }
        finally
        {
            pollDepth--;
        }
        if (pollDepth == 0 && queue.pendingFrames() > 0)
        {
            queue.flush();
        }
        return work;
    }

    private void onFrame(final Frame frame)
    {
        final AtomicBuffer buffer = frame.buffer();
        final int offset = frame.offset();
        final int length = frame.length();
        if (length < EthernetHeader.HEADER_LENGTH)
        {
            countDrop(DropReason.TRUNCATED_ETHERNET);
            return;
        }
        final int etherType = ethernet.wrap(buffer, offset).etherType();
        if (etherType != EthernetHeader.ETHER_TYPE_IPV4)
        {
            countDrop(etherType == EthernetHeader.ETHER_TYPE_ARP ? DropReason.ARP : DropReason.ETHER_TYPE);
            return;
        }
        final int ipOffset = offset + EthernetHeader.HEADER_LENGTH;
        final Ipv4Verdict verdict = Ipv4Input.check(ip.wrap(buffer, ipOffset), length - EthernetHeader.HEADER_LENGTH,
            link);
        if (verdict != Ipv4Verdict.ACCEPTED)
        {
            countDrop(dropReason(verdict));
            return;
        }
        final int protocol = ip.protocol();
        if (protocol == Ipv4Header.PROTOCOL_ICMP)
        {
            onIcmp(frame);
            return;
        }
        final Ipv4Protocol layer = protocols[protocol];
        if (layer == null)
        {
            countDrop(DropReason.PROTOCOL);
            return;
        }
        final int headerLength = ip.headerLength();
        final int source = ip.source();
        datagramsDelivered++;
        received = frame;
        receivedSource = source;
        try
        {
            layer.receive(source, ip.destination(), buffer, ipOffset + headerLength, ip.totalLength() - headerLength,
                frame.rxAppNs());
        }
        finally
        {
            received = null;
        }
    }

    private void onIcmp(final Frame frame)
    {
        final int replyLength = responder.answerEcho(frame.buffer(), frame.offset());
        switch (replyLength)
        {
            case Ipv4Responder.ECHO_TRUNCATED -> countDrop(DropReason.TRUNCATED_ICMP);
            case Ipv4Responder.ECHO_BAD_CHECKSUM -> countDrop(DropReason.BAD_ICMP_CHECKSUM);
            case Ipv4Responder.ECHO_NOT_ANSWERED -> countDrop(DropReason.ICMP_IGNORED);
            default ->
            {
                frame.send(replyLength);
                echoRepliesSent++;
            }
        }
    }

    private static DropReason dropReason(final Ipv4Verdict verdict)
    {
        return switch (verdict)
        {
            case TRUNCATED -> DropReason.TRUNCATED_IPV4;
            case BAD_VERSION -> DropReason.BAD_IP_VERSION;
            case BAD_IHL -> DropReason.BAD_IHL;
            case BAD_TOTAL_LENGTH -> DropReason.BAD_TOTAL_LENGTH;
            case BAD_CHECKSUM -> DropReason.BAD_IP_CHECKSUM;
            case NOT_FOR_THIS_HOST -> DropReason.WRONG_DESTINATION;
            case TTL_EXPIRED -> DropReason.TTL_EXPIRED;
            case FRAGMENT -> DropReason.FRAGMENT;
            case ACCEPTED -> throw new IllegalArgumentException("an accepted packet is no drop");
        };
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Send
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * The Ethernet destination for a datagram to {@code destination}: broadcast and multicast mapped, otherwise the
     * next hop's MAC (the destination on the subnet, else the gateway), resolved through the card driver when it is
     * not cached or its entry expired.
     *
     * @param destination IPv4 destination, host order.
     * @return the MAC for the Ethernet header.
     * @throws NicException NO_ROUTE if there is no route, or the card driver's refusal (NEIGHBOUR_TIMEOUT) if it
     *                      cannot resolve the next hop.
     */
    public long linkDestination(final int destination)
    {
        final long nowNs = System.nanoTime();
        final long known = link.linkDestination(destination, neighbours, nowNs);
        if (known == Ipv4Link.NO_LINK_DESTINATION)
        {
            throw new NicException(NicException.Reason.NO_ROUTE, link.noRouteMessage(destination));
        }
        if (known != Ipv4Link.UNRESOLVED)
        {
            return known;
        }
        final int nextHop = link.nextHop(destination);
        final long resolved = plane.resolveNeighbour(nextHop);
        neighbours.learn(nextHop, resolved, System.nanoTime());
        return resolved;
    }

    /** Forgets every cached next hop: the next send to each resolves it again. */
    public void forgetNeighbours()
    {
        neighbours.clear();
    }

    /** Publishes now unless a poll is running, whose end will: the batching rule. */
    private void sent()
    {
        datagramsSent++;
        if (pollDepth == 0)
        {
            queue.flush();
        }
    }

    /** One protocol's {@link Ipv4Output}: at most one claim at a time, a fresh slot or the received one. */
    private final class ProtocolOutput implements Ipv4Output
    {
        private final int protocol;
        private final EthernetHeader header = new EthernetHeader();
        private int slot = NicQueue.NO_SLOT;
        private int claimedLength;
        private int remote;
        private boolean reply;

        ProtocolOutput(final int protocol)
        {
            this.protocol = protocol;
        }

        public int claim(final int remoteAddress, final int maxLength)
        {
            checkNoClaim(maxLength);
            final long destinationMac = linkDestination(remoteAddress);
            final int claimed = queue.tryClaim();
            if (claimed == NicQueue.NO_SLOT)
            {
                countDrop(DropReason.NO_SLOT);
                return NO_ROOM;
            }
            final int frameOffset = NicQueue.frameOffset(claimed);
            header.wrap(queue.buffer(), frameOffset).destination(destinationMac).source(mac)
                .etherType(EthernetHeader.ETHER_TYPE_IPV4);
            return claimed(claimed, remoteAddress, maxLength, false, Ipv4Responder.payloadOffset(frameOffset));
        }

        public int claimReply(final int length)
        {
            final Frame frame = received;
            if (frame == null)
            {
                throw new IllegalStateException("no datagram is being received: reply from inside its receive");
            }
            checkNoClaim(length);
            final int offset = responder.turnAround(frame.buffer(), frame.offset(), length);
            return claimed(frame.slot(), receivedSource, length, true, offset);
        }

        public MutableDirectBuffer buffer()
        {
            return queue.buffer();
        }

        public void send(final int length)
        {
            if (slot == NicQueue.NO_SLOT)
            {
                throw new IllegalStateException("nothing claimed to send");
            }
            if (length < 0 || length > claimedLength)
            {
                throw new IllegalArgumentException("payload of " + length + " bytes is outside the claimed [0, " +
                    claimedLength + "]");
            }
            final int sending = slot;
            slot = NicQueue.NO_SLOT;
            queue.send(sending, responder.writeHeader(queue.buffer(), NicQueue.frameOffset(sending), remote, protocol,
                length));
            sent();
        }

        public void abort()
        {
            if (slot != NicQueue.NO_SLOT && !reply)
            {
                queue.release(slot);
            }
            slot = NicQueue.NO_SLOT;
        }

        public int maxLength()
        {
            return maxPayload;
        }

        public int localAddress()
        {
            return link.address();
        }

        private void checkNoClaim(final int length)
        {
            if (slot != NicQueue.NO_SLOT)
            {
                throw new IllegalStateException("protocol " + protocol + " already has a claim: send or abort it");
            }
            if (length < 0 || length > maxPayload)
            {
                throw new IllegalArgumentException("IPv4 payload of " + length + " bytes is outside [0, " +
                    maxPayload + "] (MTU, no fragmentation)");
            }
        }

        private int claimed(final int slot, final int remote, final int length, final boolean reply, final int offset)
        {
            this.slot = slot;
            this.remote = remote;
            this.claimedLength = length;
            this.reply = reply;
            return offset;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Counters
    // ---------------------------------------------------------------------------------------------------------------

    /** Frames dropped for one reason, by the interface or a layer above. */
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

    /** The non-zero drop counters, for logs: "BAD_UDP_CHECKSUM=2 FRAGMENT=1". */
    public String dropsToString()
    {
        final StringBuilder builder = new StringBuilder();
        for (int i = 0; i < drops.length; i++)
        {
            if (drops[i] != 0)
            {
                builder.append(builder.isEmpty() ? "" : " ").append(REASONS[i]).append('=').append(drops[i]);
            }
        }
        return builder.toString();
    }

    /** Datagrams handed to a layer above. */
    public long datagramsDelivered()
    {
        return datagramsDelivered;
    }

    /** Datagrams the layers above sent (sends and replies). */
    public long datagramsSent()
    {
        return datagramsSent;
    }

    /** ICMP echo requests answered. */
    public long echoRepliesSent()
    {
        return echoRepliesSent;
    }

    public String toString()
    {
        return "Ipv4Interface{" + link + " on queue " + queue.queueId() + "}";
    }
}
