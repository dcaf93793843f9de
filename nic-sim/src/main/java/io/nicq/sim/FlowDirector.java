package io.nicq.sim;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

import io.nicq.ixgbe.FlowDirectorHash;

import static io.nicq.ixgbe.Registers.*;
import static io.nicq.ixgbe.SimulatedCardFiles.FDIR_CLEAR_LATCH_OFFSET;
import static io.nicq.ixgbe.SimulatedCardFiles.FDIR_PACKET_BUFFER_OVERLAPS_OFFSET;
import static io.nicq.ixgbe.SimulatedCardFiles.RX_PACKET_BUFFER_BYTES_OFFSET;

/**
 * The 82599's flow director in perfect-match mode (datasheet 7.1.2.7), consulted after the ethertype, 5-tuple and SYN
 * filters and before RSS.
 * <p>
 * Control (on every look at the registers, {@link #onControlWrites}):
 * <ul>
 *   <li>FDIRCTRL with PBALLOC 1..3 and INIT_DONE clear initialises the filter table in on-chip memory: empty, FDIRFREE
 *       = 2K, 4K or 8K, then INIT_DONE is set. The table takes 64, 128 or 256 KiB of the 512 KiB RX packet buffer:
 *       what traffic class 0 keeps is RXPBSIZE(0) cut to what the table leaves, written to the status page; an
 *       RXPBSIZE(0..7) that overlaps the table (software must reduce it first, 7.1.2.7.? / DPDK) is counted. PBALLOC 0
 *       is "off": the table is gone and nothing matches. FDIRCMD.CLEARHT empties the table.</li>
 *   <li>FDIRCMD.CMD: ADD takes the filter's fields from FDIRIPSA, FDIRIPDA, FDIRPORT, FDIRVLAN and the flow type,
 *       queue and action from FDIRCMD, and links it into the bucket FDIRHASH names (the device trusts the driver's
 *       hash: a wrong one puts the filter where no frame looks). A filter for the same flow in that bucket is updated
 *       with FILTER_UPDATE, else the add fails; with no free entry it fails too. A failed add counts in
 *       FDIRFSTAT.FADD and changes nothing. REMOVE unlinks the filter with FDIRHASH's bucket and SW index (or counts
 *       FDIRFSTAT.FREMOVE); QUERY sets FDIRCMD.FILTER_VALID when there is one. CMD then reads 0 (self-clearing);
 *       FDIRFREE (free entries, collisions), FDIRUSTAT and FDIRLEN (the longest chain and its bucket) follow.</li>
 *   <li>The global masks (FDIRM, FDIRSIP4M, FDIRDIP4M, FDIRTCPM, FDIRUDPM) and FDIRHKEY are reread.</li>
 * </ul>
 * Receive ({@link #queueFor}): the frame's flow (type, addresses, ports, VLAN tag, flexible bytes) masked, hashed with
 * FDIRHKEY ({@link FlowDirectorHash}), its bucket's chain walked; a match steers to the filter's queue (or
 * FDIRCTRL.DROP_QUEUE with DROP) and counts FDIRMATCH, else FDIRMISS. Not modelled: signature mode (its adds fail,
 * nothing matches), IPv6, pools, the FDIRErr bits of the write-back, the full-threshold interrupt.
 * <p>
 * Nothing is allocated after construction: the table's arrays are sized for the largest allocation (8K entries).
 */
final class FlowDirector
{
    /** The result of {@link #queueFor} when no filter matched: the next stage decides. */
    static final int NO_MATCH = -1;

    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final int MAX_ENTRIES = fdirPerfectCapacity(FDIRCTRL_PBALLOC_256K);
    private static final int MAX_BUCKETS = fdirBucketMask(FDIRCTRL_PBALLOC_256K) + 1;
    private static final int NONE = -1;
    /** Flow type "IPv4, no L4 header the flow director knows" (ixgbe's IXGBE_ATR_FLOW_TYPE_IPV4). */
    private static final int FLOW_TYPE_IPV4 = 0;
    /** The L4 bits of a flow type (FDIRM.L4P masks them). */
    private static final int FLOW_TYPE_L4_MASK = 0x3;

