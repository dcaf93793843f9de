package io.nicq.queue;

import io.nicq.proto.channel.IndexRing;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.SlotMetadata;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/** The client side of a queue channel, as tests need it: a minimal stand-in for client-lib. */
final class TestClient implements AutoCloseable
{
    final QueueChannel channel;
    final SlotMetadata metadata;
    final ArrayDeque<Integer> free = new ArrayDeque<>();

    TestClient(final Path file)
    {
        channel = QueueChannel.open(file);
        metadata = channel.metadata();
        channel.header().attachClient(ProcessHandle.current().pid(), System.nanoTime());
    }

    void heartbeat()
    {
        channel.header().clientHeartbeatNs(System.nanoTime());
    }

    /** Takes every slot on txDone into the free list. */
    int collectTxDone()
    {
        int count = 0;
        final int[] slots = new int[64];
        int n;
        while ((n = channel.txDone().poll(slots, 0, slots.length)) > 0)
        {
            for (int i = 0; i < n; i++)
            {
                free.add(slots[i]);
            }
            count += n;
        }
        return count;
    }

    /** Writes a frame into a free slot and puts it on txReady; returns the slot, or -1 if no slot is free. */
    int send(final byte[] frame)
    {
        collectTxDone();
        final Integer slot = free.poll();
        if (slot == null)
        {
            return -1;
        }
        sendIn(slot, frame, frame.length);
        return slot;
    }

    /** Puts a frame into a given slot (owned or not: tests of bad input) and on txReady. */
    void sendIn(final int slot, final byte[] frame, final int length)
    {
        if (slot >= 0 && slot < channel.slotCount())
        {
            channel.pool().putBytes(QueueChannel.frameOffset(slot), frame, 0, Math.min(frame.length, 2048));
            metadata.clearTx(slot);
            metadata.frameLength(slot, length);
            metadata.txAppSendNs(slot, System.nanoTime());
            metadata.txEnqueuedNs(slot, System.nanoTime());
        }
        if (!channel.txReady().offer(slot))
        {
            throw new IllegalStateException("txReady is full");
        }
    }

    /** Every slot waiting on rxReady. */
    List<Integer> receive()
    {
        final List<Integer> slots = new ArrayList<>();
        int slot;
        while ((slot = channel.rxReady().poll()) != IndexRing.EMPTY)
        {
            metadata.rxAppNs(slot, System.nanoTime());
            slots.add(slot);
        }
        return slots;
    }

    byte[] frame(final int slot)
    {
        final byte[] bytes = new byte[metadata.frameLength(slot)];
        channel.pool().getBytes(QueueChannel.frameOffset(slot), bytes);
        return bytes;
    }

    /** Gives an RX slot back for refill. */
    void release(final int slot)
    {
        if (!channel.rxFree().offer(slot))
        {
            throw new IllegalStateException("rxFree is full");
        }
    }

    public void close()
    {
        channel.close();
    }
}
