package io.nicq.card;

import io.nicq.proto.sbe.QueueMode;

/** Where the card driver runs the queue drivers of queues requested in PROCESS or THREAD mode. */
public enum QueueDriverMode
{
    /** A supervised child JVM per queue (isolation, the thesis's design). */
    PROCESS,

    /** An agent thread in the card driver per queue. */
    THREAD;

    /**
     * What a request's mode becomes: INLINE stays INLINE (the application services the queue itself); PROCESS and
     * THREAD follow this card driver's configuration.
     */
    QueueMode resolve(final QueueMode requested)
    {
        if (requested == QueueMode.INLINE)
        {
            return QueueMode.INLINE;
        }
        return this == PROCESS ? QueueMode.PROCESS : QueueMode.THREAD;
    }
}
