package io.nicq.card;

import java.util.concurrent.TimeUnit;

import io.nicq.net.Ipv4Input;
import io.nicq.net.Ipv4Link;
import io.nicq.net.Ipv4Responder;
import io.nicq.net.NeighbourCache;
import io.nicq.packet.ArpPacket;
import io.nicq.packet.EthernetHeader;
import io.nicq.packet.Ipv4Address;
import io.nicq.packet.Ipv4Header;
import io.nicq.packet.MacAddress;
import io.nicq.proto.channel.ChannelEndpoint;
import io.nicq.proto.channel.ForwardRing;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.runtime.Durations;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * The default queue's service, netd's role in the thesis: the client of queue 0's channel (a {@link ChannelEndpoint},
 * as an application's queue has), in the card driver's conductor thread. Queue 0 receives ARP (the ethertype filter)
 * and whatever no 5-tuple filter claims.
 * <ul>
 *   <li>ARP requests for the card's address are answered in place (the received slot becomes the reply);</li>
 *   <li>IPv4 passes the checks every nicq host applies ({@link Ipv4Input}); ICMP echo requests to the card's address
 *       are answered in place ({@link Ipv4Responder}, the rule client-lib follows too);</li>
 *   <li>neighbours are learned from ARP replies to the card, from requests for the card and from gratuitous ARP, and
 *       kept in a {@link NeighbourCache};</li>
 *   <li>{@code ResolveNeighbour} from clients: broadcast and multicast mapped and next hops chosen by the card's
 *       {@link Ipv4Link} (a /31 has no broadcast address), answered from the cache, else by ARP requests (the first,
 *       then retries spread over the neighbour timeout), else {@code NEIGHBOUR_TIMEOUT};</li>
 *   <li>TCP and UDP to the card's address that a filter placed in software matches ({@link SoftwareFilters}) is
 *       copied to the software-forward ring of the filter's queue ({@link ForwardRing}), whose queue driver hands
 *       it to the client like a received frame; counted, and a full ring is a counted drop, as a full descriptor
 *       ring is on the card (SRRCTL.DROP_EN);</li>
 *   <li>every frame not handled is dropped and counted by reason.</li>
 * </ul>
 * No allocation per frame: flyweights over the channel's pool, counters, fixed tables.
 */
final class DefaultQueueService implements AutoCloseable
{
    /** Where frames for a queue go when a software filter matched them: its channel's forward ring, or null. */
    @FunctionalInterface
    interface Forwarder
    {
        ForwardRing forwardRing(int queueId);
    }

    /** Frames handled per duty cycle. */
    static final int BATCH = 32;
    /** Free TX slots kept back for ARP requests; more go back to the RX side. */
    static final int TX_RESERVE = 16;
    static final int NEIGHBOUR_CAPACITY = 256;
    static final int PENDING_CAPACITY = 256;

    private final CardDriver.Context ctx;
    private final long mac;
    private final int ipv4;
    private final Ipv4Link link;
    private final Ipv4Responder responder;
    private final ResponsePublisher publisher;
    private final NeighbourCache neighbours;
    private final EthernetHeader ethernet = new EthernetHeader();
    private final ArpPacket arp = new ArpPacket();
    private final Ipv4Header ip = new Ipv4Header();
    private final int[] batch = new int[BATCH];

    private final long[] pendingCorrelationId = new long[PENDING_CAPACITY];
    private final long[] pendingClientId = new long[PENDING_CAPACITY];
    private final int[] pendingAddress = new int[PENDING_CAPACITY];
    private final int[] pendingNextHop = new int[PENDING_CAPACITY];
    private final long[] pendingNextSendNs = new long[PENDING_CAPACITY];
    private final int[] pendingRequestsLeft = new int[PENDING_CAPACITY];
    private final boolean[] pendingUsed = new boolean[PENDING_CAPACITY];
    private int pendingCount;
    private final long retryIntervalNs;

    private final AtomicCounter rxFrames;
    private final AtomicCounter arpRequestsAnswered;
    private final AtomicCounter arpRepliesReceived;
    private final AtomicCounter arpRequestsSent;
    private final AtomicCounter neighboursLearned;
    private final AtomicCounter icmpEchoAnswered;
    private final AtomicCounter tcpResetsSent;
    private final AtomicCounter resolutionsAnswered;
    private final AtomicCounter resolutionsTimedOut;
    private final AtomicCounter dropTruncated;
    private final AtomicCounter dropMalformed;
    private final AtomicCounter dropBadChecksum;
    private final AtomicCounter dropNotForUs;
    private final AtomicCounter dropEthertype;
    private final AtomicCounter dropProtocol;
    private final AtomicCounter dropNoFilter;
    private final AtomicCounter dropFragment;
    private final AtomicCounter dropTtlExpired;
    private final AtomicCounter dropNoTxSlot;
    private final AtomicCounter refusedFromQueueDriver;
    private final AtomicCounter softwareForwarded;
    private final AtomicCounter dropForwardRingFull;
    private final AtomicCounter dropForwardNoQueue;
    private final SoftwareFilters software;
    private final Forwarder forwarder;

