package io.nicq.bench.sim;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.agrona.IoUtil;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BusySpinIdleStrategy;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.DmaBuffer;
import io.nicq.ixgbe.ReceiveFilterTables;
import io.nicq.ixgbe.SoftwareFirmwareSync;
import io.nicq.ixgbe.RxDescriptor;
import io.nicq.ixgbe.SimulatedNic;
import io.nicq.ixgbe.TxDescriptor;
import io.nicq.runtime.CpuAffinity;
import io.nicq.sim.Frames;
import io.nicq.sim.SimulatedCard;

import static io.nicq.ixgbe.Registers.*;

/**
 * Two simulated cards on a cable, their device loops spinning, and a lean register-level driver for TX queue 0 of card
 * A and RX queue 0 of card B, run by the benchmark thread. {@code loops}:
 * <ul>
 *   <li>{@code shared}: one thread runs both device loops (A then B): 2 spinning threads with the benchmark's;</li>
 *   <li>{@code separate}: each card has its own spinning thread: 3 spinning threads, more than this 2-core machine
 *       has, so the figure includes the scheduler.</li>
 * </ul>
 * Nothing on the benchmark's path allocates.
 */
final class CablePair implements AutoCloseable
{
    static final int FRAME_LENGTH = 60; // a 64-byte frame on the wire with its FCS
    static final int BUFFER_SIZE = 2048;
    static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    final Path dir;
    final SimulatedCard a;
    final SimulatedCard b;
    final SimulatedNic nicA;
    final SimulatedNic nicB;
    final Bar barA;
    final Bar barB;
    final AgentRunner[] runners;
    final int txSize;
    final int rxSize;
    final DmaBuffer txRing;
    final DmaBuffer txBuffers;
    final DmaBuffer rxRing;
    final DmaBuffer rxBuffers;
    final MemorySegment txDescriptors;
    final MemorySegment rxDescriptors;
    final long txBase;
    final long rxBase;
    final int tdt;
    final int rdt;
    int txTail;
    int txClean;
    int rxNext;

    /**
     * With one device thread for both cards (shared), the device thread and the benchmark's thread each get a CPU of
     * their own when there are two: otherwise the scheduler sometimes puts them where a frame costs three times as much.
     */
    static final int DEVICE_CPU = Runtime.getRuntime().availableProcessors() >= 2 ? 0 : -1;
    static final int BENCHMARK_CPU = DEVICE_CPU >= 0 ? 1 : -1;

    /** Pins the calling (benchmark) thread when the device thread is pinned, for the shared arrangement. */
    static void pinBenchmarkThread(final String loops)
    {
        if ("shared".equals(loops) && BENCHMARK_CPU >= 0)
        {
            CpuAffinity.pinCurrentThread(BENCHMARK_CPU);
        }
    }

