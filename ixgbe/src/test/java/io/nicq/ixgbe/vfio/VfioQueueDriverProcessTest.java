package io.nicq.ixgbe.vfio;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.nicq.ixgbe.FileSystemType;
import io.nicq.ixgbe.Registers;
import io.nicq.ixgbe.host.FakeHost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A queue driver in another process reaches a VFIO card through its holder: the device fd crosses processes, the
 * holder maps the queue driver's ring for the queue driver's pid, and after kill -9 of the queue driver its mapping is
 * released by pid (and not before, while it lives).
 */
class VfioQueueDriverProcessTest
{
    private static final String ADDRESS = "0000:03:00.0";

    @TempDir
    Path dir;

    @Test
    void queueDriverProcessGetsTheDeviceAndItsMappingsAreReleasedWhenItDies() throws Exception
    {
        final FakeHost host = new FakeHost(dir.resolve("host"));
        host.device(ADDRESS, 0x8086, 0x10FB, 0).bind(ADDRESS, "vfio-pci").group(ADDRESS, 7, "DMA");
        Files.writeString(host.roots.vfioContainer(), "");
        Files.writeString(host.roots.vfioGroup(7), "");
        final Path bar = dir.resolve("bar0");
        try (FileChannel channel = FileChannel.open(bar, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
        {
            channel.write(java.nio.ByteBuffer.wrap(new byte[1]), FakeVfioCalls.BAR_SIZE - 1);
        }
        final Path dma = Files.createDirectories(dir.resolve("dma"));
        final long magic = FileSystemType.of(dir);
        final FakeVfioCalls calls = new FakeVfioCalls(bar, host.roots.vfioContainer(), host.roots.vfioGroup(7));
        try (VfioNic holder = VfioNic.open(ADDRESS, new VfioNic.Context().roots(host.roots).calls(calls)
            .dmaDirectory(dma).dmaFileSystem(magic).serviceDirectory(dir.resolve("svc"))))
        {
            holder.bar().write(Registers.STATUS, 0x2A);
            final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                QueueDriverProcessMain.class.getName(), ADDRESS, dir.resolve("svc").toString(), dma.toString(),
                Long.toString(magic)));
            final Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
            try
            {
                final BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream()));
                final String line = java.util.concurrent.CompletableFuture.supplyAsync(() ->
                {
                    try
                    {
                        return out.readLine();
                    }
                    catch (final java.io.IOException ex)
                    {
                        return null;
                    }
                }).get(30, TimeUnit.SECONDS); // bounded: a child stuck before its line fails the test
                assertNotNull(line, "the child said nothing");
                assertTrue(line.startsWith("holder=false iova="), line);
                final long iova = Long.parseLong(line.replaceAll(".*iova=(\\d+).*", "$1"));
                assertTrue(line.endsWith("status=42"), "the child reads the holder's BAR0: " + line);
                assertEquals(1, calls.dmaMaps.size());
                assertEquals(iova, calls.dmaMaps.get(0)[1], "the holder mapped the child's ring");

                assertEquals(0, holder.dma().releaseMappingsOf(child.pid()), "a live queue driver keeps its mappings");
                child.destroyForcibly();
                assertTrue(child.waitFor(10, TimeUnit.SECONDS));
                assertEquals(1, holder.dma().releaseMappingsOf(child.pid()), "a dead one's are released by pid");
                assertEquals(iova, calls.dmaUnmaps.get(0)[0]);
            }
            finally
            {
                child.destroyForcibly();
            }
        }
    }
}
