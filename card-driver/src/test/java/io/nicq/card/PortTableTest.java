package io.nicq.card;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Port ownership as netd did it: one owner per (protocol, local port), shared by that owner's filters. */
class PortTableTest
{
    private final PortTable ports = new PortTable();

    @Test
    void firstFilterClaimsLastFilterFrees()
    {
        assertFalse(ports.isClaimed(FilterRegistration.IP_PROTOCOL_TCP, 80));
        ports.claim(FilterRegistration.IP_PROTOCOL_TCP, 80, 7);
        ports.claim(FilterRegistration.IP_PROTOCOL_TCP, 80, 7);
        assertTrue(ports.isClaimed(FilterRegistration.IP_PROTOCOL_TCP, 80));
        assertEquals(7, ports.owner(FilterRegistration.IP_PROTOCOL_TCP, 80));
        assertEquals(2, ports.filterCount(FilterRegistration.IP_PROTOCOL_TCP, 80));

        ports.release(FilterRegistration.IP_PROTOCOL_TCP, 80);
        assertTrue(ports.isClaimed(FilterRegistration.IP_PROTOCOL_TCP, 80));
        ports.release(FilterRegistration.IP_PROTOCOL_TCP, 80);
        assertFalse(ports.isClaimed(FilterRegistration.IP_PROTOCOL_TCP, 80));
        ports.claim(FilterRegistration.IP_PROTOCOL_TCP, 80, 8);
        assertEquals(8, ports.owner(FilterRegistration.IP_PROTOCOL_TCP, 80));
    }

    @Test
    void protocolsArePortSpacesOfTheirOwn()
    {
        ports.claim(FilterRegistration.IP_PROTOCOL_UDP, 53, 1);
        assertFalse(ports.isClaimed(FilterRegistration.IP_PROTOCOL_TCP, 53));
        ports.claim(FilterRegistration.IP_PROTOCOL_TCP, 53, 2);
        assertEquals(1, ports.owner(FilterRegistration.IP_PROTOCOL_UDP, 53));
        assertEquals(2, ports.owner(FilterRegistration.IP_PROTOCOL_TCP, 53));
        ports.claim(FilterRegistration.IP_PROTOCOL_UDP, 65535, 3);
        assertEquals(3, ports.owner(FilterRegistration.IP_PROTOCOL_UDP, 65535));
    }

    @Test
    void anotherOwnerCannotClaim()
    {
        ports.claim(FilterRegistration.IP_PROTOCOL_UDP, 9, 1);
        assertThrows(IllegalStateException.class, () -> ports.claim(FilterRegistration.IP_PROTOCOL_UDP, 9, 2));
        assertEquals(1, ports.filterCount(FilterRegistration.IP_PROTOCOL_UDP, 9));
    }
}
