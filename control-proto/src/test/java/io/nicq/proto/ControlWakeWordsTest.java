package io.nicq.proto;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import io.nicq.proto.sbe.HeartbeatAckDecoder;
import io.nicq.proto.sbe.HeartbeatAckEncoder;
import io.nicq.proto.sbe.HeartbeatDecoder;
import io.nicq.proto.sbe.HeartbeatEncoder;
import io.nicq.proto.sbe.MessageHeaderDecoder;
import io.nicq.proto.sbe.MessageHeaderEncoder;
import io.nicq.runtime.WakeWord;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The control wake file and how {@link ControlClient} uses it: every request rings the requests word, connecting asks
 * for attention, a waiting request sleeps on the answers word and a heartbeat thread on the notices word, each woken
 * by a signal. Every wait is bounded.
 */
class ControlWakeWordsTest
{
    private static final long WAIT_MS = 10_000;

    @TempDir
    Path dir;

    private ControlWakeWords words;
    private ScriptedCardDriver cardDriver;
    private final CountDownLatch answerNow = new CountDownLatch(1);
    private volatile boolean holdAnswers;
    private WakeWord responderAnswers;

    @BeforeEach
    void start()
    {
        cardDriver = ScriptedCardDriver.launch(dir, this::respond);
        words = ControlWakeWords.create(InstancePaths.controlWakeFileOf(cardDriver.aeronDirectoryName()));
    }

    @AfterEach
    void stop()
    {
        cardDriver.close();
        words.close();
    }

    /** Heartbeat: answered with HeartbeatAck (once told to, while answers are held), then the answers word signalled. */
    private void respond(final DirectBuffer buffer, final int offset, final int length, final ScriptedCardDriver answers)
    {
        final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(buffer, offset);
        if (header.templateId() != HeartbeatDecoder.TEMPLATE_ID)
        {
            return;
        }
        final HeartbeatDecoder heartbeat = new HeartbeatDecoder().wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH,
            header.blockLength(), header.version());
        final long correlationId = heartbeat.correlationId();
        final long clientId = heartbeat.clientId();
        if (holdAnswers)
        {
            try
            {
                answerNow.await(WAIT_MS, TimeUnit.MILLISECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        final UnsafeBuffer out = new UnsafeBuffer(new byte[64]);
        new HeartbeatAckEncoder().wrapAndApplyHeader(out, 0, new MessageHeaderEncoder()).correlationId(correlationId)
            .clientId(clientId);
        answers.answer(out, MessageHeaderEncoder.ENCODED_LENGTH + HeartbeatAckEncoder.BLOCK_LENGTH);
        if (responderAnswers == null)
        {
            responderAnswers = words.answers();   // the responder thread's own flyweight
        }
        responderAnswers.signal();
    }

    private ControlClient connect()
    {
        return ControlClient.connect(new ControlClient.Context()
            .aeronDirectoryName(cardDriver.aeronDirectoryName())
            .requestTimeout(WAIT_MS, TimeUnit.MILLISECONDS)
            .description("test responder"));
    }

    private static void heartbeat(final ControlClient client)
    {
        final long correlationId = client.nextCorrelationId();
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + new HeartbeatEncoder()
            .wrapAndApplyHeader(client.requestBuffer(), 0, new MessageHeaderEncoder())
            .correlationId(correlationId).clientId(client.clientId()).encodedLength();
        client.request(correlationId, length).expect(HeartbeatAckDecoder.TEMPLATE_ID);
    }

    @Test
    void aFileThatIsNotAWakeFileOrNoFileIsNotUsed() throws Exception
    {
        assertNull(ControlWakeWords.openIfPresent(dir.resolve("none")));
        final Path zeros = dir.resolve("zeros");
        Files.write(zeros, new byte[ControlWakeWords.LENGTH]);
        assertNull(ControlWakeWords.openIfPresent(zeros), "no magic");
        Files.write(zeros, new byte[16]);
        assertNull(ControlWakeWords.openIfPresent(zeros), "too short");
        try (ControlWakeWords opened = ControlWakeWords.openIfPresent(words.file()))
        {
            assertNotNull(opened);
        }
    }

    @Test
    void attentionKeepsTheLaterDeadline()
    {
        assertEquals(0, words.attentionDeadlineNs());
        words.attendUntil(1_000);
        words.attendUntil(500);
        assertEquals(1_000, words.attentionDeadlineNs());
        words.attendUntil(2_000);
        assertEquals(2_000, words.attentionDeadlineNs());
    }

    @Test
    void connectingAsksForAttentionAndEveryRequestRingsTheRequestsWord()
    {
        try (WakeWord requests = words.requests(); ControlClient client = connect())
        {
            assertTrue(words.attentionDeadlineNs() != 0, "attention asked for before the Aeron commands");
            final int before = requests.sequence();
            heartbeat(client);
            heartbeat(client);
            assertTrue(requests.sequence() - before >= 2, "each request rang the conductor's word");
        }
    }

    @Test
    void aWaitingRequestSleepsOnTheAnswersWordUntilTheAnswerIsSignalled() throws Exception
    {
        holdAnswers = true;
        try (WakeWord answers = words.answers(); ControlClient client = connect())
        {
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread requester = new Thread(() ->
            {
                try
                {
                    heartbeat(client);
                }
                catch (final Throwable ex)
                {
                    failure.set(ex);
                }
            }, "requester");
            requester.start();
            assertTrue(awaitTrue(() -> answers.sleepers() > 0), "the waiting request sleeps on the answers word");
            answerNow.countDown();
            requester.join(WAIT_MS);
            assertFalse(requester.isAlive(), "the request was answered");
            assertNull(failure.get());
        }
    }

    @Test
    void awaitNoticeEndsWhenTheNoticesWordIsSignalledOrTheClientCloses() throws Exception
    {
        try (WakeWord notices = words.notices())
        {
            final ControlClient client = connect();
            final Thread waiter = new Thread(() -> client.awaitNotice(TimeUnit.MINUTES.toNanos(1)), "notices");
            waiter.start();
            assertTrue(awaitTrue(() -> notices.sleepers() > 0), "asleep on the notices word");
            notices.signal();
            waiter.join(WAIT_MS);
            assertFalse(waiter.isAlive(), "woken by the signal");

            final Thread closed = new Thread(() -> client.awaitNotice(TimeUnit.MINUTES.toNanos(1)), "notices");
            closed.start();
            assertTrue(awaitTrue(() -> notices.sleepers() > 0), "asleep on the notices word");
            client.close();
            closed.join(WAIT_MS);
            assertFalse(closed.isAlive(), "closing the client ends the wait");
            assertEquals(0, notices.sleepers());
        }
    }

    private static boolean awaitTrue(final BooleanSupplier condition) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }
}
