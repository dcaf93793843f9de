package io.nicq.packet;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over a TCP header (RFC 793, RFC 3168 for ECE/CWR), for classification and filters today and a TCP
 * stack later.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Source Port          |       Destination Port        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        Sequence Number                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Acknowledgment Number                      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Data |     |N|C|E|U|A|P|R|S|F|                               |
 *  | Offset| Res |S|W|C|R|C|S|S|Y|I|            Window             |
 *  |       |     | |R|E|G|K|H|T|N|N|                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           Checksum            |         Urgent Pointer        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Options (data offset > 5)                  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * Data offset counts 32-bit words (5..15). The checksum covers the IPv4 pseudo-header (protocol 6, TCP length), the
 * header and the payload, like UDP's but mandatory.
 */
public final class TcpHeader
{
    /** Offset of the source port. */
    public static final int SOURCE_PORT_OFFSET = 0;
    /** Offset of the destination port. */
    public static final int DESTINATION_PORT_OFFSET = 2;
    /** Offset of the sequence number. */
    public static final int SEQUENCE_OFFSET = 4;
    /** Offset of the acknowledgment number. */
    public static final int ACKNOWLEDGMENT_OFFSET = 8;
    /** Offset of the data offset / NS byte. */
    public static final int DATA_OFFSET_OFFSET = 12;
    /** Offset of the flags byte (CWR..FIN). */
    public static final int FLAGS_OFFSET = 13;
    /** Offset of the window. */
    public static final int WINDOW_OFFSET = 14;
    /** Offset of the checksum. */
    public static final int CHECKSUM_OFFSET = 16;
    /** Offset of the urgent pointer. */
    public static final int URGENT_POINTER_OFFSET = 18;
    /** Length of a header without options. */
    public static final int MIN_HEADER_LENGTH = 20;
    /** Length of a header with the most options. */
    public static final int MAX_HEADER_LENGTH = 60;

    /** Flag: no more data from sender. */
    public static final int FLAG_FIN = 0x001;
    /** Flag: synchronise sequence numbers. */
    public static final int FLAG_SYN = 0x002;
    /** Flag: reset the connection. */
    public static final int FLAG_RST = 0x004;
    /** Flag: push. */
    public static final int FLAG_PSH = 0x008;
    /** Flag: the acknowledgment field is significant. */
    public static final int FLAG_ACK = 0x010;
    /** Flag: the urgent pointer is significant. */
    public static final int FLAG_URG = 0x020;
    /** Flag: ECN echo. */
    public static final int FLAG_ECE = 0x040;
    /** Flag: congestion window reduced. */
    public static final int FLAG_CWR = 0x080;
    /** Flag: ECN nonce (RFC 3540, historic). */
    public static final int FLAG_NS = 0x100;

    private MutableDirectBuffer buffer;
    private int offset;

    /**
     * Points the flyweight at a header.
     *
     * @param buffer holding the segment.
     * @param offset of its first byte (the IPv4 payload offset).
     * @return this.
     */
    public TcpHeader wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    public int offset()
    {
        return offset;
    }

