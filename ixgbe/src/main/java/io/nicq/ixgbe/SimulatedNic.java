package io.nicq.ixgbe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;

import static io.nicq.ixgbe.SimulatedCardFiles.*;

/**
 * A simulated card as the drivers reach it ({@code sim:NAME}): a {@link SimulatedBar} over the card's {@code bar0}
 * and a {@link SimulatedDmaAllocator} over its IOMMU table. Opening checks that a device loop is really there.
 */
public final class SimulatedNic implements Nic
{
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final SimulatedCardFiles files;
    private final SimulatedBar bar;
    private final SimulatedDmaAllocator dma;

    private SimulatedNic(final SimulatedCardFiles files, final SimulatedBar bar, final SimulatedDmaAllocator dma)
    {
        this.files = files;
        this.bar = bar;
        this.dma = dma;
    }

    /**
     * Opens the simulated card whose files are {@code files}.
     *
     * @throws IllegalStateException naming what is wrong: no card, not a card, a card whose device loop is stopped,
     *                               dead or hung
     */
    public static SimulatedNic open(final SimulatedCardFiles files)
    {
        final String card = files.card();
        if (!Files.isRegularFile(files.barFile()))
        {
            throw new IllegalStateException("simulated card '" + card + "' is not running: no " + files.barFile() +
                " (start it with 'nicq sim --card " + card + "')");
        }
        final Arena arena = Arena.ofShared();
        try
        {
            final MemorySegment segment;
            try (FileChannel channel = FileChannel.open(files.barFile(), StandardOpenOption.READ,
                StandardOpenOption.WRITE))
            {
                if (channel.size() < BAR_FILE_SIZE)
                {
                    throw new IllegalStateException("simulated card '" + card + "': " + files.barFile() + " is " +
                        channel.size() + " bytes, expected " + BAR_FILE_SIZE + " (not a bar0 of this nicq version)");
                }
                segment = channel.map(FileChannel.MapMode.READ_WRITE, 0, BAR_FILE_SIZE, arena);
            }
            checkAlive(files, segment);
            final SimulatedBar bar = new SimulatedBar(segment, arena, files.toString());
            try
            {
                return new SimulatedNic(files, bar, new SimulatedDmaAllocator(files));
            }
            catch (final RuntimeException ex)
            {
                bar.close();
                throw ex;
            }
        }
        catch (final IOException ex)
        {
            arena.close();
            throw new UncheckedIOException("cannot map " + files.barFile(), ex);
        }
        catch (final RuntimeException ex)
        {
            if (arena.scope().isAlive())
            {
                arena.close();
            }
            throw ex;
        }
    }

    /** Checks the status page of a mapped bar0: magic, device state, device pid and heartbeat. */
    static void checkAlive(final SimulatedCardFiles files, final MemorySegment bar0)
    {
        final String card = files.card();
        if ((long)LONG.getAcquire(bar0, (long)MAGIC_OFFSET) != MAGIC)
        {
            throw new IllegalStateException("simulated card '" + card + "': " + files.barFile() +
                " has a bad magic (not a simulated card's bar0, or the card is still starting)");
        }
        final long pid = (long)LONG.getAcquire(bar0, (long)DEVICE_PID_OFFSET);
        if ((long)LONG.getAcquire(bar0, (long)DEVICE_STATE_OFFSET) != DEVICE_RUNNING)
        {
            throw new IllegalStateException("simulated card '" + card + "' is stopped (device loop of pid " + pid +
                " has shut down); restart it with 'nicq sim --card " + card + "'");
        }
        if (!IommuTable.isAlive((int)pid))
        {
            throw new IllegalStateException("simulated card '" + card + "' is stale: its device process " + pid +
                " is gone; restart it with 'nicq sim --card " + card + "'");
        }
        final long ageNs = heartbeatNow() - (long)LONG.getAcquire(bar0, (long)DEVICE_HEARTBEAT_OFFSET);
        if (ageNs > HEARTBEAT_TIMEOUT_NS)
        {
            throw new IllegalStateException("simulated card '" + card + "': device heartbeat is stale (" +
                ageNs / 1_000_000 + " ms old, limit " + HEARTBEAT_TIMEOUT_NS / 1_000_000 + " ms): is pid " + pid +
                " hung or stopped?");
        }
    }

    /**
     * Interrupt vector v of this card as a waiter sees it: the futex word the device signals when it delivers the
     * vector (7.3; the driver programs IVAR, EITR, GPIE and unmasks it in EIMS). The caller closes it; it must not
     * outlive this Nic, whose mapping holds the word.
     */
    public FutexInterruptVector interruptVector(final int vector)
    {
        return new FutexInterruptVector(bar.file(), SimulatedCardFiles.interruptWordOffset(vector),
            files + " interrupt vector " + vector);
    }

    /** Null while the device loop runs in a live process (heartbeat age is not judged: a loop may be driven slowly). */
    public String failure()
    {
        final MemorySegment bar0 = bar.file();
        final long pid = (long)LONG.getAcquire(bar0, (long)DEVICE_PID_OFFSET);
        if ((long)LONG.getAcquire(bar0, (long)DEVICE_STATE_OFFSET) != DEVICE_RUNNING)
        {
            return "simulated card '" + files.card() + "' has stopped (device loop of pid " + pid + ")";
        }
        if (!IommuTable.isAlive((int)pid))
        {
            return "the process playing simulated card '" + files.card() + "' (pid " + pid + ") is gone";
        }
        return null;
    }

    public String spec()
    {
        return files.toString();
    }

    public SimulatedBar bar()
    {
        return bar;
    }

    public SimulatedDmaAllocator dma()
    {
        return dma;
    }

    public SimulatedCardFiles files()
    {
        return files;
    }

    public void close()
    {
        try
        {
            dma.close();
        }
        finally
        {
            bar.close();
        }
    }

    public String toString()
    {
        return spec();
    }
}
