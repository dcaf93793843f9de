package io.nicq.client;

import io.nicq.packet.Ipv4Address;
import io.nicq.proto.sbe.FilterKind;
import io.nicq.proto.sbe.FilterPlacement;

/**
 * A filter the card driver registered for this client: frames matching it are steered to its queue. Returned by
 * {@link NicClient#registerUdpPort}, {@link NicClient#registerTcpPort} and {@link NicClient#registerTcpConnection};
 * removed by {@link NicClient#deregister(Filter)}, and with its queue or client.
 */
public final class Filter
{
    /** What a filter matches. */
    public enum Kind
    {
        /** UDP to this client's address and a local port, from anywhere. */
        UDP_PORT(FilterKind.UDP_PORT),
        /** TCP to this client's address and a local port, from anywhere. */
        TCP_PORT(FilterKind.TCP_PORT),
        /** One TCP connection: the full 5-tuple. */
        TCP_CONNECTION(FilterKind.TCP_CONNECTION);

        private final FilterKind protocolKind;

        Kind(final FilterKind protocolKind)
        {
            this.protocolKind = protocolKind;
        }

        /** The protocol's value. */
        FilterKind protocolKind()
        {
            return protocolKind;
        }
    }

    /**
     * Where the card driver put a filter when it registered it: the first of these with room that can hold it. The
     * frames arrive on the queue the same way whichever it is; what differs is the cost (software filters are matched
     * and copied by the card driver, a few microseconds more per frame).
     */
    public enum Placement
    {
        /** One of the card's 128 hardware 5-tuple filters. */
        FIVE_TUPLE,
        /** A flow director perfect-match filter (up to 8K beside the 5-tuple filters, one kind of filter per card). */
        FLOW_DIRECTOR,
        /** Matched in software on the card driver's default queue and copied to this filter's queue. */
        SOFTWARE;

        static Placement of(final FilterPlacement placement)
        {
            return switch (placement)
            {
                case FIVE_TUPLE -> FIVE_TUPLE;
                case FLOW_DIRECTOR -> FLOW_DIRECTOR;
                case SOFTWARE -> SOFTWARE;
                case NULL_VAL -> throw new NicException(NicException.Reason.INTERNAL_ERROR,
                    "the card driver registered a filter without saying where it put it");
            };
        }
    }

    private final int filterId;
    private final int queueId;
    private final Kind kind;
    private final Placement placement;
    private final int hardwareIndex;
    private final int localPort;
    private final int remoteIp;
    private final int remotePort;
    private volatile boolean registered = true;

    Filter(
        final int filterId,
        final int queueId,
        final Kind kind,
        final Placement placement,
        final int hardwareIndex,
        final int localPort,
        final int remoteIp,
        final int remotePort)
    {
        this.filterId = filterId;
        this.queueId = queueId;
        this.kind = kind;
        this.placement = placement;
        this.hardwareIndex = hardwareIndex;
        this.localPort = localPort;
        this.remoteIp = remoteIp;
        this.remotePort = remotePort;
    }

    /** The card driver's id of the filter. */
    public int filterId()
    {
        return filterId;
    }

    /** The queue matching frames go to. */
    public int queueId()
    {
        return queueId;
    }

    public Kind kind()
    {
        return kind;
    }

    /**
     * Where the card driver put it at registration: a 5-tuple register, flow director, or software on the default
     * queue. A port filter can move to software later, when a connection filter of higher priority on its port needs
     * its place ahead of it (the card driver logs and counts that); the frames keep arriving, in order.
     */
    public Placement placement()
    {
        return placement;
    }

    /** The 5-tuple register index or the flow director filter's SW index; -1 in software. */
    public int hardwareIndex()
    {
        return hardwareIndex;
    }

    public int localPort()
    {
        return localPort;
    }

    /** TCP_CONNECTION only: the peer's address, host order. */
    public int remoteIp()
    {
        return remoteIp;
    }

    /** TCP_CONNECTION only: the peer's port. */
    public int remotePort()
    {
        return remotePort;
    }

    /** False once deregistered, or released with its queue or client. */
    public boolean isRegistered()
    {
        return registered;
    }

    void markDeregistered()
    {
        registered = false;
    }

    public String toString()
    {
        return "Filter{" + filterId + " " + kind + " port " + localPort +
            (kind == Kind.TCP_CONNECTION ? " from " + Ipv4Address.toString(remoteIp) + ":" + remotePort : "") +
            " -> queue " + queueId + ", " + placement + (hardwareIndex >= 0 ? " #" + hardwareIndex : "") +
            (registered ? "" : ", deregistered") + "}";
    }
}
