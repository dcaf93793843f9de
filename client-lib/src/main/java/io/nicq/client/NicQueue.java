package io.nicq.client;

import io.nicq.ixgbe.Nic;
import io.nicq.proto.channel.ChannelEndpoint;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.proto.channel.QueueChannelLayout;
import io.nicq.proto.channel.SlotMetadata;
import io.nicq.queue.QueueDriver;
import io.nicq.runtime.AdaptiveIdleStrategy;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.IdleStrategy;

/**
 * The application's end of one hardware queue: the packet API over the queue channel, zero copy. Obtained from
 * {@link NicClient#requestQueue}. The slot ownership protocol itself, with the client's table of slot owners, is
 * control-proto's {@link ChannelEndpoint}; this class adds handlers, latency recording, the inline queue driver and
 * the queue's lifecycle.
 * <pre>
 *   receive   poll(handler)       rxReady -&gt; handler(frame) -&gt; back to the queue when the handler returns
 *   echo      frame.send(length)  the received slot itself goes out on txReady (zero copy)
 *   transmit  tryClaim() -&gt; write buffer() at frameOffset(slot) -&gt; send(slot, length) ... flush()
 *   complete  txDone -&gt; txCompletionHandler(frame) (TX timestamps filled in) -&gt; slot free again
 * </pre>
 * <b>Slots.</b> The queue driver hands out slots on txDone. The client keeps up to a TX reserve of free slots for
 * {@link #tryClaim()} and gives every other slot back on rxFree, so that the driver can keep the RX ring filled:
 * received slots when the application is done with them, sent slots once their transmission completed. A slot index
 * or state that breaks the protocol (from either side) never corrupts the bookkeeping: from the driver it is ignored
 * and counted ({@link #driverProtocolErrors()}), from the application it is an {@link IllegalStateException}.
 * <p>
 * <b>Batches.</b> {@link #send} queues a frame; {@link #flush()} publishes what is queued, and every {@link #poll}
 * ends with one. Layers above (the {@code io.nicq.client.iface} interface) decide when they flush.
 * <p>
 * <b>Timestamps.</b> The client stamps "app received" (one reading per batch), "app send" ({@link #send}) and
 * "client enqueued" ({@link #flush()}); the driver and the device fill in the others. With a
 * {@link #latencyRecorder(LatencyRecorder) recorder} every phase is recorded without allocation.
 * <p>
 * <b>Inline mode.</b> The queue driver runs in the application's thread, to completion: {@link #poll} and
 * {@link #tryClaim} run a round of its {@code doWork()}, and whatever a flush publishes (a {@link #flush()}, or the
 * end of a poll whose handlers sent) goes through its transmit half at once, so a frame is on the descriptor ring with
 * the doorbell rung when the call returns: no thread hop, and no wait for the next round.
 * <p>
 * <b>Threads.</b> One thread uses a queue (poll, claim, send, flush, release, close). The client's heartbeat thread
 * only writes the channel's client heartbeat, under a lock that {@link #close()} takes too. A queue that stopped
 * ({@link #isStopped()}: revoked by the card driver, or its queue driver stopped) makes the next call throw a
 * {@link NicException} with the reason.
 */
public final class NicQueue implements AutoCloseable
{
    /** What {@link #tryClaim()} returns when no slot is free. */
    public static final int NO_SLOT = ChannelEndpoint.NO_SLOT;

    /** Frames taken per {@link #poll(FrameHandler)}. */
    public static final int DEFAULT_POLL_LIMIT = 32;

    private static final int MAX_BATCH = 256;

    private final ControlPlane plane;
    private final QueueChannel channel;
    private final ChannelEndpoint endpoint;
    /** A served queue's read-only RX descriptor ring, null when its frames come on rxReady only. */
    private final RxRingReader rxRing;
    private final int queueId;
    private final QueueDriverPlacement driverPlacement;
    private final QueueDriver driver;
    private final Nic nic;
    private final QueueChannelHeader header;
    private final SlotMetadata metadata;
    private final AtomicBuffer pool;
    private final int slotCount;

    private final int[] rxBatch;
    private final int[] doneBatch;
    private final Frame rxFrame;
    private final Frame txFrame;
    private AdaptiveIdleStrategy.WakeSource wakeSource;
    private FrameHandler txCompletionHandler;
    private LatencyRecorder latencyRecorder;
    private boolean reaping;

