package io.nicq.net;

import io.nicq.packet.EthernetHeader;
import io.nicq.packet.IcmpEcho;
import io.nicq.packet.Ipv4Header;
import io.nicq.packet.UdpHeader;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;

/** Frames built with the packet flyweights for the tests, at an offset inside a larger buffer (as in a slot pool). */
final class TestPackets
{
    static final long HOST_MAC = 0x02_00_00_00_00_01L;
    static final long PEER_MAC = 0x02_00_00_00_00_02L;
    static final int FRAME = 2048;

    private TestPackets()
    {
    }

    /** A buffer of two 2048-byte "slots"; frames go in the second one. */
    static UnsafeBuffer pool()
    {
        return new UnsafeBuffer(new byte[2 * FRAME]);
    }

    /**
     * An Ethernet/IPv4 frame at {@link #FRAME} with {@code optionWords} 32-bit words of IP options (NOPs), returning
     * the offset of its IPv4 payload.
     */
    static int ipv4(final UnsafeBuffer pool, final int source, final int destination, final int protocol,
        final int ttl, final int payloadLength, final int optionWords)
    {
        new EthernetHeader().wrap(pool, FRAME).destination(HOST_MAC).source(PEER_MAC)
            .etherType(EthernetHeader.ETHER_TYPE_IPV4);
        final int headerLength = Ipv4Header.MIN_HEADER_LENGTH + 4 * optionWords;
        final Ipv4Header ip = new Ipv4Header().wrap(pool, FRAME + EthernetHeader.HEADER_LENGTH);
        ip.writeHeader(source, destination, protocol, ttl, payloadLength, 4242);
        if (optionWords > 0)
        {
            ip.versionAndIhl(5 + optionWords).totalLength(headerLength + payloadLength);
            pool.setMemory(ip.offset() + Ipv4Header.MIN_HEADER_LENGTH, 4 * optionWords, (byte)1);
            ip.computeChecksum();
        }
        return ip.offset() + headerLength;
    }

    /** An ICMP echo request at {@link #FRAME}; returns the frame's length. */
    static int echoRequest(final UnsafeBuffer pool, final int source, final int destination, final String data,
        final int optionWords)
    {
        final byte[] bytes = data.getBytes(StandardCharsets.US_ASCII);
        final int icmpLength = IcmpEcho.HEADER_LENGTH + bytes.length;
        final int icmpOffset = ipv4(pool, source, destination, Ipv4Header.PROTOCOL_ICMP, 64, icmpLength, optionWords);
        final IcmpEcho icmp = new IcmpEcho().wrap(pool, icmpOffset).type(IcmpEcho.TYPE_ECHO_REQUEST).code(0)
            .identifier(0x1234).sequence(7);
        pool.putBytes(icmp.dataOffset(), bytes);
        icmp.computeChecksum(icmpLength);
        return icmpOffset + icmpLength - FRAME;
    }

    /** A UDP datagram at {@link #FRAME}; returns the offset of its UDP header. */
    static int udp(final UnsafeBuffer pool, final int source, final int destination, final String payload,
        final int optionWords)
    {
        final byte[] bytes = payload.getBytes(StandardCharsets.US_ASCII);
        final int udpOffset = ipv4(pool, source, destination, Ipv4Header.PROTOCOL_UDP, 64,
            UdpHeader.HEADER_LENGTH + bytes.length, optionWords);
        final UdpHeader udp = new UdpHeader().wrap(pool, udpOffset).writeHeader(40000, 7, bytes.length);
        pool.putBytes(udp.payloadOffset(), bytes);
        udp.computeChecksum(source, destination);
        return udpOffset;
    }
}
