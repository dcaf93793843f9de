package io.nicq.reliability;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.QueueService;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.tcp.TcpCloseReason;
import io.nicq.client.tcp.TcpConnection;
import io.nicq.client.tcp.TcpHandler;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.client.tcp.TcpListener;
import io.nicq.client.tcp.TcpState;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;

import static io.nicq.reliability.TcpWirePeer.ACK;
import static io.nicq.reliability.TcpWirePeer.FIN;
import static io.nicq.reliability.TcpWirePeer.PSH;
import static io.nicq.reliability.TcpWirePeer.RST;
import static io.nicq.reliability.TcpWirePeer.SYN;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Fuzzes TCP segments from the wire into an established connection of client-lib's TCP, through the whole receive
 * path (simulated card, queue driver, queue channel, interface), with an independent peer ({@link TcpWirePeer}) that
 * builds every byte itself. Each try opens a connection to a listener (three-way handshake, checked), then sends a
 * random mix of well-formed segments of one seeded stream (in order, ahead of order, old and overlapping data, a
 * window's edge) and bad ones (wrong checksum, data offsets below 5 or beyond the segment, garbage options, RSTs and
 * SYNs that are not exactly at the next expected sequence, nonsense flag combinations). Invariants:
 * <ul>
 *   <li>never an exception out of the stack, and every segment the stack sends has a right checksum;</li>
 *   <li>what the application has read is always a prefix of the stream (reassembly never delivers a wrong byte),
 *   and the stack never acknowledges a byte the peer did not send;</li>
 *   <li>liveness: the peer then sends the whole stream in order and a FIN; the application reads every byte, sees
 *   the half-close, and closes;</li>
 *   <li>an in-window RST not at the expected sequence never resets the connection (RFC 5961 3.2); the exact one does,
 *   and nothing is left behind (connections, filters).</li>
 * </ul>
 */
class TcpSegmentFuzzTest
{
    private static final int PORT = 7000;
    private static final int STREAM = 16 * 1024;
    private static final int MSS = 1460;
    private static final long WAIT_MS = 10_000;

    private static Path root;
    private static EmbeddedInstance instance;
    private static NicClient client;
    private static NicQueue queue;
    private static Ipv4Interface ip;
    private static TcpLayer tcp;
    private static TcpListener listener;
    private static TcpWirePeer peer;
    private static Thread pump;
    private static volatile boolean pumping = true;
    private static volatile AssertionError wireFailure;
    private static final java.util.concurrent.ConcurrentLinkedQueue<TcpWirePeer.Segment> WIRE =
        new java.util.concurrent.ConcurrentLinkedQueue<>();
    private static int nextPeerPort = 20_000;
    private static long segmentsSent;
    private static long tries;

    /** The connection of the current try, as the application sees it. */
    private static final Accepted ACCEPTED = new Accepted();

    private static final byte[] MSS_OPTION = {2, 4, (byte)(MSS >> 8), (byte)MSS};

    /** What a fuzzed segment is. */
    enum Kind
    {
        IN_ORDER, AHEAD, OLD, OVERLAP, WINDOW_EDGE, BAD_CHECKSUM, SHORT_OFFSET, LONG_OFFSET, GARBAGE_OPTIONS,
        RST_IN_WINDOW, SYN_IN_WINDOW, NONSENSE_FLAGS, PURE_ACK
    }

    /** One fuzzed segment: what it is, where in the stream, how long, and a random byte for its mutation. */
    record Case(Kind kind, int offset, int length, int noise)
    {
    }

    static final class Accepted implements TcpHandler
    {
        TcpConnection connection;
        final byte[] read = new byte[STREAM];
        int readBytes;
        boolean peerClosed;
        TcpCloseReason closed;
        String wrongByte;

        void reset()
        {
            connection = null;
            readBytes = 0;
            peerClosed = false;
            closed = null;
            wrongByte = null;
        }

        public void onReadable(final TcpConnection c)
        {
            c.read(this::onData);
        }

        private int onData(final DirectBuffer buffer, final int offset, final int length)
        {
            final int take = Math.min(length, STREAM - readBytes);
            buffer.getBytes(offset, read, readBytes, take);
            for (int i = 0; i < take && wrongByte == null; i++)
            {
                if (read[readBytes + i] != streamByte(readBytes + i))
                {
                    wrongByte = "byte " + (readBytes + i) + " is " + read[readBytes + i] + ", the stream has " +
                        streamByte(readBytes + i);
                }
            }
            readBytes += take;
            return take;
        }

        public void onPeerClosed(final TcpConnection c)
        {
            peerClosed = true;
            c.close();
        }

        public void onClosed(final TcpConnection c, final TcpCloseReason reason)
        {
            closed = reason;
        }
    }

    static byte streamByte(final int i)
    {
        return (byte)(i * 131 + (i >>> 8) * 7 + 0x5A);
    }