    private QueueChannel channel;
    private ChannelEndpoint endpoint;
    private AtomicBuffer pool;
    private long lastTimerCheckNs;

    DefaultQueueService(
        final CardDriver.Context ctx,
        final long mac,
        final ResponsePublisher publisher,
        final CountersManager counters,
        final SoftwareFilters software,
        final Forwarder forwarder)
    {
        this.software = software;
        this.forwarder = forwarder;
        this.ctx = ctx;
        this.mac = mac;
        this.ipv4 = ctx.ipv4();
        this.link = new Ipv4Link(ctx.ipv4(), ctx.prefixLength(), ctx.gateway());
        this.responder = new Ipv4Responder(mac, link);
        this.publisher = publisher;
        this.neighbours = new NeighbourCache(NEIGHBOUR_CAPACITY, ctx.neighbourLifetimeNs());
        this.retryIntervalNs = Math.max(1, ctx.neighbourTimeoutNs() / (ctx.neighbourRetries() + 1));

        final int type = CardCounters.TYPE_DEFAULT_QUEUE;
        rxFrames = counters.newCounter("default queue frames received", type);
        arpRequestsAnswered = counters.newCounter("default queue ARP requests answered", type);
        arpRepliesReceived = counters.newCounter("default queue ARP replies received", type);
        arpRequestsSent = counters.newCounter("default queue ARP requests sent", type);
        neighboursLearned = counters.newCounter("default queue neighbours learned", type);
        icmpEchoAnswered = counters.newCounter("default queue ICMP echo requests answered", type);
        tcpResetsSent = counters.newCounter("default queue TCP resets sent (no filter for the segment)", type);
        resolutionsAnswered = counters.newCounter("default queue neighbour resolutions answered", type);
        resolutionsTimedOut = counters.newCounter("default queue neighbour resolutions timed out", type);
        dropTruncated = counters.newCounter("default queue drops: truncated", type);
        dropMalformed = counters.newCounter("default queue drops: malformed header", type);
        dropBadChecksum = counters.newCounter("default queue drops: bad checksum", type);
        dropNotForUs = counters.newCounter("default queue drops: not for the card's address", type);
        dropEthertype = counters.newCounter("default queue drops: unsupported ethertype", type);
        dropProtocol = counters.newCounter("default queue drops: unsupported IP protocol or ICMP type", type);
        dropNoFilter = counters.newCounter("default queue drops: TCP/UDP without a filter", type);
        dropFragment = counters.newCounter("default queue drops: IP fragment", type);
        dropTtlExpired = counters.newCounter("default queue drops: TTL 0", type);
        dropNoTxSlot = counters.newCounter("default queue drops: no TX slot for an answer", type);
        refusedFromQueueDriver = counters.newCounter(
            "default queue slots refused from the queue driver (index, owner or length impossible)", type);
        softwareForwarded = counters.newCounter("default queue frames forwarded by software filters", type);
        dropForwardRingFull = counters.newCounter("default queue drops: software filter's queue forward ring full",
            type);
        dropForwardNoQueue = counters.newCounter("default queue drops: software filter's queue has no channel", type);
    }

    /** Becomes the client of queue 0's channel. */
    void start(final QueueChannel channel)
    {
        this.channel = channel;
        this.pool = channel.pool();
        this.endpoint = new ChannelEndpoint(channel, TX_RESERVE);
    }

    /** One round: heartbeat, TX slots back, received frames (each given back unless it became an answer). */
    int doWork(final long nowNs)
    {
        if (channel == null || channel.isClosed())
        {
            return 0;
        }
        endpoint.heartbeat(nowNs);
        int work = reclaimTxSlots();

        final int count = endpoint.receive(batch, BATCH);
        for (int i = 0; i < count; i++)
        {
            final int slot = batch[i];
            if (slot != ChannelEndpoint.NO_SLOT)
            {
                onFrame(slot, nowNs);
                endpoint.giveBackIfLent(slot);
            }
        }
        work += count;
        endpoint.flush();
        refusedFromQueueDriver.setRelease(endpoint.driverProtocolErrors() + endpoint.invalidRxLength());

        if (pendingCount > 0 && nowNs - lastTimerCheckNs > TimeUnit.MILLISECONDS.toNanos(1))
        {
            lastTimerCheckNs = nowNs;
            work += checkPending(nowNs);
        }
        return work;
    }