    // Table: chains of entries per bucket, entries from a free list.
    private final int[] bucketHead = new int[MAX_BUCKETS];
    private final int[] next = new int[MAX_ENTRIES];
    private final int[] entryBucket = new int[MAX_ENTRIES];
    private final int[] entryFlowType = new int[MAX_ENTRIES];
    private final int[] entrySourceIp = new int[MAX_ENTRIES];
    private final int[] entryDestinationIp = new int[MAX_ENTRIES];
    private final int[] entryPorts = new int[MAX_ENTRIES];
    private final int[] entryVlanFlex = new int[MAX_ENTRIES];
    private final int[] entrySwIndex = new int[MAX_ENTRIES];
    private final int[] entryQueue = new int[MAX_ENTRIES];
    private final boolean[] entryDrop = new boolean[MAX_ENTRIES];
    private final int[] bucketLength = new int[MAX_BUCKETS];
    private int freeHead = NONE;

    // Configuration from the registers.
    private boolean initialised;
    private boolean perfectMatch;
    private int capacity;
    private int bucketMask;
    private int used;
    private int collisions;
    private int dropQueue;
    private int flexOffset;
    private boolean reportStatus;
    private int hashKey;
    private boolean maskVlanId;
    private boolean maskVlanPriority;
    private boolean maskL4Type;
    private boolean maskFlex;
    private int sourceIpMask;
    private int destinationIpMask;
    private int tcpPortMask;
    private int udpPortMask;

    // Counts gathered on the receive path, added to FDIRMATCH/FDIRMISS by flush().
    private long matches;
    private long misses;
    private int lastMatchId;

    FlowDirector()
    {
        clearTable();
    }

    /** Whether a table is initialised (FDIRCTRL.INIT_DONE was set by this device). */
    boolean isEnabled()
    {
        return initialised;
    }

    /** Filters in the table. */
    int size()
    {
        return used;
    }

    /** Whether the last match should be reported in the write-back (FDIRCTRL.REPORT_STATUS). */
    boolean reportsStatus()
    {
        return reportStatus;
    }

    /** The bucket hash and SW index of the last matched filter, as REPORT_STATUS writes it in the RSS field. */
    int lastMatchId()
    {
        return lastMatchId;
    }

    /** Acts on FDIRCTRL and FDIRCMD and rereads the masks; the device calls it on every look at the registers. */
    void onControlWrites(final MemorySegment bar)
    {
        final int fdirctrl = reg(bar, FDIRCTRL);
        final int pballoc = fdirctrl & FDIRCTRL_PBALLOC_MASK;
        if (pballoc == FDIRCTRL_PBALLOC_NONE)
        {
            if (initialised)
            {
                initialised = false;
                clearTable();
                writeFree(bar);
            }
        }
        else if ((fdirctrl & FDIRCTRL_INIT_DONE) == 0)
        {
            initialise(bar, fdirctrl, pballoc);
        }
        if (initialised)
        {
            perfectMatch = (fdirctrl & FDIRCTRL_PERFECT_MATCH) != 0;
            dropQueue = (fdirctrl & FDIRCTRL_DROP_QUEUE_MASK) >>> FDIRCTRL_DROP_QUEUE_SHIFT;
            flexOffset = 2 * ((fdirctrl & FDIRCTRL_FLEX_OFFSET_MASK) >>> FDIRCTRL_FLEX_OFFSET_SHIFT);
            reportStatus = (fdirctrl & (FDIRCTRL_REPORT_STATUS | FDIRCTRL_REPORT_STATUS_ALWAYS)) != 0;
        }
        writePacketBuffer(bar, pballoc);

        hashKey = reg(bar, FDIRHKEY);
        final int fdirm = reg(bar, FDIRM);
        maskVlanId = (fdirm & FDIRM_VLANID) != 0;
        maskVlanPriority = (fdirm & FDIRM_VLANP) != 0;
        maskL4Type = (fdirm & FDIRM_L4P) != 0;
        maskFlex = (fdirm & FDIRM_FLEX) != 0;
        // Masks: a set bit is "do not compare". Addresses as a little-endian load of network order, like SAQF.
        sourceIpMask = ~Integer.reverseBytes(reg(bar, FDIRSIP4M));
        destinationIpMask = ~Integer.reverseBytes(reg(bar, FDIRDIP4M));
        tcpPortMask = ~portMask(reg(bar, FDIRTCPM));
        udpPortMask = ~portMask(reg(bar, FDIRUDPM));

        final int fdircmd = reg(bar, FDIRCMD);
        if ((long)LONG.getAndSet(bar, (long)FDIR_CLEAR_LATCH_OFFSET, 0L) != 0 || (fdircmd & FDIRCMD_CLEARHT) != 0)
        {
            clearTable();
            writeFree(bar);
        }
        final int command = fdircmd & FDIRCMD_CMD_MASK;
        if (command != 0)
        {
            execute(bar, fdircmd, command);
        }
    }

