package io.nicq.packet;

import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over an IPv4 header (RFC 791).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version|  IHL  |   DSCP    |ECN|          Total Length         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Identification        |R|D|M|    Fragment Offset      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Time to Live |    Protocol   |         Header Checksum       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                       Source Address                          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Destination Address                        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Options (IHL > 5)                          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * IHL counts 32-bit words (5..15); the fragment offset counts 8-byte units; R is reserved, D is "don't fragment",
 * M is "more fragments". Addresses are host-order ints ({@link Ipv4Address}). The header checksum covers the header
 * only (IHL * 4 bytes).
 */
public final class Ipv4Header
{
    /** Offset of version and IHL. */
    public static final int VERSION_IHL_OFFSET = 0;
    /** Offset of DSCP and ECN (the old type of service). */
    public static final int TOS_OFFSET = 1;
    /** Offset of the total length. */
    public static final int TOTAL_LENGTH_OFFSET = 2;
    /** Offset of the identification. */
    public static final int IDENTIFICATION_OFFSET = 4;
    /** Offset of flags and fragment offset. */
    public static final int FLAGS_FRAGMENT_OFFSET = 6;
    /** Offset of the time to live. */
    public static final int TTL_OFFSET = 8;
    /** Offset of the protocol. */
    public static final int PROTOCOL_OFFSET = 9;
    /** Offset of the header checksum. */
    public static final int CHECKSUM_OFFSET = 10;
    /** Offset of the source address. */
    public static final int SOURCE_OFFSET = 12;
    /** Offset of the destination address. */
    public static final int DESTINATION_OFFSET = 16;
    /** Length of a header without options (IHL 5). */
    public static final int MIN_HEADER_LENGTH = 20;
    /** Length of a header with the most options (IHL 15). */
    public static final int MAX_HEADER_LENGTH = 60;

    /** Version number of IPv4. */
    public static final int VERSION = 4;
    /** Flag: reserved, must be zero. */
    public static final int FLAG_RESERVED = 0x8000;
    /** Flag: don't fragment. */
    public static final int FLAG_DONT_FRAGMENT = 0x4000;
    /** Flag: more fragments follow. */
    public static final int FLAG_MORE_FRAGMENTS = 0x2000;
    /** Mask of the fragment offset in the flags/fragment word. */
    public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

    /** Protocol number of ICMP. */
    public static final int PROTOCOL_ICMP = 1;
    /** Protocol number of TCP. */
    public static final int PROTOCOL_TCP = 6;
    /** Protocol number of UDP. */
    public static final int PROTOCOL_UDP = 17;

    /** Time to live the stack gives what it originates (Linux's default). */
    public static final int DEFAULT_TTL = 64;

    private MutableDirectBuffer buffer;
    private int offset;

    /**
     * Points the flyweight at a header.
     *
     * @param buffer holding the packet.
     * @param offset of its first byte (the Ethernet payload offset).
     * @return this.
     */
    public Ipv4Header wrap(final MutableDirectBuffer buffer, final int offset)
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

    public int version()
    {
        return (buffer.getByte(offset + VERSION_IHL_OFFSET) & 0xF0) >>> 4;
    }

    /**
     * Internet header length in 32-bit words: 5 without options, at most 15.
     *
     * @return IHL.
     */
    public int ihl()
    {
        return buffer.getByte(offset + VERSION_IHL_OFFSET) & 0x0F;
    }

    /**
     * Writes version 4 and an IHL.
     *
     * @param ihl header length in 32-bit words, 5..15.
     * @return this.
     */
    public Ipv4Header versionAndIhl(final int ihl)
    {
        buffer.putByte(offset + VERSION_IHL_OFFSET, (byte)((VERSION << 4) | (ihl & 0x0F)));
        return this;
    }

    /**
     * Header length in bytes: IHL * 4.
     *
     * @return 20..60 for a valid header.
     */
    public int headerLength()
    {
        return ihl() << 2;
    }

    /**
     * Offset of the payload (the UDP header, ...) in the buffer.
     *
     * @return offset + header length.
     */
    public int payloadOffset()
    {
        return offset + headerLength();
    }

    /**
     * Length of the payload according to the header: total length - header length (negative if inconsistent).
     *
     * @return bytes of payload.
     */
    public int payloadLength()
    {
        return totalLength() - headerLength();
    }

    public int tos()
    {
        return buffer.getByte(offset + TOS_OFFSET) & 0xFF;
    }

    public Ipv4Header tos(final int tos)
    {
        buffer.putByte(offset + TOS_OFFSET, (byte)tos);
        return this;
    }

