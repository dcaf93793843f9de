package io.nicq.card;

import io.nicq.packet.Ipv4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import io.nicq.ixgbe.Bar;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.FilterKind;
import io.nicq.proto.sbe.FilterPlacement;
import org.agrona.collections.Int2ObjectHashMap;

import static io.nicq.ixgbe.Registers.*;

/**
 * The card's filters and who owns them. A filter request is placed by the card driver, invisibly to the client, at the
 * first stage of the card's classification order (7.1.2) that has room for it: one of the 128 L3/L4 5-tuple filters
 * (7.1.2.5, registers 8.2.3.7; the lowest free slot, reused as soon as it is freed), else a flow director
 * perfect-match filter ({@link FlowDirectorFilters}, if its global masks can express the filter), else software on
 * the default queue ({@link SoftwareFilters}: frames copied to the owner's queue). Only when all three are full is it
 * refused with {@code NO_FILTER_SLOT}.
 * <p>
 * Precedence is kept across stages. The card looks at the 5-tuple filters first, the flow director next, and queue 0
 * sees only what neither claimed; so of two filters a frame can match both of (a port filter and a connection filter
 * on its port), the one that {@link #precedes} must not sit at a later stage than the other. A filter is therefore
 * placed no earlier than the stage of any overlapping filter that precedes it, and an overlapping filter it precedes
 * that sits at an earlier stage is moved to software first (added there, then removed from the hardware, so no frame
 * is lost in between; counted in {@link #filtersMoved()} and logged). A TCP server whose listener took a 5-tuple
 * filter keeps getting its connections steered when the 5-tuple filters run out: its listener moves to software and
 * the connections go to the flow director.
 * <ul>
 *   <li>UDP port and TCP port filters compare protocol, destination address (the card's) and destination port, and
 *       mask source address and port: frames from anyone to that port.</li>
 *   <li>TCP connection filters compare all five fields: one connection. By default they get a higher priority than
 *       port filters, so a listener can move one connection to another queue.</li>
 * </ul>
 * Byte order of the registers (the part's, not the host's): SAQF/DAQF hold the address in network order as a
 * little-endian 32-bit load sees it (10.0.0.1 reads as 0x0100000A); SDPQF holds the source port in [15:0] and the
 * destination port in [31:16], each half in network order. Programming writes DAQF, SAQF, SDPQF, L34T_IMIR, then
 * FTQF with its enable last, so no frame sees a half-written filter (DPDK writes L34T_IMIR after FTQF). L34T_IMIR is never read (reads can raise an ECC error on real parts): the last value
 * written is kept in a shadow.
 * <p>
 * Ownership as netd did it: one owner per (protocol, local port) ({@link PortTable}); a client deregisters only its
 * own filters, which are removed from wherever they were placed.
 * <p>
 * Not thread safe: the card driver's conductor thread owns it, as the thesis has the card driver alone touch filter
 * registers.
 */
public final class FilterManager
{
    /** Priority of a port filter when the request says 0. */
    public static final int DEFAULT_PORT_PRIORITY = 1;

    /** Priority of a connection filter when the request says 0: above port filters, so the connection wins. */
    public static final int DEFAULT_CONNECTION_PRIORITY = 2;

    /** FTQF.PRIORITY is 3 bits; 0 is not a valid priority for an enabled filter. */
    public static final int MAX_PRIORITY = 7;

    /** Stages of the classification order a filter can be placed at, earliest first. */
    private static final int STAGE_FIVE_TUPLE = 0;
    private static final int STAGE_FLOW_DIRECTOR = 1;
    private static final int STAGE_SOFTWARE = 2;
    private static final int NO_STAGE = 3;

    /** Free filters by placement, what {@code Connected} and {@code Stats} report. */
    public record FreeCounts(int fiveTuple, int flowDirector, int software)
    {
        public int total()
        {
            return fiveTuple + flowDirector + software;
        }
    }

