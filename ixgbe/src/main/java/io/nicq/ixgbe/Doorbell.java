package io.nicq.ixgbe;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The simulated card's doorbell: what an idle device loop may sleep on until a driver writes a register. The other
 * direction of {@link InterruptVector}'s seam (driver to device), on a futex word in the status page
 * ({@link SimulatedCardFiles#DOORBELL_WORD_OFFSET}) that {@link SimulatedBar} bumps on every register write, tails
 * included. Silicon needs none: its BAR writes reach the device by themselves, and {@link MappedBar} does nothing
 * extra.
 * <p>
 * A write must stay cheap when nobody sleeps, so the ringer makes the FUTEX_WAKE system call only when the sleeper
 * count next to the word is non-zero. Both sides use atomic read-modify-writes, so one of two orders holds: the
 * ringer's increment comes before the sleeper announces itself (the sleeper's FUTEX_WAIT then finds the word moved and
 * returns at once), or the ringer sees the sleeper and wakes it. No ring is lost.
 */
public final class Doorbell implements InterruptVector
{
    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final MemorySegment word;
    private final MemorySegment sleepers;
    private final String description;
    private final Arena arena = Arena.ofShared();
    /** errno of this doorbell's calls: read only after a failed call (a driver's threads share one bar). */
    private final MemorySegment state = NativeWaits.callState(arena);
    private final MemorySegment timespec = arena.allocate(NativeWaits.TIMESPEC_SIZE, 8);

    /** @param bar0 a simulated card's whole {@code bar0} mapping (registers and status page) */
    public Doorbell(final MemorySegment bar0, final String description)
    {
        this.word = bar0.asSlice(SimulatedCardFiles.DOORBELL_WORD_OFFSET, 4);
        this.sleepers = bar0.asSlice(SimulatedCardFiles.DOORBELL_SLEEPERS_OFFSET, 4);
        this.description = description;
    }

    /** Rings: counts the write and wakes the device loop if it sleeps. Called by {@link SimulatedBar#write}. */
    public void ring()
    {
        INT.getAndAdd(word, 0L, 1);
        if ((int)INT.getVolatile(sleepers, 0L) != 0)
        {
            NativeWaits.futexWake(state, word, Integer.MAX_VALUE);
        }
    }

    /** Rings so far (wrapping): read it before the device's last look for work. */
    public long interrupts()
    {
        return (int)INT.getAcquire(word, 0L) & 0xFFFF_FFFFL;
    }

    /** Sleeps until a ring not counted in {@code seen}, or the timeout; announces the sleeper so ringers wake it. */
    public boolean await(final long seen, final long timeoutNs)
    {
        final int expected = (int)seen;
        INT.getAndAdd(sleepers, 0L, 1);
        try
        {
            final long deadline = System.nanoTime() + timeoutNs;
            long left = timeoutNs;
            while ((int)INT.getVolatile(word, 0L) == expected)
            {
                if (left <= 0)
                {
                    return false;
                }
                NativeWaits.timespec(timespec, left);
                if (NativeWaits.futexWait(state, word, expected, timespec) == NativeWaits.ETIMEDOUT)
                {
                    return (int)INT.getVolatile(word, 0L) != expected;
                }
                left = deadline - System.nanoTime();
            }
            return true;
        }
        finally
        {
            INT.getAndAdd(sleepers, 0L, -1);
        }
    }

    /** Sleepers announced now (for tests and statistics). */
    public int sleepers()
    {
        return (int)INT.getVolatile(sleepers, 0L);
    }

    public String description()
    {
        return description;
    }

    public void close()
    {
        arena.close();
    }

    public String toString()
    {
        return description;
    }
}
