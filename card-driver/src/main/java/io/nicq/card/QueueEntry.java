package io.nicq.card;

import java.nio.file.Path;

import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.sbe.QueueMode;

/**
 * One row of the queue table: the state of a hardware queue pair, who owns it, its channel and which queue driver
 * serves it. The state changes only through the transitions below, each of which checks where it starts:
 * <pre>
 *            grant                attach
 *   FREE ------------> GRANTED -----------> ATTACHED      detach: DetachQueueDriver, or queue 0's driver stopped
 *    ^                  |    ^                 |
 *    |                  |    +---- detach -----+
 *    |                  |                      |
 *    |                  +---> REVOKED <--------+          revoke: filters removed, hardware disabled, channel
 *    +------ free ------------+                                   REVOKED, client told; its queue driver stopped
 * </pre>
 * A queue is freed once its queue driver has gone (at once when there is none or it stopped while asked to).
 * <p>
 * Conductor thread only: {@link QueueTable} writes it; nothing here is read by any other thread.
 */
final class QueueEntry
{
    enum State
    {
        /** Nobody's: can be granted. */
        FREE,
        /** Granted, channel created; no queue driver attached its rings (yet, or any more). */
        GRANTED,
        /** Rings programmed, queue enabled in the card, a queue driver serves it. */
        ATTACHED,
        /** Taken away and disabled; free once its queue driver has gone. */
        REVOKED
    }

    /** Owner id of queue 0: the card driver itself, never a client id. */
    static final long CARD_DRIVER_OWNER = Long.MIN_VALUE;

    /** {@link #driverId()} of a queue no queue driver of the supervisor serves (INLINE, or none started). */
    static final long NO_DRIVER = 0;

    private final int id;
    private State state = State.FREE;
    private long ownerClientId;
    private QueueMode mode;
    private int ringSize;
    private int slotCount;
    private Path channelFile;
    private QueueChannel channel;
    private long attachToken;
    private long driverId = NO_DRIVER;
    private long driverPid;
    private boolean hardwareEnabled;
    private boolean driverDetached;
    private long deadlineNs;

    QueueEntry(final int id)
    {
        this.id = id;
    }

    int id()
    {
        return id;
    }

    State state()
    {
        return state;
    }

    /** Granted or attached: a queue its owner holds. */
    boolean isHeld()
    {
        return state == State.GRANTED || state == State.ATTACHED;
    }

    boolean isOwnedBy(final long clientId)
    {
        return isHeld() && ownerClientId == clientId;
    }

    long ownerClientId()
    {
        return ownerClientId;
    }

    QueueMode mode()
    {
        return mode;
    }

    int ringSize()
    {
        return ringSize;
    }

    int slotCount()
    {
        return slotCount;
    }

    Path channelFile()
    {
        return channelFile;
    }

    QueueChannel channel()
    {
        return channel;
    }

    /** Written into the channel header at grant: what a queue driver must show to attach or detach. */
    long attachToken()
    {
        return attachToken;
    }

    /** The supervisor's id of the queue driver serving it, or {@link #NO_DRIVER}. */
    long driverId()
    {
        return driverId;
    }

    /** The process of its queue driver: the spawned process, this process for threads, the client for INLINE. */
    long driverPid()
    {
        return driverPid;
    }

    /** Whether the card may be reading or writing its rings: enabled and not yet disabled again. */
    boolean isHardwareEnabled()
    {
        return hardwareEnabled;
    }

    /** The queue driver detached in order (DetachQueueDriver) before going away: its exit is no failure. */
    boolean hasDriverDetached()
    {
        return driverDetached;
    }

    /** GRANTED: when its queue driver must have attached; REVOKED: when its queue driver must have exited. */
    long deadlineNs()
    {
        return deadlineNs;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Transitions
    // ---------------------------------------------------------------------------------------------------------------

    /** FREE to GRANTED: the channel exists; a queue driver must attach before the deadline. */
    void grant(final long owner, final QueueMode mode, final int ringSize, final int slotCount, final Path channelFile,
        final QueueChannel channel, final long attachToken, final long attachDeadlineNs)
    {
        expect(State.FREE, "grant");
        this.ownerClientId = owner;
        this.mode = mode;
        this.ringSize = ringSize;
        this.slotCount = slotCount;
        this.channelFile = channelFile;
        this.channel = channel;
        this.attachToken = attachToken;
        this.deadlineNs = attachDeadlineNs;
        this.driverDetached = false;
        this.state = State.GRANTED;
    }

    /**
     * The supervisor started a queue driver for it (or an INLINE queue's client will be its driver). A queue driver
     * thread has attached by then; a process attaches later.
     */
    void driverStarted(final long driverId, final long pid)
    {
        if (!isHeld())
        {
            throw new IllegalStateException("cannot start a queue driver for " + this);
        }
        this.driverId = driverId;
        this.driverPid = pid;
    }

    /** GRANTED to ATTACHED: the rings are programmed and the queue is enabled. */
    void attach(final int ringSize, final long pid)
    {
        expect(State.GRANTED, "attach");
        this.ringSize = ringSize;
        this.driverPid = pid;
        this.driverDetached = false;
        this.hardwareEnabled = true;
        this.state = State.ATTACHED;
    }

    /** The queue is disabled in the card: the device no longer reads or writes the rings or the pool. */
    void hardwareDisabled()
    {
        this.hardwareEnabled = false;
    }

    /** ATTACHED to GRANTED: the queue driver detached in order; the queue stays its owner's until released. */
    void detach()
    {
        expect(State.ATTACHED, "detach");
        this.driverDetached = true;
        this.state = State.GRANTED;
    }

    /** ATTACHED to GRANTED: its queue driver has gone without detaching (queue 0, which is never revoked for it). */
    void driverGone()
    {
        this.driverId = NO_DRIVER;
        if (state == State.ATTACHED)
        {
            this.state = State.GRANTED;
        }
    }

    /** GRANTED or ATTACHED to REVOKED: it is free once its queue driver has gone, by the deadline at the latest. */
    void revoke(final long exitDeadlineNs)
    {
        if (!isHeld())
        {
            throw new IllegalStateException("cannot revoke " + this);
        }
        this.deadlineNs = exitDeadlineNs;
        this.state = State.REVOKED;
    }

    /** A new deadline for the queue driver of a REVOKED queue to exit (after SIGKILL). */
    void extendExitDeadline(final long exitDeadlineNs)
    {
        expect(State.REVOKED, "wait longer for the queue driver of");
        this.deadlineNs = exitDeadlineNs;
    }

    /** Back to FREE, everything forgotten. */
    void free()
    {
        state = State.FREE;
        ownerClientId = 0;
        mode = null;
        ringSize = 0;
        slotCount = 0;
        channelFile = null;
        channel = null;
        attachToken = 0;
        driverId = NO_DRIVER;
        driverPid = 0;
        hardwareEnabled = false;
        driverDetached = false;
        deadlineNs = 0;
    }

    public String toString()
    {
        return "queue " + id + " (" + state + (mode != null ? ", " + mode : "") +
            (driverPid != 0 ? ", driver pid " + driverPid : "") + ")";
    }

    private void expect(final State expected, final String transition)
    {
        if (state != expected)
        {
            throw new IllegalStateException("cannot " + transition + " " + this + ": it is not " + expected);
        }
    }
}
