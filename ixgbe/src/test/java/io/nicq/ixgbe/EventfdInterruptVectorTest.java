package io.nicq.ixgbe;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The eventfd seam against a real eventfd(2): what VFIO hands out for an MSI-X vector. */
class EventfdInterruptVectorTest
{
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    private EventfdInterruptVector waiter;
    private EventfdInterruptVector card;

    @BeforeEach
    void setUp()
    {
        // Blocking, as VfioInterrupts creates them (EFD_CLOEXEC only).
        final int fd = NativeWaits.eventfd(NativeWaits.EFD_CLOEXEC);
        waiter = new EventfdInterruptVector(fd, true, "eventfd vector (waiter)");
        card = new EventfdInterruptVector(fd, false, "eventfd vector (card)");
    }

    @AfterEach
    void tearDown()
    {
        card.close();
        waiter.close();
    }

    @Test
    void interruptsCountsWhatTheFdAccumulated()
    {
        assertEquals(0, waiter.interrupts());
        card.signal();
        card.signal();
        card.signal();
        assertEquals(3, waiter.interrupts(), "one read takes the counter: all three");
        assertEquals(3, waiter.interrupts());
    }

    @Test
    void anInterruptAfterTheCountMakesAwaitReturnAtOnce()
    {
        final long seen = waiter.interrupts();
        card.signal();
        assertTrue(waiter.await(seen, TIMEOUT_NS));
        assertEquals(seen + 1, waiter.interrupts());
    }

    @Test
    void awaitTimesOutWhenNothingComes()
    {
        assertFalse(waiter.await(waiter.interrupts(), TimeUnit.MILLISECONDS.toNanos(20)));
    }

    @Test
    void aSleepingWaiterIsWokenByAnotherThread() throws Exception
    {
        final long seen = waiter.interrupts();
        final CompletableFuture<Boolean> woken = CompletableFuture.supplyAsync(() -> waiter.await(seen, TIMEOUT_NS));
        Thread.sleep(20); // most likely asleep in poll(2) by now; either way it must return true
        card.signal();
        assertTrue(woken.get(TIMEOUT_NS, TimeUnit.NANOSECONDS));
    }

    @Test
    void noLostWakeUpWhenSignalsRaceTheWaiterGoingToSleep() throws Exception
    {
        WakeUpStorm.run(waiter, card::signal, System.nanoTime(), 3_000);
    }
}
