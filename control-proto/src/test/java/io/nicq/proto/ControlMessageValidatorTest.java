package io.nicq.proto;

import io.nicq.proto.sbe.*;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Bad control messages become an error value with a sentence, never an exception. */
class ControlMessageValidatorTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[ControlProtocol.MAX_MESSAGE_LENGTH + 64]);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final ControlMessageValidator validator = new ControlMessageValidator();

    private int encodeQueueGranted()
    {
        final QueueGrantedEncoder e = new QueueGrantedEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder);
        e.correlationId(1).clientId(2).queueId(3).mode(QueueMode.PROCESS).ringSize(512).slotCount(1024).slotSize(2048)
            .channelPath("/dev/shm/nicq/x/queues/3").nic("sim:c");
        return MessageHeaderEncoder.ENCODED_LENGTH + e.encodedLength();
    }

    @Test
    void everyTruncationOfAMessageWithVarFieldsIsMalformed()
    {
        final int length = encodeQueueGranted();
        assertNull(validator.validate(buffer, 0, length));
        for (int truncated = 0; truncated < length; truncated++)
        {
            assertEquals(ErrorCode.MALFORMED_MESSAGE, validator.validate(buffer, 0, truncated), "length " + truncated);
            assertTrue(validator.lastError().startsWith("truncated"), validator.lastError());
        }
    }

    @Test
    void everyTruncationOfEachFixedMessageIsMalformed()
    {
        new RegisterFilterEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(1).clientId(2)
            .queueId(1).kind(FilterKind.UDP_PORT).priority((short)1).localIp(0).localPort(7).remoteIp(0).remotePort(0);
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + RegisterFilterEncoder.BLOCK_LENGTH;
        assertNull(validator.validate(buffer, 0, length));
        for (int truncated = 0; truncated < length; truncated++)
        {
            assertEquals(ErrorCode.MALFORMED_MESSAGE, validator.validate(buffer, 0, truncated));
        }
    }

    @Test
    void unknownTemplateIsRejected()
    {
        final int length = encodeQueueGranted();
        headerEncoder.wrap(buffer, 0).templateId(999);
        assertEquals(ErrorCode.UNKNOWN_TEMPLATE, validator.validate(buffer, 0, length));
        assertEquals("unknown template id 999", validator.lastError());
        assertEquals(999, validator.templateId());
    }

    @Test
    void newerSchemaVersionIsRejected()
    {
        final int length = encodeQueueGranted();
        headerEncoder.wrap(buffer, 0).version(MessageHeaderEncoder.SCHEMA_VERSION + 1);
        assertEquals(ErrorCode.UNSUPPORTED_VERSION, validator.validate(buffer, 0, length));
        assertTrue(validator.lastError().contains("newer"), validator.lastError());
    }

    @Test
    void versionOneConnectedAndStatsWithoutTheFreeCountsPerPlacementAreAccepted()
    {
        // What a card driver of schema version 1 sends: the block ends before fiveTupleFree.
        new ConnectedEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(1).clientId(2).mtu(1500)
            .filtersFree(128);
        final int v1Block = ConnectedEncoder.fiveTupleFreeEncodingOffset();
        headerEncoder.wrap(buffer, 0).version(1).blockLength(v1Block);
        assertNull(validator.validate(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + v1Block), validator.lastError());
        final ConnectedDecoder connected = new ConnectedDecoder().wrap(buffer, MessageHeaderEncoder.ENCODED_LENGTH,
            v1Block, 1);
        assertEquals(128, connected.filtersFree());
        assertEquals(ConnectedDecoder.fiveTupleFreeNullValue(), connected.fiveTupleFree(), "absent in version 1");

        headerEncoder.wrap(buffer, 0).version(2);
        assertEquals(ErrorCode.MALFORMED_MESSAGE, validator.validate(buffer, 0,
            MessageHeaderEncoder.ENCODED_LENGTH + v1Block), "version 2 has the counts: the short block is malformed");

        new StatsEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(1).clientId(2);
        final int v1Stats = StatsEncoder.fiveTupleFreeEncodingOffset();
        headerEncoder.wrap(buffer, 0).version(1).blockLength(v1Stats);
        assertNull(validator.validate(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + v1Stats), validator.lastError());
    }

    @Test
    void versionTwoFilterRegisteredWithoutTheLocalPortIsAcceptedAndReadsAsAbsent()
    {
        // What a card driver of schema version 2 sends: the block ends before localPort.
        new FilterRegisteredEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(1).clientId(2)
            .filterId(3).queueId(4).placement(FilterPlacement.FIVE_TUPLE).hardwareIndex((short)5);
        final int v2Block = FilterRegisteredEncoder.localPortEncodingOffset();
        headerEncoder.wrap(buffer, 0).version(2).blockLength(v2Block);
        assertNull(validator.validate(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + v2Block), validator.lastError());
        final FilterRegisteredDecoder registered = new FilterRegisteredDecoder().wrap(buffer,
            MessageHeaderEncoder.ENCODED_LENGTH, v2Block, 2);
        assertEquals(3, registered.filterId());
        assertEquals(FilterRegisteredDecoder.localPortNullValue(), registered.localPort(), "absent in version 2");

        headerEncoder.wrap(buffer, 0).version(3);
        assertEquals(ErrorCode.MALFORMED_MESSAGE, validator.validate(buffer, 0,
            MessageHeaderEncoder.ENCODED_LENGTH + v2Block), "version 3 has the port: the short block is malformed");
    }

    @Test
    void foreignSchemaIsRejected()
    {
        final int length = encodeQueueGranted();
        headerEncoder.wrap(buffer, 0).schemaId(1);
        assertEquals(ErrorCode.WRONG_SCHEMA, validator.validate(buffer, 0, length));
    }

    @Test
    void blockLengthShorterThanTheFieldsIsRejected()
    {
        final int length = encodeQueueGranted();
        headerEncoder.wrap(buffer, 0).blockLength(QueueGrantedEncoder.BLOCK_LENGTH - 1);
        assertEquals(ErrorCode.MALFORMED_MESSAGE, validator.validate(buffer, 0, length));
    }

    @Test
    void hostileVarLengthIsRejected()
    {
        final ErrorEncoder e = new ErrorEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder);
        e.correlationId(1).clientId(2).code(ErrorCode.INTERNAL_ERROR).message("x");
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + e.encodedLength();
        final int varLengthOffset = MessageHeaderEncoder.ENCODED_LENGTH + ErrorEncoder.BLOCK_LENGTH;
        buffer.putShort(varLengthOffset, (short)0xFFFF, java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(ErrorCode.MALFORMED_MESSAGE, validator.validate(buffer, 0, length));
        assertTrue(validator.lastError().contains("65535"), validator.lastError());
    }

    @Test
    void oversizedMessageIsRejected()
    {
        encodeQueueGranted();
        assertEquals(ErrorCode.MALFORMED_MESSAGE, validator.validate(buffer, 0, ControlProtocol.MAX_MESSAGE_LENGTH + 1));
    }

    @Test
    void validatorRecoversAfterARejection()
    {
        final int length = encodeQueueGranted();
        assertEquals(ErrorCode.MALFORMED_MESSAGE, validator.validate(buffer, 0, 3));
        assertNull(validator.validate(buffer, 0, length));
        assertEquals("", validator.lastError());
        assertEquals(QueueGrantedDecoder.TEMPLATE_ID, validator.templateId());
    }
}
