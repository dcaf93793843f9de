package io.nicq.proto;

/**
 * Where the control protocol runs and its defaults: one Aeron IPC stream from clients (and queue drivers) to the card
 * driver, one back. Every client reads the response stream and keeps the messages carrying its own client id.
 */
public final class ControlProtocol
{
    /** Requests and answers travel over shared memory: control latency is microseconds, no sockets involved. */
    public static final String CHANNEL = "aeron:ipc";

    /**
     * Where clients read answers: untethered, so that a client that reads slowly (or not at all: stopped, paused)
     * cannot hold back the answers of every other client; it is left behind alone (see
     * {@link #RESPONSE_PUBLICATION_CHANNEL}) and rejoins at the tail, missing what it did not read.
     */
    public static final String RESPONSE_SUBSCRIPTION_CHANNEL = "aeron:ipc?tether=false";

    /**
     * Where the card driver writes answers. Terms of 8 MiB (a 4 MiB window; sparse, so memory is touched only as
     * answers are written): a client that polls even every 250 ms stays well inside the window at any request rate the
     * card driver serves, so it neither holds anyone back nor misses a notice. A reader that stops altogether is left
     * behind once it is three quarters of a window behind for 20 ms (untethered), normally before it could block the
     * stream at all, and may rejoin 50 ms later at the tail. Should the stream block anyway, the card driver holds
     * answers back in order rather than dropping them. The media driver must check its timers often enough for the
     * timeouts to act (the card driver's embedded one does, every 10 ms).
     */
    public static final String RESPONSE_PUBLICATION_CHANNEL =
        "aeron:ipc?term-length=8m|sparse=true|untethered-window-limit-timeout=20ms|untethered-resting-timeout=50ms";

    /** Requests: clients and queue drivers to the card driver. */
    public static final int REQUEST_STREAM_ID = 7701;

    /** Answers and notifications: the card driver to every client, filtered by client id. */
    public static final int RESPONSE_STREAM_ID = 7702;

    /** A client that sends nothing (not even a heartbeat) for this long is reclaimed. */
    public static final long DEFAULT_CLIENT_TIMEOUT_MS = 1000;

    /**
     * Clients send a heartbeat this often: four per timeout, so one late one is harmless; each is also the client's
     * read of the answer stream, and its only wake-up when idle.
     */
    public static final long DEFAULT_HEARTBEAT_INTERVAL_MS = 250;

    /** How long a client waits for the answer to a request before giving up. */
    public static final long DEFAULT_REQUEST_TIMEOUT_MS = 5000;

    /**
     * Longest message accepted, headers and var fields included; anything longer is malformed. The longest the schema
     * can produce is a QueueGranted with both texts at {@link #MAX_TEXT_LENGTH}: about 8.2 KiB.
     */
    public static final int MAX_MESSAGE_LENGTH = 16384;

    /** Longest text in a var field (name, path, error message). */
    public static final int MAX_TEXT_LENGTH = 4096;

    private ControlProtocol()
    {
    }
}
