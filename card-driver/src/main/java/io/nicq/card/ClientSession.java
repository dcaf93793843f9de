package io.nicq.card;

/**
 * A connected client: its id (the Aeron client id it sends in every request), its process (watched: a client that
 * dies, even by kill -9, is reclaimed at the next liveness check) and when it was last heard from (any request counts
 * as a heartbeat).
 */
final class ClientSession
{
    private final long clientId;
    private final long pid;
    private final String name;
    private final ProcessHandle process;
    private final int sessionId;
    private long lastSeenNs;

    ClientSession(final long clientId, final long pid, final String name, final ProcessHandle process,
        final int sessionId, final long nowNs)
    {
        this.clientId = clientId;
        this.sessionId = sessionId;
        this.pid = pid;
        this.name = name;
        this.process = process;
        this.lastSeenNs = nowNs;
    }

    long clientId()
    {
        return clientId;
    }

    /** The Aeron session the client connected over: its later requests must come over the same one. */
    int sessionId()
    {
        return sessionId;
    }

    long pid()
    {
        return pid;
    }

    String name()
    {
        return name;
    }

    /** Whether the client's process still runs (a process handle also guards against pid reuse). */
    boolean isProcessAlive()
    {
        return process.isAlive();
    }

    long lastSeenNs()
    {
        return lastSeenNs;
    }

    void seen(final long nowNs)
    {
        lastSeenNs = nowNs;
    }

    /** "client 42 (udp-echo, pid 1234)". */
    String describe()
    {
        return "client " + clientId + " (" + (name.isEmpty() ? "unnamed" : name) + ", pid " + pid + ")";
    }
}
