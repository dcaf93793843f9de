package io.nicq.sim;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.DmaBuffer;
import io.nicq.ixgbe.Nic;
import io.nicq.ixgbe.ReceiveFilterTables;
import io.nicq.ixgbe.SoftwareFirmwareSync;
import io.nicq.ixgbe.RxDescriptor;
import io.nicq.ixgbe.Statistics;
import io.nicq.ixgbe.TxDescriptor;

import static io.nicq.ixgbe.Registers.*;

/**
 * A minimal driver, written against the registers exactly as a real one is (the init sequence of 4.6.3, ring set-up,
 * polling for every done bit), used by the tests to drive simulated cards. {@code pump} runs while waiting: a
 * manually driven card's doWork(), or a short pause when the card has its own thread.
 */
final class TestDriver implements AutoCloseable
{
    static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);
    static final int BUFFER_SIZE = 2048;

    final Nic nic;
    final Bar bar;
    private final Runnable pump;
    private final List<DmaBuffer> buffers = new ArrayList<>();
    final RxQueue[] rx = new RxQueue[QUEUE_COUNT];
    final TxQueue[] tx = new TxQueue[QUEUE_COUNT];

    TestDriver(final Nic nic, final Runnable pump)
    {
        this.nic = nic;
        this.bar = nic.bar();
        this.pump = pump;
    }

    /** For a card with its own device thread. */
    static Runnable pause()
    {
        return () -> Thread.onSpinWait();
    }

    void await(final BooleanSupplier condition, final String what)
    {
        final long deadline = System.nanoTime() + TIMEOUT_NS;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("timed out waiting until " + what);
            }
            pump.run();
        }
    }

    void awaitSet(final int offset, final int bits, final String what)
    {
        await(() -> (bar.read(offset) & bits) == bits, what);
    }

    void awaitClear(final int offset, final int bits, final String what)
    {
        await(() -> (bar.read(offset) & bits) == 0, what);
    }

    /** Datasheet 4.6.3: reset, wait for the EEPROM and DMA init, link, counters, RX and TX global set-up. */
    void init(final boolean promiscuous)
    {
        init(promiscuous, true);
    }

    /** The same, optionally leaving the filter tables as the card powered on (to show what that does). */
    void init(final boolean promiscuous, final boolean clearFilterTables)
    {
        bar.write(EIMC, EIMC_ALL);
        bar.setBits(CTRL, CTRL_PCIE_MASTER_DISABLE);           // 5.2.5.3.2: no DMA in flight across the reset
        awaitClear(STATUS, STATUS_PCIE_MASTER_ENABLE, "STATUS.PCIE_MASTER_ENABLE clears");
        bar.write(CTRL, CTRL_RST_MASK);
        awaitClear(CTRL, CTRL_RST_MASK, "CTRL.RST and LNK_RST self-clear");
        bar.write(EIMC, EIMC_ALL);
        awaitSet(EEC, EEC_ARD, "EEC.ARD (EEPROM auto read done)");
        awaitSet(RDRXCTL, RDRXCTL_DMAIDONE, "RDRXCTL.DMAIDONE");

        final SoftwareFirmwareSync sync = new SoftwareFirmwareSync(bar); // 10.5.4: AUTOC under SW_FW_SYNC
        sync.acquire(SW_FW_SYNC_SW_MAC_CSR);
        bar.write(AUTOC, (bar.read(AUTOC) & ~AUTOC_LMS_MASK & ~AUTOC_10G_PMA_PMD_MASK) | AUTOC_LMS_10G_SERIAL);
        bar.setBits(AUTOC, AUTOC_AN_RESTART);
        sync.release(SW_FW_SYNC_SW_MAC_CSR);

        readCounters();

        bar.clearBits(RXCTRL, RXCTRL_RXEN);
        bar.write(rxpbsize(0), RXPBSIZE_128KB);
        bar.setBits(HLREG0, HLREG0_RXCRCSTRP);
        bar.setBits(RDRXCTL, RDRXCTL_CRCSTRIP);
        bar.setBits(FCTRL, FCTRL_BAM | (promiscuous ? FCTRL_UPE | FCTRL_MPE : 0));
        bar.setBits(CTRL_EXT, CTRL_EXT_NS_DIS);
        if (clearFilterTables)
        {
            ReceiveFilterTables.clear(bar); // 4.6.7: no reset value; the card powers on with random tables
        }

        bar.setBits(HLREG0, HLREG0_TXCRCEN | HLREG0_TXPADEN);
        bar.write(txpbsize(0), TXPBSIZE_40KB);
        bar.write(DTXMXSZRQ, 0xFFFF);
        bar.clearBits(RTTDCS, RTTDCS_ARBDIS);
        bar.write(DMATXCTL, DMATXCTL_TE);
        // The 82599 erratum: RXEN only with the security Rx path stopped and idle.
        bar.setBits(SECRXCTRL, SECRXCTRL_RX_DIS);
        awaitSet(SECRXSTAT, SECRXSTAT_SECRX_RDY, "SECRXSTAT.SECRX_RDY");
        bar.setBits(RXCTRL, RXCTRL_RXEN);
        bar.clearBits(SECRXCTRL, SECRXCTRL_RX_DIS);
        awaitSet(LINKS, LINKS_UP, "LINKS.LINK_UP");
    }

    /** Reads every statistics register once: they count from zero afterwards. */
    void readCounters()
    {
        Statistics.clearAll(bar);
    }

    /** Sets up and starts RX queue q with {@code size} descriptors, all given to the device (RDT = size - 1). */
    RxQueue startRx(final int q, final int size)
    {
        final RxQueue queue = new RxQueue(q, size);
        configureRx(queue, SRRCTL_DESCTYPE_ADV_ONEBUF | SRRCTL_DROP_EN | (BUFFER_SIZE / 1024));
        bar.setBits(rxdctl(q), DCTL_ENABLE);
        awaitSet(rxdctl(q), DCTL_ENABLE, "RXDCTL(" + q + ").ENABLE reads back");
        bar.write(rdt(q), size - 1);
        rx[q] = queue;
        return queue;
    }

    void configureRx(final RxQueue queue, final int srrctl)
    {
        final int q = queue.index;
        bar.write(srrctl(q), srrctl);
        bar.write(rdbal(q), (int)queue.ring.iova());
        bar.write(rdbah(q), (int)(queue.ring.iova() >>> 32));
        bar.write(rdlen(q), queue.size * RxDescriptor.SIZE);
        bar.write(rdh(q), 0);
        bar.write(rdt(q), 0);
        bar.clearBits(dcaRxctrl(q), DCA_RXCTRL_RESERVED_12);
    }

    /**
     * Sets up and starts TX queue q with write-back per descriptor (WTHRESH 0): the test driver waits for DD of each
     * frame it sent, which a WTHRESH above 0 would hold back until that many are done.
     */
    TxQueue startTx(final int q, final int size)
    {
        return startTx(q, size, 0);
    }

    /** The same with ixy's prefetch and host thresholds (36, 8) and the given write-back threshold. */
    TxQueue startTx(final int q, final int size, final int writeBackThreshold)
    {
        final TxQueue queue = new TxQueue(q, size);
        bar.write(tdbal(q), (int)queue.ring.iova());
        bar.write(tdbah(q), (int)(queue.ring.iova() >>> 32));
        bar.write(tdlen(q), size * TxDescriptor.SIZE);
        bar.write(txdctl(q), (36 << TXDCTL_PTHRESH_SHIFT) | (8 << TXDCTL_HTHRESH_SHIFT) |
            (writeBackThreshold << TXDCTL_WTHRESH_SHIFT));
        bar.write(tdh(q), 0);
        bar.write(tdt(q), 0);
        bar.setBits(txdctl(q), DCTL_ENABLE);
        awaitSet(txdctl(q), DCTL_ENABLE, "TXDCTL(" + q + ").ENABLE reads back");
        tx[q] = queue;
        return queue;
    }

    private void stop(final int queueControl)
    {
        if ((bar.read(queueControl) & DCTL_ENABLE) == 0)
        {
            return;
        }
        bar.clearBits(queueControl, DCTL_ENABLE);
        final long deadline = System.nanoTime() + TIMEOUT_NS;
        while ((bar.read(queueControl) & DCTL_ENABLE) != 0 && System.nanoTime() - deadline < 0)
        {
            pump.run();
        }
    }

    DmaBuffer allocate(final String tag, final long size)
    {
        final DmaBuffer buffer = nic.dma().allocate(tag, size);
        buffers.add(buffer);
        return buffer;
    }

    /**
     * Stops the queues this driver started before their memory goes (4.6.7.1.2: ENABLE cleared and read back 0), so a
     * card with its own device thread never sees rings vanish under an enabled queue, a DMA fault on the part. A card
     * that no longer answers is not waited for past the timeout.
     */
    public void close()
    {
        for (int q = 0; q < QUEUE_COUNT; q++)
        {
            if (rx[q] != null)
            {
                stop(rxdctl(q));
            }
            if (tx[q] != null)
            {
                stop(txdctl(q));
            }
        }
        for (final DmaBuffer buffer : buffers)
        {
            buffer.close();
        }
        nic.close();
    }

    /** One RX ring and a 2 KiB buffer per descriptor. */
    final class RxQueue
    {
        final int index;
        final int size;
        final DmaBuffer ring;
        final DmaBuffer buffers;
        int next;
        /** Write-back fields of the last frame polled (the descriptor itself is rearmed at once). */
        int lastRssOrTime;
        int lastStatus;
        int lastPacketInfo;
        int lastDescriptor;

        RxQueue(final int index, final int size)
        {
            this.index = index;
            this.size = size;
            this.ring = allocate("rx-ring-" + index, (long)size * RxDescriptor.SIZE);
            this.buffers = allocate("rx-buffers-" + index, (long)size * BUFFER_SIZE);
            for (int i = 0; i < size; i++)
            {
                RxDescriptor.setBuffer(ring.segment(), i, buffers.iova() + (long)i * BUFFER_SIZE);
            }
        }

        /** The next received frame (one descriptor), or null; the descriptor is given back to the device. */
        byte[] poll()
        {
            final MemorySegment descriptors = ring.segment();
            final int status = RxDescriptor.statusError(descriptors, next);
            if ((status & RxDescriptor.STATUS_DD) == 0)
            {
                return null;
            }
            final int length = RxDescriptor.length(descriptors, next);
            lastRssOrTime = RxDescriptor.rssHash(descriptors, next);
            lastStatus = status;
            lastPacketInfo = RxDescriptor.packetInfo(descriptors, next);
            lastDescriptor = next;
            final byte[] frame = new byte[length];
            MemorySegment.copy(buffers.segment(), ValueLayout.JAVA_BYTE, (long)next * BUFFER_SIZE, frame, 0, length);
            RxDescriptor.setBuffer(descriptors, next, buffers.iova() + (long)next * BUFFER_SIZE);
            bar.write(rdt(index), next);
            next = (next + 1) % size;
            return frame;
        }

        byte[] await(final String what)
        {
            final byte[][] frame = new byte[1][];
            TestDriver.this.await(() -> (frame[0] = poll()) != null, what);
            return frame[0];
        }

        int statusAt(final int i)
        {
            return RxDescriptor.statusError(ring.segment(), i);
        }
    }

    /** One TX ring and a 2 KiB buffer per descriptor. */
    final class TxQueue
    {
        final int index;
        final int size;
        final DmaBuffer ring;
        final DmaBuffer buffers;
        int tail;

        TxQueue(final int index, final int size)
        {
            this.index = index;
            this.size = size;
            this.ring = allocate("tx-ring-" + index, (long)size * TxDescriptor.SIZE);
            this.buffers = allocate("tx-buffers-" + index, (long)size * BUFFER_SIZE);
        }

        /** Puts a frame in the next descriptor and rings the doorbell; returns the descriptor index. */
        int send(final byte[] frame)
        {
            final int i = tail;
            MemorySegment.copy(frame, 0, buffers.segment(), ValueLayout.JAVA_BYTE, (long)i * BUFFER_SIZE,
                frame.length);
            TxDescriptor.setFrame(ring.segment(), i, buffers.iova() + (long)i * BUFFER_SIZE, frame.length);
            tail = (tail + 1) % size;
            bar.write(tdt(index), tail);
            return i;
        }

        /** Writes a raw descriptor without ringing the doorbell. */
        void post(final int i, final long address, final int cmdTypeLen)
        {
            TxDescriptor.set(ring.segment(), i, address, cmdTypeLen, (cmdTypeLen & TxDescriptor.LENGTH_MASK) <<
                TxDescriptor.PAYLEN_SHIFT);
        }

        long bufferIova(final int i)
        {
            return buffers.iova() + (long)i * BUFFER_SIZE;
        }

        boolean done(final int i)
        {
            return (TxDescriptor.status(ring.segment(), i) & TxDescriptor.STATUS_DD) != 0;
        }
    }
}
