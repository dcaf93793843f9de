package io.nicq.net;

import io.nicq.packet.Ipv4Address;
import io.nicq.packet.MacAddress;

/**
 * The IPv4 addressing of one host on one link: its address and prefix, its gateway. It says which destinations are
 * this host's, which are broadcasts, and where a datagram goes next: the rules the card driver's default queue and
 * client-lib's interface layer both apply, written once.
 * <pre>
 *   destination                      linkDestination                    nextHop
 *   255.255.255.255                  ff:ff:ff:ff:ff:ff                   -
 *   the subnet's broadcast (&lt;= /30)  ff:ff:ff:ff:ff:ff                   -
 *   224.0.0.0/4                      01:00:5e + low 23 bits (RFC 1112)   -
 *   on the subnet                    the neighbour's MAC                 the destination itself
 *   anywhere else                    the gateway's MAC                   the gateway, or NO_ROUTE without one
 * </pre>
 * <b>/31 and /32.</b> A /31 is a point-to-point subnet of two hosts (RFC 3021): neither address is a broadcast
 * address, so the peer is an ordinary neighbour. A /32 has this host alone on it; only the limited broadcast is a
 * broadcast, and every other destination goes to the gateway. Only prefixes up to /30 have a subnet broadcast (host
 * part all ones).
 * <p>
 * Immutable; nothing allocated per call.
 */
public final class Ipv4Link
{
    /** What {@link #nextHop(int)} returns when a destination is off the subnet and there is no gateway. */
    public static final int NO_ROUTE = 0;

    /** What {@link #linkDestination} returns when the next hop's MAC is not in the cache: resolve it. */
    public static final long UNRESOLVED = -1L;

    /** What {@link #linkDestination} returns when there is no next hop at all. */
    public static final long NO_LINK_DESTINATION = -2L;

    /** A subnet broadcast that is none (/31, /32): never equal to a destination that reaches the checks. */
    private static final int NO_SUBNET_BROADCAST = Ipv4Address.BROADCAST;

    private final int address;
    private final int prefixLength;
    private final int netmask;
    private final int gateway;
    private final int subnetBroadcast;

    /**
     * @param address      this host's address, host order, not 0.0.0.0.
     * @param prefixLength of its subnet, 1..32.
     * @param gateway      where datagrams off the subnet go, host order; 0 for none. Must be on the subnet.
     * @throws IllegalArgumentException naming what is wrong.
     */
    public Ipv4Link(final int address, final int prefixLength, final int gateway)
    {
        if (address == Ipv4Address.ANY)
        {
            throw new IllegalArgumentException("0.0.0.0 cannot be a host's address");
        }
        if (prefixLength < 1 || prefixLength > 32)
        {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is outside 1..32");
        }
        this.address = address;
        this.prefixLength = prefixLength;
        this.netmask = Ipv4Address.netmask(prefixLength);
        if (gateway != NO_ROUTE && !isOnLink(gateway))
        {
            throw new IllegalArgumentException("gateway " + Ipv4Address.toString(gateway) + " is not on " +
                Ipv4Address.toString(address & netmask) + "/" + prefixLength);
        }
        this.gateway = gateway;
        this.subnetBroadcast = prefixLength <= 30 ? (address & netmask) | ~netmask : NO_SUBNET_BROADCAST;
    }

    /** This host's address, host order. */
    public int address()
    {
        return address;
    }

    public int prefixLength()
    {
        return prefixLength;
    }

    public int netmask()
    {
        return netmask;
    }

    /** The gateway, host order; 0 for none. */
    public int gateway()
    {
        return gateway;
    }

    /** Whether {@code destination} is the limited broadcast or this subnet's broadcast (prefixes up to /30 only). */
    public boolean isBroadcast(final int destination)
    {
        return destination == Ipv4Address.BROADCAST || destination == subnetBroadcast;
    }

    /** Whether a received datagram to {@code destination} is for this host: its address, or a broadcast. */
    public boolean acceptsDestination(final int destination)
    {
        return destination == address || isBroadcast(destination);
    }

    /** Whether {@code other} is on this host's subnet, so reached directly (on a /32, only this host is). */
    public boolean isOnLink(final int other)
    {
        return (other & netmask) == (address & netmask);
    }

    /**
     * Where a unicast datagram to {@code destination} goes next: the destination itself when it is on the subnet,
     * else the gateway.
     *
     * @return the next hop, host order, or {@link #NO_ROUTE} when the destination is off the subnet and there is no
     * gateway.
     */
    public int nextHop(final int destination)
    {
        return isOnLink(destination) ? destination : gateway;
    }

    /**
     * The Ethernet destination of a datagram to {@code destination}: broadcast and multicast mapped, otherwise the
     * next hop's MAC from {@code neighbours}.
     *
     * @param destination IPv4 destination, host order.
     * @param neighbours  where next hops' MACs are cached.
     * @param nowNs       now ({@code System.nanoTime()}), for the cache's expiry.
     * @return the MAC; {@link #UNRESOLVED} if the next hop ({@link #nextHop(int)}) is not cached, or
     * {@link #NO_LINK_DESTINATION} if there is no next hop.
     */
    public long linkDestination(final int destination, final NeighbourCache neighbours, final long nowNs)
    {
        if (isBroadcast(destination))
        {
            return MacAddress.BROADCAST;
        }
        if (Ipv4Address.isMulticast(destination))
        {
            return MacAddress.ofIpv4Multicast(destination);
        }
        final int nextHop = nextHop(destination);
        if (nextHop == NO_ROUTE)
        {
            return NO_LINK_DESTINATION;
        }
        final long mac = neighbours.lookup(nextHop, nowNs);
        return mac != NeighbourCache.NO_MAC ? mac : UNRESOLVED;
    }

    /** For messages: why {@link #nextHop(int)} has no answer for {@code destination}. */
    public String noRouteMessage(final int destination)
    {
        return "no route to " + Ipv4Address.toString(destination) + ": not on " +
            Ipv4Address.toString(address & netmask) + "/" + prefixLength + " and no gateway";
    }

    public String toString()
    {
        return Ipv4Address.toString(address) + "/" + prefixLength +
            (gateway != NO_ROUTE ? " via " + Ipv4Address.toString(gateway) : "");
    }
}
