package io.nicq.client;

import io.nicq.client.tcp.TcpCloseReason;
import io.nicq.client.tcp.TcpConnection;
import io.nicq.client.tcp.TcpHandler;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.client.tcp.TcpListener;
import io.nicq.client.tcp.TcpState;
import io.nicq.packet.Ipv4Header;
import io.nicq.packet.TcpHeader;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.nicq.client.TestFrames.ETH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TCP layer against hand-made segments, in the manner of lwIP's test_tcp.c: each test injects segments through
 * the fake driver, captures every segment the stack transmits and asserts its fields (flags, seq, ack, window, MSS
 * option, checksum, addresses). The clock is the test's (Context.clock), so timers fire only when the test says.
 * It lives in io.nicq.client for the package-private harness (TestStack, FakeDriver, TestFrames, TestPlane).
 */
class TcpSegmentTest
{
    private static final int ME = TestPlane.IPV4;
    private static final int PEER = TestPlane.PEER_IP;
    private static final int PORT = 8080;
    private static final int PEER_PORT = 40001;
    private static final int PEER_ISN = 0xFFFFFF00;
    private static final int PEER_MSS = 1000;
    private static final int TCP = ETH + Ipv4Header.MIN_HEADER_LENGTH;
    private static final long INITIAL_RTO_NS = TimeUnit.MILLISECONDS.toNanos(200);

    @TempDir
    Path dir;

    private TestStack stack;
    private TcpLayer tcp;
    private long now = TimeUnit.SECONDS.toNanos(1000);
    private final List<Segment> sent = new ArrayList<>();
    private final Events events = new Events();
    private final List<TcpConnection> accepted = new ArrayList<>();

    /** A captured segment, decoded. */
    private record Segment(int srcIp, int dstIp, int srcPort, int dstPort, int seq, int ack, int flags, int window,
        int mss, boolean hasTimestamp, int tsVal, int tsEcr, boolean sackPermitted, List<int[]> sack,
        int headerLength, byte[] payload, boolean checksumOk)
    {
        boolean has(final int flag)
        {
            return (flags & flag) != 0;
        }

        String text()
        {
            return new String(payload, StandardCharsets.US_ASCII);
        }
    }

    /** Records every handler event, and reads everything readable when told it is. */
    private static final class Events implements TcpHandler
    {
        final List<String> log = new ArrayList<>();
        final StringBuilder received = new StringBuilder();
        TcpCloseReason reason;

        public void onConnected(final TcpConnection connection)
        {
            log.add("connected");
        }

        public void onReadable(final TcpConnection connection)
        {
            log.add("readable");
            connection.read((buffer, offset, length) ->
            {
                final byte[] bytes = new byte[length];
                buffer.getBytes(offset, bytes);
                received.append(new String(bytes, StandardCharsets.US_ASCII));
                return length;
            });
        }

        public void onWritable(final TcpConnection connection)
        {
            log.add("writable");
        }

        public void onPeerClosed(final TcpConnection connection)
        {
            log.add("peerClosed");
        }

        public void onClosed(final TcpConnection connection, final TcpCloseReason reason)
        {
            log.add("closed " + reason);
            this.reason = reason;
        }
    }

    @BeforeEach
    void setUp()
    {
        stack = new TestStack(dir);
        tcp = new TcpLayer(stack.ip, new TcpLayer.Context().clock(() -> now)
            .initialRto(INITIAL_RTO_NS, TimeUnit.NANOSECONDS).synRetries(2).dataRetries(3));
    }

    @AfterEach
    void tearDown()
    {
        stack.close();
    }

    // -------------------------------------------------------------------------------------------------------------
    // Harness
    // -------------------------------------------------------------------------------------------------------------

    /** A segment from the peer to this host; {@code mss} > 0 adds an MSS option (padded to a word). */
    private static UnsafeBuffer segment(final int dstPort, final int seq, final int ack, final int flags,
        final int window, final int mss, final String text)
    {
        return withOptions(dstPort, seq, ack, flags, window, mssOption(mss), text);
    }

    /**
     * A segment from the peer with the timestamp option in RFC 7323 Appendix A's layout (NOP, NOP, kind 8), after an
     * MSS option when {@code mss} > 0.
     */
    private static UnsafeBuffer stamped(final int dstPort, final int seq, final int ack, final int flags,
        final int window, final int mss, final int tsVal, final int tsEcr, final String text)
    {
        final byte[] mssOption = mssOption(mss);
        final UnsafeBuffer options = new UnsafeBuffer(new byte[mssOption.length + 12]);
        options.putBytes(0, mssOption);
        final int at = mssOption.length;
        options.putByte(at, (byte)1);
        options.putByte(at + 1, (byte)1);
        options.putByte(at + 2, (byte)8);
        options.putByte(at + 3, (byte)10);
        options.putInt(at + 4, tsVal, java.nio.ByteOrder.BIG_ENDIAN);
        options.putInt(at + 8, tsEcr, java.nio.ByteOrder.BIG_ENDIAN);
        return withOptions(dstPort, seq, ack, flags, window, options.byteArray(), text);
    }

    /** An MSS option of {@code mss}, or none for 0. */
    private static byte[] mssOption(final int mss)
    {
        return mss > 0 ? new byte[] {2, 4, (byte)(mss >>> 8), (byte)mss} : new byte[0];
    }

    /** A segment from the peer whose options are {@code options} (a multiple of 4 bytes, laid out by the caller). */
    private static UnsafeBuffer withOptions(final int dstPort, final int seq, final int ack, final int flags,
        final byte[] options, final String text)
    {
        return withOptions(dstPort, seq, ack, flags, 65535, options, text);
    }

    private static UnsafeBuffer withOptions(final int dstPort, final int seq, final int ack, final int flags,
        final int window, final byte[] options, final String text)
    {
        final byte[] payload = text.getBytes(StandardCharsets.US_ASCII);
        final int headerLength = TcpHeader.MIN_HEADER_LENGTH + options.length;
        final UnsafeBuffer frame = TestFrames.ipv4(PEER, ME, Ipv4Header.PROTOCOL_TCP,
            new byte[headerLength + payload.length], 0);
        final TcpHeader header = new TcpHeader().wrap(frame, TCP);
        header.sourcePort(PEER_PORT).destinationPort(dstPort).sequenceNumber(seq).acknowledgmentNumber(ack)
            .dataOffsetAndFlags(headerLength / 4, flags).window(window).urgentPointer(0);
        frame.putBytes(TCP + 20, options);
        frame.putBytes(TCP + headerLength, payload);
        header.computeChecksum(PEER, ME, headerLength + payload.length);
        return frame;
    }

    /** MSS (PEER_MSS), then NOP, NOP, SACK-permitted: a SYN's options. */
    private static byte[] mssAndSackPermitted()
    {
        return new byte[] {2, 4, (byte)(PEER_MSS >>> 8), (byte)PEER_MSS, 1, 1, 4, 2};
    }

    /** NOP, NOP, then a SACK option with the given [start, end) pairs. */
    private static byte[] sackBlocks(final int... edges)
    {
        final UnsafeBuffer options = new UnsafeBuffer(new byte[4 + 4 * edges.length]);
        options.putByte(0, (byte)1);
        options.putByte(1, (byte)1);
        options.putByte(2, (byte)5);
        options.putByte(3, (byte)(2 + 4 * edges.length));
        for (int i = 0; i < edges.length; i++)
        {
            options.putInt(4 + 4 * i, edges[i], java.nio.ByteOrder.BIG_ENDIAN);
        }
        return options.byteArray();
    }

    /** Injects a frame, lets the interface deliver it, captures what the stack sent in answer. */
    private void inject(final DirectBuffer frame)
    {
        assertTrue(stack.driver.inject(frame) >= 0, "the fake driver had a free RX slot");
        stack.ip.poll();
        capture();
    }

    /** Moves the clock and runs the layer's timers. */
    private void advance(final long nanos)
    {
        now += nanos;
        tcp.poll(now);
        capture();
    }

    private void capture()
    {
        final int before = stack.transmitted.size();
        stack.transmitAll();
        for (int i = before; i < stack.transmitted.size(); i++)
        {
            sent.add(decode(stack.transmitted.get(i)));
        }
    }

