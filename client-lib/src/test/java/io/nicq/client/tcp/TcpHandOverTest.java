package io.nicq.client.tcp;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.nicq.client.DropReason;
import io.nicq.client.Filter;
import io.nicq.packet.EthernetHeader;
import io.nicq.packet.Ipv4Address;
import io.nicq.packet.Ipv4Header;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link TcpHandOver} on test wires ({@link LoopbackEnd}), one thread stepping every end: host a's client, host b's
 * listener queue and one worker queue. The "card" is the router below: a's frames go to the worker's queue once the
 * listener has registered the connection's filter and the test says it is live, to the listener's queue before.
 */
class TcpHandOverTest
{
    private static final int A_IP = Ipv4Address.parse("10.0.0.1");
    private static final int B_IP = Ipv4Address.parse("10.0.0.2");
    private static final long A_MAC = 0x020000000001L;
    private static final long B_MAC = 0x020000000002L;
    private static final int PORT = 7000;
    private static final int TCP_OFFSET = EthernetHeader.HEADER_LENGTH + Ipv4Header.MIN_HEADER_LENGTH;
    private static final int MAX_ROUNDS = 2_000_000;
    private static final long MAX_NS = TimeUnit.SECONDS.toNanos(20);

    @TempDir
    Path dir;

    private LoopbackEnd a;
    private LoopbackEnd listenerEnd;
    private LoopbackEnd workerEnd;
    private TcpHandOver handOver;
    private TcpHandOver.Worker worker;
    private final WorkerServer workerServer = new WorkerServer();
    private final List<TcpConnection> kept = new ArrayList<>();
    /** From this round on, a registered connection filter steers its segments to the worker's queue. */
    private int filtersLiveFrom;
    /** Steer every frame of a to the worker's queue, filter or not (a filter the hand-over did not make). */
    private boolean everythingToTheWorker;
    private int round;
    private int workerMtu = 1500;

    /** The worker's application: reads every byte of its connections, closes when the peer does (or at once). */
    private static final class WorkerServer implements TcpListenerHandler, TcpHandler, TcpReader
    {
        final List<TcpConnection> accepted = new ArrayList<>();
        byte[] received = new byte[0];
        int receivedCount;
        boolean closeAtOnce;

        public void onAccepted(final TcpConnection connection)
        {
            accepted.add(connection);
            connection.handler(this);
            if (closeAtOnce)
            {
                connection.close();
            }
        }

        public void onReadable(final TcpConnection connection)
        {
            connection.read(this);
        }

        public void onPeerClosed(final TcpConnection connection)
        {
            connection.read(this);
            connection.close();
        }

        public int onData(final DirectBuffer buffer, final int offset, final int length)
        {
            buffer.getBytes(offset, received, receivedCount, length);
            receivedCount += length;
            return length;
        }
    }

    @AfterEach
    void tearDown()
    {
        if (handOver != null)
        {
            handOver.close();
        }
        for (final LoopbackEnd end : new LoopbackEnd[] {a, listenerEnd, workerEnd})
        {
            if (end != null && end.queue != null)
            {
                end.queue.close();
            }
        }
    }

    private void open(final TcpLayer.Context workerContext, final int inboxCapacity) throws Exception
    {
        a = new LoopbackEnd(dir.resolve("a"), A_IP, A_MAC, B_MAC);
        listenerEnd = new LoopbackEnd(dir.resolve("listener"), B_IP, B_MAC, A_MAC);
        workerEnd = new LoopbackEnd(dir.resolve("worker"), B_IP, B_MAC, A_MAC);
        workerEnd.mtu = workerMtu;
        a.open(dir.resolve("a"));
        listenerEnd.open(dir.resolve("listener"));
        workerEnd.open(dir.resolve("worker"), workerContext);
        worker = new TcpHandOver.Worker(workerEnd.tcp, PORT, workerServer, inboxCapacity);
        handOver = new TcpHandOver(listenerEnd.tcp, PORT, List.of(worker), kept::add);
    }

