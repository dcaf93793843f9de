package io.nicq.packet;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over a UDP header (RFC 768).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Source Port          |       Destination Port        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |            Length             |           Checksum            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Payload ...
 *  +-+-+-+-+-
 * </pre>
 * Length counts header and payload. The checksum covers the IPv4 pseudo-header, the header and the payload:
 * <pre>
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                       Source Address                          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Destination Address                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     zero      |  Protocol 17  |          UDP Length           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * A checksum field of 0 means "no checksum" (allowed over IPv4); a computed checksum of 0 is therefore sent as
 * 0xFFFF, its other one's complement representation.
 */
public final class UdpHeader
{
    /** Offset of the source port. */
    public static final int SOURCE_PORT_OFFSET = 0;
    /** Offset of the destination port. */
    public static final int DESTINATION_PORT_OFFSET = 2;
    /** Offset of the length. */
    public static final int LENGTH_OFFSET = 4;
    /** Offset of the checksum. */
    public static final int CHECKSUM_OFFSET = 6;
    /** Length of the header; the payload starts here. */
    public static final int HEADER_LENGTH = 8;

    /** Checksum field value meaning "not computed". */
    public static final int NO_CHECKSUM = 0;

    private MutableDirectBuffer buffer;
    private int offset;

    /**
     * Points the flyweight at a header.
     *
     * @param buffer holding the packet.
     * @param offset of its first byte (the IPv4 payload offset).
     * @return this.
     */
    public UdpHeader wrap(final MutableDirectBuffer buffer, final int offset)
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
     * Offset of the payload in the buffer.
     *
     * @return offset + {@link #HEADER_LENGTH}.
     */
    public int payloadOffset()
    {
        return offset + HEADER_LENGTH;
    }

    /**
     * Length of the payload according to the length field (negative if the field is below 8).
     *
     * @return length - 8.
     */
    public int payloadLength()
    {
        return length() - HEADER_LENGTH;
    }

    public int sourcePort()
    {
        return buffer.getShort(offset + SOURCE_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public UdpHeader sourcePort(final int port)
    {
        buffer.putShort(offset + SOURCE_PORT_OFFSET, (short)port, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int destinationPort()
    {
        return buffer.getShort(offset + DESTINATION_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public UdpHeader destinationPort(final int port)
    {
        buffer.putShort(offset + DESTINATION_PORT_OFFSET, (short)port, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /**
     * Length of header and payload in bytes.
     *
     * @return the length field.
     */
    public int length()
    {
        return buffer.getShort(offset + LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public UdpHeader length(final int length)
    {
        buffer.putShort(offset + LENGTH_OFFSET, (short)length, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int checksum()
    {
        return buffer.getShort(offset + CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public UdpHeader checksum(final int checksum)
    {
        buffer.putShort(offset + CHECKSUM_OFFSET, (short)checksum, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /**
     * Swaps source and destination ports. The checksum stays valid (with the IPv4 addresses swapped too).
     *
     * @return this.
     */
    public UdpHeader swapPorts()
    {
        final int destination = destinationPort();
        destinationPort(sourcePort());
        sourcePort(destination);
        return this;
    }

    /**
     * Computes the checksum over the pseudo-header, header and {@link #length()} bytes and writes it (0 is written
     * as 0xFFFF). The length field must be set first.
     *
     * @param sourceAddress      IPv4 source, host order.
     * @param destinationAddress IPv4 destination, host order.
     * @return the checksum written.
     */
    public int computeChecksum(final int sourceAddress, final int destinationAddress)
    {
        final int length = length();
        checksum(NO_CHECKSUM);
        final int pseudo = InternetChecksum.pseudoHeaderSum(
            sourceAddress, destinationAddress, Ipv4Header.PROTOCOL_UDP, length);
        int checksum = ~InternetChecksum.sum(buffer, offset, length, pseudo) & 0xFFFF;
        if (checksum == 0)
        {
            checksum = 0xFFFF;
        }
        checksum(checksum);
        return checksum;
    }

    /**
     * Whether the checksum verifies over the pseudo-header, header and {@link #length()} bytes; a datagram sent
     * without checksum (field 0) verifies. The caller checks that the length field fits the packet first.
     *
     * @param sourceAddress      IPv4 source, host order.
     * @param destinationAddress IPv4 destination, host order.
     * @return true if there is no checksum or it verifies.
     */
    public boolean verifyChecksum(final int sourceAddress, final int destinationAddress)
    {
        if (checksum() == NO_CHECKSUM)
        {
            return true;
        }
        final int length = length();
        final int pseudo = InternetChecksum.pseudoHeaderSum(
            sourceAddress, destinationAddress, Ipv4Header.PROTOCOL_UDP, length);
        return InternetChecksum.sum(buffer, offset, length, pseudo) == InternetChecksum.VERIFIES;
    }

    /**
     * Writes ports and length and leaves the checksum 0; call {@link #computeChecksum(int, int)} once the payload
     * is in place.
     *
     * @param sourcePort      host order.
     * @param destinationPort host order.
     * @param payloadLength   bytes after the header.
     * @return this.
     */
    public UdpHeader writeHeader(final int sourcePort, final int destinationPort, final int payloadLength)
    {
        return sourcePort(sourcePort)
            .destinationPort(destinationPort)
            .length(HEADER_LENGTH + payloadLength)
            .checksum(NO_CHECKSUM);
    }
}
