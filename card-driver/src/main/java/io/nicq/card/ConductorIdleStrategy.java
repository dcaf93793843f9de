package io.nicq.card;

import java.util.concurrent.TimeUnit;

import io.nicq.runtime.WakeWord;
import org.agrona.concurrent.IdleStrategy;

/**
 * How the card driver's conductor idles by default: it sleeps on the requests word of the instance's control wake file
 * ({@code ControlWakeWords}) until a client rings it or the conductor's next timer is due, so an idle control plane
 * costs a wake-up per timer and per request, not a thousand a second.
 * <pre>
 *   idle(work &gt; 0)                      a request, an event: stay awake (cancel an announced sleep)
 *   idle(0), idle for under the spin     yield: a burst of requests has its next one in microseconds
 *   idle(0), then                        announce (WakeWord.prepare) and return: the conductor's next duty
 *                                        cycle is the re-check of everything that rings it
 *   idle(0) once announced               sleep until signalled or the conductor's next deadline
 * </pre>
 * This is the WakeWord protocol's "prepare, re-check, await" with the whole duty cycle as the re-check, so a request
 * offered at any moment is either seen by that cycle or ends the sleep at once. After a sleep that ended with nothing
 * to do (a timer), the next idle call announces again at once: a timer costs one wake-up, no spinning. The spin
 * adapts to the requests: {@link #BURST_SPIN_NS} while work comes less than {@link #BURST_GAP_NS} apart (a client
 * making requests back to back), {@link #SPIN_NS} after a lone request (a heartbeat), so that idle clients' heartbeats
 * cost the conductor microseconds, not a fifth of a millisecond each.
 * <p>
 * While a client asks for attention (it is adding Aeron publications or subscriptions, which ring nothing) the
 * conductor's deadline is at most {@link #ATTENTION_POLL_NS} away, so the embedded media driver it runs answers
 * Aeron commands in about a millisecond.
 */
final class ConductorIdleStrategy implements IdleStrategy
{
    /** How long the conductor yields after lone work before it announces a sleep. */
    static final long SPIN_NS = TimeUnit.MICROSECONDS.toNanos(20);
    /** How long it yields after work that came within {@link #BURST_GAP_NS} of the work before. */
    static final long BURST_SPIN_NS = TimeUnit.MICROSECONDS.toNanos(200);
    /** Work this close to the work before is a burst. */
    static final long BURST_GAP_NS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Longest sleep while a client asks for attention. */
    static final long ATTENTION_POLL_NS = TimeUnit.MILLISECONDS.toNanos(1);

    /** The conductor's side: when it must run next, whatever rings. */
    @FunctionalInterface
    interface Deadline
    {
        /** The {@code System.nanoTime()} by which the conductor must run again (a timer, a retry, attention). */
        long nextDeadlineNs(long nowNs);
    }

    private final WakeWord requests;
    private final Deadline deadline;
    private volatile boolean stopping;
    private boolean announced;
    private int ticket;
    private long idleSinceNs;
    private long lastWorkNs;
    private long spinNs = SPIN_NS;
    private long plannedWakeNs;
    private long sleeps;

    /** @param requests the requests word, a flyweight for the conductor's thread alone */
    ConductorIdleStrategy(final WakeWord requests, final Deadline deadline)
    {
        this.requests = requests;
        this.deadline = deadline;
    }

    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            final long nowNs = System.nanoTime();
            spinNs = nowNs - lastWorkNs < BURST_GAP_NS ? BURST_SPIN_NS : SPIN_NS;
            lastWorkNs = nowNs;
            reset();
            return;
        }
        final long nowNs = System.nanoTime();
        plannedWakeNs = nowNs;
        if (idleSinceNs == 0)
        {
            idleSinceNs = nowNs;
        }
        if (nowNs - idleSinceNs < spinNs || stopping)
        {
            Thread.yield();
            return;
        }
        if (!announced)
        {
            ticket = requests.prepare();
            announced = true;
            return;
        }
        announced = false;
        final long wakeNs = deadline.nextDeadlineNs(nowNs);
        final long timeoutNs = wakeNs - nowNs;
        if (timeoutNs <= 0 || stopping)
        {
            requests.cancel();
            return;
        }
        plannedWakeNs = wakeNs;
        sleeps++;
        requests.await(ticket, timeoutNs);
        // Woken by a ring or a timer: the next duty cycle tells. If it finds nothing, sleep again without spinning.
        idleSinceNs = System.nanoTime() - BURST_SPIN_NS;
    }

    public void idle()
    {
        idle(0);
    }

    public void reset()
    {
        if (announced)
        {
            requests.cancel();
            announced = false;
        }
        idleSinceNs = 0;
    }

    /**
     * When the conductor planned to run again at its last idle call: a duty cycle that starts much later than this
     * was held up (the thread was not scheduled), which is no client's silence.
     */
    long plannedWakeNs()
    {
        return plannedWakeNs;
    }

    /** Sleeps taken so far (diagnostics). */
    long sleeps()
    {
        return sleeps;
    }

    /** From any thread, then ring the requests word: the conductor stops sleeping (the card driver is closing). */
    void stopSleeping()
    {
        stopping = true;
    }

    public String alias()
    {
        return "sleep-until-request";
    }
}
