package io.nicq.card;

import java.nio.file.Path;

import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.sbe.QueueMode;

/**
 * One row of the queue table: the state of a hardware queue pair, who owns it, its channel and its queue driver.
 * Written by the conductor thread; {@link #hardwareEnabled}, {@link #revoking} and {@link #driver} are also read by
 * queue driver threads (detach).
 */
final class QueueEntry
{
    enum State
    {
        /** Nobody's: can be granted. */
        FREE,
        /** Granted, channel created, waiting for the queue driver to attach its rings. */
        GRANTED,
        /** Rings programmed, queue enabled, the queue driver serves it. */
        ACTIVE,
        /** Disabled and revoked; waiting for the queue driver process to exit before the queue is free again. */
        STOPPING
    }

    /** Owner id of queue 0: the card driver itself, never a client id. */
    static final long CARD_DRIVER_OWNER = Long.MIN_VALUE;

    final int id;
    State state = State.FREE;
    long ownerClientId;
    QueueMode mode;
    int ringSize;
    int slotCount;
    Path channelFile;
    QueueChannel channel;
    volatile QueueDriverHandle driver;
    long driverPid;
    /** Written into the channel header at grant: what a queue driver must show to attach or detach. */
    long attachToken;
    long deadlineNs;
    int statsSet = QueueProgrammer.NO_STATS_SET;
    CardCounters.QueueCounters counters;
    volatile boolean hardwareEnabled;
    /** Set by the conductor when it starts taking the queue away: a queue driver thread's detach need not wait. */
    volatile boolean revoking;
    /** The queue driver detached in order (DetachQueueDriver) before going away: its exit is no failure. */
    boolean driverDetached;

    QueueEntry(final int id)
    {
        this.id = id;
    }

    boolean isOwnedBy(final long clientId)
    {
        return state != State.FREE && state != State.STOPPING && ownerClientId == clientId;
    }

    void reset()
    {
        state = State.FREE;
        ownerClientId = 0;
        mode = null;
        ringSize = 0;
        slotCount = 0;
        channelFile = null;
        channel = null;
        driver = null;
        driverPid = 0;
        deadlineNs = 0;
        statsSet = QueueProgrammer.NO_STATS_SET;
        counters = null;
        hardwareEnabled = false;
        revoking = false;
    }

    public String toString()
    {
        return "queue " + id + " (" + state + (mode != null ? ", " + mode : "") +
            (driverPid != 0 ? ", driver pid " + driverPid : "") + ")";
    }
}
