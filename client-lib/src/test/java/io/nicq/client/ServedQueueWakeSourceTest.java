package io.nicq.client;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.proto.channel.QueueChannel;
import io.nicq.runtime.AdaptiveIdleStrategy;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A client of a served queue sleeps on the channel's client wake word and the queue driver's publication wakes it.
 * The sleep bound is 30 s and the waits 5 s: a wake-up that does not come fails the test.
 */
class ServedQueueWakeSourceTest
{
    private static final long LONG_SLEEP_NS = TimeUnit.SECONDS.toNanos(30);

    @TempDir
    Path dir;

    @Test
    void aSleepingClientIsWokenWhenTheDriverPublishesAndNeverSleepsOverWorkAlreadyThere() throws Exception
    {
        final Path file = dir.resolve("7");
        try (QueueChannel driverSide = QueueChannel.create(file, 7, 64);
            QueueChannel clientSide = QueueChannel.open(file))
        {
            final AdaptiveIdleStrategy idle = new AdaptiveIdleStrategy(0, LONG_SLEEP_NS)
                .wakeSource(new ServedQueueWakeSource(clientSide));
            final AtomicLong taken = new AtomicLong();
            final Thread client = new Thread(() ->
            {
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (taken.get() < 50 && System.nanoTime() < deadline)
                {
                    final int slot = clientSide.rxReady().poll();
                    if (slot >= 0)
                    {
                        taken.incrementAndGet();
                        idle.idle(1);
                    }
                    else
                    {
                        idle.idle(0);
                    }
                }
            });
            client.start();
            for (int i = 0; i < 50; i++)
            {
                final long before = taken.get();
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (driverSide.clientWake().sleepers() == 0 && System.nanoTime() < deadline)
                {
                    Thread.onSpinWait();
                }
                assertEquals(1, driverSide.clientWake().sleepers(), "the client went to sleep");
                assertTrue(driverSide.rxReady().offer(i));
                driverSide.clientWake().signal(); // what QueueDriver does once per round after publishing
                while (taken.get() == before && System.nanoTime() < deadline)
                {
                    Thread.onSpinWait();
                }
                assertEquals(before + 1, taken.get(), "frame " + i + " taken by a client that slept");
            }
            client.join(5000);
            assertFalse(client.isAlive());

            // Work already published before the client arms is found by the last look: no sleep.
            assertTrue(driverSide.rxReady().offer(1));
            final ServedQueueWakeSource source = new ServedQueueWakeSource(clientSide);
            assertTrue(source.arm(), "the last look sees the frame on rxReady");
            assertEquals(0, driverSide.clientWake().sleepers(), "the announcement is withdrawn");
        }
    }
}