    /**
     * When the conductor must run this service's timers next: the earliest retry or timeout of a resolution in
     * progress, or {@code nowNs + idleNs} when none is.
     */
    long nextTimerNs(final long nowNs, final long idleNs)
    {
        long next = nowNs + idleNs;
        if (pendingCount > 0)
        {
            for (int i = 0; i < PENDING_CAPACITY; i++)
            {
                if (pendingUsed[i] && pendingNextSendNs[i] - next < 0)
                {
                    next = pendingNextSendNs[i];
                }
            }
        }
        return next;
    }

    /**
     * A client asks for the MAC of an address: answered now from the cache (or for the card's own address,
     * broadcast and multicast), else once ARP has an answer or the neighbour timeout has passed.
     *
     * @throws RequestException INVALID_ARGUMENT for an address that cannot be reached
     */
    void resolve(final long correlationId, final long clientId, final int address, final long nowNs)
    {
        if (address == 0)
        {
            throw new RequestException(ErrorCode.INVALID_ARGUMENT, "0.0.0.0 has no neighbour");
        }
        if (address == ipv4)
        {
            answer(correlationId, clientId, address, mac);
            return;
        }
        final long known = link.linkDestination(address, neighbours, nowNs);
        if (known == Ipv4Link.NO_LINK_DESTINATION)
        {
            throw new RequestException(ErrorCode.INVALID_ARGUMENT, link.noRouteMessage(address));
        }
        if (known != Ipv4Link.UNRESOLVED)
        {
            answer(correlationId, clientId, address, known);
            return;
        }
        final int nextHop = link.nextHop(address);
        final int index = freePending();
        if (index < 0)
        {
            resolutionsTimedOut.incrementRelease();
            throw new RequestException(ErrorCode.NEIGHBOUR_TIMEOUT, "too many neighbour resolutions in progress (" +
                PENDING_CAPACITY + ")");
        }
        pendingUsed[index] = true;
        pendingCorrelationId[index] = correlationId;
        pendingClientId[index] = clientId;
        pendingAddress[index] = address;
        pendingNextHop[index] = nextHop;
        pendingRequestsLeft[index] = ctx.neighbourRetries();
        pendingNextSendNs[index] = nowNs + retryIntervalNs;
        pendingCount++;
        sendArpRequest(nextHop);
    }

    /** A client has gone: its resolutions in progress are dropped unanswered. */
    void forgetClient(final long clientId)
    {
        for (int i = 0; i < PENDING_CAPACITY; i++)
        {
            if (pendingUsed[i] && pendingClientId[i] == clientId)
            {
                freePending(i);
            }
        }
    }

    /** Pending resolutions are answered SHUTTING_DOWN and the channel's client leaves. */
    public void close()
    {
        for (int i = 0; i < PENDING_CAPACITY; i++)
        {
            if (pendingUsed[i])
            {
                publisher.error(pendingCorrelationId[i], pendingClientId[i], ErrorCode.SHUTTING_DOWN,
                    "the card driver is stopping");
                freePending(i);
            }
        }
        if (channel != null && !channel.isClosed())
        {
            endpoint.detach();
        }
        channel = null;
    }

    int neighbourCount()
    {
        return neighbours.size();
    }

    /** One received frame, lent by the endpoint: answered from its own slot, or dropped and counted. */
    private void onFrame(final int slot, final long nowNs)
    {
        rxFrames.incrementRelease();
        final int length = channel.metadata().frameLength(slot);
        final int offset = QueueChannel.frameOffset(slot);
        if (length < EthernetHeader.HEADER_LENGTH)
        {
            dropTruncated.incrementRelease();
            return;
        }
        ethernet.wrap(pool, offset);
        switch (ethernet.etherType())
        {
            case EthernetHeader.ETHER_TYPE_ARP -> onArp(slot, offset, length, nowNs);
            case EthernetHeader.ETHER_TYPE_IPV4 -> onIpv4(slot, offset, length);
            default -> dropEthertype.incrementRelease();
        }
    }

