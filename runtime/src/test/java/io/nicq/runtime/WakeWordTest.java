package io.nicq.runtime;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WakeWordTest
{
    private Path dir;
    private MappedByteBuffer mappingA;
    private MappedByteBuffer mappingB;
    private UnsafeBuffer a;
    private UnsafeBuffer b;

    @BeforeEach
    void mapOneFileTwice() throws Exception
    {
        dir = Files.createTempDirectory(Path.of("/dev/shm"), "nicq-test-wake-");
        final File file = dir.resolve("word").toFile();
        // Two mappings of one file: two addresses for the same page, as two processes would have.
        mappingA = IoUtil.mapNewFile(file, 4096);
        mappingB = IoUtil.mapExistingFile(file, "word");
        a = new UnsafeBuffer(mappingA);
        b = new UnsafeBuffer(mappingB);
        assertFalse(a.addressOffset() == b.addressOffset(), "the two mappings should differ");
    }

    @AfterEach
    void unmap()
    {
        IoUtil.unmap(mappingA);
        IoUtil.unmap(mappingB);
        IoUtil.delete(dir.toFile(), true);
    }

    @Test
    void aWaitWithoutSignalTimesOut()
    {
        try (WakeWord word = new WakeWord().wrap(a, 64))
        {
            final long start = System.nanoTime();
            final int ticket = word.prepare();
            assertEquals(1, word.sleepers());
            assertEquals(Futex.TIMED_OUT, word.await(ticket, TimeUnit.MILLISECONDS.toNanos(20)));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(19), "slept less than its timeout");
            assertEquals(0, word.sleepers());
        }
    }

    @Test
    void aSignalBetweenPrepareAndAwaitIsNotLost()
    {
        try (WakeWord sleeper = new WakeWord().wrap(a, 64); WakeWord signaller = new WakeWord().wrap(b, 64))
        {
            final int ticket = sleeper.prepare();
            assertTrue(signaller.signal(), "an announced sleeper is woken by a system call");
            assertEquals(Futex.VALUE_CHANGED, sleeper.await(ticket, TimeUnit.SECONDS.toNanos(5)));
            assertFalse(signaller.signal(), "nobody sleeps: no system call");
        }
    }

    @Test
    void aSleeperOnOneMappingIsWokenThroughAnother() throws Exception
    {
        final AtomicReference<Integer> result = new AtomicReference<>();
        try (WakeWord signaller = new WakeWord().wrap(b, 128))
        {
            final Thread thread = new Thread(() ->
            {
                try (WakeWord sleeper = new WakeWord().wrap(a, 128))
                {
                    result.set(sleeper.await(sleeper.prepare(), TimeUnit.SECONDS.toNanos(10)));
                }
            });
            thread.start();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (signaller.sleepers() == 0 && System.nanoTime() < deadline)
            {
                Thread.onSpinWait();
            }
            signaller.signal();
            thread.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(thread.isAlive());
            // WOKEN if it was asleep, VALUE_CHANGED if the signal came between its prepare and its wait.
            assertTrue(result.get() == Futex.WOKEN || result.get() == Futex.VALUE_CHANGED, "result " + result.get());
        }
    }

    /**
     * A producer publishes work and signals while a consumer goes to sleep whenever it sees none: the consumer must
     * never sleep through published work. A lost wake-up shows as a wait that ran into its (long) timeout.
     */
    @Test
    void noWakeUpIsLostUnderAStormOfSignals() throws Exception
    {
        final int items = 20_000;
        final int published = 256; // the "ring position": an int beside the word
        final AtomicReference<String> failure = new AtomicReference<>();
        final java.util.concurrent.atomic.AtomicInteger sleeps = new java.util.concurrent.atomic.AtomicInteger();
        final Thread consumer = new Thread(() ->
        {
            try (WakeWord word = new WakeWord().wrap(a, 0))
            {
                int seen = 0;
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (seen < items && System.nanoTime() < deadline)
                {
                    final int available = a.getIntVolatile(published);
                    if (available != seen)
                    {
                        seen = available;
                        continue;
                    }
                    final int ticket = word.prepare();
                    if (a.getIntVolatile(published) != seen)
                    {
                        word.cancel();
                        continue;
                    }
                    sleeps.incrementAndGet();
                    if (word.await(ticket, TimeUnit.SECONDS.toNanos(5)) == Futex.TIMED_OUT &&
                        a.getIntVolatile(published) != seen)
                    {
                        failure.compareAndSet(null, "slept through work at item " + seen);
                    }
                }
                if (seen < items)
                {
                    failure.compareAndSet(null, "consumer saw only " + seen + " of " + items);
                }
            }
        });
        consumer.start();
        try (WakeWord word = new WakeWord().wrap(b, 0))
        {
            for (int i = 1; i <= items; i++)
            {
                b.putIntVolatile(published, i);
                word.signal();
                if ((i & 63) == 0)
                {
                    Thread.yield(); // let the consumer catch up and fall asleep, so that sleeps and signals interleave
                }
            }
        }
        consumer.join(TimeUnit.SECONDS.toMillis(90));
        assertFalse(consumer.isAlive(), "consumer still running");
        assertNull(failure.get());
        assertTrue(sleeps.get() > 0, "the consumer never went to sleep: the test proved nothing");
        assertEquals(0, a.getIntVolatile(WakeWord.SLEEPERS_OFFSET), "every sleeper withdrew");
        System.out.println("[figures] WakeWordTest | " + items + " items, consumer slept " + sleeps.get() + " times");
    }

    @Test
    void aSleeperOnTwoWordsIsWokenByASignalOfTheSecond() throws Exception
    {
        final AtomicReference<Integer> result = new AtomicReference<>();
        try (WakeWord secondSignaller = new WakeWord().wrap(b, 200))
        {
            final Thread thread = new Thread(() ->
            {
                try (WakeWord first = new WakeWord().wrap(a, 192); WakeWord second = new WakeWord().wrap(a, 200))
                {
                    final int firstTicket = first.prepare();
                    final int secondTicket = second.prepare();
                    result.set(WakeWord.awaitEither(first, firstTicket, second, secondTicket,
                        TimeUnit.SECONDS.toNanos(10)));
                }
            });
            thread.start();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (secondSignaller.sleepers() == 0 && System.nanoTime() < deadline)
            {
                Thread.onSpinWait();
            }
            final long signalled = System.nanoTime();
            secondSignaller.signal();
            thread.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(thread.isAlive());
            assertTrue(System.nanoTime() - signalled < TimeUnit.SECONDS.toNanos(5), "woken by its timeout, not the signal");
            assertTrue(result.get() == Futex.WOKEN || result.get() == Futex.VALUE_CHANGED, "result " + result.get());
            assertEquals(0, a.getIntVolatile(192 + WakeWord.SLEEPERS_OFFSET), "the first word's sleeper withdrew");
            assertEquals(0, a.getIntVolatile(200 + WakeWord.SLEEPERS_OFFSET), "the second word's sleeper withdrew");
        }
    }

    @Test
    void aSignalOfEitherWordBeforeTheSleepIsNotLost()
    {
        try (WakeWord first = new WakeWord().wrap(a, 192); WakeWord second = new WakeWord().wrap(a, 200);
            WakeWord firstSignaller = new WakeWord().wrap(b, 192))
        {
            final int firstTicket = first.prepare();
            final int secondTicket = second.prepare();
            firstSignaller.signal();
            assertEquals(Futex.VALUE_CHANGED, WakeWord.awaitEither(first, firstTicket, second, secondTicket,
                TimeUnit.SECONDS.toNanos(5)));
            final long start = System.nanoTime();
            assertEquals(Futex.TIMED_OUT, WakeWord.awaitEither(first, first.prepare(), second, second.prepare(),
                TimeUnit.MILLISECONDS.toNanos(20)));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(19), "slept less than its timeout");
            assertEquals(0, first.sleepers());
            assertEquals(0, second.sleepers());
        }
    }

    @Test
    void heapMemoryIsRefused()
    {
        try (WakeWord word = new WakeWord())
        {
            final IllegalArgumentException ex = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> word.wrap(new UnsafeBuffer(new byte[64]), 0));
            assertTrue(ex.getMessage().contains("off-heap"), ex.getMessage());
        }
    }
}
