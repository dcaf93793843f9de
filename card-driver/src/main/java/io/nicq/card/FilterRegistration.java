package io.nicq.card;

import io.nicq.packet.Ipv4Address;
import io.nicq.proto.sbe.FilterKind;
import io.nicq.proto.sbe.FilterPlacement;

/**
 * The card driver's record of a filter a client registered (a row of {@link FilterManager}'s table): what it matches
 * (seen from this host: the local side is the destination of received frames), which queue it steers to, who owns it,
 * and where it was placed. The client holds its own handle to it (client-lib).
 */
public final class FilterRegistration
{
    /** Protocol numbers of the IPv4 header. */
    public static final int IP_PROTOCOL_TCP = 6;
    public static final int IP_PROTOCOL_UDP = 17;

    private final int id;
    private final long ownerClientId;
    private final int queueId;
    private final FilterKind kind;
    private final int priority;
    private final int localIp;
    private final int localPort;
    private final int remoteIp;
    private final int remotePort;
    private FilterPlacement placement;
    private int hardwareIndex = -1;
    private int flowDirectorBucket = -1;

    FilterRegistration(
        final int id,
        final long ownerClientId,
        final int queueId,
        final FilterKind kind,
        final int priority,
        final int localIp,
        final int localPort,
        final int remoteIp,
        final int remotePort)
    {
        this.id = id;
        this.ownerClientId = ownerClientId;
        this.queueId = queueId;
        this.kind = kind;
        this.priority = priority;
        this.localIp = localIp;
        this.localPort = localPort;
        this.remoteIp = remoteIp;
        this.remotePort = remotePort;
    }

    public int id()
    {
        return id;
    }

    public long ownerClientId()
    {
        return ownerClientId;
    }

    public int queueId()
    {
        return queueId;
    }

    public FilterKind kind()
    {
        return kind;
    }

    /** 1..7, 7 highest. */
    public int priority()
    {
        return priority;
    }

    /** IPv4 protocol number: 6 for TCP, 17 for UDP. */
    public int ipProtocol()
    {
        return kind == FilterKind.UDP_PORT ? IP_PROTOCOL_UDP : IP_PROTOCOL_TCP;
    }

    /** Host order. */
    public int localIp()
    {
        return localIp;
    }

    public int localPort()
    {
        return localPort;
    }

    /** Host order; 0 unless {@link FilterKind#TCP_CONNECTION}. */
    public int remoteIp()
    {
        return remoteIp;
    }

    public int remotePort()
    {
        return remotePort;
    }

    public FilterPlacement placement()
    {
        return placement;
    }

    /**
     * The 5-tuple filter index (0..127) in {@link FilterPlacement#FIVE_TUPLE}, the flow director SW index in
     * {@link FilterPlacement#FLOW_DIRECTOR}, -1 in software.
     */
    public int hardwareIndex()
    {
        return hardwareIndex;
    }

    /** Set by the manager, the flow director or the software filters once the filter is placed. */
    void place(final FilterPlacement placement, final int hardwareIndex)
    {
        this.placement = placement;
        this.hardwareIndex = hardwareIndex;
    }

    /** The flow director bucket the filter was added to (FDIRHASH), -1 if it is not there. */
    int flowDirectorBucket()
    {
        return flowDirectorBucket;
    }

    void flowDirectorBucket(final int bucket)
    {
        this.flowDirectorBucket = bucket;
    }

    /** Whether two filters would match exactly the same frames (same kind, local and remote ends). */
    boolean sameMatch(final FilterRegistration other)
    {
        return kind == other.kind && localIp == other.localIp && localPort == other.localPort &&
            remoteIp == other.remoteIp && remotePort == other.remotePort;
    }

    /** "UDP *:7 -> queue 3", "TCP 10.0.0.2:5000 <-> local :80 -> queue 4". */
    public String describe()
    {
        final String local = Ipv4Address.toString(localIp) + ":" + localPort;
        return switch (kind)
        {
            case UDP_PORT -> "UDP port " + local;
            case TCP_PORT -> "TCP port " + local;
            case TCP_CONNECTION -> "TCP connection " + local + " <-> " + Ipv4Address.toString(remoteIp) + ":" +
                remotePort;
            default -> kind + " " + local;
        };
    }

    public String toString()
    {
        return "FilterRegistration{id=" + id + ", " + describe() + ", queue=" + queueId + ", priority=" + priority +
            ", owner=" + ownerClientId + ", placement=" + placement + ", index=" + hardwareIndex + "}";
    }
}
