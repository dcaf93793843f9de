package io.nicq.card;

import java.util.List;

import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.FilterKind;
import io.nicq.proto.sbe.FilterPlacement;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.nicq.ixgbe.Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The 5-tuple filter manager against a plain in-memory BAR: slot allocation and reuse, priorities and masks, the
 * part's byte order, the DPDK write order, the L34T_IMIR shadow (never read), exhaustion, and port ownership.
 */
class FilterManagerTest
{
    private static final int CARD_IP = 0x0A000001;          // 10.0.0.1
    private static final int PEER_IP = 0x0A000002;          // 10.0.0.2
    private static final long CLIENT_A = 11;
    private static final long CLIENT_B = 22;

    private RecordingBar bar;
    private FilterManager filters;

    @BeforeEach
    void setUp()
    {
        bar = new RecordingBar();
        filters = new FilterManager(bar, CARD_IP, new FlowDirectorFilters(bar, FDIRCTRL_PBALLOC_NONE,
            FlowDirectorMatch.CONNECTIONS, 1_000_000), new SoftwareFilters(0));
    }

    @Test
    void udpPortFilterProgramsTheFiveRegistersInTheDocumentedByteOrder()
    {
        final FilterRegistration filter = filters.register(CLIENT_A, 3, FilterKind.UDP_PORT, 0, 0, 7, 0, 0);

        assertEquals(0, filter.hardwareIndex());
        assertEquals(FilterPlacement.FIVE_TUPLE, filter.placement());
        assertEquals(FilterManager.DEFAULT_PORT_PRIORITY, filter.priority());
        assertEquals(0x0100000A, bar.registers[daqf(0) >> 2], "10.0.0.1 reads as 0x0100000A");
        assertEquals(0, bar.registers[saqf(0) >> 2]);
        assertEquals(0x0700_0000, bar.registers[sdpqf(0) >> 2], "destination port 7 big endian in [31:16]");
        assertEquals(FTQF_PROTOCOL_UDP | (1 << FTQF_PRIORITY_SHIFT) | FTQF_MASK_SOURCE_ADDRESS |
            FTQF_MASK_SOURCE_PORT | FTQF_POOL_MASK_BIT | FTQF_QUEUE_ENABLE, bar.registers[ftqf(0) >> 2]);
        assertEquals(0x0008_0000 | (3 << 21), bar.registers[l34tImir(0) >> 2]);
        assertEquals(0x0008_0000 | (3 << 21), filters.l34tImirShadow(0));
        assertEquals(0, bar.l34tImirReads);
    }

    @Test
    void writeOrderIsDaqfSaqfSdpqfL34tImirThenTheFtqfEnable()
    {
        final int mark = bar.writes.size();
        filters.register(CLIENT_A, 1, FilterKind.TCP_PORT, 0, 0, 80, 0, 0);

        assertEquals(List.of(daqf(0), saqf(0), sdpqf(0), l34tImir(0), ftqf(0)),
            bar.writeOffsetsSince(mark, daqf(0), saqf(0), sdpqf(0), ftqf(0), l34tImir(0)));
    }

