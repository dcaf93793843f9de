package io.nicq.proto.channel;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

class IndexRingTest
{
    private final Arena arena = Arena.ofShared();

    @AfterEach
    void close()
    {
        arena.close();
    }

    private UnsafeBuffer memory(final int capacity)
    {
        final MemorySegment segment = arena.allocate(IndexRing.lengthFor(capacity), 4096);
        return new UnsafeBuffer(segment.address(), (int)segment.byteSize());
    }

    @Test
    void lengthKeepsPositionsOnTheirOwnCacheLines()
    {
        assertEquals(0, IndexRing.TAIL_OFFSET);
        assertEquals(128, IndexRing.HEAD_OFFSET);
        assertEquals(256, IndexRing.ENTRIES_OFFSET);
        assertEquals(256 + 8 * 4 + 96, IndexRing.lengthFor(8));
        assertEquals(256 + 1024 * 4, IndexRing.lengthFor(1024));
    }

    @Test
    void rejectsCapacityThatIsNotAPowerOfTwoOrTooSmallABuffer()
    {
        final UnsafeBuffer buffer = memory(16);
        assertThrows(IllegalArgumentException.class, () -> new IndexRing(buffer, 12));
        assertThrows(IllegalArgumentException.class, () -> new IndexRing(buffer, 64));
    }

    @Test
    void singleOfferAndPollInOrderUntilFullAndEmpty()
    {
        final UnsafeBuffer buffer = memory(4);
        final IndexRing producer = new IndexRing(buffer, 4);
        final IndexRing consumer = new IndexRing(buffer, 4);

        assertEquals(IndexRing.EMPTY, consumer.poll());
        for (int i = 0; i < 4; i++)
        {
            assertTrue(producer.offer(10 + i));
        }
        assertFalse(producer.offer(99), "a full ring takes nothing");
        assertEquals(4, producer.size());
        assertEquals(0, producer.remainingCapacity());

        assertEquals(10, consumer.poll());
        assertTrue(producer.offer(14), "a freed entry is usable again");
        for (int i = 1; i <= 4; i++)
        {
            assertEquals(10 + i, consumer.poll());
        }
        assertEquals(IndexRing.EMPTY, consumer.poll());
        assertEquals(5, producer.producerPosition());
        assertEquals(5, consumer.consumerPosition());
    }

    @Test
    void batchOperationsWrapAroundAndReturnPartialCounts()
    {
        final UnsafeBuffer buffer = memory(8);
        final IndexRing producer = new IndexRing(buffer, 8);
        final IndexRing consumer = new IndexRing(buffer, 8);
        final int[] values = new int[16];
        final int[] taken = new int[16];

        int next = 0;
        int expected = 0;
        for (int round = 0; round < 50; round++)
        {
            final int want = 1 + round % 11;
            for (int i = 0; i < want; i++)
            {
                values[i] = next + i;
            }
            final int offered = producer.offer(values, 0, want);
            assertTrue(offered <= want && offered >= 0);
            next += offered;

            final int polled = consumer.poll(taken, 3, 1 + round % 7);
            for (int i = 0; i < polled; i++)
            {
                assertEquals(expected++, taken[3 + i]);
            }
        }
        int polled;
        while ((polled = consumer.poll(taken, 0, 16)) > 0)
        {
            for (int i = 0; i < polled; i++)
            {
                assertEquals(expected++, taken[i]);
            }
        }
        assertEquals(next, expected);
        assertEquals(0, producer.corruptPositions() + consumer.corruptPositions());
    }