    @BeforeContainer
    static void start()
    {
        root = TestDirs.create("tcp-fuzz");
        instance = EmbeddedInstance.start(root, "tcpfuzz");
        client = NicClient.connect(new NicClient.Context().instance("tcpfuzz").baseDir(root.resolve("nicq"))
            .name("tcp-fuzz").shutdownHook(false));
        queue = client.requestQueue(QueueService.SERVED, 256, 1024);
        ip = new Ipv4Interface(queue, client);
        tcp = new TcpLayer(ip);
        listener = TcpListener.open(tcp, PORT, connection ->
        {
            ACCEPTED.connection = connection;
            connection.handler(ACCEPTED);
        });
        peer = new TcpWirePeer(instance);
        // The wire is read by a thread of its own: the stack resolves the peer's MAC through the card driver, which
        // waits for the ARP reply while the test's thread is inside ip.poll().
        pump = new Thread(() ->
        {
            while (pumping)
            {
                try
                {
                    final TcpWirePeer.Segment segment = peer.take();
                    if (segment != null)
                    {
                        WIRE.add(segment);
                    }
                    else
                    {
                        java.util.concurrent.locks.LockSupport.parkNanos(20_000);
                    }
                }
                catch (final AssertionError ex)
                {
                    wireFailure = ex;
                }
            }
        }, "tcp-fuzz-wire");
        pump.setDaemon(true);
        pump.start();
    }

    @AfterContainer
    static void stop() throws InterruptedException
    {
        pumping = false;
        pump.join(5_000);
        try
        {
            final String section = TcpSegmentFuzzTest.class.getSimpleName();
            Figures.record(section, "connections fuzzed", tries);
            Figures.record(section, "segments injected", segmentsSent);
            Figures.record(section, "stack drop counters", ip.dropsToString());
            Figures.record(section, "tcp layer", tcp.toString());
            assertEquals("", instance.internalErrors(), "nothing failed inside the card driver");
        }
        finally
        {
            CloseHelper.quietCloseAll(listener, client, instance);
            TestDirs.delete(root);
        }
    }

    @Provide
    Arbitrary<List<Case>> segments()
    {
        final Arbitrary<Case> one = Combinators.combine(Arbitraries.of(Kind.class),
            Arbitraries.integers().between(0, STREAM - 1), Arbitraries.integers().between(0, MSS),
            Arbitraries.integers().between(0, 255)).as(Case::new);
        return one.list().ofMinSize(1).ofMaxSize(40);
    }

