package io.nicq.queue;

import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.ixgbe.SimulatedNic;
import io.nicq.runtime.ChildJvm;
import io.nicq.proto.InstancePaths;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.sim.SimulatedCard;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static io.nicq.proto.channel.QueueChannelHeader.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Process mode: {@code nicq queue-driver} in a child JVM, as the card driver spawns it. The test plays the card driver
 * (the channel file, a media driver answering {@code AttachQueueDriver}, the ring registers) and the client; the
 * simulated card runs in the test JVM on its own thread, reached by the child through its files.
 */
class ProcessModeTest
{
    static final int QUEUE = 3;
    static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void attachesOverTheControlProtocolEchoesAndExitsWhenTheClientLeaves() throws Exception
    {
        run(false);
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void stopsInOrderOnSigterm() throws Exception
    {
        run(true);
    }

    private void run(final boolean terminate) throws Exception
    {
        final Path simDir = dir.resolve("sim");
        final Path instanceDir = dir.resolve("instances");
        final InstancePaths paths = InstancePaths.of("t", instanceDir);
        final Path log = dir.resolve("queue-driver.log");
        final Runnable nap = () -> LockSupport.parkNanos(100_000);

        // Not strict: the child's rings leave the IOMMU while the card still has its queue enabled (two DMA faults
        // counted as it exits). This test's stand-in for the card driver does not stop and await the queue before the
        // child frees its rings, as the real card driver's QueueProgrammer.disable does; a gap of the test's, not of
        // the queue driver's.
        try (SimulatedCard card = SimulatedCard.launch(new SimulatedCard.Context()
            .strict(false)
            .cardName("proc")
            .baseDir(simDir)
            .wireSpec("memory")
            .idleStrategy(new SleepingMillisIdleStrategy(1)));
            SimulatedNic nic = card.openNic())
        {
            TestCard.init(nic.bar(), nap);
            TestCard.steer(nic.bar(), 0, SimulatedCardQueueDriverTest.ETHERTYPE, QUEUE);
            final RegisterQueueAttacher attacher = new RegisterQueueAttacher(nic.bar(), nap);
            try (QueueChannel cardView = QueueChannel.create(paths.queueChannel(QUEUE), QUEUE, 256);
                StandInCardDriver cardDriver = new StandInCardDriver(paths.aeronDir(), attacher))
            {
                final ProcessBuilder builder = ChildJvm.builder(QueueDriverCommand.class, List.of(
                    "--instance", "t", "--queue", Integer.toString(QUEUE), "--nic", "sim:proc", "--idle", "sleep",
                    "--card-driver-pid", Long.toString(ProcessHandle.current().pid())), log);
                builder.command().add(1, "-D" + SimulatedCardFiles.DIR_PROPERTY + "=" + simDir);
                builder.command().add(1, "-D" + InstancePaths.DIR_PROPERTY + "=" + instanceDir);
                final Process child = builder.start();
                try
                {
                    await(() ->
                    {
                        cardDriver.poll();
                        assertTrue(child.isAlive(), () -> "queue driver exited early: " + read(log));
                        return cardView.header().state() == STATE_ACTIVE;
                    }, "the queue driver process attached", log);
                    assertEquals(child.pid(), cardDriver.attachedPid);
                    assertEquals(child.pid(), cardView.header().driverPid());

                    try (TestClient client = new TestClient(paths.queueChannel(QUEUE)))
                    {
                        for (int i = 0; i < 10; i++)
                        {
                            assertTrue(card.memoryWire().inject(SimulatedCardQueueDriverTest.frame(i, 80 + i)));
                        }
                        final List<Integer> received = new ArrayList<>();
                        await(() ->
                        {
                            client.heartbeat();
                            received.addAll(client.receive());
                            return received.size() == 10;
                        }, "10 frames on rxReady", log);
                        for (final int slot : received)
                        {
                            client.sendIn(slot, new byte[0], client.metadata.frameLength(slot));
                        }
                        final List<byte[]> wire = new ArrayList<>();
                        await(() ->
                        {
                            client.heartbeat();
                            byte[] frame;
                            while ((frame = card.memoryWire().pollTransmitted()) != null)
                            {
                                wire.add(frame);
                            }
                            return wire.size() == 10;
                        }, "10 frames on the wire", log);
                        for (int i = 0; i < 10; i++)
                        {
                            assertArrayEquals(SimulatedCardQueueDriverTest.frame(i, 80 + i), wire.get(i));
                        }
                        if (terminate)
                        {
                            child.destroy();
                        }
                        else
                        {
                            client.channel.header().detachClient();
                        }
                        assertTrue(child.waitFor(TIMEOUT_NS, TimeUnit.NANOSECONDS), "queue driver did not exit");
                    }

                    if (terminate)
                    {
                        assertEquals(143, child.exitValue(), "SIGTERM: 128 + 15\n" + read(log));
                        assertTrue(read(log).contains("stopped: asked to stop"), read(log));
                    }
                    else
                    {
                        assertEquals(0, child.exitValue(), read(log));
                        assertTrue(read(log).contains("detached"), read(log));
                    }
                    assertEquals(STATE_CLOSED, cardView.header().state());
                    assertEquals(10, cardView.header().counter(COUNTER_TX_PACKETS));
                }
                finally
                {
                    child.destroyForcibly();
                    child.waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    @Test
    void aMissingCardIsAClearErrorAndExitStatus1()
    {
        final StringWriter err = new StringWriter();
        final CommandLine commandLine = new CommandLine(new QueueDriverCommand());
        commandLine.setErr(new PrintWriter(err));
        commandLine.setExecutionExceptionHandler((ex, cmd, parseResult) ->
        {
            cmd.getErr().println(ex.getMessage());
            return 1;
        });
        final int status = commandLine.execute("--instance", "t", "--queue", "3", "--nic", "sim:no-such-card",
            "--card-driver-pid", "0");
        assertEquals(1, status);
        assertTrue(err.toString().contains("no-such-card"), err.toString());
    }

    @Test
    void badOptionsAreRefusedBeforeAnythingStarts()
    {
        final CommandLine commandLine = new CommandLine(new QueueDriverCommand());
        commandLine.setErr(new PrintWriter(new StringWriter()));
        assertEquals(2, commandLine.execute("--queue", "3", "--nic", "sim:x"), "--instance is required");
    }

    private static void await(final BooleanSupplier condition, final String what, final Path log)
    {
        final long deadline = System.nanoTime() + TIMEOUT_NS;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("timed out waiting until " + what + "; queue driver log:\n" + read(log));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    private static String read(final Path log)
    {
        try
        {
            return Files.exists(log) ? Files.readString(log) : "(no log)";
        }
        catch (final IOException ex)
        {
            return "(cannot read " + log + ": " + ex + ")";
        }
    }
}
