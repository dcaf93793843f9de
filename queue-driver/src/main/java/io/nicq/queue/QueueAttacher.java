package io.nicq.queue;

/**
 * The card driver's side of the Barrelfish split, as a queue driver sees it: the queue driver allocates its descriptor
 * rings and registers them here; the card driver (which alone writes the queue's control registers) programs the ring
 * bases and lengths (RDBAL/RDBAH/RDLEN, RDH = RDT = 0, SRRCTL for 2 KiB buffers, TDBAL/TDBAH/TDLEN, TDH = TDT = 0,
 * TDWBAL/TDWBAH when head write-back is asked for) and enables the queue, polling RXDCTL/TXDCTL.ENABLE until it reads
 * back (datasheet 4.6.7, 4.6.8). From the moment {@link #attach} returns, the queue driver owns RDT and TDT.
 * <p>
 * Implementations: the control protocol ({@link ControlQueueAttacher}: a queue driver process sends
 * {@code AttachQueueDriver} to the card driver), the card driver's own for queue drivers it runs as threads, and a
 * register-writing one in tests.
 */
public interface QueueAttacher
{
    /**
     * Programs and enables hardware queue {@code queueId} with the given rings; returns once the queue is enabled.
     *
     * @param queueId             the hardware queue (RX and TX of the same index)
     * @param pid                 the process of the queue driver, so the card driver can watch it
     * @param token               the queue's attach token from its channel header: proof that the caller can read
     *                            the channel (a pid proves nothing)
     * @param ringSize            descriptors per ring, a power of two (RDLEN = TDLEN = 16 x ringSize)
     * @param rxRingIova          DMA address of the RX descriptor ring
     * @param txRingIova          DMA address of the TX descriptor ring
     * @param txHeadWritebackIova DMA address for TX head write-back, 0 for DD write-back
     * @throws RuntimeException with a message saying why the queue could not be attached
     */
    void attach(int queueId, long pid, long token, int ringSize, long rxRingIova, long txRingIova,
        long txHeadWritebackIova);

    /**
     * The queue driver is stopping and is about to release its rings and unregister its pool: the card driver should
     * disable the queue first (over the protocol: {@code DetachQueueDriver}, see {@link ControlQueueAttacher}). The queue
     * driver leaves RDT/TDT alone. Must not throw: the rings are freed after it in any case. By default nothing is done
     * (the card driver then learns it from the queue driver's exit).
     */
    default void detach(final int queueId)
    {
    }
}
