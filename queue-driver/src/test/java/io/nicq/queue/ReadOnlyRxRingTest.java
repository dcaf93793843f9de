package io.nicq.queue;

import io.nicq.ixgbe.RxDescriptor;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.QueueChannelLayout;
import io.nicq.queue.stub.IdentityDmaAllocator;
import io.nicq.runtime.ChildJvm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.nicq.proto.channel.QueueChannelHeader.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The queue driver's side of a read-only RX descriptor ring: the frames reach the client through the ring and never
 * through rxReady; the client's consumer position is taken forward only and never past a descriptor the driver reads
 * as done (anything else refused and counted, the queue unharmed); slots given back are checked as ever; the slots of
 * dropped descriptors come back to the driver by the rule both sides apply.
 */
class ReadOnlyRxRingTest
{
    private static final int QUEUE = 2;
    private static final int SLOTS = 64;
    private static final int RING = 32;

    @TempDir
    Path dir;

    private IdentityDmaAllocator dma;
    private StubDevice device;
    private QueueChannel cardView;
    private QueueDriver driver;
    private TestClient client;
    private RxRingFile ring;
    private long position;
    private boolean discarding;

    @BeforeEach
    void setUp() throws Exception
    {
        Files.createDirectories(dir.resolve("dma"));
        dma = new IdentityDmaAllocator(dir.resolve("dma"));
        device = new StubDevice(dma);
        final Path file = dir.resolve("queues").resolve(Integer.toString(QUEUE));
        cardView = QueueChannel.create(file, QUEUE, SLOTS);
        driver = QueueDriver.start(new QueueDriver.Context()
            .bar(device)
            .dmaAllocator(dma)
            .queueId(QUEUE)
            .channelFile(file)
            .ringSize(RING)
            .batchSize(8)
            .idleStrategyName("sleep")
            .queueAttacher(new RegisterQueueAttacher(device))
            .clientAttachTimeoutNs(0)
            .readOnlyRxRing(true));
        client = new TestClient(file);
        assertEquals(RING, client.channel.header().rxRingSize());
        ring = RxRingFile.openReadOnly(Path.of(client.channel.header().rxRingPath()), RING);
    }

    @AfterEach
    void tearDown()
    {
        ring.close();
        client.close();
        driver.close();
        cardView.close();
        dma.close();
    }

    private void run(final int rounds)
    {
        for (int i = 0; i < rounds; i++)
        {
            driver.doWork();
        }
    }

    private long counter(final int counter)
    {
        return cardView.header().counter(counter);
    }

    /** The client's reading of the ring, as client-lib does it: the frames it takes, then its position published. */
    private List<Integer> take()
    {
        final List<Integer> slots = new ArrayList<>();
        final long posted = ring.posted();
        while (position < posted)
        {
            final int index = (int)(position % RING);
            final int status = RxDescriptor.statusError(ring.descriptors(), index);
            if ((status & RxDescriptor.STATUS_DD) == 0)
            {
                break;
            }
            final int length = RxDescriptor.length(ring.descriptors(), index);
            if (RxDescriptor.isDeliverable(status, length, discarding, QueueChannelLayout.SLOT_SIZE))
            {
                final int slot = ring.slotAt(index);
                client.metadata.frameLength(slot, length);
                slots.add(slot);
            }
            discarding = RxDescriptor.continuesFrame(status);
            position++;
        }
        client.channel.header().rxConsumerPosition(position);
        return slots;
    }

    @Test
    void framesReachTheClientThroughTheRingAndNeverThroughRxReady()
    {
        final int[] seen = new int[SLOTS];
        for (int round = 0; round < 20; round++)
        {
            for (int i = 0; i < 8; i++)
            {
                assertTrue(device.inject(QUEUE, QueueDriverTest.frame(round * 8 + i, 60 + i)), "round " + round);
            }
            run(1);
            final List<Integer> slots = take();
            assertEquals(8, slots.size(), "round " + round);
            for (int i = 0; i < 8; i++)
            {
                assertArrayEquals(QueueDriverTest.frame(round * 8 + i, 60 + i), client.frame(slots.get(i)));
                seen[slots.get(i)]++;
            }
            run(1);
            slots.forEach(client::release);
            run(2);
        }
        assertEquals(0, client.channel.rxReady().producerPosition(), "the driver published no frame on rxReady");
        assertEquals(160, counter(COUNTER_RX_PACKETS));
        assertEquals(160, counter(COUNTER_RX_DIRECT));
        assertEquals(8L * (60 + 67) / 2 * 20, counter(COUNTER_RX_BYTES));
        assertEquals(0, counter(COUNTER_REJECTED_NOT_OWNED) + counter(COUNTER_REJECTED_INDEX) +
            counter(COUNTER_REJECTED_RX_CONSUMER));
        assertEquals(RING - 1, driver.rxPosted(), "every slot given back is posted again: the ring wrapped 5 times");
    }

