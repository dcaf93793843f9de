package io.nicq.client;

import io.nicq.packet.EthernetHeader;
import io.nicq.packet.IcmpEcho;
import io.nicq.packet.Ipv4Header;
import io.nicq.packet.UdpHeader;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;

/** Frames built by hand with the packet flyweights, for the stack tests (valid ones; tests then break them). */
final class TestFrames
{
    static final int ETH = EthernetHeader.HEADER_LENGTH;
    static final int IP = ETH;
    static final int UDP = ETH + Ipv4Header.MIN_HEADER_LENGTH;

    private TestFrames()
    {
    }

    static UnsafeBuffer udp(final int srcIp, final int dstIp, final int srcPort, final int dstPort, final String text)
    {
        return udp(TestPlane.PEER_MAC, TestPlane.MAC, srcIp, dstIp, srcPort, dstPort,
            text.getBytes(StandardCharsets.US_ASCII), 0);
    }

    /** An Ethernet/IPv4/UDP frame; {@code optionWords} 32-bit words of IP options (NOPs). */
    static UnsafeBuffer udp(
        final long srcMac,
        final long dstMac,
        final int srcIp,
        final int dstIp,
        final int srcPort,
        final int dstPort,
        final byte[] payload,
        final int optionWords)
    {
        final int ipHeader = Ipv4Header.MIN_HEADER_LENGTH + 4 * optionWords;
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[ETH + ipHeader + 8 + payload.length]);
        new EthernetHeader().wrap(frame, 0).destination(dstMac).source(srcMac)
            .etherType(EthernetHeader.ETHER_TYPE_IPV4);
        final UdpHeader udp = new UdpHeader().wrap(frame, ETH + ipHeader).writeHeader(srcPort, dstPort, payload.length);
        frame.putBytes(udp.payloadOffset(), payload);
        udp.computeChecksum(srcIp, dstIp);
        final Ipv4Header ip = new Ipv4Header().wrap(frame, ETH);
        ip.writeHeader(srcIp, dstIp, Ipv4Header.PROTOCOL_UDP, 64, 8 + payload.length, 42);
        if (optionWords > 0)
        {
            ip.versionAndIhl(5 + optionWords).totalLength(ipHeader + 8 + payload.length);
            for (int i = 0; i < 4 * optionWords; i++)
            {
                frame.putByte(ETH + 20 + i, (byte)1);
            }
            ip.computeChecksum();
        }
        return frame;
    }

    static UnsafeBuffer icmpEchoRequest(
        final int srcIp, final int dstIp, final int id, final int seq, final String data)
    {
        return icmpEchoRequest(srcIp, dstIp, id, seq, data, 0);
    }

    /** An ICMP echo request; {@code optionWords} 32-bit words of IP options (NOPs). */
    static UnsafeBuffer icmpEchoRequest(
        final int srcIp, final int dstIp, final int id, final int seq, final String data, final int optionWords)
    {
        final byte[] bytes = data.getBytes(StandardCharsets.US_ASCII);
        final UnsafeBuffer frame = ipv4(srcIp, dstIp, Ipv4Header.PROTOCOL_ICMP, new byte[8 + bytes.length],
            optionWords);
        final int icmpOffset = ETH + Ipv4Header.MIN_HEADER_LENGTH + 4 * optionWords;
        final IcmpEcho icmp = new IcmpEcho().wrap(frame, icmpOffset).type(IcmpEcho.TYPE_ECHO_REQUEST).code(0)
            .identifier(id).sequence(seq);
        frame.putBytes(icmp.dataOffset(), bytes);
        icmp.computeChecksum(8 + bytes.length);
        return frame;
    }

    /** An Ethernet/IPv4 frame from the peer carrying {@code payload} as protocol {@code protocol}. */
    static UnsafeBuffer ipv4(
        final int srcIp, final int dstIp, final int protocol, final byte[] payload, final int optionWords)
    {
        final int ipHeader = Ipv4Header.MIN_HEADER_LENGTH + 4 * optionWords;
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[ETH + ipHeader + payload.length]);
        new EthernetHeader().wrap(frame, 0).destination(TestPlane.MAC).source(TestPlane.PEER_MAC)
            .etherType(EthernetHeader.ETHER_TYPE_IPV4);
        frame.putBytes(ETH + ipHeader, payload);
        final Ipv4Header ip = new Ipv4Header().wrap(frame, ETH);
        ip.writeHeader(srcIp, dstIp, protocol, 64, payload.length, 7);
        if (optionWords > 0)
        {
            ip.versionAndIhl(5 + optionWords).totalLength(ipHeader + payload.length);
            frame.setMemory(ETH + Ipv4Header.MIN_HEADER_LENGTH, 4 * optionWords, (byte)1);
            ip.computeChecksum();
        }
        return frame;
    }

    /** A copy of {@code frame} cut or zero-extended to {@code length} bytes. */
    static UnsafeBuffer resized(final UnsafeBuffer frame, final int length)
    {
        final UnsafeBuffer copy = new UnsafeBuffer(new byte[length]);
        copy.putBytes(0, frame, 0, Math.min(length, frame.capacity()));
        return copy;
    }

    static String text(final org.agrona.DirectBuffer buffer, final int offset, final int length)
    {
        return buffer.getStringWithoutLengthAscii(offset, length);
    }
}