    private final Bar bar;
    private final int cardIpv4;
    private final FlowDirectorFilters flowDirector;
    private final SoftwareFilters software;
    private final Int2ObjectHashMap<List<FilterRegistration>> byPort = new Int2ObjectHashMap<>();
    private final List<FilterRegistration> moving = new ArrayList<>();
    private long filtersMoved;
    private final FilterRegistration[] slots = new FilterRegistration[FIVE_TUPLE_FILTER_COUNT];
    private final int[] l34tImirShadow = new int[FIVE_TUPLE_FILTER_COUNT];
    private final Int2ObjectHashMap<FilterRegistration> filters = new Int2ObjectHashMap<>();
    private final PortTable ports = new PortTable();
    private final EphemeralPorts ephemeral;
    private final List<FilterRegistration> scratch = new ArrayList<>();
    private int nextFilterId = 1;
    private int slotsInUse;

    /**
     * @param bar          the card's registers
     * @param cardIpv4     the card's address (host order): what a local address of 0 means
     * @param flowDirector the second stage (initialised by {@link CardInit}; no capacity when it is off)
     * @param software     the last stage
     */
    FilterManager(final Bar bar, final int cardIpv4, final FlowDirectorFilters flowDirector,
        final SoftwareFilters software)
    {
        this(bar, cardIpv4, flowDirector, software, new EphemeralPorts());
    }

    /**
     * @param ephemeral the local ports handed out to connection filters that ask for port 0
     */
    FilterManager(final Bar bar, final int cardIpv4, final FlowDirectorFilters flowDirector,
        final SoftwareFilters software, final EphemeralPorts ephemeral)
    {
        this.ephemeral = ephemeral;
        this.bar = bar;
        this.cardIpv4 = cardIpv4;
        this.flowDirector = flowDirector;
        this.software = software;
    }

    /** The card driver's filters as its context configures them: the flow director and the software limit. */
    FilterManager(final Bar bar, final CardDriver.Context ctx)
    {
        this(bar, ctx.ipv4(), new FlowDirectorFilters(bar, ctx), new SoftwareFilters(ctx.softwareFilterLimit()),
            new EphemeralPorts(ctx.ephemeralPortLow(), ctx.ephemeralPortHigh()));
    }

