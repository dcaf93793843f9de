package io.nicq.queue;

import io.nicq.ixgbe.SimulatedNic;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.sim.SimulatedCard;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static io.nicq.proto.channel.QueueChannelHeader.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Thread mode, as the card driver runs it: the queue driver on an Agrona {@link AgentRunner} thread, the simulated
 * card on its own device thread, the client in the test thread. Everything idles by sleeping.
 */
class ThreadModeTest
{
    static final int QUEUE = 3;
    static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void echoesOnAnAgentThreadAndStopsByItselfWhenTheClientLeaves() throws InterruptedException
    {
        final Runnable nap = () -> LockSupport.parkNanos(100_000);
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        try (SimulatedCard card = SimulatedCard.launch(new SimulatedCard.Context()
            .cardName("thread")
            .baseDir(dir.resolve("sim"))
            .wireSpec("memory")
            .idleStrategy(new SleepingMillisIdleStrategy(1)));
            SimulatedNic nic = card.openNic())
        {
            TestCard.init(nic.bar(), nap);
            TestCard.steer(nic.bar(), 0, SimulatedCardQueueDriverTest.ETHERTYPE, QUEUE);
            final Path file = dir.resolve("q");
            final RegisterQueueAttacher attacher = new RegisterQueueAttacher(nic.bar(), nap);
            try (QueueChannel cardView = QueueChannel.create(file, QUEUE, 256))
            {
                final QueueDriver driver = QueueDriver.start(new QueueDriver.Context()
                    .nic(nic)
                    .queueId(QUEUE)
                    .channelFile(file)
                    .idleStrategyName("sleep")
                    .livenessIntervalNs(TimeUnit.MILLISECONDS.toNanos(1))
                    .queueAttacher(attacher));
                final AgentRunner runner = new AgentRunner(driver.context().idleStrategy(), errors::add, null, driver);
                AgentRunner.startOnThread(runner);
                try (TestClient client = new TestClient(file))
                {
                    for (int i = 0; i < 30; i++)
                    {
                        assertTrue(card.memoryWire().inject(SimulatedCardQueueDriverTest.frame(i, 60 + i)));
                    }
                    final List<Integer> received = new ArrayList<>();
                    await(() ->
                    {
                        received.addAll(client.receive());
                        return received.size() == 30;
                    }, "30 frames on rxReady");
                    for (final int slot : received)
                    {
                        client.sendIn(slot, new byte[0], client.metadata.frameLength(slot));
                    }
                    final List<byte[]> wire = new ArrayList<>();
                    await(() ->
                    {
                        byte[] frame;
                        while ((frame = card.memoryWire().pollTransmitted()) != null)
                        {
                            wire.add(frame);
                        }
                        return wire.size() == 30;
                    }, "30 frames on the wire");
                    for (int i = 0; i < 30; i++)
                    {
                        assertArrayEquals(SimulatedCardQueueDriverTest.frame(i, 60 + i), wire.get(i));
                    }

                    client.channel.header().detachClient();
                    runner.thread().join(TimeUnit.NANOSECONDS.toMillis(TIMEOUT_NS));
                    assertFalse(runner.thread().isAlive(), "the agent thread stopped");
                }
                finally
                {
                    runner.close();
                }
                assertTrue(driver.isClosed());
                assertTrue(driver.exitReason().contains("detached"), driver.exitReason());
                assertEquals(STATE_CLOSED, cardView.header().state());
                assertEquals(1, attacher.detaches);
                assertEquals(30, cardView.header().counter(COUNTER_TX_PACKETS));
                for (final Throwable error : errors)
                {
                    assertInstanceOf(AgentTerminationException.class, error, "only the termination was reported");
                }
            }
        }
    }

    private static void await(final BooleanSupplier condition, final String what)
    {
        final long deadline = System.nanoTime() + TIMEOUT_NS;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("timed out waiting for " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }
}
