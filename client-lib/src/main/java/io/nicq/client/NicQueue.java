package io.nicq.client;

import io.nicq.ixgbe.Nic;
import io.nicq.proto.channel.IndexRing;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.proto.channel.QueueChannelLayout;
import io.nicq.proto.channel.SlotMetadata;
import io.nicq.queue.QueueDriver;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.AtomicBuffer;

/**
 * The application's end of one hardware queue: the packet API over the queue channel's slot ownership protocol
 * (see {@link QueueChannel}), zero copy. Obtained from {@link NicClient#requestQueue}.
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
 * <b>Timestamps.</b> The client stamps "app received" (one reading per batch), "app send" ({@link #send}) and
 * "client enqueued" ({@link #flush()}); the driver and the device fill in the others. With a
 * {@link #latencyRecorder(LatencyRecorder) recorder} every phase is recorded without allocation.
 * <p>
 * <b>Inline mode.</b> The queue driver runs in the application's thread: {@link #poll}, {@link #flush} and
 * {@link #tryClaim} call its {@code doWork()}, so a frame goes from the application to the descriptor ring with no
 * thread hop.
 * <p>
 * <b>Threads.</b> One thread uses a queue (poll, claim, send, flush, release, close). The client's heartbeat thread
 * only writes the channel's client heartbeat, under a lock that {@link #close()} takes too. A queue taken away by
 * the card driver (or whose queue driver stopped) makes the next call throw a {@link NicException} with the reason.
 */
public final class NicQueue implements AutoCloseable
{
    /** What {@link #tryClaim()} returns when no slot is free. */
    public static final int NO_SLOT = -1;

    /** Frames taken per {@link #poll(FrameHandler)}. */
    public static final int DEFAULT_POLL_LIMIT = 32;

    private static final byte OWNER_DRIVER = 0;
    private static final byte OWNER_FREE = 1;
    private static final byte OWNER_APP = 2;
    private static final byte OWNER_PENDING = 3;

    private final ControlPlane plane;
    private final QueueChannel channel;
    private final int queueId;
    private final QueueDriverPlacement driverPlacement;
    private final QueueDriver driver;
    private final Nic nic;
    private final QueueChannelHeader header;
    private final IndexRing rxReady;
    private final IndexRing rxFree;
    private final IndexRing txReady;
    private final IndexRing txDone;
    private final SlotMetadata metadata;
    private final AtomicBuffer pool;
    private final int slotCount;
    private final int txReserve;

    private final byte[] owner;
    private final int[] freeSlots;
    private int freeCount;
    private final int[] releaseBatch;
    private int releaseCount;
    private final int[] pendingTx;
    private int pendingCount;
    private final int[] rxBatch;
    private final int[] doneBatch;

    private final Frame rxFrame;
    private final Frame txFrame;
    private FrameHandler txCompletionHandler;
    private LatencyRecorder latencyRecorder;
    private boolean reaping;
    private Ipv4Stack stack;

    private long framesReceived;
    private long framesSent;
    private long framesCompleted;
    private long txRejected;
    private long noSlot;
    private long invalidRxLength;
    private long driverProtocolErrors;

    private volatile NicException.Reason stopReason;
    private volatile String stopMessage;
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
        this.rxReady = channel.rxReady();
        this.rxFree = channel.rxFree();
        this.txReady = channel.txReady();
        this.txDone = channel.txDone();
        this.metadata = channel.metadata();
        this.pool = channel.pool();
        this.slotCount = channel.slotCount();
        this.txReserve = txSlotReserve > 0 ? Math.min(txSlotReserve, slotCount) : defaultTxReserve(slotCount);

        this.owner = new byte[slotCount];
        this.freeSlots = new int[slotCount];
        this.releaseBatch = new int[slotCount];
        this.pendingTx = new int[slotCount];
        this.rxBatch = new int[Math.min(slotCount, 256)];
        this.doneBatch = new int[Math.min(slotCount, 256)];
        this.rxFrame = new Frame(this, pool, metadata);
        this.txFrame = new Frame(this, pool, metadata);

        header.attachClient(ProcessHandle.current().pid(), System.nanoTime());
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
        return txReserve;
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

