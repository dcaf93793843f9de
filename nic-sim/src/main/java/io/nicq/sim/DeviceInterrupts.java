package io.nicq.sim;

import io.nicq.ixgbe.FutexInterruptVector;
import io.nicq.ixgbe.SimulatedCardFiles;
import org.agrona.concurrent.NanoClock;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import static io.nicq.ixgbe.Registers.*;
import static io.nicq.ixgbe.SimulatedCardFiles.INTERRUPT_LATCH_OFFSET;

/**
 * The device side of the 82599's interrupts (7.3), over the register file a driver reaches through
 * {@link io.nicq.ixgbe.SimulatedBar}:
 * <ul>
 *   <li>a queue cause: an RX descriptor written back, or a TX descriptor with RS completed, on a queue whose IVAR
 *       entry (8.2.3.5.16) is valid sets EICR bit v of its vector v (vectors 0..15, EICR's RTxQ bits; entries naming
 *       16..63, which the part reaches through EICR's _EX registers, raise nothing here);</li>
 *   <li>software causes: a bit written to EICS, or unmasked in EIMS while its cause is set, is a new interrupt
 *       ({@code SimulatedBar} latches those bits in the status page);</li>
 *   <li>delivery: a pending cause whose EIMS bit is set fires once the vector's EITR interval (8.2.3.5.12, ITR x 2 us)
 *       has passed since its last interrupt, otherwise as soon as it has; firing applies EIAC (8.2.3.5.5: the EICR bit
 *       is cleared) and, with GPIE.EIAME, EIAM (8.2.3.5.6: the EIMS bit is cleared, the vector stays quiet until the
 *       driver unmasks it), then signals the vector's futex word in the status page
 *       ({@link SimulatedCardFiles#interruptWordOffset}).</li>
 * </ul>
 * In MSI-X mode (GPIE.MSIX_MODE) each cause bit is its own vector; otherwise the part has one message (MSI or INTx)
 * for every cause, modelled as vector 0 with EITR(0), and EIAC does not apply (auto-clear is an MSI-X feature).
 * One cause raised many times before delivery is one interrupt, as on the part. Nothing here allocates.
 */
final class DeviceInterrupts
{
    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final MemorySegment bar;
    private final NanoClock clock;
    private final FutexInterruptVector[] vectors = new FutexInterruptVector[QUEUE_VECTOR_COUNT];
    private final long[] lastInterruptNs = new long[QUEUE_VECTOR_COUNT];
    /** Vectors that have fired since reset: the first interrupt is never throttled. */
    private int fired;
    /** Cause bits raised and not yet delivered (masked, or waiting for their EITR interval). */
    private int pending;

    DeviceInterrupts(final MemorySegment bar, final NanoClock clock, final String card)
    {
        this.bar = bar;
        this.clock = clock;
        for (int v = 0; v < QUEUE_VECTOR_COUNT; v++)
        {
            vectors[v] = new FutexInterruptVector(bar, SimulatedCardFiles.interruptWordOffset(v),
                card + " interrupt vector " + v);
        }
    }

    /** An RX descriptor of the queue was written back (DD). */
    void rxWrittenBack(final int queue)
    {
        raise((reg(ivarOf(queue)) >>> ivarRxShift(queue)) & 0xFF);
    }

    /** A TX descriptor of the queue with RS was completed (DD or the head written back). */
    void txCompleted(final int queue)
    {
        raise((reg(ivarOf(queue)) >>> ivarTxShift(queue)) & 0xFF);
    }

    private void raise(final int entry)
    {
        final int vector = entry & IVAR_VECTOR_MASK;
        if ((entry & IVAR_ALLOC_VAL) == 0 || vector >= QUEUE_VECTOR_COUNT)
        {
            return;
        }
        final int bit = 1 << vector;
        if ((reg(EICR) & bit) == 0)
        {
            INT.getAndBitwiseOr(bar, (long)EICR, bit);
        }
        pending |= bit;
    }

    /** After driver writes: the EICS and EIMS bits written since the last look are new interrupts if their cause is set. */
    void onControlWrites()
    {
        final int latched = (int)INT.getAndSet(bar, (long)INTERRUPT_LATCH_OFFSET, 0);
        if (latched != 0)
        {
            pending |= latched & reg(EICR) & EICR_RTX_QUEUE;
        }
    }

    boolean hasPending()
    {
        return pending != 0;
    }

    /**
     * Delivers what may be delivered now; a cause whose EITR interval has not yet passed stays pending (the device
     * loop calls again), one cleared by the driver before delivery is dropped.
     *
     * @return interrupts delivered
     */
    int deliver()
    {
        final int eicr = reg(EICR);
        pending &= eicr; // a cause the driver cleared (EICR write or read) before delivery is gone
        final int ready = pending & reg(EIMS);
        if (ready == 0)
        {
            return 0;
        }
        final int gpie = reg(GPIE);
        final long now = clock.nanoTime();
        int delivered = 0;
        if ((gpie & GPIE_MSIX_MODE) != 0)
        {
            for (int rest = ready; rest != 0; rest &= rest - 1)
            {
                final int vector = Integer.numberOfTrailingZeros(rest);
                if (due(vector, now))
                {
                    fire(vector, 1 << vector, gpie, true, now);
                    delivered++;
                }
            }
        }
        else if (due(0, now))
        {
            fire(0, ready, gpie, false, now);
            delivered++;
        }
        return delivered;
    }

    private boolean due(final int vector, final long now)
    {
        return (fired & (1 << vector)) == 0 || now - lastInterruptNs[vector] >= eitrIntervalNs(reg(eitr(vector)));
    }

    private void fire(final int vector, final int causes, final int gpie, final boolean msix, final long now)
    {
        pending &= ~causes;
        if (msix)
        {
            final int autoClear = causes & reg(EIAC);
            if (autoClear != 0)
            {
                INT.getAndBitwiseAnd(bar, (long)EICR, ~autoClear);
            }
        }
        if ((gpie & GPIE_EIAME) != 0)
        {
            final int autoMask = causes & reg(EIAM);
            if (autoMask != 0)
            {
                INT.getAndBitwiseAnd(bar, (long)EIMS, ~autoMask);
            }
        }
        fired |= 1 << vector;
        lastInterruptNs[vector] = now;
        vectors[vector].signal();
    }

    /** A device reset: causes and masks are back to 0 in the register file; nothing is pending or throttled. */
    void reset()
    {
        pending = 0;
        fired = 0;
        INT.setVolatile(bar, (long)INTERRUPT_LATCH_OFFSET, 0);
    }

    void close()
    {
        for (final FutexInterruptVector vector : vectors)
        {
            vector.close();
        }
    }

    private int reg(final int offset)
    {
        return (int)INT.getVolatile(bar, (long)offset);
    }
}