    private void onArp(final int slot, final int offset, final int length, final long nowNs)
    {
        if (length < EthernetHeader.HEADER_LENGTH + ArpPacket.LENGTH)
        {
            dropTruncated.incrementRelease();
            return;
        }
        arp.wrap(pool, offset + EthernetHeader.HEADER_LENGTH);
        if (!arp.isIpv4OverEthernet())
        {
            dropMalformed.incrementRelease();
            return;
        }
        final int operation = arp.operation();
        final long senderMac = arp.senderHardwareAddress();
        final int senderIp = arp.senderProtocolAddress();
        final int targetIp = arp.targetProtocolAddress();
        final boolean forUs = targetIp == ipv4;

        // RFC 826: update a known sender; add it when the packet is for us. Gratuitous ARP (sender = target)
        // announces an address: learned for neighbours on our subnet.
        final boolean onLink = senderIp != 0 && senderIp != ipv4 && link.isOnLink(senderIp);
        if (onLink && !MacAddress.isMulticast(senderMac) &&
            (forUs || senderIp == targetIp || neighbours.contains(senderIp)))
        {
            if (neighbours.learn(senderIp, senderMac, nowNs))
            {
                neighboursLearned.incrementRelease();
            }
            completePending(senderIp, senderMac);
        }

        if (operation == ArpPacket.OPERATION_REQUEST && forUs && senderIp != targetIp)
        {
            // The received slot becomes the reply: to the asker, from us.
            arp.reply(mac, ipv4, senderMac, senderIp);
            ethernet.destination(senderMac).source(mac);
            final int replyLength = EthernetHeader.HEADER_LENGTH + ArpPacket.LENGTH;
            pool.setMemory(offset + replyLength, EthernetHeader.MIN_FRAME_LENGTH - replyLength, (byte)0);
            endpoint.send(slot, EthernetHeader.MIN_FRAME_LENGTH);
            arpRequestsAnswered.incrementRelease();
        }
        else if (operation == ArpPacket.OPERATION_REPLY && forUs)
        {
            arpRepliesReceived.incrementRelease();
        }
        else if (operation == ArpPacket.OPERATION_REQUEST || operation == ArpPacket.OPERATION_REPLY)
        {
            dropNotForUs.incrementRelease();
        }
        else
        {
            dropMalformed.incrementRelease();
        }
    }

    private void onIpv4(final int slot, final int offset, final int length)
    {
        ip.wrap(pool, offset + EthernetHeader.HEADER_LENGTH);
        switch (Ipv4Input.check(ip, length - EthernetHeader.HEADER_LENGTH, link))
        {
            case ACCEPTED -> onAccepted(slot, offset, length);
            case TRUNCATED -> dropTruncated.incrementRelease();
            case BAD_VERSION, BAD_IHL, BAD_TOTAL_LENGTH -> dropMalformed.incrementRelease();
            case BAD_CHECKSUM -> dropBadChecksum.incrementRelease();
            case NOT_FOR_THIS_HOST -> dropNotForUs.incrementRelease();
            case TTL_EXPIRED -> dropTtlExpired.incrementRelease();
            case FRAGMENT -> dropFragment.incrementRelease();
        }
    }

    private void onAccepted(final int slot, final int offset, final int length)
    {
        switch (ip.protocol())
        {
            case Ipv4Header.PROTOCOL_ICMP -> onIcmp(slot, offset);
            case Ipv4Header.PROTOCOL_TCP, Ipv4Header.PROTOCOL_UDP -> forward(slot, offset, length);
            default -> dropProtocol.incrementRelease();
        }
    }

