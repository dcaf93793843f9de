package io.nicq.reliability;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.nicq.card.ControlSession;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.proto.CardDriverProxy;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.proto.sbe.RequestedService;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client that stops reading: its queue fills, the card drops its frames and counts them (per queue, and in the card
 * driver's counters), and nothing else changes: another client on the same card receives every one of its frames, in
 * order, none of anybody else's, while the stalled one is flooded. When the stalled client reads again it finds the
 * frames that were queued for it, intact and in order.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SlowReaderTest
{
    private static final int RING = 64;
    private static final int SLOTS = 256;
    private static final int STALLED_PORT = 6001;
    private static final int READER_PORT = 6002;
    private static final long STALLED_TAG = 0xA;
    private static final long READER_TAG = 0xB;

    private Path root;
    private EmbeddedInstance instance;
    private ControlSession stalledSession;
    private ControlSession readerSession;
    private ChannelModel stalled;
    private ChannelModel reader;

    @BeforeEach
    void start()
    {
        root = TestDirs.create("slow-reader");
        instance = EmbeddedInstance.start(root, "slow",
            ctx -> EmbeddedInstance.rxReadyClients(ctx.statsIntervalNs(TimeUnit.MILLISECONDS.toNanos(20))));
        stalledSession = new ControlSession(instance.aeronDir()).startHeartbeats(200);
        readerSession = new ControlSession(instance.aeronDir()).startHeartbeats(200);
    }

    @AfterEach
    void stop()
    {
        CloseHelper.quietCloseAll(stalled, reader, stalledSession, readerSession, instance);
        TestDirs.delete(root);
    }

    @Test
    void aClientThatStopsReadingLosesOnlyItsOwnFramesCountedAndOthersLoseNothing()
    {
        stalledSession.connect("stalled");
        readerSession.connect("reader");
        final CardDriverProxy.QueueGranted stalledQueue =
            stalledSession.requestQueue(RING, SLOTS, RequestedService.SERVED);
        final CardDriverProxy.QueueGranted readerQueue =
            readerSession.requestQueue(RING, SLOTS, RequestedService.SERVED);
        stalledSession.registerUdp(stalledQueue.queueId(), STALLED_PORT);
        readerSession.registerUdp(readerQueue.queueId(), READER_PORT);
        stalled = new ChannelModel(stalledQueue.channelPath());
        reader = new ChannelModel(readerQueue.channelPath());

        final long frames = Figures.bound("nicq.slowreader.frames", 5_000);
        final long cardMac = instance.cardMac();
        final List<Long> readerSequences = new ArrayList<>();
        final long start = System.nanoTime();
        for (long sequence = 0; sequence < frames; sequence++)
        {
            final byte[] toStalled = Traffic.udp(cardMac, EmbeddedInstance.CARD_IP, STALLED_PORT, STALLED_TAG,
                sequence);
            final byte[] toReader = Traffic.udp(cardMac, EmbeddedInstance.CARD_IP, READER_PORT, READER_TAG,
                sequence);
            Await.until(() -> instance.wire().inject(toStalled), 5_000, "the card takes the frame");
            Await.until(() -> instance.wire().inject(toReader), 5_000, "the card takes the frame");
            // The reader keeps up: at most 16 frames outstanding, and the slots it gave back reposted by its queue
            // driver (which idles up to 1 ms between polls) before more come, so its 63 RX buffers never run out.
            // The stalled client never looks.
            final long sent = sequence + 1;
            if (sent - readerSequences.size() >= 16 || sent == frames)
            {
                Await.until(() ->
                {
                    drainInto(reader, READER_TAG, readerSequences);
                    return readerSequences.size() >= sent && reader.channel.rxFree().size() == 0;
                }, 10_000, 1, () -> "the reader keeps receiving (" + readerSequences.size() + " of " + sent +
                    "; card: frames " + instance.status(SimulatedCardFiles.rxQueueFramesOffset(readerQueue.queueId())) +
                    ", drops " + instance.status(SimulatedCardFiles.rxQueueDropsOffset(readerQueue.queueId())) +
                    "; queue driver rx-packets " + reader.counter(QueueChannelHeader.COUNTER_RX_PACKETS) +
                    ", rx-errors " + reader.counter(QueueChannelHeader.COUNTER_RX_ERRORS) + ", starved " +
                    reader.counter(QueueChannelHeader.COUNTER_RX_STARVED) + ", client-ring-full " +
                    reader.counter(QueueChannelHeader.COUNTER_CLIENT_RING_FULL) + ", rejected " +
                    reader.counter(QueueChannelHeader.COUNTER_REJECTED_INDEX) + "/" +
                    reader.counter(QueueChannelHeader.COUNTER_REJECTED_NOT_OWNED) + "; missing " +
                    missing(readerSequences) + ")");
            }
        }
        final double seconds = (System.nanoTime() - start) / 1e9;

        for (int i = 0; i < readerSequences.size(); i++)
        {
            assertEquals(i, readerSequences.get(i), "the reader got its frames in order, no gap, nothing foreign");
        }
        assertEquals(frames, readerSequences.size(), "the reader lost nothing");
        assertEquals(0, instance.status(SimulatedCardFiles.rxQueueDropsOffset(readerQueue.queueId())),
            "the card dropped nothing of the reader's");

        // The stalled queue holds what its RX ring held (ring - 1 buffers); the card dropped and counted the rest.
        final long held = RING - 1;
        final long dropped = instance.status(SimulatedCardFiles.rxQueueDropsOffset(stalledQueue.queueId()));
        assertEquals(frames - held, dropped, "the card counts every frame of the stalled queue it could not place");
        final String dropsLabel = "queue " + stalledQueue.queueId() + " rx drops, no descriptor";
        Await.until(() -> instance.counterStartingWith(dropsLabel) == frames - held, 5_000,
            "the card driver's counters show the stalled queue's drops");
        assertTrue(stalled.header.counter(QueueChannelHeader.COUNTER_RX_STARVED) > 0,
            "the stalled queue's driver counts that it ran out of buffers");

        // Reading again: exactly the frames queued for it, in order, then new frames flow.
        final List<Long> stalledSequences = new ArrayList<>();
        drainInto(stalled, STALLED_TAG, stalledSequences);
        assertEquals(held, stalledSequences.size(), "the stalled client finds the frames queued for it");
        for (int i = 0; i < stalledSequences.size(); i++)
        {
            assertEquals(i, stalledSequences.get(i), "queued frames intact and in order");
        }
        Figures.record(SlowReaderTest.class.getSimpleName(), "frames per client, card drops of the stalled queue, " +
            "reader's losses", frames + ", " + dropped + " (counted), 0 (" + String.format("%.0f", 2 * frames /
            seconds) + " frames/s injected)");
    }

    private static List<Long> missing(final List<Long> sequences)
    {
        final List<Long> missing = new ArrayList<>();
        final java.util.Set<Long> seen = new java.util.HashSet<>(sequences);
        for (long s = 0; s < sequences.size() + 1 && missing.size() < 10; s++)
        {
            if (!seen.contains(s))
            {
                missing.add(s);
            }
        }
        return missing;
    }

    /** Takes received frames, checks they are the client's own, records their sequence and gives the slots back. */
    private static void drainInto(final ChannelModel client, final long tag, final List<Long> sequences)
    {
        final List<Integer> slots = new ArrayList<>();
        client.drainRxReady(slot ->
        {
            final int length = client.channel.metadata().frameLength(slot);
            final byte[] frame = new byte[length];
            client.channel.pool().getBytes(QueueChannel.frameOffset(slot), frame);
            assertTrue(Traffic.isTraffic(frame, Traffic.PAYLOAD_OFFSET), "a test datagram");
            assertEquals(tag, Traffic.tag(frame, Traffic.PAYLOAD_OFFSET), "a frame of this client's flow only");
            sequences.add(Traffic.sequence(frame, Traffic.PAYLOAD_OFFSET));
            slots.add(slot);
        });
        for (final int slot : slots)
        {
            client.give(slot);
            assertTrue(client.channel.rxFree().offer(slot), "rxFree takes the slot back");
        }
    }
}
