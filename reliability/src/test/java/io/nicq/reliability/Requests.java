package io.nicq.reliability;

import io.nicq.proto.sbe.AttachQueueDriverEncoder;
import io.nicq.proto.sbe.ConnectEncoder;
import io.nicq.proto.sbe.DeregisterFilterEncoder;
import io.nicq.proto.sbe.DetachQueueDriverEncoder;
import io.nicq.proto.sbe.DisconnectEncoder;
import io.nicq.proto.sbe.FilterKind;
import io.nicq.proto.sbe.HeartbeatEncoder;
import io.nicq.proto.sbe.MessageHeaderEncoder;
import io.nicq.proto.sbe.QueryStatsEncoder;
import io.nicq.proto.sbe.QueueMode;
import io.nicq.proto.sbe.RegisterFilterEncoder;
import io.nicq.proto.sbe.ReleaseQueueEncoder;
import io.nicq.proto.sbe.RequestQueueEncoder;
import io.nicq.proto.sbe.ResolveNeighbourEncoder;
import org.agrona.MutableDirectBuffer;

/**
 * Every request of the control protocol encoded at offset 0 of a buffer; each returns the message length, header
 * included. Shared by the typed test client, the fuzzers (their seeds) and the spoofing tests.
 */
final class Requests
{
    /** Where every message keeps its correlation id and client id (after the 8-byte header). */
    static final int CORRELATION_ID_OFFSET = MessageHeaderEncoder.ENCODED_LENGTH;
    static final int CLIENT_ID_OFFSET = MessageHeaderEncoder.ENCODED_LENGTH + 8;
    /** Shortest message the card driver can answer: header, correlation id, client id. */
    static final int ANSWERABLE_LENGTH = MessageHeaderEncoder.ENCODED_LENGTH + 16;

    private static final MessageHeaderEncoder HEADER = new MessageHeaderEncoder();

    private Requests()
    {
    }

    static synchronized int connect(final MutableDirectBuffer b, final long correlationId, final long clientId,
        final long pid, final String name)
    {
        return length(new ConnectEncoder().wrapAndApplyHeader(b, 0, HEADER).correlationId(correlationId)
            .clientId(clientId).pid(pid).name(name).encodedLength());
    }

    static synchronized int disconnect(final MutableDirectBuffer b, final long correlationId, final long clientId)
    {
        return length(new DisconnectEncoder().wrapAndApplyHeader(b, 0, HEADER).correlationId(correlationId)
            .clientId(clientId).encodedLength());
    }

    static synchronized int requestQueue(final MutableDirectBuffer b, final long correlationId, final long clientId,
        final long ringSize, final long slotCount, final QueueMode mode)
    {
        return length(new RequestQueueEncoder().wrapAndApplyHeader(b, 0, HEADER).correlationId(correlationId)
            .clientId(clientId).ringSize(ringSize).slotCount(slotCount).mode(mode).encodedLength());
    }

    static synchronized int releaseQueue(final MutableDirectBuffer b, final long correlationId, final long clientId,
        final int queueId)
    {
        return length(new ReleaseQueueEncoder().wrapAndApplyHeader(b, 0, HEADER).correlationId(correlationId)
            .clientId(clientId).queueId(queueId).encodedLength());
    }

    static synchronized int registerFilter(final MutableDirectBuffer b, final long correlationId,
        final long clientId, final int queueId, final FilterKind kind, final int priority, final int localIp,
        final int localPort, final int remoteIp, final int remotePort)
    {
        return length(new RegisterFilterEncoder().wrapAndApplyHeader(b, 0, HEADER).correlationId(correlationId)
            .clientId(clientId).queueId(queueId).kind(kind).priority((short)priority).localIp(localIp & 0xFFFF_FFFFL)
            .localPort(localPort).remoteIp(remoteIp & 0xFFFF_FFFFL).remotePort(remotePort).encodedLength());
    }

    static synchronized int deregisterFilter(final MutableDirectBuffer b, final long correlationId,
        final long clientId, final int filterId)
    {
        return length(new DeregisterFilterEncoder().wrapAndApplyHeader(b, 0, HEADER).correlationId(correlationId)
            .clientId(clientId).filterId(filterId).encodedLength());
    }

    static synchronized int resolveNeighbour(final MutableDirectBuffer b, final long correlationId,
        final long clientId, final int ipv4)
    {
        return length(new ResolveNeighbourEncoder().wrapAndApplyHeader(b, 0, HEADER).correlationId(correlationId)
            .clientId(clientId).ipv4(ipv4 & 0xFFFF_FFFFL).encodedLength());
    }

    static synchronized int heartbeat(final MutableDirectBuffer b, final long correlationId, final long clientId)
    {
        return length(new HeartbeatEncoder().wrapAndApplyHeader(b, 0, HEADER).correlationId(correlationId)
            .clientId(clientId).encodedLength());
    }

    static synchronized int queryStats(final MutableDirectBuffer b, final long correlationId, final long clientId)
    {
        return length(new QueryStatsEncoder().wrapAndApplyHeader(b, 0, HEADER).correlationId(correlationId)
            .clientId(clientId).encodedLength());
    }

    static synchronized int attachQueueDriver(final MutableDirectBuffer b, final long correlationId,
        final long clientId, final int queueId, final long pid, final long ringSize, final long rxIova,
        final long txIova, final long headIova)
    {
        return length(new AttachQueueDriverEncoder().wrapAndApplyHeader(b, 0, HEADER).correlationId(correlationId)
            .clientId(clientId).queueId(queueId).pid(pid).ringSize(ringSize).rxRingIova(rxIova).txRingIova(txIova)
            .txHeadWritebackIova(headIova).encodedLength());
    }

    static synchronized int detachQueueDriver(final MutableDirectBuffer b, final long correlationId,
        final long clientId, final int queueId, final long pid)
    {
        return length(new DetachQueueDriverEncoder().wrapAndApplyHeader(b, 0, HEADER).correlationId(correlationId)
            .clientId(clientId).queueId(queueId).pid(pid).encodedLength());
    }

    /** Overwrites the correlation id and client id of an encoded message (both little endian). */
    static void stamp(final MutableDirectBuffer b, final int length, final long correlationId, final long clientId)
    {
        if (length >= CORRELATION_ID_OFFSET + 8)
        {
            b.putLong(CORRELATION_ID_OFFSET, correlationId, java.nio.ByteOrder.LITTLE_ENDIAN);
        }
        if (length >= CLIENT_ID_OFFSET + 8)
        {
            b.putLong(CLIENT_ID_OFFSET, clientId, java.nio.ByteOrder.LITTLE_ENDIAN);
        }
    }

    private static int length(final int bodyLength)
    {
        return MessageHeaderEncoder.ENCODED_LENGTH + bodyLength;
    }
}
