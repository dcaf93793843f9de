package io.nicq.sim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.agrona.concurrent.NanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Faults on what a card receives: frames a feeding wire delivers, through the injector, to the card's sink. */
class IngressFaultsTest
{
    private static final long MAC_A = 0x020000000001L;
    private static final long MAC_B = 0x020000000002L;

    private final Arena arena = Arena.ofConfined();
    private final FeedingWire peer = new FeedingWire(arena);
    private final List<Integer> received = new ArrayList<>();
    private final FrameSink card = (buffer, offset, length) -> received.add(buffer.get(ValueLayout.JAVA_INT_UNALIGNED
        .withOrder(java.nio.ByteOrder.BIG_ENDIAN), offset + 42));
    private long now = 1_000_000_000L;
    private final NanoClock clock = () -> now;

    @AfterEach
    void close()
    {
        arena.close();
    }

    private static byte[] frame(final int sequence)
    {
        final byte[] payload = new byte[32];
        ByteBuffer.wrap(payload).putInt(sequence);
        return Frames.udp(MAC_A, MAC_B, Frames.ip("10.9.0.2"), Frames.ip("10.9.0.1"), 5000, 4000, payload);
    }

    private WireFaults.Context faults(final long seed)
    {
        return new WireFaults.Context().seed(seed).clock(clock).reorderTimeoutNs(1_000_000);
    }

    @Test
    void everyReceivedFrameIsDroppedWhenTheProbabilityIsOne()
    {
        final IngressFaults ingress = new IngressFaults(peer, faults(1).dropProbability(1));
        for (int i = 0; i < 100; i++)
        {
            peer.feed(frame(i));
        }
        while (ingress.poll(card, 16) > 0)
        {
            // the wire delivers 16 at a time
        }
        assertEquals(List.of(), received, "nothing reached the card");
        assertEquals(100, ingress.faults().dropped());
        ingress.close();
    }

    @Test
    void lossDuplicationAndReorderingOfReceivedFramesAreCountedAndNothingElseChanges()
    {
        final int frames = 20_000;
        final IngressFaults ingress = new IngressFaults(peer, faults(2026).dropProbability(0.02)
            .duplicateProbability(0.01).reorderProbability(0.05));
        for (int i = 0; i < frames; i++)
        {
            peer.feed(frame(i));
            ingress.poll(card, 1);
        }
        now += 2_000_000;
        ingress.poll(card, 1); // the held frame, if any, goes at the reorder timeout
        final WireFaults counted = ingress.faults();
        assertEquals(frames - counted.dropped() + counted.duplicated(), received.size(), "each frame once, a " +
            "duplicate twice, a dropped one never");
        final Set<Integer> distinct = new HashSet<>(received);
        assertEquals(frames - counted.dropped(), distinct.size());
        int outOfOrder = 0;
        for (int i = 1; i < received.size(); i++)
        {
            if (received.get(i) < received.get(i - 1))
            {
                outOfOrder++;
            }
        }
        assertTrue(counted.dropped() > 300 && counted.dropped() < 500, "about 2% dropped: " + counted.dropped());
        assertTrue(counted.duplicated() > 100 && counted.duplicated() < 300, "about 1%: " + counted.duplicated());
        assertTrue(outOfOrder > 0 && counted.reordered() > 0, "some overtaken: " + counted.reordered());
        assertEquals(counted.reordered(), outOfOrder, "every reordered frame counted, and only those");
        ingress.close();
    }

    @Test
    void aHeldFrameWaitsForAPollOutsideWhichNothingIsDelivered()
    {
        final IngressFaults ingress = new IngressFaults(peer, faults(3).reorderProbability(1));
        peer.feed(frame(7));
        assertEquals(1, ingress.poll(card, 1), "the wire delivered one frame");
        assertEquals(List.of(), received, "held for reordering");
        ingress.housekeeping();
        assertEquals(List.of(), received, "not outside a poll");
        now += 2_000_000;
        ingress.poll(card, 1);
        assertEquals(List.of(7), received, "released into the next poll after the timeout");
        ingress.close();
    }

    /** A peer's wire: frames fed to it are what the card's poll receives, in order. */
    private static final class FeedingWire implements Wire
    {
        private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
        private final MemorySegment buffer;

        FeedingWire(final Arena arena)
        {
            this.buffer = arena.allocate(MAX_FRAME_LENGTH, 64);
        }

        void feed(final byte[] frame)
        {
            queue.add(frame);
        }

        public int send(final MemorySegment frame, final long offset, final int length)
        {
            return SENT;
        }

        public int poll(final FrameSink sink, final int limit)
        {
            int delivered = 0;
            while (delivered < limit && !queue.isEmpty())
            {
                final byte[] frame = queue.poll();
                MemorySegment.copy(frame, 0, buffer, ValueLayout.JAVA_BYTE, 0, frame.length);
                sink.onFrame(buffer, 0, frame.length);
                delivered++;
            }
            return delivered;
        }

        public boolean isConnected()
        {
            return true;
        }

        public String description()
        {
            return "a feeding wire";
        }

        public void close()
        {
        }
    }
}
