package io.nicq.ixgbe;

import io.nicq.runtime.ChildJvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

class FutexInterruptVectorTest
{
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    @TempDir
    Path dir;
    private final Arena arena = Arena.ofShared();
    private Path file;
    private MemorySegment shared;
    private FutexInterruptVector waiter;
    private FutexInterruptVector card;

    @BeforeEach
    void setUp() throws Exception
    {
        file = dir.resolve("words");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE))
        {
            shared = channel.map(FileChannel.MapMode.READ_WRITE, 0, 4096, arena);
        }
        waiter = new FutexInterruptVector(shared, 64, "test vector (waiter)");
        card = new FutexInterruptVector(shared, 64, "test vector (card)");
    }

    @AfterEach
    void tearDown()
    {
        waiter.close();
        card.close();
        arena.close();
    }

    @Test
    void signalCountsAndAWaiterThatReadTheOldCountReturnsAtOnce()
    {
        final long seen = waiter.interrupts();
        card.signal();
        assertEquals(seen + 1, waiter.interrupts());
        assertTrue(waiter.await(seen, TIMEOUT_NS), "the count moved: no sleep");
    }

    @Test
    void awaitTimesOutWhenNothingComes()
    {
        assertFalse(waiter.await(waiter.interrupts(), TimeUnit.MILLISECONDS.toNanos(20)));
    }

    @Test
    void aSleepingWaiterIsWokenByASignalFromAnotherThread() throws Exception
    {
        final long seen = waiter.interrupts();
        final CompletableFuture<Boolean> woken = CompletableFuture.supplyAsync(() -> waiter.await(seen, TIMEOUT_NS));
        // Signal until the waiter has announced itself (the signal then wakes it), or it has returned.
        while (!woken.isDone() && !card.signal())
        {
            Thread.sleep(1);
        }
        assertTrue(woken.get(TIMEOUT_NS, TimeUnit.NANOSECONDS));
    }

    @Test
    void noLostWakeUpWhenSignalsRaceTheWaiterGoingToSleep() throws Exception
    {
        WakeUpStorm.run(waiter, card::signal, System.nanoTime(), 3_000);
    }

    @Test
    void refusesAMisalignedWord()
    {
        assertThrows(IllegalArgumentException.class, () -> new FutexInterruptVector(shared, 2, "odd"));
    }

    @Test
    void aWaiterInAnotherProcessIsWoken() throws Exception
    {
        final Path log = dir.resolve("child.log");
        final Process child = ChildJvm.builder(FutexWaiterMain.class.getName(),
            List.of(file.toString(), "64"), log).start();
        try
        {
            ChildJvm.awaitOutput(child, log, FutexWaiterMain.READY, 30_000, "futex waiter");
            card.signal();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child exits once woken");
            assertEquals(0, child.exitValue(), "woken, not timed out: " + java.nio.file.Files.readString(log));
        }
        finally
        {
            child.destroyForcibly();
        }
    }
}
