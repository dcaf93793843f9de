package io.nicq.ixgbe;

import java.lang.foreign.MemorySegment;

/**
 * The simulated card's doorbell: what an idle device loop may sleep on until a driver writes a register. The other
 * direction of {@link InterruptVector}'s seam (driver to device), on a wake word in the status page
 * ({@link SimulatedCardFiles#DOORBELL_WORD_OFFSET}) that {@link SimulatedBar} rings on every register write, tails
 * included. Silicon needs none: its BAR writes reach the device by themselves, and {@link MappedBar} does nothing
 * extra.
 * <p>
 * A write must stay cheap when nobody sleeps: ringing is one atomic add, and the FUTEX_WAKE system call is made only
 * when a sleeper has announced itself (the protocol of {@link io.nicq.runtime.WakeWord}, through the same
 * {@link FutexInterruptVector} the card's interrupts use). No ring is lost.
 */
public final class Doorbell implements InterruptVector
{
    private final FutexInterruptVector word;

    /** @param bar0 a simulated card's whole {@code bar0} mapping (registers and status page) */
    public Doorbell(final MemorySegment bar0, final String description)
    {
        this.word = new FutexInterruptVector(bar0, SimulatedCardFiles.DOORBELL_WORD_OFFSET, description);
    }

    /** Rings: counts the write and wakes the device loop if it sleeps. Called by {@link SimulatedBar#write}. */
    public void ring()
    {
        word.signal();
    }

    /** Rings so far (wrapping): read it before the device's last look for work. */
    public long interrupts()
    {
        return word.interrupts();
    }

    /** Sleeps until a ring not counted in {@code seen}, or the timeout; announces the sleeper so ringers wake it. */
    public boolean await(final long seen, final long timeoutNs)
    {
        return word.await(seen, timeoutNs);
    }

    /** Sleepers announced now (for tests and statistics). */
    public int sleepers()
    {
        return word.sleepers();
    }

    public String description()
    {
        return word.description();
    }

    public void close()
    {
        word.close();
    }

    public String toString()
    {
        return word.description();
    }
}
