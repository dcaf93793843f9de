package io.nicq.reliability;

import io.nicq.card.ControlSession;
import io.nicq.proto.ControlRequestEncoder;
import io.nicq.proto.sbe.MessageHeaderEncoder;
import io.nicq.proto.sbe.RequestQueueEncoder;
import org.agrona.MutableDirectBuffer;

/**
 * Requests as bytes for the fuzzers (their seeds) and the spoofing tests: control-proto's
 * {@link ControlRequestEncoder}, which encodes every request under any correlation id and client id (well-behaved
 * clients use {@code io.nicq.card.ControlSession}), and where the ids lie in every message.
 */
final class Requests
{
    /** Where every message keeps its correlation id and client id (after the 8-byte header). */
    static final int CORRELATION_ID_OFFSET = MessageHeaderEncoder.ENCODED_LENGTH;
    static final int CLIENT_ID_OFFSET = MessageHeaderEncoder.ENCODED_LENGTH + 8;
    /** Shortest message the card driver can answer: header, correlation id, client id. */
    static final int ANSWERABLE_LENGTH = MessageHeaderEncoder.ENCODED_LENGTH + 16;
    /** Where a RequestQueue keeps its service byte (the first edition's QueueMode: 0 PROCESS, 1 THREAD, 2 INLINE). */
    static final int REQUEST_QUEUE_SERVICE_OFFSET = MessageHeaderEncoder.ENCODED_LENGTH +
        RequestQueueEncoder.serviceEncodingOffset();

    /** Encodes at offset 0 of the buffer it is given; not thread safe, as the tests using it are not threaded. */
    static final ControlRequestEncoder ENCODER = new ControlRequestEncoder();

    private Requests()
    {
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
}
