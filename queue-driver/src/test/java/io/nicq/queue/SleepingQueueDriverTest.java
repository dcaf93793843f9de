package io.nicq.queue;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.ixgbe.SimulatedNic;
import io.nicq.proto.channel.IndexRing;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.runtime.AdaptiveIdleStrategy;
import io.nicq.runtime.WakeWord;
import io.nicq.sim.SimulatedCard;
import org.agrona.concurrent.AgentRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static io.nicq.ixgbe.Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A queue driver under the adaptive idle strategy, on its own thread beside a simulated card on its own thread (both
 * sleeping when idle), as a served queue runs: it sleeps on its interrupt vector and its channel's driver wake word,
 * and a frame from the wire or a frame from the client wakes it. The strategy's sleep bound is 30 s and every wait of
 * the tests 5 s, so a wake-up that does not come fails the test instead of being covered by the bound.
 */
class SleepingQueueDriverTest
{
    static final int QUEUE = 3;
    static final int ETHERTYPE = 0x88B5;
    static final long LONG_SLEEP_NS = TimeUnit.SECONDS.toNanos(30);
    static final long WAIT_NS = TimeUnit.SECONDS.toNanos(5);

    @TempDir
    Path dir;

    SimulatedCard card;
    SimulatedNic nic;
    QueueChannel cardView;
    QueueDriver driver;
    AgentRunner runner;
    TestClient client;
    Process cardDriverStandIn;
    /** Rounds that published to the client, as the hook sees them (queue 0's conductor is rung by it). */
    final java.util.concurrent.atomic.AtomicInteger publishedRounds = new java.util.concurrent.atomic.AtomicInteger();

    void start(final long spinNs, final long cardDriverPid)
    {
        card = SimulatedCard.launch(new SimulatedCard.Context().cardName("sleepy").baseDir(dir.resolve("sim"))
            .wireSpec("memory"));
        nic = card.openNic();
        TestCard.init(nic.bar(), () -> { });
        TestCard.steer(nic.bar(), 0, ETHERTYPE, QUEUE);
        programInterrupts(nic.bar());

        final Path file = dir.resolve("queues").resolve(Integer.toString(QUEUE));
        cardView = QueueChannel.create(file, QUEUE, 256);
        final AdaptiveIdleStrategy idle = new AdaptiveIdleStrategy(spinNs, LONG_SLEEP_NS);
        driver = QueueDriver.start(new QueueDriver.Context()
            .nic(nic)
            .queueId(QUEUE)
            .channelFile(file)
            .ringSize(64)
            .idleStrategy(idle)
            .queueAttacher(new RegisterQueueAttacher(nic.bar()))
            .cardDriverPid(cardDriverPid)
            .onPublishedToClient(publishedRounds::incrementAndGet)
            .clientTimeoutNs(0)
            .clientAttachTimeoutNs(0));
        assertNotNull(idle.wakeSource(), "the adaptive strategy sleeps on the queue's vector and wake word");
        client = new TestClient(file);
        runner = new AgentRunner(idle, Throwable::printStackTrace, null, driver);
        AgentRunner.startOnThread(runner);
    }

    /** What the card driver's QueueInterrupts does: MSI-X, auto-clear and auto-mask, queue q on vector q. */
    static void programInterrupts(final Bar bar)
    {
        bar.write(EIMC, EIMC_ALL);
        bar.write(GPIE, GPIE_MSIX_MODE | GPIE_EIAME | GPIE_PBA_SUPPORT);
        bar.write(EIAC, EICR_RTX_QUEUE);
        bar.write(EIAM, EICR_RTX_QUEUE);
        bar.write(ivarOf(QUEUE), (ivarEntry(QUEUE) << ivarRxShift(QUEUE)) | (ivarEntry(QUEUE) << ivarTxShift(QUEUE)));
    }

