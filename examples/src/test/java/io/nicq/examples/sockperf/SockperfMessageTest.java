package io.nicq.examples.sockperf;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class SockperfMessageTest
{
    /** A ping-pong request as sockperf 3.7 put it on the wire: sequence 1, CLIENT|PONG_REQUEST, 64 bytes. */
    private static final byte[] CAPTURED = {0, 0, 0, 0, 0, 0, 0, 1, 0, 3, 0, 0, 0, 0x40};

    @Test
    void readsTheHeaderSockperfSends()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        buffer.putBytes(0, CAPTURED);
        final SockperfMessage message = new SockperfMessage().wrap(buffer, 0);
        assertEquals(1, message.sequence());
        assertTrue(message.isClient());
        assertTrue(message.isPongRequest());
        assertFalse(message.isWarmup());
        assertEquals(64, message.length());
        assertTrue(message.hasValidLength());
    }

    @Test
    void answerClearsOnlyTheClientFlag()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[32]);
        final SockperfMessage message = new SockperfMessage().wrap(buffer, 4)
            .header(0x0102030405060708L, SockperfMessage.FLAG_CLIENT | SockperfMessage.FLAG_PONG_REQUEST, 28);
        buffer.putByte(4 + SockperfMessage.HEADER_LENGTH, (byte)0x5A);
        message.markAnswer();
        assertFalse(message.isClient());
        assertTrue(message.isPongRequest());
        assertEquals(0x0102030405060708L, message.sequence());
        assertEquals(28, message.length());
        assertEquals(0x5A, buffer.getByte(4 + SockperfMessage.HEADER_LENGTH), "the payload is left alone");
        assertEquals(0, buffer.getByte(4 + SockperfMessage.FLAGS_OFFSET), "flags are big endian");
        assertEquals(SockperfMessage.FLAG_PONG_REQUEST, buffer.getByte(4 + SockperfMessage.FLAGS_OFFSET + 1));
    }

    @Test
    void lengthsSockperfCannotSendAreInvalid()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[16]);
        final SockperfMessage message = new SockperfMessage().wrap(buffer, 0);
        assertFalse(message.header(1, SockperfMessage.FLAG_CLIENT, 13).hasValidLength(), "shorter than its header");
        assertFalse(message.header(1, SockperfMessage.FLAG_CLIENT, 65_001).hasValidLength(), "beyond sockperf's max");
        assertFalse(message.header(1, SockperfMessage.FLAG_CLIENT, -1).hasValidLength(), "unsigned on the wire");
        assertEquals(0xFFFF_FFFFL, message.length());
        assertTrue(message.header(1, SockperfMessage.FLAG_CLIENT, 14).hasValidLength());
    }
}