    /**
     * The queue for an IPv4 frame no earlier filter claimed, or {@link #NO_MATCH}.
     *
     * @param protocol        the IP protocol
     * @param sourceIp        host order
     * @param destinationIp   host order
     * @param hasPorts        TCP, UDP or SCTP and not a fragment
     * @param sourcePort      host order (when hasPorts)
     * @param destinationPort host order (when hasPorts)
     * @param vlan            the VLAN tag, 0 if untagged
     */
    int queueFor(
        final MemorySegment frame,
        final long offset,
        final int length,
        final int protocol,
        final int sourceIp,
        final int destinationIp,
        final boolean hasPorts,
        final int sourcePort,
        final int destinationPort,
        final int vlan)
    {
        if (!initialised || !perfectMatch)
        {
            return NO_MATCH;
        }
        final int flowType = !hasPorts ? FLOW_TYPE_IPV4 : protocol == Classifier.IPPROTO_TCP ? FDIR_FLOW_TYPE_TCPV4 :
            protocol == Classifier.IPPROTO_UDP ? FDIR_FLOW_TYPE_UDPV4 : FDIR_FLOW_TYPE_SCTPV4;
        final int flex = flexOffset + 2 <= length ?
            (frame.get(ValueLayout.JAVA_BYTE, offset + flexOffset) & 0xFF) << 8 |
            (frame.get(ValueLayout.JAVA_BYTE, offset + flexOffset + 1) & 0xFF) : 0;
        final int maskedFlow = maskFlowType(flowType);
        final int maskedSource = sourceIp & sourceIpMask;
        final int maskedDestination = destinationIp & destinationIpMask;
        final int maskedPorts = maskPorts(flowType, sourcePort << 16 | destinationPort);
        final int maskedVlanFlex = maskVlanFlex(vlan, flex);

        final int bucket = FlowDirectorHash.hash(hashKey,
            FlowDirectorHash.flowPoolVlan(0, maskedFlow, maskedVlanFlex & 0xFFFF),
            maskedDestination, maskedSource, maskedPorts >>> 16, maskedPorts & 0xFFFF, maskedVlanFlex >>> 16) &
            bucketMask;
        for (int e = bucketHead[bucket]; e != NONE; e = next[e])
        {
            if (sameFlow(e, maskedFlow, maskedSource, maskedDestination, maskedPorts, maskedVlanFlex))
            {
                matches++;
                lastMatchId = bucket | entrySwIndex[e] << FDIRHASH_SW_INDEX_SHIFT;
                return entryDrop[e] ? dropQueue : entryQueue[e];
            }
        }
        misses++;
        return NO_MATCH;
    }

