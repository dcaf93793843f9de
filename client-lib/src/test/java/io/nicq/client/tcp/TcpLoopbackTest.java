package io.nicq.client.tcp;

import io.nicq.client.ControlPlane;
import io.nicq.client.Filter;
import io.nicq.client.NicQueue;
import io.nicq.client.QueueDriverPlacement;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.packet.Ipv4Address;
import io.nicq.proto.channel.IndexRing;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.QueueChannelHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Constructor;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two TCP layers on two queues whose driver sides are joined by test code (a wire that copies frames): handshake,
 * data both ways compared byte for byte, and a graceful close. NicQueue's and Filter's constructors are
 * package-private in io.nicq.client, so this harness reaches them by reflection.
 */
class TcpLoopbackTest
{
    private static final int SLOTS = 256;
    private static final int RX = 64;
    private static final int A_IP = Ipv4Address.parse("10.0.0.1");
    private static final int B_IP = Ipv4Address.parse("10.0.0.2");

    @TempDir
    Path dir;

    /** One end: a channel (the driver's side) and the client stack on it. */
    private static final class End implements ControlPlane
    {
        final QueueChannel channel;
        final int[] free = new int[SLOTS];
        int freeCount;
        final int[] batch = new int[SLOTS];
        final int ipv4;
        final long mac;
        final long peerMac;
        NicQueue queue;
        Ipv4Interface ip;
        TcpLayer tcp;
        int nextPort = 49152;
        /** Seeded loss on this end's transmissions: the probability a frame is dropped, 0 for none. */
        double loss;
        /** Seeded duplication: the probability a frame is delivered twice. */
        double duplicate;
        /** Seeded reordering: the probability a frame is held back and delivered after the next one. */
        double reorder;
        final Random random = new Random(7);
        long lost;
        long duplicated;
        long reordered;
        private final byte[] held = new byte[2048];
        private int heldLength = -1;

        End(final Path file, final int ipv4, final long mac, final long peerMac)
        {
            this.ipv4 = ipv4;
            this.mac = mac;
            this.peerMac = peerMac;
            channel = QueueChannel.create(file, 3, SLOTS);
            for (int slot = 0; slot < RX; slot++)
            {
                free[freeCount++] = slot;
            }
            for (int slot = RX; slot < SLOTS; slot++)
            {
                channel.txDone().offer(slot);
            }
            channel.header().driverPid(ProcessHandle.current().pid());
            channel.header().state(QueueChannelHeader.STATE_ACTIVE);
        }

        void open(final Path file) throws Exception
        {
            open(file, new TcpLayer.Context());
        }

        void open(final Path file, final TcpLayer.Context ctx) throws Exception
        {
            Constructor<?> constructor = null;
            for (final Constructor<?> c : NicQueue.class.getDeclaredConstructors())
            {
                if (c.getParameterCount() == 6)
                {
                    constructor = c;
                }
            }
            constructor.setAccessible(true);
            queue = (NicQueue)constructor.newInstance(this, QueueChannel.open(file), QueueDriverPlacement.THREAD,
                null, null, 16);
            ip = new Ipv4Interface(queue, this);
            tcp = new TcpLayer(ip, ctx);
        }

        /** Moves what this end transmitted onto the other end's RX ring. */
        int transmitTo(final End other)
        {
            queue.flush();
            final IndexRing txReady = channel.txReady();
            final int count = txReady.poll(batch, 0, batch.length);
            for (int i = 0; i < count; i++)
            {
                final int slot = batch[i];
                if (loss > 0 && random.nextDouble() < loss)
                {
                    lost++;
                    continue;
                }
                final int offset = QueueChannel.frameOffset(slot);
                final int length = channel.metadata().frameLength(slot);
                if (reorder > 0 && heldLength < 0 && length <= held.length && random.nextDouble() < reorder)
                {
                    channel.pool().getBytes(offset, held, 0, length);
                    heldLength = length;
                    reordered++;
                    continue;
                }
                other.inject(channel.pool(), offset, length);
                if (duplicate > 0 && random.nextDouble() < duplicate)
                {
                    other.inject(channel.pool(), offset, length);
                    duplicated++;
                }
                releaseHeld(other);
            }
            channel.txDone().offer(batch, 0, count);
            releaseHeld(other);
            return count;
        }

