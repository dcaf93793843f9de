package io.nicq.packet;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InternetChecksumTest
{
    @Test
    void rfc1071NumericalExample()
    {
        // RFC 1071 section 3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (with end-around carries).
        final UnsafeBuffer buffer = Frames.buffer("0001f203f4f5f6f7");
        assertEquals(0xDDF2, InternetChecksum.sum(buffer, 0, 8));
        assertEquals(0x220D, InternetChecksum.checksum(buffer, 0, 8));
    }

    @Test
    void rfc1071ExampleInPieces()
    {
        // The same sum taken in two chained parts, as a pseudo-header and a payload are.
        final UnsafeBuffer buffer = Frames.buffer("0001f203f4f5f6f7");
        final int first = InternetChecksum.sum(buffer, 0, 4);
        assertEquals(0xDDF2, InternetChecksum.sum(buffer, 4, 4, first));
    }

    @Test
    void wikipediaIpv4HeaderExample()
    {
        final UnsafeBuffer buffer = Frames.buffer(Frames.WIKIPEDIA_IPV4_HEADER);
        assertEquals(0xB861, InternetChecksum.checksum(buffer, 0, 20));
        buffer.putShort(10, (short)0xB861, ByteOrder.BIG_ENDIAN);
        assertTrue(InternetChecksum.verify(buffer, 0, 20));
    }

    @Test
    void capturedKernelChecksumsVerify()
    {
        final UnsafeBuffer reply = Frames.buffer(Frames.ICMP_ECHO_REPLY);
        assertTrue(InternetChecksum.verify(reply, 14, 20));
        assertTrue(InternetChecksum.verify(reply, 34, reply.capacity() - 34));

        final UnsafeBuffer udp = Frames.buffer(Frames.UDP_HELLO);
        final int pseudo = InternetChecksum.pseudoHeaderSum(0x7F000001, 0x7F000001, 17, 19);
        assertEquals(InternetChecksum.VERIFIES, InternetChecksum.sum(udp, 34, 19, pseudo));
    }

    @Test
    void oddLengthPadsTheLastByteOnTheRight()
    {
        final UnsafeBuffer buffer = Frames.buffer("ab");
        assertEquals(0xAB00, InternetChecksum.sum(buffer, 0, 1));
    }

    @Test
    void emptyDataSumsToZero()
    {
        assertEquals(0, InternetChecksum.sum(new UnsafeBuffer(new byte[0]), 0, 0));
        assertEquals(0xFFFF, InternetChecksum.checksum(new UnsafeBuffer(new byte[0]), 0, 0));
    }

    @Test
    void allOnesDoesNotOverflow()
    {
        final byte[] bytes = new byte[65534];
        java.util.Arrays.fill(bytes, (byte)0xFF);
        assertEquals(0xFFFF, InternetChecksum.sum(new UnsafeBuffer(bytes), 0, bytes.length));
    }

    @Test
    void corruptedByteFailsVerification()
    {
        final UnsafeBuffer reply = Frames.buffer(Frames.ICMP_ECHO_REPLY);
        reply.putByte(40, (byte)(reply.getByte(40) ^ 0x10));
        assertFalse(InternetChecksum.verify(reply, 34, reply.capacity() - 34));
    }

    @Property(tries = 300)
    void fastSumEqualsByteAtATimeReference(
        @ForAll @Size(max = 1600) final byte[] data,
        @ForAll @IntRange(max = 7) final int leading)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[leading + data.length]);
        buffer.putBytes(leading, data);
        assertEquals(referenceSum(data), InternetChecksum.sum(buffer, leading, data.length));
    }

    @Property(tries = 300)
    void dataWithItsChecksumInsertedVerifies(
        @ForAll @Size(min = 2, max = 1600) final byte[] data,
        @ForAll @IntRange(max = 799) final int fieldWord)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(data);
        final int field = (fieldWord * 2) % (data.length & ~1);
        buffer.putShort(field, (short)0);
        final int checksum = InternetChecksum.checksum(buffer, 0, data.length);
        buffer.putShort(field, (short)checksum, ByteOrder.BIG_ENDIAN);
        assertTrue(InternetChecksum.verify(buffer, 0, data.length));
    }

    @Property(tries = 300)
    void incrementalUpdateMatchesRecomputation(
        @ForAll("evenLengthData") final byte[] data,
        @ForAll @IntRange(max = 0xFFFF) final int newWord)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(data);
        buffer.putShort(0, (short)0);
        final int checksum = InternetChecksum.checksum(buffer, 0, data.length);
        buffer.putShort(0, (short)checksum, ByteOrder.BIG_ENDIAN);

        final int word = data.length - 2;
        final int oldWord = buffer.getShort(word, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        buffer.putShort(word, (short)newWord, ByteOrder.BIG_ENDIAN);
        buffer.putShort(0, (short)InternetChecksum.adjust(checksum, oldWord, newWord), ByteOrder.BIG_ENDIAN);

        assertTrue(InternetChecksum.verify(buffer, 0, data.length));
    }

    @Property(tries = 200)
    void incrementalUpdateOfAnAddressMatchesRecomputation(
        @ForAll("evenLengthData") final byte[] data,
        @ForAll final int oldAddress,
        @ForAll final int newAddress)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[data.length + 4]);
        buffer.putBytes(0, data);
        buffer.putShort(0, (short)0);
        buffer.putInt(data.length, oldAddress, ByteOrder.BIG_ENDIAN);
        final int checksum = InternetChecksum.checksum(buffer, 0, buffer.capacity());
        buffer.putShort(0, (short)checksum, ByteOrder.BIG_ENDIAN);

        buffer.putInt(data.length, newAddress, ByteOrder.BIG_ENDIAN);
        buffer.putShort(0, (short)InternetChecksum.adjust32(checksum, oldAddress, newAddress), ByteOrder.BIG_ENDIAN);

        assertTrue(InternetChecksum.verify(buffer, 0, buffer.capacity()));
    }

    @Provide
    Arbitrary<byte[]> evenLengthData()
    {
        return Arbitraries.integers().between(2, 400)
            .flatMap(words -> Arbitraries.bytes().array(byte[].class).ofSize(words * 2));
    }

    static int referenceSum(final byte[] data)
    {
        long sum = 0;
        for (int i = 0; i < data.length; i++)
        {
            final int b = data[i] & 0xFF;
            sum += (i & 1) == 0 ? b << 8 : b;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)sum;
    }
}