    private static Segment decode(final byte[] bytes)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(bytes);
        final Ipv4Header ip = new Ipv4Header().wrap(frame, ETH);
        assertEquals(Ipv4Header.PROTOCOL_TCP, ip.protocol());
        final int segmentLength = ip.totalLength() - ip.headerLength();
        final TcpHeader header = new TcpHeader().wrap(frame, ETH + ip.headerLength());
        int mss = 0;
        boolean hasTimestamp = false;
        int tsVal = 0;
        int tsEcr = 0;
        boolean sackPermitted = false;
        final List<int[]> sack = new ArrayList<>();
        for (int at = TcpHeader.MIN_HEADER_LENGTH; at < header.headerLength(); )
        {
            final int kind = frame.getByte(header.offset() + at) & 0xFF;
            if (kind == 0)
            {
                break;
            }
            if (kind == 1)
            {
                at++;
                continue;
            }
            final int length = frame.getByte(header.offset() + at + 1) & 0xFF;
            assertTrue(length >= 2 && at + length <= header.headerLength(), "well-formed option " + kind);
            if (kind == 2)
            {
                mss = ((frame.getByte(header.offset() + at + 2) & 0xFF) << 8) |
                    (frame.getByte(header.offset() + at + 3) & 0xFF);
            }
            if (kind == 8)
            {
                assertEquals(10, length, "timestamp option length");
                hasTimestamp = true;
                tsVal = frame.getInt(header.offset() + at + 2, java.nio.ByteOrder.BIG_ENDIAN);
                tsEcr = frame.getInt(header.offset() + at + 6, java.nio.ByteOrder.BIG_ENDIAN);
            }
            if (kind == 4)
            {
                sackPermitted = true;
            }
            if (kind == 5)
            {
                assertEquals(2, length % 8, "SACK option length");
                for (int b = at + 2; b < at + length; b += 8)
                {
                    sack.add(new int[] {frame.getInt(header.offset() + b, java.nio.ByteOrder.BIG_ENDIAN),
                        frame.getInt(header.offset() + b + 4, java.nio.ByteOrder.BIG_ENDIAN)});
                }
            }
            at += length;
        }
        final byte[] payload = new byte[segmentLength - header.headerLength()];
        frame.getBytes(header.offset() + header.headerLength(), payload);
        return new Segment(ip.source(), ip.destination(), header.sourcePort(),
            header.destinationPort(), header.sequenceNumber(), header.acknowledgmentNumber(), header.flags(),
            header.window(), mss, hasTimestamp, tsVal, tsEcr, sackPermitted, sack, header.headerLength(), payload,
            header.verifyChecksum(ip.source(), ip.destination(), segmentLength));
    }

    /** The one segment sent since the last call, checked for addresses and checksum. */
    private Segment onlySent()
    {
        assertEquals(1, sent.size(), "segments sent: " + sent);
        final Segment segment = sent.remove(0);
        assertTrue(segment.checksumOk(), "checksum verifies");
        assertEquals(ME, segment.srcIp());
        assertEquals(PEER, segment.dstIp());
        assertEquals(PEER_PORT, segment.dstPort());
        return segment;
    }

    /** Passive open to ESTABLISHED; returns the SYN-ACK. */
    private Segment acceptOne()
    {
        TcpListener.open(tcp, PORT, connection ->
        {
            accepted.add(connection);
            connection.handler(events);
        });
        inject(segment(PORT, PEER_ISN, 0, TcpHeader.FLAG_SYN, 65535, PEER_MSS, ""));
        final Segment synAck = onlySent();
        inject(segment(PORT, PEER_ISN + 1, synAck.seq() + 1, TcpHeader.FLAG_ACK, 65535, 0, ""));
        assertEquals(1, accepted.size(), "accepted once the handshake completed");
        assertTrue(sent.isEmpty(), "no answer to the handshake's ACK: " + sent);
        return synAck;
    }

    // -------------------------------------------------------------------------------------------------------------
    // Tests
    // -------------------------------------------------------------------------------------------------------------

    @Test
    void passiveOpenAnswersSynWithSynAckAndMss()
    {
        final Segment synAck = acceptOne();
        assertTrue(synAck.has(TcpHeader.FLAG_SYN) && synAck.has(TcpHeader.FLAG_ACK), "SYN-ACK: " + synAck);
        assertFalse(synAck.has(TcpHeader.FLAG_RST | TcpHeader.FLAG_FIN));
        assertEquals(PORT, synAck.srcPort());
        assertEquals(PEER_ISN + 1, synAck.ack(), "acknowledges the peer's SYN across the wrap");
        assertEquals(tcp.maxSegmentSize(), synAck.mss(), "our MSS offered");
        assertFalse(synAck.sackPermitted() || synAck.hasTimestamp(), "no SACK or timestamps unless offered");
        assertTrue(synAck.window() > 0);
        final TcpConnection connection = accepted.get(0);
        assertEquals(TcpState.ESTABLISHED, connection.state());
        assertEquals(PEER, connection.remoteAddress());
        assertEquals(PEER_PORT, connection.remotePort());
        assertEquals(PORT, connection.localPort());
    }

    @Test
    void dataBothWaysWithCumulativeAck()
    {
        final Segment synAck = acceptOne();
        final TcpConnection connection = accepted.get(0);
        final int mySeq = synAck.seq() + 1;

        inject(segment(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_ACK | TcpHeader.FLAG_PSH, 65535, 0, "hello"));
        assertEquals("hello", events.received.toString());
        final Segment ack = onlySent();
        assertTrue(ack.has(TcpHeader.FLAG_ACK));
        assertEquals(PEER_ISN + 6, ack.ack(), "cumulative ACK of the 5 bytes");
        assertEquals(mySeq, ack.seq());
        assertEquals(0, ack.payload().length);

        final UnsafeBuffer reply = new UnsafeBuffer("world".getBytes(StandardCharsets.US_ASCII));
        assertEquals(5, connection.write(reply, 0, 5));
        final Segment data = onlySentAfterFlush();
        assertEquals("world", data.text());
        assertEquals(mySeq, data.seq());
        assertEquals(PEER_ISN + 6, data.ack());
        assertTrue(data.has(TcpHeader.FLAG_ACK));

        inject(segment(PORT, PEER_ISN + 6, mySeq + 5, TcpHeader.FLAG_ACK, 65535, 0, ""));
        assertTrue(sent.isEmpty(), "a pure ACK is not answered: " + sent);
        assertEquals(5, connection.bytesSent());
        assertEquals(5, connection.bytesReceived());
    }

    private Segment onlySentAfterFlush()
    {
        capture();
        return onlySent();
    }

    @Test
    void largeWriteIsSegmentedAtThePeersMss()
    {
        final Segment synAck = acceptOne();
        final TcpConnection connection = accepted.get(0);
        final byte[] bytes = new byte[3 * PEER_MSS + 17];
        assertEquals(bytes.length, connection.write(new UnsafeBuffer(bytes), 0, bytes.length));
        capture();
        assertEquals(4, sent.size(), "three full segments and a rest: " + sent);
        int expected = synAck.seq() + 1;
        for (final Segment segment : sent)
        {
            assertTrue(segment.checksumOk());
            assertEquals(expected, segment.seq());
            assertTrue(segment.payload().length <= PEER_MSS, "honours the peer's MSS");
            expected += segment.payload().length;
        }
        assertEquals(synAck.seq() + 1 + bytes.length, expected);
    }

    @Test
    void outOfOrderDataGetsADuplicateAckAndIsReassembled()
    {
        final Segment synAck = acceptOne();
        final int mySeq = synAck.seq() + 1;
        inject(segment(PORT, PEER_ISN + 1 + 5, mySeq, TcpHeader.FLAG_ACK, 65535, 0, "world"));
        assertEquals("", events.received.toString(), "nothing in order yet");
        final Segment dupAck = onlySent();
        assertEquals(PEER_ISN + 1, dupAck.ack(), "a duplicate ACK of what is in order");

        inject(segment(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_ACK, 65535, 0, "hello"));
        final Segment ack = onlySent();
        assertEquals("helloworld", events.received.toString(), "the held segment joins once the hole is filled");
        assertEquals(PEER_ISN + 11, ack.ack(), "the ACK covers both");
    }

    @Test
    void reorderedOverlappingAndDuplicatedSegmentsReassembleExactly()
    {
        final Segment synAck = acceptOne();
        final int mySeq = synAck.seq() + 1;
        final String text = "The quick brown fox jumps over the lazy dog, then reorders its segments at will.";
        final java.util.Random random = new java.util.Random(11);
        final List<int[]> pieces = new ArrayList<>();
        for (int at = 0; at < text.length(); )
        {
            final int length = Math.min(text.length() - at, 1 + random.nextInt(9));
            pieces.add(new int[] {at, length});
            if (random.nextBoolean() && at + length + 3 <= text.length())
            {
                pieces.add(new int[] {Math.max(0, at - 2), length + 5});
            }
            at += length;
        }
        pieces.addAll(pieces.subList(0, 4));
        java.util.Collections.shuffle(pieces, random);
        for (final int[] piece : pieces)
        {
            final int end = Math.min(text.length(), piece[0] + piece[1]);
            inject(segment(PORT, PEER_ISN + 1 + piece[0], mySeq, TcpHeader.FLAG_ACK, 65535, 0,
                text.substring(piece[0], end)));
        }
        assertEquals(text, events.received.toString());
        final Segment last = sent.get(sent.size() - 1);
        assertEquals(PEER_ISN + 1 + text.length(), last.ack());
        assertTrue(sent.stream().allMatch(Segment::checksumOk));
        assertEquals(text.length(), accepted.get(0).bytesReceived(), "each byte counted once");
    }

    @Test
    void aFinBeyondAHoleIsHeldUntilTheHoleIsFilled()
    {
        final Segment synAck = acceptOne();
        final TcpConnection connection = accepted.get(0);
        final int mySeq = synAck.seq() + 1;
        inject(segment(PORT, PEER_ISN + 1 + 3, mySeq, TcpHeader.FLAG_ACK | TcpHeader.FLAG_FIN, 65535, 0, "def"));
        assertEquals(PEER_ISN + 1, onlySent().ack());
        assertEquals(TcpState.ESTABLISHED, connection.state());
        inject(segment(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_ACK, 65535, 0, "abc"));
        assertEquals("abcdef", events.received.toString());
        final Segment ack = onlySent();
        assertEquals(PEER_ISN + 8, ack.ack(), "six bytes and the held FIN");
        assertEquals(TcpState.CLOSE_WAIT, connection.state());
        assertTrue(events.log.contains("peerClosed"));
    }

    @Test
    void duplicateDataIsAckedAndNotDeliveredTwice()
    {
        final Segment synAck = acceptOne();
        final int mySeq = synAck.seq() + 1;
        inject(segment(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_ACK, 65535, 0, "hello"));
        onlySent();
        inject(segment(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_ACK, 65535, 0, "hello"));
        final Segment ack = onlySent();
        assertEquals(PEER_ISN + 6, ack.ack());
        assertEquals("hello", events.received.toString());
    }

    @Test
    void synToAClosedPortGetsRstAckToItsSender()
    {
        inject(segment(9999, 1234, 0, TcpHeader.FLAG_SYN, 65535, 1460, ""));
        final Segment rst = onlySent();
        assertTrue(rst.has(TcpHeader.FLAG_RST) && rst.has(TcpHeader.FLAG_ACK), "RST+ACK: " + rst);
        assertEquals(9999, rst.srcPort());
        assertEquals(0, rst.seq());
        assertEquals(1235, rst.ack(), "acknowledges the SYN");
        assertEquals(1, stack.ip.drops(DropReason.NO_CONNECTION));
    }

    @Test
    void ackToNothingGetsRstAtItsAckNumber()
    {
        inject(segment(9999, 1234, 0xABCDEF01, TcpHeader.FLAG_ACK, 65535, 0, "data"));
        final Segment rst = onlySent();
        assertEquals(TcpHeader.FLAG_RST, rst.flags() & (TcpHeader.FLAG_RST | TcpHeader.FLAG_ACK | TcpHeader.FLAG_SYN));
        assertEquals(0xABCDEF01, rst.seq());

        inject(segment(9999, 1234, 0xABCDEF01, TcpHeader.FLAG_RST | TcpHeader.FLAG_ACK, 0, 0, ""));
        assertTrue(sent.isEmpty(), "a RST is never answered: " + sent);
    }

    @Test
    void malformedSegmentsAreCountedAndNotAnswered()
    {
        TcpListener.open(tcp, PORT, connection -> accepted.add(connection));

        final UnsafeBuffer badChecksum = segment(PORT, 1, 0, TcpHeader.FLAG_SYN, 65535, 1460, "");
        badChecksum.putByte(TCP + 16, (byte)(badChecksum.getByte(TCP + 16) ^ 0x55));
        inject(badChecksum);
        assertEquals(1, stack.ip.drops(DropReason.BAD_TCP_CHECKSUM));

        final UnsafeBuffer shortOffset = segment(PORT, 1, 0, TcpHeader.FLAG_SYN, 65535, 0, "");
        new TcpHeader().wrap(shortOffset, TCP).dataOffsetAndFlags(4, TcpHeader.FLAG_SYN)
            .computeChecksum(PEER, ME, TcpHeader.MIN_HEADER_LENGTH);
        inject(shortOffset);
        final UnsafeBuffer longOffset = segment(PORT, 1, 0, TcpHeader.FLAG_SYN, 65535, 0, "");
        new TcpHeader().wrap(longOffset, TCP).dataOffsetAndFlags(15, TcpHeader.FLAG_SYN)
            .computeChecksum(PEER, ME, TcpHeader.MIN_HEADER_LENGTH);
        inject(longOffset);
        assertEquals(2, stack.ip.drops(DropReason.BAD_TCP_OFFSET));

        inject(segment(PORT, 1, 0, TcpHeader.FLAG_SYN | TcpHeader.FLAG_FIN, 65535, 0, ""));
        assertEquals(1, stack.ip.drops(DropReason.BAD_TCP_FLAGS));

        final UnsafeBuffer badOption = segment(PORT, 1, 0, TcpHeader.FLAG_SYN, 65535, 1460, "");
        badOption.putByte(TCP + 21, (byte)9);
        new TcpHeader().wrap(badOption, TCP).computeChecksum(PEER, ME, TcpHeader.MIN_HEADER_LENGTH + 4);
        inject(badOption);
        assertEquals(1, stack.ip.drops(DropReason.BAD_TCP_OPTIONS));

        final UnsafeBuffer truncated = TestFrames.ipv4(PEER, ME, Ipv4Header.PROTOCOL_TCP, new byte[12], 0);
        inject(truncated);
        assertEquals(1, stack.ip.drops(DropReason.TRUNCATED_TCP));

        assertTrue(sent.isEmpty(), "nothing answered: " + sent);
        assertTrue(accepted.isEmpty());
        assertEquals(0, tcp.halfOpenConnections(), "no half-open connection from bad SYNs");
    }

    @Test
    void activeOpenRetransmitsTheSynThenCompletes()
    {
        final TcpConnection connection = TcpConnection.connect(tcp, PEER, PEER_PORT, events);
        capture();
        final Segment syn = onlySent();
        assertEquals(TcpHeader.FLAG_SYN, syn.flags() & 0x3F, "a bare SYN: " + syn);
        assertEquals(connection.localPort(), syn.srcPort());
        assertTrue(syn.mss() > 0, "MSS offered");
        assertEquals(TcpState.SYN_SENT, connection.state());

        advance(INITIAL_RTO_NS / 2);
        assertTrue(sent.isEmpty(), "not before the RTO: " + sent);
        advance(INITIAL_RTO_NS / 2 + 1);
        final Segment again = onlySent();
        assertEquals(syn.seq(), again.seq(), "the same SYN again");
        assertTrue(again.has(TcpHeader.FLAG_SYN));
        assertEquals(1, tcp.retransmissions());

        advance(INITIAL_RTO_NS + 1);
        assertTrue(sent.isEmpty(), "the RTO doubled (backoff): " + sent);

        inject(segment(connection.localPort(), PEER_ISN, syn.seq() + 1, TcpHeader.FLAG_SYN | TcpHeader.FLAG_ACK,
            65535, PEER_MSS, ""));
        final Segment ack = onlySent();
        assertEquals(TcpHeader.FLAG_ACK, ack.flags() & 0x3F);
        assertEquals(syn.seq() + 1, ack.seq());
        assertEquals(PEER_ISN + 1, ack.ack());
        assertEquals(TcpState.ESTABLISHED, connection.state());
        assertEquals(List.of("connected"), events.log);
    }

    @Test
    void unacknowledgedDataIsRetransmittedThenTimesOut()
    {
        final Segment synAck = acceptOne();
        final TcpConnection connection = accepted.get(0);
        connection.write(new UnsafeBuffer("ping".getBytes(StandardCharsets.US_ASCII)), 0, 4);
        final Segment data = onlySentAfterFlush();

        long rto = INITIAL_RTO_NS;
        for (int attempt = 1; attempt <= 3; attempt++)
        {
            advance(rto + 1);
            final Segment again = onlySent();
            assertEquals(data.seq(), again.seq(), "retransmission " + attempt);
            assertEquals("ping", again.text());
            rto *= 2;
        }
        advance(rto + 1);
        assertEquals(TcpState.CLOSED, connection.state());
        assertEquals(TcpCloseReason.TIMED_OUT, events.reason);
        assertEquals(TcpCloseReason.TIMED_OUT, connection.closeReason());
        assertTrue(connection.retransmissions() >= 3);
        assertEquals(synAck.seq() + 1, data.seq());
    }

    @Test
    void inWindowRstNotAtRcvNxtGetsAChallengeAckAndExactRstResets()
    {
        final Segment synAck = acceptOne();
        final TcpConnection connection = accepted.get(0);
        final int mySeq = synAck.seq() + 1;
        inject(segment(PORT, PEER_ISN + 100, mySeq, TcpHeader.FLAG_RST, 0, 0, ""));
        final Segment challenge = onlySent();
        assertTrue(challenge.has(TcpHeader.FLAG_ACK) && !challenge.has(TcpHeader.FLAG_RST));
        assertEquals(PEER_ISN + 1, challenge.ack());
        assertEquals(TcpState.ESTABLISHED, connection.state());

        inject(segment(PORT, PEER_ISN + 5, mySeq, TcpHeader.FLAG_SYN, 65535, 0, ""));
        final Segment synChallenge = onlySent();
        assertTrue(synChallenge.has(TcpHeader.FLAG_ACK) && !synChallenge.has(TcpHeader.FLAG_SYN));
        assertEquals(TcpState.ESTABLISHED, connection.state(), "an in-window SYN does not reset (RFC 5961 4)");

        inject(segment(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_RST, 0, 0, ""));
        assertTrue(sent.isEmpty(), "no answer to an accepted RST: " + sent);
        assertEquals(TcpState.CLOSED, connection.state());
        assertEquals(TcpCloseReason.RESET, events.reason);
    }

    @Test
    void peerFinThenOurCloseGoesThroughCloseWaitAndLastAck()
    {
        final Segment synAck = acceptOne();
        final TcpConnection connection = accepted.get(0);
        final int mySeq = synAck.seq() + 1;
        inject(segment(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_ACK | TcpHeader.FLAG_FIN, 65535, 0, "bye"));
        assertEquals("bye", events.received.toString());
        assertTrue(events.log.contains("peerClosed"), events.log.toString());
        final Segment ack = onlySent();
        assertEquals(PEER_ISN + 5, ack.ack(), "3 bytes and the FIN");
        assertEquals(TcpState.CLOSE_WAIT, connection.state());

        connection.close();
        final Segment fin = onlySentAfterFlush();
        assertTrue(fin.has(TcpHeader.FLAG_FIN) && fin.has(TcpHeader.FLAG_ACK));
        assertEquals(mySeq, fin.seq());
        assertEquals(TcpState.LAST_ACK, connection.state());

        inject(segment(PORT, PEER_ISN + 5, mySeq + 1, TcpHeader.FLAG_ACK, 65535, 0, ""));
        assertEquals(TcpState.CLOSED, connection.state());
        assertEquals(TcpCloseReason.CLOSED, events.reason);
        assertEquals(0, tcp.connections());
    }

    @Test
    void ourFinFirstReachesTimeWaitAndExpires()
    {
        final Segment synAck = acceptOne();
        final TcpConnection connection = accepted.get(0);
        final int mySeq = synAck.seq() + 1;
        connection.shutdownOutput();
        final Segment fin = onlySentAfterFlush();
        assertTrue(fin.has(TcpHeader.FLAG_FIN));
        assertEquals(TcpState.FIN_WAIT_1, connection.state());

        inject(segment(PORT, PEER_ISN + 1, mySeq + 1, TcpHeader.FLAG_ACK, 65535, 0, ""));
        assertEquals(TcpState.FIN_WAIT_2, connection.state());
        assertTrue(sent.isEmpty());

        inject(segment(PORT, PEER_ISN + 1, mySeq + 1, TcpHeader.FLAG_ACK, 65535, 0, "half-open still reads"));
        assertEquals("half-open still reads", events.received.toString());
        onlySent();

        final int finSeq = PEER_ISN + 1 + "half-open still reads".length();
        inject(segment(PORT, finSeq, mySeq + 1, TcpHeader.FLAG_ACK | TcpHeader.FLAG_FIN, 65535, 0, ""));
        final Segment ack = onlySent();
        assertEquals(finSeq + 1, ack.ack());
        assertEquals(TcpState.TIME_WAIT, connection.state());

        advance(TcpLayer.Context.DEFAULT_TIME_WAIT_NS + 1);
        assertEquals(TcpState.CLOSED, connection.state());
        assertEquals(TcpCloseReason.CLOSED, events.reason);
        assertEquals(0, tcp.connections());
    }

    @Test
    void synFloodIsBoundedByTheHalfOpenTable()
    {
        TcpListener.open(tcp, PORT, connection -> accepted.add(connection));
        final int max = TcpLayer.Context.DEFAULT_MAX_HALF_OPEN;
        final int peerPorts = max + 10;
        for (int i = 0; i < peerPorts; i++)
        {
            final UnsafeBuffer syn = segment(PORT, 1000 * i, 0, TcpHeader.FLAG_SYN, 65535, 1460, "");
            new TcpHeader().wrap(syn, TCP).sourcePort(20000 + i).computeChecksum(PEER, ME,
                TcpHeader.MIN_HEADER_LENGTH + 4);
            inject(syn);
        }
        assertEquals(max, tcp.halfOpenConnections());
        assertEquals(max, sent.size(), "a SYN-ACK per admitted SYN only");
        assertEquals(10, stack.ip.drops(DropReason.TCP_BACKLOG_FULL));
        assertNotNull(tcp.toString());
    }

    @Test
    void threeDuplicateAcksRetransmitTheFirstUnacknowledgedSegment()
    {
        final Segment synAck = acceptOne();
        final TcpConnection connection = accepted.get(0);
        final int mySeq = synAck.seq() + 1;
        final byte[] bytes = new byte[5 * PEER_MSS];
        assertEquals(bytes.length, connection.write(new UnsafeBuffer(bytes), 0, bytes.length));
        capture();
        assertEquals(5, sent.size(), "the initial window covers five segments: " + sent);
        sent.clear();

        inject(segment(PORT, PEER_ISN + 1, mySeq + PEER_MSS, TcpHeader.FLAG_ACK, 65535, 0, ""));
        assertTrue(sent.stream().noneMatch(s -> s.seq() == mySeq + PEER_MSS), "a new ACK retransmits nothing");
        sent.clear();
        for (int dup = 1; dup <= 2; dup++)
        {
            inject(segment(PORT, PEER_ISN + 1, mySeq + PEER_MSS, TcpHeader.FLAG_ACK, 65535, 0, ""));
            assertTrue(sent.stream().noneMatch(s -> s.seq() == mySeq + PEER_MSS), "not after duplicate " + dup);
        }
        sent.clear();
        inject(segment(PORT, PEER_ISN + 1, mySeq + PEER_MSS, TcpHeader.FLAG_ACK, 65535, 0, ""));
        assertFalse(sent.isEmpty(), "the third duplicate ACK triggers a fast retransmit");
        final Segment again = sent.get(0);
        assertEquals(mySeq + PEER_MSS, again.seq(), "the segment after the cumulative ACK");
        assertEquals(PEER_MSS, again.payload().length);
        assertTrue(connection.retransmissions() >= 1);
    }

    @Test
    void aPartialAckInFastRecoveryResendsTheNextHoleAtOnce()
    {
        final Segment synAck = acceptOne();
        final TcpConnection connection = accepted.get(0);
        final int mySeq = synAck.seq() + 1;
        final byte[] bytes = new byte[6 * PEER_MSS];
        assertEquals(bytes.length, connection.write(new UnsafeBuffer(bytes), 0, bytes.length));
        capture();
        assertEquals(6, sent.size());
        sent.clear();
        // Segments 1 and 3 (of 0..5) lost: the peer ACKs segment 0, then duplicates for 2, 4, 5.
        inject(segment(PORT, PEER_ISN + 1, mySeq + PEER_MSS, TcpHeader.FLAG_ACK, 65535, 0, ""));
        sent.clear();
        for (int dup = 1; dup <= 3; dup++)
        {
            inject(segment(PORT, PEER_ISN + 1, mySeq + PEER_MSS, TcpHeader.FLAG_ACK, 65535, 0, ""));
        }
        assertTrue(sent.stream().anyMatch(s -> s.seq() == mySeq + PEER_MSS), "fast retransmit of segment 1");
        sent.clear();
        inject(segment(PORT, PEER_ISN + 1, mySeq + 3 * PEER_MSS, TcpHeader.FLAG_ACK, 65535, 0, ""));
        assertFalse(sent.isEmpty(), "the partial ACK is answered at once");
        assertEquals(mySeq + 3 * PEER_MSS, sent.get(0).seq(), "segment 3 resent without waiting for the RTO");
        sent.clear();
        inject(segment(PORT, PEER_ISN + 1, mySeq + 6 * PEER_MSS, TcpHeader.FLAG_ACK, 65535, 0, ""));
        assertTrue(sent.isEmpty(), "the full ACK ends recovery with nothing to resend: " + sent);
        assertTrue(connection.retransmissions() >= 2);
    }

    @Test
    void delayedAckHoldsOneFullSegmentUntilTheTimeoutOrTheSecond() throws IOException
    {
        stack.close();
        stack = new TestStack(Files.createDirectories(dir.resolve("delayed")));
        tcp = new TcpLayer(stack.ip, new TcpLayer.Context().clock(() -> now).delayedAck(true)
            .delayedAckTimeout(40, TimeUnit.MILLISECONDS));
        final Segment synAck = acceptOne();
        final int mySeq = synAck.seq() + 1;
        final int mss = tcp.maxSegmentSize();
        final String full = "f".repeat(mss);

        inject(segment(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_ACK, 65535, 0, full));
        assertTrue(sent.isEmpty(), "one full segment: the ACK waits " + sent);
        advance(TimeUnit.MILLISECONDS.toNanos(39));
        assertTrue(sent.isEmpty(), "not before the timeout: " + sent);
        advance(TimeUnit.MILLISECONDS.toNanos(1) + 1);
        assertEquals(PEER_ISN + 1 + mss, onlySent().ack(), "the delayed ACK at its timeout");

        inject(segment(PORT, PEER_ISN + 1 + mss, mySeq, TcpHeader.FLAG_ACK, 65535, 0, full));
        assertTrue(sent.isEmpty());
        inject(segment(PORT, PEER_ISN + 1 + 2 * mss, mySeq, TcpHeader.FLAG_ACK, 65535, 0, full));
        assertEquals(PEER_ISN + 1 + 3 * mss, onlySent().ack(), "every second full segment at once");

        inject(segment(PORT, PEER_ISN + 1 + 3 * mss, mySeq, TcpHeader.FLAG_ACK, 65535, 0, "short"));
        assertEquals(PEER_ISN + 1 + 3 * mss + 5, onlySent().ack(), "a short segment is acknowledged at once");
        advance(TimeUnit.MILLISECONDS.toNanos(100));
        assertTrue(sent.isEmpty(), "no stale delayed ACK: " + sent);
    }

    @Test
    void anInteractiveConnectionsAnswerCarriesTheAckOfTheRequest() throws IOException
    {
        stack.close();
        stack = new TestStack(Files.createDirectories(dir.resolve("interactive")));
        tcp = new TcpLayer(stack.ip, new TcpLayer.Context().clock(() -> now)
            .interactiveAckDelay(200, TimeUnit.MICROSECONDS));
        final Segment synAck = acceptOne();
        final TcpConnection connection = accepted.get(0);
        int mySeq = synAck.seq() + 1;
        int peerSeq = PEER_ISN + 1;
        final UnsafeBuffer answer = new UnsafeBuffer("pong".getBytes(StandardCharsets.US_ASCII));

        // The first request: not yet interactive, its ACK goes at once, alone; then the answer.
        inject(segment(PORT, peerSeq, mySeq, TcpHeader.FLAG_ACK | TcpHeader.FLAG_PSH, 65535, 0, "ping"));
        peerSeq += 4;
        assertEquals(peerSeq, onlySent().ack(), "the first request's ACK at once");
        assertEquals(4, connection.write(answer, 0, 4));
        assertEquals("pong", onlySentAfterFlush().text());
        mySeq += 4;

        // Answered within the delay: interactive. The next request's ACK waits and rides on the answer.
        inject(segment(PORT, peerSeq, mySeq, TcpHeader.FLAG_ACK | TcpHeader.FLAG_PSH, 65535, 0, "ping"));
        peerSeq += 4;
        assertTrue(sent.isEmpty(), "the ACK waits for the answer: " + sent);
        advance(TimeUnit.MICROSECONDS.toNanos(50));
        assertTrue(sent.isEmpty(), "still waiting within the delay: " + sent);
        assertEquals(4, connection.write(answer, 0, 4));
        final Segment carried = onlySentAfterFlush();
        assertEquals("pong", carried.text());
        assertEquals(peerSeq, carried.ack(), "the answer acknowledges the request: no ACK-only segment");
        mySeq += 4;
        advance(TimeUnit.MILLISECONDS.toNanos(1));
        assertTrue(sent.isEmpty(), "no stale ACK after it: " + sent);

        // No answer within the delay: the ACK goes alone at the deadline, and the connection is not interactive.
        inject(segment(PORT, peerSeq, mySeq, TcpHeader.FLAG_ACK | TcpHeader.FLAG_PSH, 65535, 0, "ping"));
        peerSeq += 4;
        assertTrue(sent.isEmpty(), sent.toString());
        advance(TimeUnit.MICROSECONDS.toNanos(200) + 1);
        assertEquals(peerSeq, onlySent().ack(), "the held ACK at its deadline");
        inject(segment(PORT, peerSeq, mySeq, TcpHeader.FLAG_ACK | TcpHeader.FLAG_PSH, 65535, 0, "ping"));
        peerSeq += 4;
        assertEquals(peerSeq, onlySent().ack(), "a one-way stream: acknowledged at once again");
    }

    @Test
    void theInteractiveAckDelayMustStayWellBelowTheMinimumRto()
    {
        final IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> new TcpLayer(stack.ip, new TcpLayer.Context()
                .minRto(5, TimeUnit.MILLISECONDS).interactiveAckDelay(3, TimeUnit.MILLISECONDS)));
        assertEquals("interactiveAckDelay 3000000 ns must be at least 0 and below half of minRto (2500000 ns)",
            refused.getMessage());
    }

    @Test
    void keepaliveProbesAnIdlePeerAndTimesOutWhenItStopsAnswering() throws IOException
    {
        stack.close();
        stack = new TestStack(Files.createDirectories(dir.resolve("keepalive")));
        final long idle = TimeUnit.SECONDS.toNanos(1);
        final long interval = TimeUnit.MILLISECONDS.toNanos(100);
        tcp = new TcpLayer(stack.ip, new TcpLayer.Context().clock(() -> now).keepalive(true)
            .keepaliveIdle(idle, TimeUnit.NANOSECONDS).keepaliveInterval(interval, TimeUnit.NANOSECONDS)
            .keepaliveCount(2));
        final Segment synAck = acceptOne();
        final TcpConnection connection = accepted.get(0);
        final int mySeq = synAck.seq() + 1;

        advance(idle - 1);
        assertTrue(sent.isEmpty(), "not before the idle time: " + sent);
        advance(2);
        final Segment probe = onlySent();
        assertEquals(mySeq - 1, probe.seq(), "a probe one below SND.NXT");
        assertEquals(PEER_ISN + 1, probe.ack());
        assertEquals(0, probe.payload().length);

        inject(segment(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_ACK, 65535, 0, ""));
        assertTrue(sent.isEmpty());
        advance(interval + 1);
        assertTrue(sent.isEmpty(), "an answer restarts the idle time: " + sent);
        advance(idle);
        onlySent();
        advance(interval + 1);
        onlySent();
        assertEquals(TcpState.ESTABLISHED, connection.state());
        advance(interval + 1);
        final Segment rst = onlySent();
        assertTrue(rst.has(TcpHeader.FLAG_RST), "two unanswered probes: RST " + rst);
        assertEquals(TcpState.CLOSED, connection.state());
        assertEquals(TcpCloseReason.TIMED_OUT, events.reason);
    }

    @Test
    void aZeroWindowIsProbedUntilItReopensWhileThePeerAnswers()
    {
        final Segment synAck = acceptOne();
        final TcpConnection connection = accepted.get(0);
        final int mySeq = synAck.seq() + 1;
        inject(segment(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_ACK, 0, 0, ""));
        assertEquals(100, connection.write(new UnsafeBuffer(new byte[100]), 0, 100));
        capture();
        assertTrue(sent.isEmpty(), "nothing into a zero window: " + sent);

        final long base = connection.rtoNs();
        for (int probe = 1; probe <= 10; probe++)
        {
            final long interval = Math.min(base << (probe - 1), TcpLayer.Context.DEFAULT_MAX_PERSIST_INTERVAL_NS);
            advance(interval - 1);
            assertTrue(sent.isEmpty(), "probe " + probe + " not before " + interval + " ns: " + sent);
            advance(1);
            final Segment segment = onlySent();
            assertEquals(mySeq, segment.seq(), "probe " + probe + " at SND.UNA");
            assertEquals(1, segment.payload().length, "a one-byte probe");
            inject(segment(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_ACK, 0, 0, ""));
            assertTrue(sent.isEmpty(), "an answered probe is not answered: " + sent.stream()
                .map(s -> (s.seq() - mySeq) + "+" + s.payload().length).toList());
            assertEquals(TcpState.ESTABLISHED, connection.state(),
                "a peer that answers the probes is never timed out (probe " + probe + ")");
        }
        assertTrue(base << 9 > TcpLayer.Context.DEFAULT_MAX_PERSIST_INTERVAL_NS, "the cap was reached");

        inject(segment(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_ACK, 65535, 0, ""));
        assertFalse(sent.isEmpty(), "the window update releases the data");
        assertEquals(base, connection.rtoNs(), "the window opened: the probes' backoff is gone from the RTO");
        int end = mySeq;
        for (final Segment segment : sent)
        {
            assertTrue(segment.checksumOk());
            end = Math.max(end, segment.seq() + segment.payload().length);
        }
        assertEquals(mySeq + 100, end, "all 100 bytes sent");
    }

    @Test
    void theAdvertisedWindowFollowsTheFreeReceiveBuffer() throws IOException
    {
        stack.close();
        stack = new TestStack(Files.createDirectories(dir.resolve("small")));
        tcp = new TcpLayer(stack.ip, new TcpLayer.Context().clock(() -> now).receiveBufferSize(4096));
        final Segment synAck = acceptOneWithoutReading();
        final int mySeq = synAck.seq() + 1;
        assertEquals(4096, synAck.window());
        for (int i = 0; i < 4; i++)
        {
            inject(segment(PORT, PEER_ISN + 1 + 1024 * i, mySeq, TcpHeader.FLAG_ACK, 65535, 0, "x".repeat(1024)));
            final Segment ack = onlySent();
            assertEquals(PEER_ISN + 1 + 1024 * (i + 1), ack.ack());
            assertEquals(4096 - 1024 * (i + 1), ack.window(), "the free ring, " + (i + 1) + " KiB unread");
            assertEquals(1024 * (i + 1), accepted.get(0).readableBytes());
        }

        inject(segment(PORT, PEER_ISN + 4097, mySeq, TcpHeader.FLAG_ACK, 65535, 0, "z"));
        final Segment refused = onlySent();
        assertEquals(PEER_ISN + 4097, refused.ack(), "a byte beyond a zero window is not taken");
        assertEquals(1, stack.ip.drops(DropReason.TCP_OUT_OF_WINDOW));

        final int read = accepted.get(0).read((buffer, offset, length) -> length);
        assertEquals(4096, read);
        final Segment update = onlySentAfterFlush();
        assertEquals(4096, update.window(), "reading reopens the window with an update");
        assertEquals(PEER_ISN + 4097, update.ack());
    }

    /** Passive open whose connection has a handler that does not read. */
    private Segment acceptOneWithoutReading()
    {
        TcpListener.open(tcp, PORT, connection ->
        {
            accepted.add(connection);
            connection.handler(new TcpHandler()
            {
            });
        });
        inject(segment(PORT, PEER_ISN, 0, TcpHeader.FLAG_SYN, 65535, PEER_MSS, ""));
        final Segment synAck = onlySent();
        inject(segment(PORT, PEER_ISN + 1, synAck.seq() + 1, TcpHeader.FLAG_ACK, 65535, 0, ""));
        assertEquals(1, accepted.size());
        return synAck;
    }

    @Test
    void unacceptableSegmentsOnAConnectionAreCountedAndAnsweredWithAnAck()
    {
        final Segment synAck = acceptOne();
        final TcpConnection connection = accepted.get(0);
        final int mySeq = synAck.seq() + 1;

        inject(segment(PORT, PEER_ISN + 1, mySeq + 50, TcpHeader.FLAG_ACK, 65535, 0, ""));
        final Segment ackOfUnsent = onlySent();
        assertEquals(mySeq, ackOfUnsent.seq(), "an ACK of data never sent is answered with an ACK");
        assertEquals(PEER_ISN + 1, ackOfUnsent.ack());

        inject(segment(PORT, PEER_ISN + 1 + 10_000_000, mySeq, TcpHeader.FLAG_ACK, 65535, 0, "far"));
        final Segment outOfWindow = onlySent();
        assertEquals(PEER_ISN + 1, outOfWindow.ack());
        assertEquals(2, stack.ip.drops(DropReason.TCP_OUT_OF_WINDOW));

        inject(segment(PORT, PEER_ISN + 1, 0, TcpHeader.FLAG_PSH, 65535, 0, "no ack"));
        assertTrue(sent.isEmpty(), "data without ACK is dropped silently: " + sent);
        assertEquals(1, stack.ip.drops(DropReason.BAD_TCP_FLAGS));
        assertEquals("", events.received.toString());
        assertEquals(TcpState.ESTABLISHED, connection.state());
    }

    @Test
    void abortSendsARstAndReleasesAtOnce()
    {
        final Segment synAck = acceptOne();
        final TcpConnection connection = accepted.get(0);
        connection.abort();
        final Segment rst = onlySentAfterFlush();
        assertTrue(rst.has(TcpHeader.FLAG_RST));
        assertEquals(synAck.seq() + 1, rst.seq());
        assertEquals(TcpState.CLOSED, connection.state());
        assertEquals(TcpCloseReason.ABORTED, connection.closeReason());
        assertEquals(0, tcp.connections());

        inject(segment(PORT, PEER_ISN + 1, synAck.seq() + 1, TcpHeader.FLAG_ACK, 65535, 0, "late"));
        final Segment reset = onlySent();
        assertTrue(reset.has(TcpHeader.FLAG_RST), "a segment for the aborted connection gets a RST: " + reset);
    }

    // -------------------------------------------------------------------------------------------------------------
    // Timestamps (RFC 7323)
    // -------------------------------------------------------------------------------------------------------------

    private static final int PEER_TS = 0x7FFFFFF0;

    /** Passive open with the peer offering timestamps; returns the SYN-ACK. */
    private Segment acceptOneStamped()
    {
        TcpListener.open(tcp, PORT, connection ->
        {
            accepted.add(connection);
            connection.handler(events);
        });
        inject(stamped(PORT, PEER_ISN, 0, TcpHeader.FLAG_SYN, 65535, PEER_MSS, PEER_TS, 0, ""));
        final Segment synAck = onlySent();
        inject(stamped(PORT, PEER_ISN + 1, synAck.seq() + 1, TcpHeader.FLAG_ACK, 65535, 0, PEER_TS + 1,
            synAck.tsVal(), ""));
        assertEquals(1, accepted.size(), "accepted once the handshake completed");
        assertTrue(sent.isEmpty(), "no answer to the handshake's ACK: " + sent);
        return synAck;
    }

    @Test
    void aSynWithTimestampsGetsThemBackAndEverySegmentCarriesThem()
    {
        final Segment synAck = acceptOneStamped();
        assertTrue(synAck.hasTimestamp(), "the SYN-ACK answers the offer: " + synAck);
        assertEquals(PEER_TS, synAck.tsEcr(), "and echoes the SYN's TSval");
        assertEquals(0, synAck.headerLength() % 4);
        final TcpConnection connection = accepted.get(0);
        assertEquals(PEER_MSS - 12, connection.mss(), "12 bytes of every segment are the option (RFC 6691)");

        final int mySeq = synAck.seq() + 1;
        inject(stamped(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_ACK | TcpHeader.FLAG_PSH, 65535, 0, PEER_TS + 5,
            synAck.tsVal(), "hello"));
        final Segment ack = onlySent();
        assertTrue(ack.hasTimestamp(), "a pure ACK carries the option: " + ack);
        assertEquals(32, ack.headerLength(), "20 bytes and NOP, NOP, 10 bytes of timestamps");
        assertEquals(PEER_TS + 5, ack.tsEcr(), "echoes the newest in-order segment's TSval");
        assertTrue(ack.checksumOk());

        now += TimeUnit.MILLISECONDS.toNanos(7);
        final byte[] bytes = new byte[2 * PEER_MSS];
        assertEquals(bytes.length, connection.write(new UnsafeBuffer(bytes), 0, bytes.length));
        capture();
        assertEquals(3, sent.size(), "2000 bytes at an MSS of 988: " + sent);
        for (final Segment segment : sent)
        {
            assertTrue(segment.hasTimestamp());
            assertTrue(segment.payload().length <= PEER_MSS - 12, "the segment still fits the peer's MSS");
            assertEquals(7, segment.tsVal() - ack.tsVal(), "TSval runs on a 1 ms clock");
        }
    }

    @Test
    void pawsDropsAnOldDuplicateAndAnswersItWithAnAck()
    {
        final Segment synAck = acceptOneStamped();
        final int mySeq = synAck.seq() + 1;
        inject(stamped(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_ACK, 65535, 0, PEER_TS + 100, synAck.tsVal(),
            "new"));
        assertEquals("new", events.received.toString());
        onlySent();

        // In the window, but stamped before TS.Recent (across the wrap of the peer's clock: PEER_TS is near 2^31).
        inject(stamped(PORT, PEER_ISN + 4, mySeq, TcpHeader.FLAG_ACK, 65535, 0, PEER_TS + 50, synAck.tsVal(),
            "old"));
        final Segment answer = onlySent();
        assertEquals(PEER_ISN + 4, answer.ack(), "nothing taken from the old segment");
        assertEquals(PEER_TS + 100, answer.tsEcr(), "TS.Recent unchanged");
        assertEquals("new", events.received.toString());
        assertEquals(1, stack.ip.drops(DropReason.TCP_PAWS));

        inject(stamped(PORT, PEER_ISN + 4, mySeq, TcpHeader.FLAG_ACK, 65535, 0, PEER_TS + 100, synAck.tsVal(),
            "ok"));
        assertEquals("newok", events.received.toString(), "an equal TSval passes (RFC 7323 5.3 R1 is strict)");
    }

    @Test
    void aSegmentWithoutTheOptionOnceNegotiatedIsDroppedSilently()
    {
        final Segment synAck = acceptOneStamped();
        inject(segment(PORT, PEER_ISN + 1, synAck.seq() + 1, TcpHeader.FLAG_ACK, 65535, 0, "bare"));
        assertTrue(sent.isEmpty(), "not answered: " + sent);
        assertEquals("", events.received.toString());
        assertEquals(1, stack.ip.drops(DropReason.TCP_PAWS));
        assertEquals(TcpState.ESTABLISHED, accepted.get(0).state());

        // A RST needs no timestamp (RFC 7323 5.3 R1 exempts it): the exact one still resets.
        inject(segment(PORT, PEER_ISN + 1, 0, TcpHeader.FLAG_RST, 0, 0, ""));
        assertEquals(TcpState.CLOSED, accepted.get(0).state());
        assertEquals(TcpCloseReason.RESET, events.reason);
    }

    @Test
    void tsRecentFollowsTheSegmentAtTheLeftEdgeNotALaterOne()
    {
        final Segment synAck = acceptOneStamped();
        final int mySeq = synAck.seq() + 1;
        // Out of order first: acceptable, but it starts beyond Last.ACK.sent, so its TSval is not recorded.
        inject(stamped(PORT, PEER_ISN + 1 + 5, mySeq, TcpHeader.FLAG_ACK, 65535, 0, PEER_TS + 30, synAck.tsVal(),
            "world"));
        final Segment dupAck = onlySent();
        assertEquals(PEER_TS + 1, dupAck.tsEcr(), "the handshake's ACK is still TS.Recent");
        inject(stamped(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_ACK, 65535, 0, PEER_TS + 20, synAck.tsVal(),
            "hello"));
        assertEquals("helloworld", events.received.toString());
        final Segment ack = onlySent();
        assertEquals(PEER_TS + 20, ack.tsEcr(), "the segment that filled the hole sets TS.Recent (RFC 7323 4.3)");
    }

    @Test
    void activeOpenOffersTimestampsAndUsesThemOnlyIfTheSynAckHasThem()
    {
        final TcpConnection stampedConnection = TcpConnection.connect(tcp, PEER, PEER_PORT, events);
        capture();
        final Segment syn = onlySent();
        assertTrue(syn.hasTimestamp(), "offered: " + syn);
        assertEquals(0, syn.tsEcr(), "nothing to echo yet");
        inject(stamped(stampedConnection.localPort(), PEER_ISN, syn.seq() + 1,
            TcpHeader.FLAG_SYN | TcpHeader.FLAG_ACK, 65535, PEER_MSS, PEER_TS, syn.tsVal(), ""));
        final Segment ack = onlySent();
        assertTrue(ack.hasTimestamp());
        assertEquals(PEER_TS, ack.tsEcr());

        final TcpConnection plain = TcpConnection.connect(tcp, PEER, PEER_PORT + 1, events);
        capture();
        assertEquals(1, sent.size(), "the second SYN: " + sent);
        final Segment secondSyn = sent.remove(0);
        assertTrue(secondSyn.hasTimestamp());
        final UnsafeBuffer synAck = segment(plain.localPort(), PEER_ISN, secondSyn.seq() + 1,
            TcpHeader.FLAG_SYN | TcpHeader.FLAG_ACK, 65535, PEER_MSS, "");
        synAck.putShort(TCP, (short)(PEER_PORT + 1), java.nio.ByteOrder.BIG_ENDIAN);
        new TcpHeader().wrap(synAck, TCP).computeChecksum(PEER, ME, 24);
        inject(synAck);
        assertEquals(1, sent.size(), "the handshake's ACK: " + sent);
        final Segment plainAck = sent.remove(0);
        assertFalse(plainAck.hasTimestamp(), "the peer declined: no option from here on");
        assertEquals(20, plainAck.headerLength());
        assertEquals(PEER_MSS, plain.mss());
        assertEquals(TcpState.ESTABLISHED, plain.state());
    }

    // -------------------------------------------------------------------------------------------------------------
    // SACK (RFC 2018)
    // -------------------------------------------------------------------------------------------------------------

    /** Passive open with the peer offering SACK (no timestamps); returns the SYN-ACK. */
    private Segment acceptOneWithSack()
    {
        TcpListener.open(tcp, PORT, connection ->
        {
            accepted.add(connection);
            connection.handler(events);
        });
        inject(withOptions(PORT, PEER_ISN, 0, TcpHeader.FLAG_SYN, mssAndSackPermitted(), ""));
        final Segment synAck = onlySent();
        inject(segment(PORT, PEER_ISN + 1, synAck.seq() + 1, TcpHeader.FLAG_ACK, 65535, 0, ""));
        assertEquals(1, accepted.size());
        sent.clear();
        return synAck;
    }

    @Test
    void sackPermittedIsAnsweredAndOffered()
    {
        final Segment synAck = acceptOneWithSack();
        assertTrue(synAck.sackPermitted(), "answered: " + synAck);
        final TcpConnection connection = TcpConnection.connect(tcp, PEER, PEER_PORT, events);
        capture();
        final Segment syn = sent.remove(sent.size() - 1);
        assertTrue(syn.sackPermitted(), "offered on an active open: " + syn);
        assertEquals(TcpState.SYN_SENT, connection.state());
    }

    @Test
    void outOfOrderDataIsReportedInSackBlocksLatestFirst()
    {
        final Segment synAck = acceptOneWithSack();
        final int mySeq = synAck.seq() + 1;
        inject(segment(PORT, PEER_ISN + 1 + 10, mySeq, TcpHeader.FLAG_ACK, 65535, 0, "bbbbb"));
        final Segment first = onlySent();
        assertEquals(PEER_ISN + 1, first.ack(), "a duplicate ACK");
        assertEquals(1, first.sack().size(), "one block: " + first);
        assertEquals(PEER_ISN + 11, first.sack().get(0)[0]);
        assertEquals(PEER_ISN + 16, first.sack().get(0)[1]);

        inject(segment(PORT, PEER_ISN + 1 + 20, mySeq, TcpHeader.FLAG_ACK, 65535, 0, "ccccc"));
        final Segment second = onlySent();
        assertEquals(2, second.sack().size());
        assertEquals(PEER_ISN + 21, second.sack().get(0)[0], "the block of the latest segment first (RFC 2018 4)");
        assertEquals(PEER_ISN + 11, second.sack().get(1)[0]);

        inject(segment(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_ACK, 65535, 0, "aaaaaaaaaa"));
        final Segment filled = onlySent();
        assertEquals(PEER_ISN + 16, filled.ack(), "the hole before the first block filled");
        assertEquals(1, filled.sack().size(), "one block left: " + filled);
        assertEquals(PEER_ISN + 21, filled.sack().get(0)[0]);
        assertEquals("aaaaaaaaaabbbbb", events.received.toString());
    }

    @Test
    void fastRecoveryResendsOnlyTheHolesTheSackBlocksLeave()
    {
        final Segment synAck = acceptOneWithSack();
        final TcpConnection connection = accepted.get(0);
        final int mySeq = synAck.seq() + 1;
        final byte[] bytes = new byte[6 * PEER_MSS];
        assertEquals(bytes.length, connection.write(new UnsafeBuffer(bytes), 0, bytes.length));
        capture();
        assertEquals(6, sent.size());
        sent.clear();
        // Segments 1 and 3 of 0..5 lost. The peer ACKs 0, then duplicates that SACK 2, then 2 and 4, then 2, 4-5.
        inject(segment(PORT, PEER_ISN + 1, mySeq + PEER_MSS, TcpHeader.FLAG_ACK, 65535, 0, ""));
        sent.clear();
        final int s1 = mySeq + PEER_MSS;
        final int s2 = mySeq + 2 * PEER_MSS;
        final int s3 = mySeq + 3 * PEER_MSS;
        final int s4 = mySeq + 4 * PEER_MSS;
        final int end = mySeq + 6 * PEER_MSS;
        inject(withOptions(PORT, PEER_ISN + 1, s1, TcpHeader.FLAG_ACK, sackBlocks(s2, s3), ""));
        inject(withOptions(PORT, PEER_ISN + 1, s1, TcpHeader.FLAG_ACK, sackBlocks(s4, s4 + PEER_MSS, s2, s3), ""));
        assertTrue(sent.isEmpty(), "two duplicates retransmit nothing: " + sent);
        inject(withOptions(PORT, PEER_ISN + 1, s1, TcpHeader.FLAG_ACK, sackBlocks(s4, end, s2, s3), ""));
        assertEquals(1, sent.size(), "the third duplicate: one retransmission: " + sent);
        assertEquals(s1, sent.get(0).seq());
        assertEquals(PEER_MSS, sent.get(0).payload().length, "the hole before the first SACKed range, no more");
        sent.clear();

        inject(withOptions(PORT, PEER_ISN + 1, s1, TcpHeader.FLAG_ACK, sackBlocks(s4, end, s2, s3), ""));
        assertEquals(1, sent.size(), "the next duplicate pays for the next hole: " + sent);
        assertEquals(s3, sent.get(0).seq(), "segment 3, before any partial ACK (NewReno alone would wait for one)");
        assertEquals(PEER_MSS, sent.get(0).payload().length);
        sent.clear();

        inject(withOptions(PORT, PEER_ISN + 1, s1, TcpHeader.FLAG_ACK, sackBlocks(s4, end, s2, s3), ""));
        assertTrue(sent.stream().noneMatch(segment -> segment.payload().length > 0 && segment.seq() != end),
            "no hole is left and nothing SACKed is sent again: " + sent);
        sent.clear();

        inject(segment(PORT, PEER_ISN + 1, s3, TcpHeader.FLAG_ACK, 65535, 0, ""));
        assertTrue(sent.stream().noneMatch(segment -> segment.seq() == s3),
            "the partial ACK does not resend segment 3, which is on its way: " + sent);
        inject(segment(PORT, PEER_ISN + 1, end, TcpHeader.FLAG_ACK, 65535, 0, ""));
        assertEquals(2, connection.retransmissions(), "two holes, two retransmissions");
    }

    @Test
    void aTimeoutForgetsTheScoreboardAndResendsFromTheCumulativeAck()
    {
        final Segment synAck = acceptOneWithSack();
        final TcpConnection connection = accepted.get(0);
        final int mySeq = synAck.seq() + 1;
        final byte[] bytes = new byte[3 * PEER_MSS];
        assertEquals(bytes.length, connection.write(new UnsafeBuffer(bytes), 0, bytes.length));
        capture();
        sent.clear();
        inject(withOptions(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_ACK,
            sackBlocks(mySeq + PEER_MSS, mySeq + 3 * PEER_MSS), ""));
        sent.clear();
        advance(INITIAL_RTO_NS + 1);
        assertFalse(sent.isEmpty(), "the RTO fired: " + sent);
        assertEquals(mySeq, sent.get(0).seq(), "from SND.UNA, the SACKed bytes no longer trusted (RFC 2018 8)");
        assertEquals(TcpState.ESTABLISHED, connection.state());
    }

    @Test
    void sackBlocksThatMakeNoSenseAreIgnored()
    {
        final Segment synAck = acceptOneWithSack();
        final TcpConnection connection = accepted.get(0);
        final int mySeq = synAck.seq() + 1;
        final byte[] bytes = new byte[2 * PEER_MSS];
        assertEquals(bytes.length, connection.write(new UnsafeBuffer(bytes), 0, bytes.length));
        capture();
        sent.clear();
        // Reversed, beyond SND.MAX, below the cumulative ACK, empty: none may shrink a retransmission.
        for (int dup = 0; dup < 3; dup++)
        {
            inject(withOptions(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_ACK, sackBlocks(mySeq + 900, mySeq + 100,
                mySeq + 500, mySeq + 5 * PEER_MSS, mySeq - 100, mySeq, mySeq + 700, mySeq + 700), ""));
        }
        assertEquals(1, sent.size(), "the fast retransmit: " + sent);
        assertEquals(mySeq, sent.get(0).seq());
        assertEquals(PEER_MSS, sent.get(0).payload().length, "a whole segment: no block was believed");
        assertEquals(TcpState.ESTABLISHED, connection.state());
    }

    /**
     * The two-sided stall the lossy cable found: this host's window is shut (its application does not read) and its
     * data is in flight; the peer's zero-window probe is the only segment that carries the peer's ACK. The probe's
     * byte is refused, but its ACK is taken (RFC 9293 3.10.7.4's special allowance), and this host's pure ACKs stay
     * inside the peer's window even while its own probe byte has moved SND.MAX past it.
     */
    @Test
    void aShutWindowStillTakesTheAckOfAProbeAndItsAcksStayInsideThePeersWindow() throws IOException
    {
        stack.close();
        stack = new TestStack(Files.createDirectories(dir.resolve("shut")));
        tcp = new TcpLayer(stack.ip, new TcpLayer.Context().clock(() -> now).receiveBufferSize(1024)
            .initialRto(INITIAL_RTO_NS, TimeUnit.NANOSECONDS));
        final Segment synAck = acceptOneWithoutReading();
        final TcpConnection connection = accepted.get(0);
        final int mySeq = synAck.seq() + 1;
        assertEquals(300, connection.write(new UnsafeBuffer(new byte[300]), 0, 300));
        capture();
        assertEquals(1, sent.size(), "our 300 bytes: " + sent);
        sent.clear();
        inject(segment(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_ACK, 65535, 0, "x".repeat(1024)));
        final Segment full = onlySent();
        assertEquals(0, full.window(), "the ring is full and unread");

        // The peer's probe: one byte at our RCV.NXT, acknowledging our 300 bytes.
        inject(segment(PORT, PEER_ISN + 1025, mySeq + 300, TcpHeader.FLAG_ACK, 0, 0, "p"));
        final Segment answer = onlySent();
        assertEquals(PEER_ISN + 1025, answer.ack(), "the probe's byte is not taken");
        assertEquals(0, answer.window());
        assertEquals(mySeq + 300, answer.seq(), "numbered at the peer's (zero) window's edge");
        assertEquals(TcpLayer.Context.DEFAULT_SEND_BUFFER_SIZE, connection.writableBytes(),
            "but its ACK was: the send ring is empty again");

        // Now the peer's window is shut and we probe it: SND.MAX moves past SND.UNA + SND.WND.
        assertEquals(10, connection.write(new UnsafeBuffer(new byte[10]), 0, 10));
        capture();
        assertTrue(sent.isEmpty(), "nothing into the peer's zero window: " + sent);
        advance(connection.rtoNs() + 1);
        final Segment probe = onlySent();
        assertEquals(mySeq + 300, probe.seq());
        assertEquals(1, probe.payload().length);
        inject(segment(PORT, PEER_ISN + 1025, mySeq + 300, TcpHeader.FLAG_ACK, 0, 0, "p"));
        final Segment ack = onlySent();
        assertEquals(mySeq + 300, ack.seq(), "a pure ACK stays at the window's edge, not at SND.MAX (+1)");
    }

    @Test
    void aFullTableGivesTheOldestTimeWaitSlotToANewConnection() throws IOException
    {
        stack.close();
        stack = new TestStack(Files.createDirectories(dir.resolve("full")));
        tcp = new TcpLayer(stack.ip, new TcpLayer.Context().clock(() -> now).maxConnections(1));
        final Segment synAck = acceptOne();
        final TcpConnection first = accepted.get(0);
        final int mySeq = synAck.seq() + 1;
        first.shutdownOutput();
        onlySentAfterFlush();
        inject(segment(PORT, PEER_ISN + 1, mySeq + 1, TcpHeader.FLAG_ACK | TcpHeader.FLAG_FIN, 65535, 0, ""));
        onlySent();
        assertEquals(TcpState.TIME_WAIT, first.state());
        assertEquals(1, tcp.connections());

        final TcpConnection second = TcpConnection.connect(tcp, PEER, PEER_PORT + 7, events);
        assertEquals(TcpState.CLOSED, first.state(), "the TIME_WAIT connection gave up its slot");
        assertEquals(TcpState.SYN_SENT, second.state());
        assertEquals(1, tcp.timeWaitRecycled());
        assertEquals(1, tcp.connections());

        final IllegalStateException full = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
            () -> TcpConnection.connect(tcp, PEER, PEER_PORT + 8, events));
        assertTrue(full.getMessage().contains("maxConnections"), "a live connection is never recycled: " + full);
    }

    @Test
    void aWindowThatAllowsOnlyASliverIsNotFilledWithOne()
    {
        TcpListener.open(tcp, PORT, connection ->
        {
            accepted.add(connection);
            connection.handler(events);
        });
        inject(segment(PORT, PEER_ISN, 0, TcpHeader.FLAG_SYN, 1500, PEER_MSS, ""));
        final Segment synAck = onlySent();
        final int mySeq = synAck.seq() + 1;
        inject(segment(PORT, PEER_ISN + 1, mySeq, TcpHeader.FLAG_ACK, 1500, 0, ""));
        final TcpConnection connection = accepted.get(0);
        assertEquals(3000, connection.write(new UnsafeBuffer(new byte[3000]), 0, 3000));
        capture();
        assertEquals(1, sent.size(), "one full segment; the 500 bytes the window leaves would be silly: " + sent);
        assertEquals(PEER_MSS, sent.remove(0).payload().length);

        inject(segment(PORT, PEER_ISN + 1, mySeq + 1000, TcpHeader.FLAG_ACK, 1500, 0, ""));
        assertEquals(1, sent.size(), "again one full segment, not 1000 + 500: " + sent);
        assertEquals(PEER_MSS, sent.remove(0).payload().length);

        inject(segment(PORT, PEER_ISN + 1, mySeq + 2000, TcpHeader.FLAG_ACK, 1500, 0, ""));
        assertEquals(1, sent.size(), sent.toString());
        assertEquals(mySeq + 2000, sent.get(0).seq());
        assertEquals(1000, sent.get(0).payload().length, "the rest");
    }

    @Test
    void aTimeoutTheOriginalsAckShowsSpuriousGivesTheWindowsBackAndItsDuplicatesStartNoRecovery()
    {
        final Segment synAck = acceptOneStamped();
        final TcpConnection connection = accepted.get(0);
        final int mySeq = synAck.seq() + 1;
        final byte[] bytes = new byte[5 * (PEER_MSS - 12)];
        assertEquals(bytes.length, connection.write(new UnsafeBuffer(bytes), 0, bytes.length));
        capture();
        assertEquals(5, sent.size());
        final int originalTsval = sent.get(0).tsVal();
        sent.clear();
        final int cwndBefore = connection.cwnd();

        advance(connection.rtoNs() + 1);
        final Segment again = onlySent();
        assertEquals(mySeq, again.seq(), "the timeout resends from SND.UNA");
        assertTrue(again.tsVal() != originalTsval, "with a later TSval");
        assertEquals(1, tcp.timeouts());

        // The ACK of the originals, late: it echoes their TSval, older than the retransmission's.
        final int all = mySeq + bytes.length;
        inject(stamped(PORT, PEER_ISN + 1, all, TcpHeader.FLAG_ACK, 65535, 0, PEER_TS + 2, originalTsval, ""));
        assertEquals(1, tcp.spuriousTimeouts(), "Eifel: the ACK answers the original transmission");
        assertTrue(connection.cwnd() >= cwndBefore, "the window is back: " + connection.cwnd() + " < " + cwndBefore);
        sent.clear();

        // The peer answers our retransmitted duplicate with duplicate ACKs; from a timeout's go-back-N they are no
        // sign of loss: no fast retransmit (RFC 6582 3.2: the cumulative ACK does not pass `recover`).
        assertEquals(100, connection.write(new UnsafeBuffer(new byte[100]), 0, 100));
        capture();
        sent.clear();
        for (int dup = 0; dup < 4; dup++)
        {
            inject(stamped(PORT, PEER_ISN + 1, all, TcpHeader.FLAG_ACK, 65535, 0, PEER_TS + 3, again.tsVal(), ""));
        }
        assertTrue(sent.isEmpty(), "no fast retransmit on the go-back-N's duplicates: " + sent);
    }

    @Test
    void aTimeoutWhoseFirstAckEchoesTheRetransmissionIsGenuine()
    {
        final Segment synAck = acceptOneStamped();
        final TcpConnection connection = accepted.get(0);
        final int mySeq = synAck.seq() + 1;
        final byte[] bytes = new byte[3 * (PEER_MSS - 12)];
        assertEquals(bytes.length, connection.write(new UnsafeBuffer(bytes), 0, bytes.length));
        capture();
        sent.clear();
        advance(connection.rtoNs() + 1);
        final Segment again = onlySent();
        inject(stamped(PORT, PEER_ISN + 1, mySeq + PEER_MSS - 12, TcpHeader.FLAG_ACK, 65535, 0, PEER_TS + 2,
            again.tsVal(), ""));
        assertEquals(0, tcp.spuriousTimeouts(), "the ACK answers the retransmission: the loss was real");
        assertTrue(connection.cwnd() <= 2 * connection.mss(), "slow start from one segment: " + connection.cwnd());
    }
}