        /** The frame held back for reordering goes after the one that overtook it (or at the end of the batch). */
        private void releaseHeld(final End other)
        {
            if (heldLength >= 0)
            {
                other.inject(new UnsafeBuffer(held), 0, heldLength);
                heldLength = -1;
            }
        }

        void inject(final org.agrona.DirectBuffer pool, final int offset, final int length)
        {
            final int taken = channel.rxFree().poll(batch, 0, batch.length);
            for (int i = 0; i < taken; i++)
            {
                free[freeCount++] = batch[i];
            }
            if (freeCount == 0)
            {
                return;
            }
            final int slot = free[--freeCount];
            channel.pool().putBytes(QueueChannel.frameOffset(slot), pool, offset, length);
            channel.metadata().frameLength(slot, length);
            channel.metadata().flags(slot, 0);
            channel.metadata().rxAppNs(slot, 0);
            channel.rxReady().offer(slot);
        }

        public long mac()
        {
            return mac;
        }

        public int ipv4()
        {
            return ipv4;
        }

        public int prefixLength()
        {
            return 24;
        }

        public int gateway()
        {
            return 0;
        }

        public int mtu()
        {
            return 1500;
        }

        public long resolveNeighbour(final int address)
        {
            return peerMac;
        }

        public Filter registerUdpPort(final NicQueue queue, final int port)
        {
            return filter(Filter.Kind.UDP_PORT, port, 0, 0);
        }

        public Filter registerTcpPort(final NicQueue queue, final int port)
        {
            return filter(Filter.Kind.TCP_PORT, port, 0, 0);
        }

        public Filter registerTcpConnection(final NicQueue queue, final int localPort, final int remoteIp,
            final int remotePort)
        {
            return filter(Filter.Kind.TCP_CONNECTION, localPort != 0 ? localPort : nextPort++, remoteIp, remotePort);
        }

        public void deregister(final Filter filter)
        {
        }

        public void releaseQueue(final NicQueue queue)
        {
        }

        private Filter filter(final Filter.Kind kind, final int port, final int remoteIp, final int remotePort)
        {
            try
            {
                final Constructor<Filter> c = Filter.class.getDeclaredConstructor(int.class, int.class,
                    Filter.Kind.class, Filter.Placement.class, int.class, int.class, int.class, int.class);
                c.setAccessible(true);
                return c.newInstance(1, 3, kind, Filter.Placement.SOFTWARE, -1, port, remoteIp, remotePort);
            }
            catch (final ReflectiveOperationException ex)
            {
                throw new IllegalStateException(ex);
            }
        }
    }

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
        final End a = new End(dir.resolve("a"), A_IP, 0x020000000001L, 0x020000000002L);
        final End b = new End(dir.resolve("b"), B_IP, 0x020000000002L, 0x020000000001L);
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
        final End a = new End(dir.resolve("a"), A_IP, 0x020000000001L, 0x020000000002L);
        final End b = new End(dir.resolve("b"), B_IP, 0x020000000002L, 0x020000000001L);
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
        final End a = new End(dir.resolve("a"), A_IP, 0x020000000001L, 0x020000000002L);
        a.open(dir.resolve("a"), new TcpLayer.Context().clock(() -> now[0]).synRetries(3));
        final TcpCloseReason[] reason = {TcpCloseReason.NONE};
        final TcpConnection client = TcpConnection.connect(a.tcp, B_IP, 7000, new TcpHandler()
        {
            public void onClosed(final TcpConnection connection, final TcpCloseReason why)
            {
                reason[0] = why;
            }
        });
        final End sink = new End(dir.resolve("b"), B_IP, 0x020000000002L, 0x020000000001L);
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