    @Property(tries = 40, shrinking = ShrinkingMode.OFF)
    void noSegmentBreaksTheConnectionOrItsBytes(@ForAll("segments") final List<Case> cases)
    {
        tries++;
        ACCEPTED.reset();
        final int connectionsBefore = tcp.connections();
        final int peerPort = nextPeerPort++;
        currentPeerPort = peerPort;
        haveAck = false;
        final int isn = (int)(0x9E3779B9L * peerPort);

        // Three-way handshake, checked field by field.
        send(new TcpWirePeer.Segment(peerPort, PORT, isn, 0, SYN, 65_535, MSS_OPTION, new byte[0]));
        final TcpWirePeer.Segment synAck = awaitSegment(s -> s.has(SYN), "the SYN-ACK");
        assertTrue(synAck.has(ACK) && !synAck.has(RST) && !synAck.has(FIN), synAck.toString());
        assertEquals(isn + 1, synAck.ack(), "the SYN-ACK acknowledges the SYN");
        assertEquals(PORT, synAck.sourcePort());
        assertEquals(peerPort, synAck.destinationPort());
        final int local = synAck.seq() + 1;
        final int base = isn + 1;
        send(new TcpWirePeer.Segment(peerPort, PORT, base, local, ACK, 65_535, new byte[0], new byte[0]));
        drive(() -> ACCEPTED.connection != null && ACCEPTED.connection.state() == TcpState.ESTABLISHED,
            "the listener accepted the connection");

        // The fuzz: every sequence number relative to base (the peer's first data byte).
        int sentHigh = 0;   // stream bytes the peer has put on the wire at least once, from base
        for (final Case c : cases)
        {
            final int offset = Math.min(c.offset(), STREAM - 1);
            final int length = Math.max(1, Math.min(c.length(), STREAM - offset));
            switch (c.kind())
            {
                case IN_ORDER -> sentHigh = Math.max(sentHigh, sendData(peerPort, base, local, acked(base), length));
                case AHEAD, WINDOW_EDGE -> sentHigh = Math.max(sentHigh, sendData(peerPort, base, local,
                    Math.min(STREAM - length, acked(base) + (c.kind() == Kind.AHEAD ? 1 + c.noise() * 7 : 60_000)),
                    length));
                // Old data; before anything is acknowledged it is the first byte, new data after all.
                case OLD -> sentHigh = Math.max(sentHigh, sendData(peerPort, base, local,
                    Math.max(0, acked(base) - length), Math.min(length, Math.max(1, acked(base)))));
                case OVERLAP -> sentHigh = Math.max(sentHigh, sendData(peerPort, base, local,
                    Math.max(0, acked(base) - length / 2), length));
                case BAD_CHECKSUM ->
                {
                    final byte[] frame = dataFrame(peerPort, base + acked(base), local, acked(base), length, ACK);
                    // In the TCP checksum itself: the frame's last bytes may be Ethernet padding, outside the sum.
                    frame[14 + 20 + 16] ^= (byte)(1 + (c.noise() & 0x7F));
                    injectCounted(frame, "a segment with a bad checksum is dropped and counted");
                }
                case SHORT_OFFSET ->
                {
                    final byte[] frame = dataFrame(peerPort, base + acked(base), local, acked(base), length, ACK);
                    frame[14 + 20 + 12] = (byte)((c.noise() % 5) << 4);
                    TcpWirePeer.tcpChecksum(frame);
                    injectCounted(frame, "a data offset below 5 is dropped and counted");
                }
                case LONG_OFFSET ->
                {
                    final byte[] frame = dataFrame(peerPort, base + acked(base), local, acked(base), 0, ACK);
                    frame[14 + 20 + 12] = (byte)(0xF0);
                    TcpWirePeer.tcpChecksum(frame);
                    injectCounted(frame, "a data offset beyond the segment is dropped and counted");
                }
                case GARBAGE_OPTIONS ->
                {
                    final byte[] options = new byte[4 * (1 + (c.noise() & 3))];
                    for (int i = 0; i < options.length; i++)
                    {
                        options[i] = (byte)(c.noise() * (i + 3) + c.offset());
                    }
                    final int at = acked(base);
                    final int n = Math.min(length, STREAM - at);
                    send(new TcpWirePeer.Segment(peerPort, PORT, base + at, local, ACK | PSH, 65_535, options,
                        Arrays.copyOfRange(stream(), at, at + n)));
                    sentHigh = Math.max(sentHigh, at + n);
                }
                case RST_IN_WINDOW ->
                    // In the window but never at the next expected sequence: a challenge ACK, never a reset. Beyond
                    // every byte sent so far, not beyond the last ACK seen: the stack may not yet have taken (or
                    // acknowledged) data already on the wire, so its RCV.NXT is anywhere in [acked, sentHigh], and
                    // an RST at acked + 1 + noise could be exact by the time it arrives. sentHigh + 256 is far
                    // inside the 64 KiB window the stack advertises.
                    send(new TcpWirePeer.Segment(peerPort, PORT, base + sentHigh + 1 + c.noise(), 0, RST, 0,
                        new byte[0], new byte[0]));
                case SYN_IN_WINDOW ->
                    send(new TcpWirePeer.Segment(peerPort, PORT, base + acked(base) + c.noise(), 0, SYN, 65_535,
                        MSS_OPTION, new byte[0]));
                case NONSENSE_FLAGS ->
                    send(new TcpWirePeer.Segment(peerPort, PORT, base + acked(base), local,
                        (SYN | FIN | (c.noise() & (PSH | TcpWirePeer.URG))) & ~RST, 65_535, new byte[0],
                        new byte[0]));
                case PURE_ACK ->
                    send(new TcpWirePeer.Segment(peerPort, PORT, base + acked(base), local, ACK, c.noise() << 8,
                        new byte[0], new byte[0]));
            }
            settle();
            assertNull(ACCEPTED.wrongByte, () -> ACCEPTED.wrongByte + " after " + c);
            assertNotEquals(TcpCloseReason.RESET, ACCEPTED.closed, () -> "reset by " + c + ": " +
                ACCEPTED.connection);
            final int high = sentHigh;
            assertTrue(acked(base) <= high, () -> "acknowledged " + acked(base) + " of " + high + " bytes sent, " +
                "after " + c);
        }

        // Liveness: the whole stream in order, then FIN: every byte reaches the application.
        final int streamed = STREAM;
        for (int at = acked(base); at < streamed; )
        {
            final int n = Math.min(MSS, streamed - at);
            sendData(peerPort, base, local, at, n);
            final int before = at;
            drive(() -> acked(base) > before || ACCEPTED.connection.state() != TcpState.ESTABLISHED,
                "the stack acknowledges the in-order segment at " + at);
            at = acked(base);
        }
        send(new TcpWirePeer.Segment(peerPort, PORT, base + streamed, local, ACK | FIN, 65_535, new byte[0],
            new byte[0]));
        drive(() -> ACCEPTED.peerClosed, "the application sees the FIN");
        assertEquals(STREAM, ACCEPTED.readBytes, "every byte of the stream was read");
        assertNull(ACCEPTED.wrongByte, ACCEPTED.wrongByte);

        // The application closed on the FIN: its FIN comes; the exact RST then ends what is left at once.
        final TcpWirePeer.Segment fin = awaitSegment(s -> s.has(FIN), "the application's FIN");
        send(new TcpWirePeer.Segment(peerPort, PORT, base + streamed + 1, fin.seq() + 1, RST, 0, new byte[0],
            new byte[0]));
        drive(() -> tcp.connections() == connectionsBefore, "the connection is gone");
        assertTrue(ACCEPTED.closed != null, "the application was told the connection closed");
    }

