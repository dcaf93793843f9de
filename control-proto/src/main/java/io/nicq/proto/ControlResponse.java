package io.nicq.proto;

import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.ErrorDecoder;
import io.nicq.proto.sbe.MessageHeaderDecoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One received control message, copied out of the Aeron log so it stays valid until the next receive: its template,
 * and where its body starts, ready for a generated decoder's {@code wrap(buffer(), bodyOffset(), blockLength(),
 * version())}.
 */
public final class ControlResponse
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[ControlProtocol.MAX_MESSAGE_LENGTH]);
    private final ErrorDecoder errorDecoder = new ErrorDecoder();
    private int templateId;
    private int blockLength;
    private int version;
    private int length;

    void set(final DirectBuffer source, final int offset, final int length, final ControlMessageValidator validator)
    {
        buffer.putBytes(0, source, offset, length);
        this.length = length;
        this.templateId = validator.templateId();
        this.blockLength = validator.blockLength();
        this.version = validator.version();
    }

    /**
     * The error code of a raw value; {@code NULL_VAL} for a code this side does not know (a newer card driver), rather
     * than the exception SBE's lookup throws.
     */
    public static ErrorCode errorCode(final int raw)
    {
        for (final ErrorCode code : ErrorCode.values())
        {
            if (code.value() == raw)
            {
                return code;
            }
        }
        return ErrorCode.NULL_VAL;
    }

    public int templateId()
    {
        return templateId;
    }

    public DirectBuffer buffer()
    {
        return buffer;
    }

    /** Offset of the message body (after the SBE header) in {@link #buffer()}. */
    public int bodyOffset()
    {
        return MessageHeaderDecoder.ENCODED_LENGTH;
    }

    public int blockLength()
    {
        return blockLength;
    }

    public int version()
    {
        return version;
    }

    /** Bytes of the whole message, header included. */
    public int length()
    {
        return length;
    }

    public boolean isError()
    {
        return templateId == ErrorDecoder.TEMPLATE_ID;
    }

    /**
     * Checks that the answer is the one expected: an {@code Error} becomes a {@link ControlException} with its code and
     * message, any other unexpected template a {@link ControlException} with {@code INTERNAL_ERROR}.
     *
     * @return this, for chaining
     */
    public ControlResponse expect(final int expectedTemplateId)
    {
        if (templateId == expectedTemplateId)
        {
            return this;
        }
        if (isError())
        {
            throw refusal();
        }
        throw new ControlException(ErrorCode.INTERNAL_ERROR,
            "expected template " + expectedTemplateId + " but the card driver answered with template " + templateId);
    }

    /**
     * The {@code Error} this answer is, as the exception a request throws for it: its code (NULL_VAL for a code this
     * side does not know, named in the message) and message; null if the answer is no {@code Error}.
     */
    public ControlException refusal()
    {
        if (!isError())
        {
            return null;
        }
        errorDecoder.wrap(buffer, bodyOffset(), blockLength, version);
        final int raw = errorDecoder.codeRaw();
        final ErrorCode code = errorCode(raw);
        final String message = errorDecoder.message();
        return new ControlException(code, code == ErrorCode.NULL_VAL ? "error code " + raw +
            " (unknown to this client: the card driver is newer): " + message : message);
    }
}