    /** The inline queue driver, null unless its placement is INLINE. */
    public QueueDriver inlineDriver()
    {
        return driver;
    }

    /**
     * The IPv4/UDP stack of this queue (made on the first call): what {@link UdpEndpoint}s run on.
     *
     * @return the queue's stack.
     */
    public Ipv4Stack stack()
    {
        if (stack == null)
        {
            stack = new Ipv4Stack(this, plane);
        }
        return stack;
    }

    ControlPlane plane()
    {
        return plane;
    }

    /** Where sent frames go once their slots come back, with their TX timestamps; null for none. */
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
     * @throws NicException when the queue has been revoked or its queue driver stopped.
     */
    public int poll(final FrameHandler handler, final int limit)
    {
        ensureUsable();
        int work = driver != null ? driveInline() : 0;
        work += reapTxDone();

        final int count = limit > 0 ? rxReady.poll(rxBatch, 0, Math.min(limit, rxBatch.length)) : 0;
        if (count > 0)
        {
            deliverRx(handler, count);
        }
        publish();
        if (work == 0 && count == 0)
        {
            checkChannelState();
        }
        return count;
    }

    private void deliverRx(final FrameHandler handler, final int count)
    {
        final long nowNs = System.nanoTime();
        int i = 0;
        try
        {
            for (; i < count; i++)
            {
                final int slot = rxBatch[i];
                if (!takeFromDriver(slot))
                {
                    continue;
                }
                final int length = metadata.frameLength(slot);
                if (length <= 0 || length > QueueChannelLayout.SLOT_SIZE)
                {
                    invalidRxLength++;
                    recycle(slot);
                    continue;
                }
                metadata.rxAppNs(slot, nowNs);
                framesReceived++;
                if (latencyRecorder != null)
                {
                    latencyRecorder.recordRx(metadata, slot);
                }
                dispatch(handler, rxFrame, slot, length);
            }
        }
        finally
        {
            if (i < count)
            {
                // The handler threw: nothing of the batch may be lost, the slots not yet delivered go back too.
                abandon(rxFrame);
                for (int j = i + 1; j < count; j++)
                {
                    if (takeFromDriver(rxBatch[j]))
                    {
                        recycle(rxBatch[j]);
                    }
                }
                publish();
            }
        }
    }

    private void dispatch(final FrameHandler handler, final Frame frame, final int slot, final int length)
    {
        frame.wrap(slot, length);
        handler.onFrame(frame);
        if (!frame.taken)
        {
            recycle(slot);
        }
        frame.slot = NO_SLOT;
    }

