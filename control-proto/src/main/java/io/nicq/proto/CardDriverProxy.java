package io.nicq.proto;

import java.util.concurrent.locks.ReentrantLock;

import io.nicq.proto.sbe.ConnectedDecoder;
import io.nicq.proto.sbe.DisconnectedDecoder;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.FilterDeregisteredDecoder;
import io.nicq.proto.sbe.FilterKind;
import io.nicq.proto.sbe.FilterPlacement;
import io.nicq.proto.sbe.FilterRegisteredDecoder;
import io.nicq.proto.sbe.HeartbeatAckDecoder;
import io.nicq.proto.sbe.NeighbourDecoder;
import io.nicq.proto.sbe.QueueDriverAttachedDecoder;
import io.nicq.proto.sbe.QueueDriverDetachedDecoder;
import io.nicq.proto.sbe.QueueGrantedDecoder;
import io.nicq.proto.sbe.QueueMode;
import io.nicq.proto.sbe.QueueReleasedDecoder;
import io.nicq.proto.sbe.QueueRevokedDecoder;
import io.nicq.proto.sbe.RequestedService;
import io.nicq.proto.sbe.StatsDecoder;

/**
 * The card driver as a Java object, after Aeron's {@code DriverProxy}: one method per request of the control
 * protocol, which encodes it ({@link ControlRequestEncoder}), sends it over a {@link ControlClient}, waits for the
 * answer and decodes it. A refusal is a {@link ControlException} carrying the card driver's {@link ErrorCode} and
 * message; no card driver to ask is a {@link CardDriverUnavailableException}, no answer in time a
 * {@link ControlTimeoutException}.
 * <p>
 * Answers with content come back as small immutable records: requests are rare on the control plane and an answer
 * that outlives the next request is worth the allocation. Requests answered by an acknowledgement alone return
 * nothing and allocate nothing ({@link #heartbeat()} runs every 200 ms for as long as a client lives).
 * <p>
 * Thread safe: each request holds the client's lock from encoding to decoding. The proxy does not own the client:
 * whoever connected it closes it.
 */
public final class CardDriverProxy
{
    /** What the card driver says at {@code Connect}: the card's addresses and what is free. */
    public record Connected(long mac, int ipv4, int prefixLength, int gateway, int mtu, int queuesFree,
        int filtersFree, long heartbeatTimeoutMs, FiltersFree free)
    {
    }

    /**
     * Free filters by where the card driver would place them: 5-tuple registers first, then the flow director, then
     * software on the default queue (-1 each from a card driver of schema version 1, which did not say).
     */
    public record FiltersFree(int fiveTuple, int flowDirector, int software)
    {
    }

    /** A granted queue: where its queue driver runs, its sizes, its channel file and the card (for INLINE). */
    public record QueueGranted(int queueId, QueueMode mode, int ringSize, int slotCount, int slotSize,
        String channelPath, String nic)
    {
    }

    /**
     * A registered filter: its id, its queue, where the card driver put it (-1: no hardware register), and its local
     * port (the one allocated when a connection filter asked for 0; 0 from a card driver older than schema version 3,
     * which allocates none).
     */
    public record FilterRegistered(int filterId, int queueId, FilterPlacement placement, int hardwareIndex,
        int localPort)
    {
    }

    /** Instance-wide figures and the totals of the caller's queues. */
    public record Stats(long clients, int queuesInUse, int queuesFree, int filtersInUse, int filtersFree,
        long rxPackets, long rxBytes, long rxDrops, long txPackets, long txBytes, FiltersFree free)
    {
    }

    /** Receives {@code QueueRevoked}, the one message the card driver sends unasked. */
    @FunctionalInterface
    public interface QueueRevokedHandler
    {
        /**
         * @param reason {@code NULL_VAL} for a code this side does not know (a newer card driver)
         */
        void onQueueRevoked(int queueId, ErrorCode reason, String message);
    }

