package io.nicq.reliability;

/**
 * Sequenced UDP traffic for the isolation, exhaustion and crash tests: every datagram names the flow it belongs to
 * (a tag, one per client) and its sequence number in that flow, so a receiver can prove it got its own datagrams,
 * each once, with no gap and nobody else's. An echoing client writes its own tag behind them.
 * <pre>
 *   UDP payload:  0  magic "NICQSEQ1"   8  flow tag   16  sequence   24  tag of the client that echoed (0 = none)
 * </pre>
 */
final class Traffic
{
    static final long MAGIC = 0x315145535143494EL;
    static final int PAYLOAD_LENGTH = 32;
    /** Where the payload starts in a frame built here (Ethernet 14, IPv4 20, UDP 8). */
    static final int PAYLOAD_OFFSET = 42;

    private Traffic()
    {
    }

    /** A UDP datagram from the peer (10.0.0.2) to the card's address and {@code port}. */
    static byte[] udp(final long cardMac, final int cardIp, final int port, final long tag, final long sequence)
    {
        final int udpLength = 8 + PAYLOAD_LENGTH;
        final byte[] f = new byte[Math.max(60, 14 + 20 + udpLength)];
        WireFrames.putMac(f, 0, cardMac);
        WireFrames.putMac(f, 6, EmbeddedInstance.PEER_MAC);
        WireFrames.be16(f, 12, 0x0800);
        f[14] = 0x45;
        WireFrames.be16(f, 16, 20 + udpLength);
        WireFrames.be16(f, 18, (int)sequence);
        f[22] = 64;
        f[23] = 17;
        WireFrames.be32(f, 26, EmbeddedInstance.PEER_IP);
        WireFrames.be32(f, 30, cardIp);
        WireFrames.be16(f, 34, 40000 + (int)(tag & 0xFFF));
        WireFrames.be16(f, 36, port);
        WireFrames.be16(f, 38, udpLength);
        putLong(f, PAYLOAD_OFFSET, MAGIC);
        putLong(f, PAYLOAD_OFFSET + 8, tag);
        putLong(f, PAYLOAD_OFFSET + 16, sequence);
        WireFrames.ipChecksum(f, 14);
        WireFrames.udpChecksum(f, 14);
        return f;
    }

    static boolean isTraffic(final byte[] frame, final int payloadOffset)
    {
        return frame.length >= payloadOffset + PAYLOAD_LENGTH && getLong(frame, payloadOffset) == MAGIC;
    }

    static long tag(final byte[] frame, final int payloadOffset)
    {
        return getLong(frame, payloadOffset + 8);
    }

    static long sequence(final byte[] frame, final int payloadOffset)
    {
        return getLong(frame, payloadOffset + 16);
    }

    static long echoedBy(final byte[] frame, final int payloadOffset)
    {
        return getLong(frame, payloadOffset + 24);
    }

    static void putLong(final byte[] f, final int at, final long v)
    {
        for (int i = 0; i < 8; i++)
        {
            f[at + i] = (byte)(v >>> (8 * i));
        }
    }

    static long getLong(final byte[] f, final int at)
    {
        long v = 0;
        for (int i = 7; i >= 0; i--)
        {
            v = (v << 8) | (f[at + i] & 0xFF);
        }
        return v;
    }
}
