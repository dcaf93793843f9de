package io.nicq.queue;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.Registers;
import io.nicq.proto.channel.QueueChannelLayout;

import java.util.concurrent.TimeUnit;

/**
 * What the card driver does when a queue driver attaches (the Barrelfish split), done by test code: program the ring
 * registers of the queue and enable it, polling until ENABLE reads back. On detach it disables the queue, polling
 * until ENABLE reads 0.
 */
final class RegisterQueueAttacher implements QueueAttacher
{
    private static final long ENABLE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    private final Bar bar;
    private final Runnable pump;
    int attaches;
    int detaches;

    RegisterQueueAttacher(final Bar bar)
    {
        this(bar, Thread::onSpinWait);
    }

    /** @param pump run while waiting for a register to read back: a manually driven card's {@code doWork()} */
    RegisterQueueAttacher(final Bar bar, final Runnable pump)
    {
        this.bar = bar;
        this.pump = pump;
    }

    public void attach(final int queueId, final long pid, final long token, final int ringSize,
        final long rxRingIova, final long txRingIova, final long txHeadWritebackIova)
    {
        final int ringBytes = ringSize * 16;

        bar.write(Registers.rdbal(queueId), (int)rxRingIova);
        bar.write(Registers.rdbah(queueId), (int)(rxRingIova >>> 32));
        bar.write(Registers.rdlen(queueId), ringBytes);
        bar.write(Registers.rdh(queueId), 0);
        bar.write(Registers.rdt(queueId), 0);
        bar.write(Registers.srrctl(queueId), Registers.SRRCTL_DESCTYPE_ADV_ONEBUF | Registers.SRRCTL_DROP_EN |
            (QueueChannelLayout.SLOT_SIZE / 1024));
        bar.clearBits(Registers.dcaRxctrl(queueId), Registers.DCA_RXCTRL_RESERVED_12);

        bar.write(Registers.tdbal(queueId), (int)txRingIova);
        bar.write(Registers.tdbah(queueId), (int)(txRingIova >>> 32));
        bar.write(Registers.tdlen(queueId), ringBytes);
        bar.write(Registers.tdh(queueId), 0);
        bar.write(Registers.tdt(queueId), 0);
        if (txHeadWritebackIova != 0)
        {
            bar.write(Registers.tdwbah(queueId), (int)(txHeadWritebackIova >>> 32));
            bar.write(Registers.tdwbal(queueId), (int)txHeadWritebackIova | Registers.TDWBAL_HEAD_WB_ENABLE);
        }
        else
        {
            bar.write(Registers.tdwbal(queueId), 0);
            bar.write(Registers.tdwbah(queueId), 0);
        }

        bar.setBits(Registers.rxdctl(queueId), Registers.DCTL_ENABLE);
        await(Registers.rxdctl(queueId), "RX queue " + queueId + " is enabled (RXDCTL.ENABLE)");
        // TXDCTL: write-back thresholds 0, so every descriptor is written back at once (latency over bus economy).
        bar.setBits(Registers.txdctl(queueId), Registers.DCTL_ENABLE);
        await(Registers.txdctl(queueId), "TX queue " + queueId + " is enabled (TXDCTL.ENABLE)");
        attaches++;
    }

    private void await(final int offset, final String what)
    {
        await(offset, true, what);
    }

    private void await(final int offset, final boolean enabled, final String what)
    {
        final long deadline = System.nanoTime() + ENABLE_TIMEOUT_NS;
        while (((bar.read(offset) & Registers.DCTL_ENABLE) != 0) != enabled)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException(bar.description() + ": timed out waiting until " + what);
            }
            pump.run();
        }
    }

    public void detach(final int queueId)
    {
        // As the card driver's teardown: the queue's memory may go only once the card has stopped using it, when
        // ENABLE reads 0 (datasheet 4.6.7.1.2); a card still fetching descriptors from freed memory is a DMA fault.
        bar.clearBits(Registers.rxdctl(queueId), Registers.DCTL_ENABLE);
        await(Registers.rxdctl(queueId), false, "RX queue " + queueId + " is disabled (RXDCTL.ENABLE 0)");
        bar.clearBits(Registers.txdctl(queueId), Registers.DCTL_ENABLE);
        await(Registers.txdctl(queueId), false, "TX queue " + queueId + " is disabled (TXDCTL.ENABLE 0)");
        detaches++;
    }
}
