package io.nicq.proto;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.nicq.proto.sbe.*;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/**
 * ControlClient against a scripted responder on a real media driver: answers are matched by client and correlation
 * id, late answers and other clients' answers are skipped, unasked messages reach the listener, silence times out.
 */
class ControlClientTest
{
    @TempDir
    Path dir;

    private ScriptedCardDriver cardDriver;
    private final List<ControlResponse> unasked = new ArrayList<>();
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[1024]);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final MessageHeaderDecoder inHeader = new MessageHeaderDecoder();
    private final HeartbeatDecoder heartbeat = new HeartbeatDecoder();

    @BeforeEach
    void start()
    {
        cardDriver = ScriptedCardDriver.launch(dir, this::respond);
    }

    @AfterEach
    void stop()
    {
        cardDriver.close();
    }

    /**
     * Heartbeat: answered with HeartbeatAck, preceded by an answer for another client and a stale answer.
     * QueryStats: answered with an Error. Disconnect: never answered; instead an unasked QueueRevoked is sent.
     */
    private void respond(final DirectBuffer buffer, final int offset, final int length, final ScriptedCardDriver answers)
    {
        inHeader.wrap(buffer, offset);
        heartbeat.wrap(buffer, offset + 8, inHeader.blockLength(), inHeader.version());
        final long correlationId = heartbeat.correlationId();
        final long clientId = heartbeat.clientId();
        switch (inHeader.templateId())
        {
            case HeartbeatDecoder.TEMPLATE_ID ->
            {
                new HeartbeatAckEncoder().wrapAndApplyHeader(out, 0, header).correlationId(correlationId)
                    .clientId(clientId + 1);
                answers.answer(out, 8 + HeartbeatAckEncoder.BLOCK_LENGTH);
                new HeartbeatAckEncoder().wrapAndApplyHeader(out, 0, header).correlationId(correlationId - 1000)
                    .clientId(clientId);
                answers.answer(out, 8 + HeartbeatAckEncoder.BLOCK_LENGTH);
                new HeartbeatAckEncoder().wrapAndApplyHeader(out, 0, header).correlationId(correlationId)
                    .clientId(clientId);
                answers.answer(out, 8 + HeartbeatAckEncoder.BLOCK_LENGTH);
            }
            case QueryStatsDecoder.TEMPLATE_ID ->
            {
                final ErrorEncoder e = new ErrorEncoder().wrapAndApplyHeader(out, 0, header);
                e.correlationId(correlationId).clientId(clientId).code(ErrorCode.NOT_CONNECTED).message("who are you?");
                answers.answer(out, 8 + e.encodedLength());
            }
            case DisconnectDecoder.TEMPLATE_ID ->
            {
                final QueueRevokedEncoder e = new QueueRevokedEncoder().wrapAndApplyHeader(out, 0, header);
                e.correlationId(0).clientId(clientId).queueId(5).reason(ErrorCode.QUEUE_DRIVER_FAILED).message("gone");
                answers.answer(out, 8 + e.encodedLength());
                out.putInt(0, 0xDEADBEEF);
                answers.answer(out, 3);
            }
            default -> { }
        }
    }

    private ControlClient connect()
    {
        return ControlClient.connect(new ControlClient.Context()
            .aeronDirectoryName(cardDriver.aeronDirectoryName())
            .requestTimeout(500, TimeUnit.MILLISECONDS)
            .listener(message ->
            {
                final ControlResponse copy = message;
                unasked.add(copy);
                assertEquals(QueueRevokedDecoder.TEMPLATE_ID, copy.templateId());
            })
            .description("test responder"));
    }

    @Test
    void answerIsMatchedByClientAndCorrelationId()
    {
        try (ControlClient client = connect())
        {
            final long correlationId = client.nextCorrelationId();
            final int length = 8 + new HeartbeatEncoder()
                .wrapAndApplyHeader(client.requestBuffer(), 0, new MessageHeaderEncoder())
                .correlationId(correlationId).clientId(client.clientId()).encodedLength();
            final ControlResponse answer = client.request(correlationId, length).expect(HeartbeatAckDecoder.TEMPLATE_ID);
            final HeartbeatAckDecoder ack = new HeartbeatAckDecoder()
                .wrap(answer.buffer(), answer.bodyOffset(), answer.blockLength(), answer.version());
            assertEquals(correlationId, ack.correlationId());
            assertEquals(client.clientId(), ack.clientId());
            assertEquals(1, client.lateAnswers(), "the stale answer is counted, the other client's is not");
        }
    }

    @Test
    void errorAnswerBecomesControlException()
    {
        try (ControlClient client = connect())
        {
            final long correlationId = client.nextCorrelationId();
            new QueryStatsEncoder().wrapAndApplyHeader(client.requestBuffer(), 0, new MessageHeaderEncoder())
                .correlationId(correlationId).clientId(client.clientId());
            final ControlResponse answer = client.request(correlationId, 8 + QueryStatsEncoder.BLOCK_LENGTH);
            final ControlException ex = assertThrows(ControlException.class, () -> answer.expect(StatsDecoder.TEMPLATE_ID));
            assertEquals(ErrorCode.NOT_CONNECTED, ex.code());
            assertEquals("who are you?", ex.getMessage());
        }
    }

    @Test
    void silenceTimesOutAndUnaskedMessagesReachTheListener()
    {
        try (ControlClient client = connect())
        {
            final long correlationId = client.nextCorrelationId();
            new DisconnectEncoder().wrapAndApplyHeader(client.requestBuffer(), 0, new MessageHeaderEncoder())
                .correlationId(correlationId).clientId(client.clientId());
            final ControlTimeoutException ex = assertThrows(ControlTimeoutException.class,
                () -> client.request(correlationId, 8 + DisconnectEncoder.BLOCK_LENGTH));
            assertTrue(ex.getMessage().startsWith("no answer from the test responder within 500 ms"), ex.getMessage());
            assertEquals(1, unasked.size());
            assertEquals(1, client.invalidMessages());
            assertTrue(client.lastInvalidMessage().startsWith("truncated"), client.lastInvalidMessage());
        }
    }

    @Test
    void noMediaDriverIsAClearError() throws Exception
    {
        final Path empty = Files.createDirectories(dir.resolve("nothing-here"));
        final CardDriverUnavailableException ex = assertThrows(CardDriverUnavailableException.class,
            () -> ControlClient.connect(
            new ControlClient.Context().aeronDirectoryName(empty.toString()).description("card driver of instance x")));
        assertEquals("no card driver of instance x is running: no media driver at " + empty, ex.getMessage());
    }

    @Test
    void everyMessageStartsWithCorrelationIdThenClientId()
    {
        // ControlClient matches answers without decoding them; the schema must keep this layout for every message.
        assertEquals(0, ConnectEncoder.correlationIdEncodingOffset());
        assertEquals(8, ConnectEncoder.clientIdEncodingOffset());
        final int[][] offsets = {
            {DisconnectEncoder.correlationIdEncodingOffset(), DisconnectEncoder.clientIdEncodingOffset()},
            {RequestQueueEncoder.correlationIdEncodingOffset(), RequestQueueEncoder.clientIdEncodingOffset()},
            {ReleaseQueueEncoder.correlationIdEncodingOffset(), ReleaseQueueEncoder.clientIdEncodingOffset()},
            {RegisterFilterEncoder.correlationIdEncodingOffset(), RegisterFilterEncoder.clientIdEncodingOffset()},
            {DeregisterFilterEncoder.correlationIdEncodingOffset(), DeregisterFilterEncoder.clientIdEncodingOffset()},
            {ResolveNeighbourEncoder.correlationIdEncodingOffset(), ResolveNeighbourEncoder.clientIdEncodingOffset()},
            {HeartbeatEncoder.correlationIdEncodingOffset(), HeartbeatEncoder.clientIdEncodingOffset()},
            {QueryStatsEncoder.correlationIdEncodingOffset(), QueryStatsEncoder.clientIdEncodingOffset()},
            {AttachQueueDriverEncoder.correlationIdEncodingOffset(), AttachQueueDriverEncoder.clientIdEncodingOffset()},
            {DetachQueueDriverEncoder.correlationIdEncodingOffset(), DetachQueueDriverEncoder.clientIdEncodingOffset()},
            {QueueDriverDetachedEncoder.correlationIdEncodingOffset(), QueueDriverDetachedEncoder.clientIdEncodingOffset()},
            {ConnectedEncoder.correlationIdEncodingOffset(), ConnectedEncoder.clientIdEncodingOffset()},
            {DisconnectedEncoder.correlationIdEncodingOffset(), DisconnectedEncoder.clientIdEncodingOffset()},
            {QueueGrantedEncoder.correlationIdEncodingOffset(), QueueGrantedEncoder.clientIdEncodingOffset()},
            {QueueReleasedEncoder.correlationIdEncodingOffset(), QueueReleasedEncoder.clientIdEncodingOffset()},
            {FilterRegisteredEncoder.correlationIdEncodingOffset(), FilterRegisteredEncoder.clientIdEncodingOffset()},
            {FilterDeregisteredEncoder.correlationIdEncodingOffset(), FilterDeregisteredEncoder.clientIdEncodingOffset()},
            {NeighbourEncoder.correlationIdEncodingOffset(), NeighbourEncoder.clientIdEncodingOffset()},
            {HeartbeatAckEncoder.correlationIdEncodingOffset(), HeartbeatAckEncoder.clientIdEncodingOffset()},
            {StatsEncoder.correlationIdEncodingOffset(), StatsEncoder.clientIdEncodingOffset()},
            {QueueDriverAttachedEncoder.correlationIdEncodingOffset(), QueueDriverAttachedEncoder.clientIdEncodingOffset()},
            {ErrorEncoder.correlationIdEncodingOffset(), ErrorEncoder.clientIdEncodingOffset()},
            {QueueRevokedEncoder.correlationIdEncodingOffset(), QueueRevokedEncoder.clientIdEncodingOffset()},
        };
        for (final int[] pair : offsets)
        {
            assertEquals(0, pair[0]);
            assertEquals(8, pair[1]);
        }
    }
}
