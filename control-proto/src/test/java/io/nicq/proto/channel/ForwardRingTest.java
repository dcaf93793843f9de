package io.nicq.proto.channel;

import java.nio.ByteBuffer;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The software-forward ring: records in order, a full ring refuses, impossible positions yield nothing. */
class ForwardRingTest
{
    private final UnsafeBuffer memory = new UnsafeBuffer(ByteBuffer.allocateDirect(ForwardRing.LENGTH));
    private final ForwardRing ring = new ForwardRing(memory);
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[ForwardRing.MAX_FRAME_LENGTH + 1]);
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[2048]);

    @Test
    void framesComeOutInOrderWithTheirLengthAndTimestamp()
    {
        for (int i = 0; i < 3 * ForwardRing.CAPACITY; i++)
        {
            frame.putInt(0, i);
            assertTrue(ring.offer(frame, 0, 60 + i % 100, 1000L + i));
            final long limit = ring.producerPosition();
            assertEquals(1, ring.available(limit));
            assertEquals(60 + i % 100, ring.frameLength());
            assertEquals(1000L + i, ring.deviceNs());
            ring.copyFrame(out, 0, ring.frameLength());
            assertEquals(i, out.getInt(0));
            ring.advance();
            assertEquals(0, ring.available(limit));
        }
    }

    @Test
    void aFullRingRefusesAndTooLongOrEmptyFramesAreRefused()
    {
        for (int i = 0; i < ForwardRing.CAPACITY; i++)
        {
            assertTrue(ring.offer(frame, 0, 64, 0));
        }
        assertFalse(ring.offer(frame, 0, 64, 0), "full");
        assertEquals(ForwardRing.CAPACITY, ring.available(ring.producerPosition()));
        ring.advance();
        assertTrue(ring.offer(frame, 0, 64, 0), "room again");
        assertFalse(ring.offer(frame, 0, ForwardRing.MAX_FRAME_LENGTH + 1, 0));
        assertFalse(ring.offer(frame, 0, 0, 0));
    }

    @Test
    void impossiblePositionsOrLengthsYieldNothing()
    {
        assertTrue(ring.offer(frame, 0, 64, 0));
        memory.putLong(ForwardRing.PRODUCER_POSITION_OFFSET, ForwardRing.CAPACITY + 5L);
        assertEquals(0, ring.available(ring.producerPosition()), "more than a ring ahead");
        memory.putLong(ForwardRing.PRODUCER_POSITION_OFFSET, -1L);
        assertEquals(0, ring.available(ring.producerPosition()), "behind the consumer");
        memory.putLong(ForwardRing.PRODUCER_POSITION_OFFSET, 1L);
        memory.putInt(ForwardRing.RECORDS_OFFSET, ForwardRing.MAX_FRAME_LENGTH + 7);
        assertEquals(0, ring.frameLength(), "a length no record holds reads as 0");
    }
}
