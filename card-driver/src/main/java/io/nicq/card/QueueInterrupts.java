package io.nicq.card;

import io.nicq.ixgbe.Bar;

import static io.nicq.ixgbe.Registers.*;

/**
 * The card-wide interrupt set-up queue drivers sleep on (datasheet 7.3.1, 4.6.3.1): MSI-X mode, and queue q's RX and
 * TX causes on vector q for the queues that have a vector of their own (0..15: EICR's queue bits; queue 0, the
 * default queue, on vector 0). A fired vector clears its cause (EIAC) and masks itself (EIAM with GPIE.EIAME), so a
 * queue driver that woke polls without further interrupts until it unmasks (EIMS) as it goes back to sleep. Every
 * vector starts masked: nothing is delivered to a driver that does not sleep.
 * <p>
 * The card driver writes these once after {@link CardInit}, as the only writer of the shared registers: IVAR holds
 * two queues' entries per register, so queue drivers (other processes) writing their own would race on the
 * read-modify-write. Queue drivers write only EIMS and EIMC, whose bits are set and cleared one by one.
 */
final class QueueInterrupts
{
    /** Queues whose causes have a vector of their own: the vectors EICR's queue bits reach. */
    static final int QUEUES_WITH_VECTORS = QUEUE_VECTOR_COUNT;

    private QueueInterrupts()
    {
    }

    static void program(final Bar bar)
    {
        bar.write(EIMC, EIMC_ALL);
        bar.write(GPIE, bar.read(GPIE) | GPIE_MSIX_MODE | GPIE_EIAME | GPIE_PBA_SUPPORT);
        bar.write(EIAC, EICR_RTX_QUEUE);
        bar.write(EIAM, EICR_RTX_QUEUE);
        for (int queue = 0; queue < QUEUES_WITH_VECTORS; queue++)
        {
            final int register = ivarOf(queue);
            final int clear = ~((0xFF << ivarRxShift(queue)) | (0xFF << ivarTxShift(queue)));
            bar.write(register, (bar.read(register) & clear) | (ivarEntry(queue) << ivarRxShift(queue)) |
                (ivarEntry(queue) << ivarTxShift(queue)));
        }
    }
}
