package io.nicq.sim;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import io.nicq.packet.EthernetHeader;
import io.nicq.packet.Ipv4Header;
import io.nicq.packet.TcpHeader;

import static io.nicq.ixgbe.Registers.*;

/**
 * The receive filters of the 82599 (datasheet 7.1.1 and 7.1.2), compiled from the filter registers whenever the
 * driver writes registers, and applied to each received frame without allocating.
 * <p>
 * MAC address filter (7.1.1): broadcast passes with FCTRL.BAM (or MPE); multicast passes with FCTRL.MPE (the
 * multicast table array is not modelled); unicast passes with FCTRL.UPE or when it equals a valid RAL/RAH entry.
 * <p>
 * Queue assignment, the first match wins (7.1.2):
 * <ol>
 *   <li>L2 ethertype filters: an enabled ETQF(n) whose ethertype equals the frame's (after one VLAN tag) assigns
 *       ETQS(n).RX_QUEUE if ETQS(n).QUEUE_ENABLE is set; a match without QUEUE_ENABLE does not decide the queue.</li>
 *   <li>The TCP SYN filter, here when SYNQF.SYNQFP gives it priority over the 5-tuple filters.</li>
 *   <li>L3/L4 5-tuple filters over IPv4: each enabled FTQF(n) compares protocol, source and destination address,
 *       source and destination port unless that field's mask bit is set; the fields compare exactly (no prefixes).
 *       Addresses and ports compare in the byte order the registers use: the frame's bytes as a little-endian load
 *       sees them (10.0.0.1 as 0x0100000A; port 53 as 0x3500). A filter that compares ports never matches a frame
 *       without them (a protocol other than TCP/UDP/SCTP, or an IP fragment). Of all matching filters the highest
 *       FTQF.PRIORITY wins; between equal priorities the lower filter index wins (the datasheet leaves this open;
 *       nicq's card driver never relies on it). The queue is L34T_IMIR(n).RX_QUEUE. Pools are not modelled.</li>
 *   <li>The TCP SYN filter (SYNQF.QUEUE_EN): TCP over IPv4 with the SYN flag set goes to SYNQF.RX_QUEUE.</li>
 *   <li>Flow director perfect-match filters ({@link FlowDirector}): IPv4 frames no earlier filter claimed, looked
 *       up by their flow in the table FDIRCMD filled.</li>
 *   <li>RSS when MRQC.MRQE is 1: the Toeplitz hash (RSSRK key) over the fields MRQC enables, queue = low 4 bits of
 *       RETA[hash &amp; 127]; frames of a type without an enabled hash go to queue 0.</li>
 *   <li>Otherwise queue 0.</li>
 * </ol>
 * Only IPv4 is parsed for L3/L4 filtering and RSS; IPv6 frames reach the ethertype filters and then queue 0.
 * <p>
 * This is the device's own parser, deliberately not the {@code io.nicq.packet} flyweights: it reads fields straight
 * from the frame's memory segment in the byte order the registers compare them in, with no buffer to wrap per frame.
 * It shares only the ethertype and protocol constants with the packet module.
 */
final class Classifier
{
    static final int ETHERTYPE_IPV4 = EthernetHeader.ETHER_TYPE_IPV4;
    static final int ETHERTYPE_VLAN = EthernetHeader.ETHER_TYPE_VLAN;
    static final int IPPROTO_TCP = Ipv4Header.PROTOCOL_TCP;
    static final int IPPROTO_UDP = Ipv4Header.PROTOCOL_UDP;
    static final int IPPROTO_SCTP = 132;
    static final int TCP_SYN = TcpHeader.FLAG_SYN;

    /** RSS types the 82599 reports in the packet-info field of the write-back (7.1.6.2). */
    static final int RSS_TYPE_NONE = 0;
    static final int RSS_TYPE_TCP_IPV4 = 1;
    static final int RSS_TYPE_IPV4 = 2;
    static final int RSS_TYPE_UDP_IPV4 = 7;

