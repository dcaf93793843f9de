package io.nicq.card;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.aeron.Publication;
import io.nicq.proto.ControlClient;
import io.nicq.proto.ControlResponse;
import io.nicq.proto.sbe.*;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A control-protocol client for tests, straight on {@link ControlClient} (client-lib's NicClient is written in
 * parallel): one method per request, answers decoded into records, errors as {@link io.nicq.proto.ControlException}
 * with the card driver's code, QueueRevoked messages collected.
 */
final class TestClient implements AutoCloseable
{
    record Connected(long mac, int ipv4, int prefixLength, int queuesFree, int filtersFree, long heartbeatTimeoutMs)
    {
    }

    record Granted(int queueId, QueueMode mode, int ringSize, int slotCount, String channelPath, String nic)
    {
    }

    record Registered(int filterId, int queueId, FilterPlacement placement, int hardwareIndex)
    {
    }

    record Stats(long clients, int queuesInUse, int queuesFree, int filtersInUse, int filtersFree, long rxPackets)
    {
    }

    record Revoked(int queueId, ErrorCode reason, String message)
    {
    }

    final List<Revoked> revoked = new CopyOnWriteArrayList<>();
    private final ControlClient client;
    private volatile Thread heartbeats;

    TestClient(final String aeronDir)
    {
        this(aeronDir, 5000);
    }