    @Test
    void aSlotGivenBackBeforeTheDriverTookThePositionIsTheClients()
    {
        assertTrue(device.inject(QUEUE, QueueDriverTest.frame(1, 64)));
        run(1);
        final int slot = take().get(0);
        client.release(slot);
        run(1);
        assertEquals(0, counter(COUNTER_REJECTED_NOT_OWNED));
        assertEquals(1, counter(COUNTER_RX_DIRECT));
        assertEquals(RING - 1, driver.rxPosted());
    }

    @Test
    void aConsumerPositionBackwardsOrPastWhatIsDoneIsRefusedCountedAndChangesNothing()
    {
        for (int i = 0; i < 4; i++)
        {
            assertTrue(device.inject(QUEUE, QueueDriverTest.frame(i, 64)));
        }
        run(1);
        final int postedBefore = driver.rxPosted();

        client.channel.header().rxConsumerPosition(5);
        run(3);
        assertEquals(1, counter(COUNTER_REJECTED_RX_CONSUMER), "past the last done descriptor: counted once");
        assertEquals(postedBefore, driver.rxPosted());
        assertEquals(0, counter(COUNTER_RX_PACKETS));

        client.channel.header().rxConsumerPosition(RING + 3);
        run(1);
        assertEquals(2, counter(COUNTER_REJECTED_RX_CONSUMER), "beyond the whole ring");

        client.channel.header().rxConsumerPosition(-1);
        run(1);
        assertEquals(3, counter(COUNTER_REJECTED_RX_CONSUMER), "backwards from 0");

        final List<Integer> first = take().subList(0, 2);
        assertEquals(4, position);
        client.channel.header().rxConsumerPosition(2);
        run(1);
        assertEquals(2, counter(COUNTER_RX_PACKETS), "a valid position is taken after refusals");

        client.channel.header().rxConsumerPosition(1);
        run(1);
        assertEquals(4, counter(COUNTER_REJECTED_RX_CONSUMER), "backwards");
        assertEquals(2, counter(COUNTER_RX_PACKETS));

        client.channel.header().rxConsumerPosition(4);
        run(1);
        assertEquals(4, counter(COUNTER_RX_PACKETS));
        assertEquals(4, counter(COUNTER_REJECTED_RX_CONSUMER));

        // The queue works on: slots come back, are posted again, and new frames arrive.
        first.forEach(client::release);
        run(2);
        assertEquals(0, counter(COUNTER_REJECTED_NOT_OWNED));
        assertTrue(device.inject(QUEUE, QueueDriverTest.frame(9, 99)));
        run(1);
        final List<Integer> next = take();
        assertEquals(1, next.size());
        assertArrayEquals(QueueDriverTest.frame(9, 99), client.frame(next.get(0)));
        run(1);
        assertEquals(5, counter(COUNTER_RX_DIRECT));
    }

    @Test
    void forgedSlotsHandedBackAreRefusedAndCounted()
    {
        assertTrue(device.inject(QUEUE, QueueDriverTest.frame(1, 64)));
        assertTrue(device.inject(QUEUE, QueueDriverTest.frame(2, 64)));
        run(1);
        final int slot = take().get(0);
        run(1);

        client.release(SLOTS + 7);
        run(1);
        assertEquals(1, counter(COUNTER_REJECTED_INDEX));

        final int stillPosted = ring.slotAt((int)(position % RING));
        client.release(stillPosted);
        run(1);
        assertEquals(1, counter(COUNTER_REJECTED_NOT_OWNED), "a slot still on the ring, never consumed");

        client.release(slot);
        client.release(slot);
        run(1);
        assertEquals(2, counter(COUNTER_REJECTED_NOT_OWNED), "the same slot twice");
        assertEquals(RING - 2, driver.rxPosted(), "the slot given back once is posted, the other frame is lent");
        assertEquals(0, device.dmaFaults);
    }

