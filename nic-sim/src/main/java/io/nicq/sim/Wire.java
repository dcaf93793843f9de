package io.nicq.sim;

import java.lang.foreign.MemorySegment;

import io.nicq.runtime.WakeWord;

/**
 * What a simulated card's port is plugged into. A frame on a wire is an Ethernet frame from the destination address
 * to the end of the payload, without preamble or FCS (the card strips and adds the CRC in its MAC, as the 82599 does
 * with HLREG0.RXCRCSTRP and TXCRCEN). Implementations allocate nothing per frame.
 * <p>
 * A wire is used by one device loop: {@link #send} and {@link #poll} are called from one thread.
 */
public interface Wire extends AutoCloseable
{
    /** The frame is on the wire. */
    int SENT = 0;
    /** The wire cannot take the frame now (the peer is attached but has not caught up): try again later. */
    int BUSY = 1;
    /** The frame is lost (no peer, a full in-memory wire, an I/O error): the card counts it. */
    int DROPPED = 2;

    /** Largest frame any wire carries (jumbo frames up to the 82599's 15.5 KiB limit fit). */
    int MAX_FRAME_LENGTH = 16 * 1024;

    /** Puts a frame on the wire: {@link #SENT}, {@link #BUSY} or {@link #DROPPED}. */
    int send(MemorySegment frame, long offset, int length);

    /** Hands up to {@code limit} received frames to {@code sink}; returns how many. */
    int poll(FrameSink sink, int limit);

    /** Whether anything is plugged in: a card's link comes up after AUTOC restart only if so. */
    boolean isConnected();

    /** Called now and then from the device loop's slow path (not per frame): liveness checks, flushing. */
    default void housekeeping()
    {
    }

    /**
     * The wake word this wire signals when a frame may have arrived for the card, so that an idle device loop can
     * sleep on it beside the doorbell ({@link DeviceWakeSource}); null when nothing arrives unannounced (no wire).
     * The word belongs to the device loop's thread.
     */
    default WakeWord arrivals()
    {
        return null;
    }

    /**
     * Called by a device loop about to sleep, after it prepared {@link #arrivals()} and before its last look: a wire
     * whose arrivals need a watcher (TAP: poll(2) on its file descriptor) starts watching here.
     */
    default void armArrivals()
    {
    }

    /**
     * Whether the wire holds a frame it must pass on by time, whatever else happens (a frame held back for
     * reordering): a device loop then sleeps only briefly.
     */
    default boolean hasTimedWork()
    {
        return false;
    }

    /** "none", "memory", "cable:c1:a", "tap:nicq0" (with " + pcap FILE" when captured). */
    String description();

    void close();
}