    private final ControlClient client;
    private final long clientId;
    private final ControlRequestEncoder encoder = new ControlRequestEncoder();
    private final ConnectedDecoder connected = new ConnectedDecoder();
    private final QueueGrantedDecoder queueGranted = new QueueGrantedDecoder();
    private final QueueReleasedDecoder queueReleased = new QueueReleasedDecoder();
    private final FilterRegisteredDecoder filterRegistered = new FilterRegisteredDecoder();
    private final NeighbourDecoder neighbour = new NeighbourDecoder();
    private final StatsDecoder stats = new StatsDecoder();
    private final QueueDriverAttachedDecoder queueDriverAttached = new QueueDriverAttachedDecoder();
    private final QueueDriverDetachedDecoder queueDriverDetached = new QueueDriverDetachedDecoder();

    /** @param client connected to the card driver; requests carry its client id */
    public CardDriverProxy(final ControlClient client)
    {
        this.client = client;
        this.clientId = client.clientId();
    }

    /**
     * A listener for {@link ControlClient.Context#listener} that decodes {@code QueueRevoked} and hands it to
     * {@code handler}; other unasked messages (none today) are ignored.
     */
    public static ControlClient.Listener queueRevokedListener(final QueueRevokedHandler handler)
    {
        final QueueRevokedDecoder revoked = new QueueRevokedDecoder();
        return message ->
        {
            if (message.templateId() == QueueRevokedDecoder.TEMPLATE_ID)
            {
                revoked.wrap(message.buffer(), message.bodyOffset(), message.blockLength(), message.version());
                final int queueId = revoked.queueId();
                final ErrorCode reason = ControlResponse.errorCode(revoked.reasonRaw());
                handler.onQueueRevoked(queueId, reason, revoked.message());
            }
        };
    }

    public ControlClient client()
    {
        return client;
    }

    /** The client id every request carries. */
    public long clientId()
    {
        return clientId;
    }

    /** {@code Connect}: must precede every other request of a client. */
    public Connected connect(final long pid, final String name)
    {
        final long correlationId = begin();
        try
        {
            final int length = encoder.connect(client.requestBuffer(), correlationId, clientId, pid, name);
            final ControlResponse answer = request(correlationId, length, ConnectedDecoder.TEMPLATE_ID);
            connected.wrap(answer.buffer(), answer.bodyOffset(), answer.blockLength(), answer.version());
            return new Connected(connected.mac(), (int)connected.ipv4(), connected.prefixLength(),
                (int)connected.gateway(), connected.mtu(), connected.queuesFree(), connected.filtersFree(),
                connected.heartbeatTimeoutMs(), new FiltersFree(
                orAbsent(connected.fiveTupleFree(), ConnectedDecoder.fiveTupleFreeNullValue()),
                orAbsent(connected.flowDirectorFree(), ConnectedDecoder.flowDirectorFreeNullValue()),
                orAbsent(connected.softwareFree(), ConnectedDecoder.softwareFreeNullValue())));
        }
        finally
        {
            end();
        }
    }

    /** {@code Disconnect}: the card driver releases every queue and filter of this client. */
    public void disconnect()
    {
        final long correlationId = begin();
        try
        {
            request(correlationId, encoder.disconnect(client.requestBuffer(), correlationId, clientId),
                DisconnectedDecoder.TEMPLATE_ID);
        }
        finally
        {
            end();
        }
    }

    /**
     * {@code RequestQueue}.
     *
     * @param ringSize  descriptors per ring, a power of two; 0 = the card driver's default
     * @param slotCount slots in the pool, a power of two; 0 = the card driver's default
     * @param service   SERVED (the card driver runs the queue driver, as a process or a thread by its own
     *                  configuration) or INLINE (the caller runs it)
     */
    public QueueGranted requestQueue(final long ringSize, final long slotCount, final RequestedService service)
    {
        final long correlationId = begin();
        try
        {
            final int length = encoder.requestQueue(client.requestBuffer(), correlationId, clientId, ringSize,
                slotCount, service);
            final ControlResponse answer = request(correlationId, length, QueueGrantedDecoder.TEMPLATE_ID);
            queueGranted.wrap(answer.buffer(), answer.bodyOffset(), answer.blockLength(), answer.version());
            // Fixed fields first, then the var fields in schema order.
            final int queueId = queueGranted.queueId();
            final QueueMode mode = QueueMode.get(queueGranted.modeRaw());
            final int grantedRingSize = (int)queueGranted.ringSize();
            final int grantedSlotCount = (int)queueGranted.slotCount();
            final int slotSize = (int)queueGranted.slotSize();
            final String channelPath = queueGranted.channelPath();
            return new QueueGranted(queueId, mode, grantedRingSize, grantedSlotCount, slotSize, channelPath,
                queueGranted.nic());
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ControlException(ErrorCode.INTERNAL_ERROR, "the card driver granted a queue in a mode this " +
                "side does not know: " + ex.getMessage(), ex);
        }
        finally
        {
            end();
        }
    }

