package io.nicq.ixgbe;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

class IommuTableTest
{
    private static final int PID = (int)ProcessHandle.current().pid();

    @TempDir
    Path dir;
    private IommuTable table;

    @BeforeEach
    void create()
    {
        table = IommuTable.create(dir.resolve("iommu"), 16);
    }

    @AfterEach
    void close()
    {
        table.close();
    }

    @Test
    void registersRangesAtUniqueAlignedIovasAboveFourGigabytesWithGuards()
    {
        final int a = table.register(dir.resolve("a"), 0, 100, PID);
        final int b = table.register(dir.resolve("b"), 4096, 70_000, PID);
        assertEquals(IommuTable.ACTIVE, table.state(a));
        assertEquals(IommuTable.FIRST_IOVA, table.iova(a));
        assertEquals(0, table.iova(b) % IommuTable.IOVA_ALIGNMENT);
        assertTrue(table.iova(b) >= table.iova(a) + 100 + IommuTable.IOVA_GUARD, "guard gap between ranges");
        assertEquals(70_000, table.length(b));
        assertEquals(4096, table.fileOffset(b));
        assertEquals(dir.resolve("b").toAbsolutePath(), table.path(b));
        assertEquals(PID, table.ownerPid(b));
    }

    @Test
    void neverReusesAnIova()
    {
        final Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 100; i++)
        {
            final int entry = table.register(dir.resolve("f"), 0, 4096, PID);
            assertTrue(seen.add(table.iova(entry)), "IOVA handed out twice");
            assertTrue(table.unregister(entry, table.iova(entry)));
        }
    }

    @Test
    void everyChangeMovesTheChangeCounter()
    {
        final long before = table.changeCounter();
        final int entry = table.register(dir.resolve("f"), 0, 64, PID);
        final long registered = table.changeCounter();
        assertTrue(registered > before);
        assertTrue(table.unregister(entry, table.iova(entry)));
        assertTrue(table.changeCounter() > registered);
    }

    @Test
    void unregisterChecksTheIova()
    {
        final int entry = table.register(dir.resolve("f"), 0, 64, PID);
        assertFalse(table.unregister(entry, table.iova(entry) + 1));
        assertEquals(IommuTable.ACTIVE, table.state(entry));
        assertTrue(table.unregister(entry, table.iova(entry)));
        assertFalse(table.unregister(entry, table.iova(entry)), "second removal");
    }

    @Test
    void refusesBadRangesAndLongPaths()
    {
        assertThrows(IllegalArgumentException.class, () -> table.register(dir.resolve("f"), 0, 0, PID));
        assertThrows(IllegalArgumentException.class, () -> table.register(dir.resolve("f"), -64, 10, PID));
        assertThrows(IllegalArgumentException.class, () -> table.register(dir.resolve("f"), 3, 10, PID));
        assertThrows(IllegalArgumentException.class,
            () -> table.register(dir.resolve("x".repeat(IommuTable.MAX_PATH_BYTES)), 0, 10, PID));
    }

    @Test
    void fullTableSaysSoAfterTryingToReclaim()
    {
        for (int i = 0; i < table.capacity(); i++)
        {
            table.register(dir.resolve("f" + i), 0, 64, PID);
        }
        final IllegalStateException full =
            assertThrows(IllegalStateException.class, () -> table.register(dir.resolve("g"), 0, 64, PID));
        assertTrue(full.getMessage().contains("full"), full.getMessage());
    }

    @Test
    void reclaimsEntriesOfDeadOwnersOnly() throws Exception
    {
        final Process process = new ProcessBuilder("true").start();
        assertTrue(process.waitFor(10, TimeUnit.SECONDS));
        final int deadPid = (int)process.pid();
        final int dead = table.register(dir.resolve("dead"), 0, 64, deadPid);
        final int alive = table.register(dir.resolve("alive"), 0, 64, PID);

        assertEquals(1, table.reclaimDead());
        assertEquals(IommuTable.FREE, table.state(dead));
        assertEquals(IommuTable.ACTIVE, table.state(alive));
        assertEquals(1, table.releaseAllOf(PID));
        assertEquals(IommuTable.FREE, table.state(alive));
    }

    @Test
    void anotherMappingOfTheFileSeesTheSameTable()
    {
        final int entry = table.register(dir.resolve("f"), 128, 64, PID);
        try (IommuTable other = IommuTable.open(dir.resolve("iommu")))
        {
            assertEquals(table.iova(entry), other.iova(entry));
            assertEquals(IommuTable.ACTIVE, other.state(entry));
            assertTrue(other.unregister(entry, other.iova(entry)));
        }
        assertEquals(IommuTable.FREE, table.state(entry));
    }

    @Test
    void openRefusesWhatIsNotATable() throws Exception
    {
        assertThrows(IllegalStateException.class, () -> IommuTable.open(dir.resolve("missing")));
        final Path junk = dir.resolve("junk");
        java.nio.file.Files.write(junk, new byte[8192]);
        final IllegalStateException bad = assertThrows(IllegalStateException.class, () -> IommuTable.open(junk));
        assertTrue(bad.getMessage().contains("magic"), bad.getMessage());
    }

    @Test
    void concurrentRegistrationsClaimDistinctEntries() throws Exception
    {
        final int threads = 4;
        final Set<Integer> entries = ConcurrentHashMap.newKeySet();
        final Set<Long> iovas = ConcurrentHashMap.newKeySet();
        final CountDownLatch start = new CountDownLatch(1);
        final Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            workers[t] = new Thread(() ->
            {
                try
                {
                    start.await();
                    for (int i = 0; i < 3; i++)
                    {
                        final int entry = table.register(dir.resolve("c"), 0, 64, PID);
                        entries.add(entry);
                        iovas.add(table.iova(entry));
                    }
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            });
            workers[t].start();
        }
        start.countDown();
        for (final Thread worker : workers)
        {
            worker.join(10_000);
        }
        assertEquals(threads * 3, entries.size());
        assertEquals(threads * 3, iovas.size());
    }
}
