package io.nicq.examples.sockperf;

import java.nio.ByteOrder;

import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over the header of a sockperf message, the field's standard latency tool's wire format (sockperf
 * {@code src/message.h}, checked against sockperf 3.7 on the wire): 14 bytes, big endian, then the payload up to the
 * message's length.
 * <pre>
 *   0                               8       10              14
 *   +-------------------------------+-------+---------------+---------------
 *   | sequence number               | flags | length        | payload ...
 *   +-------------------------------+-------+---------------+---------------
 *
 *   flags: bit 0 CLIENT (sent by the client; a server clears it in its answer), bit 1 PONG_REQUEST (answer this one:
 *   every message of ping-pong, one in --reply-every of under-load), bit 2 WARMUP (the client's warm-up, never
 *   answered). length: of the whole message, header included; over TCP it is what frames messages in the stream.
 * </pre>
 */
public final class SockperfMessage
{
    public static final int SEQUENCE_OFFSET = 0;
    public static final int FLAGS_OFFSET = 8;
    public static final int LENGTH_OFFSET = 10;
    public static final int HEADER_LENGTH = 14;

    /**
     * The largest message a {@code sockperf server} accepts unless told otherwise (its {@code -m}, default 65507,
     * sockperf 3.7 {@code MAX_PAYLOAD_SIZE}): over TCP it closes a connection whose header says more.
     */
    public static final int DEFAULT_MAX_LENGTH = 65_507;

    /** The largest message sockperf sends over TCP ({@code MAX_TCP_SIZE}, 2^20 - 1): its {@code -m} limit. */
    public static final int MAX_TCP_LENGTH = (1 << 20) - 1;

    public static final int FLAG_CLIENT = 1;
    public static final int FLAG_PONG_REQUEST = 2;
    public static final int FLAG_WARMUP = 4;
    /** Every flag sockperf defines; it zeroes its header before setting them, so any other bit is not sockperf's. */
    public static final int KNOWN_FLAGS = FLAG_CLIENT | FLAG_PONG_REQUEST | FLAG_WARMUP;

    /** What a sockperf server does with a well-formed message ({@link #disposition}). */
    public enum Disposition
    {
        /** A client's pong request: send it back with the CLIENT flag cleared. */
        ANSWER,
        /** The client's warm-up: never answered. */
        WARMUP,
        /** Asks for no answer: under-load traffic between pong requests, or a server's message. */
        NOT_ASKING
    }

    private MutableDirectBuffer buffer;
    private int offset;

    /** Wraps a message starting at offset (at least {@link #HEADER_LENGTH} bytes must be there). */
    public SockperfMessage wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public long sequence()
    {
        return buffer.getLong(offset + SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    public int flags()
    {
        return buffer.getShort(offset + FLAGS_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** Length of the whole message, header included, as its header says (unsigned; may be nonsense on bad input). */
    public long length()
    {
        return buffer.getInt(offset + LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
    }

    /** Whether only flags sockperf defines are set. */
    public boolean hasKnownFlags()
    {
        return (flags() & ~KNOWN_FLAGS) == 0;
    }

    /**
     * What {@code sockperf server} does with this message, over UDP and TCP alike (the one place that decides): a
     * warm-up is never answered, a client's pong request is, anything else is not.
     */
    public Disposition disposition()
    {
        if (isWarmup())
        {
            return Disposition.WARMUP;
        }
        return isClient() && isPongRequest() ? Disposition.ANSWER : Disposition.NOT_ASKING;
    }

    public boolean isClient()
    {
        return (flags() & FLAG_CLIENT) != 0;
    }

    public boolean isPongRequest()
    {
        return (flags() & FLAG_PONG_REQUEST) != 0;
    }

    public boolean isWarmup()
    {
        return (flags() & FLAG_WARMUP) != 0;
    }

    /** Turns a client's message into the server's answer in place: the CLIENT flag cleared, all else kept. */
    public void markAnswer()
    {
        buffer.putShort(offset + FLAGS_OFFSET, (short)(flags() & ~FLAG_CLIENT), ByteOrder.BIG_ENDIAN);
    }

    /** Writes a header (for tests and clients). */
    public SockperfMessage header(final long sequence, final int flags, final int length)
    {
        buffer.putLong(offset + SEQUENCE_OFFSET, sequence, ByteOrder.BIG_ENDIAN);
        buffer.putShort(offset + FLAGS_OFFSET, (short)flags, ByteOrder.BIG_ENDIAN);
        buffer.putInt(offset + LENGTH_OFFSET, length, ByteOrder.BIG_ENDIAN);
        return this;
    }
}