    @AfterEach
    void tearDown()
    {
        if (runner != null)
        {
            // A ring of the driver's wake word ends a sleep the runner would otherwise wait out.
            final Thread closer = new Thread(() -> runner.close());
            closer.start();
            while (closer.isAlive())
            {
                cardView.driverWake().signal();
                try
                {
                    closer.join(10);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        else if (driver != null)
        {
            driver.close();
        }
        for (final AutoCloseable c : new AutoCloseable[] {client, cardView, nic, card})
        {
            try
            {
                if (c != null)
                {
                    c.close();
                }
            }
            catch (final Exception ignore)
            {
                // tear-down goes on
            }
        }
        if (cardDriverStandIn != null)
        {
            cardDriverStandIn.destroyForcibly();
        }
    }

    /** Sleepers announced on queue 3's interrupt vector word in the card's status page. */
    long vectorSleepers()
    {
        return card.status(SimulatedCardFiles.interruptWordOffset(QUEUE)) >>> (8 * WakeWord.SLEEPERS_OFFSET);
    }

    static void await(final BooleanSupplier condition, final String what)
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("timed out after 5 s waiting until " + what);
            }
            Thread.onSpinWait();
        }
    }

    int receiveOne(final String what)
    {
        final int[] slot = {IndexRing.EMPTY};
        await(() -> (slot[0] = client.channel.rxReady().poll()) != IndexRing.EMPTY, what);
        return slot[0];
    }

    void sendOne(final int seed, final String what)
    {
        final int[] slot = {-1};
        await(() -> (slot[0] = client.send(SimulatedCardQueueDriverTest.frame(seed, 64))) >= 0, "a free slot for " +
            what);
        client.channel.driverWake().signal(); // what client-lib's ChannelEndpoint.flush does after txReady
        await(() -> card.memoryWire().pollTransmitted() != null, what);
    }

    @Test
    void aFrameFromTheWireWakesASleepingQueueDriver()
    {
        start(0, 0);
        for (int i = 0; i < 20; i++)
        {
            await(() -> vectorSleepers() == 1, "the queue driver asleep on its vector");
            assertTrue(card.memoryWire().inject(SimulatedCardQueueDriverTest.frame(i, 64)));
            final int slot = receiveOne("frame " + i + " on rxReady");
            client.release(slot);
            client.channel.driverWake().signal();
        }
        final long interrupts = card.status(SimulatedCardFiles.interruptWordOffset(QUEUE)) & 0xFFFF_FFFFL;
        assertTrue(publishedRounds.get() >= 20, "every round that handed the client a frame ran the hook, the " +
            "last look's included: " + publishedRounds.get());
        assertTrue(interrupts >= 10, "the card woke the driver by its vector (some frames may be found by a last look): " + interrupts + " interrupts");
    }

    @Test
    void aFrameFromTheClientWakesASleepingQueueDriver()
    {
        start(0, 0);
        for (int i = 0; i < 20; i++)
        {
            await(() -> vectorSleepers() == 1, "the queue driver asleep");
            sendOne(i, "frame " + i + " from the client on the wire");
        }
    }

    /**
     * A client asleep on its channel's client wake word (the protocol of client-lib's ServedQueueWakeSource) is woken
     * by the queue driver publishing a received frame, while the driver itself slept on its vector.
     */
    @Test
    void aSleepingClientIsWokenByAFrame() throws Exception
    {
        start(0, 0);
        final int[] received = {IndexRing.EMPTY};
        final Thread sleeper = new Thread(() ->
        {
            final WakeWord clientWake = client.channel.clientWake();
            final long deadline = System.nanoTime() + WAIT_NS;
            while (System.nanoTime() < deadline)
            {
                final int ticket = clientWake.prepare();
                final int slot = client.channel.rxReady().poll();
                if (slot != IndexRing.EMPTY)
                {
                    clientWake.cancel();
                    received[0] = slot;
                    return;
                }
                clientWake.await(ticket, LONG_SLEEP_NS);
            }
        });
        sleeper.start();
        await(() -> vectorSleepers() == 1 && client.channel.clientWake().sleepers() == 1,
            "the queue driver and the client asleep");
        assertTrue(card.memoryWire().inject(SimulatedCardQueueDriverTest.frame(1, 100)));
        sleeper.join(TimeUnit.NANOSECONDS.toMillis(WAIT_NS) + 1000);
        assertFalse(sleeper.isAlive(), "the client slept through the frame");
        assertNotEquals(IndexRing.EMPTY, received[0]);
    }

