package io.nicq.ixgbe;

import io.nicq.ixgbe.vfio.LinuxException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An interrupt vector delivered to an eventfd, as VFIO delivers an MSI-X vector (VFIO_DEVICE_SET_IRQS with
 * DATA_EVENTFD | ACTION_TRIGGER: each interrupt adds 1 to the eventfd's counter). The count this waiter knows is what
 * it has read from the fd; {@link #interrupts()} first takes in what is pending (poll without waiting, then read,
 * which returns the counter and zeroes it), and {@link #await} sleeps in poll(2) for POLLIN. An interrupt that comes
 * after {@link #interrupts()} leaves the fd readable, so poll returns at once: none is lost. The fd stays the
 * owner's ({@code vfio.VfioInterrupts} closes its eventfds) unless this vector is told to own it.
 */
public final class EventfdInterruptVector implements InterruptVector
{
    private final int fd;
    private final boolean ownsFd;
    private final String description;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment state = NativeWaits.callState(arena);
    private final MemorySegment pollfd = arena.allocate(NativeWaits.POLLFD_SIZE, 8);
    private final MemorySegment counter = arena.allocate(8, 8);
    private long interrupts;

    /**
     * @param fd     an eventfd
     * @param ownsFd whether {@link #close()} closes it
     */
    public EventfdInterruptVector(final int fd, final boolean ownsFd, final String description)
    {
        this.fd = fd;
        this.ownsFd = ownsFd;
        this.description = description;
    }

    public long interrupts()
    {
        if (NativeWaits.pollIn(state, pollfd, fd, 0))
        {
            take();
        }
        return interrupts;
    }

    public boolean await(final long seen, final long timeoutNs)
    {
        if (interrupts != seen)
        {
            return true;
        }
        // poll(2) counts in milliseconds: round up, so a short timeout still sleeps rather than spins.
        final long ms = (timeoutNs + 999_999L) / 1_000_000L;
        if (NativeWaits.pollIn(state, pollfd, fd, (int)Math.min(Integer.MAX_VALUE, Math.max(0L, ms))))
        {
            take();
        }
        return interrupts != seen;
    }

    /**
     * Adds 1 to the eventfd's counter, as the kernel does when the MSI-X vector fires: for software raising the
     * vector itself (tests, or a process standing in for a card).
     */
    public void signal()
    {
        counter.set(ValueLayout.JAVA_LONG, 0, 1L);
        NativeWaits.write8(state, fd, counter);
    }

    private void take()
    {
        // Readable: the read neither blocks nor fails with EAGAIN unless another reader took the count first.
        final long read = NativeWaits.read8(state, fd, counter);
        if (read == 8)
        {
            interrupts += counter.get(ValueLayout.JAVA_LONG, 0);
        }
        else if (read != -Errno.EAGAIN && read != -Errno.EINTR)
        {
            throw new LinuxException("read(eventfd " + fd + ")", (int)-read);
        }
    }

    public String description()
    {
        return description;
    }

    public void close()
    {
        arena.close();
        if (ownsFd)
        {
            NativeWaits.close(fd);
        }
    }

    public String toString()
    {
        return description;
    }
}