    @Test
    void offerOfMoreThanFitsTakesTheFront()
    {
        final UnsafeBuffer buffer = memory(8);
        final IndexRing producer = new IndexRing(buffer, 8);
        final IndexRing consumer = new IndexRing(buffer, 8);
        final int[] values = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertEquals(8, producer.offer(values, 0, 11));
        assertEquals(0, producer.offer(values, 8, 3));
        final int[] taken = new int[11];
        assertEquals(8, consumer.poll(taken, 0, 11));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0}, taken);
    }

    @Test
    void aProducerPositionBeyondCapacityOrBehindTheConsumerIsIgnoredAndCounted()
    {
        final UnsafeBuffer buffer = memory(8);
        final IndexRing consumer = new IndexRing(buffer, 8);
        final int[] taken = new int[8];

        buffer.putLongVolatile(IndexRing.TAIL_OFFSET, 1_000_000);
        assertEquals(0, consumer.poll(taken, 0, 8));
        assertEquals(IndexRing.EMPTY, consumer.poll());
        assertEquals(2, consumer.corruptPositions());

        buffer.putLongVolatile(IndexRing.TAIL_OFFSET, -5);
        assertEquals(0, consumer.poll(taken, 0, 8));
        assertEquals(3, consumer.corruptPositions());

        buffer.putLongVolatile(IndexRing.TAIL_OFFSET, 2);
        assertEquals(2, consumer.poll(taken, 0, 8), "a sane position is used again");
    }

    @Test
    void aConsumerPositionAheadOfTheProducerReadsAsFull()
    {
        final UnsafeBuffer buffer = memory(8);
        final IndexRing producer = new IndexRing(buffer, 8);
        buffer.putLongVolatile(IndexRing.HEAD_OFFSET, 100);
        assertFalse(producer.offer(1));
        assertEquals(0, producer.offer(new int[] {1, 2}, 0, 2));
        assertEquals(2, producer.corruptPositions());
        assertEquals(0, producer.producerPosition(), "nothing was published");
    }

    @Test
    void aSideNeverReadsBackItsOwnPosition()
    {
        final UnsafeBuffer buffer = memory(8);
        final IndexRing producer = new IndexRing(buffer, 8);
        final IndexRing consumer = new IndexRing(buffer, 8);
        assertTrue(producer.offer(7));

        // A peer scribbles over the consumer's position: the consumer keeps its own count.
        buffer.putLongVolatile(IndexRing.HEAD_OFFSET, 1);
        assertEquals(7, consumer.poll());
        assertEquals(1, consumer.consumerPosition());

        // ... and over the producer's position: the producer publishes from its own count.
        buffer.putLongVolatile(IndexRing.TAIL_OFFSET, 6);
        assertTrue(producer.offer(8));
        assertEquals(2, producer.producerPosition());
        assertEquals(8, consumer.poll());
    }

    @Test
    void wrappingTakesUpThePositionsFoundInMemory()
    {
        final UnsafeBuffer buffer = memory(8);
        final IndexRing first = new IndexRing(buffer, 8);
        for (int i = 0; i < 5; i++)
        {
            assertTrue(first.offer(i));
        }
        assertEquals(0, first.poll());
        assertEquals(1, first.poll());

        final IndexRing consumer = new IndexRing(buffer, 8);
        final IndexRing producer = new IndexRing(buffer, 8);
        assertEquals(2, consumer.poll());
        assertTrue(producer.offer(5));
        final int[] taken = new int[8];
        assertEquals(3, consumer.poll(taken, 0, 8));
        assertArrayEquals(new int[] {3, 4, 5}, java.util.Arrays.copyOf(taken, 3));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void concurrentProducerAndConsumerDeliverEveryIndexExactlyOnceInOrder() throws Exception
    {
        final int capacity = 64;
        final long count = 3_000_000;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
        final UnsafeBuffer buffer = memory(capacity);
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        final Thread producerThread = new Thread(() ->
        {
            final IndexRing producer = new IndexRing(buffer, capacity);
            final int[] batch = new int[32];
            long next = 0;
            int round = 0;
            while (next < count && failure.get() == null)
            {
                final int want = (int)Math.min(1 + (round++ % 32), count - next);
                if (want == 1)
                {
                    if (producer.offer((int)next))
                    {
                        next++;
                        continue;
                    }
                }
                else
                {
                    for (int i = 0; i < want; i++)
                    {
                        batch[i] = (int)(next + i);
                    }
                    final int offered = producer.offer(batch, 0, want);
                    next += offered;
                    if (offered > 0)
                    {
                        continue;
                    }
                }
                if (System.nanoTime() - deadline > 0)
                {
                    failure.compareAndSet(null, new AssertionError("producer timed out at " + next + " of " + count));
                }
                Thread.yield();
            }
        }, "ring-producer");

        final IndexRing consumer = new IndexRing(buffer, capacity);
        final int[] taken = new int[32];
        producerThread.start();
        long expected = 0;
        int round = 0;
        try
        {
            while (expected < count && failure.get() == null)
            {
                final int polled;
                if ((round++ & 1) == 0)
                {
                    final int value = consumer.poll();
                    if (value != IndexRing.EMPTY)
                    {
                        taken[0] = value;
                        polled = 1;
                    }
                    else
                    {
                        polled = 0;
                    }
                }
                else
                {
                    polled = consumer.poll(taken, 0, 1 + round % 32);
                }
                for (int i = 0; i < polled; i++)
                {
                    if (taken[i] != (int)expected)
                    {
                        throw new AssertionError("index " + taken[i] + " arrived where " + expected + " was due");
                    }
                    expected++;
                }
                if (polled == 0)
                {
                    assertTrue(System.nanoTime() - deadline < 0, "consumer timed out at " + expected + " of " + count);
                    Thread.yield();
                }
            }
        }
        finally
        {
            if (expected < count)
            {
                failure.compareAndSet(null, new AssertionError("consumer stopped at " + expected + " of " + count));
            }
            producerThread.join(TimeUnit.SECONDS.toMillis(10));
        }
        if (failure.get() != null)
        {
            throw new AssertionError(failure.get());
        }
        assertFalse(producerThread.isAlive(), "producer thread did not finish");
        assertEquals(count, expected);
        assertEquals(IndexRing.EMPTY, consumer.poll(), "nothing arrives twice");
        assertEquals(count, consumer.consumerPosition());
        assertEquals(0, consumer.corruptPositions());
    }
}
