package io.nicq.ixgbe;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static io.nicq.ixgbe.SimulatedCardFiles.*;

/** The files of a simulated card without its device loop: for tests of what drivers see (status page by hand). */
final class FakeCard implements AutoCloseable
{
    final SimulatedCardFiles files;
    final Arena arena = Arena.ofShared();
    final MemorySegment bar0;
    final IommuTable iommu;

    FakeCard(final Path baseDir, final String name) throws Exception
    {
        files = SimulatedCardFiles.of(name, baseDir);
        Files.createDirectories(files.root());
        try (FileChannel channel = FileChannel.open(files.barFile(), StandardOpenOption.CREATE,
            StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            channel.truncate(BAR_FILE_SIZE);
            bar0 = channel.map(FileChannel.MapMode.READ_WRITE, 0, BAR_FILE_SIZE, arena);
        }
        iommu = IommuTable.create(files.iommuFile(), 32);
        status(DEVICE_PID_OFFSET, ProcessHandle.current().pid());
        status(DEVICE_STATE_OFFSET, DEVICE_RUNNING);
        status(DEVICE_HEARTBEAT_OFFSET, heartbeatNow());
        status(MAGIC_OFFSET, MAGIC);
    }

    void status(final int offset, final long value)
    {
        bar0.set(ValueLayout.JAVA_LONG, offset, value);
    }

    long status(final int offset)
    {
        return bar0.get(ValueLayout.JAVA_LONG, offset);
    }

    int register(final int offset)
    {
        return bar0.get(ValueLayout.JAVA_INT, offset);
    }

    void register(final int offset, final int value)
    {
        bar0.set(ValueLayout.JAVA_INT, offset, value);
    }

    public void close()
    {
        iommu.close();
        arena.close();
    }
}