    TestClient(final String aeronDir, final long requestTimeoutMs)
    {
        final QueueRevokedDecoder decoder = new QueueRevokedDecoder();
        client = ControlClient.connect(new ControlClient.Context()
            .aeronDirectoryName(aeronDir)
            .requestTimeout(requestTimeoutMs, TimeUnit.MILLISECONDS)
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

    ControlClient control()
    {
        return client;
    }

    Connected connect(final String name)
    {
        return connect(name, ProcessHandle.current().pid());
    }

    synchronized Connected connect(final String name, final long pid)
    {
        final long correlationId = client.nextCorrelationId();
        final ConnectEncoder encoder = new ConnectEncoder();
        encoder.wrapAndApplyHeader(client.requestBuffer(), 0, client.headerEncoder())
            .correlationId(correlationId).clientId(client.clientId()).pid(pid).name(name);
        final ControlResponse response = request(correlationId, encoder.encodedLength())
            .expect(ConnectedDecoder.TEMPLATE_ID);
        final ConnectedDecoder decoder = new ConnectedDecoder();
        decoder.wrap(response.buffer(), response.bodyOffset(), response.blockLength(), response.version());
        return new Connected(decoder.mac(), (int)decoder.ipv4(), decoder.prefixLength(), decoder.queuesFree(),
            decoder.filtersFree(), decoder.heartbeatTimeoutMs());
    }

    synchronized void disconnect()
    {
        final long correlationId = client.nextCorrelationId();
        final DisconnectEncoder encoder = new DisconnectEncoder();
        encoder.wrapAndApplyHeader(client.requestBuffer(), 0, client.headerEncoder())
            .correlationId(correlationId).clientId(client.clientId());
        request(correlationId, encoder.encodedLength()).expect(DisconnectedDecoder.TEMPLATE_ID);
    }

    synchronized Granted requestQueue(final int ringSize, final int slotCount, final QueueMode mode)
    {
        final long correlationId = client.nextCorrelationId();
        final RequestQueueEncoder encoder = new RequestQueueEncoder();
        encoder.wrapAndApplyHeader(client.requestBuffer(), 0, client.headerEncoder())
            .correlationId(correlationId).clientId(client.clientId()).ringSize(ringSize).slotCount(slotCount)
            .mode(mode);
        final ControlResponse response = request(correlationId, encoder.encodedLength())
            .expect(QueueGrantedDecoder.TEMPLATE_ID);
        final QueueGrantedDecoder decoder = new QueueGrantedDecoder();
        decoder.wrap(response.buffer(), response.bodyOffset(), response.blockLength(), response.version());
        return new Granted(decoder.queueId(), decoder.mode(), (int)decoder.ringSize(), (int)decoder.slotCount(),
            decoder.channelPath(), decoder.nic());
    }

    synchronized void releaseQueue(final int queueId)
    {
        final long correlationId = client.nextCorrelationId();
        final ReleaseQueueEncoder encoder = new ReleaseQueueEncoder();
        encoder.wrapAndApplyHeader(client.requestBuffer(), 0, client.headerEncoder())
            .correlationId(correlationId).clientId(client.clientId()).queueId(queueId);
        request(correlationId, encoder.encodedLength()).expect(QueueReleasedDecoder.TEMPLATE_ID);
    }

    Registered registerFilter(final int queueId, final FilterKind kind, final int localPort)
    {
        return registerFilter(queueId, kind, 0, localPort, 0, 0, 0);
    }

    synchronized Registered registerFilter(final int queueId, final FilterKind kind, final int localIp,
        final int localPort, final int remoteIp, final int remotePort, final int priority)
    {
        final long correlationId = client.nextCorrelationId();
        final RegisterFilterEncoder encoder = new RegisterFilterEncoder();
        encoder.wrapAndApplyHeader(client.requestBuffer(), 0, client.headerEncoder())
            .correlationId(correlationId).clientId(client.clientId()).queueId(queueId).kind(kind)
            .priority((short)priority).localIp(localIp & 0xFFFF_FFFFL).localPort(localPort)
            .remoteIp(remoteIp & 0xFFFF_FFFFL).remotePort(remotePort);
        final ControlResponse response = request(correlationId, encoder.encodedLength())
            .expect(FilterRegisteredDecoder.TEMPLATE_ID);
        final FilterRegisteredDecoder decoder = new FilterRegisteredDecoder();
        decoder.wrap(response.buffer(), response.bodyOffset(), response.blockLength(), response.version());
        return new Registered(decoder.filterId(), decoder.queueId(), decoder.placement(), decoder.hardwareIndex());
    }

    synchronized void deregisterFilter(final int filterId)
    {
        final long correlationId = client.nextCorrelationId();
        final DeregisterFilterEncoder encoder = new DeregisterFilterEncoder();
        encoder.wrapAndApplyHeader(client.requestBuffer(), 0, client.headerEncoder())
            .correlationId(correlationId).clientId(client.clientId()).filterId(filterId);
        request(correlationId, encoder.encodedLength()).expect(FilterDeregisteredDecoder.TEMPLATE_ID);
    }

    synchronized long resolveNeighbour(final int ipv4)
    {
        final long correlationId = client.nextCorrelationId();
        final ResolveNeighbourEncoder encoder = new ResolveNeighbourEncoder();
        encoder.wrapAndApplyHeader(client.requestBuffer(), 0, client.headerEncoder())
            .correlationId(correlationId).clientId(client.clientId()).ipv4(ipv4 & 0xFFFF_FFFFL);
        final ControlResponse response = request(correlationId, encoder.encodedLength())
            .expect(NeighbourDecoder.TEMPLATE_ID);
        final NeighbourDecoder decoder = new NeighbourDecoder();
        decoder.wrap(response.buffer(), response.bodyOffset(), response.blockLength(), response.version());
        return decoder.mac();
    }

    /** Also holds the control client's lock: a queue driver's attacher may share this client from another thread. */
    synchronized void heartbeat()
    {
        client.lock().lock();
        try
        {
            final long correlationId = client.nextCorrelationId();
            final HeartbeatEncoder encoder = new HeartbeatEncoder();
            encoder.wrapAndApplyHeader(client.requestBuffer(), 0, client.headerEncoder())
                .correlationId(correlationId).clientId(client.clientId());
            request(correlationId, encoder.encodedLength()).expect(HeartbeatAckDecoder.TEMPLATE_ID);
        }
        finally
        {
            client.lock().unlock();
        }
    }

    synchronized Stats stats()
    {
        final long correlationId = client.nextCorrelationId();
        final QueryStatsEncoder encoder = new QueryStatsEncoder();
        encoder.wrapAndApplyHeader(client.requestBuffer(), 0, client.headerEncoder())
            .correlationId(correlationId).clientId(client.clientId());
        final ControlResponse response = request(correlationId, encoder.encodedLength())
            .expect(StatsDecoder.TEMPLATE_ID);
        final StatsDecoder decoder = new StatsDecoder();
        decoder.wrap(response.buffer(), response.bodyOffset(), response.blockLength(), response.version());
        return new Stats(decoder.clients(), decoder.queuesInUse(), decoder.queuesFree(), decoder.filtersInUse(),
            decoder.filtersFree(), decoder.rxPackets());
    }

    synchronized void attachQueueDriver(final int queueId, final long pid, final int ringSize, final long rxIova,
        final long txIova)
    {
        final long correlationId = client.nextCorrelationId();
        final AttachQueueDriverEncoder encoder = new AttachQueueDriverEncoder();
        encoder.wrapAndApplyHeader(client.requestBuffer(), 0, client.headerEncoder())
            .correlationId(correlationId).clientId(client.clientId()).queueId(queueId).pid(pid).ringSize(ringSize)
            .rxRingIova(rxIova).txRingIova(txIova).txHeadWritebackIova(0);
        request(correlationId, encoder.encodedLength()).expect(QueueDriverAttachedDecoder.TEMPLATE_ID);
    }

    synchronized void detachQueueDriver(final int queueId, final long pid)
    {
        final long correlationId = client.nextCorrelationId();
        final DetachQueueDriverEncoder encoder = new DetachQueueDriverEncoder();
        encoder.wrapAndApplyHeader(client.requestBuffer(), 0, client.headerEncoder())
            .correlationId(correlationId).clientId(client.clientId()).queueId(queueId).pid(pid);
        request(correlationId, encoder.encodedLength()).expect(QueueDriverDetachedDecoder.TEMPLATE_ID);
    }

    /**
     * Sends raw bytes as a request (for malformed-input tests) and returns the answer, which the caller matches by
     * the correlation id it put at offset 8.
     */
    synchronized ControlResponse sendRaw(final byte[] bytes, final long correlationId)
    {
        client.requestBuffer().putBytes(0, bytes);
        return client.request(correlationId, bytes.length);
    }

    /**
     * Sends a heartbeat (and so reads unasked messages) every interval from a daemon thread, until the client closes
     * or the card driver stops answering.
     */
    TestClient startHeartbeats(final long intervalMs)
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

    /** Waits until a QueueRevoked has arrived (polling for it), or the timeout. */
    Revoked awaitRevoked(final long timeoutMs) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (revoked.isEmpty() && System.nanoTime() - deadline < 0)
        {
            poll();
            Thread.sleep(5);
        }
        return revoked.isEmpty() ? null : revoked.get(0);
    }

    /** Delivers unasked messages (QueueRevoked) to {@link #revoked}. */
    void poll()
    {
        client.poll();
    }

    /** Offers raw bytes on the request stream without waiting for any answer (for unanswerable messages). */
    static boolean offerRaw(final Publication publication, final byte[] bytes)
    {
        return publication.offer(new UnsafeBuffer(bytes)) > 0;
    }

    private ControlResponse request(final long correlationId, final int bodyLength)
    {
        return client.request(correlationId, MessageHeaderEncoder.ENCODED_LENGTH + bodyLength);
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
