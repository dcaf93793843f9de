package io.nicq.card;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.DescriptorRing;
import io.nicq.ixgbe.DeviceTimeoutException;
import io.nicq.ixgbe.RxDescriptor;
import io.nicq.ixgbe.TxDescriptor;
import io.nicq.proto.sbe.ErrorCode;

import java.util.concurrent.locks.LockSupport;

import static io.nicq.ixgbe.Registers.*;

/**
 * The card driver's half of attaching a queue driver (the Barrelfish split: the queue driver allocates its rings, the
 * card driver programs the ring registers and enables the queue, then the queue driver owns RDT/TDT), and the
 * reverse when a queue is released or its driver dies.
 * <p>
 * Conductor thread only.
 */
final class QueueProgrammer
{
    /** TXDCTL thresholds: prefetch 36 and host 8 as ixy; write-back threshold 0 so completions are reported at once,
     * which the Barrelfish thesis found matters for latency. */
    static final int TX_PTHRESH = 36;
    static final int TX_HTHRESH = 8;
    static final int TX_WTHRESH = 0;

    /**
     * How long a TX queue may take to send what it holds before it is disabled: DPDK's ixgbe_dev_tx_queue_stop polls an
     * 82599 for TDH == TDT for 10 ms. A queue that does not drain (link down, a full cable) is disabled anyway.
     */
    static final long TX_DRAIN_TIMEOUT_NS = 10_000_000L;

    /**
     * The further wait after ENABLE reads back 0 and before the rings may be freed: 4.6.7.1.2 says the device
     * "eventually completes the storage of one buffer" already under way, and DPDK waits RTE_IXGBE_WAIT_100_US.
     */
    static final long AFTER_DISABLE_WAIT_NS = 100_000L;

    private static final long DRAIN_POLL_NS = 50_000L;

    private final Bar bar;
    private final long enableTimeoutNs;

    QueueProgrammer(final Bar bar, final long enableTimeoutNs)
    {
        this.bar = bar;
        this.enableTimeoutNs = enableTimeoutNs;
    }

    /**
     * Checks the rings a queue driver registered.
     *
     * @throws RequestException INVALID_ARGUMENT naming the bad field
     */
    static void validate(final int ringSize, final long rxRingIova, final long txRingIova, final long txHeadWbIova)
    {
        if (!DescriptorRing.isValidSize(ringSize))
        {
            throw new RequestException(ErrorCode.INVALID_ARGUMENT, "ring size " + ringSize + " must be " +
                DescriptorRing.sizeRule());
        }
        if (rxRingIova == 0 || !DescriptorRing.isAligned(rxRingIova))
        {
            throw new RequestException(ErrorCode.INVALID_ARGUMENT, String.format("RX ring address 0x%X must be " +
                "non-zero and %d-byte aligned", rxRingIova, DescriptorRing.BASE_ALIGNMENT));
        }
        if (txRingIova == 0 || !DescriptorRing.isAligned(txRingIova))
        {
            throw new RequestException(ErrorCode.INVALID_ARGUMENT, String.format("TX ring address 0x%X must be " +
                "non-zero and %d-byte aligned", txRingIova, DescriptorRing.BASE_ALIGNMENT));
        }
        if (!DescriptorRing.isHeadWriteBackAligned(txHeadWbIova))
        {
            // 7.2.3.5.2 says dword, 8.2.3.9.11 qword; the part writes nothing unless it is 16-byte aligned (TinyNF).
            throw new RequestException(ErrorCode.INVALID_ARGUMENT, String.format("TX head write-back address 0x%X " +
                "must be %d-byte aligned (the 82599 writes no head back to any other)", txHeadWbIova,
                DescriptorRing.HEAD_WRITE_BACK_ALIGNMENT));
        }
    }