    /**
     * Registers a filter for a queue the caller has checked belongs to {@code clientId}.
     *
     * @param priority  1..7, or 0 for the kind's default
     * @param localIp   0 for the card's address
     * @param localPort 1..65535; 0 for a TCP connection: a free ephemeral port of the card is allocated (the
     *                  returned filter's {@link FilterRegistration#localPort()})
     * @return the filter, placed and programmed
     * @throws RequestException INVALID_ARGUMENT, PORT_IN_USE or NO_FILTER_SLOT, with a sentence saying why
     */
    public FilterRegistration register(
        final long clientId,
        final int queueId,
        final FilterKind kind,
        final int priority,
        final int localIp,
        final int localPort,
        final int remoteIp,
        final int remotePort)
    {
        if (kind == null || kind == FilterKind.NULL_VAL)
        {
            throw new RequestException(ErrorCode.INVALID_ARGUMENT, "unknown filter kind");
        }
        if (queueId < 0 || queueId >= QUEUE_COUNT)
        {
            throw new RequestException(ErrorCode.INVALID_ARGUMENT, "queue " + queueId + " does not exist");
        }
        if (priority < 0 || priority > MAX_PRIORITY)
        {
            throw new RequestException(ErrorCode.INVALID_ARGUMENT,
                "priority " + priority + " is outside 1.." + MAX_PRIORITY + " (0 = default)");
        }
        final boolean allocate = localPort == 0 && kind == FilterKind.TCP_CONNECTION;
        if (!allocate && (localPort <= 0 || localPort > 0xFFFF))
        {
            throw new RequestException(ErrorCode.INVALID_ARGUMENT, "local port " + localPort + " is outside 1..65535" +
                (localPort == 0 ? " (0 asks for an ephemeral port, which only a TCP connection filter can)" : ""));
        }
        if (localIp != 0 && localIp != cardIpv4)
        {
            throw new RequestException(ErrorCode.INVALID_ARGUMENT, "local address " + Ipv4Address.toString(localIp) +
                " is not the card's (" + Ipv4Address.toString(cardIpv4) + "; 0 means the card's)");
        }
        final boolean connection = kind == FilterKind.TCP_CONNECTION;
        if (connection)
        {
            if (remoteIp == 0 || remotePort <= 0 || remotePort > 0xFFFF)
            {
                throw new RequestException(ErrorCode.INVALID_ARGUMENT,
                    "a TCP connection filter needs the remote address and port (got " +
                    Ipv4Address.toString(remoteIp) + ":" + remotePort + ")");
            }
        }
        else if (remoteIp != 0 || remotePort != 0)
        {
            throw new RequestException(ErrorCode.INVALID_ARGUMENT,
                "a " + kind + " filter matches any remote end: remote address and port must be 0");
        }

        final int port = allocate ? ephemeral.next(ports, FilterRegistration.IP_PROTOCOL_TCP) : localPort;
        if (port < 0)
        {
            throw new RequestException(ErrorCode.PORT_IN_USE, "no free ephemeral TCP port: all " +
                (ephemeral.high() - ephemeral.low() + 1) + " ports of " + ephemeral.low() + ".." + ephemeral.high() +
                " are in use on this card");
        }
        final FilterRegistration filter = new FilterRegistration(
            nextFilterId,
            clientId,
            queueId,
            kind,
            priority != 0 ? priority : (connection ? DEFAULT_CONNECTION_PRIORITY : DEFAULT_PORT_PRIORITY),
            cardIpv4,
            port,
            remoteIp,
            remotePort);
        try
        {
            checkOwnership(filter);
            place(filter);
        }
        catch (final RuntimeException ex)
        {
            if (allocate)
            {
                ephemeral.released(port);
            }
            throw ex;
        }
        nextFilterId++;
        filters.put(filter.id(), filter);
        samePort(filter, true).add(filter);
        ports.claim(filter.ipProtocol(), filter.localPort(), clientId);
        return filter;
    }

    /**
     * Whether a frame matching both filters must go where {@code a} says: higher priority, or at equal priority the
     * connection over the port filter (the more specific one). Between two 5-tuple filters of equal priority the card
     * itself decides by index (the datasheet leaves it open), which is why connection filters default to a higher
     * priority than port filters.
     */
    static boolean precedes(final FilterRegistration a, final FilterRegistration b)
    {
        if (a.priority() != b.priority())
        {
            return a.priority() > b.priority();
        }
        return a.kind() == FilterKind.TCP_CONNECTION && b.kind() != FilterKind.TCP_CONNECTION;
    }

    /** Whether some frame matches both: a port filter and a connection filter on the same protocol and port. */
    private static boolean overlaps(final FilterRegistration a, final FilterRegistration b)
    {
        return a != b && a.ipProtocol() == b.ipProtocol() && a.localPort() == b.localPort() &&
            (a.kind() == FilterKind.TCP_CONNECTION) != (b.kind() == FilterKind.TCP_CONNECTION);
    }

