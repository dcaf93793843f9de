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
        assertTrue(message.hasKnownFlags());
        assertEquals(SockperfMessage.Disposition.ANSWER, message.disposition());
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
    void theLengthIsUnsigned()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[16]);
        final SockperfMessage message = new SockperfMessage().wrap(buffer, 0);
        assertEquals(0xFFFF_FFFFL, message.header(1, SockperfMessage.FLAG_CLIENT, -1).length());
    }

    @Test
    void onlyAClientsPongRequestIsAnswered()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[16]);
        final SockperfMessage message = new SockperfMessage().wrap(buffer, 0);
        final int client = SockperfMessage.FLAG_CLIENT;
        final int pong = SockperfMessage.FLAG_PONG_REQUEST;
        final int warmup = SockperfMessage.FLAG_WARMUP;
        assertEquals(SockperfMessage.Disposition.ANSWER, message.header(1, client | pong, 14).disposition());
        assertEquals(SockperfMessage.Disposition.NOT_ASKING, message.header(1, client, 14).disposition(),
            "under-load between pong requests");
        assertEquals(SockperfMessage.Disposition.NOT_ASKING, message.header(1, pong, 14).disposition(),
            "a server's answer");
        assertEquals(SockperfMessage.Disposition.WARMUP, message.header(1, client | pong | warmup, 14).disposition());
        assertTrue(message.hasKnownFlags());
        assertFalse(message.header(1, client | pong | 8, 14).hasKnownFlags());
        assertFalse(message.header(1, 0x8000, 14).hasKnownFlags());
    }
}
