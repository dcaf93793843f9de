package io.nicq.sim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.nicq.ixgbe.NativeWaits;
import io.nicq.runtime.WakeWord;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * How an idle device loop on a TAP wire sleeps on the tun file descriptor and its doorbell together. A futex cannot
 * be polled and poll(2) cannot watch a futex (and the doorbell's ringers, the drivers, are other processes that hold
 * no file descriptor of this one), so the device loop sleeps on futex words only (its doorbell and the wire's
 * arrivals word, {@link io.nicq.runtime.WakeWord#awaitEither}) and this thread turns the descriptor's readability into
 * a signal of the arrivals word:
 * <pre>
 *   device loop                                   watcher thread (this)
 *   prepare doorbell, prepare arrivals            asleep on "armed"
 *   signal armed  ─────────────────────────────>  poll(tun fd, POLLIN, bound)
 *   last look: read the tun fd, the rings            readable: signal arrivals, then wait for the next arming
 *   futex_waitv(doorbell, arrivals)  <──────────     timed out: poll again while the device still sleeps
 * </pre>
 * The watcher polls only between an arming and the frame that ends that sleep: after it signalled, the descriptor
 * stays readable until the device reads, and polling again before the next arming would spin. A frame that arrives
 * after the device's last look makes poll return, so no wake-up is lost; one that arrives before it is read by it.
 * Started at the first arming, so a device loop that never sleeps (busy, yield) has no watcher.
 */
final class TapArrivalWatcher implements Runnable, AutoCloseable
{
    /** poll(2)'s bound: how soon the watcher notices it is closed. */
    static final int POLL_BOUND_MS = 100;
    private static final long ARMED_BOUND_NS = TimeUnit.MILLISECONDS.toNanos(POLL_BOUND_MS);

    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment words = arena.allocate(2 * WakeWord.LENGTH, 64);
    private final MemorySegment callState = NativeWaits.callState(arena);
    private final MemorySegment pollfd = arena.allocate(NativeWaits.POLLFD_SIZE, 8);
    /** The device loop's side: it sleeps on arrivals and signals armed. */
    private final WakeWord deviceArrivals = word(0);
    private final WakeWord deviceArmed = word(WakeWord.LENGTH);
    /** The watcher's side of the same two words. */
    private final WakeWord arrivals = word(0);
    private final WakeWord armed = word(WakeWord.LENGTH);
    private final Thread thread;
    private volatile boolean running = true;
    private long signals;

    TapArrivalWatcher(final int fd, final String name)
    {
        this.fd = fd;
        thread = new Thread(this, name);
        thread.setDaemon(true);
    }

    private WakeWord word(final int offset)
    {
        return new WakeWord().wrap(new UnsafeBuffer(words.address(), 2 * WakeWord.LENGTH), offset);
    }

    /** The word the device loop sleeps on (its thread's flyweight). */
    WakeWord arrivals()
    {
        return deviceArrivals;
    }

    /** The device loop has prepared its words and is about to take its last look: watch the descriptor. */
    void arm()
    {
        if (thread.getState() == Thread.State.NEW)
        {
            thread.start();
        }
        deviceArmed.signal();
    }

    /** Arrivals signalled so far (tests). */
    long signals()
    {
        return signals;
    }

    public void run()
    {
        int watched = armed.sequence() - 1; // the arming that started the thread is news
        while (running)
        {
            final int now = armed.sequence();
            if (now == watched)
            {
                final int ticket = armed.prepare();
                if (ticket == watched && running)
                {
                    armed.await(ticket, ARMED_BOUND_NS);
                }
                else
                {
                    armed.cancel();
                }
                continue;
            }
            watched = now;
            watchWhileTheDeviceSleeps();
        }
    }

    private void watchWhileTheDeviceSleeps()
    {
        while (running)
        {
            final long start = System.nanoTime();
            if (NativeWaits.pollIn(callState, pollfd, fd, POLL_BOUND_MS))
            {
                signals++;
                arrivals.signal();
                return;
            }
            if (arrivals.sleepers() == 0)
            {
                return; // the device woke for something else: the next arming starts a new watch
            }
            if (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(1))
            {
                // An error condition (POLLERR, POLLHUP of a downed interface) returns at once: do not spin on it.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
    }

    public void close()
    {
        running = false;
        if (thread.getState() != Thread.State.NEW)
        {
            deviceArmed.signal();
            try
            {
                thread.join(TimeUnit.MILLISECONDS.toMillis(10L * POLL_BOUND_MS));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        if (!thread.isAlive())
        {
            deviceArrivals.close();
            deviceArmed.close();
            arrivals.close();
            armed.close();
            arena.close();
        }
    }
}
