package io.nicq.sim;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.ixgbe.IommuTable;
import io.nicq.ixgbe.RxDescriptor;
import io.nicq.packet.MacAddress;

import static io.nicq.ixgbe.SimulatedCardFiles.*;
import static org.junit.jupiter.api.Assertions.*;

/** What the device's IOMMU does with entries it must not trust: dead owners, files that are not what they claim. */
class DmaSafetyTest
{
    private static final long PEER = MacAddress.parse("02:00:00:00:00:ee");

    @TempDir
    Path dir;

    @Test
    void theCardReclaimsEntriesOfADeadDriverAndTheirIovasFault() throws Exception
    {
        try (CardFixture f = CardFixture.provoked(dir, "reclaim");
            IommuTable table = IommuTable.open(f.card.files().iommuFile()))
        {
            final TestDriver.RxQueue rx = f.driver.startRx(0, 8);
            final Process process = new ProcessBuilder("true").start();
            assertTrue(process.waitFor(10, TimeUnit.SECONDS));
            // A "driver" that registered the memory and died with kill -9: its entry still maps the real buffers.
            final int entry = table.register(f.card.files().dmaDir().resolve(
                Files.list(f.card.files().dmaDir()).filter(p -> p.getFileName().toString().startsWith("rx-buffers"))
                    .findFirst().orElseThrow().getFileName()), 0, 4096, (int)process.pid());
            final long deadIova = table.iova(entry);

            f.card.driveUntil(() -> f.status(IOMMU_RECLAIMED_OFFSET) == 1, TimeUnit.SECONDS.toNanos(5),
                "the card reclaimed the dead driver's entry");
            assertEquals(IommuTable.FREE, table.state(entry));

            RxDescriptor.setBuffer(rx.ring.segment(), 0, deadIova);
            f.wire().inject(Frames.udp(f.card.mac(), PEER, 1, 2, 3, 4, new byte[30]));
            f.settle();
            assertEquals(1, f.status(DMA_FAULTS_OFFSET));
        }
    }

    @Test
    void theDeviceMapsNothingButRegularFilesLongEnoughForTheirRange() throws Exception
    {
        try (CardFixture f = CardFixture.provoked(dir, "files");
            IommuTable table = IommuTable.open(f.card.files().iommuFile()))
        {
            final TestDriver.RxQueue rx = f.driver.startRx(0, 8);
            final int pid = (int)ProcessHandle.current().pid();

            final Path small = dir.resolve("small");
            Files.write(small, new byte[100]);
            final int shortEntry = table.register(small, 0, 4096, pid);
            final Path link = dir.resolve("link");
            Files.createSymbolicLink(link, small);
            final int linkEntry = table.register(link, 0, 64, pid);
            final int missingEntry = table.register(dir.resolve("missing"), 0, 4096, pid);

            final long[] iovas = {table.iova(shortEntry), table.iova(linkEntry), table.iova(missingEntry)};
            for (int i = 0; i < iovas.length; i++)
            {
                RxDescriptor.setBuffer(rx.ring.segment(), i, iovas[i]);
                f.wire().inject(Frames.udp(f.card.mac(), PEER, 1, 2, 3, 4, new byte[30]));
            }
            f.settle();
            assertEquals(3, f.status(DMA_FAULTS_OFFSET));
            assertEquals(100, Files.size(small), "nothing was written to (or grew) the short file");
        }
    }
}
