package io.nicq.reliability;

import java.nio.file.Path;
import java.util.function.IntConsumer;

import io.nicq.proto.channel.IndexRing;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.QueueChannelHeader;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The application's end of a queue channel, written directly on the channel (not client-lib), so that a test can put
 * anything into the rings; it keeps the honest client's model of which slots it owns. Every slot the queue driver
 * hands over (rxReady, txDone) is checked against the model: a slot handed over twice without having been given back
 * would mean two owners of one buffer, the failure the channel's ownership rules exist to prevent.
 */
final class ChannelModel implements AutoCloseable
{
    final QueueChannel channel;
    final QueueChannelHeader header;
    final int slotCount;
    private final boolean[] owned;
    private int ownedCount;
    private final int[] batch;
    private final Thread heartbeats;
    private boolean closed;

    /**
     * Maps the channel and attaches as its client; a daemon thread keeps the client heartbeat fresh (the queue driver
     * stops serving a client silent for 5 s), so long checks in a test never cost the queue.
     */
    ChannelModel(final String path)
    {
        channel = QueueChannel.open(Path.of(path));
        header = channel.header();
        slotCount = channel.slotCount();
        owned = new boolean[slotCount];
        batch = new int[slotCount];
        header.attachClient(ProcessHandle.current().pid(), System.nanoTime());
        heartbeats = new Thread(() ->
        {
            while (!Thread.currentThread().isInterrupted() && heartbeat())
            {
                try
                {
                    Thread.sleep(100);
                }
                catch (final InterruptedException ex)
                {
                    return;
                }
            }
        }, "channel-heartbeat");
        heartbeats.setDaemon(true);
        heartbeats.start();
    }

    /** Writes the client heartbeat; false once closed (the mapping is gone). */
    synchronized boolean heartbeat()
    {
        if (closed)
        {
            return false;
        }
        header.clientHeartbeatNs(System.nanoTime());
        return true;
    }

    boolean owns(final int slot)
    {
        return slot >= 0 && slot < slotCount && owned[slot];
    }

    int ownedCount()
    {
        return ownedCount;
    }

    /** A slot this client owns, the {@code n}-th in index order (n modulo the owned count), or -1. */
    int ownedSlot(final int n)
    {
        if (ownedCount == 0)
        {
            return -1;
        }
        int skip = Math.floorMod(n, ownedCount);
        for (int slot = 0; slot < slotCount; slot++)
        {
            if (owned[slot] && skip-- == 0)
            {
                return slot;
            }
        }
        throw new IllegalStateException("owned count out of step");
    }

    /** A slot this client does not own, the {@code n}-th such (modulo), or -1. */
    int unownedSlot(final int n)
    {
        final int unowned = slotCount - ownedCount;
        if (unowned == 0)
        {
            return -1;
        }
        int skip = Math.floorMod(n, unowned);
        for (int slot = 0; slot < slotCount; slot++)
        {
            if (!owned[slot] && skip-- == 0)
            {
                return slot;
            }
        }
        throw new IllegalStateException("owned count out of step");
    }

    /** The client gives a slot away (on txReady or rxFree) as an honest client would: it no longer owns it. */
    void give(final int slot)
    {
        assertTrue(owned[slot], "the client gives only what it owns (slot " + slot + ")");
        owned[slot] = false;
        ownedCount--;
    }

    /** Takes slots back from txDone; each must be one the client does not own. */
    int drainTxDone(final IntConsumer onSlot)
    {
        return drain(channel.txDone(), "txDone", onSlot);
    }

    /** Takes received frames from rxReady; each slot must be one the client does not own. */
    int drainRxReady(final IntConsumer onSlot)
    {
        return drain(channel.rxReady(), "rxReady", onSlot);
    }

    private int drain(final IndexRing ring, final String name, final IntConsumer onSlot)
    {
        final int count = ring.poll(batch, 0, batch.length);
        for (int i = 0; i < count; i++)
        {
            final int slot = batch[i];
            if (slot < 0 || slot >= slotCount)
            {
                fail("the queue driver handed out slot " + slot + " on " + name + ", outside [0, " + slotCount + ")");
            }
            assertFalse(owned[slot], "the queue driver handed slot " + slot + " to the client on " + name +
                " while the client already owned it: two owners of one buffer");
            owned[slot] = true;
            ownedCount++;
            onSlot.accept(slot);
        }
        return count;
    }

    long counter(final int counter)
    {
        return header.counter(counter);
    }

    public void close()
    {
        heartbeats.interrupt();
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            closed = true;
            header.detachClient();
            channel.close();
        }
    }
}
