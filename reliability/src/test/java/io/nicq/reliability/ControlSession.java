package io.nicq.reliability;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.nicq.proto.ControlClient;
import io.nicq.proto.ControlException;
import io.nicq.proto.ControlResponse;
import io.nicq.proto.sbe.ConnectedDecoder;
import io.nicq.proto.sbe.DisconnectedDecoder;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.FilterDeregisteredDecoder;
import io.nicq.proto.sbe.FilterKind;
import io.nicq.proto.sbe.FilterRegisteredDecoder;
import io.nicq.proto.sbe.HeartbeatAckDecoder;
import io.nicq.proto.sbe.QueueDriverAttachedDecoder;
import io.nicq.proto.sbe.QueueGrantedDecoder;
import io.nicq.proto.sbe.QueueMode;
import io.nicq.proto.sbe.QueueReleasedDecoder;
import io.nicq.proto.sbe.QueueRevokedDecoder;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A well-behaved control-protocol client on control-proto's {@link ControlClient} (the path NicClient uses): one
 * method per request, errors as {@link ControlException} with the card driver's code, QueueRevoked collected.
 */
final class ControlSession implements AutoCloseable
{
    record Connected(long mac, int ipv4, int queuesFree, int filtersFree)
    {
    }

    record Granted(int queueId, QueueMode mode, int ringSize, int slotCount, String channelPath, String nic)
    {
    }

    record Registered(int filterId, int queueId, int hardwareIndex)
    {
    }

    record Revoked(int queueId, ErrorCode reason, String message)
    {
    }

    final List<Revoked> revoked = new CopyOnWriteArrayList<>();
    private final ControlClient client;
    private volatile Thread heartbeats;

    ControlSession(final String aeronDir)
    {
        final QueueRevokedDecoder decoder = new QueueRevokedDecoder();
        client = ControlClient.connect(new ControlClient.Context()
            .aeronDirectoryName(aeronDir)
            .requestTimeout(10, TimeUnit.SECONDS)
            .listener(message ->
            {
                if (message.templateId() == QueueRevokedDecoder.TEMPLATE_ID)
                {
                    decoder.wrap(message.buffer(), message.bodyOffset(), message.blockLength(), message.version());
                    revoked.add(new Revoked(decoder.queueId(), decoder.reason(), decoder.message()));
                }
            }));
    }

    long clientId()
    {
        return client.clientId();
    }

    Connected connect(final String name)
    {
        return send((b, c) -> Requests.connect(b, c, clientId(), ProcessHandle.current().pid(), name),
            ConnectedDecoder.TEMPLATE_ID, r ->
            {
                final ConnectedDecoder d = new ConnectedDecoder().wrap(r.buffer(), r.bodyOffset(), r.blockLength(),
                    r.version());
                return new Connected(d.mac(), (int)d.ipv4(), d.queuesFree(), d.filtersFree());
            });
    }

    void disconnect()
    {
        send((b, c) -> Requests.disconnect(b, c, clientId()), DisconnectedDecoder.TEMPLATE_ID, r -> null);
    }

    Granted requestQueue(final int ringSize, final int slotCount, final QueueMode mode)
    {
        return send((b, c) -> Requests.requestQueue(b, c, clientId(), ringSize, slotCount, mode),
            QueueGrantedDecoder.TEMPLATE_ID, r ->
            {
                final QueueGrantedDecoder d = new QueueGrantedDecoder().wrap(r.buffer(), r.bodyOffset(),
                    r.blockLength(), r.version());
                return new Granted(d.queueId(), d.mode(), (int)d.ringSize(), (int)d.slotCount(), d.channelPath(),
                    d.nic());
            });
    }

    void releaseQueue(final int queueId)
    {
        send((b, c) -> Requests.releaseQueue(b, c, clientId(), queueId), QueueReleasedDecoder.TEMPLATE_ID, r -> null);
    }

    Registered registerUdp(final int queueId, final int port)
    {
        return registerFilter(queueId, FilterKind.UDP_PORT, port, 0, 0);
    }

    Registered registerFilter(final int queueId, final FilterKind kind, final int localPort, final int remoteIp,
        final int remotePort)
    {
        return send((b, c) -> Requests.registerFilter(b, c, clientId(), queueId, kind, 0, 0, localPort, remoteIp,
            remotePort), FilterRegisteredDecoder.TEMPLATE_ID, r ->
            {
                final FilterRegisteredDecoder d = new FilterRegisteredDecoder().wrap(r.buffer(), r.bodyOffset(),
                    r.blockLength(), r.version());
                return new Registered(d.filterId(), d.queueId(), d.hardwareIndex());
            });
    }

    void deregisterFilter(final int filterId)
    {
        send((b, c) -> Requests.deregisterFilter(b, c, clientId(), filterId), FilterDeregisteredDecoder.TEMPLATE_ID,
            r -> null);
    }

    void attachQueueDriver(final int queueId, final long pid, final int ringSize, final long rxIova,
        final long txIova)
    {
        send((b, c) -> Requests.attachQueueDriver(b, c, clientId(), queueId, pid, ringSize, rxIova, txIova, 0),
            QueueDriverAttachedDecoder.TEMPLATE_ID, r -> null);
    }

    void heartbeat()
    {
        send((b, c) -> Requests.heartbeat(b, c, clientId()), HeartbeatAckDecoder.TEMPLATE_ID, r -> null);
    }

    /** Asserts that {@code action} is refused with {@code code}; returns the card driver's message. */
    static String refused(final ErrorCode code, final Runnable action)
    {
        final ControlException ex = assertThrows(ControlException.class, action::run, "expected " + code);
        assertEquals(code, ex.code(), "error code (message: " + ex.getMessage() + ")");
        return ex.getMessage();
    }

    /** Sends a heartbeat from a daemon thread every interval (reading QueueRevoked meanwhile) until closed. */
    ControlSession startHeartbeats(final long intervalMs)
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
        }, "reliability-heartbeats");
        thread.setDaemon(true);
        heartbeats = thread;
        thread.start();
        return this;
    }

    /** Delivers unasked messages that have arrived. */
    void poll()
    {
        client.poll();
    }

    Revoked awaitRevoked(final int queueId, final long timeoutMs)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() - deadline < 0)
        {
            poll();
            for (final Revoked r : revoked)
            {
                if (r.queueId() == queueId)
                {
                    return r;
                }
            }
            Await.sleep(2);
        }
        return null;
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

    @FunctionalInterface
    private interface Encoder
    {
        int encode(UnsafeBuffer buffer, long correlationId);
    }

    /** Encodes, sends and decodes under the client's lock: the answer buffer is reused by the next request. */
    private <T> T send(final Encoder encoder, final int expectedTemplateId, final Function<ControlResponse, T> decoder)
    {
        client.lock().lock();
        try
        {
            final long correlationId = client.nextCorrelationId();
            final int length = encoder.encode(client.requestBuffer(), correlationId);
            return decoder.apply(client.request(correlationId, length).expect(expectedTemplateId));
        }
        finally
        {
            client.lock().unlock();
        }
    }
}
