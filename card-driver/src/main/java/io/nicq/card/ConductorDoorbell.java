package io.nicq.card;

import io.nicq.proto.ControlWakeWords;
import io.nicq.runtime.WakeWord;

/**
 * Rings the conductor from any thread of the card driver: queue-driver events (a driver exited, a driver thread needs
 * its queue disabled, posted from process-exit callbacks and driver threads) and queue 0's driver thread when it has
 * moved frames for the default-queue service. It signals the requests word of the control wake file, the word the
 * conductor sleeps on; one flyweight behind a lock, since a flyweight holds its system call's memory.
 */
final class ConductorDoorbell implements AutoCloseable
{
    private final WakeWord requests;
    private boolean closed;

    ConductorDoorbell(final ControlWakeWords words)
    {
        this.requests = words.requests();
    }

    /** Wakes the conductor if it sleeps; one atomic add if it does not. Nothing once closed (late exit callbacks). */
    synchronized void ring()
    {
        if (!closed)
        {
            requests.signal();
        }
    }

    /** No ring touches the wake file once this returns: it may be unmapped. */
    public synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            requests.close();
        }
    }
}
