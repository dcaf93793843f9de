package io.nicq.ixgbe;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.nicq.ixgbe.Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/** The simulated card's doorbell: every register write through {@link SimulatedBar} rings it. */
class DoorbellTest
{
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    @TempDir
    Path dir;
    private FakeCard card;
    private SimulatedBar bar;
    private Doorbell device;

    @BeforeEach
    void setUp() throws Exception
    {
        card = new FakeCard(dir, "bell");
        bar = new SimulatedBar(card.bar0, null, "sim:bell");
        device = new Doorbell(card.bar0, "sim:bell device side");
    }

    @AfterEach
    void tearDown()
    {
        device.close();
        bar.close();
        card.close();
    }

    @Test
    void everyRegisterWriteRingsTailsIncludedButADroppedOneDoesNot()
    {
        final long before = device.interrupts();
        bar.write(rdt(3), 0);
        bar.write(tdt(0), 0);
        bar.write(CTRL_EXT, CTRL_EXT_NS_DIS);
        bar.write(EIMS, 1);
        assertEquals(before + 4, device.interrupts());
        bar.write(LINKS, 0); // read-only: dropped, nothing for the device to see
        assertEquals(before + 4, device.interrupts());
    }

    @Test
    void aSleepingDeviceLoopIsWokenByATailWrite() throws Exception
    {
        final long seen = device.interrupts();
        final CompletableFuture<Boolean> woken = CompletableFuture.supplyAsync(() -> device.await(seen, TIMEOUT_NS));
        final long deadline = System.nanoTime() + TIMEOUT_NS;
        while (device.sleepers() == 0 && !woken.isDone() && System.nanoTime() - deadline < 0)
        {
            Thread.onSpinWait();
        }
        assertEquals(1, device.sleepers(), "the sleeper announced itself");
        bar.write(tdt(0), 0);
        assertTrue(woken.get(TIMEOUT_NS, TimeUnit.NANOSECONDS));
        assertEquals(0, device.sleepers(), "and left");
    }

    @Test
    void awaitTimesOutWithoutWrites()
    {
        assertFalse(device.await(device.interrupts(), TimeUnit.MILLISECONDS.toNanos(20)));
        assertEquals(0, device.sleepers());
    }

    @Test
    void noLostRingWhenWritesRaceTheDeviceGoingToSleep() throws Exception
    {
        WakeUpStorm.run(device, () -> bar.write(tdt(0), 0), System.nanoTime(), 3_000);
    }
}
