package io.nicq.examples.sockperf;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Locale;

import io.nicq.client.tcp.TcpCloseReason;
import io.nicq.client.tcp.TcpConnection;
import io.nicq.client.tcp.TcpHandler;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.client.tcp.TcpListener;
import io.nicq.client.tcp.TcpListenerHandler;
import io.nicq.client.tcp.TcpState;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;

/**
 * A sockperf server over TCP on nicq's TCP stack, as an Agrona {@link Agent}: answers what sockperf's ping-pong and
 * under-load clients ({@code --tcp}) ask to be answered, as {@code sockperf server --tcp} does, on every connection
 * to its port at once.
 * <p>
 * Each connection's stream is cut into messages by a {@link SockperfStream} (its own fixed buffer, sized for the
 * largest accepted message); which messages are answered is {@link SockperfMessage#disposition}'s decision, the UDP
 * server's too. An answer is the message with its CLIENT flag cleared, written into the connection's send buffer:
 * when only part of it fits, the message is held and reading stops (the window closes, the client waits) until the
 * connection is writable again and the rest is written. A stream sockperf cannot have sent (a length below the header or beyond the largest
 * accepted message, unknown flags) resets its connection and is counted by its {@link SockperfStream.Fault}.
 * <p>
 * Per-connection state is pooled: after the first connections, accepting, serving and closing allocate nothing. One
 * thread: the one that polls the interface.
 */
public final class SockperfTcpServer implements Agent, TcpListenerHandler
{
    private final TcpLayer tcp;
    private final TcpListener listener;
    private final int maxLength;
    private final ArrayDeque<Session> idle = new ArrayDeque<>();
    /** Sessions with a connection, in no order; each knows its index (removal swaps the last one in). */
    private final ArrayList<Session> active = new ArrayList<>();
    private final long[] faults = new long[SockperfStream.Fault.values().length];
    private long accepted;
    private long open;
    private long sessionsCreated;
    private long received;
    private long answered;
    private long warmups;
    private long notAnswered;
    private long truncated;
    private final long[] closed = new long[TcpCloseReason.values().length];

    /**
     * Listens on {@code port} of the layer's interface (a TCP port filter to the layer's queue).
     *
     * @param maxLength the largest message accepted, header included.
     */
    public SockperfTcpServer(final TcpLayer tcp, final int port, final int maxLength)
    {
        if (maxLength < SockperfMessage.HEADER_LENGTH || maxLength > SockperfMessage.MAX_TCP_LENGTH)
        {
            throw new IllegalArgumentException("the largest sockperf message is " + SockperfMessage.HEADER_LENGTH +
                " to " + SockperfMessage.MAX_TCP_LENGTH + " bytes, not " + maxLength);
        }
        this.tcp = tcp;
        this.maxLength = maxLength;
        this.listener = TcpListener.open(tcp, port, this);
    }

    public int doWork()
    {
        return tcp.ip().poll();
    }

    public String roleName()
    {
        return "sockperf-server-tcp";
    }

    public void onClose()
    {
        listener.close();
    }

    public void onAccepted(final TcpConnection connection)
    {
        accepted++;
        open++;
        Session session = idle.poll();
        if (session == null)
        {
            session = new Session();
            sessionsCreated++;
        }
        session.attach(connection);
        session.index = active.size();
        active.add(session);
        // Data that came with the handshake's last ACK is reported (onReadable) right after this returns.
    }

    public TcpListener listener()
    {
        return listener;
    }

    /** Connections accepted. */
    public long accepted()
    {
        return accepted;
    }

    /** Connections accepted and not yet closed. */
    public long open()
    {
        return open;
    }

    /** Complete, well-formed messages, whatever they asked for. */
    public long received()
    {
        return received;
    }

    /** Pong requests answered. */
    public long answered()
    {
        return answered;
    }

    /** Warm-up messages (never answered). */
    public long warmups()
    {
        return warmups;
    }

    /** Well-formed messages that asked for no answer: under-load traffic between pong requests, or a server's. */
    public long notAnswered()
    {
        return notAnswered;
    }

    /** Connections reset because their stream had this fault. */
    public long faults(final SockperfStream.Fault fault)
    {
        return faults[fault.ordinal()];
    }

    /** Connections reset for any fault. */
    public long faults()
    {
        long total = 0;
        for (final long count : faults)
        {
            total += count;
        }
        return total;
    }

    /** Connections whose peer closed in the middle of a message (the partial message is dropped). */
    public long truncated()
    {
        return truncated;
    }

    /**
     * Connections that ended for this reason: CLOSED (FIN both ways), RESET (the peer's RST: sockperf's under-load
     * client closes with answers unread), ABORTED (ours, for a fault), TIMED_OUT.
     */
    public long closed(final TcpCloseReason reason)
    {
        return closed[reason.ordinal()];
    }

    /** Per-connection states allocated: the most connections open at once, not one per connection. */
    public long sessionsCreated()
    {
        return sessionsCreated;
    }

