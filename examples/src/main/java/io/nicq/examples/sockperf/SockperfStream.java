package io.nicq.examples.sockperf;

import io.nicq.client.tcp.TcpReader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Cuts one TCP connection's byte stream into sockperf messages by their header's length field, as sockperf itself
 * does over TCP: a message may come split across segments (or across the two views of a wrapped receive ring), or
 * several in one segment. Each message is gathered into a fixed buffer sized for the largest accepted message,
 * allocated once, so nothing is allocated per message; a complete message is handed to the {@link Handler} from that
 * buffer, where its header may be changed in place before it is written back.
 * <p>
 * The handler may refuse a message (its connection's send buffer is full): then the message stays held, no further
 * byte is consumed (the rest stays in the connection's receive buffer and its window closes, so the peer waits), and
 * {@link #flush} offers it again when there is room.
 * <p>
 * A header that sockperf cannot have sent ends the stream with a {@link Fault}: the bytes after it cannot be framed,
 * so the connection must be closed. Nothing is thrown.
 */
public final class SockperfStream implements TcpReader
{
    /** Why a stream could not be framed. */
    public enum Fault
    {
        NONE,
        /** The header's length is below the 14-byte header itself (sockperf would loop on it). */
        LENGTH_BELOW_HEADER,
        /** The header's length is beyond the largest message accepted (sockperf's server closes the connection). */
        LENGTH_ABOVE_MAX,
        /** A flag sockperf never sets: not sockperf's stream, or framing lost. */
        UNKNOWN_FLAGS
    }

    /** Takes complete messages. */
    @FunctionalInterface
    public interface Handler
    {
        /**
         * @param message wrapped over the message, which lies in {@code buffer} at offset 0 and may be changed.
         * @param buffer  holding the message: valid only during the call.
         * @param length  of the whole message, header included.
         * @return whether the message was taken; false holds it (and the stream) until {@link #flush}.
         */
        boolean onMessage(SockperfMessage message, MutableDirectBuffer buffer, int length);
    }

    private final int maxLength;
    private final UnsafeBuffer buffer;
    private final SockperfMessage message = new SockperfMessage();
    private Handler handler;
    /** Bytes of the current message gathered so far. */
    private int filled;
    /** The current message's length once its header is in, 0 before. */
    private int expected;
    private Fault fault = Fault.NONE;

    /**
     * @param maxLength the largest message accepted, header included: {@value SockperfMessage#HEADER_LENGTH} to
     *                  {@value SockperfMessage#MAX_TCP_LENGTH}.
     */
    public SockperfStream(final int maxLength)
    {
        if (maxLength < SockperfMessage.HEADER_LENGTH || maxLength > SockperfMessage.MAX_TCP_LENGTH)
        {
            throw new IllegalArgumentException("a sockperf message is " + SockperfMessage.HEADER_LENGTH + " to " +
                SockperfMessage.MAX_TCP_LENGTH + " bytes, not at most " + maxLength);
        }
        this.maxLength = maxLength;
        this.buffer = new UnsafeBuffer(new byte[maxLength]);
        message.wrap(buffer, 0);
    }

    /** Sets who takes the complete messages. */
    public SockperfStream handler(final Handler handler)
    {
        this.handler = handler;
        return this;
    }

    /** Forgets any partial or held message and fault: the stream of a new connection. */
    public void reset()
    {
        filled = 0;
        expected = 0;
        fault = Fault.NONE;
    }

    public int maxLength()
    {
        return maxLength;
    }

    /** Why the stream stopped, or NONE. */
    public Fault fault()
    {
        return fault;
    }

    /** Whether a complete message waits for its handler to take it. */
    public boolean isHolding()
    {
        return expected != 0 && filled == expected;
    }

    /** Whether bytes of a message have been consumed and the message is not yet taken (the peer stopped mid-way). */
    public boolean isMidMessage()
    {
        return filled != 0;
    }

    /**
     * Offers the held message again.
     *
     * @return whether nothing is held any more (so reading may go on).
     */
    public boolean flush()
    {
        if (!isHolding())
        {
            return true;
        }
        if (!handler.onMessage(message, buffer, expected))
        {
            return false;
        }
        filled = 0;
        expected = 0;
        return true;
    }

    /**
     * Consumes bytes of the stream: gathers them into messages and hands each complete one to the handler. Stops at a
     * message the handler refuses or at a fault, leaving the rest unconsumed. Each turn of the loop consumes at least
     * a byte or ends, so it runs at most {@code length} + 1 times.
     *
     * @return bytes consumed.
     */
    public int onData(final DirectBuffer src, final int offset, final int length)
    {
        int consumed = 0;
        while (fault == Fault.NONE)
        {
            if (!flush())
            {
                return consumed;
            }
            if (consumed >= length)
            {
                return consumed;
            }
            final int wanted = expected == 0 ? SockperfMessage.HEADER_LENGTH - filled : expected - filled;
            final int count = Math.min(wanted, length - consumed);
            buffer.putBytes(filled, src, offset + consumed, count);
            filled += count;
            consumed += count;
            if (expected == 0 && filled == SockperfMessage.HEADER_LENGTH)
            {
                fault = check();
                expected = fault == Fault.NONE ? (int)message.length() : 0;
            }
        }
        return consumed;
    }

    private Fault check()
    {
        final long length = message.length();
        if (length < SockperfMessage.HEADER_LENGTH)
        {
            return Fault.LENGTH_BELOW_HEADER;
        }
        if (length > maxLength)
        {
            return Fault.LENGTH_ABOVE_MAX;
        }
        return message.hasKnownFlags() ? Fault.NONE : Fault.UNKNOWN_FLAGS;
    }

    public String toString()
    {
        return "SockperfStream{max " + maxLength + ", filled " + filled + ", expected " + expected + ", fault " +
            fault + "}";
    }
}
