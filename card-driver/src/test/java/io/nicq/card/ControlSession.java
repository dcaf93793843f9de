package io.nicq.card;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import io.aeron.Publication;
import io.nicq.proto.CardDriverProxy;
import io.nicq.proto.ControlClient;
import io.nicq.proto.ControlException;
import io.nicq.proto.ControlResponse;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.ErrorDecoder;
import io.nicq.proto.sbe.FilterKind;
import io.nicq.proto.sbe.RequestedService;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A well-behaved control-protocol client for the tests of the card driver, here and in the fault suite (card-driver's
 * test jar): a {@link CardDriverProxy} on a {@link ControlClient} of its own, with what tests want around it: their
 * own pid at Connect, short forms of the requests, QueueRevoked collected, heartbeats from a daemon thread, and a raw
 * path ({@link #sendRaw}) for malformed input. Errors are {@link ControlException}s with the card driver's code.
 */
public final class ControlSession implements AutoCloseable
{
    /** A QueueRevoked as it arrived. */
    public record Revoked(int queueId, ErrorCode reason, String message)
    {
    }

    /** What came back for raw bytes: the answer's template, and for an {@code Error} its code and message. */
    public record RawAnswer(int templateId, ErrorCode error, String message)
    {
        public boolean isError()
        {
            return templateId == ErrorDecoder.TEMPLATE_ID;
        }
    }

    /** Every QueueRevoked so far, in order. */
    public final List<Revoked> revoked = new CopyOnWriteArrayList<>();
    private final ControlClient client;
    private final CardDriverProxy proxy;
    private volatile Thread heartbeats;

    public ControlSession(final String aeronDir)
    {
        this(aeronDir, 10_000);
    }

    public ControlSession(final String aeronDir, final long requestTimeoutMs)
    {
        client = ControlClient.connect(new ControlClient.Context()
            .aeronDirectoryName(aeronDir)
            .requestTimeout(requestTimeoutMs, TimeUnit.MILLISECONDS)
            .listener(CardDriverProxy.queueRevokedListener((queueId, reason, message) ->
                revoked.add(new Revoked(queueId, reason, message)))));
        proxy = new CardDriverProxy(client);
    }

    public long clientId()
    {
        return proxy.clientId();
    }

    /** The proxy itself, e.g. for a queue driver's attacher sharing this session. */
    public CardDriverProxy proxy()
    {
        return proxy;
    }

    public ControlClient control()
    {
        return client;
    }

    /** Connect with this process's pid. */
    public CardDriverProxy.Connected connect(final String name)
    {
        return connect(name, ProcessHandle.current().pid());
    }

    public CardDriverProxy.Connected connect(final String name, final long pid)
    {
        return proxy.connect(pid, name);
    }

    public void disconnect()
    {
        proxy.disconnect();
    }

    public CardDriverProxy.QueueGranted requestQueue(final long ringSize, final long slotCount,
        final RequestedService service)
    {
        return proxy.requestQueue(ringSize, slotCount, service);
    }

    public void releaseQueue(final int queueId)
    {
        proxy.releaseQueue(queueId);
    }

    public CardDriverProxy.FilterRegistered registerUdp(final int queueId, final int port)
    {
        return registerFilter(queueId, FilterKind.UDP_PORT, port);
    }

    /** On the card's address, default priority, from anywhere. */
    public CardDriverProxy.FilterRegistered registerFilter(final int queueId, final FilterKind kind,
        final int localPort)
    {
        return registerFilter(queueId, kind, localPort, 0, 0);
    }

    /** On the card's address, default priority. */
    public CardDriverProxy.FilterRegistered registerFilter(final int queueId, final FilterKind kind,
        final int localPort, final int remoteIp, final int remotePort)
    {
        return proxy.registerFilter(queueId, kind, 0, 0, localPort, remoteIp, remotePort);
    }

    public CardDriverProxy.FilterRegistered registerFilter(final int queueId, final FilterKind kind,
        final int priority, final int localIp, final int localPort, final int remoteIp, final int remotePort)
    {
        return proxy.registerFilter(queueId, kind, priority, localIp, localPort, remoteIp, remotePort);
    }

    public void deregisterFilter(final int filterId)
    {
        proxy.deregisterFilter(filterId);
    }

    public long resolveNeighbour(final int ipv4)
    {
        return proxy.resolveNeighbour(ipv4);
    }

    public void heartbeat()
    {
        proxy.heartbeat();
    }

    public CardDriverProxy.Stats queryStats()
    {
        return proxy.queryStats();
    }

    /** Without the queue's attach token (0): as a process that cannot read the channel; DD write-back. */
    public void attachQueueDriver(final int queueId, final long pid, final int ringSize, final long rxIova,
        final long txIova)
    {
        proxy.attachQueueDriver(queueId, pid, 0, ringSize, rxIova, txIova, 0);
    }

    /** Without the queue's attach token (0), as {@link #attachQueueDriver}. */
    public void detachQueueDriver(final int queueId, final long pid)
    {
        proxy.detachQueueDriver(queueId, pid, 0);
    }

    /**
     * Sends raw bytes as a request (for malformed-input tests) and returns what came back for the correlation id the
     * bytes carry at offset 8; read under the client's lock, so a heartbeat from another thread cannot overwrite it.
     */
    public RawAnswer sendRaw(final byte[] bytes, final long correlationId)
    {
        final ReentrantLock lock = client.lock();
        lock.lock();
        try
        {
            final ControlResponse response = client.requestRaw(new UnsafeBuffer(bytes), 0, bytes.length,
                correlationId);
            final ControlException refusal = response.refusal();
            return refusal == null ? new RawAnswer(response.templateId(), null, null) :
                new RawAnswer(response.templateId(), refusal.code(), refusal.getMessage());
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Offers raw bytes on the request stream without waiting for any answer (for unanswerable messages). */
    public static boolean offerRaw(final Publication publication, final byte[] bytes)
    {
        return publication.offer(new UnsafeBuffer(bytes)) > 0;
    }

    /** Asserts that {@code action} is refused with {@code code}; returns the card driver's message. */
    public static String refused(final ErrorCode code, final Runnable action)
    {
        final ControlException ex = assertThrows(ControlException.class, action::run, "expected " + code);
        assertEquals(code, ex.code(), "error code (message: " + ex.getMessage() + ")");
        return ex.getMessage();
    }

    /**
     * Sends a heartbeat (and so reads unasked messages) every interval from a daemon thread, until the session closes
     * or the card driver stops answering.
     */
    public ControlSession startHeartbeats(final long intervalMs)
    {
        final Thread thread = new Thread(() ->
        {
            while (heartbeats == Thread.currentThread())
            {
                try
                {
                    Thread.sleep(intervalMs);
                    if (heartbeats == Thread.currentThread())
                    {
                        heartbeat();
                    }
                }
                catch (final InterruptedException | RuntimeException ex)
                {
                    return;
                }
            }
        }, "test-heartbeats");
        thread.setDaemon(true);
        heartbeats = thread;
        thread.start();
        return this;
    }

    /** Delivers unasked messages that have arrived to {@link #revoked}. */
    public void poll()
    {
        client.poll();
    }

    /** Waits (polling) for the first QueueRevoked of this session; null after the timeout. */
    public Revoked awaitRevoked(final long timeoutMs)
    {
        return awaitRevoked(-1, timeoutMs);
    }

    /** Waits (polling) for a QueueRevoked of {@code queueId} (any queue for -1); null after the timeout. */
    public Revoked awaitRevoked(final int queueId, final long timeoutMs)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true)
        {
            poll();
            for (final Revoked r : revoked)
            {
                if (queueId < 0 || r.queueId() == queueId)
                {
                    return r;
                }
            }
            if (System.nanoTime() - deadline > 0)
            {
                return null;
            }
            try
            {
                Thread.sleep(2);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    public void close()
    {
        final Thread thread = heartbeats;
        heartbeats = null;
        if (thread != null)
        {
            thread.interrupt();
            try
            {
                thread.join(2000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        client.close();
    }
}
