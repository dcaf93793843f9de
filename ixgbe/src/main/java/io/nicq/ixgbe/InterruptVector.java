package io.nicq.ixgbe;

/**
 * One interrupt vector as a driver thread waits for it: the seam between the card, which delivers the vector, and
 * whoever sleeps until it does. On a simulated card the vector is a futex word in the card's status page
 * ({@link FutexInterruptVector}, {@link SimulatedNic#interruptVector}); on silicon it is an MSI-X vector that VFIO
 * delivers to an eventfd ({@link EventfdInterruptVector} over {@code vfio.VfioInterrupts.eventfd(v)}).
 * <p>
 * A waiter never loses an interrupt that comes while it decides to sleep:
 * <pre>
 *   long seen = vector.interrupts();   // 1. the count, before the last look
 *   if (ring has no work)              // 2. the last look
 *       vector.await(seen, timeout);   // 3. returns at once if an interrupt came after 1.
 * </pre>
 * An interrupt delivered after step 1 makes step 3 return, however it interleaves with 2 and 3. {@code await} may
 * also return early (a signal, a spurious wake-up); callers look at their ring again either way. The vector itself
 * must be unmasked (EIMS) for the card to deliver anything: that is the driver's business, as on the part.
 * An instance serves one waiting thread at a time.
 */
public interface InterruptVector extends AutoCloseable
{
    /** The interrupts this vector has delivered as far as this waiter knows: a token for {@link #await}. */
    long interrupts();

    /**
     * Sleeps until the vector delivers an interrupt not counted in {@code seen}, or for at most {@code timeoutNs}.
     *
     * @return whether an interrupt came after {@code seen} was read (false: the timeout, or an early return)
     */
    boolean await(long seen, long timeoutNs);

    /** Which vector, for messages. */
    String description();

    void close();
}
