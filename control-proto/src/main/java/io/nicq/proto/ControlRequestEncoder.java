package io.nicq.proto;

import io.nicq.proto.sbe.AttachQueueDriverEncoder;
import io.nicq.proto.sbe.ConnectEncoder;
import io.nicq.proto.sbe.DeregisterFilterEncoder;
import io.nicq.proto.sbe.DetachQueueDriverEncoder;
import io.nicq.proto.sbe.DisconnectEncoder;
import io.nicq.proto.sbe.FilterKind;
import io.nicq.proto.sbe.HeartbeatEncoder;
import io.nicq.proto.sbe.MessageHeaderEncoder;
import io.nicq.proto.sbe.QueryStatsEncoder;
import io.nicq.proto.sbe.RegisterFilterEncoder;
import io.nicq.proto.sbe.ReleaseQueueEncoder;
import io.nicq.proto.sbe.RequestQueueEncoder;
import io.nicq.proto.sbe.RequestedService;
import io.nicq.proto.sbe.ResolveNeighbourEncoder;
import org.agrona.MutableDirectBuffer;

/**
 * Every request of the control protocol, encoded with its header at offset 0 of a buffer; each method returns the
 * length of the message, header included. The one place a request's fields are put in order: {@link CardDriverProxy}
 * encodes its requests here with its own ids, and the fault suite its seeds and forgeries with any ids it likes.
 * <p>
 * Addresses are IPv4 in host order ({@code 10.0.0.1} is {@code 0x0A000001}), written as the schema's uint32.
 * Not thread safe; allocates nothing.
 */
public final class ControlRequestEncoder
{
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final ConnectEncoder connect = new ConnectEncoder();
    private final DisconnectEncoder disconnect = new DisconnectEncoder();
    private final RequestQueueEncoder requestQueue = new RequestQueueEncoder();
    private final ReleaseQueueEncoder releaseQueue = new ReleaseQueueEncoder();
    private final RegisterFilterEncoder registerFilter = new RegisterFilterEncoder();
    private final DeregisterFilterEncoder deregisterFilter = new DeregisterFilterEncoder();
    private final ResolveNeighbourEncoder resolveNeighbour = new ResolveNeighbourEncoder();
    private final HeartbeatEncoder heartbeat = new HeartbeatEncoder();
    private final QueryStatsEncoder queryStats = new QueryStatsEncoder();
    private final AttachQueueDriverEncoder attachQueueDriver = new AttachQueueDriverEncoder();
    private final DetachQueueDriverEncoder detachQueueDriver = new DetachQueueDriverEncoder();

    public int connect(final MutableDirectBuffer buffer, final long correlationId, final long clientId,
        final long pid, final String name)
    {
        return length(connect.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId).clientId(clientId).pid(pid).name(name).encodedLength());
    }

    public int disconnect(final MutableDirectBuffer buffer, final long correlationId, final long clientId)
    {
        return length(disconnect.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId).clientId(clientId).encodedLength());
    }

    /** {@code ringSize} and {@code slotCount} as the schema's uint32: 0 asks for the card driver's default. */
    public int requestQueue(final MutableDirectBuffer buffer, final long correlationId, final long clientId,
        final long ringSize, final long slotCount, final RequestedService service)
    {
        return length(requestQueue.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId).clientId(clientId).ringSize(ringSize).slotCount(slotCount).service(service)
            .encodedLength());
    }

    public int releaseQueue(final MutableDirectBuffer buffer, final long correlationId, final long clientId,
        final int queueId)
    {
        return length(releaseQueue.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId).clientId(clientId).queueId(queueId).encodedLength());
    }

    /** {@code priority} 0 and {@code localIp} 0 ask for the defaults; the remote end counts for TCP_CONNECTION. */
    public int registerFilter(final MutableDirectBuffer buffer, final long correlationId, final long clientId,
        final int queueId, final FilterKind kind, final int priority, final int localIp, final int localPort,
        final int remoteIp, final int remotePort)
    {
        return length(registerFilter.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId).clientId(clientId).queueId(queueId).kind(kind).priority((short)priority)
            .localIp(localIp & 0xFFFF_FFFFL).localPort(localPort).remoteIp(remoteIp & 0xFFFF_FFFFL)
            .remotePort(remotePort).encodedLength());
    }

    public int deregisterFilter(final MutableDirectBuffer buffer, final long correlationId, final long clientId,
        final int filterId)
    {
        return length(deregisterFilter.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId).clientId(clientId).filterId(filterId).encodedLength());
    }

    public int resolveNeighbour(final MutableDirectBuffer buffer, final long correlationId, final long clientId,
        final int ipv4)
    {
        return length(resolveNeighbour.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId).clientId(clientId).ipv4(ipv4 & 0xFFFF_FFFFL).encodedLength());
    }

    public int heartbeat(final MutableDirectBuffer buffer, final long correlationId, final long clientId)
    {
        return length(heartbeat.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId).clientId(clientId).encodedLength());
    }

    public int queryStats(final MutableDirectBuffer buffer, final long correlationId, final long clientId)
    {
        return length(queryStats.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId).clientId(clientId).encodedLength());
    }

    /** {@code txHeadWritebackIova} 0 asks for descriptor (DD) write-back; {@code token} from the channel header. */
    public int attachQueueDriver(final MutableDirectBuffer buffer, final long correlationId, final long clientId,
        final int queueId, final long pid, final long token, final long ringSize, final long rxRingIova,
        final long txRingIova, final long txHeadWritebackIova)
    {
        return length(attachQueueDriver.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId).clientId(clientId).queueId(queueId).pid(pid).ringSize(ringSize)
            .rxRingIova(rxRingIova).txRingIova(txRingIova).txHeadWritebackIova(txHeadWritebackIova).token(token)
            .encodedLength());
    }

    public int detachQueueDriver(final MutableDirectBuffer buffer, final long correlationId, final long clientId,
        final int queueId, final long pid, final long token)
    {
        return length(detachQueueDriver.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId).clientId(clientId).queueId(queueId).pid(pid).token(token).encodedLength());
    }

    private static int length(final int bodyLength)
    {
        return MessageHeaderEncoder.ENCODED_LENGTH + bodyLength;
    }
}
