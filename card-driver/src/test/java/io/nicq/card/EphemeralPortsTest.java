package io.nicq.card;

import java.util.HashSet;
import java.util.Set;

import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.FilterKind;
import org.junit.jupiter.api.Test;

import static io.nicq.ixgbe.Registers.FDIRCTRL_PBALLOC_NONE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Ephemeral local ports for TCP connection filters that ask for port 0: one pool per card, unique across clients,
 * free again when the filter goes (deregistered, its queue released, its client reclaimed), and a clear refusal when
 * the pool is empty.
 */
class EphemeralPortsTest
{
    private static final int CARD_IP = 0x0A000001;
    private static final int PEER_IP = 0x0A000002;
    private static final long CLIENT_A = 11;
    private static final long CLIENT_B = 22;

    private static FilterManager manager(final int low, final int high)
    {
        final RecordingBar bar = new RecordingBar();
        // No flow director: software filters take over beyond the 128 5-tuple registers.
        return new FilterManager(bar, CARD_IP, new FlowDirectorFilters(bar, FDIRCTRL_PBALLOC_NONE,
            FlowDirectorMatch.CONNECTIONS, 1_000_000), new SoftwareFilters(SoftwareFilters.MAX_LIMIT),
            new EphemeralPorts(low, high));
    }

    private static FilterRegistration connect(final FilterManager filters, final long client, final int queue,
        final int remotePort)
    {
        return filters.register(client, queue, FilterKind.TCP_CONNECTION, 0, 0, 0, PEER_IP, remotePort);
    }

