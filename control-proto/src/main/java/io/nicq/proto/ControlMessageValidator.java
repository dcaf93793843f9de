package io.nicq.proto;

import io.nicq.proto.sbe.*;
import org.agrona.DirectBuffer;

/**
 * Checks a received control message before anything decodes it: header, schema, version, template, block length and
 * every var-length field against the bytes actually received. A bad message yields an {@link ErrorCode} and a
 * sentence saying what was wrong — never an exception — so the receiver can answer {@code Error} and carry on.
 * <p>
 * Not thread safe: one per receiving thread. Allocates only when a message is rejected (the description).
 */
public final class ControlMessageValidator
{
    /** Each var field starts with its length as a little-endian uint16 (varStringEncoding in the schema). */
    private static final int VAR_LENGTH_HEADER = ConnectDecoder.nameHeaderLength();

    private final MessageHeaderDecoder header = new MessageHeaderDecoder();
    private String lastError = "";
    private int templateId;
    private int blockLength;
    private int version;
    private int messageLength;

    /**
     * @return null when the message is well formed, else why it is not ({@link #lastError()} says more).
     */
    public ErrorCode validate(final DirectBuffer buffer, final int offset, final int length)
    {
        templateId = -1;
        blockLength = 0;
        version = 0;
        messageLength = 0;

        if (length < MessageHeaderDecoder.ENCODED_LENGTH)
        {
            return reject(ErrorCode.MALFORMED_MESSAGE,
                "truncated: " + length + " bytes, a message header alone is " + MessageHeaderDecoder.ENCODED_LENGTH);
        }
        if (length > ControlProtocol.MAX_MESSAGE_LENGTH)
        {
            return reject(ErrorCode.MALFORMED_MESSAGE,
                "too long: " + length + " bytes, the limit is " + ControlProtocol.MAX_MESSAGE_LENGTH);
        }

        header.wrap(buffer, offset);
        templateId = header.templateId();
        blockLength = header.blockLength();
        version = header.version();

        if (header.schemaId() != MessageHeaderDecoder.SCHEMA_ID)
        {
            return reject(ErrorCode.WRONG_SCHEMA,
                "schema id " + header.schemaId() + " is not nicq's (" + MessageHeaderDecoder.SCHEMA_ID + ")");
        }
        if (version > MessageHeaderDecoder.SCHEMA_VERSION)
        {
            return reject(ErrorCode.UNSUPPORTED_VERSION, "schema version " + version + " is newer than this side's " +
                MessageHeaderDecoder.SCHEMA_VERSION);
        }

        final int minBlockLength = minBlockLength(templateId, version);
        if (minBlockLength < 0)
        {
            return reject(ErrorCode.UNKNOWN_TEMPLATE, "unknown template id " + templateId);
        }
        if (blockLength < minBlockLength)
        {
            return reject(ErrorCode.MALFORMED_MESSAGE, "template " + templateId + ": block length " + blockLength +
                " is shorter than the " + minBlockLength + " its fields need");
        }

        final int end = offset + length;
        int limit = offset + MessageHeaderDecoder.ENCODED_LENGTH + blockLength;
        if (limit > end)
        {
            return reject(ErrorCode.MALFORMED_MESSAGE, "truncated: template " + templateId + " needs " +
                (limit - offset) + " bytes for its fixed fields, got " + length);
        }

        final int varFields = varFieldCount(templateId);
        for (int i = 0; i < varFields; i++)
        {
            if (limit + VAR_LENGTH_HEADER > end)
            {
                return reject(ErrorCode.MALFORMED_MESSAGE, "truncated: template " + templateId +
                    " ends before the length of var field " + (i + 1));
            }
            final int fieldLength = buffer.getShort(limit, java.nio.ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            if (fieldLength > ControlProtocol.MAX_TEXT_LENGTH)
            {
                return reject(ErrorCode.MALFORMED_MESSAGE, "template " + templateId + ": var field " + (i + 1) +
                    " claims " + fieldLength + " bytes, the limit is " + ControlProtocol.MAX_TEXT_LENGTH);
            }
            limit += VAR_LENGTH_HEADER + fieldLength;
            if (limit > end)
            {
                return reject(ErrorCode.MALFORMED_MESSAGE, "truncated: template " + templateId + ": var field " +
                    (i + 1) + " claims " + fieldLength + " bytes beyond the end of the message");
            }
        }

        messageLength = limit - offset;
        lastError = "";
        return null;
    }

    /** Why the last message was rejected, empty if it was not. */
    public String lastError()
    {
        return lastError;
    }

    /** Template id of the last message, -1 if it had no readable header. */
    public int templateId()
    {
        return templateId;
    }

    /** Block length from the header of the last message: what a decoder must be wrapped with. */
    public int blockLength()
    {
        return blockLength;
    }

    /** Schema version of the last message: what a decoder must be wrapped with. */
    public int version()
    {
        return version;
    }

    /** Bytes the last valid message occupies, header and var fields included. */
    public int messageLength()
    {
        return messageLength;
    }

    private ErrorCode reject(final ErrorCode code, final String description)
    {
        lastError = description;
        return code;
    }

    /**
     * Fixed block length a template has in a schema version, or -1 for an unknown template: fields added since
     * (sinceVersion) are absent from older messages, which decode them as their null value.
     */
    static int minBlockLength(final int templateId, final int version)
    {
        if (version < 2)
        {
            // Version 2 added the free filter counts per placement at the end of Connected and Stats.
            if (templateId == ConnectedDecoder.TEMPLATE_ID)
            {
                return ConnectedDecoder.fiveTupleFreeEncodingOffset();
            }
            if (templateId == StatsDecoder.TEMPLATE_ID)
            {
                return StatsDecoder.fiveTupleFreeEncodingOffset();
            }
        }
        if (version < 3 && templateId == FilterRegisteredDecoder.TEMPLATE_ID)
        {
            // Version 3 added the filter's local port (the allocated ephemeral port) at the end of FilterRegistered.
            return FilterRegisteredDecoder.localPortEncodingOffset();
        }
        return minBlockLength(templateId);
    }

    /** Fixed block length the current schema gives a template, or -1 for an unknown template. */
    static int minBlockLength(final int templateId)
    {
        return switch (templateId)
        {
            case ConnectDecoder.TEMPLATE_ID -> ConnectDecoder.BLOCK_LENGTH;
            case DisconnectDecoder.TEMPLATE_ID -> DisconnectDecoder.BLOCK_LENGTH;
            case RequestQueueDecoder.TEMPLATE_ID -> RequestQueueDecoder.BLOCK_LENGTH;
            case ReleaseQueueDecoder.TEMPLATE_ID -> ReleaseQueueDecoder.BLOCK_LENGTH;
            case RegisterFilterDecoder.TEMPLATE_ID -> RegisterFilterDecoder.BLOCK_LENGTH;
            case DeregisterFilterDecoder.TEMPLATE_ID -> DeregisterFilterDecoder.BLOCK_LENGTH;
            case ResolveNeighbourDecoder.TEMPLATE_ID -> ResolveNeighbourDecoder.BLOCK_LENGTH;
            case HeartbeatDecoder.TEMPLATE_ID -> HeartbeatDecoder.BLOCK_LENGTH;
            case QueryStatsDecoder.TEMPLATE_ID -> QueryStatsDecoder.BLOCK_LENGTH;
            case AttachQueueDriverDecoder.TEMPLATE_ID -> AttachQueueDriverDecoder.BLOCK_LENGTH;
            case DetachQueueDriverDecoder.TEMPLATE_ID -> DetachQueueDriverDecoder.BLOCK_LENGTH;
            case ConnectedDecoder.TEMPLATE_ID -> ConnectedDecoder.BLOCK_LENGTH;
            case DisconnectedDecoder.TEMPLATE_ID -> DisconnectedDecoder.BLOCK_LENGTH;
            case QueueGrantedDecoder.TEMPLATE_ID -> QueueGrantedDecoder.BLOCK_LENGTH;
            case QueueReleasedDecoder.TEMPLATE_ID -> QueueReleasedDecoder.BLOCK_LENGTH;
            case FilterRegisteredDecoder.TEMPLATE_ID -> FilterRegisteredDecoder.BLOCK_LENGTH;
            case FilterDeregisteredDecoder.TEMPLATE_ID -> FilterDeregisteredDecoder.BLOCK_LENGTH;
            case NeighbourDecoder.TEMPLATE_ID -> NeighbourDecoder.BLOCK_LENGTH;
            case HeartbeatAckDecoder.TEMPLATE_ID -> HeartbeatAckDecoder.BLOCK_LENGTH;
            case StatsDecoder.TEMPLATE_ID -> StatsDecoder.BLOCK_LENGTH;
            case QueueDriverAttachedDecoder.TEMPLATE_ID -> QueueDriverAttachedDecoder.BLOCK_LENGTH;
            case QueueDriverDetachedDecoder.TEMPLATE_ID -> QueueDriverDetachedDecoder.BLOCK_LENGTH;
            case ErrorDecoder.TEMPLATE_ID -> ErrorDecoder.BLOCK_LENGTH;
            case QueueRevokedDecoder.TEMPLATE_ID -> QueueRevokedDecoder.BLOCK_LENGTH;
            default -> -1;
        };
    }

    /** Var-length (text) fields that follow the fixed block of a template, each with a 16-bit length. */
    static int varFieldCount(final int templateId)
    {
        return switch (templateId)
        {
            case ConnectDecoder.TEMPLATE_ID, ErrorDecoder.TEMPLATE_ID, QueueRevokedDecoder.TEMPLATE_ID -> 1;
            case QueueGrantedDecoder.TEMPLATE_ID -> 2;
            default -> 0;
        };
    }
}