    private void place(final FilterRegistration filter)
    {
        final List<FilterRegistration> samePort = samePort(filter, false);
        int earliest = STAGE_FIVE_TUPLE;
        for (int i = 0, n = samePort == null ? 0 : samePort.size(); i < n; i++)
        {
            final FilterRegistration other = samePort.get(i);
            if (overlaps(other, filter) && precedes(other, filter))
            {
                earliest = Math.max(earliest, stageOf(other));
            }
        }
        int stage = firstStageWithRoom(filter, earliest);
        if (stage == NO_STAGE)
        {
            throw noRoom(filter, earliest);
        }

        // Overlapping filters this one precedes that sit at an earlier stage would catch its frames first: they move
        // to software (with what they in turn precede), which may free room at an earlier stage for this one.
        moving.clear();
        collectToMove(filter, stage);
        if (!moving.isEmpty())
        {
            if (software.free() < moving.size() + (stage == STAGE_SOFTWARE ? 1 : 0))
            {
                final int count = moving.size();
                moving.clear();
                throw new RequestException(ErrorCode.NO_FILTER_SLOT, "no room for " + filter.describe() + ": " +
                    count + " overlapping filters of lower precedence would have to move to software, which has " +
                    software.free() + " of " + software.limit() + " free");
            }
            for (int i = 0; i < moving.size(); i++)
            {
                moveToSoftware(moving.get(i));
            }
            moving.clear();
            stage = firstStageWithRoom(filter, earliest);
        }

        while (true)
        {
            switch (stage)
            {
                case STAGE_FIVE_TUPLE ->
                {
                    final int slot = lowestFreeSlot();
                    program(slot, filter);
                    slots[slot] = filter;
                    slotsInUse++;
                    filter.place(FilterPlacement.FIVE_TUPLE, slot);
                    return;
                }
                case STAGE_FLOW_DIRECTOR ->
                {
                    if (flowDirector.add(filter))
                    {
                        return;
                    }
                    // The device refused it (FDIRFSTAT.FADD: a duplicate, or the table full): the next stage.
                    stage = firstStageWithRoom(filter, STAGE_SOFTWARE);
                }
                case STAGE_SOFTWARE ->
                {
                    software.add(filter);
                    return;
                }
                default -> throw noRoom(filter, earliest);
            }
        }
    }

    /**
     * Collects the overlapping filters {@code filter} precedes that sit at a stage before {@code stage} (before
     * software, when it goes there), and, since each of them moves to software, what they in turn precede.
     */
    private void collectToMove(final FilterRegistration filter, final int stage)
    {
        final List<FilterRegistration> samePort = samePort(filter, false);
        for (int i = 0, n = samePort == null ? 0 : samePort.size(); i < n; i++)
        {
            final FilterRegistration other = samePort.get(i);
            final int otherStage = stageOf(other);
            if (overlaps(other, filter) && precedes(filter, other) && otherStage < stage &&
                otherStage != STAGE_SOFTWARE && !moving.contains(other))
            {
                moving.add(other);
                collectToMove(other, STAGE_SOFTWARE);
            }
        }
    }

    /** Moves a hardware filter to software: added there first, then removed from the hardware, so nothing is lost. */
    private void moveToSoftware(final FilterRegistration filter)
    {
        final FilterPlacement was = filter.placement();
        final int index = filter.hardwareIndex();
        if (was == FilterPlacement.FIVE_TUPLE)
        {
            software.add(filter);
            clear(index);
            slots[index] = null;
            slotsInUse--;
        }
        else if (was == FilterPlacement.FLOW_DIRECTOR)
        {
            // Removed from the flow director while it still says where it is there, then placed in software.
            flowDirector.remove(filter);
            software.add(filter);
            filter.flowDirectorBucket(-1);
        }
        filtersMoved++;
    }

    private int firstStageWithRoom(final FilterRegistration filter, final int earliest)
    {
        if (earliest <= STAGE_FIVE_TUPLE && slotsInUse < FIVE_TUPLE_FILTER_COUNT)
        {
            return STAGE_FIVE_TUPLE;
        }
        if (earliest <= STAGE_FLOW_DIRECTOR && flowDirector.canHold(filter) && flowDirector.free() > 0)
        {
            return STAGE_FLOW_DIRECTOR;
        }
        return software.free() > 0 ? STAGE_SOFTWARE : NO_STAGE;
    }

    private static int stageOf(final FilterRegistration filter)
    {
        return switch (filter.placement())
        {
            case FIVE_TUPLE -> STAGE_FIVE_TUPLE;
            case FLOW_DIRECTOR -> STAGE_FLOW_DIRECTOR;
            default -> STAGE_SOFTWARE;
        };
    }