    private volatile NicException.Reason reasonStopped;
    private volatile String stopMessage;
    private volatile boolean revoked;
    private volatile boolean closed;

    NicQueue(
        final ControlPlane plane,
        final QueueChannel channel,
        final QueueDriverPlacement driverPlacement,
        final QueueDriver driver,
        final Nic nic,
        final int txSlotReserve)
    {
        this.plane = plane;
        this.channel = channel;
        this.queueId = channel.queueId();
        this.driverPlacement = driverPlacement;
        this.driver = driver;
        this.nic = nic;
        this.header = channel.header();
        this.metadata = channel.metadata();
        this.pool = channel.pool();
        this.slotCount = channel.slotCount();
        // Mapped before the endpoint attaches the client: a ring that cannot be mapped fails the open unattached.
        this.rxRing = driver == null ? RxRingReader.open(channel) : null;
        this.endpoint = new ChannelEndpoint(channel,
            txSlotReserve > 0 ? Math.min(txSlotReserve, slotCount) : defaultTxReserve(slotCount));
        this.rxBatch = new int[Math.min(slotCount, MAX_BATCH)];
        this.doneBatch = new int[Math.min(slotCount, MAX_BATCH)];
        this.rxFrame = new Frame(this, pool, metadata);
        this.txFrame = new Frame(this, pool, metadata);
    }

    /**
     * The TX reserve when none is configured: a quarter of the pool, at most 256 slots (a few batches), at least 1.
     *
     * @param slotCount slots of the pool.
     * @return slots the client keeps free for sending.
     */
    static int defaultTxReserve(final int slotCount)
    {
        return Math.max(1, Math.min(256, slotCount / 4));
    }

    /** Offset of slot {@code slot}'s frame in {@link #buffer()}. */
    public static int frameOffset(final int slot)
    {
        return QueueChannel.frameOffset(slot);
    }

    public int queueId()
    {
        return queueId;
    }

    /** Where its queue driver runs: a process or a thread of the card driver (SERVED), or inline here. */
    public QueueDriverPlacement driverPlacement()
    {
        return driverPlacement;
    }

    public int slotCount()
    {
        return slotCount;
    }

    /** Bytes of a slot: the largest frame. */
    public int slotSize()
    {
        return QueueChannelLayout.SLOT_SIZE;
    }

    /** Free slots the client keeps for sending; the others go back to the queue driver for receiving. */
    public int txReserve()
    {
        return endpoint.txReserve();
    }

    /** The packet pool: every slot's frame, at {@link #frameOffset(int)}. */
    public AtomicBuffer buffer()
    {
        return pool;
    }

    /** The queue channel (for monitoring: the queue driver's counters are in its header). */
    public QueueChannel channel()
    {
        return channel;
    }

    /**
     * Whether this served queue takes received frames itself from its queue driver's read-only RX descriptor ring
     * (the card driver's {@code queueDriverReadOnlyRxRing}); frames forwarded in software still come on rxReady.
     */
    public boolean readsRxRing()
    {
        return rxRing != null;
    }

    /** The read-only RX ring's reader, null unless {@link #readsRxRing()}: for tests. */
    RxRingReader rxRingReader()
    {
        return rxRing;
    }

    /** The inline queue driver, null unless its placement is INLINE. */
    public QueueDriver inlineDriver()
    {
        return driver;
    }

    /** Where sent frames go once their slots come back, with their TX timestamps; null for none. */
    /**
     * What the application's loop sleeps on under the adaptive idle strategy, for its
     * {@link AdaptiveIdleStrategy#wakeSource}: for a served queue the channel's client wake word (the
     * queue driver signals it when it publishes); for an inline queue the queue's interrupt vector and the channel's
     * driver wake word, the inline driver's round being the last look (null when the queue has no vector to sleep on:
     * the strategy then parks). The loop must poll this queue on every pass, or it sleeps through the queue's frames.
     */
    public AdaptiveIdleStrategy.WakeSource wakeSource()
    {
        if (wakeSource == null)
        {
            wakeSource = driver != null ? driver.inlineWakeSource() : new ServedQueueWakeSource(channel, rxRing);
        }
        return wakeSource;
    }

    /**
     * Wakes the loop asleep on {@link #wakeSource()} (any thread may call it): for work of the loop's that is not
     * this queue's, e.g. segments another thread passed to it. It signals the word that wake source sleeps on (a
     * served queue's client wake word, an inline queue's driver wake word), which costs a memory write when nobody
     * sleeps.
     */
    public void wakeUp()
    {
        if (driver != null)
        {
            channel.driverWake().signal();
        }
        else
        {
            channel.clientWake().signal();
        }
    }