    /**
     * TCP or UDP that no hardware filter claimed: a filter placed in software may match it (the card's address, the
     * frame's destination port and source), and the frame is copied to its queue.
     */
    private void forward(final int slot, final int offset, final int length)
    {
        final int l4 = ip.payloadOffset();
        if (ip.destination() != ipv4 || l4 + 4 > offset + length)
        {
            dropNoFilter.incrementRelease();
            return;
        }
        if (software.size() == 0)
        {
            noFilter(slot, offset);
            return;
        }
        final int sourcePort = pool.getShort(l4, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int destinationPort = pool.getShort(l4 + 2, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final FilterRegistration filter = software.match(ip.protocol(), destinationPort, ip.source(), sourcePort);
        if (filter == null)
        {
            noFilter(slot, offset);
            return;
        }
        final ForwardRing ring = forwarder.forwardRing(filter.queueId());
        if (ring == null)
        {
            dropForwardNoQueue.incrementRelease();
        }
        else if (ring.offer(pool, offset, length, channel.metadata().rxDeviceNs(slot)))
        {
            softwareForwarded.incrementRelease();
        }
        else
        {
            dropForwardRingFull.incrementRelease();
        }
    }

    /**
     * TCP or UDP to the card's address that no filter anywhere claims: dropped and counted; a TCP segment that is no
     * RST is answered with the reset RFC 9293 3.10.7.1 prescribes, so a peer connecting to a port nobody serves on
     * this card is refused at once, as a kernel refuses it. UDP gets no ICMP port unreachable (not sent by nicq).
     */
    private void noFilter(final int slot, final int offset)
    {
        dropNoFilter.incrementRelease();
        if (ip.protocol() != Ipv4Header.PROTOCOL_TCP)
        {
            return;
        }
        final int replyLength = responder.answerTcpReset(pool, offset);
        if (replyLength > 0)
        {
            endpoint.send(slot, replyLength);
            tcpResetsSent.incrementRelease();
        }
    }

    private void onIcmp(final int slot, final int offset)
    {
        final int replyLength = responder.answerEcho(pool, offset);
        switch (replyLength)
        {
            case Ipv4Responder.ECHO_TRUNCATED -> dropTruncated.incrementRelease();
            case Ipv4Responder.ECHO_BAD_CHECKSUM -> dropBadChecksum.incrementRelease();
            case Ipv4Responder.ECHO_NOT_ANSWERED -> dropProtocol.incrementRelease();
            default ->
            {
                endpoint.send(slot, replyLength);
                icmpEchoAnswered.incrementRelease();
            }
        }
    }

    /** Slots back from TX: kept for ARP requests up to the reserve, the rest go back to receiving. */
    private int reclaimTxSlots()
    {
        final int count = endpoint.takeCompleted(batch, BATCH);
        for (int i = 0; i < count; i++)
        {
            endpoint.giveBackIfLent(batch[i]);
        }
        return count;
    }

    private void sendArpRequest(final int target)
    {
        int slot = endpoint.claim();
        if (slot == ChannelEndpoint.NO_SLOT)
        {
            reclaimTxSlots();
            slot = endpoint.claim();
        }
        if (slot == ChannelEndpoint.NO_SLOT)
        {
            dropNoTxSlot.incrementRelease();
            return;
        }
        final int offset = QueueChannel.frameOffset(slot);
        pool.setMemory(offset, EthernetHeader.MIN_FRAME_LENGTH, (byte)0);
        ethernet.wrap(pool, offset)
            .destination(MacAddress.BROADCAST)
            .source(mac)
            .etherType(EthernetHeader.ETHER_TYPE_ARP);
        arp.wrap(pool, offset + EthernetHeader.HEADER_LENGTH).request(mac, ipv4, target);
        endpoint.send(slot, EthernetHeader.MIN_FRAME_LENGTH);
        endpoint.flush();
        arpRequestsSent.incrementRelease();
    }

    private int checkPending(final long nowNs)
    {
        int work = 0;
        for (int i = 0; i < PENDING_CAPACITY; i++)
        {
            if (!pendingUsed[i] || nowNs - pendingNextSendNs[i] < 0)
            {
                continue;
            }
            work++;
            if (pendingRequestsLeft[i] > 0)
            {
                pendingRequestsLeft[i]--;
                pendingNextSendNs[i] = nowNs + retryIntervalNs;
                sendArpRequest(pendingNextHop[i]);
            }
            else
            {
                resolutionsTimedOut.incrementRelease();
                final int nextHop = pendingNextHop[i];
                final int address = pendingAddress[i];
                publisher.error(pendingCorrelationId[i], pendingClientId[i], ErrorCode.NEIGHBOUR_TIMEOUT,
                    "no ARP reply from " + Ipv4Address.toString(nextHop) +
                    (nextHop != address ? " (gateway to " + Ipv4Address.toString(address) + ")" : "") +
                    " within " + Durations.format(ctx.neighbourTimeoutNs()) + " (" +
                    (ctx.neighbourRetries() + 1) + " requests)");
                freePending(i);
            }
        }
        return work;
    }

    private void completePending(final int nextHop, final long neighbourMac)
    {
        if (pendingCount == 0)
        {
            return;
        }
        for (int i = 0; i < PENDING_CAPACITY; i++)
        {
            if (pendingUsed[i] && pendingNextHop[i] == nextHop)
            {
                answer(pendingCorrelationId[i], pendingClientId[i], pendingAddress[i], neighbourMac);
                freePending(i);
            }
        }
    }

    private void answer(final long correlationId, final long clientId, final int address, final long neighbourMac)
    {
        resolutionsAnswered.incrementRelease();
        publisher.neighbour(correlationId, clientId, address, neighbourMac);
    }

    private int freePending()
    {
        for (int i = 0; i < PENDING_CAPACITY; i++)
        {
            if (!pendingUsed[i])
            {
                return i;
            }
        }
        return -1;
    }

    private void freePending(final int index)
    {
        pendingUsed[index] = false;
        pendingCount--;
    }
}