    /** {@code ReleaseQueue}: the card driver disables the queue, removes its filters and takes it back. */
    public void releaseQueue(final int queueId)
    {
        final long correlationId = begin();
        try
        {
            final ControlResponse answer = request(correlationId,
                encoder.releaseQueue(client.requestBuffer(), correlationId, clientId, queueId),
                QueueReleasedDecoder.TEMPLATE_ID);
            queueReleased.wrap(answer.buffer(), answer.bodyOffset(), answer.blockLength(), answer.version());
            checkQueue("released", queueId, queueReleased.queueId());
        }
        finally
        {
            end();
        }
    }

    /**
     * {@code RegisterFilter}: steers matching frames to one of this client's queues.
     *
     * @param priority   1..7, 7 highest; 0 = the card driver's default
     * @param localIp    host order; 0 = the card's address
     * @param remoteIp   host order; TCP_CONNECTION only
     * @param remotePort TCP_CONNECTION only
     */
    public FilterRegistered registerFilter(final int queueId, final FilterKind kind, final int priority,
        final int localIp, final int localPort, final int remoteIp, final int remotePort)
    {
        final long correlationId = begin();
        try
        {
            final int length = encoder.registerFilter(client.requestBuffer(), correlationId, clientId, queueId, kind,
                priority, localIp, localPort, remoteIp, remotePort);
            final ControlResponse answer = request(correlationId, length, FilterRegisteredDecoder.TEMPLATE_ID);
            filterRegistered.wrap(answer.buffer(), answer.bodyOffset(), answer.blockLength(), answer.version());
            // The field came with schema version 3; before it, there is no port (0). Not the field's null value:
            // uint16's null is 65535, the top of the ephemeral range and a port the card driver does hand out.
            final int allocatedPort = answer.version() < 3 ? 0 : filterRegistered.localPort();
            return new FilterRegistered(filterRegistered.filterId(), filterRegistered.queueId(),
                FilterPlacement.get(filterRegistered.placementRaw()), filterRegistered.hardwareIndex(),
                allocatedPort);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ControlException(ErrorCode.INTERNAL_ERROR, "the card driver placed a filter where this side " +
                "does not know: " + ex.getMessage(), ex);
        }
        finally
        {
            end();
        }
    }

    /** {@code DeregisterFilter}. */
    public void deregisterFilter(final int filterId)
    {
        final long correlationId = begin();
        try
        {
            request(correlationId, encoder.deregisterFilter(client.requestBuffer(), correlationId, clientId, filterId),
                FilterDeregisteredDecoder.TEMPLATE_ID);
        }
        finally
        {
            end();
        }
    }

    /**
     * {@code ResolveNeighbour}: ARP through the card driver's default queue.
     *
     * @param ipv4 host order, on the card's subnet
     * @return the neighbour's MAC (low 48 bits, first octet most significant)
     */
    public long resolveNeighbour(final int ipv4)
    {
        final long correlationId = begin();
        try
        {
            final ControlResponse answer = request(correlationId,
                encoder.resolveNeighbour(client.requestBuffer(), correlationId, clientId, ipv4),
                NeighbourDecoder.TEMPLATE_ID);
            return neighbour.wrap(answer.buffer(), answer.bodyOffset(), answer.blockLength(), answer.version()).mac();
        }
        finally
        {
            end();
        }
    }