    /**
     * Frames from the wire and from the client at random moments around the end of the driver's spin, so that they
     * land before its arm, between the unmask and the last look, between that and the sleep, and during it.
     */
    @Test
    void noWakeUpIsLostWhenFramesArriveAsTheDriverGoesToSleep()
    {
        final long spinNs = TimeUnit.MICROSECONDS.toNanos(100);
        start(spinNs, 0);
        final long seed = System.nanoTime();
        final SplittableRandom random = new SplittableRandom(seed);
        final int iterations = 2000;
        int asleep = 0;
        for (int i = 0; i < iterations; i++)
        {
            final long until = System.nanoTime() + random.nextLong(2 * spinNs + TimeUnit.MICROSECONDS.toNanos(50));
            while (System.nanoTime() < until)
            {
                Thread.onSpinWait();
            }
            asleep += vectorSleepers() == 1 ? 1 : 0;
            if (random.nextBoolean())
            {
                assertTrue(card.memoryWire().inject(SimulatedCardQueueDriverTest.frame(i, 64)));
                client.release(receiveOne("frame " + i + " on rxReady (seed " + seed + ")"));
                client.channel.driverWake().signal();
            }
            else
            {
                sendOne(i, "frame " + i + " from the client on the wire (seed " + seed + ")");
            }
        }
        System.out.println("[figures] SleepingQueueDriverTest | " + iterations + " frames around the sleep, the " +
            "driver was asleep at " + asleep + " of them (seed " + seed + ")");
    }

    /**
     * The card driver is killed while its queue driver sleeps on its vector and nobody will ever signal it: the sleep's
     * bound (the default 100 ms here) lets the liveness check run, and the driver stops instead of sleeping forever.
     */
    @Test
    void aQueueDriverAsleepWhenTheCardDriverIsKilledStillStops() throws Exception
    {
        cardDriverStandIn = new ProcessBuilder("sleep", "600").start();
        card = SimulatedCard.launch(new SimulatedCard.Context().cardName("orphan").baseDir(dir.resolve("sim"))
            .wireSpec("memory"));
        nic = card.openNic();
        TestCard.init(nic.bar(), () -> { });
        programInterrupts(nic.bar());
        final Path file = dir.resolve("queues").resolve(Integer.toString(QUEUE));
        cardView = QueueChannel.create(file, QUEUE, 256);
        final AdaptiveIdleStrategy idle = new AdaptiveIdleStrategy(0, TimeUnit.MILLISECONDS.toNanos(100));
        driver = QueueDriver.start(new QueueDriver.Context().nic(nic).queueId(QUEUE).channelFile(file).ringSize(64)
            .idleStrategy(idle).queueAttacher(new RegisterQueueAttacher(nic.bar()))
            .cardDriverPid(cardDriverStandIn.pid()).clientTimeoutNs(0).clientAttachTimeoutNs(0));
        client = new TestClient(file);
        final Thread loop = new Thread(() ->
        {
            try
            {
                while (true)
                {
                    idle.idle(driver.doWork());
                }
            }
            catch (final org.agrona.concurrent.AgentTerminationException stopped)
            {
                // the driver stopped itself
            }
        });
        loop.start();
        await(() -> vectorSleepers() == 1, "the queue driver asleep on its vector");
        cardDriverStandIn.destroyForcibly().waitFor();
        loop.join(TimeUnit.NANOSECONDS.toMillis(WAIT_NS));
        assertFalse(loop.isAlive(), "the queue driver slept on after the card driver died");
        assertTrue(driver.isClosed());
        assertTrue(driver.exitReason().contains("card driver"), driver.exitReason());
    }
}
