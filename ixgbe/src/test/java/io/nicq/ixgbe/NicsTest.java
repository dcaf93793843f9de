package io.nicq.ixgbe;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.nicq.ixgbe.SimulatedCardFiles.*;
import static org.junit.jupiter.api.Assertions.*;

class NicsTest
{
    @TempDir
    Path dir;

    @Test
    void opensARunningSimulatedCard() throws Exception
    {
        try (FakeCard card = new FakeCard(dir, "ok");
            SimulatedNic nic = SimulatedNic.open(card.files))
        {
            assertEquals("sim:ok", nic.spec());
            // A write through the Nic's bar lands in the card's bar0 (EIMC, write-only, stores nothing: use EIMS).
            nic.bar().write(Registers.EIMS, Registers.EIMC_ALL);
            assertEquals(Registers.EIMC_ALL, card.register(Registers.EIMS));
            nic.bar().write(Registers.EIMC, Registers.EIMC_ALL);
            assertEquals(0, card.register(Registers.EIMS));
            assertNotNull(nic.dma().allocate("x", 4096));
        }
    }

    @Test
    void opensBySpecThroughTheSystemProperty() throws Exception
    {
        final String before = System.getProperty(DIR_PROPERTY);
        System.setProperty(DIR_PROPERTY, dir.toString());
        try (FakeCard card = new FakeCard(dir, "byspec");
            Nic nic = Nic.open("sim:byspec"))
        {
            assertEquals(card.files.toString(), nic.spec());
            assertInstanceOf(SimulatedBar.class, nic.bar());
            assertInstanceOf(SimulatedDmaAllocator.class, nic.dma());
        }
        finally
        {
            if (before == null)
            {
                System.clearProperty(DIR_PROPERTY);
            }
            else
            {
                System.setProperty(DIR_PROPERTY, before);
            }
        }
    }

    @Test
    void missingCardSaysHowToStartIt()
    {
        final IllegalStateException missing = assertThrows(IllegalStateException.class,
            () -> SimulatedNic.open(SimulatedCardFiles.of("x", dir)));
        assertEquals("simulated card 'x' is not running: no " + dir.resolve("x/bar0").toAbsolutePath() +
            " (start it with 'nicq sim --card x')", missing.getMessage());
    }

    @Test
    void badMagicStaleHeartbeatStoppedAndDeadCardsAreRefused() throws Exception
    {
        try (FakeCard card = new FakeCard(dir, "bad"))
        {
            card.status(MAGIC_OFFSET, 0x1234);
            assertMessage(card, "bad magic");
            card.status(MAGIC_OFFSET, MAGIC);

            card.status(DEVICE_HEARTBEAT_OFFSET, heartbeatNow() - 2 * HEARTBEAT_TIMEOUT_NS);
            assertMessage(card, "heartbeat is stale");
            card.status(DEVICE_HEARTBEAT_OFFSET, heartbeatNow());

            card.status(DEVICE_STATE_OFFSET, DEVICE_STOPPED);
            assertMessage(card, "is stopped");
            card.status(DEVICE_STATE_OFFSET, DEVICE_RUNNING);

            final Process process = new ProcessBuilder("true").start();
            assertTrue(process.waitFor(10, TimeUnit.SECONDS));
            card.status(DEVICE_PID_OFFSET, process.pid());
            assertMessage(card, "is gone");
        }
    }

    @Test
    void shortBarFileIsRefused() throws Exception
    {
        final SimulatedCardFiles files = SimulatedCardFiles.of("short", dir);
        Files.createDirectories(files.root());
        Files.write(files.barFile(), new byte[100]);
        final IllegalStateException bad = assertThrows(IllegalStateException.class, () -> SimulatedNic.open(files));
        assertTrue(bad.getMessage().contains("expected"), bad.getMessage());
    }

    @Test
    void badSpecsAreExplained()
    {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Nic.open("card0")).getMessage()
            .contains("sim:NAME"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Nic.open("usb:1")).getMessage()
            .contains("unknown"));
        assertThrows(IllegalArgumentException.class, () -> Nic.open(null));
        assertThrows(IllegalArgumentException.class, () -> Nic.open("sim:../etc"));
        assertThrows(IllegalArgumentException.class, () -> Nic.open("pci:not-an-address"));
    }

    @Test
    void vfioDeviceThatIsNotThereIsNamed()
    {
        final IllegalStateException missing = assertThrows(IllegalStateException.class,
            () -> Nic.open("vfio:0000:ff:1f.7"));
        assertTrue(missing.getMessage().contains("vfio:0000:ff:1f.7: no such PCI device"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Nic.open("vfio:03:00.0"));
    }

    @Test
    void pciDeviceThatIsNotThereIsNamed()
    {
        final IllegalStateException missing = assertThrows(IllegalStateException.class,
            () -> Nic.open("pci:0000:ff:1f.7"));
        assertTrue(missing.getMessage().contains("no such PCI device"), missing.getMessage());
    }

    private static void assertMessage(final FakeCard card, final String expected)
    {
        final IllegalStateException refused =
            assertThrows(IllegalStateException.class, () -> SimulatedNic.open(card.files));
        assertTrue(refused.getMessage().contains(expected), refused.getMessage());
    }
}
