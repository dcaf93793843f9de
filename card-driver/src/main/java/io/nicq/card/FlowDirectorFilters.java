package io.nicq.card;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.DeviceTimeoutException;
import io.nicq.ixgbe.FlowDirectorFields;
import io.nicq.ixgbe.FlowDirectorHash;
import io.nicq.proto.sbe.FilterKind;
import io.nicq.proto.sbe.FilterPlacement;

import static io.nicq.ixgbe.Registers.*;

/**
 * The card's flow director in perfect-match mode (datasheet 7.1.2.7, registers 8.2.3.21): up to 2K, 4K or 8K filters
 * beyond the 5-tuple filters, at the cost of RX packet buffer, for the one kind of filter its global masks compare
 * ({@link FlowDirectorMatch}). Initialised once at start-up ({@link #initialise}, a step of {@link CardInit}); filters
 * are added and removed the way DPDK's {@code fdir_write_perfect_filter_82599} and {@code fdir_erase_filter_82599} do:
 * <ul>
 *   <li>add: FDIRIPSA, FDIRIPDA, FDIRPORT, FDIRVLAN, FDIRHASH (bucket from {@link FlowDirectorHash}, SW index), then
 *       FDIRCMD (ADD, LAST, QUEUE_EN, flow type, queue); wait for CMD to self-clear; a failed add (a duplicate, or
 *       the table full) is what FDIRFSTAT.FADD then counts, and the filter is placed elsewhere;</li>
 *   <li>remove: FDIRHASH, FDIRCMD QUERY, wait; if FILTER_VALID, FDIRHASH again and FDIRCMD REMOVE, wait.</li>
 * </ul>
 * The SW index is the filter's index in this table (the lowest free, reused), and the {@code hardwareIndex} clients
 * see. Not thread safe: the conductor owns it, as it owns the 5-tuple registers.
 */
final class FlowDirectorFilters
{
    /** FDIRCTRL.DROP_QUEUE: where drop filters would steer (nicq programs none); DPDK's default. */
    static final int DROP_QUEUE = 127;
    /** FDIRCTRL.MAX_LENGTH: the chain length after which a match reports a length error (Linux and DPDK: 10). */
    static final int MAX_CHAIN_LENGTH = 0xA;
    /** FDIRCTRL.FULL_THRESH: 4 x 16 free filters (the interrupt is masked; kept as Linux and DPDK set it). */
    static final int FULL_THRESHOLD = 4;
    /** FDIRCTRL.FLEX_OFFSET in words: the ethertype (DPDK's default; the flexible bytes are masked). */
    static final int FLEX_OFFSET_WORDS = 6;

    private final Bar bar;
    private final int pballoc;
    private final FlowDirectorMatch match;
    private final long commandTimeoutNs;
    private final int capacity;
    private final FilterRegistration[] bySwIndex;
    private int used;
    private long failedAdds;

    FlowDirectorFilters(final Bar bar, final int pballoc, final FlowDirectorMatch match, final long commandTimeoutNs)
    {
        this.bar = bar;
        this.pballoc = pballoc;
        this.match = match;
        this.commandTimeoutNs = commandTimeoutNs;
        this.capacity = fdirPerfectCapacity(pballoc);
        this.bySwIndex = new FilterRegistration[capacity];
    }

    FlowDirectorFilters(final Bar bar, final CardDriver.Context ctx)
    {
        this(bar, ctx.flowDirectorAllocation(), ctx.flowDirectorMatch(), ctx.flowDirectorCommandTimeoutNs());
    }