    /**
     * Programs and enables a queue pair (4.6.7.1 RX queue enable, 4.6.8.1 TX queue enable). On return the queue is
     * running with RDT = TDT = 0; the queue driver fills its RX ring and moves RDT itself.
     *
     * @throws DeviceTimeoutException naming the queue when RXDCTL/TXDCTL.ENABLE does not read back set
     */
    void enable(
        final int queue,
        final int ringSize,
        final long rxRingIova,
        final long txRingIova,
        final long txHeadWbIova)
    {
        // A queue is (re)programmed only while disabled: a previous owner's enable bits are cleared first.
        stopRx(queue);
        stopTx(queue);

        bar.write(rdbal(queue), (int)rxRingIova);               // 8.2.3.8.1 RDBAL: ring base, low
        bar.write(rdbah(queue), (int)(rxRingIova >>> 32));      // 8.2.3.8.2 RDBAH: ring base, high
        bar.write(rdlen(queue), ringSize * RxDescriptor.SIZE);  // 8.2.3.8.3 RDLEN: ring length in bytes
        // 8.2.3.8.7 SRRCTL: advanced one-buffer descriptors of one queue channel slot, drop when empty.
        bar.write(srrctl(queue), CardInit.SRRCTL_VALUE);
        bar.write(rdh(queue), 0);                               // 8.2.3.8.4 RDH: head 0
        bar.write(rdt(queue), 0);                               // 8.2.3.8.5 RDT: tail 0, nothing given yet
        bar.write(rxdctl(queue), bar.read(rxdctl(queue)) | DCTL_ENABLE);   // 8.2.3.8.6 RXDCTL.ENABLE
        bar.await(rxdctl(queue), DCTL_ENABLE, true, enableTimeoutNs,
            "RX queue " + queue + " did not start", "RXDCTL.ENABLE");

        bar.write(tdbal(queue), (int)txRingIova);               // 8.2.3.9 TDBAL: ring base, low
        bar.write(tdbah(queue), (int)(txRingIova >>> 32));      // 8.2.3.9 TDBAH: ring base, high
        bar.write(tdlen(queue), ringSize * TxDescriptor.SIZE);  // 8.2.3.9 TDLEN: ring length in bytes
        bar.write(tdh(queue), 0);                               // 8.2.3.9 TDH: head 0
        bar.write(tdt(queue), 0);                               // 8.2.3.9 TDT: tail 0, nothing to send
        // 8.2.3.9 TDWBAL/TDWBAH: the device writes its head index here instead of DD bits, when asked for.
        bar.write(tdwbah(queue), (int)(txHeadWbIova >>> 32));
        bar.write(tdwbal(queue), txHeadWbIova == 0 ? 0 : ((int)txHeadWbIova | TDWBAL_HEAD_WB_ENABLE));
        // 8.2.3.9 TXDCTL: thresholds, then ENABLE.
        final int thresholds = (TX_PTHRESH << TXDCTL_PTHRESH_SHIFT) | (TX_HTHRESH << TXDCTL_HTHRESH_SHIFT) |
            (TX_WTHRESH << TXDCTL_WTHRESH_SHIFT);
        bar.write(txdctl(queue), thresholds);
        bar.write(txdctl(queue), thresholds | DCTL_ENABLE);
        bar.await(txdctl(queue), DCTL_ENABLE, true, enableTimeoutNs,
            "TX queue " + queue + " did not start", "TXDCTL.ENABLE");
    }

