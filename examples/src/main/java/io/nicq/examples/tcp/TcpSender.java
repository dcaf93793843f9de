package io.nicq.examples.tcp;

import java.security.MessageDigest;
import java.util.HexFormat;

import io.nicq.client.tcp.TcpCloseReason;
import io.nicq.client.tcp.TcpConnection;
import io.nicq.client.tcp.TcpHandler;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.client.tcp.TcpReader;
import io.nicq.client.tcp.TcpState;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One connection that sends {@code bytes} of a {@link SeededStream} and then half-closes, hashing what it sends and
 * whatever the peer sends back (an echo server's answer, or nothing from a sink), until the connection is closed:
 * what {@code tcp-send} runs, and what the interop tests and the throughput benchmark drive. Non-blocking: the caller
 * polls the interface until {@link #isDone()}.
 * <pre>
 *   connect -&gt; onConnected -&gt; write chunks while the send buffer takes them -&gt; onWritable -&gt; ...
 *           -&gt; all sent: shutdownOutput (FIN) -&gt; the peer's FIN (onPeerClosed) -&gt; close -&gt; onClosed: done
 * </pre>
 */
public final class TcpSender implements TcpHandler, TcpReader
{
    private static final int CHUNK = 64 * 1024;

    private final long bytes;
    private final SeededStream stream;
    private final UnsafeBuffer chunk = new UnsafeBuffer(new byte[CHUNK]);
    private final MessageDigest receivedDigest = SeededStream.sha256();
    private final byte[] copy = new byte[CHUNK];
    private final TcpConnection connection;
    /** False for {@link #bulk}: one chunk of the stream sent again and again, nothing hashed. */
    private final boolean streamed;
    private boolean outputShut;
    private int chunkStart;
    private int chunkEnd;
    private long sent;
    private long received;
    private long connectedNs;
    private long closedNs;
    private String sentSha256;
    private String receivedSha256;
    private TcpCloseReason closeReason;

    /**
     * Connects to {@code remoteAddress:remotePort} (a card-driver allocated local port) and sends once connected.
     *
     * @param bytes stream bytes to send, 0 or more.
     * @param seed  of the stream.
     */
    public TcpSender(
        final TcpLayer tcp, final int remoteAddress, final int remotePort, final long bytes, final long seed)
    {
        this(tcp, remoteAddress, remotePort, bytes, seed, true);
    }

    private TcpSender(final TcpLayer tcp, final int remoteAddress, final int remotePort, final long bytes,
        final long seed, final boolean streamed)
    {
        if (bytes < 0)
        {
            throw new IllegalArgumentException("bytes " + bytes + " < 0");
        }
        this.bytes = bytes;
        this.stream = new SeededStream(seed);
        this.streamed = streamed;
        if (!streamed)
        {
            stream.fill(chunk, 0, CHUNK);
        }
        this.connection = TcpConnection.connect(tcp, remoteAddress, remotePort, this);
    }

    /**
     * A sender for throughput: the first 64 KiB of the stream, written again and again, nothing generated or hashed
     * on the way (as the kernel baseline of {@code nicq bench tcp} writes one buffer), so what is measured is TCP.
     * {@link #sentSha256} stays null.
     */
    public static TcpSender bulk(final TcpLayer tcp, final int remoteAddress, final int remotePort, final long bytes)
    {
        return new TcpSender(tcp, remoteAddress, remotePort, bytes, 1, false);
    }

    public void onConnected(final TcpConnection connection)
    {
        connectedNs = System.nanoTime();
        pump();
    }

    public void onWritable(final TcpConnection connection)
    {
        pump();
    }

    public void onReadable(final TcpConnection connection)
    {
        connection.read(this);
    }

    public void onPeerClosed(final TcpConnection connection)
    {
        connection.read(this);
        if (sent == bytes)
        {
            connection.close();
        }
    }

    public void onClosed(final TcpConnection connection, final TcpCloseReason reason)
    {
        closedNs = System.nanoTime();
        closeReason = reason;
        receivedSha256 = HexFormat.of().formatHex(receivedDigest.digest());
    }

    public int onData(final DirectBuffer buffer, final int offset, final int length)
    {
        int done = 0;
        while (done < length)
        {
            final int n = Math.min(copy.length, length - done);
            buffer.getBytes(offset + done, copy, 0, n);
            receivedDigest.update(copy, 0, n);
            done += n;
        }
        received += length;
        return length;
    }

    private void pump()
    {
        while (sent < bytes)
        {
            if (chunkStart == chunkEnd)
            {
                final int n = (int)Math.min(CHUNK, bytes - sent);
                if (streamed)
                {
                    stream.fill(chunk, 0, n);
                }
                chunkStart = 0;
                chunkEnd = n;
            }
            final int written = connection.write(chunk, chunkStart, chunkEnd - chunkStart);
            chunkStart += written;
            sent += written;
            if (written == 0)
            {
                return;
            }
        }
        if (!outputShut)
        {
            outputShut = true;
            if (streamed)
            {
                sentSha256 = stream.sha256Hex();
            }
            connection.shutdownOutput();
        }
        if (connection.state() == TcpState.CLOSE_WAIT)
        {
            connection.close();
        }
    }

    /** Whether the connection is over (closed, reset, timed out, or refused). */
    public boolean isDone()
    {
        return closeReason != null;
    }

    public TcpConnection connection()
    {
        return connection;
    }

    /** How the connection ended; null while it lasts. */
    public TcpCloseReason closeReason()
    {
        return closeReason;
    }

    /** Stream bytes accepted by the connection's send buffer. */
    public long sent()
    {
        return sent;
    }

    /** Bytes the peer sent back. */
    public long received()
    {
        return received;
    }

    /** SHA-256 of the stream sent, once all of it is queued; null before. */
    public String sentSha256()
    {
        return sentSha256;
    }

    /** SHA-256 of what the peer sent, once the connection is over; null before. */
    public String receivedSha256()
    {
        return receivedSha256;
    }

    /** From the handshake's completion to the connection's end; 0 while it lasts. */
    public long transferNs()
    {
        return closedNs == 0 || connectedNs == 0 ? 0 : closedNs - connectedNs;
    }
}