    private RequestException noRoom(final FilterRegistration filter, final int earliest)
    {
        final String flowDirectorState = flowDirector.capacity() == 0 ? "the flow director is off" :
            !flowDirector.canHold(filter) ? "the flow director does not hold " + filter.kind() + " filters" :
            (flowDirector.capacity() - flowDirector.free()) + " of " + flowDirector.capacity() +
            " flow director filters are in use";
        return new RequestException(ErrorCode.NO_FILTER_SLOT, "no filter slot for " + filter.describe() + ": " +
            slotsInUse + " of " + FIVE_TUPLE_FILTER_COUNT + " 5-tuple filters are in use" +
            (earliest > STAGE_FIVE_TUPLE ? " (and a filter of higher precedence on its port sits after them)" : "") +
            ", " + flowDirectorState + ", and " + software.size() + " of " + software.limit() +
            " software filters are in use");
    }

    private List<FilterRegistration> samePort(final FilterRegistration filter, final boolean create)
    {
        final int key = filter.ipProtocol() << 16 | filter.localPort();
        List<FilterRegistration> list = byPort.get(key);
        if (list == null && create)
        {
            list = new ArrayList<>();
            byPort.put(key, list);
        }
        return list;
    }

    /**
     * Removes a client's filter and clears its registers.
     *
     * @throws RequestException NO_SUCH_FILTER or NOT_OWNER
     */
    public FilterRegistration deregister(final long clientId, final int filterId)
    {
        final FilterRegistration filter = filters.get(filterId);
        if (filter == null)
        {
            throw new RequestException(ErrorCode.NO_SUCH_FILTER, "filter " + filterId + " is not registered");
        }
        if (filter.ownerClientId() != clientId)
        {
            throw new RequestException(ErrorCode.NOT_OWNER,
                "filter " + filterId + " (" + filter.describe() + ") belongs to another client");
        }
        remove(filter);
        return filter;
    }

    /**
     * Removes every filter steering to a queue (the queue is being released or torn down).
     *
     * @return filters removed
     */
    public int removeQueue(final int queueId)
    {
        scratch.clear();
        for (final FilterRegistration filter : filters.values())
        {
            if (filter.queueId() == queueId)
            {
                scratch.add(filter);
            }
        }
        return removeScratch();
    }

    /**
     * Removes every filter of a client (it disconnected or was reclaimed).
     *
     * @return filters removed
     */
    public int removeClient(final long clientId)
    {
        scratch.clear();
        for (final FilterRegistration filter : filters.values())
        {
            if (filter.ownerClientId() == clientId)
            {
                scratch.add(filter);
            }
        }
        return removeScratch();
    }

    /** Removes every filter and clears all 128 slots' registers, used or not (shutdown, or a card in unknown state). */
    public void clearAll()
    {
        scratch.clear();
        scratch.addAll(filters.values());
        removeScratch();
        for (int slot = 0; slot < FIVE_TUPLE_FILTER_COUNT; slot++)
        {
            clear(slot);
        }
    }

    public FilterRegistration filter(final int filterId)
    {
        return filters.get(filterId);
    }

    /** Filters registered, wherever placed. */
    public int inUse()
    {
        return filters.size();
    }

    /** 5-tuple slots in use. */
    public int slotsInUse()
    {
        return slotsInUse;
    }

    /** Filters that can still be registered, wherever they would go. */
    public int free()
    {
        return FIVE_TUPLE_FILTER_COUNT - slotsInUse + flowDirector.free() + software.free();
    }

    /** Free filters by placement. */
    public FreeCounts freeCounts()
    {
        return new FreeCounts(FIVE_TUPLE_FILTER_COUNT - slotsInUse, flowDirector.free(), software.free());
    }

    /** Filters in the flow director. */
    public int flowDirectorInUse()
    {
        return flowDirector.capacity() - flowDirector.free();
    }

    /** Filters matched in software. */
    public int softwareInUse()
    {
        return software.size();
    }