    /** The open connections and where each one's stream stands: for a diagnosis (allocates). */
    public String describeOpen()
    {
        final StringBuilder text = new StringBuilder();
        for (final Session session : active)
        {
            final TcpConnection c = session.connection;
            text.append('\n').append(c).append(" readable ").append(c.readableBytes()).append(", writable ")
                .append(c.writableBytes()).append(", send window ").append(c.sendWindow()).append(", cwnd ")
                .append(c.cwnd()).append(", retransmissions ").append(c.retransmissions()).append(", rto ")
                .append(c.rtoNs() / 1000).append(" us, ").append(session.stream);
        }
        return text.toString();
    }

    public String toString()
    {
        final StringBuilder text = new StringBuilder("sockperf-server-tcp{accepted ").append(accepted)
            .append(", open ").append(open).append(", received ").append(received).append(", answered ")
            .append(answered).append(", warm-up ").append(warmups).append(", not asking ").append(notAnswered)
            .append(", closed");
        for (final TcpCloseReason reason : TcpCloseReason.values())
        {
            if (closed[reason.ordinal()] != 0)
            {
                text.append(' ').append(reason.name().toLowerCase(Locale.ROOT)).append(' ')
                    .append(closed[reason.ordinal()]);
            }
        }
        text.append(", truncated ").append(truncated).append(", faults");
        for (final SockperfStream.Fault fault : SockperfStream.Fault.values())
        {
            if (fault != SockperfStream.Fault.NONE)
            {
                text.append(' ').append(fault.name().toLowerCase(Locale.ROOT)).append(' ')
                    .append(faults[fault.ordinal()]);
            }
        }
        return text.append('}').toString();
    }

    /** One connection's stream and its answers; back to the pool when the connection closes. */
    private final class Session implements TcpHandler, SockperfStream.Handler
    {
        private final SockperfStream stream = new SockperfStream(maxLength).handler(this);
        private TcpConnection connection;
        private int index;
        /** Whether the held message is an answer begun, and how many of its bytes are in the send buffer. */
        private boolean answering;
        private int answerWritten;

        void attach(final TcpConnection connection)
        {
            this.connection = connection;
            answering = false;
            answerWritten = 0;
            stream.reset();
            connection.handler(this);
        }

        public void onReadable(final TcpConnection connection)
        {
            if (connection == this.connection)
            {
                serve();
            }
        }

        public void onWritable(final TcpConnection connection)
        {
            if (connection == this.connection)
            {
                serve();
            }
        }

        public void onPeerClosed(final TcpConnection connection)
        {
            if (connection == this.connection)
            {
                serve();
            }
        }

        public void onClosed(final TcpConnection connection, final TcpCloseReason reason)
        {
            if (connection != this.connection)
            {
                return;
            }
            open--;
            closed[reason.ordinal()]++;
            // The connection may still see segments (TIME_WAIT): they must not reach this session's next connection.
            connection.handler(null);
            this.connection = null;
            final Session last = active.remove(active.size() - 1);
            if (last != this)
            {
                active.set(index, last);
                last.index = index;
            }
            idle.push(this);
        }

        public boolean onMessage(final SockperfMessage message, final MutableDirectBuffer buffer, final int length)
        {
            if (answering)
            {
                // The rest of an answer begun: its CLIENT flag is cleared already, so it must not be decided again.
                return writeAnswer(buffer, length);
            }
            switch (message.disposition())
            {
                case WARMUP -> warmups++;
                case NOT_ASKING -> notAnswered++;
                case ANSWER ->
                {
                    message.markAnswer();
                    answering = true;
                    return writeAnswer(buffer, length);
                }
            }
            received++;
            return true;
        }

        /**
         * Writes what the send buffer takes of the answer. A part left over holds the message (and the stream) and
         * makes the connection report onWritable when there is room, where the rest goes.
         */
        private boolean writeAnswer(final MutableDirectBuffer buffer, final int length)
        {
            if (!connection.state().canSend())
            {
                // Our FIN is queued (we closed): nothing may be written any more; received, never answered.
                answering = false;
                answerWritten = 0;
                received++;
                return true;
            }
            answerWritten += connection.write(buffer, answerWritten, length - answerWritten);
            if (answerWritten < length)
            {
                return false;
            }
            answering = false;
            answerWritten = 0;
            answered++;
            received++;
            return true;
        }

        private void serve()
        {
            final TcpConnection connection = this.connection;
            if (stream.flush())
            {
                connection.read(stream);
            }
            final SockperfStream.Fault fault = stream.fault();
            if (fault != SockperfStream.Fault.NONE)
            {
                faults[fault.ordinal()]++;
                connection.abort();  // onClosed runs inside: this session is back in the pool, touch nothing more
                return;
            }
            // The peer half-closed and every whole message before its FIN is answered: close our side too.
            if (connection.state() == TcpState.CLOSE_WAIT && connection.readableBytes() == 0 && !stream.isHolding())
            {
                if (stream.isMidMessage())
                {
                    truncated++;
                }
                connection.close();
            }
        }
    }
}
