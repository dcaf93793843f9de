package io.nicq.runtime;

import org.agrona.concurrent.AtomicBuffer;

/**
 * An event count in shared memory: loops that run out of work sleep on it, and whoever gives them work signals it.
 * Signals are never lost, and a signal costs one atomic add when nobody sleeps (no system call).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                     sequence (the futex word)                 |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                     sleepers                                  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * The protocol (the sleeper's two steps are Dekker's, against the signaller's two):
 * <pre>
 *   sleeper                                        signaller
 *   ticket = prepare()   (read sequence,           publish the work (a ring position, a register)
 *                         sleepers += 1)           sequence += 1
 *   if (work is there) cancel()                    if (sleepers > 0) futex wake
 *   else await(ticket, timeout)  (futex wait while sequence == ticket, then sleepers -= 1)
 * </pre>
 * Both read-modify-writes are full fences, so either the signaller sees the sleeper announced (and wakes it), or the
 * sleeper's re-check sees the work; and a signal between {@code prepare} and the futex wait changes the sequence, so
 * the wait returns at once. A sleeper that dies while announced leaves {@code sleepers} too high: signallers then
 * make a needless wake call until the count is reset ({@link #reset}), which costs time but never a lost wake-up.
 * <p>
 * The flyweight needs off-heap memory (a mapped file): the kernel sleeps on the word's address. An instance is used
 * by one thread (it owns a {@link Futex} with its call memory); other threads and processes wrap their own.
 */
public final class WakeWord implements AutoCloseable
{
    /** Bytes a wake word takes. */
    public static final int LENGTH = 8;
    /** Offset of the sequence, the word the kernel sleeps on. */
    public static final int SEQUENCE_OFFSET = 0;
    /** Offset of the count of announced sleepers. */
    public static final int SLEEPERS_OFFSET = 4;

    private final Futex futex = new Futex();
    private AtomicBuffer buffer;
    private int offset;
    private long sequenceAddress;

    /**
     * Points the flyweight at a word.
     *
     * @param buffer off-heap memory (a mapped file) that stays mapped while this flyweight is used
     * @param offset 4-byte aligned offset of the word in {@code buffer}
     */
    public WakeWord wrap(final AtomicBuffer buffer, final int offset)
    {
        if (buffer.byteArray() != null)
        {
            throw new IllegalArgumentException("a wake word must live in off-heap (mapped) memory");
        }
        buffer.boundsCheck(offset, LENGTH);
        this.buffer = buffer;
        this.offset = offset;
        this.sequenceAddress = buffer.addressOffset() + offset + SEQUENCE_OFFSET;
        if ((sequenceAddress & 3) != 0)
        {
            throw new IllegalArgumentException("a wake word must be 4-byte aligned");
        }
        return this;
    }

    /** Zeroes the word; only while nobody sleeps on it (the owner creating or reusing the memory). */
    public void reset()
    {
        buffer.putIntVolatile(offset + SLEEPERS_OFFSET, 0);
        buffer.putIntVolatile(offset + SEQUENCE_OFFSET, 0);
    }

    /**
     * Tells sleepers there is work. Call it after the work is published.
     *
     * @return true when a sleeper was announced and a wake-up system call was made
     */
    public boolean signal()
    {
        buffer.getAndAddInt(offset + SEQUENCE_OFFSET, 1);
        if (buffer.getIntVolatile(offset + SLEEPERS_OFFSET) > 0)
        {
            futex.wake(sequenceAddress, Integer.MAX_VALUE);
            return true;
        }
        return false;
    }

    /**
     * Announces a sleeper. The caller must then re-check for work and either {@link #cancel} or {@link #await}.
     *
     * @return the ticket to pass to {@link #await}
     */
    public int prepare()
    {
        final int ticket = buffer.getIntVolatile(offset + SEQUENCE_OFFSET);
        buffer.getAndAddInt(offset + SLEEPERS_OFFSET, 1);
        return ticket;
    }

    /** Withdraws the announcement of {@link #prepare}: the re-check found work. */
    public void cancel()
    {
        buffer.getAndAddInt(offset + SLEEPERS_OFFSET, -1);
    }

    /**
     * Sleeps until a signal after {@link #prepare}, or the timeout, then withdraws the announcement.
     *
     * @return {@link Futex#WOKEN}, {@link Futex#VALUE_CHANGED} (a signal came before the sleep) or
     * {@link Futex#TIMED_OUT}
     */
    public int await(final int ticket, final long timeoutNs)
    {
        try
        {
            return futex.await(sequenceAddress, ticket, timeoutNs);
        }
        finally
        {
            buffer.getAndAddInt(offset + SLEEPERS_OFFSET, -1);
        }
    }

    /**
     * Sleeps on two words at once until a signal of either after its {@link #prepare}, or the timeout, then withdraws
     * both announcements: a loop with two sources of work (a simulated card's doorbell and its wire) follows the
     * protocol on each ({@code prepare} both, re-check, then this or {@code cancel} both). Sleeps in {@code first}'s
     * futex memory, so it belongs to the thread that owns {@code first}.
     *
     * @return {@link Futex#WOKEN}, {@link Futex#VALUE_CHANGED} or {@link Futex#TIMED_OUT}
     */
    public static int awaitEither(final WakeWord first, final int firstTicket, final WakeWord second,
        final int secondTicket, final long timeoutNs)
    {
        try
        {
            return first.futex.awaitEither(first.sequenceAddress, firstTicket, second.sequenceAddress, secondTicket,
                timeoutNs);
        }
        finally
        {
            first.buffer.getAndAddInt(first.offset + SLEEPERS_OFFSET, -1);
            second.buffer.getAndAddInt(second.offset + SLEEPERS_OFFSET, -1);
        }
    }

    /** Signals seen so far (wraps): a cheap way to tell whether anything happened since an earlier read. */
    public int sequence()
    {
        return buffer.getIntVolatile(offset + SEQUENCE_OFFSET);
    }

    /** Sleepers announced now (diagnostics). */
    public int sleepers()
    {
        return buffer.getIntVolatile(offset + SLEEPERS_OFFSET);
    }

    public void close()
    {
        futex.close();
    }
}
