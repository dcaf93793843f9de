package io.nicq.sim;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.ixgbe.Nic;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.packet.MacAddress;

import static org.junit.jupiter.api.Assertions.*;

/** A card with its own device thread, as other modules embed it: the default idle strategy, reached by spec. */
class ThreadedCardTest
{
    @TempDir
    Path dir;

    @Test
    void aCardWithItsOwnThreadServesADriverThatOpenedItBySpec()
    {
        final String before = System.getProperty(SimulatedCardFiles.DIR_PROPERTY);
        System.setProperty(SimulatedCardFiles.DIR_PROPERTY, dir.toString());
        try (SimulatedCard card = SimulatedCard.launch(new SimulatedCard.Context().cardName("threaded")
            .wireSpec("memory"));
            TestDriver driver = new TestDriver(Nic.open("sim:threaded"), TestDriver.pause()))
        {
            driver.init(false);
            final TestDriver.RxQueue rx = driver.startRx(0, 64);
            final TestDriver.TxQueue tx = driver.startTx(0, 64);
            final long peer = MacAddress.parse("02:00:00:00:00:ee");
            for (int i = 0; i < 100; i++)
            {
                final byte[] in = Frames.udp(card.mac(), peer, 1, 2, 3, 4, new byte[i]);
                assertTrue(card.memoryWire().inject(in));
                assertArrayEquals(Arrays.copyOf(in, Math.max(in.length, 60)), rx.await("frame " + i), "padded to 60 bytes");
                final byte[] out = Frames.udp(peer, card.mac(), 2, 1, 4, 3, new byte[20 + i]);
                tx.send(out);
                final byte[][] sent = new byte[1][];
                driver.await(() -> (sent[0] = card.memoryWire().pollTransmitted()) != null, "frame " + i + " sent");
                assertArrayEquals(out, sent[0]);
            }
        }
        finally
        {
            if (before == null)
            {
                System.clearProperty(SimulatedCardFiles.DIR_PROPERTY);
            }
            else
            {
                System.setProperty(SimulatedCardFiles.DIR_PROPERTY, before);
            }
        }
    }

    @Test
    void anIdleCardDoesNotPegACore() throws Exception
    {
        try (SimulatedCard card = SimulatedCard.launch(new SimulatedCard.Context().cardName("idle").baseDir(dir)
            .wireSpec("memory")))
        {
            final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            final Thread device = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("nicq-sim-idle")).findFirst().orElseThrow();
            Thread.sleep(200);
            final long cpuBefore = threads.getThreadCpuTime(device.threadId());
            final long wallBefore = System.nanoTime();
            Thread.sleep(1000);
            final long cpu = threads.getThreadCpuTime(device.threadId()) - cpuBefore;
            final long wall = System.nanoTime() - wallBefore;
            assertTrue(cpu < wall / 10, "idle device thread used " + TimeUnit.NANOSECONDS.toMillis(cpu) +
                " ms of CPU in " + TimeUnit.NANOSECONDS.toMillis(wall) + " ms");
            assertNotNull(card);
        }
    }

    @Test
    void aSecondCardOfTheSameNameIsRefusedWhileTheFirstRuns()
    {
        try (SimulatedCard card = SimulatedCard.launch(new SimulatedCard.Context().cardName("dup").baseDir(dir)))
        {
            final IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> SimulatedCard.launch(new SimulatedCard.Context().cardName("dup").baseDir(dir)));
            assertTrue(refused.getMessage().contains("already running"), refused.getMessage());
            assertFalse(card.isClosed());
        }
        assertFalse(java.nio.file.Files.exists(dir.resolve("dup")), "closing removes the card's files");
    }
}
