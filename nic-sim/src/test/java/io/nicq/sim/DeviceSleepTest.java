package io.nicq.sim;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.packet.MacAddress;
import io.nicq.runtime.AdaptiveIdleStrategy;
import io.nicq.runtime.WakeWord;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A device loop under the adaptive idle strategy sleeps on its doorbell and its wire, and every source of work wakes
 * it. The strategy's sleep bound is 30 s here, far beyond every wait of the tests (5 s, {@link TestDriver#TIMEOUT_NS}),
 * so a wake-up that does not come fails a test instead of being covered by the bound.
 */
class DeviceSleepTest
{
    private static final long LONG_SLEEP_NS = TimeUnit.SECONDS.toNanos(30);
    private static final long PEER = MacAddress.parse("02:00:00:00:00:ee");

    @TempDir
    Path dir;

    private SimulatedCard card(final String name, final String wire, final long spinNs)
    {
        return SimulatedCard.launch(new SimulatedCard.Context().cardName(name).baseDir(dir).wireSpec(wire)
            .idleStrategy(new AdaptiveIdleStrategy(spinNs, LONG_SLEEP_NS)));
    }

    /** Sleepers announced on the card's doorbell word: 1 while its device loop sleeps. */
    private static long doorbellSleepers(final SimulatedCard card)
    {
        return card.status(SimulatedCardFiles.DOORBELL_WORD_OFFSET) >>> (8 * WakeWord.SLEEPERS_OFFSET);
    }

    private static void awaitAsleep(final SimulatedCard card, final TestDriver driver)
    {
        driver.await(() -> doorbellSleepers(card) == 1, "card " + card.files() + " asleep on its doorbell");
    }

    @Test
    void aFrameOnTheWireWakesASleepingCard()
    {
        try (SimulatedCard card = card("mem", "memory", 0);
            TestDriver driver = new TestDriver(card.openNic(), TestDriver.pause()))
        {
            driver.init(false);
            final TestDriver.RxQueue rx = driver.startRx(0, 64);
            for (int i = 0; i < 20; i++)
            {
                awaitAsleep(card, driver);
                final byte[] in = Frames.udp(card.mac(), PEER, 1, 2, 3, 4, new byte[i]);
                assertTrue(card.memoryWire().inject(in));
                // The wire's sender pads a short frame to the Ethernet minimum, as every MAC does.
                assertArrayEquals(java.util.Arrays.copyOf(in, Math.max(in.length, 60)),
                    rx.await("frame " + i + " received by a card that slept"));
            }
        }
    }

    @Test
    void aRegisterWriteWakesASleepingCard()
    {
        try (SimulatedCard card = card("bell", "memory", 0);
            TestDriver driver = new TestDriver(card.openNic(), TestDriver.pause()))
        {
            driver.init(false);
            final TestDriver.TxQueue tx = driver.startTx(0, 64);
            for (int i = 0; i < 20; i++)
            {
                awaitAsleep(card, driver);
                final byte[] out = Frames.udp(PEER, card.mac(), 2, 1, 4, 3, new byte[20 + i]);
                tx.send(out); // the TDT write rings the doorbell
                final byte[][] sent = new byte[1][];
                driver.await(() -> (sent[0] = card.memoryWire().pollTransmitted()) != null, "frame " + i + " sent");
                assertArrayEquals(out, sent[0]);
            }
        }
    }

    @Test
    void aFrameFromTheCableWakesTheSleepingCardAtItsFarEnd()
    {
        try (SimulatedCard b = card("b", "cable:c1:b", 0);
            SimulatedCard a = card("a", "cable:c1:a", 0);
            TestDriver da = new TestDriver(a.openNic(), TestDriver.pause());
            TestDriver db = new TestDriver(b.openNic(), TestDriver.pause()))
        {
            da.init(false);
            db.init(false);
            final TestDriver.TxQueue tx = da.startTx(0, 64);
            final TestDriver.RxQueue rx = db.startRx(0, 64);
            for (int i = 0; i < 20; i++)
            {
                awaitAsleep(b, db);
                final byte[] frame = Frames.udp(b.mac(), a.mac(), 1, 2, 3, 4, new byte[30 + i]);
                tx.send(frame);
                assertArrayEquals(frame, rx.await("frame " + i + " across the cable to a sleeping card"));
            }
        }
    }

    /**
     * Frames and doorbells arrive at random moments around the end of the card's spin, so that across the iterations
     * they land before the arm, between the arm and the last look, between the last look and the sleep, and during
     * the sleep. A lost wake-up leaves the card asleep for 30 s, and the iteration's 5 s wait fails.
     */
    @Test
    void noWakeUpIsLostWhenFramesArriveAsTheCardGoesToSleep()
    {
        final long seed = System.nanoTime();
        final SplittableRandom random = new SplittableRandom(seed);
        final long spinNs = TimeUnit.MICROSECONDS.toNanos(100);
        final int iterations = 3000;
        try (SimulatedCard card = card("storm", "memory", spinNs);
            TestDriver driver = new TestDriver(card.openNic(), TestDriver.pause()))
        {
            driver.init(false);
            final TestDriver.RxQueue rx = driver.startRx(0, 64);
            final TestDriver.TxQueue tx = driver.startTx(0, 64);
            final byte[] in = Frames.udp(card.mac(), PEER, 1, 2, 3, 4, new byte[18]);
            final byte[] out = Frames.udp(PEER, card.mac(), 2, 1, 4, 3, new byte[18]);
            int slept = 0;
            for (int i = 0; i < iterations; i++)
            {
                // Up to twice the spin after the card's last work: before, at and after the moment it arms.
                final long delay = random.nextLong(2 * spinNs + TimeUnit.MICROSECONDS.toNanos(50));
                final long until = System.nanoTime() + delay;
                while (System.nanoTime() < until)
                {
                    Thread.onSpinWait();
                }
                slept += doorbellSleepers(card) == 1 ? 1 : 0;
                if (random.nextBoolean())
                {
                    assertTrue(card.memoryWire().inject(in));
                    assertNotNull(rx.await("frame " + i + " (seed " + seed + ")"));
                }
                else
                {
                    tx.send(out);
                    driver.await(() -> card.memoryWire().pollTransmitted() != null,
                        "frame " + i + " sent (seed " + seed + ")");
                }
            }
            System.out.println("[figures] DeviceSleepTest | " + iterations + " frames around the sleep, the card " +
                "was asleep at " + slept + " of them (seed " + seed + ")");
        }
    }
}