    /**
     * Stops a queue pair and forgets its rings, so the device can never again DMA into memory that is about to be
     * freed. As 4.6.7.1.2 (RX) and DPDK's queue stop functions do it: RX ENABLE cleared and polled until it reads back
     * clear; TX first given up to 10 ms to send what it holds (TDH == TDT), then ENABLE cleared and polled; then the
     * further wait ({@link #AFTER_DISABLE_WAIT_NS}) for a DMA already under way, and only then are the ring
     * registers zeroed and the caller told the memory may go.
     *
     * @return null if both stopped cleanly, else what did not (the queue is disabled and the registers zeroed anyway)
     */
    String disable(final int queue)
    {
        final boolean wasEnabled = isEnabled(queue);
        String failure = null;
        try
        {
            stopRx(queue);
        }
        catch (final DeviceTimeoutException ex)
        {
            failure = ex.getMessage();
        }
        failure = join(failure, drainTx(queue));
        try
        {
            stopTx(queue);
        }
        catch (final DeviceTimeoutException ex)
        {
            failure = join(failure, ex.getMessage());
        }
        if (wasEnabled)
        {
            pause(AFTER_DISABLE_WAIT_NS);
        }
        bar.write(rdbal(queue), 0);                             // 8.2.3.8.1 RDBAL
        bar.write(rdbah(queue), 0);                             // 8.2.3.8.2 RDBAH
        bar.write(rdlen(queue), 0);                             // 8.2.3.8.3 RDLEN
        bar.write(rdh(queue), 0);                               // 8.2.3.8.4 RDH
        bar.write(rdt(queue), 0);                               // 8.2.3.8.5 RDT
        bar.write(tdwbal(queue), 0);                            // 8.2.3.9 TDWBAL: head write-back off
        bar.write(tdwbah(queue), 0);                            // 8.2.3.9 TDWBAH
        bar.write(tdbal(queue), 0);                             // 8.2.3.9 TDBAL
        bar.write(tdbah(queue), 0);                             // 8.2.3.9 TDBAH
        bar.write(tdlen(queue), 0);                             // 8.2.3.9 TDLEN
        bar.write(tdh(queue), 0);                               // 8.2.3.9 TDH
        bar.write(tdt(queue), 0);                               // 8.2.3.9 TDT
        return failure;
    }

    /**
     * Waits until the device has sent every descriptor the queue driver posted (TDH == TDT; DPDK does this before it
     * clears TXDCTL.ENABLE on an 82599, so no frame is cut off in the middle of its DMA).
     *
     * @return null once drained (or not enabled), else what was left
     */
    private String drainTx(final int queue)
    {
        if ((bar.read(txdctl(queue)) & DCTL_ENABLE) == 0)
        {
            return null;
        }
        final long deadline = System.nanoTime() + TX_DRAIN_TIMEOUT_NS;
        while (true)
        {
            final int head = bar.read(tdh(queue));                  // 8.2.3.9.8 TDH: the device's position
            final int tail = bar.read(tdt(queue));                  // 8.2.3.9.9 TDT: what the queue driver posted
            if (head == tail)
            {
                return null;
            }
            if (System.nanoTime() - deadline > 0)
            {
                return "TX queue " + queue + " did not drain within " + TX_DRAIN_TIMEOUT_NS / 1_000_000 + " ms (TDH " +
                    head + ", TDT " + tail + "): disabled with descriptors pending";
            }
            LockSupport.parkNanos(DRAIN_POLL_NS);
        }
    }

    private static String join(final String first, final String second)
    {
        return first == null ? second : second == null ? first : first + "; " + second;
    }

    private static void pause(final long ns)
    {
        final long end = System.nanoTime() + ns;
        for (long left = ns; left > 0; left = end - System.nanoTime())
        {
            LockSupport.parkNanos(left);
        }
    }

    /** Whether the queue's RX or TX half is enabled. */
    boolean isEnabled(final int queue)
    {
        return (bar.read(rxdctl(queue)) & DCTL_ENABLE) != 0 || (bar.read(txdctl(queue)) & DCTL_ENABLE) != 0;
    }

    private void stopRx(final int queue)
    {
        if ((bar.read(rxdctl(queue)) & DCTL_ENABLE) != 0)
        {
            bar.write(rxdctl(queue), bar.read(rxdctl(queue)) & ~DCTL_ENABLE);   // 8.2.3.8.6 RXDCTL.ENABLE off
            bar.await(rxdctl(queue), DCTL_ENABLE, false, enableTimeoutNs,
                "RX queue " + queue + " did not stop", "RXDCTL.ENABLE");
        }
    }

    private void stopTx(final int queue)
    {
        if ((bar.read(txdctl(queue)) & DCTL_ENABLE) != 0)
        {
            bar.write(txdctl(queue), bar.read(txdctl(queue)) & ~DCTL_ENABLE);   // 8.2.3.9 TXDCTL.ENABLE off
            bar.await(txdctl(queue), DCTL_ENABLE, false, enableTimeoutNs,
                "TX queue " + queue + " did not stop", "TXDCTL.ENABLE");
        }
    }
}
