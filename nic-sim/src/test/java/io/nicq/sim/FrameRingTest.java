package io.nicq.sim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class FrameRingTest
{
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment region = arena.allocate(FrameRing.regionSize(FrameRing.MIN_CAPACITY), 64);
    private final FrameRing producer = new FrameRing(region, FrameRing.MIN_CAPACITY);
    private final FrameRing consumer = new FrameRing(region, FrameRing.MIN_CAPACITY);
    private final List<byte[]> received = new ArrayList<>();
    private final FrameSink collect = (buffer, offset, length) ->
        received.add(buffer.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));

    @AfterEach
    void close()
    {
        arena.close();
    }

    private boolean offer(final byte[] frame)
    {
        final MemorySegment source = arena.allocate(Math.max(1, frame.length));
        MemorySegment.copy(frame, 0, source, ValueLayout.JAVA_BYTE, 0, frame.length);
        return producer.offer(source, 0, frame.length);
    }

    private static byte[] frame(final int length, final int seed)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(seed * 31 + i);
        }
        return bytes;
    }

    @Test
    void framesComeOutInOrderAcrossTheWrap()
    {
        int sent = 0;
        int taken = 0;
        for (int round = 0; round < 2000; round++)
        {
            final byte[] f = frame(60 + (round * 37) % 1400, round);
            while (!offer(f))
            {
                assertTrue(consumer.poll(collect, 1000) > 0, "a full ring has frames to take");
            }
            sent++;
            if (round % 7 == 0)
            {
                consumer.poll(collect, 3);
            }
            for (; taken < received.size(); taken++)
            {
                assertArrayEquals(frame(received.get(taken).length, taken), received.get(taken));
            }
        }
        consumer.poll(collect, Integer.MAX_VALUE);
        assertEquals(sent, received.size());
        assertEquals(0, consumer.corruptions());
    }

    @Test
    void aFullRingRefusesUntilTheConsumerCatchesUp()
    {
        final byte[] f = frame(1000, 1);
        int accepted = 0;
        while (offer(f))
        {
            accepted++;
        }
        assertTrue(accepted > 50 && accepted < 70, "about 64 KiB of 1 KiB frames: " + accepted);
        assertEquals(1, consumer.poll(collect, 1));
        assertTrue(offer(f));
    }

    @Test
    void refusesFramesItCannotCarry()
    {
        assertFalse(offer(new byte[0]));
        assertFalse(offer(new byte[FrameRing.MIN_CAPACITY / 4 + 1]));
    }

    @Test
    void aCorruptRecordDropsThePendingFramesInsteadOfReadingOutOfBounds()
    {
        assertTrue(offer(frame(100, 1)));
        assertTrue(offer(frame(100, 2)));
        region.set(ValueLayout.JAVA_INT, FrameRing.HEADER_SIZE, 1 << 30); // a hostile length
        assertEquals(0, consumer.poll(collect, 10));
        assertEquals(1, consumer.corruptions());
        assertTrue(offer(frame(100, 3)));
        assertEquals(1, consumer.poll(collect, 10), "the ring works again");
    }

    @Test
    void discardAllForgetsWhatWasSent()
    {
        offer(frame(100, 1));
        consumer.discardAll();
        assertEquals(0, consumer.poll(collect, 10));
        assertEquals(0, consumer.pendingBytes());
    }
}
