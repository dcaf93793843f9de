package io.nicq.sim;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.ixgbe.SimulatedNic;
import io.nicq.packet.MacAddress;

import static io.nicq.ixgbe.SimulatedCardFiles.*;
import static org.junit.jupiter.api.Assertions.*;

/** {@code nicq sim} as its own process: start, refuse a live card, clean a dead one, a cable between processes. */
@Timeout(90)
class SimCommandIT
{
    @TempDir
    Path dir;
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stopAll()
    {
        for (final Process process : processes)
        {
            process.destroy();
        }
        for (final Process process : processes)
        {
            try
            {
                if (!process.waitFor(10, TimeUnit.SECONDS))
                {
                    process.destroyForcibly();
                }
            }
            catch (final InterruptedException ex)
            {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private Process sim(final String... args) throws Exception
    {
        final List<String> all = new ArrayList<>(List.of("--dir", dir.toString()));
        all.addAll(List.of(args));
        final Process process = Commands.jvm(SimCommand.class, dir.resolve("sim.log"), all.toArray(String[]::new))
            .start();
        processes.add(process);
        return process;
    }

    private SimulatedNic awaitCard(final String name, final Process process) throws Exception
    {
        final SimulatedCardFiles files = SimulatedCardFiles.of(name, dir);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true)
        {
            try
            {
                return SimulatedNic.open(files);
            }
            catch (final IllegalStateException notYet)
            {
                if (!process.isAlive() || System.nanoTime() > deadline)
                {
                    fail("card '" + name + "' did not come up: " + notYet.getMessage() + "\n" + log());
                }
                Thread.sleep(50);
            }
        }
    }

    private void awaitLog(final String line) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!log().contains(line))
        {
            if (System.nanoTime() > deadline)
            {
                fail("the log never said '" + line + "':\n" + log());
            }
            Thread.sleep(20);
        }
    }