    public int sourcePort()
    {
        return buffer.getShort(offset + SOURCE_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public TcpHeader sourcePort(final int port)
    {
        buffer.putShort(offset + SOURCE_PORT_OFFSET, (short)port, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int destinationPort()
    {
        return buffer.getShort(offset + DESTINATION_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public TcpHeader destinationPort(final int port)
    {
        buffer.putShort(offset + DESTINATION_PORT_OFFSET, (short)port, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /**
     * Sequence number, an unsigned 32-bit value held in an int (compare with modular arithmetic).
     *
     * @return the sequence number.
     */
    public int sequenceNumber()
    {
        return buffer.getInt(offset + SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public TcpHeader sequenceNumber(final int sequenceNumber)
    {
        buffer.putInt(offset + SEQUENCE_OFFSET, sequenceNumber, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int acknowledgmentNumber()
    {
        return buffer.getInt(offset + ACKNOWLEDGMENT_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public TcpHeader acknowledgmentNumber(final int acknowledgmentNumber)
    {
        buffer.putInt(offset + ACKNOWLEDGMENT_OFFSET, acknowledgmentNumber, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /**
     * Data offset: the header length in 32-bit words.
     *
     * @return 5..15 for a valid header.
     */
    public int dataOffset()
    {
        return (buffer.getByte(offset + DATA_OFFSET_OFFSET) & 0xF0) >>> 4;
    }

    /**
     * Header length in bytes.
     *
     * @return data offset * 4.
     */
    public int headerLength()
    {
        return dataOffset() << 2;
    }

    /**
     * Offset of the payload in the buffer.
     *
     * @return offset + header length.
     */
    public int payloadOffset()
    {
        return offset + headerLength();
    }

    /**
     * The nine flags: {@link #FLAG_FIN} .. {@link #FLAG_NS}.
     *
     * @return the flags, NS in bit 8.
     */
    public int flags()
    {
        return ((buffer.getByte(offset + DATA_OFFSET_OFFSET) & 0x01) << 8) |
            (buffer.getByte(offset + FLAGS_OFFSET) & 0xFF);
    }

    /**
     * Whether all the given flags are set.
     *
     * @param mask one or more of {@link #FLAG_FIN} .. {@link #FLAG_NS}.
     * @return true if every flag of the mask is set.
     */
    public boolean hasFlags(final int mask)
    {
        return (flags() & mask) == mask;
    }

    /**
     * Turns this header, a received segment that reached no connection, into the reset RFC 9293 3.10.7.1 answers it
     * with, in place: ports swapped; if it carried an ACK, {@code <SEQ=SEG.ACK><CTL=RST>}, else {@code <SEQ=0>
     * <ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>} (SYN and FIN count in SEG.LEN); no options, window 0. The caller sends
     * nothing for a segment that is itself a RST, and computes the checksum once the addresses are final.
     *
     * @param payloadLength the received segment's data bytes.
     * @return this, 20 bytes long now.
     */
    public TcpHeader turnIntoReset(final int payloadLength)
    {
        final int flags = flags();
        final int sourcePort = sourcePort();
        final int destinationPort = destinationPort();
        final int seq;
        final int ack;
        final int resetFlags;
        if ((flags & FLAG_ACK) != 0)
        {
            seq = acknowledgmentNumber();
            ack = 0;
            resetFlags = FLAG_RST;
        }
        else
        {
            seq = 0;
            ack = sequenceNumber() + payloadLength + ((flags & FLAG_SYN) != 0 ? 1 : 0) +
                ((flags & FLAG_FIN) != 0 ? 1 : 0);
            resetFlags = FLAG_RST | FLAG_ACK;
        }
        return sourcePort(destinationPort).destinationPort(sourcePort).sequenceNumber(seq).acknowledgmentNumber(ack)
            .dataOffsetAndFlags(MIN_HEADER_LENGTH / 4, resetFlags).window(0).checksum(0).urgentPointer(0);
    }

    /**
     * Writes the data offset and the nine flags (reserved bits zero).
     *
     * @param dataOffset header length in 32-bit words, 5..15.
     * @param flags      {@link #FLAG_FIN} .. {@link #FLAG_NS}.
     * @return this.
     */
    public TcpHeader dataOffsetAndFlags(final int dataOffset, final int flags)
    {
        buffer.putByte(offset + DATA_OFFSET_OFFSET, (byte)(((dataOffset & 0x0F) << 4) | ((flags >>> 8) & 0x01)));
        buffer.putByte(offset + FLAGS_OFFSET, (byte)flags);
        return this;
    }

    public int window()
    {
        return buffer.getShort(offset + WINDOW_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public TcpHeader window(final int window)
    {
        buffer.putShort(offset + WINDOW_OFFSET, (short)window, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int checksum()
    {
        return buffer.getShort(offset + CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public TcpHeader checksum(final int checksum)
    {
        buffer.putShort(offset + CHECKSUM_OFFSET, (short)checksum, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int urgentPointer()
    {
        return buffer.getShort(offset + URGENT_POINTER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public TcpHeader urgentPointer(final int urgentPointer)
    {
        buffer.putShort(offset + URGENT_POINTER_OFFSET, (short)urgentPointer, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /**
     * Computes the checksum over the pseudo-header, header and payload and writes it.
     *
     * @param sourceAddress      IPv4 source, host order.
     * @param destinationAddress IPv4 destination, host order.
     * @param segmentLength      TCP header plus payload in bytes (the IPv4 payload length).
     * @return the checksum written.
     */
    public int computeChecksum(final int sourceAddress, final int destinationAddress, final int segmentLength)
    {
        checksum(0);
        final int pseudo = InternetChecksum.pseudoHeaderSum(
            sourceAddress, destinationAddress, Ipv4Header.PROTOCOL_TCP, segmentLength);
        final int checksum = ~InternetChecksum.sum(buffer, offset, segmentLength, pseudo) & 0xFFFF;
        checksum(checksum);
        return checksum;
    }

    /**
     * Whether the checksum verifies over the pseudo-header, header and payload.
     *
     * @param sourceAddress      IPv4 source, host order.
     * @param destinationAddress IPv4 destination, host order.
     * @param segmentLength      TCP header plus payload in bytes (the IPv4 payload length).
     * @return true if the segment's sum is all ones.
     */
    public boolean verifyChecksum(final int sourceAddress, final int destinationAddress, final int segmentLength)
    {
        final int pseudo = InternetChecksum.pseudoHeaderSum(
            sourceAddress, destinationAddress, Ipv4Header.PROTOCOL_TCP, segmentLength);
        return InternetChecksum.sum(buffer, offset, segmentLength, pseudo) == InternetChecksum.VERIFIES;
    }
}
