package io.nicq.client.tcp;

/** Told when a connection accepted by a hand-over worker's listener is gone from its layer. */
@FunctionalInterface
interface TcpReleaseHook
{
    /** @param key the connection's 4-tuple key ({@code TcpLayer.key}). */
    void released(long key);
}
