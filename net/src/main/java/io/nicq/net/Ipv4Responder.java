package io.nicq.net;

import io.nicq.packet.EthernetHeader;
import io.nicq.packet.IcmpEcho;
import io.nicq.packet.TcpHeader;
import io.nicq.packet.Ipv4Header;
import org.agrona.MutableDirectBuffer;

/**
 * Writes what one host sends, in the buffer it goes out from: the IPv4 header from this host, a received datagram
 * turned around into a reply to its sender, and the ICMP echo reply (RFC 792) built from the request itself.
 * <pre>
 *   request  | Ethernet a-&gt;b | IPv4 a-&gt;b, IHL n (options) | payload           |
 *   reply    | Ethernet b-&gt;a | IPv4 b-&gt;a, IHL 5 | payload, moved up   |   same buffer, nothing allocated
 * </pre>
 * The rules, one for every reply: the Ethernet destination is the request's source (no neighbour lookup: the sender
 * is on the link, or it is the gateway that forwarded the request), the IPv4 header is a fresh 20-byte one from this
 * host's address (TTL {@link Ipv4Header#DEFAULT_TTL}, DF, the next identification), and IP options are not echoed:
 * the payload moves up behind the shorter header. RFC 1122 (3.2.2.6) asks for Record Route and Timestamp options to
 * be updated and returned, and a source route reversed; this host does neither, so it returns none rather than
 * options that would be wrong. The frame is not padded to 60 bytes: the card pads short frames (HLREG0.TXPADEN).
 * <p>
 * Identification: one counter for everything the host sends through this object. Every datagram carries DF and is
 * never fragmented, so the field only has to change from one datagram to the next (RFC 6864, 4.1). One thread.
 */
public final class Ipv4Responder
{
    /** {@link #answerEcho}: the IPv4 payload is shorter than an ICMP echo header. */
    public static final int ECHO_TRUNCATED = -1;

    /** {@link #answerEcho}: the ICMP checksum does not verify. */
    public static final int ECHO_BAD_CHECKSUM = -2;

    /** {@link #answerEcho}: not an echo request (type 8, code 0) to this host's own address: not answered. */
    public static final int ECHO_NOT_ANSWERED = -3;

    /** {@link #answerTcpReset}: the IPv4 payload is shorter than a TCP header, or its data offset runs past it. */
    public static final int RESET_TRUNCATED = -4;

    /** {@link #answerTcpReset}: the TCP checksum does not verify. */
    public static final int RESET_BAD_CHECKSUM = -5;

    /** {@link #answerTcpReset}: a RST (never answered), or not to this host's own address. */
    public static final int RESET_NOT_ANSWERED = -6;

    private static final int IP_OFFSET = EthernetHeader.HEADER_LENGTH;

    private final long mac;
    private final Ipv4Link link;
    private final EthernetHeader ethernet = new EthernetHeader();
    private final Ipv4Header ip = new Ipv4Header();
    private final IcmpEcho icmp = new IcmpEcho();
    private final TcpHeader tcp = new TcpHeader();
    private int identification;

    /**
     * @param mac  this host's MAC: the Ethernet source of everything it sends.
     * @param link this host's addressing: the IPv4 source of everything it sends.
     */
    public Ipv4Responder(final long mac, final Ipv4Link link)
    {
        this.mac = mac;
        this.link = link;
        this.identification = (int)System.nanoTime() & 0xFFFF;
    }

    /** Bytes of a frame carrying {@code payloadLength} bytes of IPv4 payload behind a 20-byte header. */
    public static int frameLength(final int payloadLength)
    {
        return EthernetHeader.HEADER_LENGTH + Ipv4Header.MIN_HEADER_LENGTH + payloadLength;
    }

    /** Offset of the IPv4 payload in a frame this host sends (20-byte header) that starts at {@code frameOffset}. */
    public static int payloadOffset(final int frameOffset)
    {
        return frameOffset + EthernetHeader.HEADER_LENGTH + Ipv4Header.MIN_HEADER_LENGTH;
    }

    /** The identification for the next datagram. */
    public int nextIdentification()
    {
        identification = (identification + 1) & 0xFFFF;
        return identification;
    }

    /**
     * Writes the 20-byte IPv4 header of a datagram from this host behind the frame's Ethernet header.
     *
     * @param buffer        holding the frame.
     * @param frameOffset   of the frame's Ethernet header.
     * @param destination   IPv4 destination, host order.
     * @param protocol      of the payload.
     * @param payloadLength bytes of payload behind the header.
     * @return the length of the frame.
     */
    public int writeHeader(
        final MutableDirectBuffer buffer,
        final int frameOffset,
        final int destination,
        final int protocol,
        final int payloadLength)
    {
        ip.wrap(buffer, frameOffset + IP_OFFSET).writeHeader(link.address(), destination, protocol,
            Ipv4Header.DEFAULT_TTL, payloadLength, nextIdentification());
        return frameLength(payloadLength);
    }

