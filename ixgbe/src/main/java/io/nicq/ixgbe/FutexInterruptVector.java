package io.nicq.ixgbe;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * An interrupt vector as a 32-bit futex word in shared memory (a simulated card's status page,
 * {@link SimulatedCardFiles#interruptWordOffset}): the word counts the interrupts delivered on the vector. The card
 * delivers with {@link #signal()}, which adds 1 and FUTEX_WAKEs every sleeper; a waiter sleeps with FUTEX_WAIT on the
 * count it read, which the kernel refuses (EAGAIN) once the word has moved, so an interrupt between the read and the
 * sleep is never lost. The word lives in a MAP_SHARED file mapping and the calls are not FUTEX_PRIVATE, so waker and
 * waiter may be different processes. Waiting and signalling allocate nothing.
 */
public final class FutexInterruptVector implements InterruptVector
{
    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final MemorySegment word;
    private final String description;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment state = NativeWaits.callState(arena);
    private final MemorySegment timespec = arena.allocate(NativeWaits.TIMESPEC_SIZE, 8);

    /**
     * @param memory a shared mapping holding the word (it must outlive this vector)
     * @param offset the word's offset in it, 4-byte aligned
     */
    public FutexInterruptVector(final MemorySegment memory, final long offset, final String description)
    {
        if (!memory.isNative() || ((memory.address() + offset) & 3) != 0)
        {
            arena.close();
            throw new IllegalArgumentException(description + ": a futex word must be native memory, 4-byte aligned");
        }
        this.word = memory.asSlice(offset, 4);
        this.description = description;
    }

    public long interrupts()
    {
        return (int)INT.getAcquire(word, 0L) & 0xFFFF_FFFFL;
    }

    public boolean await(final long seen, final long timeoutNs)
    {
        final int expected = (int)seen;
        final long deadline = System.nanoTime() + timeoutNs;
        long left = timeoutNs;
        while ((int)INT.getAcquire(word, 0L) == expected)
        {
            if (left <= 0)
            {
                return false;
            }
            NativeWaits.timespec(timespec, left);
            final int result = NativeWaits.futexWait(state, word, expected, timespec);
            if (result == NativeWaits.ETIMEDOUT)
            {
                return (int)INT.getAcquire(word, 0L) != expected;
            }
            // Woken, EAGAIN (moved already) or EINTR: the loop condition tells which.
            left = deadline - System.nanoTime();
        }
        return true;
    }

    /**
     * Delivers one interrupt: the count first, then the wake-up, so a waiter the wake misses (not asleep yet) finds
     * the count moved. Called by the card (one thread); returns how many sleepers it woke.
     */
    public int signal()
    {
        INT.getAndAdd(word, 0L, 1);
        return NativeWaits.futexWake(state, word, Integer.MAX_VALUE);
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
