package io.nicq.net;

import io.nicq.packet.Ipv4Address;
import io.nicq.packet.MacAddress;
import org.junit.jupiter.api.Test;

import static io.nicq.packet.Ipv4Address.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv4LinkTest
{
    private static final long NOW = 1_000_000_000L;
    private static final long PEER_MAC = 0x02_00_00_00_00_99L;
    private static final long GATEWAY_MAC = 0x02_00_00_00_00_FEL;

    private final NeighbourCache neighbours = new NeighbourCache(8, 60_000_000_000L);

    @Test
    void aSubnetHasItsBroadcastAndReachesTheRestThroughTheGateway()
    {
        final Ipv4Link link = new Ipv4Link(parse("10.0.0.1"), 24, parse("10.0.0.254"));
        assertTrue(link.isBroadcast(parse("10.0.0.255")));
        assertTrue(link.isBroadcast(Ipv4Address.BROADCAST));
        assertFalse(link.isBroadcast(parse("10.0.1.255")));
        assertTrue(link.acceptsDestination(parse("10.0.0.1")));
        assertTrue(link.acceptsDestination(parse("10.0.0.255")));
        assertFalse(link.acceptsDestination(parse("10.0.0.2")));
        assertFalse(link.acceptsDestination(parse("224.0.0.1")), "no multicast group is joined");

        assertEquals(parse("10.0.0.2"), link.nextHop(parse("10.0.0.2")));
        assertEquals(parse("10.0.0.254"), link.nextHop(parse("8.8.8.8")));

        assertEquals(Ipv4Link.UNRESOLVED, link.linkDestination(parse("10.0.0.2"), neighbours, NOW));
        neighbours.learn(parse("10.0.0.2"), PEER_MAC, NOW);
        neighbours.learn(parse("10.0.0.254"), GATEWAY_MAC, NOW);
        assertEquals(PEER_MAC, link.linkDestination(parse("10.0.0.2"), neighbours, NOW));
        assertEquals(GATEWAY_MAC, link.linkDestination(parse("8.8.8.8"), neighbours, NOW));
        assertEquals(MacAddress.BROADCAST, link.linkDestination(parse("10.0.0.255"), neighbours, NOW));
        assertEquals(MacAddress.BROADCAST, link.linkDestination(Ipv4Address.BROADCAST, neighbours, NOW));
    }

    @Test
    void multicastGoesToTheGroupsEthernetAddress()
    {
        final Ipv4Link link = new Ipv4Link(parse("10.0.0.1"), 24, 0);
        assertEquals("01:00:5e:01:02:03",
            MacAddress.toString(link.linkDestination(parse("239.129.2.3"), neighbours, NOW)));
        assertEquals("01:00:5e:00:00:fb",
            MacAddress.toString(link.linkDestination(parse("224.0.0.251"), neighbours, NOW)));
    }

    @Test
    void withoutAGatewayOffSubnetDestinationsHaveNoRoute()
    {
        final Ipv4Link link = new Ipv4Link(parse("10.0.0.1"), 24, 0);
        assertEquals(Ipv4Link.NO_ROUTE, link.nextHop(parse("192.168.1.1")));
        assertEquals(Ipv4Link.NO_LINK_DESTINATION, link.linkDestination(parse("192.168.1.1"), neighbours, NOW));
        assertTrue(link.noRouteMessage(parse("192.168.1.1")).contains("not on 10.0.0.0/24"),
            link.noRouteMessage(parse("192.168.1.1")));
    }

    @Test
    void aPointToPointSubnetHasNoBroadcastAddress()
    {
        // RFC 3021: on a /31 both addresses are hosts'. Either end's peer is a neighbour like any other.
        for (final String[] ends : new String[][]{ { "10.0.0.0", "10.0.0.1" }, { "10.0.0.1", "10.0.0.0" } })
        {
            final Ipv4Link link = new Ipv4Link(parse(ends[0]), 31, 0);
            final int peer = parse(ends[1]);
            assertFalse(link.isBroadcast(peer), ends[1] + " is the peer, not a broadcast");
            assertFalse(link.acceptsDestination(peer));
            assertTrue(link.isOnLink(peer));
            assertEquals(peer, link.nextHop(peer));
            assertEquals(Ipv4Link.UNRESOLVED, link.linkDestination(peer, neighbours, NOW), "resolved by ARP");
            neighbours.learn(peer, PEER_MAC, NOW);
            assertEquals(PEER_MAC, link.linkDestination(peer, neighbours, NOW));
            assertTrue(link.isBroadcast(Ipv4Address.BROADCAST), "the limited broadcast stays one");
            assertEquals(Ipv4Link.NO_ROUTE, link.nextHop(parse("10.0.0.2")));
            neighbours.clear();
        }
    }

    @Test
    void aSingleHostSubnetReachesEverythingElseThroughItsGateway()
    {
        final Ipv4Link alone = new Ipv4Link(parse("10.0.0.1"), 32, 0);
        assertFalse(alone.isBroadcast(parse("10.0.0.1")), "its own address is not a broadcast");
        assertTrue(alone.acceptsDestination(parse("10.0.0.1")));
        assertTrue(alone.isBroadcast(Ipv4Address.BROADCAST));
        assertFalse(alone.isOnLink(parse("10.0.0.2")));
        assertEquals(Ipv4Link.NO_ROUTE, alone.nextHop(parse("10.0.0.2")));
        assertEquals(Ipv4Link.NO_LINK_DESTINATION, alone.linkDestination(parse("10.0.0.0"), neighbours, NOW));
        assertEquals(MacAddress.BROADCAST, alone.linkDestination(Ipv4Address.BROADCAST, neighbours, NOW));
    }

    @Test
    void aSlash30StillHasASubnetBroadcast()
    {
        final Ipv4Link link = new Ipv4Link(parse("10.0.0.1"), 30, 0);
        assertTrue(link.isBroadcast(parse("10.0.0.3")));
        assertFalse(link.isBroadcast(parse("10.0.0.2")));
    }

    @Test
    void impossibleAddressingIsRefused()
    {
        assertThrows(IllegalArgumentException.class, () -> new Ipv4Link(0, 24, 0));
        assertThrows(IllegalArgumentException.class, () -> new Ipv4Link(parse("10.0.0.1"), 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Ipv4Link(parse("10.0.0.1"), 33, 0));
        final IllegalArgumentException offSubnet = assertThrows(IllegalArgumentException.class,
            () -> new Ipv4Link(parse("10.0.0.1"), 24, parse("10.0.1.1")));
        assertTrue(offSubnet.getMessage().contains("10.0.1.1 is not on 10.0.0.0/24"), offSubnet.getMessage());
    }
}
