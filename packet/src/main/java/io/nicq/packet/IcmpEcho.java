package io.nicq.packet;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over an ICMP message (RFC 792) with the echo request / echo reply layout.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Type (8 / 0) |   Code (0)    |           Checksum            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           Identifier          |        Sequence Number        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Data ...
 *  +-+-+-+-+-
 * </pre>
 * The checksum covers the whole ICMP message (header and data); its length comes from the IPv4 payload length, so
 * the methods that checksum take it as an argument.
 */
public final class IcmpEcho
{
    /** Offset of the type. */
    public static final int TYPE_OFFSET = 0;
    /** Offset of the code. */
    public static final int CODE_OFFSET = 1;
    /** Offset of the checksum. */
    public static final int CHECKSUM_OFFSET = 2;
    /** Offset of the identifier. */
    public static final int IDENTIFIER_OFFSET = 4;
    /** Offset of the sequence number. */
    public static final int SEQUENCE_OFFSET = 6;
    /** Length of the echo header; the data starts here. */
    public static final int HEADER_LENGTH = 8;

    /** Type of an echo reply. */
    public static final int TYPE_ECHO_REPLY = 0;
    /** Type of a destination unreachable message. */
    public static final int TYPE_DESTINATION_UNREACHABLE = 3;
    /** Type of an echo request. */
    public static final int TYPE_ECHO_REQUEST = 8;
    /** Type of a time exceeded message. */
    public static final int TYPE_TIME_EXCEEDED = 11;

    private MutableDirectBuffer buffer;
    private int offset;

    /**
     * Points the flyweight at an ICMP message.
     *
     * @param buffer holding the packet.
     * @param offset of its first byte (the IPv4 payload offset).
     * @return this.
     */
    public IcmpEcho wrap(final MutableDirectBuffer buffer, final int offset)
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

    /**
     * Offset of the echo data in the buffer.
     *
     * @return offset + {@link #HEADER_LENGTH}.
     */
    public int dataOffset()
    {
        return offset + HEADER_LENGTH;
    }

    public int type()
    {
        return buffer.getByte(offset + TYPE_OFFSET) & 0xFF;
    }

    public IcmpEcho type(final int type)
    {
        buffer.putByte(offset + TYPE_OFFSET, (byte)type);
        return this;
    }

    public int code()
    {
        return buffer.getByte(offset + CODE_OFFSET) & 0xFF;
    }

    public IcmpEcho code(final int code)
    {
        buffer.putByte(offset + CODE_OFFSET, (byte)code);
        return this;
    }

    public int checksum()
    {
        return buffer.getShort(offset + CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public IcmpEcho checksum(final int checksum)
    {
        buffer.putShort(offset + CHECKSUM_OFFSET, (short)checksum, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int identifier()
    {
        return buffer.getShort(offset + IDENTIFIER_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public IcmpEcho identifier(final int identifier)
    {
        buffer.putShort(offset + IDENTIFIER_OFFSET, (short)identifier, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int sequence()
    {
        return buffer.getShort(offset + SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public IcmpEcho sequence(final int sequence)
    {
        buffer.putShort(offset + SEQUENCE_OFFSET, (short)sequence, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /**
     * Computes the checksum over the whole message and writes it.
     *
     * @param length of the ICMP message (header and data) in bytes.
     * @return the checksum written.
     */
    public int computeChecksum(final int length)
    {
        checksum(0);
        final int checksum = InternetChecksum.checksum(buffer, offset, length);
        checksum(checksum);
        return checksum;
    }

    /**
     * Whether the checksum verifies over the whole message.
     *
     * @param length of the ICMP message (header and data) in bytes.
     * @return true if the message's sum is all ones.
     */
    public boolean verifyChecksum(final int length)
    {
        return InternetChecksum.verify(buffer, offset, length);
    }

    /**
     * Turns an echo request into its reply in place: the type becomes 0 and the checksum is adjusted incrementally
     * (RFC 1624), so the data is not read again. Identifier, sequence and data stay, as RFC 792 requires.
     *
     * @return this.
     */
    public IcmpEcho toEchoReply()
    {
        final int oldWord = buffer.getShort(offset + TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int newWord = (TYPE_ECHO_REPLY << 8) | (oldWord & 0xFF);
        buffer.putShort(offset + TYPE_OFFSET, (short)newWord, ByteOrder.BIG_ENDIAN);
        checksum(InternetChecksum.adjust(checksum(), oldWord, newWord));
        return this;
    }
}
