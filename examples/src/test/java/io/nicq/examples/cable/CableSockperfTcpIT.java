package io.nicq.examples.cable;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.QueueService;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.tcp.TcpCloseReason;
import io.nicq.client.tcp.TcpConnection;
import io.nicq.client.tcp.TcpHandler;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.client.tcp.TcpReader;
import io.nicq.examples.sockperf.SockperfMessage;
import io.nicq.examples.sockperf.SockperfTcpServer;
import io.nicq.packet.Ipv4Address;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/**
 * nicq's {@link SockperfTcpServer} on host b of the simulated cable ({@link CableLab}, no root needed) against
 * sockperf-framed streams written by nicq's TCP on host a, in chunks of random sizes (headers and payloads split
 * across segments, several messages in one): every connection at once gets exactly the answers it asked for, in
 * order, with a send buffer on b smaller than the largest answer (answers go out in parts as room comes). A stream
 * that is not sockperf's is reset and counted.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CableSockperfTcpIT
{
    private static final int PORT = 11111;
    private static final int MAX_LENGTH = 20_000;
    /** Smaller than the largest message: an answer cannot always go into the send buffer in one write. */
    private static final int SERVER_SEND_BUFFER = 8192;
    private static final long TIMEOUT_MS = 120_000;
    private static final int ASK = SockperfMessage.FLAG_CLIENT | SockperfMessage.FLAG_PONG_REQUEST;

    @TempDir
    Path dir;

    private CableLab lab;
    private ServerHost server;

    @AfterEach
    void tearDown() throws Exception
    {
        if (server != null)
        {
            server.close();
        }
        if (lab != null)
        {
            lab.close();
        }
    }

    @Test
    void manyConnectionsGetTheirOwnAnswersFromStreamsCutAnywhere() throws Exception
    {
        lab = CableLab.open(dir, UnaryOperator.identity());
        server = ServerHost.start(lab.clientB);
        final NicQueue queue = lab.clientA.requestQueue(QueueService.INLINE);
        final Ipv4Interface ip = new Ipv4Interface(queue, lab.clientA);
        final TcpLayer tcp = new TcpLayer(ip);
        final int connections = 8;
        final List<Peer> peers = new ArrayList<>();
        long asked = 0;
        long notAsking = 0;
        for (int i = 0; i < connections; i++)
        {
            final Peer peer = new Peer(tcp, 40 + i, 200);
            asked += peer.asked;
            notAsking += peer.notAsking;
            peers.add(peer);
        }
        pollUntil(ip, () -> peers.stream().allMatch(Peer::isClosed), () -> describe(peers) + server.describe());
        for (final Peer peer : peers)
        {
            assertEquals(TcpCloseReason.CLOSED, peer.reason, peer::toString);
            assertFalse(peer.mismatch, () -> "the answers are the asked messages, CLIENT cleared, in order: " + peer);
            assertEquals(peer.expected.length, peer.matched, () -> "every answer arrived: " + peer);
        }
        // Host a's stack goes on (its TIME_WAIT answers b's FIN) until b has closed every connection.
        pollUntil(ip, () -> tcp.connections() == 0 && server.isIdle(connections), () -> tcp + server.describe());
        assertTrue(server.state.contains("answered " + asked + ","), server.describe() + " asked " + asked);
        assertTrue(server.state.contains("not asking " + notAsking + ","), server.describe());
        assertTrue(server.state.contains("closed closed " + connections + ","), server.describe());
        assertTrue(server.state.contains("truncated 0,"), server.describe());
        lab.clientA.releaseQueue(queue);
    }

    @Test
    void aBadLengthResetsItsConnectionAndAPartialLastMessageIsCounted() throws Exception
    {
        lab = CableLab.open(dir, UnaryOperator.identity());
        server = ServerHost.start(lab.clientB);
        final NicQueue queue = lab.clientA.requestQueue(QueueService.INLINE);
        final Ipv4Interface ip = new Ipv4Interface(queue, lab.clientA);
        final TcpLayer tcp = new TcpLayer(ip);
        final Peer good = new Peer(tcp, 1, 50);
        // Two good messages, then one longer than the server accepts: answered twice, then reset.
        final Peer bad = new Peer(tcp, 2, 2, MAX_LENGTH + 1, 0);
        // Ten good messages, then half a header and the half-close: all ten answered, then a graceful close.
        final Peer cut = new Peer(tcp, 3, 10, 0, 9);
        pollUntil(ip, () -> good.isClosed() && bad.isClosed() && cut.isClosed(),
            () -> good + "; " + bad + "; " + cut + server.describe());
        assertEquals(TcpCloseReason.CLOSED, good.reason, good::toString);
        assertEquals(good.expected.length, good.matched, good::toString);
        assertFalse(good.mismatch, good::toString);
        assertEquals(TcpCloseReason.RESET, bad.reason, bad::toString);
        assertFalse(bad.mismatch, bad::toString);
        assertEquals(TcpCloseReason.CLOSED, cut.reason, cut::toString);
        assertEquals(cut.expected.length, cut.matched, cut::toString);
        assertFalse(cut.mismatch, cut::toString);
        pollUntil(ip, () -> tcp.connections() == 0 && server.isIdle(3), () -> tcp + server.describe());
        assertTrue(server.state.contains("length_above_max 1"), server.describe());
        assertTrue(server.state.contains("closed closed 2 aborted 1,"), server.describe());
        assertTrue(server.state.contains("truncated 1,"), server.describe());
        lab.clientA.releaseQueue(queue);
    }

    private static String describe(final List<Peer> peers)
    {
        final StringBuilder text = new StringBuilder();
        peers.forEach(peer -> text.append('\n').append(peer));
        return text.toString();
    }

    private static void pollUntil(final Ipv4Interface ip, final java.util.function.BooleanSupplier done,
        final java.util.function.Supplier<String> context)
    {
        final IdleStrategy idle = CableLab.idle();
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (!done.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("not done within " + TIMEOUT_MS + " ms: " + context.get());
            }
            idle.idle(ip.poll());
        }
    }

    /**
     * A client connection: writes its stream of sockperf messages (seeded: sizes, and which ask for an answer) in
     * chunks of random sizes, half-closes, and compares what comes back with the answers it asked for.
     */
    private static final class Peer implements TcpHandler, TcpReader
    {
        private final SplittableRandom random;
        private final UnsafeBuffer out;
        private final byte[] expected;
        private final TcpConnection connection;
        private long asked;
        private long notAsking;
        private int sent;
        private int matched;
        private boolean mismatch;
        private boolean shut;
        private TcpCloseReason reason;

        Peer(final TcpLayer tcp, final long seed, final int messages)
        {
            this(tcp, seed, messages, 0, 0);
        }

        /**
         * {@code badLength} (if not 0): a last message whose header says that length; {@code partial} (if not 0): the
         * first bytes of a last message, then the half-close.
         */
        Peer(final TcpLayer tcp, final long seed, final int messages, final int badLength, final int partial)
        {
            random = new SplittableRandom(seed);
            final ByteArrayOutputStream stream = new ByteArrayOutputStream();
            final ByteArrayOutputStream answers = new ByteArrayOutputStream();
            final SockperfMessage header = new SockperfMessage();
            for (int i = 0; i < messages; i++)
            {
                // Mostly small (ping-pong's sizes), some beyond the server's send buffer, a few header-only.
                final int pick = random.nextInt(10);
                final int length = pick == 0 ? SockperfMessage.HEADER_LENGTH : pick < 8 ?
                    SockperfMessage.HEADER_LENGTH + random.nextInt(200) : 1 + random.nextInt(MAX_LENGTH);
                final int kind = random.nextInt(4);
                final int flags = kind == 0 ? SockperfMessage.FLAG_CLIENT :
                    kind == 1 ? ASK | SockperfMessage.FLAG_WARMUP : ASK;
                final int size = Math.max(SockperfMessage.HEADER_LENGTH, length);
                final UnsafeBuffer message = new UnsafeBuffer(new byte[size]);
                for (int b = SockperfMessage.HEADER_LENGTH; b < size; b++)
                {
                    message.putByte(b, (byte)random.nextInt());
                }
                header.wrap(message, 0).header(seed << 32 | i, flags, size);
                stream.writeBytes(message.byteArray());
                if (header.disposition() == SockperfMessage.Disposition.ANSWER)
                {
                    header.markAnswer();
                    answers.writeBytes(message.byteArray());
                    asked++;
                }
                else if (header.disposition() == SockperfMessage.Disposition.NOT_ASKING)
                {
                    notAsking++;
                }
            }
            if (badLength != 0)
            {
                final UnsafeBuffer message = new UnsafeBuffer(new byte[SockperfMessage.HEADER_LENGTH]);
                header.wrap(message, 0).header(-1, ASK, badLength);
                stream.writeBytes(message.byteArray());
            }
            if (partial != 0)
            {
                final UnsafeBuffer message = new UnsafeBuffer(new byte[100]);
                header.wrap(message, 0).header(-2, ASK, 100);
                stream.write(message.byteArray(), 0, partial);
            }
            out = new UnsafeBuffer(stream.toByteArray());
            expected = answers.toByteArray();
            connection = TcpConnection.connect(tcp, Ipv4Address.parse(CableLab.IP_B), PORT, this);
        }

        public void onConnected(final TcpConnection connection)
        {
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
            connection.close();
        }

        public void onClosed(final TcpConnection connection, final TcpCloseReason reason)
        {
            this.reason = reason;
        }

        /** Writes chunks of 1 to 3000 bytes while the send buffer takes them (at most one turn per byte). */
        private void pump()
        {
            while (sent < out.capacity() && reason == null)
            {
                final int chunk = Math.min(out.capacity() - sent, 1 + random.nextInt(3000));
                final int written = connection.write(out, sent, chunk);
                sent += written;
                if (written < chunk)
                {
                    return;
                }
            }
            if (sent == out.capacity() && !shut && reason == null)
            {
                shut = true;
                connection.shutdownOutput();
            }
        }

        public int onData(final DirectBuffer buffer, final int offset, final int length)
        {
            for (int i = 0; i < length; i++)
            {
                if (matched + i >= expected.length || buffer.getByte(offset + i) != expected[matched + i])
                {
                    mismatch = true;
                    break;
                }
            }
            matched += length;
            return length;
        }

        boolean isClosed()
        {
            return reason != null;
        }

        public String toString()
        {
            return "Peer{" + connection + " sent " + sent + "/" + out.capacity() + ", answers " + matched + "/" +
                expected.length + (mismatch ? ", MISMATCH" : "") + ", closed " + reason + "}";
        }
    }

    /** Host b: the sockperf server on its own thread and inline queue, its counters published for the test. */
    private static final class ServerHost implements AutoCloseable
    {
        private final Thread thread;
        private final CountDownLatch ready = new CountDownLatch(1);
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile boolean running = true;
        private volatile String state = "starting";
        private volatile long open = -1;
        private volatile long accepted;

        private ServerHost(final NicClient client)
        {
            thread = Thread.ofPlatform().name("sockperf-host-b").start(() -> run(client));
        }

        static ServerHost start(final NicClient client) throws InterruptedException
        {
            final ServerHost host = new ServerHost(client);
            if (!host.ready.await(30, TimeUnit.SECONDS) || host.failure.get() != null)
            {
                host.close();
                fail("host b's sockperf server did not start: " + host.failure.get());
            }
            return host;
        }

        private void run(final NicClient client)
        {
            try
            {
                final NicQueue queue = client.requestQueue(QueueService.INLINE);
                final Ipv4Interface ip = new Ipv4Interface(queue, client);
                final SockperfTcpServer server = new SockperfTcpServer(
                    new TcpLayer(ip, new TcpLayer.Context().sendBufferSize(SERVER_SEND_BUFFER)), PORT, MAX_LENGTH);
                ready.countDown();
                final IdleStrategy idle = CableLab.idle();
                int polls = 0;
                while (running)
                {
                    idle.idle(server.doWork());
                    if ((++polls & 0xFF) == 0)
                    {
                        publish(server, ip);
                    }
                }
                publish(server, ip);
                server.onClose();
                client.releaseQueue(queue);
            }
            catch (final Throwable ex)
            {
                failure.set(ex);
                ready.countDown();
            }
        }

        private void publish(final SockperfTcpServer server, final Ipv4Interface ip)
        {
            // The state string first: a reader that sees the counters done sees a state at least as new.
            state = server + server.describeOpen() + "; stack drops b: " + ip.dropsToString();
            accepted = server.accepted();
            open = server.open();
        }

        String describe()
        {
            return "\nhost b: " + state + (failure.get() != null ? "; failed: " + failure.get() : "");
        }

        /** Whether host b has accepted {@code connections} and closed every one. */
        boolean isIdle(final int connections)
        {
            if (failure.get() != null)
            {
                fail("host b failed: " + failure.get());
            }
            return accepted == connections && open == 0;
        }

        public void close() throws InterruptedException
        {
            running = false;
            thread.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(thread.isAlive(), "host b's thread did not stop");
            assertNull(failure.get(), () -> "host b failed: " + failure.get());
        }
    }
}