    CablePair(final String loops, final int txSize, final int rxSize) throws IOException
    {
        this.txSize = txSize;
        this.rxSize = rxSize;
        dir = Files.createTempDirectory(Path.of("/dev/shm"), "nicq-bench-sim-");
        a = SimulatedCard.launch(new SimulatedCard.Context().cardName("a").baseDir(dir).wireSpec("cable:bench:a")
            .manualDrive(true));
        b = SimulatedCard.launch(new SimulatedCard.Context().cardName("b").baseDir(dir).wireSpec("cable:bench:b")
            .manualDrive(true));
        if ("shared".equals(loops))
        {
            runners = new AgentRunner[]{runner("nicq-sim-a+b", () -> a.doWork() + b.doWork(), DEVICE_CPU)};
        }
        else if ("separate".equals(loops))
        {
            runners = new AgentRunner[]{runner("nicq-sim-a", a::doWork, -1), runner("nicq-sim-b", b::doWork, -1)};
        }
        else
        {
            throw new IllegalArgumentException("loops must be shared or separate: " + loops);
        }

        nicA = a.openNic();
        nicB = b.openNic();
        barA = nicA.bar();
        barB = nicB.bar();
        init(barA);
        init(barB);
        barB.setBits(FCTRL, FCTRL_UPE);

        txRing = nicA.dma().allocate("bench-tx-ring", (long)txSize * TxDescriptor.SIZE);
        txBuffers = nicA.dma().allocate("bench-tx-buffers", (long)txSize * BUFFER_SIZE);
        rxRing = nicB.dma().allocate("bench-rx-ring", (long)rxSize * RxDescriptor.SIZE);
        rxBuffers = nicB.dma().allocate("bench-rx-buffers", (long)rxSize * BUFFER_SIZE);
        txDescriptors = txRing.segment();
        rxDescriptors = rxRing.segment();
        txBase = txBuffers.iova();
        rxBase = rxBuffers.iova();
        tdt = tdt(0);
        rdt = rdt(0);

        final byte[] frame = Frames.udp(b.mac(), a.mac(), Frames.ip("10.3.0.1"), Frames.ip("10.3.0.2"), 1000, 2000,
            new byte[FRAME_LENGTH - 42]);
        for (int i = 0; i < txSize; i++)
        {
            MemorySegment.copy(frame, 0, txBuffers.segment(), ValueLayout.JAVA_BYTE, (long)i * BUFFER_SIZE,
                frame.length);
        }
        for (int i = 0; i < rxSize; i++)
        {
            RxDescriptor.setBuffer(rxDescriptors, i, rxBase + (long)i * BUFFER_SIZE);
        }

        startRx(barB, rxRing.iova(), rxSize);
        startTx(barA, txRing.iova(), txSize);
        barA.awaitSet(LINKS, LINKS_UP, TIMEOUT_NS, "card A's link came up");
        barB.awaitSet(LINKS, LINKS_UP, TIMEOUT_NS, "card B's link came up");
    }

    private static AgentRunner runner(final String name, final java.util.function.IntSupplier work, final int cpu)
    {
        final AgentRunner runner = new AgentRunner(new BusySpinIdleStrategy(), Throwable::printStackTrace, null,
            new Agent()
            {
                public void onStart()
                {
                    if (cpu >= 0)
                    {
                        CpuAffinity.pinCurrentThread(cpu);
                    }
                }

                public int doWork()
                {
                    return work.getAsInt();
                }

                public String roleName()
                {
                    return name;
                }
            });
        AgentRunner.startOnThread(runner);
        return runner;
    }

    /** Datasheet 4.6.3, as a driver does it. */
    private static void init(final Bar bar)
    {
        bar.write(EIMC, EIMC_ALL);
        bar.setBits(CTRL, CTRL_PCIE_MASTER_DISABLE);           // 5.2.5.3.2: no DMA in flight across the reset
        bar.awaitClear(STATUS, STATUS_PCIE_MASTER_ENABLE, TIMEOUT_NS, "STATUS.PCIE_MASTER_ENABLE cleared");
        bar.write(CTRL, CTRL_RST_MASK);
        bar.awaitClear(CTRL, CTRL_RST_MASK, TIMEOUT_NS, "CTRL.RST self-cleared");
        bar.awaitSet(EEC, EEC_ARD, TIMEOUT_NS, "EEC.ARD");
        bar.awaitSet(RDRXCTL, RDRXCTL_DMAIDONE, TIMEOUT_NS, "RDRXCTL.DMAIDONE");
        final SoftwareFirmwareSync sync = new SoftwareFirmwareSync(bar); // 10.5.4: AUTOC under SW_FW_SYNC
        sync.acquire(SW_FW_SYNC_SW_MAC_CSR);
        bar.setBits(AUTOC, AUTOC_AN_RESTART);
        sync.release(SW_FW_SYNC_SW_MAC_CSR);
        bar.setBits(HLREG0, HLREG0_RXCRCSTRP | HLREG0_TXCRCEN | HLREG0_TXPADEN);
        bar.setBits(RDRXCTL, RDRXCTL_CRCSTRIP);
        bar.setBits(FCTRL, FCTRL_BAM);
        ReceiveFilterTables.clear(bar);        // 4.6.7: the filter tables have no reset value
        bar.clearBits(RTTDCS, RTTDCS_ARBDIS);
        bar.write(DMATXCTL, DMATXCTL_TE);
        bar.setBits(RXCTRL, RXCTRL_RXEN);
    }

