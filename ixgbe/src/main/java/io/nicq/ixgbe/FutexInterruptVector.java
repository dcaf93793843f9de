package io.nicq.ixgbe;

import java.lang.foreign.MemorySegment;

import io.nicq.runtime.WakeWord;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * An interrupt vector as a {@link WakeWord} in shared memory (a simulated card's status page,
 * {@link SimulatedCardFiles#interruptWordOffset}): its sequence counts the interrupts delivered on the vector, and its
 * sleeper count lets the card make the FUTEX_WAKE call only when someone sleeps. The card delivers with
 * {@link #signal()}; a waiter announces itself and sleeps on the count it read, so an interrupt between the read and
 * the sleep is never lost (WakeWord's protocol, written once in the runtime module). The word lives in a MAP_SHARED
 * file mapping and the futexes are not private, so waker and waiter may be different processes. Waiting and
 * signalling allocate nothing.
 */
public final class FutexInterruptVector implements InterruptVector
{
    private final WakeWord word = new WakeWord();
    private final String description;

    /**
     * @param memory a shared mapping holding the word (it must outlive this vector)
     * @param offset the word's offset in it ({@link WakeWord#LENGTH} bytes), 4-byte aligned
     */
    public FutexInterruptVector(final MemorySegment memory, final long offset, final String description)
    {
        if (!memory.isNative())
        {
            word.close();
            throw new IllegalArgumentException(description + ": a futex word must be native memory");
        }
        try
        {
            word.wrap(new UnsafeBuffer(memory.asSlice(offset, WakeWord.LENGTH).address(), WakeWord.LENGTH), 0);
        }
        catch (final IllegalArgumentException ex)
        {
            word.close();
            throw new IllegalArgumentException(description + ": " + ex.getMessage(), ex);
        }
        this.description = description;
    }

    public long interrupts()
    {
        return word.sequence() & 0xFFFF_FFFFL;
    }

    public boolean await(final long seen, final long timeoutNs)
    {
        final int expected = (int)seen;
        final long deadline = System.nanoTime() + timeoutNs;
        while (true)
        {
            final int ticket = word.prepare();
            if (ticket != expected)
            {
                word.cancel();
                return true;
            }
            final long left = deadline - System.nanoTime();
            if (left <= 0)
            {
                word.cancel();
                return false;
            }
            // Woken, the count moved before the sleep, a signal, or the timeout: the next look tells which.
            word.await(ticket, left);
        }
    }

    /**
     * Delivers one interrupt: the count, then the wake-up if a waiter has announced itself.
     *
     * @return whether a waiter was announced (and so woken)
     */
    public boolean signal()
    {
        return word.signal();
    }

    /**
     * The vector's wake word itself (this flyweight's), for a waiter that sleeps on it together with another word
     * ({@link WakeWord#awaitEither}: a queue driver's vector and its channel's wake word).
     */
    public WakeWord wakeWord()
    {
        return word;
    }

    /** Waiters announced now (for tests and statistics). */
    public int sleepers()
    {
        return word.sleepers();
    }

    public String description()
    {
        return description;
    }

    public void close()
    {
        word.close();
    }

    public String toString()
    {
        return description;
    }
}
