package io.nicq.reliability;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import io.nicq.card.ControlSession;
import io.nicq.proto.CardDriverProxy;
import io.nicq.proto.ControlMessageValidator;
import io.nicq.proto.sbe.ConnectedDecoder;
import io.nicq.proto.sbe.DisconnectedDecoder;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.RequestedService;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the card driver's control server over the real transport: an embedded card driver on an embedded simulated
 * card, and a raw peer on its request stream sending mutated requests of every template, random bytes, messages too
 * short to answer, and messages longer than the protocol allows (up to the publication's maximum). Well-formed
 * requests are carried out for real (queues granted with their queue driver threads, filters programmed, neighbours
 * resolved), so the fuzzer also exercises what the server does with hostile field values.
 * <ul>
 *   <li>every message long enough to carry a correlation id and a client id gets exactly one answer: the
 *       validator's code for a malformed one, a result or an {@code Error} for a well-formed one, never
 *       {@code INTERNAL_ERROR};</li>
 *   <li>shorter messages are counted as unanswerable;</li>
 *   <li>nothing escapes the conductor, and afterwards nothing is left: no client, no queue but queue 0, no filter,
 *       no file, no IOMMU entry beyond what the instance had before, no counter; a new client is served.</li>
 * </ul>
 * Each try is a batch of up to 12 inputs sent by one connected fuzz client, which then disconnects (releasing whatever
 * its well-formed requests obtained).
 */
class ControlServerFuzzTest
{
    private static final long ANSWER_TIMEOUT_MS = 10_000;

    private static Path root;
    private static EmbeddedInstance instance;
    private static RawControl raw;
    private static LeakSnapshot baseline;
    private static final ControlMessageValidator VALIDATOR = new ControlMessageValidator();
    private static final Map<String, Long> OUTCOMES = new TreeMap<>();
    private static long sent;
    private static long unanswerable;
    private static long longestAnswerMs;

    /** One input: its bytes, and whether the client id in them is kept (answers then go to that id). */
    record Input(byte[] bytes, boolean foreignClientId)
    {
        public String toString()
        {
            return bytes.length + " bytes" + (foreignClientId ? " (foreign client id)" : "");
        }
    }

    @BeforeContainer
    static void start()
    {
        root = TestDirs.create("control-fuzz");
        instance = EmbeddedInstance.start(root, "fuzz", ctx -> ctx
            // Bounded answers to what the fuzzer provokes: queue drivers that nobody attaches stop after 1 s,
            // bogus rings are refused after 200 ms, unanswered ARP gives up after 100 ms.
            .queueDriverStartTimeoutNs(TimeUnit.SECONDS.toNanos(1))
            .queueEnableTimeoutNs(TimeUnit.MILLISECONDS.toNanos(200))
            .neighbourTimeoutNs(TimeUnit.MILLISECONDS.toNanos(50))
            .neighbourRetries(1)
            .defaultRingSize(64)
            .defaultSlotCount(128));
        raw = new RawControl(instance.aeronDir());
        connect();
        disconnect();
        baseline = instance.snapshot();
    }

    @AfterContainer
    static void checkNothingLeftAndStop()
    {
        try
        {
            final String section = ControlServerFuzzTest.class.getSimpleName();
            Figures.record(section, "messages sent", sent);
            Figures.record(section, "unanswerable (shorter than 24 bytes), counted", unanswerable);
            Figures.record(section, "answers by outcome", OUTCOMES);
            Figures.record(section, "slowest answer ms", longestAnswerMs);

            // Clients the fuzzer connected under random ids are reclaimed by the liveness check (1 s of silence).
            Await.until(() -> instance.counter("clients connected") == 0 &&
                instance.counter("queues in use (queue 0 included)") == 1, 15_000, 100,
                () -> "the fuzzed sessions are reclaimed: " + instance.snapshot().describe());
            final LeakSnapshot after = instance.snapshot();
            Figures.record(section, "state after fuzzing", after.describe());
            assertEquals(0, after.counter("filters in use"), "no filter left");
            assertEquals(baseline.instanceFiles(), after.instanceFiles(), "instance files as before");
            assertEquals(baseline.dmaFiles(), after.dmaFiles(), "card DMA files as before");
            assertEquals(baseline.iommuEntries(), after.iommuEntries(), "IOMMU entries as before: " +
                after.iommuEntriesByPid());
            assertEquals(baseline.allocatedCounters(), after.allocatedCounters(), "counters as before");
            assertEquals("", instance.internalErrors(), "nothing failed inside the card driver");

            // The server still serves a newcomer completely.
            try (ControlSession session = new ControlSession(instance.aeronDir()))
            {
                session.connect("after-fuzzing");
                final CardDriverProxy.QueueGranted granted = session.requestQueue(64, 128, RequestedService.SERVED);
                session.registerUdp(granted.queueId(), 9999);
                session.disconnect();
            }
        }
        finally
        {
            CloseHelper.quietCloseAll(raw, instance);
            TestDirs.delete(root);
        }
    }

    @Provide
    Arbitrary<List<Input>> batch()
    {
        final Arbitrary<Input> mutatedRequest = Combinators.combine(ControlMessages.request(),
            ControlMessages.mutations(), Arbitraries.integers().between(0, 9))
            .as((seed, mutations, foreign) ->
            {
                byte[] bytes = seed;
                for (final ControlMessages.Mutation mutation : mutations)
                {
                    bytes = mutation.apply(bytes);
                }
                return new Input(bytes, foreign == 0);
            });
        final Arbitrary<Input> wellFormed = ControlMessages.request().map(bytes -> new Input(bytes, false));
        final Arbitrary<Input> randomBytes = ControlMessages.randomBytes().map(bytes -> new Input(bytes, false));
        final Arbitrary<Input> tooShort = Arbitraries.bytes().array(byte[].class).ofMaxSize(23)
            .map(bytes -> new Input(bytes, false));
        final Arbitrary<Input> tooLong = Arbitraries.integers().between(8193, 30_000)
            .map(length -> new Input(new byte[length], false));
        return Arbitraries.frequencyOf(
            Tuple.of(6, mutatedRequest),
            Tuple.of(2, wellFormed),
            Tuple.of(1, randomBytes),
            Tuple.of(1, tooShort),
            Tuple.of(1, tooLong))
            .list().ofMinSize(1).ofMaxSize(12);
    }

    @Property(shrinking = ShrinkingMode.OFF)
    void everyAnswerableMessageGetsOneAnswerAndTheServerCarriesOn(@ForAll("batch") final List<Input> batch)
    {
        connect();
        final long unanswerableBefore = instance.counter("messages too short to answer");
        long tooShort = 0;
        for (final Input input : batch)
        {
            final UnsafeBuffer buffer = raw.buffer();
            final byte[] bytes = input.bytes();
            final int length = Math.min(bytes.length, raw.maxMessageLength());
            buffer.putBytes(0, bytes, 0, length);
            final long correlationId = raw.nextCorrelationId();
            final long clientId = input.foreignClientId() && length >= Requests.ANSWERABLE_LENGTH ?
                buffer.getLong(Requests.CLIENT_ID_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN) : raw.clientId();
            Requests.stamp(buffer, length, correlationId, clientId);
            final ErrorCode verdict = VALIDATOR.validate(buffer, 0, length);
            sent++;
            if (length < Requests.ANSWERABLE_LENGTH)
            {
                raw.offer(length);
                tooShort++;
                continue;
            }
            final long start = System.nanoTime();
            final RawControl.Answer answer = raw.request(length, correlationId, clientId, ANSWER_TIMEOUT_MS);
            longestAnswerMs = Math.max(longestAnswerMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            assertNotNull(answer, "no answer within " + ANSWER_TIMEOUT_MS + " ms to " + input + " (validator: " +
                (verdict == null ? "well formed, template " + VALIDATOR.templateId() : verdict) + ")");
            if (verdict != null)
            {
                assertTrue(answer.isError(), "a malformed message is answered with Error, got " + answer);
                assertEquals(verdict, answer.error(), "the validator's code: " + answer.message());
                outcome("malformed -> " + verdict);
            }
            else
            {
                if (answer.isError())
                {
                    assertNotEquals(ErrorCode.INTERNAL_ERROR, answer.error(), "template " + VALIDATOR.templateId() +
                        " of " + input + " failed inside the card driver: " + answer.message());
                    outcome("template " + VALIDATOR.templateId() + " -> " + answer.error());
                }
                else
                {
                    outcome("template " + VALIDATOR.templateId() + " -> answer " + answer.templateId());
                }
            }
        }
        unanswerable += tooShort;
        final long expected = unanswerableBefore + tooShort;
        Await.until(() -> instance.counter("messages too short to answer") == expected, 5_000,
            "the card driver counted " + tooShort + " unanswerable messages");
        disconnect();
        raw.discardPending();
    }

    private static void outcome(final String outcome)
    {
        OUTCOMES.merge(outcome, 1L, Long::sum);
    }

    /** The fuzz client connects under its own id (answers of Connected, or still connected from the batch). */
    private static void connect()
    {
        final long correlationId = raw.nextCorrelationId();
        final int length = Requests.ENCODER.connect(raw.buffer(), correlationId, raw.clientId(),
            ProcessHandle.current().pid(), "fuzzer");
        final RawControl.Answer answer = raw.request(length, correlationId, raw.clientId(), ANSWER_TIMEOUT_MS);
        assertNotNull(answer, "the card driver answers Connect");
        assertEquals(ConnectedDecoder.TEMPLATE_ID, answer.templateId(), "Connect: " + answer);
    }

    /** Releases everything the batch obtained; a batch may have disconnected the client already. */
    private static void disconnect()
    {
        final long correlationId = raw.nextCorrelationId();
        final int length = Requests.ENCODER.disconnect(raw.buffer(), correlationId, raw.clientId());
        final RawControl.Answer answer = raw.request(length, correlationId, raw.clientId(), ANSWER_TIMEOUT_MS);
        assertNotNull(answer, "the card driver answers Disconnect");
        assertTrue(answer.templateId() == DisconnectedDecoder.TEMPLATE_ID || answer.error() == ErrorCode.NOT_CONNECTED,
            "Disconnect: " + answer);
    }
}