    private static byte[] stream()
    {
        final byte[] bytes = new byte[STREAM];
        for (int i = 0; i < STREAM; i++)
        {
            bytes[i] = streamByte(i);
        }
        return bytes;
    }

    /** Stream bytes [at, at + n) as one segment; returns the end offset. */
    private static int sendData(final int peerPort, final int base, final int local, final int at, final int n)
    {
        final int from = Math.max(0, Math.min(at, STREAM));
        final int to = Math.min(STREAM, from + n);
        if (to <= from)
        {
            return from;
        }
        send(new TcpWirePeer.Segment(peerPort, PORT, base + from, local, ACK | PSH, 65_535, new byte[0],
            Arrays.copyOfRange(stream(), from, to)));
        return to;
    }

    private static byte[] dataFrame(final int peerPort, final int seq, final int local, final int at, final int n,
        final int flags)
    {
        final int from = Math.max(0, Math.min(at, STREAM));
        final int to = Math.min(STREAM, from + n);
        return peer.frame(new TcpWirePeer.Segment(peerPort, PORT, seq, local, flags, 65_535, new byte[0],
            Arrays.copyOfRange(stream(), from, to)));
    }

    private static void send(final TcpWirePeer.Segment segment)
    {
        final byte[] frame = peer.frame(segment);
        Await.until(() -> peer.inject(frame), WAIT_MS, "the card takes the frame from the wire");
        segmentsSent++;
    }

    private static void injectCounted(final byte[] frame, final String what)
    {
        final long dropsBefore = ip.totalDrops();
        Await.until(() -> peer.inject(frame), WAIT_MS, "the card takes the frame from the wire");
        segmentsSent++;
        drive(() -> ip.totalDrops() > dropsBefore, what);
    }

    /** Highest cumulative ACK the stack has sent on this try, as stream bytes from base. */
    private static int acked(final int base)
    {
        return Math.max(0, lastAck - base);
    }

    private static int lastAck;
    private static int currentPeerPort;
    private static boolean haveAck;

    /** Polls the stack and takes what it sent until the condition holds, within a bound. */
    private static void drive(final BooleanSupplier condition, final String what)
    {
        Await.until(() ->
        {
            ip.poll();
            drain();
            return condition.getAsBoolean();
        }, WAIT_MS, 0, () -> what + "; " + tcp + "; connection " + ACCEPTED.connection + "; drops " +
            ip.dropsToString());
    }

    /** Lets what is in flight arrive and be answered: a few rounds of poll and drain. */
    private static void settle()
    {
        for (int i = 0; i < 50; i++)
        {
            ip.poll();
            drain();
        }
    }

    private static final List<TcpWirePeer.Segment> FROM_STACK = new ArrayList<>();

    private static void drain()
    {
        if (wireFailure != null)
        {
            throw wireFailure;   // take() fails on a segment with a bad checksum
        }
        TcpWirePeer.Segment segment;
        while ((segment = WIRE.poll()) != null)
        {
            FROM_STACK.add(segment);
            // Cumulative ACKs of this try's connection only move forward (sequence arithmetic: signed difference).
            if (haveAck && segment.destinationPort() == currentPeerPort && segment.has(ACK) && !segment.has(SYN) &&
                !segment.has(RST) && segment.ack() - lastAck > 0)
            {
                lastAck = segment.ack();
            }
        }
    }

    private static TcpWirePeer.Segment awaitSegment(final Predicate<TcpWirePeer.Segment> wanted,
        final String what)
    {
        final TcpWirePeer.Segment[] found = new TcpWirePeer.Segment[1];
        final int[] seen = {FROM_STACK.size()};
        drive(() ->
        {
            for (; seen[0] < FROM_STACK.size(); seen[0]++)
            {
                final TcpWirePeer.Segment s = FROM_STACK.get(seen[0]);
                if (wanted.test(s))
                {
                    found[0] = s;
                    if (s.has(SYN))
                    {
                        // A new connection: its first ACK number is the SYN's, its acknowledgements count from here.
                        lastAck = s.ack();
                        haveAck = true;
                    }
                    return true;
                }
            }
            return false;
        }, what);
        return found[0];
    }
}