    /** Filters moved to software to keep a filter of higher precedence ahead of them. */
    public long filtersMoved()
    {
        return filtersMoved;
    }

    /** Adds the flow director refused (duplicates or a full table, as FDIRFSTAT.FADD reported them). */
    public long flowDirectorFailedAdds()
    {
        return flowDirector.failedAdds();
    }

    /** The software stage, for the default queue that matches it. */
    SoftwareFilters software()
    {
        return software;
    }

    /** The filter in a 5-tuple slot, or null. */
    public FilterRegistration slot(final int index)
    {
        return slots[index];
    }

    /** What was last written to L34T_IMIR(index): the register itself is never read. */
    public int l34tImirShadow(final int index)
    {
        return l34tImirShadow[index];
    }

    /** Whether (protocol, port) is held, and by whom ({@link #portOwner}). */
    public boolean isPortClaimed(final int ipProtocol, final int port)
    {
        return ports.isClaimed(ipProtocol, port);
    }

    public long portOwner(final int ipProtocol, final int port)
    {
        return ports.owner(ipProtocol, port);
    }

    /** Visits every registered filter. */
    public void forEach(final Consumer<FilterRegistration> consumer)
    {
        filters.values().forEach(consumer);
    }

    /** SAQF/DAQF encoding: network order as a little-endian 32-bit load sees it (10.0.0.1 becomes 0x0100000A). */
    public static int addressRegister(final int hostOrderIpv4)
    {
        return Integer.reverseBytes(hostOrderIpv4);
    }

    /** SDPQF encoding: source port in [15:0], destination port in [31:16], each 16-bit half in network order. */
    public static int portsRegister(final int sourcePort, final int destinationPort)
    {
        return (Short.reverseBytes((short)destinationPort) & 0xFFFF) << 16 |
            (Short.reverseBytes((short)sourcePort) & 0xFFFF);
    }

    /** FTQF value of a filter: protocol, priority, masks of the fields it does not compare, pool masked, enabled. */
    public static int ftqfValue(final FilterRegistration filter)
    {
        int ftqf = (filter.kind() == FilterKind.UDP_PORT ? FTQF_PROTOCOL_UDP : FTQF_PROTOCOL_TCP) |
            (filter.priority() << FTQF_PRIORITY_SHIFT) |
            FTQF_POOL_MASK_BIT |            // no virtualisation: the pool field means nothing
            FTQF_QUEUE_ENABLE;
        if (filter.kind() != FilterKind.TCP_CONNECTION)
        {
            ftqf |= FTQF_MASK_SOURCE_ADDRESS | FTQF_MASK_SOURCE_PORT;   // from anyone
        }
        return ftqf;
    }

    /** L34T_IMIR value steering a 5-tuple match to a queue; bit 19 must be written as 1. */
    public static int l34tImirValue(final int queueId)
    {
        return L34T_IMIR_RESERVE | (queueId << L34T_IMIR_RX_QUEUE_SHIFT);
    }

    private void checkOwnership(final FilterRegistration filter)
    {
        final int protocol = filter.ipProtocol();
        final String what = (protocol == FilterRegistration.IP_PROTOCOL_UDP ? "UDP" : "TCP") + " port " +
            filter.localPort();
        if (ports.isClaimed(protocol, filter.localPort()))
        {
            if (filter.kind() == FilterKind.TCP_PORT && ephemeral.isAllocated(filter.localPort()))
            {
                throw new RequestException(ErrorCode.PORT_IN_USE, what + " is allocated to a connection (an " +
                    "ephemeral port of client " + ports.owner(protocol, filter.localPort()) + "): no listener there");
            }
            if (ports.owner(protocol, filter.localPort()) != filter.ownerClientId())
            {
                throw new RequestException(ErrorCode.PORT_IN_USE, what + " is owned by another client");
            }
            final List<FilterRegistration> samePort = samePort(filter, false);
            for (int i = 0, n = samePort == null ? 0 : samePort.size(); i < n; i++)
            {
                final FilterRegistration existing = samePort.get(i);
                if (existing.ownerClientId() == filter.ownerClientId() && existing.sameMatch(filter))
                {
                    throw new RequestException(ErrorCode.PORT_IN_USE, filter.describe() +
                        " is already registered as filter " + existing.id() + " (queue " + existing.queueId() + ")");
                }
            }
        }
    }

