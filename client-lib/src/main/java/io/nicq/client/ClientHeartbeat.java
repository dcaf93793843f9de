package io.nicq.client;

import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import io.nicq.proto.CardDriverProxy;
import io.nicq.proto.ControlException;
import org.agrona.ErrorHandler;

/**
 * A client's liveness, on a daemon thread of its own that sleeps: every interval it writes the client heartbeat of
 * each queue channel (so queue drivers know the application lives) and sends {@code Heartbeat} to the card driver (so
 * the card driver does not reclaim the client), which also reads the answer stream all clients share (one that does
 * not keep up is left behind, untethered; a read every interval is well inside its window). In between it sleeps on
 * the instance's notices word ({@code ControlClient.awaitNotice}), which the card driver signals when it sends a
 * {@code QueueRevoked}: a revocation arrives at once, and an idle client wakes once per interval, not every 10 ms.
 * While the stream is busy with other clients' answers it reads every 10 ms, to stay well inside the stream's window.
 * <p>
 * Once the card driver says it no longer knows the client ({@code NOT_CONNECTED}, {@code CLIENT_TIMED_OUT}) no more
 * heartbeats are sent: {@code onReclaimed} is told, and queue channels and the answer stream are still served until
 * the client closes.
 */
final class ClientHeartbeat
{
    /** A wake-up that read this many fragments found the stream busy with others' answers: look again sooner. */
    private static final int BUSY_FRAGMENTS = 16;
    /** How often the stream is read between heartbeats while it is busy (inside its window at any rate). */
    private static final long BUSY_POLL_NS = TimeUnit.MILLISECONDS.toNanos(10);

    private final CardDriverProxy cardDriver;
    private final Collection<NicQueue> queues;
    private final long intervalNs;
    private final ErrorHandler errorHandler;
    private final Consumer<NicException> onReclaimed;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean reclaimed;
    private volatile long answered;

    /**
     * @param interval    between heartbeats; at most a third of {@code timeoutMs}, so that one late heartbeat is
     *                    harmless
     * @param timeoutMs   the card driver's silence timeout (0 if it said none)
     * @param onReclaimed told once, on the heartbeat thread, when the card driver has reclaimed the client
     */
    ClientHeartbeat(final String name, final CardDriverProxy cardDriver, final Collection<NicQueue> queues,
        final long interval, final TimeUnit unit, final long timeoutMs, final ErrorHandler errorHandler,
        final Consumer<NicException> onReclaimed)
    {
        this.cardDriver = cardDriver;
        this.queues = queues;
        final long timeoutNs = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        this.intervalNs = timeoutNs > 0 ? Math.min(unit.toNanos(interval), timeoutNs / 3) : unit.toNanos(interval);
        this.errorHandler = errorHandler;
        this.onReclaimed = onReclaimed;
        this.thread = new Thread(this::run, "nicq-heartbeat-" + name);
        this.thread.setDaemon(true);
    }

    void start()
    {
        thread.start();
    }

    /** Stops sending: no heartbeat goes out once this returns. */
    void stop()
    {
        running = false;
        // A heartbeat is sent under the control client's lock after checking running: taking the lock here waits
        // for one in flight, so none follows whatever the caller sends next (Disconnect).
        final ReentrantLock lock = cardDriver.client().lock();
        lock.lock();
        lock.unlock();
        cardDriver.client().wakeNoticeWaiter();
        thread.interrupt();
    }

    /** {@link #stop()}, then waits up to 5 s for the thread to end. */
    void stopAndJoin()
    {
        stop();
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /** Heartbeats the card driver has acknowledged. */
    long answered()
    {
        return answered;
    }

    private void run()
    {
        while (running)
        {
            final long nowNs = System.nanoTime();
            for (final NicQueue queue : queues)
            {
                queue.heartbeat(nowNs);
            }
            if (!reclaimed)
            {
                beat();
            }
            long remainingNs;
            boolean busy = false;
            while (running && (remainingNs = intervalNs - (System.nanoTime() - nowNs)) > 0)
            {
                try
                {
                    busy = cardDriver.client().awaitNotice(busy ? Math.min(remainingNs, BUSY_POLL_NS) : remainingNs) >=
                        BUSY_FRAGMENTS;
                }
                catch (final RuntimeException ex)
                {
                    if (running)
                    {
                        errorHandler.onError(ex);
                    }
                    break;
                }
                if (Thread.interrupted())
                {
                    return;
                }
            }
        }
    }

    private void beat()
    {
        final ReentrantLock lock = cardDriver.client().lock();
        lock.lock();
        try
        {
            if (!running)
            {
                return;
            }
            cardDriver.heartbeat();
            answered++;
        }
        catch (final ControlException ex)
        {
            if (!running)
            {
                return;
            }
            final NicException failure = NicException.of(ex);
            if (failure.reason() == NicException.Reason.NOT_CONNECTED ||
                failure.reason() == NicException.Reason.CLIENT_TIMED_OUT)
            {
                reclaimed = true;
                onReclaimed.accept(failure);
            }
            errorHandler.onError(failure);
        }
        catch (final RuntimeException ex)
        {
            if (running)
            {
                errorHandler.onError(ex);
            }
        }
        finally
        {
            lock.unlock();
        }
    }
}
