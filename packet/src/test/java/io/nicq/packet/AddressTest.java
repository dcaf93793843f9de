package io.nicq.packet;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AddressTest
{
    @Test
    void macFollowsTheControlProtocolConvention()
    {
        assertEquals(0x020000000001L, MacAddress.parse("02:00:00:00:00:01"));
        assertEquals(0xA0B1C2D3E4F5L, MacAddress.parse("A0-b1-C2-d3-E4-f5"));
        assertEquals("02:00:00:00:00:01", MacAddress.toString(0x020000000001L));
        assertEquals("ff:ff:ff:ff:ff:ff", MacAddress.toString(MacAddress.BROADCAST));
        assertTrue(MacAddress.isMulticast(MacAddress.BROADCAST));
        assertTrue(MacAddress.isMulticast(MacAddress.parse("01:00:5e:00:00:01")));
        assertFalse(MacAddress.isMulticast(0x020000000001L));
    }

    @Test
    void ipv4MulticastGroupsMapToTheirEthernetGroupAddress()
    {
        assertEquals("01:00:5e:00:00:01",
            MacAddress.toString(MacAddress.ofIpv4Multicast(Ipv4Address.parse("224.0.0.1"))));
        assertEquals("01:00:5e:7f:ff:fa",
            MacAddress.toString(MacAddress.ofIpv4Multicast(Ipv4Address.parse("239.255.255.250"))));
        assertEquals(MacAddress.ofIpv4Multicast(Ipv4Address.parse("224.1.2.3")),
            MacAddress.ofIpv4Multicast(Ipv4Address.parse("225.129.2.3")), "only the low 23 bits count");
        assertTrue(MacAddress.isMulticast(MacAddress.ofIpv4Multicast(Ipv4Address.parse("239.1.1.1"))));
    }

    @Test
    void rejectsMalformedMacs()
    {
        assertThrows(IllegalArgumentException.class, () -> MacAddress.parse("02:00:00:00:00"));
        assertThrows(IllegalArgumentException.class, () -> MacAddress.parse("02:00:00:00:00:0g"));
        assertThrows(IllegalArgumentException.class, () -> MacAddress.parse("02.00.00.00.00.01"));
        assertThrows(IllegalArgumentException.class, () -> MacAddress.parse(null));
    }

    @Test
    void ipv4FollowsTheControlProtocolConvention()
    {
        assertEquals(0x0A000001, Ipv4Address.parse("10.0.0.1"));
        assertEquals(0xC0A800C7, Ipv4Address.parse("192.168.0.199"));
        assertEquals(-1, Ipv4Address.parse("255.255.255.255"));
        assertEquals("10.0.0.1", Ipv4Address.toString(0x0A000001));
        assertEquals("255.255.255.255", Ipv4Address.toString(-1));
        assertEquals(0xFFFFFF00, Ipv4Address.netmask(24));
        assertEquals(0, Ipv4Address.netmask(0));
        assertEquals(-1, Ipv4Address.netmask(32));
        assertTrue(Ipv4Address.sameSubnet(0x0A000001, 0x0A0000FE, 24));
        assertFalse(Ipv4Address.sameSubnet(0x0A000101, 0x0A0000FE, 24));
        assertTrue(Ipv4Address.isMulticast(Ipv4Address.parse("239.1.2.3")));
    }

    @Test
    void rejectsMalformedIpv4()
    {
        for (final String bad : new String[]{ "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1..2.3", "1.2.3.", "a.b.c.d",
            "1.2.3.0004", " 1.2.3.4" })
        {
            assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> Ipv4Address.netmask(33));
    }

    @Test
    void networkOrder()
    {
        assertEquals(0x1234, NetworkOrder.ntohs(NetworkOrder.htons(0x1234)));
        assertEquals(0x12345678, NetworkOrder.ntohl(NetworkOrder.htonl(0x12345678)));
        if (!NetworkOrder.HOST_IS_NETWORK_ORDER)
        {
            assertEquals(0x78563412, NetworkOrder.htonl(0x12345678));
        }
    }

    @Property(tries = 500)
    void ipv4TextRoundTrips(@ForAll final int address)
    {
        assertEquals(address, Ipv4Address.parse(Ipv4Address.toString(address)));
    }

    @Property(tries = 500)
    void macTextRoundTrips(@ForAll @LongRange(min = 0, max = 0xFFFF_FFFF_FFFFL) final long mac)
    {
        assertEquals(mac, MacAddress.parse(MacAddress.toString(mac)));
    }
}
