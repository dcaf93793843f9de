package io.nicq.reliability;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.nicq.card.ControlSession;
import io.nicq.ixgbe.Registers;
import io.nicq.proto.CardDriverProxy;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.proto.channel.SlotMetadata;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.RequestedService;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Everything used up at once: all 127 client queues, all 128 5-tuple filters, a full TX ring and an empty pool. Each
 * limit is refused with its own error code and a sentence, to the client at the limit and to everyone else, nothing
 * breaks, and what is given back is reusable at once.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExhaustionTest
{
    private Path root;
    private EmbeddedInstance instance;
    private ControlSession a;
    private ControlSession b;

    @BeforeEach
    void start()
    {
        root = TestDirs.create("exhaustion");
        // UDP port filters have no flow director filters (it holds connections); software filters off, so the 129th
        // is refused rather than matched in software.
        instance = EmbeddedInstance.start(root, "full",
            ctx -> EmbeddedInstance.rxReadyClients(ctx.softwareFilterLimit(0)));
        a = new ControlSession(instance.aeronDir()).startHeartbeats(200);
        b = new ControlSession(instance.aeronDir()).startHeartbeats(200);
        a.connect("hog");
        b.connect("latecomer");
    }

    @AfterEach
    void stop()
    {
        CloseHelper.quietCloseAll(a, b, instance);
        TestDirs.delete(root);
    }

    @Test
    void all127QueuesThenNoQueueForAnyoneAndAReleasedOneIsReusableAtOnce()
    {
        // INLINE queues have no queue driver until their owner attaches one: 127 of them cost only channel files.
        final Set<Integer> ids = new HashSet<>();
        for (int i = 0; i < 127; i++)
        {
            ids.add(a.requestQueue(8, 8, RequestedService.INLINE).queueId());
        }
        assertEquals(127, ids.size(), "127 distinct queues");
        assertFalse(ids.contains(0), "queue 0 is the card driver's");
        final String full =
            ControlSession.refused(ErrorCode.NO_QUEUE, () -> a.requestQueue(8, 8, RequestedService.INLINE));
        assertTrue(full.contains("127"), "the refusal says how many: " + full);
        ControlSession.refused(ErrorCode.NO_QUEUE, () -> b.requestQueue(64, 128, RequestedService.SERVED));
        assertEquals(128, instance.counter("queues in use (queue 0 included)"), "every queue in use");

        a.releaseQueue(64);
        final CardDriverProxy.QueueGranted reused = b.requestQueue(64, 128, RequestedService.SERVED);
        assertEquals(64, reused.queueId(), "the released queue is granted again at once (lowest free)");
        assertEquals(QueueChannelHeader.STATE_ACTIVE, stateOf(reused.channelPath()), "and served");

        a.disconnect();
        Await.until(() -> instance.counter("queues in use (queue 0 included)") == 2, 5_000,
            "the hog's 126 queues are released on Disconnect");
        assertEquals(List.of("0", "64"), queueFiles(), "only queue 0 and the latecomer's channel files remain");
        Figures.record(ExhaustionTest.class.getSimpleName(), "queues", "127 granted, 128th refused NO_QUEUE (\"" +
            full + "\"), released one reusable at once");
    }

    @Test
    void all128FiltersThenNoFilterSlotForAnyoneAndAFreedSlotIsReusableAtOnce()
    {
        final CardDriverProxy.QueueGranted qa = a.requestQueue(64, 128, RequestedService.SERVED);
        final CardDriverProxy.QueueGranted qb = b.requestQueue(64, 128, RequestedService.SERVED);
        final List<CardDriverProxy.FilterRegistered> filters = new ArrayList<>();
        final Set<Integer> slots = new HashSet<>();
        for (int i = 0; i < 128; i++)
        {
            final CardDriverProxy.FilterRegistered filter = a.registerUdp(qa.queueId(), 1000 + i);
            filters.add(filter);
            slots.add(filter.hardwareIndex());
        }
        assertEquals(128, slots.size(), "128 distinct hardware filters");
        final String full = ControlSession.refused(ErrorCode.NO_FILTER_SLOT, () -> a.registerUdp(qa.queueId(), 2000));
        assertTrue(full.contains("128 of 128"), "the refusal says why: " + full);
        ControlSession.refused(ErrorCode.NO_FILTER_SLOT, () -> b.registerUdp(qb.queueId(), 2001));

        final CardDriverProxy.FilterRegistered freed = filters.get(77);
        a.deregisterFilter(freed.filterId());
        assertEquals(0, instance.nic.bar().read(Registers.ftqf(freed.hardwareIndex())), "its hardware slot cleared");
        final CardDriverProxy.FilterRegistered taken = b.registerUdp(qb.queueId(), 2001);
        assertEquals(freed.hardwareIndex(), taken.hardwareIndex(), "the freed hardware slot is reused at once");

        // With every filter in use, frames still go where their filters say: the latecomer's port to its queue.
        try (ChannelModel channel = new ChannelModel(qb.channelPath()))
        {
            final byte[] frame = Traffic.udp(instance.cardMac(), EmbeddedInstance.CARD_IP, 2001, 7, 1);
            Await.until(() -> instance.wire().inject(frame), 5_000, "the card takes the frame");
            final int[] received = {0};
            Await.until(() -> channel.drainRxReady(slot -> received[0]++) > 0 || received[0] > 0, 5_000,
                "the frame for the latecomer's port reaches its queue");
        }

        a.disconnect();
        Await.until(() -> instance.counter("filters in use") == 1, 5_000, "the hog's 127 filters are removed");
        int programmed = 0;
        for (int i = 0; i < Registers.FIVE_TUPLE_FILTER_COUNT; i++)
        {
            programmed += instance.nic.bar().read(Registers.ftqf(i)) != 0 ? 1 : 0;
        }
        assertEquals(1, programmed, "exactly one 5-tuple filter left in the card");
        Figures.record(ExhaustionTest.class.getSimpleName(), "filters", "128 registered, 129th refused " +
            "NO_FILTER_SLOT (\"" + full + "\"), freed slot reused at once");
    }

    @Test
    void aFullTxRingWaitsAndCountsAndAnEmptyPoolRefusesNothingElse()
    {
        // Ring of 8 descriptors (7 in flight), 64 slots: the client queues 40 frames at once.
        final CardDriverProxy.QueueGranted granted = a.requestQueue(8, 64, RequestedService.SERVED);
        try (ChannelModel channel = new ChannelModel(granted.channelPath()))
        {
            final int initial = 64 - Math.min(8 - 1, 64 / 2);
            Await.until(() -> channel.drainTxDone(slot -> { }) >= 0 && channel.ownedCount() == initial, 5_000,
                "the client holds its " + initial + " TX slots");
            final int frames = 40;
            final int[] batch = new int[frames];
            for (int i = 0; i < frames; i++)
            {
                final int slot = channel.ownedSlot(0);
                final byte[] frame = new byte[64];
                Traffic.putLong(frame, 0, i);
                channel.channel.pool().putBytes(QueueChannel.frameOffset(slot), frame);
                channel.channel.metadata().frameLengthAndFlags(slot, frame.length, 0);
                channel.give(slot);
                batch[i] = slot;
            }
            assertEquals(frames, channel.channel.txReady().offer(batch, 0, frames), "txReady takes all 40");

            final List<Long> order = new ArrayList<>();
            Await.until(() ->
            {
                instance.wire().drainTransmitted((buffer, offset, length) ->
                    order.add(buffer.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(
                        java.nio.ByteOrder.LITTLE_ENDIAN), offset)), 64);
                channel.drainTxDone(slot -> assertEquals(0, channel.channel.metadata().flags(slot) &
                    SlotMetadata.FLAG_TX_REJECTED_LENGTH, "sent, not rejected"));
                return order.size() == frames && channel.ownedCount() == initial;
            }, 10_000, 1, () -> "all 40 frames sent through the 8-descriptor ring (" + order.size() + ")");
            for (int i = 0; i < frames; i++)
            {
                assertEquals(i, order.get(i), "frames leave in the order they were queued");
            }
            assertTrue(channel.counter(QueueChannelHeader.COUNTER_TX_RING_FULL) > 0,
                "the queue driver counts that frames waited for the ring");

            // An empty pool: the client has given every slot away for RX; sending is then impossible locally and
            // receiving goes on (the card drops and counts only when the RX buffers run out too).
            final int[] all = new int[channel.ownedCount()];
            for (int i = 0; i < all.length; i++)
            {
                all[i] = channel.ownedSlot(0);
                channel.give(all[i]);
            }
            assertEquals(all.length, channel.channel.rxFree().offer(all, 0, all.length), "rxFree takes the pool");
            assertEquals(0, channel.ownedCount(), "no slot left to send from");
            Figures.record(ExhaustionTest.class.getSimpleName(), "full TX ring", frames + " frames through an " +
                "8-descriptor ring, in order, tx-ring-full counted " +
                channel.counter(QueueChannelHeader.COUNTER_TX_RING_FULL) + " times");
        }
    }

    private List<String> queueFiles()
    {
        try (var list = Files.list(instance.paths().queuesDir()))
        {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    private static int stateOf(final String channelPath)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        try (QueueChannel channel = QueueChannel.open(Path.of(channelPath)))
        {
            while (channel.header().state() == QueueChannelHeader.STATE_INITIALISING && System.nanoTime() < deadline)
            {
                Await.sleep(1);
            }
            return channel.header().state();
        }
    }
}
