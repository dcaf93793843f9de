package io.nicq.proto.channel;

import io.nicq.runtime.WakeWord;

/**
 * The client's end of a queue channel: the slot ownership protocol ({@link QueueChannel}) as the application side
 * runs it, with its own table of who owns each slot. client-lib's {@code NicQueue} and the card driver's default
 * queue are both clients of a channel through this class.
 * <pre>
 *            receive()                  keep()                    send(slot, length)       flush()
 *   rxReady ----------&gt; LENT ----------------------&gt; HELD ----------------------&gt; QUEUED --------&gt; txReady
 *   txDone  ----------&gt; LENT   (sent slots; unsent ones go straight to the free slots)        |
 *     takeCompleted()    |  giveBackIfLent(), release()          claim()                     DRIVER
 *                        +--------------&gt; FREE (the TX reserve) ---------&gt; HELD
 *                        +--------------&gt; DRIVER, on rxFree with the next flush() (reserve full)
 * </pre>
 * <ul>
 *   <li><b>DRIVER</b>: the queue driver's: posted for receiving, in flight, or on a ring between the two sides.</li>
 *   <li><b>LENT</b>: handed to the application for one look: a received frame, or a sent slot back from txDone. It
 *   goes back ({@link #giveBackIfLent}) when the look is over, unless the application sent, released or kept it.</li>
 *   <li><b>HELD</b>: the application's until it sends or releases it: a claimed slot, or a kept one.</li>
 *   <li><b>QUEUED</b>: sent, on txReady with the next {@link #flush()}.</li>
 *   <li><b>FREE</b>: in the TX reserve, for {@link #claim()}. Every slot the application no longer needs fills the
 *   reserve first and goes back to the driver on rxFree once the reserve is full, so that the driver can keep its RX
 *   ring posted.</li>
 * </ul>
 * The table never trusts the driver: an index out of range or a slot the driver does not own is ignored and counted
 * ({@link #driverProtocolErrors()}), a received length outside [1, slot size] is recycled and counted
 * ({@link #invalidRxLength()}). The application's mistakes are {@link IllegalStateException}s naming the slot's
 * owner. The client's timestamps go into the slot metadata here: "application received" once per
 * {@link #receive}, "application send" in {@link #send}, "client enqueued" in {@link #flush()}.
 * <p>
 * One thread; nothing allocated after construction.
 */
public final class ChannelEndpoint
{
    /** What {@link #claim()} returns when no slot is free. */
    public static final int NO_SLOT = -1;

    private static final byte DRIVER = 0;
    private static final byte FREE = 1;
    private static final byte LENT = 2;
    private static final byte HELD = 3;
    private static final byte QUEUED = 4;

    private final QueueChannel channel;
    private final QueueChannelHeader header;
    private final WakeWord driverWake;
    private final IndexRing rxReady;
    private final IndexRing rxFree;
    private final IndexRing txReady;
    private final IndexRing txDone;
    private final SlotMetadata metadata;
    private final int queueId;
    private final int slotCount;
    private final int txReserve;

    private final byte[] owner;
    private final int[] freeSlots;
    private int freeCount;
    private final int[] released;
    private int releasedCount;
    private final int[] queued;
    private int queuedCount;

    private long framesReceived;
    private long framesSent;
    private long framesCompleted;
    private long txRejected;
    private long noSlot;
    private long invalidRxLength;
    private long driverProtocolErrors;

    /**
     * Becomes the client of {@code channel}: writes the client heartbeat, then the pid, into its header. Every slot
     * starts as the driver's.
     *
     * @param channel   the mapped channel; stays the caller's to close.
     * @param txReserve free slots kept for {@link #claim()}, 0..slot count; the others go back for receiving.
     */
    public ChannelEndpoint(final QueueChannel channel, final int txReserve)
    {
        this.slotCount = channel.slotCount();
        if (txReserve < 0 || txReserve > slotCount)
        {
            throw new IllegalArgumentException("TX reserve " + txReserve + " is outside [0, " + slotCount + "]");
        }
        this.channel = channel;
        this.header = channel.header();
        this.driverWake = channel.driverWake();
        this.rxReady = channel.rxReady();
        this.rxFree = channel.rxFree();
        this.txReady = channel.txReady();
        this.txDone = channel.txDone();
        this.metadata = channel.metadata();
        this.queueId = channel.queueId();
        this.txReserve = txReserve;
        this.owner = new byte[slotCount];
        this.freeSlots = new int[slotCount];
        this.released = new int[slotCount];
        this.queued = new int[slotCount];
        header.attachClient(ProcessHandle.current().pid(), System.nanoTime());
    }