    /**
     * 7.1.2.7 flow director initialisation, in DPDK's order ({@code ixgbe_fdir_configure}): the RX packet buffer of
     * traffic class 0 cut by the table's share, the global masks, the hash keys, FDIRCTRL, INIT_DONE awaited, the
     * statistics read to clear. With no allocation the flow director is left off (FDIRCTRL 0).
     *
     * @throws io.nicq.ixgbe.DeviceTimeoutException when INIT_DONE never sets
     */
    static void initialise(final Bar bar, final CardDriver.Context ctx, final CardLog log)
    {
        final int pballoc = ctx.flowDirectorAllocation();
        if (pballoc == FDIRCTRL_PBALLOC_NONE)
        {
            bar.write(FDIRCTRL, 0);                                   // 8.2.3.21.1 FDIRCTRL: flow director off
            log.info("flow director off: filters beyond the 128 5-tuple filters are matched in software");
            return;
        }
        final int tableBytes = fdirPacketBufferBytes(pballoc);
        // 8.2.3.8.9 RXPBSIZE(0): the table lives in the RX packet buffer; what TC 0 had must leave it room first.
        final int limit = RX_PACKET_BUFFER_BYTES - tableBytes;
        final int rxpbsize = bar.read(rxpbsize(0));
        if (rxpbsize > limit)
        {
            bar.write(rxpbsize(0), limit);
        }
        final boolean compareSource = ctx.flowDirectorMatch() == FlowDirectorMatch.CONNECTIONS;
        // 8.2.3.21.9 FDIRM: VLAN, pool, flexible bytes and IPv6 not compared; the L4 protocol compared.
        bar.write(FDIRM, FDIRM_VLANID | FDIRM_VLANP | FDIRM_POOL | FDIRM_FLEX | FDIRM_DIPV6);
        // 8.2.3.21.10/11 FDIRTCPM, FDIRUDPM: the destination port always, the source port for connections.
        final int portMask = FlowDirectorFields.portMask(compareSource ? 0xFFFF : 0, 0xFFFF);
        bar.write(FDIRTCPM, portMask);
        bar.write(FDIRUDPM, portMask);
        // 8.2.3.21.7/8 FDIRSIP4M, FDIRDIP4M: the destination address always, the source address for connections.
        bar.write(FDIRSIP4M, FlowDirectorFields.addressMask(compareSource ? 0xFFFFFFFF : 0));
        bar.write(FDIRDIP4M, FlowDirectorFields.addressMask(0xFFFFFFFF));
        bar.write(FDIRHKEY, FDIR_BUCKET_HASH_KEY);                    // 8.2.3.21.2 FDIRHKEY: the bucket hash key
        bar.write(FDIRSKEY, FDIR_SIGNATURE_HASH_KEY);                 // 8.2.3.21.3 FDIRSKEY (signature mode only)
        // 8.2.3.21.1 FDIRCTRL: perfect match, PBALLOC, drop queue, flexible bytes at the ethertype, chains of 10.
        bar.write(FDIRCTRL, pballoc | FDIRCTRL_PERFECT_MATCH | DROP_QUEUE << FDIRCTRL_DROP_QUEUE_SHIFT |
            FLEX_OFFSET_WORDS << FDIRCTRL_FLEX_OFFSET_SHIFT | MAX_CHAIN_LENGTH << FDIRCTRL_MAX_LENGTH_SHIFT |
            FULL_THRESHOLD << FDIRCTRL_FULL_THRESH_SHIFT);
        bar.await(FDIRCTRL, FDIRCTRL_INIT_DONE, true, ctx.flowDirectorInitTimeoutNs(),
            "flow director table was not initialised", "FDIRCTRL.INIT_DONE");
        // 8.2.3.21.5/6/12/13: the flow director's statistics are clear on read; read once so they count from zero.
        bar.read(FDIRUSTAT);
        bar.read(FDIRFSTAT);
        bar.read(FDIRMATCH);
        bar.read(FDIRMISS);
        bar.read(FDIRLEN);
        log.info("flow director: " + fdirPerfectCapacity(pballoc) + " perfect-match filters for " +
            (compareSource ? "TCP connections" : "UDP and TCP ports") + " (FDIRCTRL.INIT_DONE), " +
            tableBytes / 1024 + " KiB of the RX packet buffer; RXPBSIZE(0) = " + bar.read(rxpbsize(0)) / 1024 +
            " KiB");
    }

    /** Whether the global masks can express this filter (and the flow director is on). */
    boolean canHold(final FilterRegistration filter)
    {
        if (capacity == 0)
        {
            return false;
        }
        final boolean connection = filter.kind() == FilterKind.TCP_CONNECTION;
        return match == FlowDirectorMatch.CONNECTIONS ? connection : !connection;
    }

    /** Filters that can still be added. */
    int free()
    {
        return capacity - used;
    }

    int capacity()
    {
        return capacity;
    }

    /** Adds the device refused (duplicate or table full, as FDIRFSTAT.FADD reported them). */
    long failedAdds()
    {
        return failedAdds;
    }