    private String log() throws Exception
    {
        final Path log = dir.resolve("sim.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Test
    void runsLogsOneLineRefusesASecondAndRemovesItsFilesOnSigterm() throws Exception
    {
        final Process process = sim("--card", "proc", "--wire", "none", "--idle", "sleep:1");
        final SimulatedCardFiles files = SimulatedCardFiles.of("proc", dir);
        try (SimulatedNic nic = awaitCard("proc", process))
        {
            assertEquals(process.pid(), nic.bar().status(DEVICE_PID_OFFSET));
            assertEquals(Long.toString(process.pid()), Files.readString(files.pidFile()).trim());
        }
        awaitLog("nicq sim: card 'proc' running as sim:proc");

        final Process second = sim("--card", "proc");
        assertTrue(second.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, second.exitValue());
        awaitLog("is already running (pid " + process.pid() + ",");

        process.destroy(); // SIGTERM
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "stops on SIGTERM");
        assertFalse(Files.exists(files.root()), "its files are gone");
    }

    @Test
    void aCardKilledWithoutCleaningUpIsReplaced() throws Exception
    {
        final Process first = sim("--card", "phoenix", "--idle", "sleep:1");
        awaitCard("phoenix", first).close();
        first.destroyForcibly(); // SIGKILL: no clean-up
        assertTrue(first.waitFor(30, TimeUnit.SECONDS));
        assertTrue(Files.exists(SimulatedCardFiles.of("phoenix", dir).barFile()), "a killed card leaves its files");

        final Process second = sim("--card", "phoenix", "--idle", "sleep:1");
        try (SimulatedNic nic = awaitCard("phoenix", second))
        {
            assertEquals(second.pid(), nic.bar().status(DEVICE_PID_OFFSET));
        }
    }

    @Test
    void twoCardProcessesOnACableCarryAFrameToTheRightQueue() throws Exception
    {
        final Process a = sim("--card", "left", "--wire", "cable:wire1:a", "--idle", "backoff");
        final Process b = sim("--card", "right", "--wire", "cable:wire1:b", "--idle", "backoff",
            "--mac", "02:00:00:00:be:ef", "--pcap", dir.resolve("right.pcap").toString());
        try (TestDriver left = new TestDriver(awaitCard("left", a), TestDriver.pause());
            TestDriver right = new TestDriver(awaitCard("right", b), TestDriver.pause()))
        {
            left.init(false);
            right.init(false);
            final TestDriver.TxQueue tx = left.startTx(0, 64);
            right.startRx(0, 64);
            final TestDriver.RxQueue rx = right.startRx(70, 64);
            Filters.fiveTuple(right.bar, 0, io.nicq.ixgbe.Registers.FTQF_PROTOCOL_UDP, 0, 0, 0, 4242,
                Filters.MASK_ALL_BUT_PROTOCOL & ~io.nicq.ixgbe.Registers.FTQF_MASK_DESTINATION_PORT, 1, 70);
            right.await(() -> right.nic.bar() instanceof io.nicq.ixgbe.SimulatedBar sim &&
                sim.status(ACTED_GENERATION_OFFSET) == sim.status(WRITE_GENERATION_OFFSET), "filters applied");

            final byte[] frame = Frames.udp(MacAddress.parse("02:00:00:00:be:ef"),
                MacAddress.parse("02:00:00:00:00:01"), Frames.ip("10.2.0.1"), Frames.ip("10.2.0.2"), 1000, 4242,
                "between two processes".getBytes());
            tx.send(frame);
            assertArrayEquals(frame, rx.await("the frame in the right card's queue 70"));
        }
        b.destroy();
        assertTrue(b.waitFor(30, TimeUnit.SECONDS));
        assertTrue(Files.size(dir.resolve("right.pcap")) > 24, "the capture holds the frame");
    }

    @Test
    void aCardProcessInjectsFaultsOnItsEgressAndCountsThemInItsStatusPage() throws Exception
    {
        final Process a = sim("--card", "lossy", "--wire", "cable:wire2:a", "--idle", "backoff", "--drop", "30%",
            "--duplicate", "0.1", "--fault-seed", "1234");
        final Process b = sim("--card", "sink", "--wire", "cable:wire2:b", "--idle", "backoff",
            "--mac", "02:00:00:00:be:ef");
        final int frames = 200;
        try (TestDriver left = new TestDriver(awaitCard("lossy", a), TestDriver.pause());
            TestDriver right = new TestDriver(awaitCard("sink", b), TestDriver.pause()))
        {
            awaitLog("faults drop 30% duplicate 10% reorder 0% corrupt 0% seed 1234");
            left.init(false);
            right.init(false);
            final TestDriver.TxQueue tx = left.startTx(0, 256);
            final TestDriver.RxQueue rx = right.startRx(0, 512);
            for (int i = 0; i < frames; i++)
            {
                tx.send(Frames.udp(MacAddress.parse("02:00:00:00:be:ef"), MacAddress.parse("02:00:00:00:00:01"),
                    Frames.ip("10.3.0.1"), Frames.ip("10.3.0.2"), 1000, 2000, new byte[20 + i]));
            }
            left.await(() -> left.bar.read(io.nicq.ixgbe.Registers.tdh(0)) == tx.tail, "every frame transmitted");
            final io.nicq.ixgbe.SimulatedBar bar = (io.nicq.ixgbe.SimulatedBar)left.bar;
            final int[] received = new int[1];
            right.await(() ->
            {
                while (rx.poll() != null)
                {
                    received[0]++;
                }
                return received[0] == frames - bar.status(FAULT_DROPS_OFFSET) + bar.status(FAULT_DUPLICATES_OFFSET);
            }, "the frames that survived, and the duplicates");
            assertTrue(bar.status(FAULT_DROPS_OFFSET) > 0 && bar.status(FAULT_DUPLICATES_OFFSET) > 0,
                bar.status(FAULT_DROPS_OFFSET) + " dropped, " + bar.status(FAULT_DUPLICATES_OFFSET) + " duplicated");
            assertEquals(1234, bar.status(FAULT_SEED_OFFSET));
            assertEquals(0, bar.status(WIRE_SEND_FAILURES_OFFSET));
            assertEquals(0, ((io.nicq.ixgbe.SimulatedBar)right.bar).status(FAULT_ENABLED_OFFSET),
                "the other end injects nothing");
        }
        a.destroy();
        assertTrue(a.waitFor(30, TimeUnit.SECONDS));
        awaitLog("nicq sim: card 'lossy' stopping; faults injected: dropped ");
    }
}