    public QueueChannel channel()
    {
        return channel;
    }

    public int slotCount()
    {
        return slotCount;
    }

    /** Free slots kept for sending; every other slot the application gives back goes to the driver for receiving. */
    public int txReserve()
    {
        return txReserve;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Receive and completions
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Takes up to {@code max} received frames off rxReady and lends them to the application, stamping "application
     * received". An index the driver had no right to publish, or a frame of impossible length, is counted and not
     * lent: its entry reads {@link #NO_SLOT}.
     *
     * @param slots where the entries go, from index 0, in ring order: a lent slot, or {@link #NO_SLOT}.
     * @param max   most entries to take from rxReady, at most {@code slots.length}.
     * @return entries taken from rxReady.
     */
    public int receive(final int[] slots, final int max)
    {
        return receive(slots, 0, max);
    }

    /**
     * {@link #receive(int[], int)} into {@code slots} from {@code offset}: after frames taken from the read-only RX
     * ring in the same batch.
     */
    public int receive(final int[] slots, final int offset, final int max)
    {
        final int count = rxReady.poll(slots, offset, max);
        if (count == 0)
        {
            return 0;
        }
        final long nowNs = System.nanoTime();
        for (int i = offset; i < offset + count; i++)
        {
            final int slot = slots[i];
            if (!takeFromDriver(slot))
            {
                slots[i] = NO_SLOT;
                continue;
            }
            final int length = metadata.frameLength(slot);
            if (length <= 0 || length > QueueChannelLayout.SLOT_SIZE)
            {
                invalidRxLength++;
                recycle(slot);
                slots[i] = NO_SLOT;
                continue;
            }
            metadata.rxAppNs(slot, nowNs);
            framesReceived++;
        }
        return count;
    }

    /**
     * Lends the application a frame the client took itself from its queue's read-only RX descriptor ring (the queue
     * driver posted {@code slot} there and the device wrote it): the same check as a slot from rxReady (the driver's,
     * else counted and refused), then the metadata the driver would have written. The driver's phases (saw DD,
     * published) do not exist on this path: they are written absent (0), never a made-up time.
     *
     * @param deviceNs the device's write-back time, 0 if unknown
     * @return whether the slot is now lent
     */
    public boolean lendFromRing(final int slot, final int length, final long deviceNs, final long nowNs)
    {
        if (!takeFromDriver(slot))
        {
            return false;
        }
        metadata.frameLengthAndFlags(slot, length, 0);
        metadata.rxDeviceNs(slot, deviceNs);
        metadata.rxDriverSawNs(slot, 0L);
        metadata.rxPublishedNs(slot, 0L);
        metadata.rxAppNs(slot, nowNs);
        framesReceived++;
        return true;
    }

    /**
     * Takes up to {@code max} slots back from txDone. Slots the driver hands out unsent (at start) go straight to the
     * free slots; sent ones are lent to the application with their TX timestamps, to look at and give back, keep or
     * send again.
     *
     * @param slots where the entries go, from index 0, in ring order: a lent sent slot, or {@link #NO_SLOT} for an
     *              unsent one (now free) or one the driver had no right to return (counted).
     * @param max   most entries to take from txDone, at most {@code slots.length}.
     * @return entries taken from txDone.
     */
    public int takeCompleted(final int[] slots, final int max)
    {
        final int count = txDone.poll(slots, 0, max);
        for (int i = 0; i < count; i++)
        {
            final int slot = slots[i];
            if (!takeFromDriver(slot))
            {
                slots[i] = NO_SLOT;
                continue;
            }
            if (metadata.txAppSendNs(slot) == 0)
            {
                recycle(slot);
                slots[i] = NO_SLOT;
                continue;
            }
            if ((metadata.flags(slot) & SlotMetadata.FLAG_TX_REJECTED_LENGTH) != 0)
            {
                txRejected++;
            }
            framesCompleted++;
        }
        return count;
    }

    /**
     * The end of a look at a lent slot: back to the free slots or the driver, unless the application sent, released
     * or kept it meanwhile (then this does nothing).
     *
     * @param slot a slot lent by {@link #receive} or {@link #takeCompleted}.
     */
    public void giveBackIfLent(final int slot)
    {
        if (slot >= 0 && slot < slotCount && owner[slot] == LENT)
        {
            recycle(slot);
        }
    }

    /**
     * Keeps a lent slot beyond the look: the application must {@link #send} or {@link #release} it later. A held slot
     * stays held.
     *
     * @throws IllegalStateException if the application does not own the slot.
     */
    public void keep(final int slot)
    {
        checkOwned(slot, "keep");
        owner[slot] = HELD;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Transmit
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Takes a free slot from the TX reserve to write a frame into. A fresh frame has no RX half: its RX timestamps are
     * cleared, so that no turnaround is measured from a previous life of the slot.
     *
     * @return the slot, now held, or {@link #NO_SLOT} (counted) if the reserve is empty; {@link #takeCompleted} refills
     * it.
     */
    public int claim()
    {
        if (freeCount == 0)
        {
            noSlot++;
            return NO_SLOT;
        }
        final int slot = freeSlots[--freeCount];
        owner[slot] = HELD;
        metadata.clearRx(slot);
        return slot;
    }

    /**
     * Queues the frame written in a slot for sending: its length, no flags, fresh TX timestamps from "application
     * send" on. It goes on txReady with the next {@link #flush()}.
     *
     * @param slot   a slot the application owns: held, or lent (a zero-copy echo, a resend).
     * @param length bytes of the frame, 1..slot size.
     * @throws IllegalStateException    if the application does not own the slot.
     * @throws IllegalArgumentException if the length does not fit a slot.
     */
    public void send(final int slot, final int length)
    {
        checkOwned(slot, "send");
        if (length <= 0 || length > QueueChannelLayout.SLOT_SIZE)
        {
            throw new IllegalArgumentException("frame length " + length + " is outside [1, " +
                QueueChannelLayout.SLOT_SIZE + "]");
        }
        metadata.frameLength(slot, length);
        metadata.flags(slot, 0);
        metadata.clearTx(slot);
        metadata.txAppSendNs(slot, System.nanoTime());
        owner[slot] = QUEUED;
        queued[queuedCount++] = slot;
    }

    /**
     * Gives a slot the application owns back: to the TX reserve, or to the driver with the next {@link #flush()}.
     *
     * @throws IllegalStateException if the application does not own the slot.
     */
    public void release(final int slot)
    {
        checkOwned(slot, "release");
        recycle(slot);
    }

    /**
     * Publishes what waits: given-back slots on rxFree, then queued frames on txReady (stamping "client enqueued"),
     * each with one release store. What a ring cannot take (never, with honest ownership: each holds every slot)
     * waits for the next flush.
     *
     * @return frames handed to the driver.
     */
    public int flush()
    {
        boolean published = false;
        if (releasedCount > 0)
        {
            final int offered = rxFree.offer(released, 0, releasedCount);
            if (offered < releasedCount)
            {
                System.arraycopy(released, offered, released, 0, releasedCount - offered);
            }
            releasedCount -= offered;
            published = offered > 0;
        }
        int offered = 0;
        if (queuedCount > 0)
        {
            final long nowNs = System.nanoTime();
            for (int i = 0; i < queuedCount; i++)
            {
                metadata.txEnqueuedNs(queued[i], nowNs);
            }
            offered = txReady.offer(queued, 0, queuedCount);
            for (int i = 0; i < offered; i++)
            {
                owner[queued[i]] = DRIVER;
            }
            if (offered < queuedCount)
            {
                System.arraycopy(queued, offered, queued, 0, queuedCount - offered);
            }
            queuedCount -= offered;
            framesSent += offered;
            published |= offered > 0;
        }
        if (published)
        {
            // After the release stores: a queue driver asleep on its wake word has frames to send or buffers to post
            // (one atomic add while it is awake).
            driverWake.signal();
        }
        return offered;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Liveness
    // ---------------------------------------------------------------------------------------------------------------

    /** Writes the client heartbeat into the channel header. */
    public void heartbeat(final long nowNs)
    {
        header.clientHeartbeatNs(nowNs);
    }

    /** Leaves in order ({@link QueueChannelHeader#CLIENT_PID_LEFT}): the queue driver stops serving the channel. */
    public void detach()
    {
        header.detachClient();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // State and counters
    // ---------------------------------------------------------------------------------------------------------------

    /** Whether a slot is lent to the application for a look. */
    public boolean isLent(final int slot)
    {
        return slot >= 0 && slot < slotCount && owner[slot] == LENT;
    }

    /** Whether the application owns a slot: lent or held. */
    public boolean isOwned(final int slot)
    {
        return slot >= 0 && slot < slotCount && (owner[slot] == LENT || owner[slot] == HELD);
    }

    /** Slots in the TX reserve now. */
    public int freeSlots()
    {
        return freeCount;
    }

    /** Frames sent and not yet flushed. */
    public int queuedFrames()
    {
        return queuedCount;
    }

    /** Frames lent to the application from rxReady. */
    public long framesReceived()
    {
        return framesReceived;
    }

    /** Frames handed to the driver on txReady. */
    public long framesSent()
    {
        return framesSent;
    }

    /** Sent frames whose slots came back on txDone. */
    public long framesCompleted()
    {
        return framesCompleted;
    }

    /** Sent frames the driver returned unsent: their length was out of range. */
    public long txRejected()
    {
        return txRejected;
    }

    /** Times {@link #claim()} found the reserve empty. */
    public long noSlot()
    {
        return noSlot;
    }

    /** Received slots whose length from the driver was impossible: recycled, never lent. */
    public long invalidRxLength()
    {
        return invalidRxLength;
    }

    /** Slot indices from the driver out of range, or of slots it did not own: ignored. */
    public long driverProtocolErrors()
    {
        return driverProtocolErrors;
    }

    /** A slot the application no longer needs: the TX reserve first, the driver's RX side once it is full. */
    private void recycle(final int slot)
    {
        if (freeCount < txReserve)
        {
            owner[slot] = FREE;
            freeSlots[freeCount++] = slot;
        }
        else
        {
            owner[slot] = DRIVER;
            released[releasedCount++] = slot;
        }
    }

    private boolean takeFromDriver(final int slot)
    {
        if (slot < 0 || slot >= slotCount || owner[slot] != DRIVER)
        {
            driverProtocolErrors++;
            return false;
        }
        owner[slot] = LENT;
        return true;
    }

    private void checkOwned(final int slot, final String what)
    {
        if (slot < 0 || slot >= slotCount)
        {
            throw new IllegalStateException("cannot " + what + " slot " + slot + ": queue " + queueId +
                " has slots 0.." + (slotCount - 1));
        }
        final byte state = owner[slot];
        if (state != LENT && state != HELD)
        {
            throw new IllegalStateException("cannot " + what + " slot " + slot + " of queue " + queueId +
                ": the application does not own it (" + ownerName(state) + ")");
        }
    }

    private static String ownerName(final byte state)
    {
        return switch (state)
        {
            case DRIVER -> "the queue driver has it";
            case FREE -> "it is free: claim it first";
            case QUEUED -> "it is already queued for sending";
            default -> "state " + state;
        };
    }

    public String toString()
    {
        return "ChannelEndpoint{queue " + queueId + ", " + freeCount + " free, " + queuedCount + " queued, " +
            releasedCount + " to give back}";
    }
}