    private void abandon(final Frame frame)
    {
        final int slot = frame.slot;
        if (slot != NO_SLOT && !frame.taken && owner[slot] == OWNER_APP)
        {
            recycle(slot);
        }
        frame.slot = NO_SLOT;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Transmit
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Takes a free slot to write a frame into, at {@link #frameOffset(int)} in {@link #buffer()}. If none is free,
     * takes back completed TX slots first (driving the inline queue driver).
     *
     * @return the slot, owned by the application until sent or released, or {@link #NO_SLOT} (counted).
     * @throws NicException when the queue has been revoked or its queue driver stopped.
     */
    public int tryClaim()
    {
        ensureUsable();
        if (freeCount == 0 && !reaping)
        {
            reapTxDone();
            if (freeCount == 0 && driver != null)
            {
                driveInline();
                reapTxDone();
            }
        }
        if (freeCount == 0)
        {
            noSlot++;
            return NO_SLOT;
        }
        final int slot = freeSlots[--freeCount];
        owner[slot] = OWNER_APP;
        // A fresh TX frame has no RX half: stale RX times would make a false turnaround.
        metadata.clearRx(slot);
        return slot;
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
        checkOwnedByApp(slot, "send");
        if (length <= 0 || length > QueueChannelLayout.SLOT_SIZE)
        {
            throw new IllegalArgumentException("frame length " + length + " is outside [1, " +
                QueueChannelLayout.SLOT_SIZE + "]");
        }
        metadata.frameLength(slot, length);
        metadata.flags(slot, 0);
        metadata.clearTx(slot);
        metadata.txAppSendNs(slot, System.nanoTime());
        owner[slot] = OWNER_PENDING;
        pendingTx[pendingCount++] = slot;
        markTaken(slot);
    }

    /**
     * Publishes the queued frames on the TX ring (stamping "client enqueued") and the given-back slots on the free
     * ring; in inline mode, runs the queue driver once so the frames reach the descriptor ring now.
     *
     * @return frames handed to the queue driver.
     * @throws NicException when the queue has been revoked or its queue driver stopped.
     */
    public int flush()
    {
        ensureUsable();
        final int sent = publish();
        if (driver != null && sent > 0)
        {
            driveInline();
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
        checkOwnedByApp(slot, "release");
        recycle(slot);
        markTaken(slot);
    }

    void keep(final int slot)
    {
        checkOwnedByApp(slot, "keep");
        markTaken(slot);
    }

    private void markTaken(final int slot)
    {
        if (rxFrame.slot == slot)
        {
            rxFrame.taken = true;
        }
        if (txFrame.slot == slot)
        {
            txFrame.taken = true;
        }
    }

    private int publish()
    {
        if (releaseCount > 0)
        {
            final int offered = rxFree.offer(releaseBatch, 0, releaseCount);
            if (offered < releaseCount)
            {
                // Never with honest ownership (the ring holds every slot); keep the rest for the next time.
                System.arraycopy(releaseBatch, offered, releaseBatch, 0, releaseCount - offered);
            }
            releaseCount -= offered;
        }

        if (pendingCount == 0)
        {
            return 0;
        }
        final long nowNs = System.nanoTime();
        for (int i = 0; i < pendingCount; i++)
        {
            final int slot = pendingTx[i];
            metadata.txEnqueuedNs(slot, nowNs);
            owner[slot] = OWNER_DRIVER;
        }
        final int offered = txReady.offer(pendingTx, 0, pendingCount);
        if (offered < pendingCount)
        {
            for (int i = offered; i < pendingCount; i++)
            {
                owner[pendingTx[i]] = OWNER_PENDING;
            }
            System.arraycopy(pendingTx, offered, pendingTx, 0, pendingCount - offered);
        }
        pendingCount -= offered;
        framesSent += offered;
        return offered;
    }

    private int reapTxDone()
    {
        if (reaping)
        {
            return 0;
        }
        final int count = txDone.poll(doneBatch, 0, doneBatch.length);
        if (count == 0)
        {
            return 0;
        }
        reaping = true;
        int i = 0;
        try
        {
            for (; i < count; i++)
            {
                final int slot = doneBatch[i];
                if (!takeFromDriver(slot))
                {
                    continue;
                }
                if (metadata.txAppSendNs(slot) == 0)
                {
                    // A slot the driver hands out at start, never sent: straight to the free slots.
                    recycle(slot);
                    continue;
                }
                framesCompleted++;
                if ((metadata.flags(slot) & SlotMetadata.FLAG_TX_REJECTED_LENGTH) != 0)
                {
                    txRejected++;
                }
                if (latencyRecorder != null)
                {
                    latencyRecorder.recordTx(metadata, slot);
                }
                if (txCompletionHandler != null)
                {
                    dispatch(txCompletionHandler, txFrame, slot, metadata.frameLength(slot));
                }
                else
                {
                    recycle(slot);
                }
            }
        }
        finally
        {
            if (i < count)
            {
                abandon(txFrame);
                for (int j = i + 1; j < count; j++)
                {
                    if (takeFromDriver(doneBatch[j]))
                    {
                        recycle(doneBatch[j]);
                    }
                }
            }
            reaping = false;
        }
        return count;
    }

    /** A slot the application no longer needs: kept free for TX up to the reserve, else back to the driver for RX. */
    private void recycle(final int slot)
    {
        if (freeCount < txReserve)
        {
            owner[slot] = OWNER_FREE;
            freeSlots[freeCount++] = slot;
        }
        else
        {
            owner[slot] = OWNER_DRIVER;
            releaseBatch[releaseCount++] = slot;
        }
    }

    private boolean takeFromDriver(final int slot)
    {
        if (slot < 0 || slot >= slotCount || owner[slot] != OWNER_DRIVER)
        {
            driverProtocolErrors++;
            return false;
        }
        owner[slot] = OWNER_APP;
        return true;
    }

    private void checkOwnedByApp(final int slot, final String what)
    {
        if (slot < 0 || slot >= slotCount)
        {
            throw new IllegalStateException("cannot " + what + " slot " + slot + ": queue " + queueId +
                " has slots 0.." + (slotCount - 1));
        }
        if (owner[slot] != OWNER_APP)
        {
            throw new IllegalStateException("cannot " + what + " slot " + slot + " of queue " + queueId +
                ": the application does not own it (" + ownerName(owner[slot]) + ")");
        }
    }

    private static String ownerName(final byte owner)
    {
        return switch (owner)
        {
            case OWNER_DRIVER -> "the queue driver has it";
            case OWNER_FREE -> "it is free: claim it first";
            case OWNER_PENDING -> "it is already queued for sending";
            default -> "owner " + owner;
        };
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
            stopped(NicException.Reason.QUEUE_DRIVER_FAILED, "the inline queue driver of queue " + queueId +
                " stopped: " + driver.exitReason());
            throw new NicException(stopReason, stopMessage, ex);
        }
    }

    private void checkChannelState()
    {
        if (driver == null && stopReason == null)
        {
            final int state = header.state();
            if (state == QueueChannelHeader.STATE_CLOSED || state == QueueChannelHeader.STATE_REVOKED)
            {
                stopped(NicException.Reason.QUEUE_DRIVER_FAILED, "queue " + queueId + " is no longer served: the " +
                    "channel is " + QueueChannelHeader.stateName(state) + " (queue driver pid " + header.driverPid() +
                    ")");
            }
        }
    }

    private void ensureUsable()
    {
        if (closed)
        {
            throw new IllegalStateException("queue " + queueId + " is closed");
        }
        final NicException.Reason reason = stopReason;
        if (reason != null)
        {
            throw new NicException(reason, stopMessage);
        }
    }

    /** The card driver took the queue away ({@code QueueRevoked}), or its queue driver stopped. */
    void stopped(final NicException.Reason reason, final String message)
    {
        if (stopReason == null)
        {
            stopMessage = message;
            stopReason = reason;
        }
    }

    /** Whether the queue can no longer be used: revoked by the card driver or its queue driver stopped. */
    public boolean isRevoked()
    {
        return stopReason != null;
    }

    /** Why the queue was revoked or stopped, null while it is usable. */
    public String revokedReason()
    {
        return stopMessage;
    }

    /** Writes the client heartbeat into the channel header; the client's heartbeat thread calls it. */
    synchronized void heartbeat(final long nowNs)
    {
        if (!closed)
        {
            header.clientHeartbeatNs(nowNs);
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
            header.detachClient();
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
            header.detachClient();
        }
        finally
        {
            CloseHelper.quietCloseAll(channel, nic);
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
        return framesReceived;
    }

    /** Frames handed to the queue driver for sending. */
    public long framesSent()
    {
        return framesSent;
    }

    /** Sent frames whose slots came back. */
    public long framesCompleted()
    {
        return framesCompleted;
    }

    /** Sent frames the queue driver refused (length out of range). */
    public long txRejected()
    {
        return txRejected;
    }

    /** Times {@link #tryClaim()} found no free slot. */
    public long noSlot()
    {
        return noSlot;
    }

    /** Received slots whose length from the driver was impossible: recycled, never delivered. */
    public long invalidRxLength()
    {
        return invalidRxLength;
    }

    /** Slot indices from the driver out of range or not the driver's to give: ignored. */
    public long driverProtocolErrors()
    {
        return driverProtocolErrors;
    }

    /** Slots free for sending right now (without taking back completed ones). */
    public int freeSlots()
    {
        return freeCount;
    }

    /** Frames queued by {@link #send} and not yet flushed. */
    public int pendingFrames()
    {
        return pendingCount;
    }

    public String toString()
    {
        return "NicQueue{" + queueId + ", " + driverPlacement + ", " + slotCount + " slots, " + channel.description() +
            (stopReason != null ? ", stopped: " + stopMessage : "") + (closed ? ", closed" : "") + "}";
    }
}
