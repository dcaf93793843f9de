package io.nicq.client;

import io.nicq.proto.channel.IndexRing;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.runtime.AdaptiveIdleStrategy;
import io.nicq.runtime.WakeWord;

/**
 * What an application's loop sleeps on when its queue is served by another thread or process: the channel's client
 * wake word, which the queue driver signals (once per round) after it published on rxReady or txDone. The client's
 * announcement on the word is its "I sleep" flag: while it is 0 the queue driver's signal is one atomic add.
 * <pre>
 *   client (this)                               queue driver
 *   ticket = prepare()     (sleepers += 1)      publish on rxReady / txDone
 *   rxReady or txDone not empty? cancel         sequence += 1
 *   else await(ticket, bound)                   sleepers > 0? FUTEX_WAKE
 * </pre>
 * With a read-only RX ring the last look also checks DD at the client's consumer position; the queue driver signals
 * the word when it sees a new done descriptor there (its interrupt wakes it for that).
 */
final class ServedQueueWakeSource implements AdaptiveIdleStrategy.WakeSource
{
    private final WakeWord clientWake;
    private final IndexRing rxReady;
    private final IndexRing txDone;
    private final RxRingReader rxRing;
    private int ticket;

    ServedQueueWakeSource(final QueueChannel channel)
    {
        this(channel, null);
    }

    /** @param rxRing the queue's read-only RX ring, null if it has none */
    ServedQueueWakeSource(final QueueChannel channel, final RxRingReader rxRing)
    {
        this.rxRing = rxRing;
        this.clientWake = channel.clientWake();
        this.rxReady = channel.rxReady();
        this.txDone = channel.txDone();
    }

    public boolean arm()
    {
        ticket = clientWake.prepare();
        if (rxReady.size() > 0 || txDone.size() > 0 || (rxRing != null && rxRing.hasFrame()))
        {
            clientWake.cancel();
            return true;
        }
        return false;
    }

    public void sleep(final long timeoutNs)
    {
        clientWake.await(ticket, timeoutNs);
    }
}
