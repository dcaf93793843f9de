package io.nicq.card;

import io.nicq.proto.sbe.QueueMode;
import io.nicq.proto.sbe.RequestedService;

/** Where the card driver runs the queue drivers of the queues it serves ({@code --queue-driver-mode}). */
public enum QueueDriverMode
{
    /** A supervised child JVM per queue (isolation, the thesis's design). */
    PROCESS,

    /** An agent thread in the card driver per queue. */
    THREAD;

    /**
     * Where the queue driver of a requested queue runs: INLINE stays INLINE (the application services the queue
     * itself); a SERVED queue's runs as this card driver is configured.
     */
    QueueMode resolve(final RequestedService requested)
    {
        if (requested == RequestedService.INLINE)
        {
            return QueueMode.INLINE;
        }
        return this == PROCESS ? QueueMode.PROCESS : QueueMode.THREAD;
    }
}
