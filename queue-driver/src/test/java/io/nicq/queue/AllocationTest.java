package io.nicq.queue;

import io.nicq.proto.channel.IndexRing;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.queue.stub.IdentityDmaAllocator;
import io.nicq.queue.stub.ImmediateDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The packet path allocates nothing: after warm-up, bytes allocated by this thread over a million forwarded packets
 * (RX, zero-copy echo, TX, reclaim, refill; the driver, the client's ring operations and the device stub all run on
 * this thread) must be zero.
 * <p>
 * The measurement itself ({@code getCurrentThreadAllocatedBytes}) allocates nothing, and the driver's own allocation
 * points (liveness messages, exceptions) are only reached when it stops. What the JIT could still add is a
 * deoptimisation and recompilation in the middle of the measured loop; the bound below tolerates one such event
 * (a few hundred bytes, i.e. under 0.001 bytes per packet) rather than fail on a JIT decision, and the figure is
 * printed so that any non-zero value is seen.
 */
class AllocationTest
{
    private static final int QUEUE = 5;
    private static final int BATCH = 32;

    @TempDir
    Path dir;

    @Test
    void forwardingAllocatesNothingPerPacket()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assertTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());

        final Path file = dir.resolve("q");
        final IdentityDmaAllocator dma = new IdentityDmaAllocator();
        final ImmediateDevice device = new ImmediateDevice(QUEUE);
        try (QueueChannel cardView = QueueChannel.create(file, QUEUE, 1024);
            QueueDriver driver = QueueDriver.start(new QueueDriver.Context()
                .bar(device)
                .dmaAllocator(dma)
                .queueId(QUEUE)
                .channelFile(file)
                .ringSize(512)
                .batchSize(BATCH)
                .queueAttacher(new RegisterQueueAttacher(device))
                .clientTimeoutNs(0)
                .clientAttachTimeoutNs(0));
            QueueChannel client = QueueChannel.open(file))
        {
            client.header().attachClient(ProcessHandle.current().pid(), System.nanoTime());
            final Forwarder forwarder = new Forwarder(driver, client);

            final long warmUpEnd = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() - warmUpEnd < 0)
            {
                forwarder.forward(100_000);
            }

            final long idle = threads.getCurrentThreadAllocatedBytes();
            final long baseline = threads.getCurrentThreadAllocatedBytes() - idle;

            final long before = threads.getCurrentThreadAllocatedBytes();
            final long packets = forwarder.forward(1_000_000);
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before - baseline;

            final double perPacket = (double)allocated / packets;
            System.out.printf("queue driver forwarding: %d packets, %d bytes allocated, %.6f bytes/packet%n",
                packets, allocated, perPacket);
            assertEquals(packets, cardView.header().counter(QueueChannelHeader.COUNTER_TX_PACKETS) -
                forwarder.sentBeforeMeasurement, 2L * BATCH, "every packet went round");
            assertTrue(perPacket < 0.001, allocated + " bytes over " + packets + " packets");
            assertEquals(0, cardView.header().counter(QueueChannelHeader.COUNTER_REJECTED_NOT_OWNED));
        }
        finally
        {
            dma.close();
        }
    }

    /** The client of a zero-copy echo: rxReady straight to txReady, txDone straight back to rxFree. */
    static final class Forwarder
    {
        private final QueueDriver driver;
        private final IndexRing rxReady;
        private final IndexRing rxFree;
        private final IndexRing txReady;
        private final IndexRing txDone;
        private final QueueChannelHeader header;
        private final int[] slots = new int[BATCH];
        long sentBeforeMeasurement;

        Forwarder(final QueueDriver driver, final QueueChannel client)
        {
            this.driver = driver;
            this.rxReady = client.rxReady();
            this.rxFree = client.rxFree();
            this.txReady = client.txReady();
            this.txDone = client.txDone();
            this.header = client.header();
        }

        long forward(final long packets)
        {
            sentBeforeMeasurement = header.counter(QueueChannelHeader.COUNTER_TX_PACKETS);
            long forwarded = 0;
            while (forwarded < packets)
            {
                driver.doWork();
                int count = rxReady.poll(slots, 0, BATCH);
                txReady.offer(slots, 0, count);
                forwarded += count;
                count = txDone.poll(slots, 0, BATCH);
                rxFree.offer(slots, 0, count);
            }
            return forwarded;
        }
    }
}