    /**
     * Length of header and payload in bytes; frames shorter than 60 bytes carry Ethernet padding after it.
     *
     * @return total length.
     */
    public int totalLength()
    {
        return buffer.getShort(offset + TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public Ipv4Header totalLength(final int totalLength)
    {
        buffer.putShort(offset + TOTAL_LENGTH_OFFSET, (short)totalLength, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int identification()
    {
        return buffer.getShort(offset + IDENTIFICATION_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public Ipv4Header identification(final int identification)
    {
        buffer.putShort(offset + IDENTIFICATION_OFFSET, (short)identification, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /**
     * The flags/fragment-offset word: flags in the top three bits ({@link #FLAG_DONT_FRAGMENT}, ...).
     *
     * @return the 16-bit word.
     */
    public int flagsAndFragmentOffset()
    {
        return buffer.getShort(offset + FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /**
     * Writes the flags/fragment-offset word.
     *
     * @param flags          {@link #FLAG_DONT_FRAGMENT} and/or {@link #FLAG_MORE_FRAGMENTS}.
     * @param fragmentOffset in 8-byte units, 0..8191.
     * @return this.
     */
    public Ipv4Header flagsAndFragmentOffset(final int flags, final int fragmentOffset)
    {
        final int word = (flags & ~FRAGMENT_OFFSET_MASK) | (fragmentOffset & FRAGMENT_OFFSET_MASK);
        buffer.putShort(offset + FLAGS_FRAGMENT_OFFSET, (short)word, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public boolean dontFragment()
    {
        return (flagsAndFragmentOffset() & FLAG_DONT_FRAGMENT) != 0;
    }

    public boolean moreFragments()
    {
        return (flagsAndFragmentOffset() & FLAG_MORE_FRAGMENTS) != 0;
    }

    /**
     * Fragment offset in 8-byte units.
     *
     * @return 0..8191.
     */
    public int fragmentOffset()
    {
        return flagsAndFragmentOffset() & FRAGMENT_OFFSET_MASK;
    }

    /**
     * Whether this packet is a fragment (more fragments follow, or it is not the first): an unfragmented packet has
     * MF clear and offset 0.
     *
     * @return true for any fragment.
     */
    public boolean isFragment()
    {
        return (flagsAndFragmentOffset() & (FLAG_MORE_FRAGMENTS | FRAGMENT_OFFSET_MASK)) != 0;
    }

    public int ttl()
    {
        return buffer.getByte(offset + TTL_OFFSET) & 0xFF;
    }

    public Ipv4Header ttl(final int ttl)
    {
        buffer.putByte(offset + TTL_OFFSET, (byte)ttl);
        return this;
    }

    public int protocol()
    {
        return buffer.getByte(offset + PROTOCOL_OFFSET) & 0xFF;
    }

    public Ipv4Header protocol(final int protocol)
    {
        buffer.putByte(offset + PROTOCOL_OFFSET, (byte)protocol);
        return this;
    }

    public int checksum()
    {
        return buffer.getShort(offset + CHECKSUM_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    public Ipv4Header checksum(final int checksum)
    {
        buffer.putShort(offset + CHECKSUM_OFFSET, (short)checksum, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int source()
    {
        return buffer.getInt(offset + SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public Ipv4Header source(final int ipv4)
    {
        buffer.putInt(offset + SOURCE_OFFSET, ipv4, ByteOrder.BIG_ENDIAN);
        return this;
    }

    public int destination()
    {
        return buffer.getInt(offset + DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public Ipv4Header destination(final int ipv4)
    {
        buffer.putInt(offset + DESTINATION_OFFSET, ipv4, ByteOrder.BIG_ENDIAN);
        return this;
    }

    /**
     * Swaps source and destination. The header checksum stays valid: the one's complement sum does not depend on
     * the order of the words.
     *
     * @return this.
     */
    public Ipv4Header swapAddresses()
    {
        final int destination = destination();
        destination(source());
        source(destination);
        return this;
    }

    /**
     * Writes a complete 20-byte header (no options, DF set, TOS 0) and its checksum.
     *
     * @param source         address, host order.
     * @param destination    address, host order.
     * @param protocol       of the payload.
     * @param ttl            time to live.
     * @param payloadLength  bytes after the header.
     * @param identification of the datagram.
     * @return this.
     */
    public Ipv4Header writeHeader(
        final int source,
        final int destination,
        final int protocol,
        final int ttl,
        final int payloadLength,
        final int identification)
    {
        versionAndIhl(MIN_HEADER_LENGTH >> 2)
            .tos(0)
            .totalLength(MIN_HEADER_LENGTH + payloadLength)
            .identification(identification)
            .flagsAndFragmentOffset(FLAG_DONT_FRAGMENT, 0)
            .ttl(ttl)
            .protocol(protocol)
            .source(source)
            .destination(destination);
        computeChecksum();
        return this;
    }

    /**
     * Computes the header checksum over {@link #headerLength()} bytes and writes it.
     *
     * @return the checksum written.
     */
    public int computeChecksum()
    {
        checksum(0);
        final int checksum = InternetChecksum.checksum(buffer, offset, headerLength());
        checksum(checksum);
        return checksum;
    }

    /**
     * Whether the header checksum verifies over {@link #headerLength()} bytes. The caller checks that IHL is at
     * least 5 and that the header fits the frame first.
     *
     * @return true if the header's sum is all ones.
     */
    public boolean verifyChecksum()
    {
        return InternetChecksum.verify(buffer, offset, headerLength());
    }

    /**
     * Decrements the TTL and updates the checksum incrementally (RFC 1624), as a forwarder does.
     *
     * @return the new TTL.
     */
    public int decrementTtl()
    {
        final int oldWord = buffer.getShort(offset + TTL_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int ttl = ((oldWord >>> 8) - 1) & 0xFF;
        final int newWord = (ttl << 8) | (oldWord & 0xFF);
        buffer.putShort(offset + TTL_OFFSET, (short)newWord, ByteOrder.BIG_ENDIAN);
        checksum(InternetChecksum.adjust(checksum(), oldWord, newWord));
        return ttl;
    }
}
