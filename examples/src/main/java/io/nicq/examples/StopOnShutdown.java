package io.nicq.examples;

import java.util.concurrent.atomic.AtomicBoolean;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.IdleStrategy;

/**
 * Ctrl-C or SIGTERM for an example's loop: a shutdown hook raises the flag the loop checks and gives the loop's thread
 * a grace period to leave it and close its queue in order, before the JVM goes on shutting down. Closing removes the
 * hook (once the loop is over, a signal simply ends the process).
 */
final class StopOnShutdown implements AutoCloseable
{
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final Thread hook;

    /**
     * @param name    of the hook thread
     * @param graceMs how long the hook waits for the calling (loop) thread to finish
     */
    StopOnShutdown(final String name, final long graceMs)
    {
        final Thread loop = Thread.currentThread();
        hook = new Thread(() ->
        {
            stopped.set(true);
            try
            {
                loop.join(graceMs);
            }
            catch (final InterruptedException ignore)
            {
                Thread.currentThread().interrupt();
            }
        }, name);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Whether a signal asked the loop to stop. */
    boolean isStopped()
    {
        return stopped.get();
    }

    /**
     * Runs {@code agent} in this thread, idling as {@code idle} says, until a signal stops it or {@code durationSeconds}
     * pass (0: no limit). The clock is read once every 1024 turns, not on each.
     */
    void serve(final Agent agent, final IdleStrategy idle, final long durationSeconds) throws Exception
    {
        final long deadline = durationSeconds > 0 ? System.nanoTime() + durationSeconds * 1_000_000_000L : 0;
        int polls = 0;
        while (!isStopped())
        {
            idle.idle(agent.doWork());
            if (deadline != 0 && (++polls & 0x3FF) == 0 && System.nanoTime() - deadline > 0)
            {
                return;
            }
        }
    }

    public void close()
    {
        try
        {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (final IllegalStateException ignore)
        {
            // The JVM is already shutting down: the hook runs.
        }
    }
}
