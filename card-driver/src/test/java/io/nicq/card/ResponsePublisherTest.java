package io.nicq.card;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.aeron.Publication;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.HeartbeatAckDecoder;
import io.nicq.proto.sbe.MessageHeaderDecoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The answer path when the response stream pushes back: the conductor never waits, nothing is lost or reordered, and
 * only a stream nobody reads (or a full backlog) drops answers, counted.
 */
class ResponsePublisherTest
{
    /** A response stream whose next answers can be refused with a chosen result; it records what it takes. */
    private static final class ScriptedStream implements ResponsePublisher.AnswerStream
    {
        final List<Long> taken = new ArrayList<>();
        long refuseWith;
        int refusals;
        int offers;

        public long offer(final DirectBuffer buffer, final int offset, final int length)
        {
            offers++;
            if (refusals > 0)
            {
                refusals--;
                return refuseWith;
            }
            final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(buffer, offset);
            taken.add(buffer.getLong(offset + MessageHeaderDecoder.ENCODED_LENGTH, java.nio.ByteOrder.LITTLE_ENDIAN));
            assertEquals(HeartbeatAckDecoder.TEMPLATE_ID, header.templateId(), "only heartbeat acks in these tests");
            return 64L * taken.size();
        }
    }

    private final ScriptedStream stream = new ScriptedStream();
    private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    private CardCounters counters;
    private ResponsePublisher publisher;

    @BeforeEach
    void setUp()
    {
        final CountersManager manager = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(1024 * 1024)), new UnsafeBuffer(ByteBuffer.allocateDirect(
            64 * 1024)), StandardCharsets.US_ASCII);
        counters = new CardCounters(manager);
        publisher = new ResponsePublisher(stream, counters,
            new CardLog(new PrintStream(logged, true, StandardCharsets.UTF_8), "test"));
    }

    @Test
    void anAnswerTheStreamTakesGoesOutAtOnce()
    {
        publisher.heartbeatAck(1, 9);
        assertEquals(List.of(1L), stream.taken);
        assertEquals(0, publisher.doWork(), "nothing waits");
        assertEquals(0, counters.answersDelayed.get());
        assertEquals(0, counters.answersDropped.get());
    }

    @Test
    void aBackPressuredStreamDelaysAnswersInOrderWithoutWaitingOrDropping()
    {
        stream.refuseWith = Publication.BACK_PRESSURED;
        stream.refusals = 1;
        for (long correlationId = 1; correlationId <= 5; correlationId++)
        {
            publisher.heartbeatAck(correlationId, 9);
        }
        assertEquals(1, stream.offers, "one try, then every later answer queues behind the first without an offer");
        assertEquals(List.of(), stream.taken);
        assertEquals(5, counters.answersDelayed.get());
        assertTrue(publisher.backlogBytes() > 0);

        stream.refusals = 2;
        assertEquals(0, publisher.doWork(), "still refused: nothing sent");
        assertEquals(0, publisher.doWork(), "still refused: nothing sent");
        assertEquals(5, publisher.doWork(), "the stream takes them again");
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), stream.taken, "in the order they were answered");

        publisher.heartbeatAck(6, 9);
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), stream.taken, "once drained, answers go straight out again");
        assertEquals(0, publisher.backlogBytes());
        assertEquals(0, counters.answersDropped.get());
    }

    @Test
    void aTermRotationIsRetriedAtOnceNotDelayed()
    {
        stream.refuseWith = Publication.ADMIN_ACTION;
        stream.refusals = 1;
        publisher.heartbeatAck(1, 9);
        assertEquals(List.of(1L), stream.taken);
        assertEquals(2, stream.offers);
        assertEquals(0, counters.answersDelayed.get());
    }

    @Test
    void aStreamNobodyReadsDropsAnswersAndCountsThem()
    {
        stream.refuseWith = Publication.NOT_CONNECTED;
        stream.refusals = 1;
        publisher.heartbeatAck(1, 9);
        assertEquals(1, counters.answersDropped.get());
        assertEquals(0, publisher.backlogBytes(), "not kept: nobody would read it");
        assertTrue(logged.toString(StandardCharsets.UTF_8).contains("dropped: NOT_CONNECTED"), logged.toString());
    }

    @Test
    void aFullBacklogDropsTheNewestAnswersAndKeepsTheRest()
    {
        stream.refuseWith = Publication.BACK_PRESSURED;
        stream.refusals = Integer.MAX_VALUE;
        final int sent = ResponsePublisher.MAX_BACKLOG_BYTES / 16;   // 24-byte acks take 32 bytes each: twice the room
        for (long correlationId = 1; correlationId <= sent; correlationId++)
        {
            publisher.heartbeatAck(correlationId, 9);
        }
        final long delayed = counters.answersDelayed.get();
        assertTrue(delayed > 0 && delayed < sent, "some waiting: " + delayed);
        assertEquals(sent - delayed, counters.answersDropped.get(), "the rest dropped, each counted");
        assertTrue(logged.toString(StandardCharsets.UTF_8).contains("backlog behind a blocked response stream is full"));

        stream.refusals = 0;
        assertEquals(delayed, publisher.doWork());
        assertEquals(delayed, stream.taken.size());
        assertEquals(1L, stream.taken.get(0), "the oldest kept");
        assertEquals(delayed, stream.taken.get(stream.taken.size() - 1), "in order");
    }

    @Test
    void flushSendsTheBacklogAndDropsWhatTheStreamNeverTakes()
    {
        stream.refuseWith = Publication.BACK_PRESSURED;
        stream.refusals = 3;
        publisher.heartbeatAck(1, 9);
        publisher.heartbeatAck(2, 9);
        publisher.flush(TimeUnit.SECONDS.toNanos(1));
        assertEquals(List.of(1L, 2L), stream.taken);

        stream.refusals = Integer.MAX_VALUE;
        publisher.heartbeatAck(3, 9);
        publisher.queueRevoked(9, 4, ErrorCode.SHUTTING_DOWN, "card driver stopping");
        final long start = System.nanoTime();
        publisher.flush(TimeUnit.MILLISECONDS.toNanos(50));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "bounded by its timeout");
        assertEquals(2, counters.answersDropped.get(), "both left-overs counted");
        assertEquals(0, publisher.backlogBytes());
    }
}