    @Test
    void droppedDescriptorsComeBackToTheDriverByTheSameRule()
    {
        final int spares = driver.spareSlots();
        assertTrue(device.inject(QUEUE, QueueDriverTest.frame(1, 64), 64,
            RxDescriptor.STATUS_DD | RxDescriptor.STATUS_EOP | RxDescriptor.ERROR_RXE));
        assertTrue(device.inject(QUEUE, QueueDriverTest.frame(2, 64), 64, RxDescriptor.STATUS_DD));
        assertTrue(device.inject(QUEUE, QueueDriverTest.frame(3, 64), 64,
            RxDescriptor.STATUS_DD | RxDescriptor.STATUS_EOP));
        assertTrue(device.inject(QUEUE, QueueDriverTest.frame(4, 80)));
        run(1);
        final List<Integer> slots = take();
        assertEquals(1, slots.size(), "an RXE frame and a two-descriptor frame are dropped");
        assertArrayEquals(QueueDriverTest.frame(4, 80), client.frame(slots.get(0)));
        run(1);
        assertEquals(3, counter(COUNTER_RX_ERRORS));
        assertEquals(1, counter(COUNTER_RX_DIRECT));
        assertEquals(RING - 2, driver.rxPosted(), "the dropped buffers were posted again at once, the frame's is lent");
        assertTrue(driver.spareSlots() <= spares);
    }

    @Test
    void theClientsMappingIsReadOnly() throws Exception
    {
        assertTrue(ring.segment().isReadOnly());
        assertThrows(IllegalArgumentException.class,
            () -> ring.segment().set(ValueLayout.JAVA_INT, RxDescriptor.STATUS_ERROR_OFFSET, RxDescriptor.STATUS_DD));
        final String maps = Files.readString(Path.of("/proc/self/maps"));
        final String path = client.channel.header().rxRingPath();
        String line = null;
        for (final String candidate : maps.split("\n"))
        {
            if (candidate.endsWith(path) && candidate.contains(Long.toHexString(ring.segment().address()) + "-"))
            {
                line = candidate;
            }
        }
        assertNotNull(line, "the client's mapping of " + path + " in /proc/self/maps");
        assertEquals("r--s", line.split(" ")[1], "mapped shared and read-only: " + line);
    }

    @Test
    void aStoreThroughTheClientsMappingFaultsInAChildJvm() throws Exception
    {
        final int statusBefore = RxDescriptor.statusError(ring.descriptors(), 0);
        final Path log = dir.resolve("ring-writer.log");
        final List<String> command = ChildJvm.command(List.of("-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"),
            "-XX:-CreateCoredumpOnCrash", "--enable-native-access=ALL-UNNAMED"), RingWriter.class.getName(),
            List.of(client.channel.header().rxRingPath(), Integer.toString(RING)));
        final Process child = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child JVM ended");
        final String output = Files.readString(log);
        assertTrue(output.contains("mapped true"), output);
        assertFalse(output.contains("stored"), "the store went through: " + output);
        assertNotEquals(0, child.exitValue(), output);
        assertTrue(output.contains("SIGSEGV"), "the store faulted: " + output);
        assertEquals(statusBefore, RxDescriptor.statusError(ring.descriptors(), 0), "the descriptor is untouched");
    }

    @Test
    void withoutAFileBackedAllocatorTheRingStaysPrivate()
    {
        final IdentityDmaAllocator anonymous = new IdentityDmaAllocator();
        final StubDevice other = new StubDevice(anonymous);
        final Path file = dir.resolve("queues").resolve("3");
        try (QueueChannel view = QueueChannel.create(file, 3, SLOTS);
            QueueDriver plain = QueueDriver.start(new QueueDriver.Context().bar(other).dmaAllocator(anonymous)
                .queueId(3).channelFile(file).ringSize(RING).queueAttacher(new RegisterQueueAttacher(other))
                .clientAttachTimeoutNs(0).readOnlyRxRing(true)))
        {
            assertEquals(0, view.header().rxRingSize());
            assertNull(view.header().rxRingPath());
            assertNotNull(plain);
        }
        finally
        {
            anonymous.close();
        }
    }
}
