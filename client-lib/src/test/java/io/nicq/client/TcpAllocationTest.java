package io.nicq.client;

import io.nicq.client.tcp.TcpConnection;
import io.nicq.client.tcp.TcpHandler;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.client.tcp.TcpListener;
import io.nicq.client.tcp.TcpReader;
import io.nicq.client.tcp.TcpState;
import io.nicq.packet.Ipv4Header;
import io.nicq.packet.TcpHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;

import static io.nicq.client.TestFrames.ETH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An established TCP connection sends and receives without allocating per segment: the peer's data segment in,
 * read by the handler, our ACK out; our write out as a segment, the peer's ACK in. Measured with the JVM's
 * per-thread allocation counter as {@link AllocationTest} does; the peer's frames are built once and their sequence
 * numbers and checksums rewritten in place.
 */
class TcpAllocationTest
{
    private static final int WARM_UP = 20_000;
    private static final int MEASURED = 20_000;
    private static final long SLACK_BYTES = 1024;
    private static final int ME = TestPlane.IPV4;
    private static final int PEER = TestPlane.PEER_IP;
    private static final int PORT = 8080;
    private static final int PEER_PORT = 40001;
    private static final int TCP = ETH + Ipv4Header.MIN_HEADER_LENGTH;
    private static final int PAYLOAD = 100;

    @TempDir
    Path dir;

    private TestStack stack;
    private TcpLayer tcp;
    private TcpConnection connection;
    private long now = 1_000_000_000_000L;
    private int peerSeq = 5000;
    private int mySeq;
    private long sink;
    private final TcpHeader header = new TcpHeader();
    private final FrameHandler ignore = frame -> { };
    private final TcpReader reader = (buffer, offset, length) ->
    {
        sink += buffer.getByte(offset);
        return length;
    };
    private final TcpHandler handler = new TcpHandler()
    {
        public void onReadable(final TcpConnection c)
        {
            c.read(reader);
        }
    };
    private final UnsafeBuffer data = frame(PAYLOAD);
    private final UnsafeBuffer ack = frame(0);
    private final UnsafeBuffer payload = new UnsafeBuffer(new byte[PAYLOAD]);

    /** A peer segment with {@code length} payload bytes, its numbers written later by {@link #stamp}. */
    private static UnsafeBuffer frame(final int length)
    {
        final UnsafeBuffer frame = TestFrames.ipv4(PEER, ME, Ipv4Header.PROTOCOL_TCP,
            new byte[TcpHeader.MIN_HEADER_LENGTH + length], 0);
        new TcpHeader().wrap(frame, TCP).sourcePort(PEER_PORT).destinationPort(PORT)
            .dataOffsetAndFlags(5, TcpHeader.FLAG_ACK).window(65535).urgentPointer(0);
        return frame;
    }

    private UnsafeBuffer stamp(final UnsafeBuffer frame, final int seq, final int ackNumber, final int flags)
    {
        header.wrap(frame, TCP).sequenceNumber(seq).acknowledgmentNumber(ackNumber).dataOffsetAndFlags(5, flags)
            .computeChecksum(PEER, ME, frame.capacity() - TCP);
        return frame;
    }

    private void deliver(final UnsafeBuffer frame)
    {
        stack.driver.takeRxFree();
        assertTrue(stack.driver.inject(frame) >= 0);
        stack.ip.poll();
        drain();
    }

    /** Lets the fake driver transmit whatever the stack queued, without looking (no copy). */
    private void drain()
    {
        stack.queue.flush();
        stack.driver.transmit(null);
        stack.queue.poll(ignore);
    }

    @BeforeEach
    void setUp()
    {
        stack = new TestStack(dir);
        tcp = new TcpLayer(stack.ip, new TcpLayer.Context().clock(() -> now));
        TcpListener.open(tcp, PORT, c ->
        {
            connection = c;
            c.handler(handler);
        });
        final UnsafeBuffer syn = frame(0);
        assertTrue(stack.driver.inject(stamp(syn, peerSeq, 0, TcpHeader.FLAG_SYN)) >= 0);
        stack.ip.poll();
        // The SYN-ACK's sequence number: read it back from what the stack sent.
        stack.transmitAll();
        final byte[] synAck = stack.transmitted.get(stack.transmitted.size() - 1);
        final TcpHeader sent = new TcpHeader().wrap(new UnsafeBuffer(synAck), TCP);
        assertEquals(TcpHeader.FLAG_SYN | TcpHeader.FLAG_ACK, sent.flags() & 0x3F);
        peerSeq++;
        mySeq = sent.sequenceNumber() + 1;
        deliver(stamp(ack, peerSeq, mySeq, TcpHeader.FLAG_ACK));
        assertEquals(TcpState.ESTABLISHED, connection.state());
    }

    @AfterEach
    void tearDown()
    {
        stack.close();
    }

    @Test
    void receivingDataAllocatesNothing()
    {
        assertNoAllocation("receive", () ->
        {
            deliver(stamp(data, peerSeq, mySeq, TcpHeader.FLAG_ACK | TcpHeader.FLAG_PSH));
            peerSeq += PAYLOAD;
            now += 1_000;
        });
        assertEquals(0, connection.bytesReceived() % PAYLOAD);
        assertTrue(connection.bytesReceived() >= (long)(WARM_UP + MEASURED) * PAYLOAD, "every segment taken");
        assertEquals(0, connection.readableBytes(), "all read");
    }

    @Test
    void sendingDataAllocatesNothing()
    {
        assertNoAllocation("send", () ->
        {
            assertEquals(PAYLOAD, connection.write(payload, 0, PAYLOAD));
            drain();
            mySeq += PAYLOAD;
            deliver(stamp(ack, peerSeq, mySeq, TcpHeader.FLAG_ACK));
            now += 1_000;
        });
        assertEquals(tcp.context().sendBufferSize(), connection.writableBytes(), "every byte acknowledged");
        assertEquals(TcpState.ESTABLISHED, connection.state());
    }

    private long measure(final Runnable iteration)
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().threadId();
        for (int i = 0; i < WARM_UP; i++)
        {
            iteration.run();
        }
        final long before = threads.getThreadAllocatedBytes(threadId);
        for (int i = 0; i < MEASURED; i++)
        {
            iteration.run();
        }
        return threads.getThreadAllocatedBytes(threadId) - before;
    }

    private void assertNoAllocation(final String path, final Runnable iteration)
    {
        long allocated = measure(iteration);
        for (int window = 1; window < 3 && allocated >= SLACK_BYTES; window++)
        {
            allocated = measure(iteration);
        }
        assertTrue(allocated < SLACK_BYTES, path + " path allocated " + allocated + " bytes over " + MEASURED +
            " segments (" + (double)allocated / MEASURED + " per segment)");
        assertEquals(0, stack.ip.totalDrops(), stack.ip.dropsToString());
    }
}
