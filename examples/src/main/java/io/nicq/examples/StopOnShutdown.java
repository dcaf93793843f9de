package io.nicq.examples;

import java.util.concurrent.atomic.AtomicBoolean;

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
