package io.nicq.card;

import io.aeron.Publication;
import io.nicq.proto.ControlProtocol;
import io.nicq.proto.sbe.*;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableRingBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Encodes the card driver's answers and notifications and offers them on the response stream, which every client
 * reads (each keeps what carries its client id). One encoder per message kind and one buffer, reused: nothing is
 * allocated for an answer without text. Conductor thread only.
 * <p>
 * The conductor never waits on the stream. An answer the stream cannot take now (back-pressured: a reader has fallen
 * a whole window behind, e.g. a client stopped or killed moments ago, until the media driver leaves it behind) is
 * copied to a backlog, in order, and every later answer queues behind it; {@link #doWork()} sends the backlog from the
 * conductor's duty cycle. Meanwhile requests keep being served. An answer is only ever dropped (and counted) when
 * nobody reads the stream at all, or when the backlog is full ({@link #MAX_BACKLOG_BYTES}: thousands of answers, far
 * more than a stream blocked for the media driver's untethered timeouts can gather).
 */
final class ResponsePublisher
{
    /** Largest backlog of answers waiting for a blocked stream; a power of two. */
    static final int MAX_BACKLOG_BYTES = 1024 * 1024;

    /** Error and revocation texts are cut to this length (the protocol allows 4096 bytes). */
    static final int MAX_TEXT = 1024;

    /** Where answers go: {@link Publication#offer(DirectBuffer, int, int)} of the response stream. */
    @FunctionalInterface
    interface AnswerStream
    {
        /**
         * @return the new stream position if taken, else one of {@link Publication#BACK_PRESSURED},
         * {@link Publication#ADMIN_ACTION}, {@link Publication#NOT_CONNECTED}, {@link Publication#CLOSED},
         * {@link Publication#MAX_POSITION_EXCEEDED}.
         */
        long offer(DirectBuffer buffer, int offset, int length);
    }

    private final AnswerStream stream;
    private final CardCounters counters;
    private final CardLog log;
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[ControlProtocol.MAX_MESSAGE_LENGTH]);
    private final ExpandableRingBuffer backlog = new ExpandableRingBuffer(0, MAX_BACKLOG_BYTES, false);
    private final ExpandableRingBuffer.MessageConsumer sendFromBacklog = this::sendFromBacklog;
    private int backlogAnswersDone;
    private long published;
    private long noticesPublished;
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

    ResponsePublisher(final AnswerStream stream, final CardCounters counters, final CardLog log)
    {
        this.stream = stream;
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
        final long heartbeatTimeoutMs,
        final FilterManager.FreeCounts free)
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
            .heartbeatTimeoutMs(heartbeatTimeoutMs)
            .fiveTupleFree(free.fiveTuple())
            .flowDirectorFree(free.flowDirector())
            .softwareFree(free.software());
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

    void filterRegistered(final long correlationId, final long clientId, final FilterRegistration filter)
    {
        filterRegistered.wrapAndApplyHeader(buffer, 0, header)
            .correlationId(correlationId)
            .clientId(clientId)
            .filterId(filter.id())
            .queueId(filter.queueId())
            .placement(filter.placement())
            .hardwareIndex((short)filter.hardwareIndex())
            .localPort(filter.localPort());
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
        final long txBytes,
        final FilterManager.FreeCounts free)
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
            .txBytes(txBytes)
            .fiveTupleFree(free.fiveTuple())
            .flowDirectorFree(free.flowDirector())
            .softwareFree(free.software());
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

    /**
     * Sends what waits in the backlog, oldest first, until the stream pushes back again.
     *
     * @return the number of answers sent (or dropped for good).
     */
    int doWork()
    {
        if (backlog.isEmpty())
        {
            return 0;
        }
        backlogAnswersDone = 0;
        backlog.consume(sendFromBacklog, Integer.MAX_VALUE);
        return backlogAnswersDone;
    }

    /** Messages the stream has taken so far: the conductor signals waiting clients when this moves. */
    long published()
    {
        return published;
    }

    /** Of {@link #published()}, the unasked ones ({@code QueueRevoked}): heartbeat threads are woken for these. */
    long noticesPublished()
    {
        return noticesPublished;
    }

    /** @return the bytes of answers waiting for the stream (headers included). */
    int backlogBytes()
    {
        return backlog.size();
    }

    /**
     * Sends the backlog before the stream closes, for at most {@code timeoutNs}: revocations at shutdown must reach
     * clients. What is still waiting after that is dropped and counted.
     */
    void flush(final long timeoutNs)
    {
        final long deadline = System.nanoTime() + timeoutNs;
        while (!backlog.isEmpty() && System.nanoTime() - deadline < 0)
        {
            if (doWork() == 0)
            {
                Thread.yield();
            }
        }
        if (!backlog.isEmpty())
        {
            final int[] dropped = {0};
            backlog.consume((b, o, l, h) -> ++dropped[0] > 0, Integer.MAX_VALUE);
            counters.answersDropped.getAndAddRelease(dropped[0]);
            log.warnLimited(dropped[0] + " answers dropped at close: the response stream stayed blocked");
        }
    }

    private void offer(final int length)
    {
        // Behind a blocked stream, or behind answers already waiting for it: keep the order.
        if (!backlog.isEmpty() || !sentOrDropped(buffer, 0, length))
        {
            if (backlog.append(buffer, 0, length))
            {
                counters.answersDelayed.incrementRelease();
            }
            else
            {
                drop(buffer, 0, "the backlog behind a blocked response stream is full");
            }
        }
    }

    private boolean sendFromBacklog(
        final MutableDirectBuffer answer, final int offset, final int length, final int headOffset)
    {
        if (sentOrDropped(answer, offset, length))
        {
            backlogAnswersDone++;
            return true;
        }
        return false;
    }

    /**
     * One offer: false if the stream pushed back (worth trying again later); true if the answer was taken, or dropped
     * and counted because no later try can succeed.
     */
    private boolean sentOrDropped(final DirectBuffer answer, final int offset, final int length)
    {
        final long result = offerOnce(answer, offset, length);
        if (result > 0)
        {
            published++;
            if (answer.getShort(offset + 2, java.nio.ByteOrder.LITTLE_ENDIAN) == QueueRevokedEncoder.TEMPLATE_ID)
            {
                noticesPublished++;
            }
            return true;
        }
        if (isFinal(result))
        {
            drop(answer, offset, Publication.errorString(result));
            return true;
        }
        return false;
    }

    /** An offer that rotated the term ({@link Publication#ADMIN_ACTION}) is worth an immediate second try. */
    private long offerOnce(final DirectBuffer answer, final int offset, final int length)
    {
        final long result = stream.offer(answer, offset, length);
        return result == Publication.ADMIN_ACTION ? stream.offer(answer, offset, length) : result;
    }

    /** Not worth waiting for: nobody reads answers (every client has gone), or the stream is closed or exhausted. */
    private static boolean isFinal(final long result)
    {
        return result == Publication.NOT_CONNECTED || result == Publication.CLOSED ||
            result == Publication.MAX_POSITION_EXCEEDED;
    }

    private void drop(final DirectBuffer answer, final int offset, final String why)
    {
        counters.answersDropped.incrementRelease();
        log.warnLimited("answer of template " + answer.getShort(offset + 2) + " dropped: " + why);
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