    /**
     * Programs a perfect-match filter; {@link #canHold} must be true and {@link #free} above 0.
     *
     * @return false if the device reported the add failed (nothing is placed)
     * @throws io.nicq.ixgbe.DeviceTimeoutException when FDIRCMD.CMD never clears
     */
    boolean add(final FilterRegistration filter)
    {
        int swIndex = 0;
        while (bySwIndex[swIndex] != null)
        {
            swIndex++;
        }
        final int flowType = flowType(filter);
        final boolean connection = filter.kind() == FilterKind.TCP_CONNECTION;
        final int sourceIp = connection ? filter.remoteIp() : 0;
        final int sourcePort = connection ? filter.remotePort() : 0;
        final int bucket = FlowDirectorHash.perfectBucket(FDIR_BUCKET_HASH_KEY, pballoc, flowType, filter.localIp(),
            sourceIp, sourcePort, filter.localPort());

        bar.write(FDIRIPSA, FlowDirectorFields.address(sourceIp));                   // 8.2.3.21.14 FDIRIPSA
        bar.write(FDIRIPDA, FlowDirectorFields.address(filter.localIp()));           // 8.2.3.21.15 FDIRIPDA
        bar.write(FDIRPORT, FlowDirectorFields.ports(sourcePort, filter.localPort())); // 8.2.3.21.16 FDIRPORT
        bar.write(FDIRVLAN, 0);                                                       // 8.2.3.21.17 no VLAN, no flex
        bar.write(FDIRHASH, FlowDirectorFields.hash(bucket, swIndex));               // 8.2.3.21.19 FDIRHASH
        // 8.2.3.21.20 FDIRCMD: the filter goes live when the device has carried the command out.
        bar.write(FDIRCMD, FlowDirectorFields.addCommand(flowType, filter.queueId(), false));
        try
        {
            awaitCommand("add");
        }
        catch (final DeviceTimeoutException ex)
        {
            // The card may still carry the add out: its SW index is never handed out again, so a late filter in
            // the table cannot be mistaken for another one.
            bySwIndex[swIndex] = filter;
            used++;
            throw ex;
        }
        // 8.2.3.21.6 FDIRFSTAT.FADD: the device's word on whether it took the filter (clear on read; ours alone).
        if ((bar.read(FDIRFSTAT) & FDIRFSTAT_FADD_MASK) != 0)
        {
            failedAdds++;
            return false;
        }
        bySwIndex[swIndex] = filter;
        used++;
        filter.place(FilterPlacement.FLOW_DIRECTOR, swIndex);
        filter.flowDirectorBucket(bucket);
        return true;
    }

    /** Removes a filter {@link #add} placed. */
    void remove(final FilterRegistration filter)
    {
        final int swIndex = filter.hardwareIndex();
        final int fdirhash = FlowDirectorFields.hash(filter.flowDirectorBucket(), swIndex);
        bar.write(FDIRHASH, fdirhash);                                // 8.2.3.21.19 FDIRHASH: bucket and SW index
        bar.write(FDIRCMD, FDIRCMD_CMD_QUERY);                        // 8.2.3.21.20 FDIRCMD: is it there?
        if ((awaitCommand("query") & FDIRCMD_FILTER_VALID) != 0)
        {
            bar.write(FDIRHASH, fdirhash);                            // 8.2.3.21.19 FDIRHASH again, as DPDK does
            bar.write(FDIRCMD, FDIRCMD_CMD_REMOVE);                   // 8.2.3.21.20 FDIRCMD: remove it
            awaitCommand("remove");
        }
        bySwIndex[swIndex] = null;
        used--;
    }

    /** The flow type of ixgbe's ATR input for a filter: TCPv4 or UDPv4. */
    static int flowType(final FilterRegistration filter)
    {
        return filter.kind() == FilterKind.UDP_PORT ? FDIR_FLOW_TYPE_UDPV4 : FDIR_FLOW_TYPE_TCPV4;
    }

    private int awaitCommand(final String what)
    {
        bar.await(FDIRCMD, FDIRCMD_CMD_MASK, false, commandTimeoutNs, "flow director " + what + " did not complete",
            "FDIRCMD.CMD");
        return bar.read(FDIRCMD);
    }
}