    /**
     * Turns a received datagram towards its sender in its own buffer: the Ethernet addresses become this host to the
     * request's source, and the first {@code payloadLength} bytes of its IPv4 payload move up behind a 20-byte header
     * (its IP options, if any, are dropped). The IPv4 header itself is left to {@link #writeHeader}, once the reply's
     * payload is final; until then its source address is still the request's.
     *
     * @param buffer        holding the frame, which passed {@link Ipv4Input#check}.
     * @param frameOffset   of the frame's Ethernet header.
     * @param payloadLength bytes of the payload to keep, from where the request's payload starts.
     * @return the offset of the reply's payload, {@link #payloadOffset(int) payloadOffset(frameOffset)}.
     */
    public int turnAround(final MutableDirectBuffer buffer, final int frameOffset, final int payloadLength)
    {
        final int ipOffset = frameOffset + IP_OFFSET;
        final int from = ipOffset + ip.wrap(buffer, ipOffset).headerLength();
        final int to = payloadOffset(frameOffset);
        if (from != to)
        {
            // Overlapping regions: the copy has memmove semantics (Unsafe.copyMemory).
            buffer.putBytes(to, buffer, from, payloadLength);
        }
        ethernet.wrap(buffer, frameOffset);
        ethernet.destination(ethernet.source()).source(mac);
        return to;
    }

    /**
     * Answers an ICMP echo request in place: the request becomes the reply (type 0, checksum adjusted; identifier,
     * sequence and data kept, as RFC 792 asks), turned around to its sender ({@link #turnAround}).
     *
     * @param buffer      holding the frame, whose IPv4 packet passed {@link Ipv4Input#check} and carries ICMP.
     * @param frameOffset of the frame's Ethernet header.
     * @return the length of the reply frame, or {@link #ECHO_TRUNCATED}, {@link #ECHO_BAD_CHECKSUM},
     * {@link #ECHO_NOT_ANSWERED} (the frame is then unchanged).
     */
    public int answerEcho(final MutableDirectBuffer buffer, final int frameOffset)
    {
        final int ipOffset = frameOffset + IP_OFFSET;
        ip.wrap(buffer, ipOffset);
        final int headerLength = ip.headerLength();
        final int icmpLength = ip.totalLength() - headerLength;
        if (icmpLength < IcmpEcho.HEADER_LENGTH)
        {
            return ECHO_TRUNCATED;
        }
        icmp.wrap(buffer, ipOffset + headerLength);
        if (!icmp.verifyChecksum(icmpLength))
        {
            return ECHO_BAD_CHECKSUM;
        }
        final int source = ip.source();
        if (icmp.type() != IcmpEcho.TYPE_ECHO_REQUEST || icmp.code() != 0 || ip.destination() != link.address())
        {
            return ECHO_NOT_ANSWERED;
        }
        icmp.wrap(buffer, turnAround(buffer, frameOffset, icmpLength)).toEchoReply();
        return writeHeader(buffer, frameOffset, source, Ipv4Header.PROTOCOL_ICMP, icmpLength);
    }

    /**
     * Answers a TCP segment that reached no connection and no listener of this host with the reset RFC 9293
     * 3.10.7.1 prescribes, in place ({@link TcpHeader#turnIntoReset}, turned around to its sender), so that a peer's
     * connect to a port nobody serves is refused at once instead of timing out.
     *
     * @param buffer      holding the frame, whose IPv4 packet passed {@link Ipv4Input#check} and carries TCP.
     * @param frameOffset of the frame's Ethernet header.
     * @return the length of the reply frame, or {@link #RESET_TRUNCATED}, {@link #RESET_BAD_CHECKSUM},
     * {@link #RESET_NOT_ANSWERED} (the frame is then unchanged).
     */
    public int answerTcpReset(final MutableDirectBuffer buffer, final int frameOffset)
    {
        final int ipOffset = frameOffset + IP_OFFSET;
        ip.wrap(buffer, ipOffset);
        final int headerLength = ip.headerLength();
        final int segmentLength = ip.totalLength() - headerLength;
        if (segmentLength < TcpHeader.MIN_HEADER_LENGTH)
        {
            return RESET_TRUNCATED;
        }
        tcp.wrap(buffer, ipOffset + headerLength);
        final int tcpHeaderLength = tcp.headerLength();
        if (tcpHeaderLength < TcpHeader.MIN_HEADER_LENGTH || tcpHeaderLength > segmentLength)
        {
            return RESET_TRUNCATED;
        }
        final int source = ip.source();
        if (!tcp.verifyChecksum(source, ip.destination(), segmentLength))
        {
            return RESET_BAD_CHECKSUM;
        }
        if ((tcp.flags() & TcpHeader.FLAG_RST) != 0 || ip.destination() != link.address())
        {
            return RESET_NOT_ANSWERED;
        }
        final int payloadLength = segmentLength - tcpHeaderLength;
        tcp.wrap(buffer, turnAround(buffer, frameOffset, TcpHeader.MIN_HEADER_LENGTH)).turnIntoReset(payloadLength)
            .computeChecksum(link.address(), source, TcpHeader.MIN_HEADER_LENGTH);
        return writeHeader(buffer, frameOffset, source, Ipv4Header.PROTOCOL_TCP, TcpHeader.MIN_HEADER_LENGTH);
    }
}
