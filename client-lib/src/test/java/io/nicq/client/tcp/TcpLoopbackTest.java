package io.nicq.client.tcp;

import io.nicq.packet.Ipv4Address;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two TCP layers on two queues whose driver sides are joined by test code ({@link LoopbackEnd}, a wire that copies
 * frames): handshake, data both ways compared byte for byte, and a graceful close.
 */
class TcpLoopbackTest
{
    private static final int A_IP = Ipv4Address.parse("10.0.0.1");
    private static final int B_IP = Ipv4Address.parse("10.0.0.2");

    @TempDir
    Path dir;

    @Test
    void transfersBytesAndCloses() throws Exception
    {
        transfer(0, 0, 0, 1 << 20);
    }

    @Test
    void transfersBytesUnderTwoPercentLossBothWays() throws Exception
    {
        transfer(0.02, 0, 0, 1 << 20);
    }

    /** Issue 11's fault mix (2% loss, 1% duplication, 5% reordering) each way over 4 MiB: reassembly and recovery. */
    @Test
    void transfersFourMiBUnderLossDuplicationAndReorderingBothWays() throws Exception
    {
        transfer(0.02, 0.01, 0.05, 4 << 20);
    }

    private void transfer(final double loss, final double duplicate, final double reorder, final int bytes)
        throws Exception
    {
        final LoopbackEnd a = new LoopbackEnd(dir.resolve("a"), A_IP, 0x020000000001L, 0x020000000002L);
        final LoopbackEnd b = new LoopbackEnd(dir.resolve("b"), B_IP, 0x020000000002L, 0x020000000001L);
        a.open(dir.resolve("a"));
        b.open(dir.resolve("b"));
        a.loss = loss;
        b.loss = loss;
        a.duplicate = duplicate;
        b.duplicate = duplicate;
        a.reorder = reorder;
        b.reorder = reorder;

        final byte[] sent = new byte[bytes];
        new Random(42).nextBytes(sent);
        final byte[] received = new byte[sent.length];
        final int[] receivedCount = {0};
        final TcpConnection[] server = {null};
        final TcpReader sink = (buffer, offset, length) ->
        {
            buffer.getBytes(offset, received, receivedCount[0], length);
            receivedCount[0] += length;
            return length;
        };
        final TcpHandler serverHandler = new TcpHandler()
        {
            public void onReadable(final TcpConnection connection)
            {
                connection.read(sink);
            }

            public void onPeerClosed(final TcpConnection connection)
            {
                connection.close();
            }
        };
        final TcpListener listener = TcpListener.open(b.tcp, 7000, c ->
        {
            server[0] = c;
            c.handler(serverHandler);
        });
        final TcpConnection client = TcpConnection.connect(a.tcp, B_IP, 7000, new TcpHandler()
        {
        });
        assertEquals(TcpState.SYN_SENT, client.state());
        final UnsafeBuffer source = new UnsafeBuffer(sent);
        int written = 0;
        final long deadline = System.nanoTime() + 20_000_000_000L;
        for (int round = 0; round < 500_000_000 && System.nanoTime() < deadline; round++)
        {
            if (client.state() == TcpState.ESTABLISHED && written < sent.length)
            {
                written += client.write(source, written, sent.length - written);
                if (written == sent.length)
                {
                    client.close();
                }
            }
            a.transmitTo(b);
            b.ip.poll();
            b.transmitTo(a);
            a.ip.poll();
            if (client.state() == TcpState.TIME_WAIT && receivedCount[0] == sent.length)
            {
                break;
            }
        }
        assertEquals(sent.length, receivedCount[0], client + " " + server[0] + " " + a.tcp + " " + b.tcp +
            " drops a: " + a.ip.dropsToString() + " b: " + b.ip.dropsToString());
        assertArrayEquals(sent, received);
        assertEquals(TcpState.TIME_WAIT, client.state());
        assertEquals(TcpCloseReason.CLOSED, client.closeReason());
        assertTrue(loss == 0 || (a.lost > 0 && a.tcp.retransmissions() > 0), "loss exercised: " + a.lost);
        assertTrue(duplicate == 0 || a.duplicated > 0, "duplication exercised");
        assertTrue(reorder == 0 || a.reordered > 0, "reordering exercised");
        assertTrue(server[0].state() == TcpState.CLOSED || server[0].state() == TcpState.LAST_ACK,
            server[0].toString());
        listener.close();
        a.queue.close();
        b.queue.close();
    }

    @Test
    void connectToAPortWithoutListenerIsRefused() throws Exception
    {
        final LoopbackEnd a = new LoopbackEnd(dir.resolve("a"), A_IP, 0x020000000001L, 0x020000000002L);
        final LoopbackEnd b = new LoopbackEnd(dir.resolve("b"), B_IP, 0x020000000002L, 0x020000000001L);
        a.open(dir.resolve("a"));
        b.open(dir.resolve("b"));
        final TcpCloseReason[] reason = {TcpCloseReason.NONE};
        final TcpConnection client = TcpConnection.connect(a.tcp, B_IP, 7001, new TcpHandler()
        {
            public void onClosed(final TcpConnection connection, final TcpCloseReason why)
            {
                reason[0] = why;
            }
        });
        for (int round = 0; round < 10; round++)
        {
            a.transmitTo(b);
            b.ip.poll();
            b.transmitTo(a);
            a.ip.poll();
        }
        assertEquals(TcpCloseReason.REFUSED, reason[0]);
        assertEquals(TcpState.CLOSED, client.state());
        assertEquals(1, b.tcp.resetsSent());
        assertEquals(0, a.tcp.connections());
        a.queue.close();
        b.queue.close();
    }

    @Test
    void connectWithoutAnswerTimesOutAfterTheSynRetries() throws Exception
    {
        final long[] now = {1_000_000_000L};
        final LoopbackEnd a = new LoopbackEnd(dir.resolve("a"), A_IP, 0x020000000001L, 0x020000000002L);
        a.open(dir.resolve("a"), new TcpLayer.Context().clock(() -> now[0]).synRetries(3));
        final TcpCloseReason[] reason = {TcpCloseReason.NONE};
        final TcpConnection client = TcpConnection.connect(a.tcp, B_IP, 7000, new TcpHandler()
        {
            public void onClosed(final TcpConnection connection, final TcpCloseReason why)
            {
                reason[0] = why;
            }
        });
        final LoopbackEnd sink = new LoopbackEnd(dir.resolve("b"), B_IP, 0x020000000002L, 0x020000000001L);
        int syns = a.transmitTo(sink);
        for (int second = 0; second < 20 && reason[0] == TcpCloseReason.NONE; second++)
        {
            now[0] += 1_000_000_000L;
            a.ip.poll();
            syns += a.transmitTo(sink);
        }
        assertEquals(TcpCloseReason.CONNECT_TIMED_OUT, reason[0]);
        assertEquals(4, syns, "the SYN and 3 retransmissions");
        assertEquals(3, a.tcp.retransmissions());
        assertEquals(TcpState.CLOSED, client.state());
        a.queue.close();
    }
}
