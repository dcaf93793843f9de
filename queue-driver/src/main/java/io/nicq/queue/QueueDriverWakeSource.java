package io.nicq.queue;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.FutexInterruptVector;
import io.nicq.ixgbe.Registers;
import io.nicq.runtime.AdaptiveIdleStrategy;
import io.nicq.runtime.WakeWord;

/**
 * What a queue driver sleeps on under {@code --idle adaptive}: its queue's interrupt vector (the card driver maps
 * queue q's RX and TX causes to vector q, auto-clearing and auto-masking, {@code QueueInterrupts}) and its channel's
 * driver wake word, which the client signals after publishing on txReady or rxFree and the card driver after a
 * software-forwarded frame. Both at once, through futex_waitv.
 * <p>
 * NAPI's order: prepare both words (the interrupt count and the wake word's sequence are read first), unmask the
 * vector (EIMS), run the driver once more as the last look, and sleep only if that found nothing. A descriptor the
 * card writes back after the unmask raises the interrupt; one written before it is found by the last look; a client's
 * publication after the preparation changes the wake word. The vector masks itself when it fires (EIAM: the driver
 * then polls without interrupts); after a timeout or a client's signal it stays unmasked and masks itself at its next
 * interrupt, so an idle driver's bounded wake-ups write no register (each write through {@code SimulatedBar} would
 * ring the simulated card's doorbell and wake it too) and the next arming writes EIMS only if the vector fired since.
 * <p>
 * Only queues 0..15 have a vector ({@link Registers#QUEUE_VECTOR_COUNT}); a driver of another queue gets no wake source
 * and its adaptive strategy parks as backoff does after the spin.
 */
final class QueueDriverWakeSource implements AdaptiveIdleStrategy.WakeSource, AutoCloseable
{
    private final QueueDriver driver;
    private final Bar bar;
    private final int vectorBit;
    private final FutexInterruptVector vector;
    private final WakeWord interrupts;
    private final WakeWord driverWake;
    private int interruptTicket;
    private int wakeTicket;
    private boolean unmasked;
    private int ticketAtUnmask;

    QueueDriverWakeSource(final QueueDriver driver, final Bar bar, final FutexInterruptVector vector,
        final int vectorIndex, final WakeWord driverWake)
    {
        this.driver = driver;
        this.bar = bar;
        this.vector = vector;
        this.vectorBit = 1 << vectorIndex;
        this.interrupts = vector.wakeWord();
        this.driverWake = driverWake;
    }

    public boolean arm()
    {
        if (driver.isClosed())
        {
            return true; // the channel is unmapped: the loop's next doWork() says why the driver stopped
        }
        interruptTicket = interrupts.prepare();
        wakeTicket = driverWake.prepare();
        if (!unmasked || interruptTicket != ticketAtUnmask)
        {
            // Masked, or it fired (and so masked itself, EIAM) since the last unmask: unmask after the ticket was
            // read, so a cause raised from here on fires and changes the word. A vector still unmasked needs no
            // write, and so no doorbell ring that would wake the simulated card for nothing.
            bar.write(Registers.EIMS, vectorBit);
            unmasked = true;
            ticketAtUnmask = interruptTicket;
        }
        if (driver.doWork() > 0)
        {
            interrupts.cancel();
            driverWake.cancel();
            return true;
        }
        return false;
    }

    public void sleep(final long timeoutNs)
    {
        WakeWord.awaitEither(interrupts, interruptTicket, driverWake, wakeTicket, timeoutNs);
        // Not masked here: a vector that fired has masked itself (EIAM), and one still unmasked after a timeout or the
        // client's signal masks itself at its first interrupt, which costs the busy driver one atomic add at most.
    }

    public void close()
    {
        vector.close();
    }
}