    private int lowestFreeSlot()
    {
        for (int slot = 0; slot < FIVE_TUPLE_FILTER_COUNT; slot++)
        {
            if (slots[slot] == null)
            {
                return slot;
            }
        }
        return -1;
    }

    private void program(final int slot, final FilterRegistration filter)
    {
        final boolean connection = filter.kind() == FilterKind.TCP_CONNECTION;
        // 8.2.3.7 DAQF: the local address is the destination of received frames.
        bar.write(daqf(slot), addressRegister(filter.localIp()));
        // 8.2.3.7 SAQF: the remote address for a connection; masked in FTQF otherwise.
        bar.write(saqf(slot), connection ? addressRegister(filter.remoteIp()) : 0);
        // 8.2.3.7 SDPQF: remote (source) and local (destination) ports.
        bar.write(sdpqf(slot), portsRegister(connection ? filter.remotePort() : 0, filter.localPort()));
        // 8.2.3.7 L34T_IMIR: the queue, before the enable. DPDK writes it after FTQF; on a reused slot that leaves a
        // moment where the enabled filter steers to whatever queue the slot last had (the default queue after a
        // clear). Write-only in practice: remember what was written.
        final int imir = l34tImirValue(filter.queueId());
        bar.write(l34tImir(slot), imir);
        l34tImirShadow[slot] = imir;
        // 8.2.3.7.19 FTQF: protocol, priority, masks and enable; the filter is live from here, every field in place.
        bar.write(ftqf(slot), ftqfValue(filter));
    }

    private void clear(final int slot)
    {
        // 8.2.3.7.19 FTQF first: the filter stops matching before its fields change, so no frame is steered by a
        // half-cleared filter. Then the other four are zeroed as DPDK's removal does.
        bar.write(ftqf(slot), 0);
        bar.write(daqf(slot), 0);           // 8.2.3.7 DAQF
        bar.write(saqf(slot), 0);           // 8.2.3.7 SAQF
        bar.write(sdpqf(slot), 0);          // 8.2.3.7 SDPQF
        // 8.2.3.7 L34T_IMIR: queue 0, but bit 19 is reserved and must be written as 1 (as ReceiveFilterTables does).
        bar.write(l34tImir(slot), L34T_IMIR_RESERVE);
        l34tImirShadow[slot] = L34T_IMIR_RESERVE;
    }

    private void remove(final FilterRegistration filter)
    {
        if (filter.placement() == FilterPlacement.FIVE_TUPLE)
        {
            final int slot = filter.hardwareIndex();
            clear(slot);
            slots[slot] = null;
            slotsInUse--;
        }
        else if (filter.placement() == FilterPlacement.FLOW_DIRECTOR)
        {
            flowDirector.remove(filter);
        }
        else
        {
            software.remove(filter);
        }
        filters.remove(filter.id());
        final int portKey = filter.ipProtocol() << 16 | filter.localPort();
        final List<FilterRegistration> samePort = byPort.get(portKey);
        samePort.remove(filter);
        if (samePort.isEmpty())
        {
            byPort.remove(portKey);
        }
        ports.release(filter.ipProtocol(), filter.localPort());
        if (filter.ipProtocol() == FilterRegistration.IP_PROTOCOL_TCP &&
            !ports.isClaimed(filter.ipProtocol(), filter.localPort()))
        {
            ephemeral.released(filter.localPort());
        }
    }

    private int removeScratch()
    {
        final int count = scratch.size();
        for (int i = 0; i < count; i++)
        {
            remove(scratch.get(i));
        }
        scratch.clear();
        return count;
    }
}