    /** On a reused slot the queue is in place before the filter is enabled (issue 16 item 9). */
    @Test
    void aReusedSlotGetsItsQueueBeforeItsEnable()
    {
        final FilterRegistration first = filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 0, 0, 7, 0, 0);
        filters.deregister(CLIENT_A, first.id());
        final int mark = bar.writes.size();
        final FilterRegistration second = filters.register(CLIENT_B, 5, FilterKind.UDP_PORT, 0, 0, 9, 0, 0);
        assertEquals(first.hardwareIndex(), second.hardwareIndex(), "the slot is reused");
        final int slot = second.hardwareIndex();
        assertEquals(List.of(l34tImir(slot), ftqf(slot)), bar.writeOffsetsSince(mark, ftqf(slot), l34tImir(slot)));
    }

    /**
     * Golden vectors worked out by hand from the datasheet (8.2.3.7), not from FilterManager's code: UDP port 7 to
     * queue 3, priority 1, local address 10.0.0.2; and a TCP connection 10.0.0.2:80 from 10.0.0.1:40000, queue 5,
     * priority 2.
     */
    @Test
    void registerWordsMatchHandWorkedVectors()
    {
        final RecordingBar card = new RecordingBar();
        final int local = 0x0A000002;
        final FilterManager manager = new FilterManager(card, local, new FlowDirectorFilters(card,
            FDIRCTRL_PBALLOC_NONE, FlowDirectorMatch.CONNECTIONS, 1_000_000), new SoftwareFilters(0));
        final int udp = manager.register(CLIENT_A, 3, FilterKind.UDP_PORT, 1, 0, 7, 0, 0).hardwareIndex();
        assertEquals(0x0200000A, card.registers[daqf(udp) >> 2], "DAQF: 10.0.0.2 in network order");
        assertEquals(0, card.registers[saqf(udp) >> 2], "SAQF: masked");
        assertEquals(0x07000000, card.registers[sdpqf(udp) >> 2], "SDPQF: destination port 7 in [31:16]");
        // FTQF: protocol UDP (01b), priority 1 in [4:2], mask source address (bit 25) and source port (bit 27),
        // pool mask (bit 30), queue enable (bit 31): 0xCA000005.
        assertEquals(0xCA000005, card.registers[ftqf(udp) >> 2], "FTQF");
        assertEquals(0x00680000, card.registers[l34tImir(udp) >> 2], "L34T_IMIR: queue 3 in [27:21], bit 19");

        final int tcp = manager.register(CLIENT_A, 5, FilterKind.TCP_CONNECTION, 2, 0, 80, 0x0A000001, 40000)
            .hardwareIndex();
        assertEquals(0x0100000A, card.registers[saqf(tcp) >> 2], "SAQF: 10.0.0.1");
        assertEquals(0x0200000A, card.registers[daqf(tcp) >> 2], "DAQF: 10.0.0.2");
        assertEquals(0x5000409C, card.registers[sdpqf(tcp) >> 2], "SDPQF: 80 = 0x0050 in [31:16], 40000 = 0x9C40 in " +
            "[15:0], each in network order");
        // FTQF: protocol TCP (00b), priority 2 (0x8), nothing masked but the pool, enabled: 0xC0000008.
        assertEquals(0xC0000008, card.registers[ftqf(tcp) >> 2], "FTQF");
        assertEquals(0x00A80000, card.registers[l34tImir(tcp) >> 2], "L34T_IMIR: queue 5");
    }

    @Test
    void connectionFilterComparesAllFiveFieldsWithAHigherDefaultPriority()
    {
        final FilterRegistration filter = filters.register(CLIENT_A, 2, FilterKind.TCP_CONNECTION, 0, CARD_IP, 0x1234,
            PEER_IP, 0xABCD);

        final int slot = filter.hardwareIndex();
        assertEquals(0x0200000A, bar.registers[saqf(slot) >> 2], "10.0.0.2 reads as 0x0200000A");
        assertEquals(0x0100000A, bar.registers[daqf(slot) >> 2]);
        assertEquals(0x3412_CDAB, bar.registers[sdpqf(slot) >> 2], "dst 0x1234 in [31:16], src 0xABCD in [15:0]");
        assertEquals(FTQF_PROTOCOL_TCP | (FilterManager.DEFAULT_CONNECTION_PRIORITY << FTQF_PRIORITY_SHIFT) |
            FTQF_POOL_MASK_BIT | FTQF_QUEUE_ENABLE, bar.registers[ftqf(slot) >> 2]);
    }

    @Test
    void explicitPriorityIsWrittenAndOutOfRangeIsRefused()
    {
        final FilterRegistration filter = filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 7, 0, 9, 0, 0);
        assertEquals(7, (bar.registers[ftqf(filter.hardwareIndex()) >> 2] & FTQF_PRIORITY_MASK) >>
            FTQF_PRIORITY_SHIFT);

        final RequestException ex = assertThrows(RequestException.class,
            () -> filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 8, 0, 10, 0, 0));
        assertEquals(ErrorCode.INVALID_ARGUMENT, ex.code());
    }

    @Test
    void badArgumentsAreInvalid()
    {
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 0, 0, 0, 0, 0));
        assertCode(ErrorCode.INVALID_ARGUMENT,
            () -> filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 0, PEER_IP, 53, 0, 0));
        assertCode(ErrorCode.INVALID_ARGUMENT,
            () -> filters.register(CLIENT_A, 1, FilterKind.TCP_CONNECTION, 0, 0, 80, 0, 0));
        assertCode(ErrorCode.INVALID_ARGUMENT,
            () -> filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 0, 0, 53, PEER_IP, 53));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> filters.register(CLIENT_A, 1, FilterKind.NULL_VAL, 0, 0, 1, 0, 0));
        assertEquals(0, filters.inUse());
        assertTrue(bar.writes.isEmpty(), "nothing is written for a refused filter");
    }

    @Test
    void portHasOneOwnerPerProtocol()
    {
        filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 0, 0, 5000, 0, 0);

        final RequestException other = assertThrows(RequestException.class,
            () -> filters.register(CLIENT_B, 2, FilterKind.UDP_PORT, 0, 0, 5000, 0, 0));
        assertEquals(ErrorCode.PORT_IN_USE, other.code());
        assertTrue(other.getMessage().contains("UDP port 5000"), other.getMessage());

        final RequestException duplicate = assertThrows(RequestException.class,
            () -> filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 0, 0, 5000, 0, 0));
        assertEquals(ErrorCode.PORT_IN_USE, duplicate.code());

        // TCP 5000 is another port.
        filters.register(CLIENT_B, 2, FilterKind.TCP_PORT, 0, 0, 5000, 0, 0);
        assertEquals(CLIENT_A, filters.portOwner(FilterRegistration.IP_PROTOCOL_UDP, 5000));
        assertEquals(CLIENT_B, filters.portOwner(FilterRegistration.IP_PROTOCOL_TCP, 5000));
    }

    @Test
    void aListenerMayMoveItsOwnConnectionsButNobodyElseCan()
    {
        filters.register(CLIENT_A, 1, FilterKind.TCP_PORT, 0, 0, 80, 0, 0);
        filters.register(CLIENT_A, 2, FilterKind.TCP_CONNECTION, 0, 0, 80, PEER_IP, 40000);
        filters.register(CLIENT_A, 2, FilterKind.TCP_CONNECTION, 0, 0, 80, PEER_IP, 40001);

        assertCode(ErrorCode.PORT_IN_USE,
            () -> filters.register(CLIENT_A, 2, FilterKind.TCP_CONNECTION, 0, 0, 80, PEER_IP, 40001));
        assertCode(ErrorCode.PORT_IN_USE,
            () -> filters.register(CLIENT_B, 3, FilterKind.TCP_CONNECTION, 0, 0, 80, PEER_IP, 40002));
        assertEquals(3, filters.inUse());
    }

    @Test
    void deregisterChecksOwnerClearsTheRegistersAndFreesThePort()
    {
        final FilterRegistration filter = filters.register(CLIENT_A, 4, FilterKind.UDP_PORT, 0, 0, 53, 0, 0);
        final int slot = filter.hardwareIndex();

        assertCode(ErrorCode.NOT_OWNER, () -> filters.deregister(CLIENT_B, filter.id()));
        assertCode(ErrorCode.NO_SUCH_FILTER, () -> filters.deregister(CLIENT_A, filter.id() + 100));

        final int mark = bar.writes.size();
        filters.deregister(CLIENT_A, filter.id());
        assertEquals(ftqf(slot), bar.writes.get(mark).offset(), "FTQF is disabled first");
        for (final int offset : new int[]{daqf(slot), saqf(slot), sdpqf(slot), ftqf(slot)})
        {
            assertEquals(0, bar.registers[offset >> 2], String.format("register 0x%05X cleared", offset));
        }
        assertEquals(0x0008_0000, bar.registers[l34tImir(slot) >> 2], "L34T_IMIR: queue 0, reserved bit 19 kept 1");
        assertEquals(0x0008_0000, filters.l34tImirShadow(slot));
        assertNull(filters.filter(filter.id()));
        assertCode(ErrorCode.NO_SUCH_FILTER, () -> filters.deregister(CLIENT_A, filter.id()));

        filters.register(CLIENT_B, 5, FilterKind.UDP_PORT, 0, 0, 53, 0, 0);
        assertEquals(CLIENT_B, filters.portOwner(FilterRegistration.IP_PROTOCOL_UDP, 53));
        assertEquals(0, bar.l34tImirReads);
    }

    @Test
    void slotsAreReusedLowestFirstAndIdsAreNot()
    {
        final FilterRegistration a = filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 0, 0, 1001, 0, 0);
        final FilterRegistration b = filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 0, 0, 1002, 0, 0);
        final FilterRegistration c = filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 0, 0, 1003, 0, 0);
        assertEquals(List.of(0, 1, 2), List.of(a.hardwareIndex(), b.hardwareIndex(), c.hardwareIndex()));

        filters.deregister(CLIENT_A, b.id());
        final FilterRegistration d = filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 0, 0, 1004, 0, 0);
        assertEquals(1, d.hardwareIndex());
        assertTrue(d.id() > c.id(), "filter ids are never reused");
    }

    @Test
    void the129thFilterIsRefusedClearlyAndASlotFreedIsUsable()
    {
        FilterRegistration last = null;
        for (int i = 0; i < FIVE_TUPLE_FILTER_COUNT; i++)
        {
            last = filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 0, 0, 2000 + i, 0, 0);
        }
        assertEquals(FIVE_TUPLE_FILTER_COUNT, filters.slotsInUse());
        assertEquals(0, filters.free());

        final RequestException ex = assertThrows(RequestException.class,
            () -> filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 0, 0, 3000, 0, 0));
        assertEquals(ErrorCode.NO_FILTER_SLOT, ex.code());
        assertTrue(ex.getMessage().contains("128 of 128"), ex.getMessage());
        assertFalse(filters.isPortClaimed(FilterRegistration.IP_PROTOCOL_UDP, 3000), "a refused filter claims no port");

        filters.deregister(CLIENT_A, last.id());
        final FilterRegistration again = filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 0, 0, 3000, 0, 0);
        assertEquals(FIVE_TUPLE_FILTER_COUNT - 1, again.hardwareIndex());
        assertEquals(0, bar.l34tImirReads);
    }

    @Test
    void softwareTakesWhatTheHardwareCannotHold()
    {
        filters = new FilterManager(bar, CARD_IP, new FlowDirectorFilters(bar, FDIRCTRL_PBALLOC_NONE,
            FlowDirectorMatch.CONNECTIONS, 1_000_000), new SoftwareFilters(1000));
        for (int i = 0; i < FIVE_TUPLE_FILTER_COUNT; i++)
        {
            filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 0, 0, 2000 + i, 0, 0);
        }
        final FilterRegistration overflow = filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 0, 0, 4000, 0, 0);
        assertEquals(FilterPlacement.SOFTWARE, overflow.placement());
        assertEquals(-1, overflow.hardwareIndex());
        assertEquals(new FilterManager.FreeCounts(0, 0, 999), filters.freeCounts());
        assertSame(overflow, filters.software().match(FilterRegistration.IP_PROTOCOL_UDP, 4000, PEER_IP, 1234));
        assertNull(filters.software().match(FilterRegistration.IP_PROTOCOL_TCP, 4000, PEER_IP, 1234));
        filters.deregister(CLIENT_A, overflow.id());
        assertEquals(new FilterManager.FreeCounts(0, 0, 1000), filters.freeCounts());
        assertNull(filters.software().match(FilterRegistration.IP_PROTOCOL_UDP, 4000, PEER_IP, 1234));
    }

    /** A card that carries out flow director commands; the filter registers as DPDK writes them. */
    private FilterManager withFlowDirector(final FakeCard card, final int softwareLimit)
    {
        bar = card;
        return new FilterManager(card, CARD_IP, new FlowDirectorFilters(card, FDIRCTRL_PBALLOC_64K,
            FlowDirectorMatch.CONNECTIONS, 1_000_000), new SoftwareFilters(softwareLimit));
    }

    @Test
    void connectionsGoToTheFlowDirectorAfterTheFiveTupleFiltersWithDpdksRegisterValues()
    {
        final FakeCard card = new FakeCard(0x020000000001L);
        filters = withFlowDirector(card, 100);
        for (int i = 0; i < FIVE_TUPLE_FILTER_COUNT; i++)
        {
            assertEquals(FilterPlacement.FIVE_TUPLE, filters.register(CLIENT_A, 1, FilterKind.TCP_CONNECTION, 0, 0,
                80, PEER_IP, 10000 + i).placement());
        }
        final int from = card.writes.size();
        final FilterRegistration fd = filters.register(CLIENT_A, 5, FilterKind.TCP_CONNECTION, 0, 0, 80, PEER_IP,
            40000);
        assertEquals(FilterPlacement.FLOW_DIRECTOR, fd.placement());
        assertEquals(0, fd.hardwareIndex(), "SW index 0, the first");

        // What DPDK's fdir_write_perfect_filter_82599 writes for TCPv4 10.0.0.2:40000 -> 10.0.0.1:80, queue 5, SW
        // index 0 with PBALLOC 64K: the bucket is DPDK's hash 0xAD8E1E48 masked to 11 bits.
        assertEquals(java.util.List.of(FDIRIPSA, FDIRIPDA, FDIRPORT, FDIRVLAN, FDIRHASH, FDIRCMD),
            card.writeOffsetsSince(from, FDIRIPSA, FDIRIPDA, FDIRPORT, FDIRVLAN, FDIRHASH, FDIRCMD));
        assertEquals(0x0200000A, written(card, from, FDIRIPSA), "source address in network order");
        assertEquals(0x0100000A, written(card, from, FDIRIPDA), "destination address in network order");
        assertEquals(0x00509C40, written(card, from, FDIRPORT), "ports in host order, destination high");
        assertEquals(0, written(card, from, FDIRVLAN));
        assertEquals(0x0648, written(card, from, FDIRHASH), "bucket 0x0648, SW index 0");
        assertEquals(0x00058841, written(card, from, FDIRCMD), "ADD | LAST | QUEUE_EN | TCPv4 | queue 5");
        assertEquals(new FilterManager.FreeCounts(0, 2047, 100), filters.freeCounts());

        final int removal = card.writes.size();
        filters.deregister(CLIENT_A, fd.id());
        // DPDK's fdir_erase_filter_82599: FDIRHASH, QUERY, and with FILTER_VALID FDIRHASH again and REMOVE.
        assertEquals(java.util.List.of(FDIRHASH, FDIRCMD, FDIRHASH, FDIRCMD),
            card.writeOffsetsSince(removal, FDIRHASH, FDIRCMD));
        assertEquals(FDIRCMD_CMD_QUERY, card.writes.get(removal + 1).value());
        assertEquals(FDIRCMD_CMD_REMOVE, card.writes.get(removal + 3).value());
        assertEquals(0x0648, card.writes.get(removal + 2).value());
        assertEquals(new FilterManager.FreeCounts(0, 2048, 100), filters.freeCounts());
    }

    @Test
    void portFiltersSkipAFlowDirectorThatComparesConnections()
    {
        filters = withFlowDirector(new FakeCard(0x020000000001L), 100);
        for (int i = 0; i < FIVE_TUPLE_FILTER_COUNT; i++)
        {
            filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 0, 0, 2000 + i, 0, 0);
        }
        assertEquals(FilterPlacement.SOFTWARE,
            filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 0, 0, 4000, 0, 0).placement());
        assertEquals(FilterPlacement.FLOW_DIRECTOR,
            filters.register(CLIENT_A, 1, FilterKind.TCP_CONNECTION, 0, 0, 80, PEER_IP, 1).placement());
    }

    @Test
    void portFiltersUnderThePortsMaskWithDpdksRegisterValues()
    {
        final FakeCard card = new FakeCard(0x020000000001L);
        bar = card;
        FlowDirectorFilters.initialise(card, new CardDriver.Context().ipv4(CARD_IP, 24)
            .flowDirectorAllocation(FDIRCTRL_PBALLOC_64K).flowDirectorMatch(FlowDirectorMatch.PORTS),
            new CardLog(new java.io.PrintStream(new java.io.ByteArrayOutputStream()), "test"));
        // fdir_set_input_mask_82599 for source address and port masked, the rest compared.
        assertEquals(0x0000FFFF, card.register(FDIRTCPM));
        assertEquals(0x0000FFFF, card.register(FDIRUDPM));
        assertEquals(0xFFFFFFFF, card.register(FDIRSIP4M));
        assertEquals(0, card.register(FDIRDIP4M));
        assertEquals(FDIRM_VLANID | FDIRM_VLANP | FDIRM_POOL | FDIRM_FLEX | FDIRM_DIPV6, card.register(FDIRM));
        filters = new FilterManager(card, CARD_IP, new FlowDirectorFilters(card, FDIRCTRL_PBALLOC_64K,
            FlowDirectorMatch.PORTS, 1_000_000), new SoftwareFilters(10));
        for (int i = 0; i < FIVE_TUPLE_FILTER_COUNT; i++)
        {
            filters.register(CLIENT_B, 2, FilterKind.TCP_CONNECTION, 0, 0, 80, PEER_IP, 10_000 + i);
        }
        final int from = card.writes.size();
        final FilterRegistration udp = filters.register(CLIENT_A, 3, FilterKind.UDP_PORT, 0, 0, 53, 0, 0);
        assertEquals(FilterPlacement.FLOW_DIRECTOR, udp.placement());
        assertEquals(0, written(card, from, FDIRIPSA), "source masked: 0");
        assertEquals(0x0100000A, written(card, from, FDIRIPDA));
        assertEquals(53 << 16, written(card, from, FDIRPORT), "destination port high, source 0");
        // DPDK's hash of UDPv4 *:0 -> 10.0.0.1:53 is 0x0997C639: bucket 0x0639 with 11 bits, SW index 0.
        assertEquals(0x0639 & 0x7FF, written(card, from, FDIRHASH));
        assertEquals(FDIRCMD_CMD_ADD | FDIRCMD_LAST | FDIRCMD_QUEUE_EN | 1 << 5 | 3 << 16,
            written(card, from, FDIRCMD), "UDPv4, queue 3");
        final int tcpFrom = card.writes.size();
        final FilterRegistration tcp = filters.register(CLIENT_A, 3, FilterKind.TCP_PORT, 0, 0, 8080, 0, 0);
        assertEquals(FilterPlacement.FLOW_DIRECTOR, tcp.placement());
        assertEquals(1, tcp.hardwareIndex());
        assertEquals(FDIRCMD_CMD_ADD | FDIRCMD_LAST | FDIRCMD_QUEUE_EN | 2 << 5 | 3 << 16,
            written(card, tcpFrom, FDIRCMD), "TCPv4, queue 3");
        assertEquals(FilterPlacement.SOFTWARE, filters.register(CLIENT_A, 3, FilterKind.TCP_CONNECTION, 0, 0, 9000,
            PEER_IP, 1).placement(), "a connection is not what this flow director compares");
    }

    @Test
    void aFlowDirectorCommandThatNeverCompletesIsANamedErrorAndItsIndexIsNotReused()
    {
        final FakeCard card = new FakeCard(0x020000000001L);
        filters = withFlowDirector(card, 10);
        for (int i = 0; i < FIVE_TUPLE_FILTER_COUNT; i++)
        {
            filters.register(CLIENT_B, 2, FilterKind.UDP_PORT, 0, 0, 2000 + i, 0, 0);
        }
        card.flowDirectorCompletesCommands = false;
        final io.nicq.ixgbe.DeviceTimeoutException ex = assertThrows(io.nicq.ixgbe.DeviceTimeoutException.class,
            () -> filters.register(CLIENT_A, 1, FilterKind.TCP_CONNECTION, 0, 0, 80, PEER_IP, 1));
        assertTrue(ex.getMessage().contains("flow director add did not complete"), ex.getMessage());
        assertTrue(ex.getMessage().contains("FDIRCMD.CMD still set"), ex.getMessage());
        card.flowDirectorCompletesCommands = true;
        card.registers[FDIRCMD >> 2] = 0;
        final FilterRegistration next = filters.register(CLIENT_A, 1, FilterKind.TCP_CONNECTION, 0, 0, 80, PEER_IP, 2);
        assertEquals(1, next.hardwareIndex(), "SW index 0 may still be in the card's table: not handed out again");
        assertEquals(2048 - 2, filters.freeCounts().flowDirector());
    }

    @Test
    void aListenerInTheFiveTupleFiltersMovesToSoftwareSoItsConnectionsKeepPrecedence()
    {
        filters = withFlowDirector(new FakeCard(0x020000000001L), 100);
        final FilterRegistration listener = filters.register(CLIENT_A, 1, FilterKind.TCP_PORT, 0, 0, 80, 0, 0);
        for (int i = 1; i < FIVE_TUPLE_FILTER_COUNT; i++)
        {
            filters.register(CLIENT_B, 2, FilterKind.UDP_PORT, 0, 0, 2000 + i, 0, 0);
        }
        // A connection in the flow director would lose to the listener's 5-tuple filter (5-tuple filters are looked
        // at first): the listener moves to software, and its slot takes the connection.
        final FilterRegistration first = filters.register(CLIENT_A, 3, FilterKind.TCP_CONNECTION, 0, 0, 80, PEER_IP,
            5000);
        assertEquals(FilterPlacement.SOFTWARE, listener.placement());
        assertEquals(FilterPlacement.FIVE_TUPLE, first.placement());
        assertEquals(0, first.hardwareIndex(), "the listener's slot");
        assertEquals(1, filters.filtersMoved());
        final FilterRegistration second = filters.register(CLIENT_A, 4, FilterKind.TCP_CONNECTION, 0, 0, 80, PEER_IP,
            5001);
        assertEquals(FilterPlacement.FLOW_DIRECTOR, second.placement());
        assertEquals(1, filters.filtersMoved());
        assertSame(listener, filters.software().match(FilterRegistration.IP_PROTOCOL_TCP, 80, PEER_IP, 9999));

        // A port filter of lower precedence registered after a connection it overlaps goes no earlier than it, even
        // with a 5-tuple slot free.
        filters.deregister(CLIENT_A, listener.id());
        filters.deregister(CLIENT_B, filters.slot(5).id());
        final FilterRegistration late = filters.register(CLIENT_A, 1, FilterKind.TCP_PORT, 0, 0, 80, 0, 0);
        assertEquals(FilterPlacement.SOFTWARE, late.placement(), "behind the flow director's connection");
        assertNull(filters.slot(5), "the free slot stays free");
    }

    @Test
    void aConnectionOfLowerPriorityThanItsListenerGoesNoEarlier()
    {
        filters = withFlowDirector(new FakeCard(0x020000000001L), 100);
        for (int i = 0; i < FIVE_TUPLE_FILTER_COUNT - 1; i++)
        {
            filters.register(CLIENT_B, 2, FilterKind.UDP_PORT, 0, 0, 2000 + i, 0, 0);
        }
        final FilterRegistration listener = filters.register(CLIENT_A, 1, FilterKind.TCP_PORT, 6, 0, 80, 0, 0);
        assertEquals(FilterPlacement.FIVE_TUPLE, listener.placement());
        filters.deregister(CLIENT_B, filters.slot(0).id());
        final FilterRegistration connection = filters.register(CLIENT_A, 3, FilterKind.TCP_CONNECTION, 2, 0, 80,
            PEER_IP, 5000);
        assertEquals(FilterPlacement.FIVE_TUPLE, connection.placement(), "same stage: FTQF.PRIORITY decides");
        assertEquals(FilterPlacement.FIVE_TUPLE, listener.placement());
        assertEquals(0, filters.filtersMoved());
    }

    private static int written(final FakeCard card, final int from, final int offset)
    {
        for (int i = from; i < card.writes.size(); i++)
        {
            if (card.writes.get(i).offset() == offset)
            {
                return card.writes.get(i).value();
            }
        }
        throw new AssertionError(String.format("0x%05X not written", offset));
    }

    @Test
    void removingAClientOrAQueueClearsOnlyTheirs()
    {
        final FilterRegistration a1 = filters.register(CLIENT_A, 1, FilterKind.UDP_PORT, 0, 0, 100, 0, 0);
        final FilterRegistration a2 = filters.register(CLIENT_A, 2, FilterKind.UDP_PORT, 0, 0, 101, 0, 0);
        final FilterRegistration b1 = filters.register(CLIENT_B, 3, FilterKind.UDP_PORT, 0, 0, 102, 0, 0);

        assertEquals(1, filters.removeQueue(2));
        assertNull(filters.filter(a2.id()));
        assertEquals(0, bar.registers[ftqf(a2.hardwareIndex()) >> 2]);

        assertEquals(1, filters.removeClient(CLIENT_A));
        assertNull(filters.filter(a1.id()));
        assertNotNull(filters.filter(b1.id()));
        assertFalse(filters.isPortClaimed(FilterRegistration.IP_PROTOCOL_UDP, 100));

        filters.clearAll();
        assertEquals(0, filters.inUse());
        for (int slot = 0; slot < FIVE_TUPLE_FILTER_COUNT; slot++)
        {
            assertEquals(0, bar.registers[ftqf(slot) >> 2]);
        }
        assertEquals(0, bar.l34tImirReads);
    }

    @Test
    void encodingHelpersFollowThePart()
    {
        assertEquals(0x0100000A, FilterManager.addressRegister(0x0A000001));
        assertEquals(0x5000_0000, FilterManager.portsRegister(0, 80));
        assertEquals(0x3412_7856, FilterManager.portsRegister(0x5678, 0x1234));
        assertEquals(0x0008_0000 | (127 << 21), FilterManager.l34tImirValue(127));
    }

    private static void assertCode(final ErrorCode code, final Runnable action)
    {
        final RequestException ex = assertThrows(RequestException.class, action::run);
        assertEquals(code, ex.code(), ex.getMessage());
    }
}
