package io.nicq.ixgbe.vfio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * MSI-X vectors of a VFIO device delivered to eventfds: VFIO_DEVICE_SET_IRQS with DATA_EVENTFD | ACTION_TRIGGER on
 * the MSI-X index, one eventfd per vector. Each interrupt adds 1 to its eventfd's counter; a waiter reads (or polls)
 * the eventfd. This class only sets the vectors up and hands out the fds: what waits on them is the drivers'
 * interrupt seam. The 82599 side (GPIE, IVAR, EIMS: datasheet 7.3) is the driver's. {@link #close()} disables the
 * vectors (DATA_NONE, count 0) and closes the eventfds.
 */
public final class VfioInterrupts implements AutoCloseable
{
    private final VfioCalls calls;
    private final int deviceFd;
    private final int[] eventfds;
    private boolean closed;

    private VfioInterrupts(final VfioCalls calls, final int deviceFd, final int[] eventfds)
    {
        this.calls = calls;
        this.deviceFd = deviceFd;
        this.eventfds = eventfds;
    }

    /**
     * Enables MSI-X vectors 0..count-1, each triggering its own new eventfd.
     *
     * @throws IllegalStateException when the device offers fewer vectors (the 82599 has 64) or no eventfd delivery
     */
    public static VfioInterrupts enableMsix(final VfioCalls calls, final int deviceFd, final int count,
        final String spec)
    {
        if (count <= 0)
        {
            throw new IllegalArgumentException("MSI-X vector count " + count + " must be positive");
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment info = arena.allocate(VfioApi.IRQ_INFO_SIZE, 4);
            info.set(ValueLayout.JAVA_INT, 0, VfioApi.IRQ_INFO_SIZE);
            info.set(ValueLayout.JAVA_INT, VfioApi.IRQ_INFO_INDEX, VfioApi.PCI_MSIX_IRQ_INDEX);
            calls.ioctl(deviceFd, VfioApi.DEVICE_GET_IRQ_INFO, info);
            final int available = info.get(ValueLayout.JAVA_INT, VfioApi.IRQ_INFO_COUNT);
            if ((info.get(ValueLayout.JAVA_INT, VfioApi.IRQ_INFO_FLAGS) & VfioApi.IRQ_INFO_EVENTFD) == 0 ||
                available < count)
            {
                throw new IllegalStateException(spec + ": MSI-X offers " + available + " vectors" +
                    ((info.get(ValueLayout.JAVA_INT, VfioApi.IRQ_INFO_FLAGS) & VfioApi.IRQ_INFO_EVENTFD) == 0 ?
                    " without eventfd delivery" : "") + "; " + count + " were asked for");
            }
        }
        final int[] eventfds = new int[count];
        int created = 0;
        try
        {
            for (; created < count; created++)
            {
                eventfds[created] = calls.eventfd();
            }
            try (Arena arena = Arena.ofConfined())
            {
                final int size = VfioApi.IRQ_SET_SIZE + 4 * count;
                final MemorySegment set = arena.allocate(size, 4);
                set.set(ValueLayout.JAVA_INT, 0, size);
                set.set(ValueLayout.JAVA_INT, VfioApi.IRQ_SET_FLAGS,
                    VfioApi.IRQ_SET_DATA_EVENTFD | VfioApi.IRQ_SET_ACTION_TRIGGER);
                set.set(ValueLayout.JAVA_INT, VfioApi.IRQ_SET_INDEX, VfioApi.PCI_MSIX_IRQ_INDEX);
                set.set(ValueLayout.JAVA_INT, VfioApi.IRQ_SET_START, 0);
                set.set(ValueLayout.JAVA_INT, VfioApi.IRQ_SET_COUNT, count);
                for (int i = 0; i < count; i++)
                {
                    set.set(ValueLayout.JAVA_INT, VfioApi.IRQ_SET_DATA + 4L * i, eventfds[i]);
                }
                calls.ioctl(deviceFd, VfioApi.DEVICE_SET_IRQS, set);
            }
            return new VfioInterrupts(calls, deviceFd, eventfds);
        }
        catch (final RuntimeException ex)
        {
            for (int i = 0; i < created; i++)
            {
                calls.close(eventfds[i]);
            }
            throw ex instanceof LinuxException ? new IllegalStateException(spec + ": enabling " + count +
                " MSI-X vectors failed: " + ex.getMessage(), ex) : ex;
        }
    }

    /** Vectors enabled. */
    public int vectors()
    {
        return eventfds.length;
    }

    /** The eventfd MSI-X vector {@code vector} triggers. */
    public int eventfd(final int vector)
    {
        return eventfds[vector];
    }

    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment set = arena.allocate(VfioApi.IRQ_SET_SIZE, 4);
            set.set(ValueLayout.JAVA_INT, 0, VfioApi.IRQ_SET_SIZE);
            set.set(ValueLayout.JAVA_INT, VfioApi.IRQ_SET_FLAGS,
                VfioApi.IRQ_SET_DATA_NONE | VfioApi.IRQ_SET_ACTION_TRIGGER);
            set.set(ValueLayout.JAVA_INT, VfioApi.IRQ_SET_INDEX, VfioApi.PCI_MSIX_IRQ_INDEX);
            calls.ioctl(deviceFd, VfioApi.DEVICE_SET_IRQS, set);
        }
        catch (final RuntimeException ignore)
        {
            // The device is closing anyway; its vectors go with it.
        }
        for (final int fd : eventfds)
        {
            try
            {
                calls.close(fd);
            }
            catch (final RuntimeException ignore)
            {
                // Best effort.
            }
        }
    }
}
