package io.nicq.bench.sim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.DmaBuffer;
import io.nicq.ixgbe.FlowDirectorFields;
import io.nicq.ixgbe.FlowDirectorHash;
import io.nicq.ixgbe.ReceiveFilterTables;
import io.nicq.ixgbe.SoftwareFirmwareSync;
import io.nicq.ixgbe.RxDescriptor;
import io.nicq.ixgbe.SimulatedNic;
import io.nicq.sim.Frames;
import io.nicq.sim.MemoryWire;
import io.nicq.sim.SimulatedCard;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import static io.nicq.ixgbe.Registers.*;

/**
 * The simulated card's receive path with 8K flow director perfect-match filters installed beside none: frames per
 * second a manually driven card takes from its memory wire, classifies and writes into one RX ring whose descriptors
 * the benchmark gives back at once. With {@code filters = 8192} every frame belongs to one of the 8K TCP connections
 * the table holds (all steered to queue 0, so the ring work is the same) and is found by the bucket hash and a chain
 * walk; with {@code 0} the flow director is off and the same frames fall through to queue 0. 64-byte TCP frames, 4096
 * distinct flows cycled.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC"})
public class FlowDirectorClassificationBenchmark
{
    static final int FRAMES_PER_INVOCATION = 4096;
    static final int RING = 1024;
    static final int HOST = 0x0A000001;
    static final int PEER = 0x0A000002;
    static final long PEER_MAC = 0x02_00_00_00_00_99L;

    @Param({"0", "8192"})
    int filters;

    private Path dir;
    private SimulatedCard card;
    private SimulatedNic nic;
    private Bar bar;
    private MemoryWire wire;
    private DmaBuffer ring;
    private DmaBuffer buffers;
    private final Arena arena = Arena.ofShared();
    private MemorySegment frames;
    private final int[] lengths = new int[FRAMES_PER_INVOCATION];
    private int tail;

    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        dir = Files.createTempDirectory("nicq-fdir-bench");
        card = SimulatedCard.launch(new SimulatedCard.Context().cardName("fdir-bench").baseDir(dir)
            .wireSpec("memory").manualDrive(true));
        nic = card.openNic();
        bar = nic.bar();
        wire = card.memoryWire();

        // 4.6.3 in short: reset, link, RX on, one queue with RING descriptors of 2 KiB buffers.
        bar.setBits(CTRL, CTRL_PCIE_MASTER_DISABLE);          // 5.2.5.3.2: no DMA in flight across the reset
        drive(() -> (bar.read(STATUS) & STATUS_PCIE_MASTER_ENABLE) == 0);
        bar.write(CTRL, CTRL_RST_MASK);
        drive(() -> (bar.read(CTRL) & CTRL_RST_MASK) == 0 && (bar.read(EEC) & EEC_ARD) != 0);
        final SoftwareFirmwareSync sync = new SoftwareFirmwareSync(bar); // 10.5.4: AUTOC under SW_FW_SYNC
        sync.acquire(SW_FW_SYNC_SW_MAC_CSR);
        bar.write(AUTOC, AUTOC_LMS_10G_SERIAL | AUTOC_AN_RESTART);
        sync.release(SW_FW_SYNC_SW_MAC_CSR);
        drive(() -> (bar.read(LINKS) & LINKS_UP) != 0);
        ReceiveFilterTables.clear(bar);        // 4.6.7: the filter tables have no reset value
        bar.write(rxpbsize(0), RXPBSIZE_128KB);
        ring = nic.dma().allocate("bench-rx-ring", (long)RING * RxDescriptor.SIZE);
        buffers = nic.dma().allocate("bench-rx-buffers", (long)RING * 2048);
        for (int i = 0; i < RING; i++)
        {
            RxDescriptor.setBuffer(ring.segment(), i, buffers.iova() + 2048L * i);
        }
        bar.write(srrctl(0), SRRCTL_DESCTYPE_ADV_ONEBUF | SRRCTL_DROP_EN | 2);
        bar.write(rdbal(0), (int)ring.iova());
        bar.write(rdbah(0), (int)(ring.iova() >>> 32));
        bar.write(rdlen(0), RING * RxDescriptor.SIZE);
        bar.write(rdh(0), 0);
        bar.write(rdt(0), 0);
        bar.write(rxdctl(0), DCTL_ENABLE);
        drive(() -> (bar.read(rxdctl(0)) & DCTL_ENABLE) != 0);
        tail = RING - 1;
        bar.write(rdt(0), tail);
        bar.write(RXCTRL, RXCTRL_RXEN);

        if (filters > 0)
        {
            // DPDK's order: packet buffer, masks (all five fields compared), keys, FDIRCTRL, INIT_DONE.
            bar.write(FDIRM, FDIRM_VLANID | FDIRM_VLANP | FDIRM_POOL | FDIRM_FLEX | FDIRM_DIPV6);
            bar.write(FDIRTCPM, FlowDirectorFields.portMask(0xFFFF, 0xFFFF));
            bar.write(FDIRUDPM, FlowDirectorFields.portMask(0xFFFF, 0xFFFF));
            bar.write(FDIRSIP4M, FlowDirectorFields.addressMask(0xFFFFFFFF));
            bar.write(FDIRDIP4M, FlowDirectorFields.addressMask(0xFFFFFFFF));
            bar.write(FDIRHKEY, FDIR_BUCKET_HASH_KEY);
            bar.write(FDIRCTRL, FDIRCTRL_PBALLOC_256K | FDIRCTRL_PERFECT_MATCH | 0xA << FDIRCTRL_MAX_LENGTH_SHIFT);
            drive(() -> (bar.read(FDIRCTRL) & FDIRCTRL_INIT_DONE) != 0);
            for (int i = 0; i < filters; i++)
            {
                final int sourcePort = 10_000 + i;
                bar.write(FDIRIPSA, FlowDirectorFields.address(PEER));
                bar.write(FDIRIPDA, FlowDirectorFields.address(HOST));
                bar.write(FDIRPORT, FlowDirectorFields.ports(sourcePort, 80));
                bar.write(FDIRVLAN, 0);
                bar.write(FDIRHASH, FlowDirectorFields.hash(FlowDirectorHash.perfectBucket(FDIR_BUCKET_HASH_KEY,
                    FDIRCTRL_PBALLOC_256K, FDIR_FLOW_TYPE_TCPV4, HOST, PEER, sourcePort, 80), i));
                bar.write(FDIRCMD, FlowDirectorFields.addCommand(FDIR_FLOW_TYPE_TCPV4, 0, false));
                drive(() -> (bar.read(FDIRCMD) & FDIRCMD_CMD_MASK) == 0);
            }
            if ((bar.read(FDIRFREE) & FDIRFREE_FREE_MASK) != 8192 - filters)
            {
                throw new IllegalStateException("the table did not take " + filters + " filters: FDIRFREE 0x" +
                    Integer.toHexString(bar.read(FDIRFREE)));
            }
        }

        frames = arena.allocate(2048L * FRAMES_PER_INVOCATION, 64);
        for (int i = 0; i < FRAMES_PER_INVOCATION; i++)
        {
            final byte[] frame = Frames.tcp(card.mac(), PEER_MAC, PEER, HOST, 10_000 + i, 80, Frames.TCP_ACK,
                new byte[6]);
            MemorySegment.copy(frame, 0, frames, ValueLayout.JAVA_BYTE, 2048L * i, frame.length);
            lengths[i] = frame.length;
        }
        bar.read(FDIRMATCH);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception
    {
        if (filters > 0 && bar.read(FDIRMATCH) == 0)
        {
            throw new IllegalStateException("no frame matched a flow director filter");
        }
        if (card.status(io.nicq.ixgbe.SimulatedCardFiles.DMA_FAULTS_OFFSET) != 0)
        {
            throw new IllegalStateException("DMA faults: the benchmark measured the wrong path");
        }
        ring.close();
        buffers.close();
        nic.close();
        card.close();
        arena.close();
        try (var paths = Files.walk(dir))
        {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES_PER_INVOCATION)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public int framesClassifiedIntoTheRing()
    {
        int done = 0;
        int injected = 0;
        while (done < FRAMES_PER_INVOCATION)
        {
            while (injected < FRAMES_PER_INVOCATION && injected - done < 256 &&
                wire.inject(frames, 2048L * injected, lengths[injected]))
            {
                injected++;
            }
            card.doWork();
            final int head = bar.read(rdh(0));
            final int consumed = (head - (tail + 1) + RING) % RING;
            if (consumed > 0)
            {
                // Every written descriptor re-armed (the write-back overwrote its address) and given back at once.
                for (int i = 1; i <= consumed; i++)
                {
                    final int index = (tail + i) % RING;
                    RxDescriptor.setBuffer(ring.segment(), index, buffers.iova() + 2048L * index);
                }
                tail = (tail + consumed) % RING;
                bar.write(rdt(0), tail);
                done += consumed;
            }
        }
        return done;
    }

    private void drive(final java.util.function.BooleanSupplier condition)
    {
        card.driveUntil(condition, TimeUnit.SECONDS.toNanos(5), "the simulated card did not answer");
    }
}
