package io.nicq.ixgbe;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

class DmaFilesTest
{
    @TempDir
    Path dir;

    @Test
    void deletesPrivateDmaFilesOfDeadProcessesOnly() throws Exception
    {
        final Process gone = new ProcessBuilder("true").start();
        assertTrue(gone.waitFor(10, TimeUnit.SECONDS));
        final Path dead = Files.writeString(dir.resolve("nicq-" + gone.pid() + "-q3-rx-1"), "x");
        final Path mine = Files.writeString(dir.resolve("nicq-" + ProcessHandle.current().pid() + "-q3-rx-2"), "x");
        final Path other = Files.writeString(dir.resolve("nicq-test-channel"), "x");
        final Path notOurs = Files.writeString(dir.resolve("something-else"), "x");

        assertEquals(1, DmaFiles.deleteFilesOfDeadProcesses(dir));
        assertFalse(Files.exists(dead), "a killed queue driver's ring");
        assertTrue(Files.exists(mine) && Files.exists(other) && Files.exists(notOurs));
    }
}
