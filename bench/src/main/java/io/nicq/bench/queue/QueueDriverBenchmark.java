package io.nicq.bench.queue;

import io.nicq.ixgbe.Registers;
import io.nicq.proto.channel.IndexRing;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.SlotMetadata;
import io.nicq.queue.QueueAttacher;
import io.nicq.queue.QueueDriver;
import io.nicq.queue.stub.IdentityDmaAllocator;
import io.nicq.queue.stub.ImmediateDevice;
import org.agrona.IoUtil;
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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The queue driver's cost per packet against a device stub that completes every descriptor at once
 * ({@link ImmediateDevice}), on one thread: the driver's {@code doWork()}, the client's ring operations and the stub.
 * Every invocation moves {@link #PACKETS} packets, whatever the batch size.
 * <ul>
 *   <li>{@code rx}: frames arrive as fast as buffers are posted; the client takes them from rxReady and gives them
 *   back on rxFree;</li>
 *   <li>{@code tx}: the client takes free slots from txDone, sets the frame length and puts them on txReady;</li>
 *   <li>{@code forward}: zero-copy echo, rxReady straight to txReady, txDone straight back to rxFree: RX and TX path
 *   together, the ixy forwarding figure.</li>
 * </ul>
 * Cycles per packet = ns per packet x the core's GHz (the figures in the report say which clock). Run with
 * {@code -prof gc} for bytes allocated per packet ({@code gc.alloc.rate.norm}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED"})
public class QueueDriverBenchmark
{
    static final int PACKETS = 32;
    static final int QUEUE = 1;
    static final int FRAME_LENGTH = 60;

    @Param({"1", "32"})
    int batch;

    private Path dir;
    private IdentityDmaAllocator dma;
    private ImmediateDevice device;
    private QueueChannel cardView;
    private QueueChannel client;
    private QueueDriver driver;
    private IndexRing rxReady;
    private IndexRing rxFree;
    private IndexRing txReady;
    private IndexRing txDone;
    private SlotMetadata metadata;
    private int[] slots;

    @Setup(Level.Trial)
    public void setUp(final org.openjdk.jmh.infra.BenchmarkParams params) throws IOException
    {
        dir = Files.createTempDirectory(Path.of("/dev/shm"), "nicq-bench-");
        final Path file = dir.resolve("q");
        dma = new IdentityDmaAllocator();
        device = new ImmediateDevice(QUEUE);
        device.frameLength(FRAME_LENGTH).receive(!params.getBenchmark().endsWith(".tx"));
        cardView = QueueChannel.create(file, QUEUE, 2048);
        driver = QueueDriver.start(new QueueDriver.Context()
            .bar(device)
            .dmaAllocator(dma)
            .queueId(QUEUE)
            .channelFile(file)
            .ringSize(512)
            .batchSize(batch)
            .queueAttacher(attacher(device))
            .clientTimeoutNs(0)
            .clientAttachTimeoutNs(0));
        client = QueueChannel.open(file);
        client.header().attachClient(ProcessHandle.current().pid(), System.nanoTime());
        rxReady = client.rxReady();
        rxFree = client.rxFree();
        txReady = client.txReady();
        txDone = client.txDone();
        metadata = client.metadata();
        slots = new int[batch];
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        driver.close();
        client.close();
        cardView.close();
        dma.close();
        IoUtil.delete(dir.toFile(), false);
    }

    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public int rx()
    {
        int received = 0;
        while (received < PACKETS)
        {
            driver.doWork();
            final int count = rxReady.poll(slots, 0, batch);
            rxFree.offer(slots, 0, count);
            received += count;
        }
        return received;
    }

    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public int tx()
    {
        int sent = 0;
        while (sent < PACKETS)
        {
            final int count = txDone.poll(slots, 0, batch);
            for (int i = 0; i < count; i++)
            {
                metadata.frameLength(slots[i], FRAME_LENGTH);
            }
            txReady.offer(slots, 0, count);
            sent += count;
            driver.doWork();
        }
        return sent;
    }

    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public int forward()
    {
        int forwarded = 0;
        while (forwarded < PACKETS)
        {
            driver.doWork();
            int count = rxReady.poll(slots, 0, batch);
            txReady.offer(slots, 0, count);
            forwarded += count;
            count = txDone.poll(slots, 0, batch);
            rxFree.offer(slots, 0, count);
        }
        return forwarded;
    }

    /** What the card driver does on AttachQueueDriver, reduced to what the stub looks at. */
    static QueueAttacher attacher(final ImmediateDevice device)
    {
        return (queue, pid, token, ringSize, rxRingIova, txRingIova, txHeadWritebackIova) ->
        {
            device.write(Registers.rdbal(queue), (int)rxRingIova);
            device.write(Registers.rdbah(queue), (int)(rxRingIova >>> 32));
            device.write(Registers.rdlen(queue), ringSize * 16);
            device.write(Registers.tdbal(queue), (int)txRingIova);
            device.write(Registers.tdbah(queue), (int)(txRingIova >>> 32));
            device.write(Registers.tdlen(queue), ringSize * 16);
            device.write(Registers.rxdctl(queue), Registers.DCTL_ENABLE);
            device.write(Registers.txdctl(queue), Registers.DCTL_ENABLE);
        };
    }
}
