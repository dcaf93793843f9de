package io.nicq.card;

import java.util.concurrent.TimeUnit;

import io.aeron.Publication;
import io.nicq.proto.ControlProtocol;
import io.nicq.proto.sbe.*;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Encodes the card driver's answers and notifications and offers them on the response stream, which every client
 * reads (each keeps what carries its client id). One encoder per message kind and one buffer, reused: nothing is
 * allocated for an answer without text. Conductor thread only.
 * <p>
 * An answer that cannot be offered within {@link #OFFER_TIMEOUT_NS} (the stream is blocked by a subscriber that does
 * not read, e.g. a client killed moments ago whose image the media driver has not yet dropped) is dropped and
 * counted rather than stalling the control plane for everyone.
 */
final class ResponsePublisher
{
    static final long OFFER_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(50);

    /** Error and revocation texts are cut to this length (the protocol allows 4096 bytes). */
    static final int MAX_TEXT = 1024;

    private final Publication publication;
    private final CardCounters counters;
    private final CardLog log;
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[ControlProtocol.MAX_MESSAGE_LENGTH]);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final ConnectedEncoder connected = new ConnectedEncoder();
    private final DisconnectedEncoder disconnected = new DisconnectedEncoder();
    private final QueueGrantedEncoder queueGranted = new QueueGrantedEncoder();
    private final QueueReleasedEncoder queueReleased = new QueueReleasedEncoder();
    private final FilterRegisteredEncoder filterRegistered = new FilterRegisteredEncoder();
    private final FilterDeregisteredEncoder filterDeregistered = new FilterDeregisteredEncoder();
    private final NeighbourEncoder neighbour = new NeighbourEncoder();
    private final HeartbeatAckEncoder heartbeatAck = new HeartbeatAckEncoder();
    private final StatsEncoder stats = new StatsEncoder();
    private final QueueDriverAttachedEncoder queueDriverAttached = new QueueDriverAttachedEncoder();
    private final QueueDriverDetachedEncoder queueDriverDetached = new QueueDriverDetachedEncoder();
    private final ErrorEncoder error = new ErrorEncoder();
    private final QueueRevokedEncoder queueRevoked = new QueueRevokedEncoder();

    ResponsePublisher(final Publication publication, final CardCounters counters, final CardLog log)
    {
        this.publication = publication;
        this.counters = counters;
        this.log = log;
    }

    void connected(
        final long correlationId,
        final long clientId,
        final long mac,
        final int ipv4,
        final int prefixLength,
        final int gateway,
        final int mtu,
        final int queuesFree,
        final int filtersFree,
        final long heartbeatTimeoutMs)
    {
        connected.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .clientId(clientId)
            .mac(mac)
            .ipv4(ipv4 & 0xFFFF_FFFFL)
            .prefixLength((short)prefixLength)
            .gateway(gateway & 0xFFFF_FFFFL)
            .mtu(mtu)
            .queuesFree(queuesFree)
            .filtersFree(filtersFree)
            .heartbeatTimeoutMs(heartbeatTimeoutMs);
        offer(MessageHeaderEncoder.ENCODED_LENGTH + connected.encodedLength());
    }

    void disconnected(final long correlationId, final long clientId)
    {
        disconnected.wrapAndApplyHeader(buffer, 0, header).correlationId(correlationId).clientId(clientId);
        offer(MessageHeaderEncoder.ENCODED_LENGTH + disconnected.encodedLength());
    }

    void queueGranted(
        final long correlationId,
        final long clientId,
        final int queueId,
        final QueueMode mode,
        final int ringSize,
        final int slotCount,
        final int slotSize,
        final String channelPath,
        final String nic)
    {
        queueGranted.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .clientId(clientId)
            .queueId(queueId)
            .mode(mode)
            .ringSize(ringSize)
            .slotCount(slotCount)
            .slotSize(slotSize)
            .channelPath(channelPath)
            .nic(nic);
        offer(MessageHeaderEncoder.ENCODED_LENGTH + queueGranted.encodedLength());
    }

    void queueReleased(final long correlationId, final long clientId, final int queueId)
    {
        queueReleased.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .clientId(clientId)
            .queueId(queueId);
        offer(MessageHeaderEncoder.ENCODED_LENGTH + queueReleased.encodedLength());
    }

    void filterRegistered(final long correlationId, final long clientId, final Filter filter)
    {
        filterRegistered.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .clientId(clientId)
            .filterId(filter.id())
            .queueId(filter.queueId())
            .placement(filter.placement())
            .hardwareIndex((short)filter.hardwareIndex());
        offer(MessageHeaderEncoder.ENCODED_LENGTH + filterRegistered.encodedLength());
    }

    void filterDeregistered(final long correlationId, final long clientId, final int filterId)
    {
        filterDeregistered.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .clientId(clientId)
            .filterId(filterId);
        offer(MessageHeaderEncoder.ENCODED_LENGTH + filterDeregistered.encodedLength());
    }

    void neighbour(final long correlationId, final long clientId, final int ipv4, final long mac)
    {
        neighbour.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .clientId(clientId)
            .ipv4(ipv4 & 0xFFFF_FFFFL)
            .mac(mac);
        offer(MessageHeaderEncoder.ENCODED_LENGTH + neighbour.encodedLength());
    }

    void heartbeatAck(final long correlationId, final long clientId)
    {
        heartbeatAck.wrapAndApplyHeader(buffer, 0, header).correlationId(correlationId).clientId(clientId);
        offer(MessageHeaderEncoder.ENCODED_LENGTH + heartbeatAck.encodedLength());
    }

    void stats(
        final long correlationId,
        final long clientId,
        final int clients,
        final int queuesInUse,
        final int queuesFree,
        final int filtersInUse,
        final int filtersFree,
        final long rxPackets,
        final long rxBytes,
        final long rxDrops,
        final long txPackets,
        final long txBytes)
    {
        stats.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .clientId(clientId)
            .clients(clients)
            .queuesInUse(queuesInUse)
            .queuesFree(queuesFree)
            .filtersInUse(filtersInUse)
            .filtersFree(filtersFree)
            .rxPackets(rxPackets)
            .rxBytes(rxBytes)
            .rxDrops(rxDrops)
            .txPackets(txPackets)
            .txBytes(txBytes);
        offer(MessageHeaderEncoder.ENCODED_LENGTH + stats.encodedLength());
    }

    void queueDriverAttached(final long correlationId, final long clientId, final int queueId)
    {
        queueDriverAttached.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .clientId(clientId)
            .queueId(queueId);
        offer(MessageHeaderEncoder.ENCODED_LENGTH + queueDriverAttached.encodedLength());
    }

    void queueDriverDetached(final long correlationId, final long clientId, final int queueId)
    {
        queueDriverDetached.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .clientId(clientId)
            .queueId(queueId);
        offer(MessageHeaderEncoder.ENCODED_LENGTH + queueDriverDetached.encodedLength());
    }

    /** The one answer to a request that failed; counted by code. */
    void error(final long correlationId, final long clientId, final ErrorCode code, final String message)
    {
        counters.onError(code);
        error.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .clientId(clientId)
            .code(code)
            .message(cut(message));
        offer(MessageHeaderEncoder.ENCODED_LENGTH + error.encodedLength());
    }

    /** Unasked (correlation id 0): a queue was taken away. */
    void queueRevoked(final long clientId, final int queueId, final ErrorCode reason, final String message)
    {
        queueRevoked.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(0)
            .clientId(clientId)
            .queueId(queueId)
            .reason(reason)
            .message(cut(message));
        offer(MessageHeaderEncoder.ENCODED_LENGTH + queueRevoked.encodedLength());
    }

    private void offer(final int length)
    {
        final long deadline = System.nanoTime() + OFFER_TIMEOUT_NS;
        while (true)
        {
            final long result = publication.offer(buffer, 0, length);
            if (result > 0)
            {
                return;
            }
            if (result == Publication.NOT_CONNECTED || result == Publication.CLOSED ||
                result == Publication.MAX_POSITION_EXCEEDED || System.nanoTime() - deadline > 0)
            {
                // Nobody reads answers (every client has gone) or the stream is blocked: the answer is lost.
                counters.answersDropped.incrementRelease();
                log.warnLimited("answer of template " + buffer.getShort(2) + " dropped: " +
                    Publication.errorString(result));
                return;
            }
            Thread.onSpinWait();
        }
    }

    private static String cut(final String text)
    {
        if (text == null)
        {
            return "";
        }
        return text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT - 3) + "...";
    }
}
