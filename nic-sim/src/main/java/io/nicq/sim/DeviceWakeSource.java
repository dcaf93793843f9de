package io.nicq.sim;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.runtime.AdaptiveIdleStrategy;
import io.nicq.runtime.WakeWord;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * What an idle simulated card sleeps on under {@code --idle adaptive}: its doorbell (the status page's wake word
 * that {@link io.nicq.ixgbe.SimulatedBar} rings on every register write, tails included) and its wire's arrivals word
 * (a cable's or in-memory wire's, signalled by the sender; a TAP wire's, signalled by its {@link TapArrivalWatcher}),
 * both at once through futex_waitv.
 * <p>
 * The protocol is the check-after-arm of {@link WakeWord}: prepare both words, let the wire arm its watcher, run the
 * device loop once more as the last look (a register write or a frame that came before the words were prepared is
 * found there), and sleep only if that found nothing; a ring or a frame after the preparation changes a word, so the
 * sleep returns at once. A sleep lasts at most the strategy's bound (by default 100 ms, the heartbeat interval: the
 * status page's heartbeat, the wire's liveness checks and the IOMMU reclaim run on it), and only {@value #TIMED_WORK_SLEEP_US} us while the device has
 * work that only time makes possible ({@link SimulatedDevice#hasTimedWork}: a throttled interrupt, a busy peer, the
 * line-rate pacer, a held reordered frame).
 */
final class DeviceWakeSource implements AdaptiveIdleStrategy.WakeSource, AutoCloseable
{
    static final long TIMED_WORK_SLEEP_US = 50;
    private static final long TIMED_WORK_SLEEP_NS = TimeUnit.MICROSECONDS.toNanos(TIMED_WORK_SLEEP_US);

    private final SimulatedDevice device;
    private final Wire wire;
    private final WakeWord doorbell = new WakeWord();
    private final WakeWord arrivals;
    private final MemorySegment bar;
    private volatile boolean stopping;
    private int doorbellTicket;
    private int arrivalsTicket;
    private long sleeps;

    DeviceWakeSource(final SimulatedDevice device, final MemorySegment bar, final Wire wire)
    {
        this.device = device;
        this.wire = wire;
        doorbell.wrap(new UnsafeBuffer(bar.address(), SimulatedCardFiles.BAR_FILE_SIZE),
            SimulatedCardFiles.DOORBELL_WORD_OFFSET);
        this.arrivals = wire.arrivals();
        this.bar = bar;
    }

    /**
     * Called by the thread that closes the card, before it stops the loop: the loop sleeps no more, and a sleep in
     * progress is woken by a ring of the doorbell (from this thread's own flyweight of the word).
     */
    void stopSleeping()
    {
        stopping = true;
        try (WakeWord ringer = new WakeWord())
        {
            ringer.wrap(new UnsafeBuffer(bar.address(), SimulatedCardFiles.BAR_FILE_SIZE),
                SimulatedCardFiles.DOORBELL_WORD_OFFSET).signal();
        }
    }

    public boolean arm()
    {
        if (stopping)
        {
            return true;
        }
        doorbellTicket = doorbell.prepare();
        if (arrivals != null)
        {
            arrivalsTicket = arrivals.prepare();
        }
        wire.armArrivals();
        if (device.doWork() > 0)
        {
            doorbell.cancel();
            if (arrivals != null)
            {
                arrivals.cancel();
            }
            return true;
        }
        return false;
    }

    public void sleep(final long timeoutNs)
    {
        sleeps++;
        final long bound = device.hasTimedWork() ? Math.min(timeoutNs, TIMED_WORK_SLEEP_NS) : timeoutNs;
        if (arrivals != null)
        {
            WakeWord.awaitEither(doorbell, doorbellTicket, arrivals, arrivalsTicket, bound);
        }
        else
        {
            doorbell.await(doorbellTicket, bound);
        }
    }

    /** Sleeps so far (tests). */
    long sleeps()
    {
        return sleeps;
    }

    public void close()
    {
        doorbell.close();
    }
}
