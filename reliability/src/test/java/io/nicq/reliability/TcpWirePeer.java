package io.nicq.reliability;

import java.util.Arrays;

import static io.nicq.reliability.WireFrames.be16;
import static io.nicq.reliability.WireFrames.be32;
import static io.nicq.reliability.WireFrames.mac;
import static io.nicq.reliability.WireFrames.pseudoSum;
import static io.nicq.reliability.WireFrames.putMac;
import static io.nicq.reliability.WireFrames.sum;

/**
 * The far end of an {@link EmbeddedInstance}'s memory wire playing a TCP host ({@link EmbeddedInstance#PEER_IP},
 * {@link EmbeddedInstance#PEER_MAC}): it builds Ethernet/IPv4/TCP frames byte by byte (independently of the packet
 * module's flyweights, so the stack's parsing is checked against a second reading), answers the card's ARP requests
 * for its address, and parses the TCP segments the card sends.
 */
final class TcpWirePeer
{
    static final int FIN = 0x01;
    static final int SYN = 0x02;
    static final int RST = 0x04;
    static final int PSH = 0x08;
    static final int ACK = 0x10;
    static final int URG = 0x20;

    private static final int L3 = 14;
    private static final int L4 = L3 + 20;

    private final EmbeddedInstance instance;
    private int identification;
    private long arpAnswered;

    TcpWirePeer(final EmbeddedInstance instance)
    {
        this.instance = instance;
    }

    /** A segment as the card sent it, or as the peer builds it. */
    record Segment(int sourcePort, int destinationPort, int seq, int ack, int flags, int window, byte[] options,
        byte[] payload)
    {
        boolean has(final int flag)
        {
            return (flags & flag) != 0;
        }

        public String toString()
        {
            return "Segment{" + sourcePort + "->" + destinationPort + " seq=" + Integer.toUnsignedString(seq) +
                " ack=" + Integer.toUnsignedString(ack) + " flags=0x" + Integer.toHexString(flags) + " win=" + window +
                " options=" + options.length + " payload=" + payload.length + "}";
        }
    }

    /** A frame from the peer to the card carrying {@code segment}, every checksum right. */
    byte[] frame(final Segment segment)
    {
        final int headerLength = 20 + ((segment.options.length + 3) & ~3);
        final int tcpLength = headerLength + segment.payload.length;
        final byte[] f = new byte[Math.max(60, L4 + tcpLength)];
        putMac(f, 0, instance.cardMac());
        putMac(f, 6, EmbeddedInstance.PEER_MAC);
        be16(f, 12, 0x0800);
        f[L3] = 0x45;
        be16(f, L3 + 2, 20 + tcpLength);
        be16(f, L3 + 4, identification++ & 0xFFFF);
        be16(f, L3 + 6, 0x4000);
        f[L3 + 8] = 64;
        f[L3 + 9] = 6;
        be32(f, L3 + 12, EmbeddedInstance.PEER_IP);
        be32(f, L3 + 16, EmbeddedInstance.CARD_IP);
        be16(f, L3 + 10, ~sum(f, L3, 20, 0) & 0xFFFF);
        be16(f, L4, segment.sourcePort);
        be16(f, L4 + 2, segment.destinationPort);
        be32(f, L4 + 4, segment.seq);
        be32(f, L4 + 8, segment.ack);
        f[L4 + 12] = (byte)((headerLength / 4) << 4);
        f[L4 + 13] = (byte)segment.flags;
        be16(f, L4 + 14, segment.window);
        System.arraycopy(segment.options, 0, f, L4 + 20, segment.options.length);
        System.arraycopy(segment.payload, 0, f, L4 + headerLength, segment.payload.length);
        tcpChecksum(f);
        return f;
    }

    /** Recomputes the TCP checksum of a frame built by {@link #frame} (after a mutation of its segment). */
    static void tcpChecksum(final byte[] f)
    {
        final int tcpLength = be16(f, L3 + 2) - 20;
        be16(f, L4 + 16, 0);
        be16(f, L4 + 16, ~sum(f, L4, tcpLength, pseudoSum(be32(f, L3 + 12), be32(f, L3 + 16), 6, tcpLength)) &
            0xFFFF);
    }

    boolean inject(final byte[] frame)
    {
        return instance.wire().inject(frame);
    }

    /**
     * The next TCP segment the card sent to the peer, answering ARP requests for the peer's address on the way and
     * skipping everything else; null if the wire has nothing now.
     */
    Segment take()
    {
        byte[] f;
        while ((f = instance.wire().pollTransmitted()) != null)
        {
            final int etherType = be16(f, 12);
            if (etherType == 0x0806)
            {
                answerArp(f);
                continue;
            }
            if (etherType != 0x0800 || f.length < L4 + 20 || f[L3 + 9] != 6 ||
                be32(f, L3 + 16) != EmbeddedInstance.PEER_IP)
            {
                continue;
            }
            final int ihl = (f[L3] & 0x0F) * 4;
            final int l4 = L3 + ihl;
            final int tcpLength = be16(f, L3 + 2) - ihl;
            final int headerLength = ((f[l4 + 12] & 0xFF) >>> 4) * 4;
            // A right checksum makes the one's complement sum over pseudo-header and segment all ones.
            if (sum(f, l4, tcpLength, pseudoSum(be32(f, L3 + 12), be32(f, L3 + 16), 6, tcpLength)) != 0xFFFF)
            {
                throw new AssertionError("the card sent a TCP segment with a bad checksum: " +
                    Arrays.toString(Arrays.copyOf(f, Math.min(f.length, 80))));
            }
            return new Segment(be16(f, l4), be16(f, l4 + 2), be32(f, l4 + 4), be32(f, l4 + 8), f[l4 + 13] & 0xFF,
                be16(f, l4 + 14), Arrays.copyOfRange(f, l4 + 20, l4 + headerLength),
                Arrays.copyOfRange(f, l4 + headerLength, l4 + tcpLength));
        }
        return null;
    }

    private void answerArp(final byte[] request)
    {
        // Request (operation 1) for the peer's address: answer from the peer's MAC.
        if (request.length < 42 || be16(request, 20) != 1 || be32(request, 38) != EmbeddedInstance.PEER_IP)
        {
            return;
        }
        final byte[] reply = new byte[60];
        putMac(reply, 0, mac(request, 6));
        putMac(reply, 6, EmbeddedInstance.PEER_MAC);
        be16(reply, 12, 0x0806);
        be16(reply, 14, 1);
        be16(reply, 16, 0x0800);
        reply[18] = 6;
        reply[19] = 4;
        be16(reply, 20, 2);
        putMac(reply, 22, EmbeddedInstance.PEER_MAC);
        be32(reply, 28, EmbeddedInstance.PEER_IP);
        putMac(reply, 32, mac(request, 22));
        be32(reply, 38, be32(request, 28));
        instance.wire().inject(reply);
        arpAnswered++;
    }

    long arpAnswered()
    {
        return arpAnswered;
    }
}