    /** The card's choice for a frame of a: the worker's queue if a live connection filter matches it. */
    private LoopbackEnd route(final DirectBuffer frame, final int offset, final int length)
    {
        if (everythingToTheWorker)
        {
            return workerEnd;
        }
        final int sourcePort = frame.getShort(offset + TCP_OFFSET, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (round >= filtersLiveFrom)
        {
            for (final Filter filter : listenerEnd.connectionFilters())
            {
                if (filter.remoteIp() == A_IP && filter.remotePort() == sourcePort)
                {
                    return workerEnd;
                }
            }
        }
        return listenerEnd;
    }

    /** One step of every end: a's frames through the card, the listener, the worker, their answers back to a. */
    private void step(final boolean workerDrainsItsInbox)
    {
        round++;
        if (round == filtersLiveFrom && handOver.connectionsOpen() > 0)
        {
            // The hand-over registers on its own thread: from this round on the test wants the filter in place.
            final long deadline = System.nanoTime() + MAX_NS;
            while (listenerEnd.connectionFilters().isEmpty() && System.nanoTime() - deadline < 0)
            {
                Thread.onSpinWait();
            }
        }
        a.transmit(this::route);
        listenerEnd.ip.poll();
        handOver.doWork();
        if (workerDrainsItsInbox)
        {
            worker.doWork();
        }
        workerEnd.ip.poll();
        workerEnd.transmitTo(a);
        listenerEnd.transmitTo(a);
        a.ip.poll();
    }

    private void stepUntil(final BooleanSupplier done, final String what)
    {
        final long deadline = System.nanoTime() + MAX_NS;
        for (int i = 0; i < MAX_ROUNDS && System.nanoTime() - deadline < 0; i++)
        {
            if (done.getAsBoolean())
            {
                return;
            }
            step(true);
        }
        fail("not " + what + " after " + round + " rounds: " + handOver + "; " + worker + "; client " + a.tcp +
            "; listener " + listenerEnd.tcp + "; worker " + workerEnd.tcp);
    }

    /** Sends {@code bytes} seeded bytes on a new connection from a, closes, and returns what was sent. */
    private byte[] sendAndClose(final int bytes)
    {
        final byte[] sent = new byte[bytes];
        new Random(bytes).nextBytes(sent);
        workerServer.received = new byte[bytes];
        final UnsafeBuffer source = new UnsafeBuffer(sent);
        final int[] written = {0};
        final TcpConnection client = TcpConnection.connect(a.tcp, B_IP, PORT, new TcpHandler()
        {
            public void onConnected(final TcpConnection connection)
            {
                onWritable(connection);
            }

            public void onWritable(final TcpConnection connection)
            {
                written[0] += connection.write(source, written[0], sent.length - written[0]);
                if (written[0] == sent.length)
                {
                    connection.close();
                }
            }
        });
        stepUntil(() -> client.state() == TcpState.TIME_WAIT && workerServer.receivedCount == bytes,
            "delivered and closed");
        return sent;
    }

    @Test
    void segmentsThatReachTheListenerBeforeTheFilterIsLiveArePassedOnAndReadInOrder() throws Exception
    {
        open(new TcpLayer.Context(), TcpHandOver.DEFAULT_INBOX_CAPACITY);
        filtersLiveFrom = 3;
        final byte[] sent = sendAndClose(200_000);

        assertArrayEquals(sent, workerServer.received, "the worker read the stream as it was sent");
        assertEquals(1, handOver.connectionsHandedOver());
        assertEquals(1, worker.connectionsTaken());
        assertTrue(handOver.segmentsPassedOn() > 1, "the SYN and more went through the listener: " + handOver);
        assertTrue(workerEnd.tcp.segmentsReceived() > handOver.segmentsPassedOn(), "and the rest came directly");
        assertEquals(0, listenerEnd.tcp.connections(), "the listener holds no connection");
        assertEquals(0, kept.size());
        stepUntil(() -> listenerEnd.connectionFiltersDeregistered() == 1, "the filter gone with the connection");
        assertEquals(1, handOver.connectionsReleased());
        assertEquals(0, handOver.connectionsOpen());
        assertEquals(List.of(), listenerEnd.connectionFilters());
    }

    @Test
    void aStreamHandedOverOnALossyReorderingWireArrivesWhole() throws Exception
    {
        open(new TcpLayer.Context(), TcpHandOver.DEFAULT_INBOX_CAPACITY);
        filtersLiveFrom = 25;
        a.loss = 0.02;
        a.reorder = 0.05;
        a.duplicate = 0.01;
        workerEnd.loss = 0.02;
        final byte[] sent = sendAndClose(300_000);

        assertArrayEquals(sent, workerServer.received);
        assertTrue(a.lost > 0 && a.reordered > 0 && a.duplicated > 0, "the wire misbehaved");
        assertEquals(1, worker.connectionsTaken());
        stepUntil(() -> listenerEnd.connectionFiltersDeregistered() == 1, "the filter gone with the connection");
    }

    @Test
    void aSynThatReachesAWorkerDirectlyIsDroppedUnanswered() throws Exception
    {
        open(new TcpLayer.Context(), TcpHandOver.DEFAULT_INBOX_CAPACITY);
        everythingToTheWorker = true;
        TcpConnection.connect(a.tcp, B_IP, PORT, new TcpHandler()
        {
        });
        for (int i = 0; i < 20; i++)
        {
            step(true);
        }
        assertEquals(1, workerEnd.tcp.synsNotHandedOver());
        assertEquals(1, workerEnd.ip.drops(DropReason.TCP_NOT_HANDED_OVER));
        assertEquals(0, workerEnd.tcp.connections());
        assertEquals(0, workerEnd.tcp.segmentsSent(),
            "no SYN-ACK, no RST: the peer's retransmission finds the listener");
        assertEquals(0, handOver.connectionsHandedOver());
    }

    @Test
    void aWorkerThatClosesFirstReleasesTheFilterOnlyWhenTimeWaitEnds() throws Exception
    {
        open(new TcpLayer.Context().timeWait(200, TimeUnit.MILLISECONDS), TcpHandOver.DEFAULT_INBOX_CAPACITY);
        workerServer.closeAtOnce = true;
        final TcpConnection client = TcpConnection.connect(a.tcp, B_IP, PORT, new TcpHandler()
        {
            public void onPeerClosed(final TcpConnection connection)
            {
                connection.close();
            }
        });
        stepUntil(() -> !workerServer.accepted.isEmpty() && workerServer.accepted.get(0).state() == TcpState.TIME_WAIT,
            "the worker's connection in TIME_WAIT");
        final long timeWaitFrom = System.nanoTime();
        stepUntil(() -> client.state() == TcpState.CLOSED, "the client closed");
        if (System.nanoTime() - timeWaitFrom < TimeUnit.MILLISECONDS.toNanos(150))
        {
            assertEquals(1, handOver.connectionsOpen(), "still handed over while TIME_WAIT runs");
            assertEquals(0, listenerEnd.connectionFiltersDeregistered(), "its filter stays while TIME_WAIT runs");
        }
        stepUntil(() -> listenerEnd.connectionFiltersDeregistered() == 1, "the filter gone after TIME_WAIT");
        assertTrue(System.nanoTime() - timeWaitFrom >= TimeUnit.MILLISECONDS.toNanos(200), "not before it ended");
        assertEquals(0, workerEnd.tcp.connections());
        assertEquals(1, handOver.connectionsReleased());
    }

    @Test
    void synsThatFindTheWorkersInboxFullStayWithTheListener() throws Exception
    {
        // A worker's queue at IPv4's smallest MTU (68) takes the smallest inbox, 512 bytes: about 7 SYN messages.
        workerMtu = 68;
        open(new TcpLayer.Context(), 512);
        final int connections = 12;
        final List<TcpConnection> clients = new ArrayList<>();
        for (int i = 0; i < connections; i++)
        {
            clients.add(TcpConnection.connect(a.tcp, B_IP, PORT, new TcpHandler()
            {
            }));
        }
        // The worker does not drain its inbox: it fills, and the SYNs that find no room are the listener's.
        for (int i = 0; i < 10; i++)
        {
            step(false);
        }
        assertTrue(handOver.connectionsKept() > 0, handOver.toString());
        assertEquals(connections, handOver.connectionsHandedOver() + handOver.connectionsKept(), handOver.toString());
        assertEquals(handOver.connectionsKept(), kept.size(), "the listener's own handler accepted the kept ones");
        stepUntil(() -> clients.stream().allMatch(c -> c.state() == TcpState.ESTABLISHED),
            "every connection established, once the worker drains");
        stepUntil(() -> workerServer.accepted.size() == handOver.connectionsHandedOver(),
            "the worker's last handshake ACKs in");
        assertEquals(handOver.connectionsHandedOver(), worker.connectionsTaken());
        assertEquals(handOver.connectionsKept(), listenerEnd.tcp.connections());
    }

    @Test
    void anInboxTooSmallForASegmentIsRefused() throws Exception
    {
        open(new TcpLayer.Context(), TcpHandOver.DEFAULT_INBOX_CAPACITY);
        final IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> new TcpHandOver.Worker(a.tcp, PORT + 1, workerServer, 4096));
        assertEquals("inbox capacity 4096 is too small: a message (a 1480-byte segment and 12 bytes) must fit in an " +
            "eighth of it; at least 16384", refused.getMessage());
    }
}