    /** {@code Heartbeat}: returns once the card driver has acknowledged it. Allocates nothing. */
    public void heartbeat()
    {
        final long correlationId = begin();
        try
        {
            request(correlationId, encoder.heartbeat(client.requestBuffer(), correlationId, clientId),
                HeartbeatAckDecoder.TEMPLATE_ID);
        }
        finally
        {
            end();
        }
    }

    /** {@code QueryStats}. */
    public Stats queryStats()
    {
        final long correlationId = begin();
        try
        {
            final ControlResponse answer = request(correlationId,
                encoder.queryStats(client.requestBuffer(), correlationId, clientId), StatsDecoder.TEMPLATE_ID);
            stats.wrap(answer.buffer(), answer.bodyOffset(), answer.blockLength(), answer.version());
            return new Stats(stats.clients(), stats.queuesInUse(), stats.queuesFree(), stats.filtersInUse(),
                stats.filtersFree(), stats.rxPackets(), stats.rxBytes(), stats.rxDrops(), stats.txPackets(),
                stats.txBytes(), new FiltersFree(
                orAbsent(stats.fiveTupleFree(), StatsDecoder.fiveTupleFreeNullValue()),
                orAbsent(stats.flowDirectorFree(), StatsDecoder.flowDirectorFreeNullValue()),
                orAbsent(stats.softwareFree(), StatsDecoder.softwareFreeNullValue())));
        }
        finally
        {
            end();
        }
    }

    /**
     * {@code AttachQueueDriver}: the card driver programs the queue's ring registers with these rings and enables it;
     * returns once the queue is enabled.
     *
     * @param token               the queue's attach token from its channel header
     * @param txHeadWritebackIova 0 for descriptor (DD) write-back
     */
    public void attachQueueDriver(final int queueId, final long pid, final long token, final int ringSize,
        final long rxRingIova, final long txRingIova, final long txHeadWritebackIova)
    {
        final long correlationId = begin();
        try
        {
            final int length = encoder.attachQueueDriver(client.requestBuffer(), correlationId, clientId, queueId,
                pid, token, ringSize, rxRingIova, txRingIova, txHeadWritebackIova);
            final ControlResponse answer = request(correlationId, length, QueueDriverAttachedDecoder.TEMPLATE_ID);
            queueDriverAttached.wrap(answer.buffer(), answer.bodyOffset(), answer.blockLength(), answer.version());
            checkQueue("attached", queueId, queueDriverAttached.queueId());
        }
        finally
        {
            end();
        }
    }

    /** {@code DetachQueueDriver}: returns once the card driver has disabled the queue, so its rings may be freed. */
    public void detachQueueDriver(final int queueId, final long pid, final long token)
    {
        final long correlationId = begin();
        try
        {
            final ControlResponse answer = request(correlationId,
                encoder.detachQueueDriver(client.requestBuffer(), correlationId, clientId, queueId, pid, token),
                QueueDriverDetachedDecoder.TEMPLATE_ID);
            queueDriverDetached.wrap(answer.buffer(), answer.bodyOffset(), answer.blockLength(), answer.version());
            checkQueue("detached", queueId, queueDriverDetached.queueId());
        }
        finally
        {
            end();
        }
    }

    /** Takes the client's lock (held until {@link #end()}) and a correlation id for the request. */
    private long begin()
    {
        final ReentrantLock lock = client.lock();
        lock.lock();
        try
        {
            return client.nextCorrelationId();
        }
        catch (final RuntimeException ex)
        {
            lock.unlock();
            throw ex;
        }
    }

    private void end()
    {
        client.lock().unlock();
    }

    private ControlResponse request(final long correlationId, final int length, final int expectedTemplateId)
    {
        return client.request(correlationId, length).expect(expectedTemplateId);
    }

    private static void checkQueue(final String what, final int asked, final int answered)
    {
        if (answered != asked)
        {
            throw new ControlException(ErrorCode.INTERNAL_ERROR, "the card driver " + what + " queue " + answered +
                " when asked for queue " + asked);
        }
    }

    /** A field added in a later schema version reads as its null value from an older card driver: -1 here. */
    private static int orAbsent(final int value, final int nullValue)
    {
        return value == nullValue ? -1 : value;
    }
}
