package io.nicq.reliability;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import io.nicq.proto.ControlMessageValidator;
import io.nicq.proto.ControlProtocol;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.MessageHeaderDecoder;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzes {@link ControlMessageValidator}, the gate every control message passes (card driver and clients) before a
 * decoder touches it, with jqwik: well-formed requests and answers of every template, mutated (bit flips, bytes,
 * truncation, garbage, hostile header fields and var lengths), and random bytes of every length up to beyond the
 * limit. Each input is given to the validator in a buffer of exactly its length (bounds checked), so reading one byte
 * too far fails the property. What must hold:
 * <ul>
 *   <li>the validator never throws; a rejection has a code from the validation set and a sentence;</li>
 *   <li>a message it accepts decodes, every field and var field, within its bytes, and occupies exactly the length
 *       the validator reported;</li>
 *   <li>a message with exactly one defect gets that defect's code.</li>
 * </ul>
 * Each try is a batch: the seed, every intermediate mutation and several truncations of the result. The number of
 * tries is {@code -Dnicq.fuzz.tries} (jqwik's default tries).
 */
class ControlValidatorFuzzTest
{
    private static final Set<ErrorCode> VALIDATION_CODES = EnumSet.of(ErrorCode.MALFORMED_MESSAGE,
        ErrorCode.UNKNOWN_TEMPLATE, ErrorCode.UNSUPPORTED_VERSION, ErrorCode.WRONG_SCHEMA);

    private static final AtomicLong INPUTS = new AtomicLong();
    private static final AtomicLong ACCEPTED = new AtomicLong();
    private static final AtomicLong ENUM_OUT_OF_RANGE = new AtomicLong();
    private static final Map<ErrorCode, AtomicLong> REJECTED = new EnumMap<>(ErrorCode.class);

    static
    {
        for (final ErrorCode code : VALIDATION_CODES)
        {
            REJECTED.put(code, new AtomicLong());
        }
    }

    private final ControlMessageValidator validator = new ControlMessageValidator();

    /**
     * Well-formed messages within the protocol's limit. The schema lets a QueueGranted carry two 4096-byte texts
     * (8232 bytes in all), more than {@code ControlProtocol.MAX_MESSAGE_LENGTH} (8192): such a message is refused as
     * too long, which {@link #aQueueGrantedWithBothTextsAtTheirLimitIsRefusedAsTooLong} documents.
     */
    @Provide
    Arbitrary<byte[]> wellFormed()
    {
        return Arbitraries.oneOf(ControlMessages.request(), ControlMessages.answer())
            .filter(bytes -> bytes.length <= ControlProtocol.MAX_MESSAGE_LENGTH);
    }

    @net.jqwik.api.Example
    void aQueueGrantedWithBothTextsAtTheirLimitIsAccepted()
    {
        final String text = "p".repeat(ControlProtocol.MAX_TEXT_LENGTH);
        final byte[] granted = ControlMessages.encode(b -> MessageHeaderDecoder.ENCODED_LENGTH +
            new io.nicq.proto.sbe.QueueGrantedEncoder().wrapAndApplyHeader(b, 0,
            new io.nicq.proto.sbe.MessageHeaderEncoder()).correlationId(1).clientId(2).queueId(3)
            .mode(io.nicq.proto.sbe.QueueMode.THREAD).channelPath(text).nic(text).encodedLength());
        assertTrue(granted.length <= ControlProtocol.MAX_MESSAGE_LENGTH, granted.length + " bytes");
        assertNull(check(granted), "the longest answer the schema allows is accepted");
        Figures.record(ControlValidatorFuzzTest.class.getSimpleName(), "largest QueueGranted the schema allows",
            granted.length + " bytes (limit " + ControlProtocol.MAX_MESSAGE_LENGTH + ")");
    }

    @Provide
    Arbitrary<List<ControlMessages.Mutation>> mutations()
    {
        return ControlMessages.mutations();
    }

    @Provide
    Arbitrary<byte[]> randomBytes()
    {
        return ControlMessages.randomBytes();
    }

    @Property
    void mutatedMessagesAreRejectedWithACodeOrDecodeWithinTheirBytes(
        @ForAll("wellFormed") final byte[] seed,
        @ForAll("mutations") final List<ControlMessages.Mutation> mutations)
    {
        assertNull(check(seed), "a well-formed message is accepted: " + validator.lastError());
        byte[] message = seed.clone();
        for (final ControlMessages.Mutation mutation : mutations)
        {
            message = mutation.apply(message);
            check(message);
        }
        // Truncations of the result at up to 64 points: every field boundary of the short templates.
        final int step = Math.max(1, message.length / 64);
        for (int length = 0; length < message.length; length += step)
        {
            check(Arrays.copyOf(message, length));
        }
    }

    @Property
    void randomBytesAreRejectedWithACodeOrDecodeWithinTheirBytes(@ForAll("randomBytes") final byte[] bytes)
    {
        check(bytes);
    }

    @Property
    void eachSingleDefectGetsItsOwnCode(@ForAll("wellFormed") final byte[] seed,
        @ForAll("defect") final Defect defect)
    {
        assertNull(check(seed), "a well-formed message is accepted: " + validator.lastError());
        final UnsafeBuffer b = new UnsafeBuffer(seed);
        final int templateId = b.getShort(2, java.nio.ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int blockLength = b.getShort(0, java.nio.ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final boolean hasVarField = seed.length > MessageHeaderDecoder.ENCODED_LENGTH + blockLength;
        switch (defect.kind())
        {
            case TRUNCATED ->
            {
                final int length = (int)((long)defect.value() % seed.length);
                assertEquals(ErrorCode.MALFORMED_MESSAGE, check(Arrays.copyOf(seed, length)), "truncated to " +
                    length + " of " + seed.length);
            }
            case WRONG_SCHEMA ->
            {
                final int schema = defect.value() & 0xFFFF;
                if (schema != MessageHeaderDecoder.SCHEMA_ID)
                {
                    b.putShort(4, (short)schema, java.nio.ByteOrder.LITTLE_ENDIAN);
                    assertEquals(ErrorCode.WRONG_SCHEMA, check(seed), "schema " + schema);
                }
            }
            case NEWER_VERSION ->
            {
                final int version = MessageHeaderDecoder.SCHEMA_VERSION + 1 +
                    (defect.value() & 0x7FFF) % (0xFFFF - MessageHeaderDecoder.SCHEMA_VERSION);
                b.putShort(6, (short)version, java.nio.ByteOrder.LITTLE_ENDIAN);
                assertEquals(ErrorCode.UNSUPPORTED_VERSION, check(seed), "version " + version);
            }
            case UNKNOWN_TEMPLATE ->
            {
                final int template = defect.value() & 0xFFFF;
                if (Arrays.stream(ControlMessages.TEMPLATES).noneMatch(t -> t == template))
                {
                    b.putShort(2, (short)template, java.nio.ByteOrder.LITTLE_ENDIAN);
                    assertEquals(ErrorCode.UNKNOWN_TEMPLATE, check(seed), "template " + template);
                }
            }
            case SHORT_BLOCK ->
            {
                final int shorter = (defect.value() & 0x7FFF) % Math.max(1, blockLength);
                b.putShort(0, (short)shorter, java.nio.ByteOrder.LITTLE_ENDIAN);
                assertEquals(ErrorCode.MALFORMED_MESSAGE, check(seed), "block length " + shorter + " < " +
                    blockLength + " of template " + templateId);
            }
            case BLOCK_BEYOND_END ->
            {
                final int longer = seed.length - MessageHeaderDecoder.ENCODED_LENGTH + 1 +
                    (defect.value() & 0x7FFF) % (0xFFFF - seed.length + MessageHeaderDecoder.ENCODED_LENGTH);
                b.putShort(0, (short)longer, java.nio.ByteOrder.LITTLE_ENDIAN);
                assertEquals(ErrorCode.MALFORMED_MESSAGE, check(seed), "block length " + longer + " beyond the " +
                    seed.length + " bytes");
            }
            case VAR_LENGTH_OVER_LIMIT ->
            {
                if (hasVarField)
                {
                    final int length = ControlProtocol.MAX_TEXT_LENGTH + 1 +
                        (defect.value() & 0x7FFF) % (0xFFFF - ControlProtocol.MAX_TEXT_LENGTH);
                    b.putShort(MessageHeaderDecoder.ENCODED_LENGTH + blockLength, (short)length,
                        java.nio.ByteOrder.LITTLE_ENDIAN);
                    assertEquals(ErrorCode.MALFORMED_MESSAGE, check(seed), "var length " + length);
                }
            }
            case VAR_LENGTH_BEYOND_END ->
            {
                if (hasVarField)
                {
                    final int at = MessageHeaderDecoder.ENCODED_LENGTH + blockLength;
                    final int length = Math.min(ControlProtocol.MAX_TEXT_LENGTH, seed.length - at - 2 + 1 +
                        (defect.value() & 0xFF));
                    if (at + 2 + length > seed.length)
                    {
                        b.putShort(at, (short)length, java.nio.ByteOrder.LITTLE_ENDIAN);
                        assertEquals(ErrorCode.MALFORMED_MESSAGE, check(seed), "var length " + length +
                            " beyond the end");
                    }
                }
            }
            case TRAILING_GARBAGE ->
            {
                final byte[] longer = Arrays.copyOf(seed, seed.length + 1 + (defect.value() & 0xFF));
                assertNull(check(longer), "trailing bytes after a complete message are ignored");
                assertEquals(seed.length, validator.messageLength(), "the message still ends where it ended");
            }
            case TOO_LONG ->
            {
                final byte[] huge = Arrays.copyOf(seed, ControlProtocol.MAX_MESSAGE_LENGTH + 1 +
                    (defect.value() & 0xFFF));
                assertEquals(ErrorCode.MALFORMED_MESSAGE, check(huge), "a message over the limit");
            }
            default -> fail(defect.toString());
        }
    }

    enum DefectKind
    {
        TRUNCATED, WRONG_SCHEMA, NEWER_VERSION, UNKNOWN_TEMPLATE, SHORT_BLOCK, BLOCK_BEYOND_END, VAR_LENGTH_OVER_LIMIT,
        VAR_LENGTH_BEYOND_END, TRAILING_GARBAGE, TOO_LONG
    }

    record Defect(DefectKind kind, int value)
    {
    }

    @Provide
    Arbitrary<Defect> defect()
    {
        return net.jqwik.api.Combinators.combine(Arbitraries.of(DefectKind.class),
            Arbitraries.integers().between(0, Integer.MAX_VALUE)).as(Defect::new);
    }

    @AfterContainer
    static void record()
    {
        final String section = ControlValidatorFuzzTest.class.getSimpleName();
        Figures.record(section, "inputs validated", INPUTS.get());
        Figures.record(section, "accepted (decoded within their bytes)", ACCEPTED.get());
        Figures.record(section, "rejected by code", REJECTED);
        Figures.record(section, "accepted with an enum value the schema does not define", ENUM_OUT_OF_RANGE.get());
    }

    /**
     * Validates {@code message} in a buffer of exactly its length and checks the outcome.
     *
     * @return the validator's verdict
     */
    private ErrorCode check(final byte[] message)
    {
        INPUTS.incrementAndGet();
        final ErrorCode code;
        try
        {
            code = validator.validate(new UnsafeBuffer(message), 0, message.length);
        }
        catch (final RuntimeException ex)
        {
            throw new AssertionError("the validator threw on " + describe(message), ex);
        }
        if (code != null)
        {
            assertTrue(VALIDATION_CODES.contains(code), "rejection code " + code + " for " + describe(message));
            assertFalse(validator.lastError().isEmpty(), "a rejection says why");
            REJECTED.get(code).incrementAndGet();
            return code;
        }
        ACCEPTED.incrementAndGet();
        final int templateId = validator.templateId();
        final int decoded;
        try
        {
            decoded = ControlMessages.decodeFully(message, message.length, templateId, validator.blockLength(),
                validator.version());
        }
        catch (final IndexOutOfBoundsException ex)
        {
            throw new AssertionError("accepted, but decoding reads outside the message: " + describe(message), ex);
        }
        assertEquals(validator.messageLength(), decoded, "the validator's length is the decoder's: " +
            describe(message));
        assertTrue(validator.messageLength() <= message.length, "the message fits what was received");
        if (!ControlMessages.enumsInRange(message, message.length, templateId, validator.blockLength(),
            validator.version()))
        {
            ENUM_OUT_OF_RANGE.incrementAndGet();
        }
        return null;
    }

    private static String describe(final byte[] message)
    {
        final int shown = Math.min(message.length, 48);
        final StringBuilder hex = new StringBuilder();
        for (int i = 0; i < shown; i++)
        {
            hex.append(String.format("%02x", message[i]));
        }
        return message.length + " bytes [" + hex + (shown < message.length ? "..." : "") + "]";
    }
}