    /** Installs {@link #wakeSource()} in {@code idle} if it is the adaptive strategy; returns {@code idle}. */
    public IdleStrategy sleepOn(final IdleStrategy idle)
    {
        if (idle instanceof AdaptiveIdleStrategy adaptive)
        {
            adaptive.wakeSource(wakeSource());
        }
        return idle;
    }

    public NicQueue txCompletionHandler(final FrameHandler handler)
    {
        this.txCompletionHandler = handler;
        return this;
    }

    /** Records every frame's phases into {@code recorder}; null to stop. */
    public NicQueue latencyRecorder(final LatencyRecorder recorder)
    {
        this.latencyRecorder = recorder;
        return this;
    }

    public LatencyRecorder latencyRecorder()
    {
        return latencyRecorder;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Receive
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Receives up to {@link #DEFAULT_POLL_LIMIT} frames.
     *
     * @param handler gets each frame.
     * @return frames taken from the queue.
     * @see #poll(FrameHandler, int)
     */
    public int poll(final FrameHandler handler)
    {
        return poll(handler, DEFAULT_POLL_LIMIT);
    }

    /**
     * One round: drives the inline queue driver, takes back completed TX slots (reporting them to the completion
     * handler), hands up to {@code limit} received frames to {@code handler}, then publishes what the handlers sent
     * and gave back. Never blocks.
     *
     * @param handler gets each received frame; see {@link FrameHandler} for what happens to its slot.
     * @param limit   most frames to take, at most 256.
     * @return frames taken from the queue (0 when idle).
     * @throws NicException when the queue has stopped: revoked, or its queue driver stopped.
     */
    public int poll(final FrameHandler handler, final int limit)
    {
        ensureUsable();
        int work = driver != null ? driveInline() : 0;
        work += reapTxDone();

        int count = 0;
        if (limit > 0)
        {
            // The read-only RX ring first, then rxReady (frames the card driver forwarded in software): see
            // RxRingReader for the order the two keep.
            final int max = Math.min(limit, rxBatch.length);
            if (rxRing != null)
            {
                count = rxRing.receive(endpoint, rxBatch, max);
            }
            if (count < max)
            {
                count += endpoint.receive(rxBatch, count, max - count);
            }
        }
        if (count > 0)
        {
            if (latencyRecorder != null)
            {
                record(rxBatch, count, true);
            }
            dispatch(handler, rxFrame, rxBatch, count);
        }
        // Run to completion inline: what the handlers sent (an echo, a reply) is on the descriptor ring, doorbell
        // rung, before poll returns, not one round later when the next poll's driver round gets to its TX half.
        publish();
        if (work == 0 && count == 0)
        {
            checkChannelState();
        }
        return count;
    }

    /**
     * Hands each lent slot of a batch ({@link #NO_SLOT} entries skipped) to the handler; after each call the slot goes
     * back unless the handler sent, released or kept it. If a handler throws, the rest of the batch goes back too and
     * nothing is lost.
     */
    private void dispatch(final FrameHandler handler, final Frame frame, final int[] slots, final int count)
    {
        int i = 0;
        try
        {
            for (; i < count; i++)
            {
                final int slot = slots[i];
                if (slot == NO_SLOT)
                {
                    continue;
                }
                frame.wrap(slot, metadata.frameLength(slot));
                handler.onFrame(frame);
                endpoint.giveBackIfLent(slot);
            }
        }
        finally
        {
            frame.wrap(NO_SLOT, 0);
            if (i < count)
            {
                for (int j = i; j < count; j++)
                {
                    endpoint.giveBackIfLent(slots[j]);
                }
                endpoint.flush();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Transmit
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Takes a free slot to write a frame into, at {@link #frameOffset(int)} in {@link #buffer()}. If none is free,
     * takes back completed TX slots first (driving the inline queue driver).
     *
     * @return the slot, owned by the application until sent or released, or {@link #NO_SLOT} (counted).
     * @throws NicException when the queue has stopped: revoked, or its queue driver stopped.
     */
    public int tryClaim()
    {
        ensureUsable();
        if (endpoint.freeSlots() == 0 && !reaping)
        {
            reapTxDone();
            if (endpoint.freeSlots() == 0 && driver != null)
            {
                driveInline();
                reapTxDone();
            }
        }
        return endpoint.claim();
    }

    /**
     * Queues a frame for sending: the slot's frame (written in place) of {@code length} bytes. Stamps "app send";
     * the frame goes out with the next {@link #flush()} (a poll flushes at its end).
     *
     * @param slot   a slot the application owns: claimed, or received (zero-copy echo), or completed and kept.
     * @param length bytes of the frame, 1..{@link #slotSize()}.
     * @throws IllegalStateException    if the application does not own the slot.
     * @throws IllegalArgumentException if the length does not fit the slot.
     */
    public void send(final int slot, final int length)
    {
        endpoint.send(slot, length);
    }

    /**
     * Publishes the queued frames on the TX ring (stamping "client enqueued") and the given-back slots on the free
     * ring; in inline mode, runs the queue driver's transmit half so the frames are on the descriptor ring, doorbell
     * rung, when this returns (the receive half waits for the next poll).
     *
     * @return frames handed to the queue driver.
     * @throws NicException when the queue has stopped: revoked, or its queue driver stopped.
     */
    public int flush()
    {
        ensureUsable();
        return publish();
    }

    /** The endpoint's flush, then (inline) the driver's transmit half for what it published. */
    private int publish()
    {
        final int sent = endpoint.flush();
        if (driver != null && sent > 0)
        {
            driveInlineTransmit();
        }
        return sent;
    }

    /**
     * Gives a slot the application owns back to the queue (a received frame it is done with, a claimed slot it will
     * not send), published with the next poll or flush.
     *
     * @param slot a slot the application owns.
     * @throws IllegalStateException if the application does not own the slot.
     */
    public void release(final int slot)
    {
        endpoint.release(slot);
    }

    /** A frame's slot stays the application's after its handler returns. */
    void keep(final int slot)
    {
        endpoint.keep(slot);
    }

    private void record(final int[] slots, final int count, final boolean rx)
    {
        for (int i = 0; i < count; i++)
        {
            final int slot = slots[i];
            if (slot != NO_SLOT)
            {
                if (rx)
                {
                    latencyRecorder.recordRx(metadata, slot);
                }
                else
                {
                    latencyRecorder.recordTx(metadata, slot);
                }
            }
        }
    }

    private int reapTxDone()
    {
        if (reaping)
        {
            return 0;
        }
        reaping = true;
        try
        {
            final int count = endpoint.takeCompleted(doneBatch, doneBatch.length);
            if (count == 0)
            {
                return 0;
            }
            if (latencyRecorder != null)
            {
                record(doneBatch, count, false);
            }
            if (txCompletionHandler != null)
            {
                dispatch(txCompletionHandler, txFrame, doneBatch, count);
            }
            else
            {
                for (int i = 0; i < count; i++)
                {
                    endpoint.giveBackIfLent(doneBatch[i]);
                }
            }
            return count;
        }
        finally
        {
            reaping = false;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Inline driver, state and lifecycle
    // ---------------------------------------------------------------------------------------------------------------

    private int driveInline()
    {
        try
        {
            return driver.doWork();
        }
        catch (final AgentTerminationException ex)
        {
            throw inlineDriverStopped(ex);
        }
    }

    /** Only the inline driver's transmit half: what flush just published is on the descriptor ring on return. */
    private int driveInlineTransmit()
    {
        try
        {
            return driver.doTransmitWork();
        }
        catch (final AgentTerminationException ex)
        {
            throw inlineDriverStopped(ex);
        }
    }

    private NicException inlineDriverStopped(final AgentTerminationException ex)
    {
        stop(NicException.Reason.QUEUE_DRIVER_FAILED, "the inline queue driver of queue " + queueId + " stopped: " +
            driver.exitReason(), false);
        return new NicException(reasonStopped, stopMessage, ex);
    }

    /** A served queue whose channel says nobody serves it any more: REVOKED by the card driver, or CLOSED. */
    private void checkChannelState()
    {
        if (driver == null && reasonStopped == null)
        {
            final int state = header.state();
            if (state == QueueChannelHeader.STATE_CLOSED || state == QueueChannelHeader.STATE_REVOKED)
            {
                stop(NicException.Reason.QUEUE_DRIVER_FAILED, "queue " + queueId + " is no longer served: the " +
                    "channel is " + QueueChannelHeader.stateName(state) + " (queue driver pid " + header.driverPid() +
                    ")", state == QueueChannelHeader.STATE_REVOKED);
            }
        }
    }

    private void ensureUsable()
    {
        if (closed)
        {
            throw new IllegalStateException("queue " + queueId + " is closed");
        }
        final NicException.Reason reason = reasonStopped;
        if (reason != null)
        {
            throw new NicException(reason, stopMessage);
        }
    }

    /** The card driver took the queue away ({@code QueueRevoked}). */
    void revoked(final NicException.Reason reason, final String message)
    {
        stop(reason, message, true);
    }

    private void stop(final NicException.Reason reason, final String message, final boolean byCardDriver)
    {
        if (reasonStopped == null)
        {
            stopMessage = message;
            revoked = byCardDriver;
            reasonStopped = reason;
        }
    }

    /**
     * Whether the queue can no longer be used: the card driver revoked it ({@link #isRevoked()}), or its queue driver
     * stopped (an inline driver that terminated, a served queue whose channel reads CLOSED). Every call then throws.
     */
    public boolean isStopped()
    {
        return reasonStopped != null;
    }

    /**
     * Whether the card driver took the queue away: a {@code QueueRevoked} arrived, or the channel reads REVOKED. A
     * queue whose queue driver merely stopped is {@link #isStopped() stopped}, not revoked: the card driver still
     * holds it for the client until it is released.
     */
    public boolean isRevoked()
    {
        return reasonStopped != null && revoked;
    }

    /** Why the queue stopped, null while it is usable. */
    public String stopReason()
    {
        return stopMessage;
    }

    /** Writes the client heartbeat into the channel header; the client's heartbeat thread calls it. */
    synchronized void heartbeat(final long nowNs)
    {
        if (!closed)
        {
            endpoint.heartbeat(nowNs);
        }
    }

    /**
     * At process exit: tells the queue driver the client left without unmapping anything, since the
     * application's thread may still be inside a poll.
     */
    synchronized void detachAtExit()
    {
        if (!closed)
        {
            endpoint.detach();
        }
    }

    /**
     * Stops the inline queue driver, tells the queue driver the client left, unmaps the channel. Idempotent. After
     * this, no buffer or frame of the queue may be used.
     */
    synchronized void closeLocally()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            if (driver != null)
            {
                CloseHelper.quietClose(driver);
            }
            endpoint.detach();
        }
        finally
        {
            CloseHelper.quietCloseAll(channel, rxRing, nic);
        }
    }

    public boolean isClosed()
    {
        return closed;
    }

    /**
     * Releases the queue: its filters are deregistered, the card driver takes the queue back, the channel is
     * unmapped. Idempotent.
     *
     * @throws NicException if the card driver refuses (the local side is closed anyway).
     */
    public void close()
    {
        if (!closed)
        {
            plane.releaseQueue(this);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Counters
    // ---------------------------------------------------------------------------------------------------------------

    /** Frames handed to the application. */
    public long framesReceived()
    {
        return endpoint.framesReceived();
    }

    /** Frames handed to the queue driver for sending. */
    public long framesSent()
    {
        return endpoint.framesSent();
    }

    /** Sent frames whose slots came back. */
    public long framesCompleted()
    {
        return endpoint.framesCompleted();
    }

    /** Sent frames the queue driver refused (length out of range). */
    public long txRejected()
    {
        return endpoint.txRejected();
    }

    /** Times {@link #tryClaim()} found no free slot. */
    public long noSlot()
    {
        return endpoint.noSlot();
    }

    /** Received slots whose length from the driver was impossible: recycled, never delivered. */
    public long invalidRxLength()
    {
        return endpoint.invalidRxLength();
    }

    /** Slot indices from the driver out of range or not the driver's to give: ignored. */
    public long driverProtocolErrors()
    {
        return endpoint.driverProtocolErrors();
    }

    /** Slots free for sending right now (without taking back completed ones). */
    public int freeSlots()
    {
        return endpoint.freeSlots();
    }

    /** Frames queued by {@link #send} and not yet flushed. */
    public int pendingFrames()
    {
        return endpoint.queuedFrames();
    }

    public String toString()
    {
        return "NicQueue{" + queueId + ", " + driverPlacement + ", " + slotCount + " slots, " + channel.description() +
            (reasonStopped != null ? ", stopped: " + stopMessage : "") + (closed ? ", closed" : "") + "}";
    }
}
