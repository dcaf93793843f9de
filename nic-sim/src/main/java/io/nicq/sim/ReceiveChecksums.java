package io.nicq.sim;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import io.nicq.ixgbe.RxDescriptor;

/**
 * What the 82599's receive checksum offload reports in an advanced write-back: for an IPv4 frame IPCS and, if the
 * header checksum is wrong, IPE; for TCP or UDP in an unfragmented IPv4 datagram L4CS (and UDPCS for UDP) and, if the
 * checksum over the pseudo header and segment is wrong, TCPE; the packet type (IPv4, TCP, UDP) in the packet-info
 * field. It reproduces the part's erratum too: a UDP datagram whose checksum field is 0 ("no checksum", RFC 768) is
 * marked TCPE, which drivers must not take for an error (Linux's {@code __IXGBE_RX_CSUM_UDP_ZERO_ERR}).
 * <p>
 * One instance per device loop; {@link #evaluate} overwrites the two results, nothing is allocated.
 */
final class ReceiveChecksums
{
    private static final VarHandle LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN)
        .varHandle();
    private static final VarHandle SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN)
        .varHandle();
    private static final int ETHERTYPE_OFFSET = 12;
    private static final int ETHERNET_HEADER = 14;
    private static final int VLAN_TAG = 4;
    private static final int ETHERTYPE_VLAN = 0x8100;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int IPV4_MIN_HEADER = 20;
    private static final int UDP_HEADER = 8;
    private static final int TCP_MIN_HEADER = 20;
    private static final int PROTOCOL_TCP = 6;
    private static final int PROTOCOL_UDP = 17;
    private static final int VERIFIES = 0xFFFF;

    private int statusError;
    private int packetType;

    /** Status and error bits of the last frame evaluated (to be OR-ed into its EOP descriptor's write-back). */
    int statusError()
    {
        return statusError;
    }

    /** Packet type bits of the last frame evaluated (to be OR-ed into the packet-info field). */
    int packetType()
    {
        return packetType;
    }

    void evaluate(final MemorySegment frame, final long offset, final int length)
    {
        statusError = 0;
        packetType = 0;
        int l3 = ETHERNET_HEADER;
        if (length < ETHERNET_HEADER)
        {
            return;
        }
        int etherType = u16(frame, offset + ETHERTYPE_OFFSET);
        if (etherType == ETHERTYPE_VLAN && length >= ETHERNET_HEADER + VLAN_TAG)
        {
            etherType = u16(frame, offset + ETHERTYPE_OFFSET + VLAN_TAG);
            l3 += VLAN_TAG;
        }
        if (etherType != ETHERTYPE_IPV4 || length < l3 + IPV4_MIN_HEADER)
        {
            return;
        }
        final long ip = offset + l3;
        final int versionIhl = frame.get(ValueLayout.JAVA_BYTE, ip) & 0xFF;
        final int headerLength = (versionIhl & 0xF) * 4;
        if ((versionIhl >>> 4) != 4 || headerLength < IPV4_MIN_HEADER || length < l3 + headerLength)
        {
            return;
        }
        packetType = RxDescriptor.PACKET_INFO_TYPE_IPV4;
        statusError = RxDescriptor.STATUS_IPCS |
            (fold(sum(frame, ip, headerLength, 0)) == VERIFIES ? 0 : RxDescriptor.ERROR_IPE);

        final int totalLength = u16(frame, ip + 2);
        final int fragment = u16(frame, ip + 6) & 0x3FFF;
        final int protocol = frame.get(ValueLayout.JAVA_BYTE, ip + 9) & 0xFF;
        final int segmentLength = totalLength - headerLength;
        if (fragment != 0 || segmentLength <= 0 || l3 + totalLength > length)
        {
            return; // a fragment or a truncated datagram: no L4 verdict
        }
        final long l4 = ip + headerLength;
        if (protocol == PROTOCOL_UDP)
        {
            packetType |= RxDescriptor.PACKET_INFO_TYPE_UDP;
            if (segmentLength < UDP_HEADER)
            {
                return;
            }
            statusError |= RxDescriptor.STATUS_L4CS | RxDescriptor.STATUS_UDPCS;
            // The erratum: a zero checksum field is "no checksum", yet the part marks it TCPE.
            if (u16(frame, l4 + 6) == 0 || !l4Verifies(frame, ip, l4, protocol, segmentLength))
            {
                statusError |= RxDescriptor.ERROR_TCPE;
            }
        }
        else if (protocol == PROTOCOL_TCP)
        {
            packetType |= RxDescriptor.PACKET_INFO_TYPE_TCP;
            if (segmentLength < TCP_MIN_HEADER)
            {
                return;
            }
            statusError |= RxDescriptor.STATUS_L4CS;
            if (!l4Verifies(frame, ip, l4, protocol, segmentLength))
            {
                statusError |= RxDescriptor.ERROR_TCPE;
            }
        }
    }

    private static boolean l4Verifies(final MemorySegment frame, final long ip, final long l4, final int protocol,
        final int segmentLength)
    {
        // Pseudo header: source and destination address, zero and protocol, segment length.
        final long pseudo = (long)u16(frame, ip + 12) + u16(frame, ip + 14) + u16(frame, ip + 16) +
            u16(frame, ip + 18) + protocol + segmentLength;
        return fold(sum(frame, l4, segmentLength, pseudo)) == VERIFIES;
    }

    /** One's complement sum of big-endian 16-bit words, eight bytes at a time, carries deferred (RFC 1071). */
    private static long sum(final MemorySegment frame, final long start, final int length, final long initial)
    {
        long acc = initial;
        long at = start;
        final long end = start + length;
        while (at + 8 <= end)
        {
            final long word = (long)LONG_BE.get(frame, at);
            acc += (word >>> 32) + (word & 0xFFFF_FFFFL);
            at += 8;
        }
        while (at + 2 <= end)
        {
            acc += u16(frame, at);
            at += 2;
        }
        if (at < end)
        {
            acc += (frame.get(ValueLayout.JAVA_BYTE, at) & 0xFF) << 8;
        }
        return acc;
    }

    private static int fold(final long sum)
    {
        long acc = sum;
        while ((acc >>> 16) != 0)
        {
            acc = (acc & 0xFFFF) + (acc >>> 16);
        }
        return (int)acc;
    }

    private static int u16(final MemorySegment frame, final long at)
    {
        return Short.toUnsignedInt((short)SHORT_BE.get(frame, at));
    }
}