    private static final VarHandle INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN)
        .varHandle();
    private static final VarHandle SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN)
        .varHandle();
    private static final VarHandle SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN)
        .varHandle();
    private static final VarHandle INT_REG = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private static final int FTQF_FIELD_MASKS = FTQF_MASK_SOURCE_ADDRESS | FTQF_MASK_DESTINATION_ADDRESS |
        FTQF_MASK_SOURCE_PORT | FTQF_MASK_DESTINATION_PORT | FTQF_MASK_PROTOCOL;
    private static final int RSS_KEY_BYTES = 4 * RSSRK_REGISTER_COUNT;
    private static final int RSS_MAX_INPUT_BYTES = 12;

    // MAC filter. The addresses keep the RAL/RAH packing (first octet in bits 7:0, see ReceiveAddress), which is what
    // a little-endian load of a destination address gives: one compare per entry, no byte swap per frame.
    private boolean unicastPromiscuous;
    private boolean multicastPromiscuous;
    private boolean broadcastAccept;
    private final long[] unicastAddresses = new long[RECEIVE_ADDRESS_COUNT];
    private int unicastCount;

    // Ethertype filters
    private final int[] etherTypes = new int[ETHERTYPE_FILTER_COUNT];
    private final int[] etherQueues = new int[ETHERTYPE_FILTER_COUNT];
    private int etherCount;

    // 5-tuple filters, sorted by priority (highest first), then index
    private final int[] ftFlags = new int[FIVE_TUPLE_FILTER_COUNT];
    private final int[] ftProtocol = new int[FIVE_TUPLE_FILTER_COUNT];
    private final int[] ftSource = new int[FIVE_TUPLE_FILTER_COUNT];
    private final int[] ftDestination = new int[FIVE_TUPLE_FILTER_COUNT];
    private final int[] ftPorts = new int[FIVE_TUPLE_FILTER_COUNT];
    private final int[] ftQueue = new int[FIVE_TUPLE_FILTER_COUNT];
    private final long[] ftSortKey = new long[FIVE_TUPLE_FILTER_COUNT];
    private int ftCount;

    // SYN filter
    private boolean synEnabled;
    private boolean synFirst;
    private int synQueue;

    // RSS
    private boolean rssEnabled;
    private int rssFields;
    private final byte[] rssKey = new byte[RSS_KEY_BYTES];
    private final int[] keyWindows = new int[8 * RSS_MAX_INPUT_BYTES];
    private final byte[] reta = new byte[RETA_ENTRY_COUNT];
    private final byte[] rssInput = new byte[RSS_MAX_INPUT_BYTES];

    private final FlowDirector flowDirector = new FlowDirector();

    // Results of the last classify()
    private int rssHash;
    private int rssType;
    private boolean flowDirectorMatched;

    /** Reads every filter register (control path: after the driver wrote registers). */
    void compile(final MemorySegment bar)
    {
        flowDirector.onControlWrites(bar);
        final int fctrl = reg(bar, FCTRL);
        unicastPromiscuous = (fctrl & FCTRL_UPE) != 0;
        multicastPromiscuous = (fctrl & FCTRL_MPE) != 0;
        broadcastAccept = (fctrl & FCTRL_BAM) != 0;
        unicastCount = 0;
        for (int n = 0; n < RECEIVE_ADDRESS_COUNT; n++)
        {
            final int rah = reg(bar, rah(n));
            if ((rah & RAH_AV) != 0)
            {
                unicastAddresses[unicastCount++] = (reg(bar, ral(n)) & 0xFFFF_FFFFL) |
                    ((long)(rah & RAH_ADDRESS_MASK) << 32);
            }
        }

        etherCount = 0;
        for (int n = 0; n < ETHERTYPE_FILTER_COUNT; n++)
        {
            final int etqf = reg(bar, etqf(n));
            if ((etqf & ETQF_FILTER_ENABLE) != 0)
            {
                final int etqs = reg(bar, etqs(n));
                etherTypes[etherCount] = etqf & ETQF_ETHERTYPE_MASK;
                etherQueues[etherCount] = (etqs & ETQS_QUEUE_ENABLE) != 0 ?
                    (etqs & ETQS_RX_QUEUE_MASK) >>> ETQS_RX_QUEUE_SHIFT : -1;
                etherCount++;
            }
        }

        ftCount = 0;
        for (int n = 0; n < FIVE_TUPLE_FILTER_COUNT; n++)
        {
            final int ftqf = reg(bar, ftqf(n));
            if ((ftqf & FTQF_QUEUE_ENABLE) == 0)
            {
                continue;
            }
            final int priority = (ftqf & FTQF_PRIORITY_MASK) >>> FTQF_PRIORITY_SHIFT;
            // Highest priority first, then lowest index: sort ascending by (7 - priority, index).
            ftSortKey[ftCount] = ((long)(7 - priority) << 32) | n;
            ftCount++;
        }
        java.util.Arrays.sort(ftSortKey, 0, ftCount);
        for (int k = 0; k < ftCount; k++)
        {
            final int n = (int)ftSortKey[k];
            final int ftqf = reg(bar, ftqf(n));
            ftFlags[k] = ftqf & FTQF_FIELD_MASKS;
            ftProtocol[k] = ftqf & FTQF_PROTOCOL_MASK;
            ftSource[k] = reg(bar, saqf(n));
            ftDestination[k] = reg(bar, daqf(n));
            ftPorts[k] = reg(bar, sdpqf(n));
            ftQueue[k] = (reg(bar, l34tImir(n)) & L34T_IMIR_RX_QUEUE_MASK) >>> L34T_IMIR_RX_QUEUE_SHIFT;
        }

        final int synqf = reg(bar, SYNQF);
        synEnabled = (synqf & SYNQF_QUEUE_ENABLE) != 0;
        synFirst = (synqf & SYNQF_PRIORITY_OVER_5TUPLE) != 0;
        synQueue = (synqf & SYNQF_RX_QUEUE_MASK) >>> SYNQF_RX_QUEUE_SHIFT;

        final int mrqc = reg(bar, MRQC);
        rssEnabled = (mrqc & MRQC_MRQE_MASK) == MRQC_RSS_ENABLED;
        rssFields = mrqc;
        for (int n = 0; n < RSSRK_REGISTER_COUNT; n++)
        {
            final int value = reg(bar, rssrk(n));
            for (int k = 0; k < 4; k++)
            {
                rssKey[4 * n + k] = (byte)(value >>> (8 * k));
            }
        }
        for (int bit = 0; bit < keyWindows.length; bit++)
        {
            keyWindows[bit] = keyWindow(bit);
        }
        for (int n = 0; n < RETA_REGISTER_COUNT; n++)
        {
            final int value = reg(bar, reta(n));
            for (int k = 0; k < 4; k++)
            {
                reta[4 * n + k] = (byte)((value >>> (8 * k)) & RETA_ENTRY_QUEUE_MASK);
            }
        }
    }

    /** Whether RSS is on (then the RSS hash field of the write-back carries the hash, not the sim's timestamp). */
    boolean isRssEnabled()
    {
        return rssEnabled;
    }

    /** The MAC address filter: whether the frame's destination address passes (frame at least 14 bytes). */
    boolean acceptsDestination(final MemorySegment frame, final long offset)
    {
        final int low = (int)INT_LE.get(frame, offset);
        final int high = (short)SHORT_LE.get(frame, offset + 4) & 0xFFFF;
        if (low == -1 && high == 0xFFFF)
        {
            return broadcastAccept || multicastPromiscuous;
        }
        if ((low & 1) != 0)
        {
            return multicastPromiscuous;
        }
        if (unicastPromiscuous)
        {
            return true;
        }
        final long address = (low & 0xFFFF_FFFFL) | ((long)high << 32);
        for (int i = 0; i < unicastCount; i++)
        {
            if (unicastAddresses[i] == address)
            {
                return true;
            }
        }
        return false;
    }

    /** Whether the destination is the broadcast address. */
    static boolean isBroadcast(final MemorySegment frame, final long offset)
    {
        return (int)INT_LE.get(frame, offset) == -1 && (short)SHORT_LE.get(frame, offset + 4) == -1;
    }

    /** Whether the destination is a multicast (group) address other than broadcast. */
    static boolean isMulticast(final MemorySegment frame, final long offset)
    {
        return (frame.get(ValueLayout.JAVA_BYTE, offset) & 1) != 0 && !isBroadcast(frame, offset);
    }

    /**
     * The RX queue for a frame (at least 14 bytes) that passed the MAC filter; afterwards {@link #rssHash()} and
     * {@link #rssType()} describe the RSS result.
     */
    int classify(final MemorySegment frame, final long offset, final int length)
    {
        rssHash = 0;
        rssType = RSS_TYPE_NONE;
        flowDirectorMatched = false;

        int l3 = 14;
        int etherType = (short)SHORT_BE.get(frame, offset + 12) & 0xFFFF;
        if (etherType == ETHERTYPE_VLAN && length >= 18)
        {
            etherType = (short)SHORT_BE.get(frame, offset + 16) & 0xFFFF;
            l3 = 18;
        }

        for (int i = 0; i < etherCount; i++)
        {
            if (etherTypes[i] == etherType && etherQueues[i] >= 0)
            {
                return etherQueues[i];
            }
        }

        if (etherType != ETHERTYPE_IPV4 || length < l3 + 20)
        {
            return 0;
        }
        final long ip = offset + l3;
        final int versionIhl = frame.get(ValueLayout.JAVA_BYTE, ip) & 0xFF;
        final int headerLength = (versionIhl & 0xF) * 4;
        if ((versionIhl >>> 4) != 4 || headerLength < 20 || length < l3 + headerLength)
        {
            return 0;
        }
        final int protocol = frame.get(ValueLayout.JAVA_BYTE, ip + 9) & 0xFF;
        final int fragment = (short)SHORT_BE.get(frame, ip + 6) & 0x3FFF;
        final int source = (int)INT_LE.get(frame, ip + 12);
        final int destination = (int)INT_LE.get(frame, ip + 16);
        final long l4 = ip + headerLength;
        final boolean hasPorts = fragment == 0 &&
            (protocol == IPPROTO_TCP || protocol == IPPROTO_UDP || protocol == IPPROTO_SCTP) &&
            length >= l3 + headerLength + 4;
        final int ports = hasPorts ? (int)INT_LE.get(frame, l4) : 0;
        final boolean syn = fragment == 0 && protocol == IPPROTO_TCP && length >= l3 + headerLength + 14 &&
            (frame.get(ValueLayout.JAVA_BYTE, l4 + 13) & TCP_SYN) != 0;

        if (synEnabled && synFirst && syn)
        {
            return synQueue;
        }

        final int protocolCode = protocol == IPPROTO_TCP ? FTQF_PROTOCOL_TCP :
            protocol == IPPROTO_UDP ? FTQF_PROTOCOL_UDP :
            protocol == IPPROTO_SCTP ? FTQF_PROTOCOL_SCTP : FTQF_PROTOCOL_OTHER;
        for (int k = 0; k < ftCount; k++)
        {
            final int flags = ftFlags[k];
            if ((flags & FTQF_MASK_PROTOCOL) == 0 && ftProtocol[k] != protocolCode)
            {
                continue;
            }
            if ((flags & FTQF_MASK_SOURCE_ADDRESS) == 0 && ftSource[k] != source)
            {
                continue;
            }
            if ((flags & FTQF_MASK_DESTINATION_ADDRESS) == 0 && ftDestination[k] != destination)
            {
                continue;
            }
            final boolean comparesSourcePort = (flags & FTQF_MASK_SOURCE_PORT) == 0;
            final boolean comparesDestinationPort = (flags & FTQF_MASK_DESTINATION_PORT) == 0;
            if ((comparesSourcePort || comparesDestinationPort) && !hasPorts)
            {
                continue;
            }
            if (comparesSourcePort && (ftPorts[k] & 0xFFFF) != (ports & 0xFFFF))
            {
                continue;
            }
            if (comparesDestinationPort && (ftPorts[k] >>> 16) != (ports >>> 16))
            {
                continue;
            }
            return ftQueue[k];
        }

        if (synEnabled && syn)
        {
            return synQueue;
        }

        final int directed = flowDirector.queueFor(frame, offset, length, protocol, Integer.reverseBytes(source),
            Integer.reverseBytes(destination), hasPorts, Short.reverseBytes((short)ports) & 0xFFFF,
            Short.reverseBytes((short)(ports >>> 16)) & 0xFFFF,
            l3 == 18 ? (short)SHORT_BE.get(frame, offset + 14) & 0xFFFF : 0);
        if (directed != FlowDirector.NO_MATCH)
        {
            flowDirectorMatched = true;
            return directed;
        }

        if (rssEnabled)
        {
            return rss(frame, ip, protocol, fragment, hasPorts);
        }
        return 0;
    }

    /** Whether the last frame was steered by a flow director filter whose match the write-back reports
     * (FDIRCTRL.REPORT_STATUS): then {@link #flowDirectorId()} goes in the RSS field and FLM is set. */
    boolean reportsFlowDirectorMatch()
    {
        return flowDirectorMatched && flowDirector.reportsStatus();
    }

    /** Bucket hash and SW index of the filter that steered the last frame. */
    int flowDirectorId()
    {
        return flowDirector.lastMatchId();
    }

    /** The flow director, for the device's statistics and tests. */
    FlowDirector flowDirector()
    {
        return flowDirector;
    }

    /** RSS hash of the last classified frame (0 if none was computed). */
    int rssHash()
    {
        return rssHash;
    }

    /** RSS type of the last classified frame, for the packet-info field. */
    int rssType()
    {
        return rssType;
    }

    private int rss(final MemorySegment frame, final long ip, final int protocol, final int fragment,
        final boolean hasPorts)
    {
        int inputLength;
        if (hasPorts && protocol == IPPROTO_TCP && (rssFields & MRQC_RSS_FIELD_IPV4_TCP) != 0)
        {
            inputLength = 12;
            rssType = RSS_TYPE_TCP_IPV4;
        }
        else if (hasPorts && protocol == IPPROTO_UDP && (rssFields & MRQC_RSS_FIELD_IPV4_UDP) != 0)
        {
            inputLength = 12;
            rssType = RSS_TYPE_UDP_IPV4;
        }
        else if ((rssFields & MRQC_RSS_FIELD_IPV4) != 0)
        {
            inputLength = 8;
            rssType = RSS_TYPE_IPV4;
        }
        else
        {
            return 0;
        }
        // Source address, destination address, source port, destination port: as they appear in the frame.
        MemorySegment.copy(frame, ValueLayout.JAVA_BYTE, ip + 12, rssInput, 0, 8);
        if (inputLength == 12)
        {
            final long l4 = ip + (frame.get(ValueLayout.JAVA_BYTE, ip) & 0xF) * 4L;
            MemorySegment.copy(frame, ValueLayout.JAVA_BYTE, l4, rssInput, 8, 4);
        }
        rssHash = toeplitz(rssInput, inputLength);
        return reta[rssHash & (RETA_ENTRY_COUNT - 1)];
    }

    /** The Toeplitz hash of the datasheet (7.1.2.8.1) over {@code length} input bytes with the RSSRK key. */
    int toeplitz(final byte[] input, final int length)
    {
        int hash = 0;
        for (int i = 0; i < length; i++)
        {
            final int b = input[i];
            for (int bit = 0; bit < 8; bit++)
            {
                if ((b & (0x80 >>> bit)) != 0)
                {
                    hash ^= keyWindows[8 * i + bit];
                }
            }
        }
        return hash;
    }

    /** The 32 key bits starting at bit {@code start} of the key (bit 0 = the most significant bit of byte 0). */
    private int keyWindow(final int start)
    {
        int window = 0;
        for (int k = 0; k < 32; k++)
        {
            final int bit = start + k;
            final int value = (rssKey[bit >>> 3] >>> (7 - (bit & 7))) & 1;
            window = (window << 1) | value;
        }
        return window;
    }

    private static int reg(final MemorySegment bar, final int offset)
    {
        return (int)INT_REG.getVolatile(bar, (long)offset);
    }
}
