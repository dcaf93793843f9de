package io.nicq.proto;

/**
 * Where the control protocol runs and its defaults: one Aeron IPC stream from clients (and queue drivers) to the card
 * driver, one back. Every client reads the response stream and keeps the messages carrying its own client id.
 */
public final class ControlProtocol
{
    /** Requests and answers travel over shared memory: control latency is microseconds, no sockets involved. */
    public static final String CHANNEL = "aeron:ipc";

    /** Requests: clients and queue drivers to the card driver. */
    public static final int REQUEST_STREAM_ID = 7701;

    /** Answers and notifications: the card driver to every client, filtered by client id. */
    public static final int RESPONSE_STREAM_ID = 7702;

    /** A client that sends nothing (not even a heartbeat) for this long is reclaimed. */
    public static final long DEFAULT_CLIENT_TIMEOUT_MS = 1000;

    /** Clients send a heartbeat this often: several per timeout, so one late one is harmless. */
    public static final long DEFAULT_HEARTBEAT_INTERVAL_MS = 200;

    /** How long a client waits for the answer to a request before giving up. */
    public static final long DEFAULT_REQUEST_TIMEOUT_MS = 5000;

    /** Longest message the protocol produces, headers and var fields included; anything longer is malformed. */
    public static final int MAX_MESSAGE_LENGTH = 8192;

    /** Longest text in a var field (name, path, error message). */
    public static final int MAX_TEXT_LENGTH = 4096;

    private ControlProtocol()
    {
    }
}