    @Test
    void portsAreAllocatedFromTheRangeAndUniqueAcrossClients()
    {
        final FilterManager filters = manager(EphemeralPorts.DEFAULT_LOW, EphemeralPorts.DEFAULT_HIGH);
        final Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 300; i++)
        {
            // The same remote end for everyone: only the local port tells the connections apart.
            final FilterRegistration filter = connect(filters, i % 2 == 0 ? CLIENT_A : CLIENT_B, 1 + i % 2, 80);
            assertTrue(filter.localPort() >= 49152 && filter.localPort() <= 65535, "port " + filter.localPort());
            assertTrue(seen.add(filter.localPort()), "port " + filter.localPort() + " handed out twice");
            assertEquals(i % 2 == 0 ? CLIENT_A : CLIENT_B, filters.portOwner(FilterRegistration.IP_PROTOCOL_TCP,
                filter.localPort()));
        }
    }

    @Test
    void aPortIsFreeAgainWhenItsFilterGoesByDeregisterQueueOrClient()
    {
        final FilterManager filters = manager(50_000, 50_002);
        final FilterRegistration a = connect(filters, CLIENT_A, 1, 80);
        final FilterRegistration b = connect(filters, CLIENT_A, 2, 80);
        final FilterRegistration c = connect(filters, CLIENT_B, 3, 80);
        assertEquals(Set.of(50_000, 50_001, 50_002), Set.of(a.localPort(), b.localPort(), c.localPort()));
        assertRefused(() -> connect(filters, CLIENT_B, 3, 81));

        filters.deregister(CLIENT_A, a.id());
        assertEquals(a.localPort(), connect(filters, CLIENT_B, 3, 82).localPort(), "deregistered: free again");
        assertRefused(() -> connect(filters, CLIENT_A, 1, 83));

        filters.removeQueue(2);
        assertEquals(b.localPort(), connect(filters, CLIENT_A, 1, 84).localPort(), "queue released: free again");

        filters.removeClient(CLIENT_B);
        assertEquals(2, Set.of(connect(filters, CLIENT_A, 1, 85).localPort(),
            connect(filters, CLIENT_A, 1, 86).localPort()).size(), "client reclaimed: both of its ports free again");
    }

    @Test
    void anAllocatedPortCannotBeTakenByAnotherClientsListener()
    {
        final FilterManager filters = manager(50_000, 50_000);
        final FilterRegistration connection = connect(filters, CLIENT_A, 1, 80);
        final RequestException ex = assertThrows(RequestException.class, () ->
            filters.register(CLIENT_B, 2, FilterKind.TCP_PORT, 0, 0, connection.localPort(), 0, 0));
        assertEquals(ErrorCode.PORT_IN_USE, ex.code());
        // Nor by its own client's: a listener there would take the connection's segments.
        final RequestException own = assertThrows(RequestException.class, () ->
            filters.register(CLIENT_A, 1, FilterKind.TCP_PORT, 0, 0, connection.localPort(), 0, 0));
        assertEquals(ErrorCode.PORT_IN_USE, own.code());
        assertTrue(own.getMessage().contains("allocated to a connection"), own.getMessage());
        // A second connection of the same client from that port to another remote end shares it.
        final FilterRegistration shared = filters.register(CLIENT_A, 1, FilterKind.TCP_CONNECTION, 0, 0,
            connection.localPort(), PEER_IP, 81);
        // An explicit port equal to an existing 5-tuple of the same client is the same filter twice.
        final RequestException twice = assertThrows(RequestException.class, () ->
            filters.register(CLIENT_A, 1, FilterKind.TCP_CONNECTION, 0, 0, connection.localPort(), PEER_IP, 80));
        assertEquals(ErrorCode.PORT_IN_USE, twice.code());
        filters.deregister(CLIENT_A, connection.id());
        assertThrows(RequestException.class, () ->
            filters.register(CLIENT_A, 1, FilterKind.TCP_PORT, 0, 0, shared.localPort(), 0, 0),
            "still allocated while a connection filter holds it");
        filters.deregister(CLIENT_A, shared.id());
        assertEquals(shared.localPort(), filters.register(CLIENT_B, 2, FilterKind.TCP_PORT, 0, 0,
            shared.localPort(), 0, 0).localPort(), "every filter gone: a listener may have it");
        // A port some listener holds is never handed out.
        final FilterManager other = manager(50_000, 50_001);
        other.register(CLIENT_B, 2, FilterKind.TCP_PORT, 0, 0, 50_000, 0, 0);
        assertEquals(50_001, connect(other, CLIENT_A, 1, 80).localPort());
    }

    @Test
    void portZeroIsOnlyForConnectionsAndARemoteEndIsNeeded()
    {
        final FilterManager filters = manager(50_000, 50_010);
        for (final FilterKind kind : new FilterKind[] {FilterKind.TCP_PORT, FilterKind.UDP_PORT})
        {
            final RequestException ex = assertThrows(RequestException.class, () ->
                filters.register(CLIENT_A, 1, kind, 0, 0, 0, 0, 0));
            assertEquals(ErrorCode.INVALID_ARGUMENT, ex.code());
            assertTrue(ex.getMessage().contains("ephemeral"), ex.getMessage());
        }
        assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(RequestException.class, () ->
            filters.register(CLIENT_A, 1, FilterKind.TCP_CONNECTION, 0, 0, 0, 0, 80)).code(), "remote address 0");
        assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(RequestException.class, () ->
            filters.register(CLIENT_A, 1, FilterKind.TCP_CONNECTION, 0, 0, 0, PEER_IP, 0)).code(), "remote port 0");
        assertEquals(0, filters.inUse(), "nothing registered, no port claimed");
        assertFalse(filters.isPortClaimed(FilterRegistration.IP_PROTOCOL_TCP, 50_000));
    }

    @Test
    void rangesAreChecked()
    {
        assertThrows(IllegalArgumentException.class, () -> new EphemeralPorts(0, 10));
        assertThrows(IllegalArgumentException.class, () -> new EphemeralPorts(10, 65_536));
        assertThrows(IllegalArgumentException.class, () -> new EphemeralPorts(20, 10));
        assertThrows(IllegalArgumentException.class, () -> new CardDriver.Context().ephemeralPorts(60_000, 50_000));
    }

    private static void assertRefused(final Runnable register)
    {
        final RequestException ex = assertThrows(RequestException.class, register::run);
        assertEquals(ErrorCode.PORT_IN_USE, ex.code());
        assertTrue(ex.getMessage().contains("no free ephemeral TCP port"), ex.getMessage());
    }
}