    private static void startRx(final Bar bar, final long ring, final int size)
    {
        bar.write(srrctl(0), SRRCTL_DESCTYPE_ADV_ONEBUF | SRRCTL_DROP_EN | (BUFFER_SIZE / 1024));
        bar.write(rdbal(0), (int)ring);
        bar.write(rdbah(0), (int)(ring >>> 32));
        bar.write(rdlen(0), size * RxDescriptor.SIZE);
        bar.write(rdh(0), 0);
        bar.write(rdt(0), 0);
        bar.setBits(rxdctl(0), DCTL_ENABLE);
        bar.awaitSet(rxdctl(0), DCTL_ENABLE, TIMEOUT_NS, "RXDCTL(0).ENABLE read back");
        bar.write(rdt(0), size - 1);
    }

    private static void startTx(final Bar bar, final long ring, final int size)
    {
        bar.write(tdbal(0), (int)ring);
        bar.write(tdbah(0), (int)(ring >>> 32));
        bar.write(tdlen(0), size * TxDescriptor.SIZE);
        bar.write(tdh(0), 0);
        bar.write(tdt(0), 0);
        bar.setBits(txdctl(0), DCTL_ENABLE);
        bar.awaitSet(txdctl(0), DCTL_ENABLE, TIMEOUT_NS, "TXDCTL(0).ENABLE read back");
    }

    /** Posts up to {@code max} frames on A's TX ring (as many as there are free descriptors); returns how many. */
    int transmit(final int max)
    {
        reclaimTx();
        int free = txSize - 1 - ((txTail - txClean + txSize) % txSize);
        int posted = 0;
        while (free > 0 && posted < max)
        {
            TxDescriptor.setFrame(txDescriptors, txTail, txBase + (long)txTail * BUFFER_SIZE, FRAME_LENGTH);
            txTail = txTail + 1 == txSize ? 0 : txTail + 1;
            free--;
            posted++;
        }
        if (posted > 0)
        {
            barA.write(tdt, txTail);
        }
        return posted;
    }

    private void reclaimTx()
    {
        while (txClean != txTail && (TxDescriptor.status(txDescriptors, txClean) & TxDescriptor.STATUS_DD) != 0)
        {
            txClean = txClean + 1 == txSize ? 0 : txClean + 1;
        }
    }

    /** Takes every frame B has written back, gives the descriptors back; returns how many. */
    int receive()
    {
        int received = 0;
        while ((RxDescriptor.statusError(rxDescriptors, rxNext) & RxDescriptor.STATUS_DD) != 0)
        {
            RxDescriptor.setBuffer(rxDescriptors, rxNext, rxBase + (long)rxNext * BUFFER_SIZE);
            rxNext = rxNext + 1 == rxSize ? 0 : rxNext + 1;
            received++;
        }
        if (received > 0)
        {
            barB.write(rdt, rxNext == 0 ? rxSize - 1 : rxNext - 1);
        }
        return received;
    }

    /** Whether the descriptor B writes next is done (for the latency benchmark's spin). */
    boolean rxReady()
    {
        return (RxDescriptor.statusError(rxDescriptors, rxNext) & RxDescriptor.STATUS_DD) != 0;
    }

    public void close()
    {
        for (final AgentRunner runner : runners)
        {
            runner.close();
        }
        nicA.close();
        nicB.close();
        a.close();
        b.close();
        IoUtil.delete(dir.toFile(), true);
    }
}
