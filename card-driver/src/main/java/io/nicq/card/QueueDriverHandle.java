package io.nicq.card;

/**
 * A queue driver the card driver started: a child process or an agent thread. The card driver stops it when the
 * queue is released and learns of its end (exit or termination) to tear the queue down.
 */
interface QueueDriverHandle
{
    /** The process that writes the queue's tail registers. */
    long pid();

    /** Asks it to stop (SIGTERM for a process; closes the runner of a thread, which waits for it). */
    void stop();

    /** Stops it without asking (SIGKILL for a process). */
    void kill();

    boolean isAlive();

    /** "process 1234 (log /tmp/...)", "thread nicq-queue-3". */
    String describe();

    /** How it ended, for messages: "exited with status 137". */
    String exitDescription();
}