    /** Adds the receive path's match and miss counts to FDIRMATCH and FDIRMISS (clear on read). */
    void flush(final MemorySegment bar)
    {
        if (matches != 0)
        {
            INT.getAndAdd(bar, (long)FDIRMATCH, (int)matches);
            matches = 0;
        }
        if (misses != 0)
        {
            INT.getAndAdd(bar, (long)FDIRMISS, (int)misses);
            misses = 0;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    private void initialise(final MemorySegment bar, final int fdirctrl, final int pballoc)
    {
        clearTable();
        capacity = fdirPerfectCapacity(pballoc);
        bucketMask = fdirBucketMask(pballoc);
        initialised = true;
        if (overlapsPacketBuffer(bar, pballoc))
        {
            LONG.getAndAdd(bar, (long)FDIR_PACKET_BUFFER_OVERLAPS_OFFSET, 1L);
        }
        writeFree(bar);
        // 8.2.3.21.1: INIT_DONE is the device's to set once the table is ready.
        INT.setVolatile(bar, (long)FDIRCTRL, fdirctrl | FDIRCTRL_INIT_DONE);
    }

    private void execute(final MemorySegment bar, final int fdircmd, final int command)
    {
        final int fdirhash = reg(bar, FDIRHASH);
        final int bucket = fdirhash & FDIRHASH_BUCKET_MASK & bucketMask;
        final int swIndex = fdirhash >>> FDIRHASH_SW_INDEX_SHIFT;
        int result = fdircmd & ~(FDIRCMD_CMD_MASK | FDIRCMD_FILTER_VALID);
        if (!initialised || !perfectMatch)
        {
            if (command == FDIRCMD_CMD_ADD)
            {
                addSaturating(bar, FDIRFSTAT, 1, 0, FDIRFSTAT_FADD_MASK);
            }
            else if (command == FDIRCMD_CMD_REMOVE)
            {
                addSaturating(bar, FDIRFSTAT, 1 << FDIRFSTAT_FREMOVE_SHIFT, FDIRFSTAT_FREMOVE_SHIFT,
                    FDIRFSTAT_FREMOVE_MASK);
            }
        }
        else if (command == FDIRCMD_CMD_ADD)
        {
            add(bar, fdircmd, bucket, swIndex);
        }
        else
        {
            final int entry = find(bucket, swIndex);
            if (command == FDIRCMD_CMD_REMOVE)
            {
                if (entry == NONE)
                {
                    addSaturating(bar, FDIRFSTAT, 1 << FDIRFSTAT_FREMOVE_SHIFT, FDIRFSTAT_FREMOVE_SHIFT,
                        FDIRFSTAT_FREMOVE_MASK);
                }
                else
                {
                    unlink(entry);
                    addSaturating(bar, FDIRUSTAT, 1 << FDIRUSTAT_REMOVE_SHIFT, FDIRUSTAT_REMOVE_SHIFT, 0xFFFF0000);
                    writeFree(bar);
                }
            }
            else if (entry != NONE)
            {
                // QUERY: FILTER_VALID, and the filter's queue and flow type where the command keeps them.
                result = (result & ~(FDIRCMD_RX_QUEUE_MASK | FDIRCMD_FLOW_TYPE_MASK)) | FDIRCMD_FILTER_VALID |
                    entryQueue[entry] << FDIRCMD_RX_QUEUE_SHIFT | entryFlowType[entry] << FDIRCMD_FLOW_TYPE_SHIFT;
            }
        }
        // 8.2.3.21.20: CMD reads 0 once the command is done.
        INT.setVolatile(bar, (long)FDIRCMD, result);
    }

    private void add(final MemorySegment bar, final int fdircmd, final int bucket, final int swIndex)
    {
        final int flowType = (fdircmd & FDIRCMD_FLOW_TYPE_MASK) >>> FDIRCMD_FLOW_TYPE_SHIFT;
        final int maskedFlow = maskFlowType(flowType);
        final int maskedSource = Integer.reverseBytes(reg(bar, FDIRIPSA)) & sourceIpMask;
        final int maskedDestination = Integer.reverseBytes(reg(bar, FDIRIPDA)) & destinationIpMask;
        final int port = reg(bar, FDIRPORT);
        final int maskedPorts = maskPorts(flowType, (port & 0xFFFF) << 16 | port >>> FDIRPORT_DESTINATION_SHIFT);
        final int vlanRegister = reg(bar, FDIRVLAN);
        final int maskedVlanFlex = maskVlanFlex(vlanRegister & 0xFFFF, vlanRegister >>> FDIRVLAN_FLEX_SHIFT);
        final int queue = (fdircmd & FDIRCMD_RX_QUEUE_MASK) >>> FDIRCMD_RX_QUEUE_SHIFT;
        final boolean drop = (fdircmd & FDIRCMD_DROP) != 0;

        for (int e = bucketHead[bucket]; e != NONE; e = next[e])
        {
            if (sameFlow(e, maskedFlow, maskedSource, maskedDestination, maskedPorts, maskedVlanFlex))
            {
                if ((fdircmd & FDIRCMD_FILTER_UPDATE) != 0)
                {
                    entryQueue[e] = queue;
                    entryDrop[e] = drop;
                    entrySwIndex[e] = swIndex;
                    addSaturating(bar, FDIRUSTAT, 1, 0, 0xFFFF);
                }
                else
                {
                    addSaturating(bar, FDIRFSTAT, 1, 0, FDIRFSTAT_FADD_MASK);
                }
                return;
            }
        }
        if (used == capacity || freeHead == NONE)
        {
            addSaturating(bar, FDIRFSTAT, 1, 0, FDIRFSTAT_FADD_MASK);
            return;
        }
        final int e = freeHead;
        freeHead = next[e];
        entryBucket[e] = bucket;
        entryFlowType[e] = maskedFlow;
        entrySourceIp[e] = maskedSource;
        entryDestinationIp[e] = maskedDestination;
        entryPorts[e] = maskedPorts;
        entryVlanFlex[e] = maskedVlanFlex;
        entrySwIndex[e] = swIndex;
        entryQueue[e] = queue;
        entryDrop[e] = drop;
        // Appended at the chain's end: filters in one bucket are searched in the order they were added.
        next[e] = NONE;
        if (bucketHead[bucket] == NONE)
        {
            bucketHead[bucket] = e;
        }
        else
        {
            int last = bucketHead[bucket];
            while (next[last] != NONE)
            {
                last = next[last];
            }
            next[last] = e;
            collisions++;
        }
        used++;
        final int chain = ++bucketLength[bucket];
        addSaturating(bar, FDIRUSTAT, 1, 0, 0xFFFF);
        recordLength(bar, bucket, chain);
        writeFree(bar);
    }

    private int find(final int bucket, final int swIndex)
    {
        for (int e = bucketHead[bucket]; e != NONE; e = next[e])
        {
            if (entrySwIndex[e] == swIndex)
            {
                return e;
            }
        }
        return NONE;
    }

    private void unlink(final int entry)
    {
        final int bucket = entryBucket[entry];
        if (bucketHead[bucket] == entry)
        {
            bucketHead[bucket] = next[entry];
        }
        else
        {
            int previous = bucketHead[bucket];
            while (next[previous] != entry)
            {
                previous = next[previous];
            }
            next[previous] = next[entry];
        }
        if (--bucketLength[bucket] > 0)
        {
            collisions--;
        }
        used--;
        next[entry] = freeHead;
        freeHead = entry;
    }

    private boolean sameFlow(final int e, final int flowType, final int sourceIp, final int destinationIp,
        final int ports, final int vlanFlex)
    {
        return entryFlowType[e] == flowType && entrySourceIp[e] == sourceIp &&
            entryDestinationIp[e] == destinationIp && entryPorts[e] == ports && entryVlanFlex[e] == vlanFlex;
    }

    private int maskFlowType(final int flowType)
    {
        return maskL4Type ? flowType & ~FLOW_TYPE_L4_MASK : flowType;
    }

    /** Ports as source [31:16] and destination [15:0], with the mask of the flow type's L4 protocol. */
    private int maskPorts(final int flowType, final int ports)
    {
        final int l4 = flowType & FLOW_TYPE_L4_MASK;
        return l4 == FDIR_FLOW_TYPE_TCPV4 ? ports & tcpPortMask : l4 == FDIR_FLOW_TYPE_UDPV4 ? ports & udpPortMask :
            l4 == FLOW_TYPE_IPV4 ? 0 : ports;
    }

    /** VLAN tag [15:0] (priority [15:13], id [11:0]) and flexible bytes [31:16], with FDIRM's masks. */
    private int maskVlanFlex(final int vlan, final int flex)
    {
        int tag = vlan & 0xFFFF;
        if (maskVlanId)
        {
            tag &= ~0x0FFF;
        }
        if (maskVlanPriority)
        {
            tag &= ~0xE000;
        }
        return (maskFlex ? 0 : (flex & 0xFFFF) << 16) | (tag & 0xEFFF);
    }

    /**
     * FDIRTCPM/FDIRUDPM as source [31:16] and destination [15:0] masks, set bits "not compared": each register half
     * is bit reversed (its bit 0 masks the port's bit 15), the destination in the upper half.
     */
    private static int portMask(final int register)
    {
        final int source = Integer.reverse(register << 16) & 0xFFFF;
        final int destination = Integer.reverse(register & 0xFFFF0000) & 0xFFFF;
        return source << 16 | destination;
    }

    private void clearTable()
    {
        Arrays.fill(bucketHead, NONE);
        Arrays.fill(bucketLength, 0);
        for (int e = 0; e < MAX_ENTRIES; e++)
        {
            next[e] = e + 1 < MAX_ENTRIES ? e + 1 : NONE;
        }
        freeHead = 0;
        used = 0;
        collisions = 0;
    }

    private void writeFree(final MemorySegment bar)
    {
        final int free = initialised ? capacity - used : 0;
        INT.setVolatile(bar, (long)FDIRFREE, free & FDIRFREE_FREE_MASK |
            Math.min(collisions, FDIRFREE_COLL_MASK >>> FDIRFREE_COLL_SHIFT) << FDIRFREE_COLL_SHIFT);
    }

    /** FDIRLEN keeps the longest chain since it was last read (clear on read) and its bucket. */
    private static void recordLength(final MemorySegment bar, final int bucket, final int chain)
    {
        final int length = Math.min(chain, FDIRLEN_MAXLEN_MASK);
        while (true)
        {
            final int current = (int)INT.getVolatile(bar, (long)FDIRLEN);
            if ((current & FDIRLEN_MAXLEN_MASK) >= length)
            {
                return;
            }
            final int value = length | bucket << FDIRLEN_MAXHASH_SHIFT & FDIRLEN_MAXHASH_MASK;
            if (INT.compareAndSet(bar, (long)FDIRLEN, current, value))
            {
                return;
            }
        }
    }

    /** Adds to one field of a clear-on-read register, saturating the field instead of carrying into the next. */
    private static void addSaturating(final MemorySegment bar, final int offset, final int increment, final int shift,
        final int fieldMask)
    {
        while (true)
        {
            final int current = (int)INT.getVolatile(bar, (long)offset);
            if ((current & fieldMask) == fieldMask)
            {
                return;
            }
            if (INT.compareAndSet(bar, (long)offset, current, current + increment))
            {
                return;
            }
        }
    }

    private static boolean overlapsPacketBuffer(final MemorySegment bar, final int pballoc)
    {
        long programmed = 0;
        for (int n = 0; n < PACKET_BUFFER_COUNT; n++)
        {
            programmed += reg(bar, rxpbsize(n)) & 0xFFFFFFFFL;
        }
        return programmed + fdirPacketBufferBytes(pballoc) > RX_PACKET_BUFFER_BYTES;
    }

    /** What traffic class 0 keeps of the RX packet buffer: RXPBSIZE(0), cut to what the filter table leaves. */
    private static void writePacketBuffer(final MemorySegment bar, final int pballoc)
    {
        long others = 0;
        for (int n = 1; n < PACKET_BUFFER_COUNT; n++)
        {
            others += reg(bar, rxpbsize(n)) & 0xFFFFFFFFL;
        }
        final long left = Math.max(0, RX_PACKET_BUFFER_BYTES - fdirPacketBufferBytes(pballoc) - others);
        final long bytes = Math.min(reg(bar, rxpbsize(0)) & 0xFFFFFFFFL, left);
        LONG.setRelease(bar, (long)RX_PACKET_BUFFER_BYTES_OFFSET, bytes);
    }

    private static int reg(final MemorySegment bar, final int offset)
    {
        return (int)INT.getVolatile(bar, (long)offset);
    }
}
