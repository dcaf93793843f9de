package io.nicq.examples.sockperf;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class SockperfStreamTest
{
    private static final int ASK = SockperfMessage.FLAG_CLIENT | SockperfMessage.FLAG_PONG_REQUEST;

    /** What the handler was given: each message's bytes, copied. */
    private final List<byte[]> messages = new ArrayList<>();
    private boolean refuse;

    private boolean record(final SockperfMessage message, final MutableDirectBuffer buffer, final int length)
    {
        assertEquals(length, message.length(), "the handler is given the header's length");
        if (refuse)
        {
            return false;
        }
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        messages.add(bytes);
        return true;
    }

    private SockperfStream stream(final int maxLength)
    {
        return new SockperfStream(maxLength).handler(this::record);
    }

    /** A message as sockperf frames it: header, then payload bytes derived from the sequence number. */
    private static byte[] message(final long sequence, final int flags, final int length)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[length]);
        new SockperfMessage().wrap(buffer, 0).header(sequence, flags, length);
        for (int i = SockperfMessage.HEADER_LENGTH; i < length; i++)
        {
            buffer.putByte(i, (byte)(sequence * 31 + i));
        }
        return buffer.byteArray();
    }

    private static byte[] concat(final byte[]... parts)
    {
        int length = 0;
        for (final byte[] part : parts)
        {
            length += part.length;
        }
        final byte[] all = new byte[length];
        int at = 0;
        for (final byte[] part : parts)
        {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    /** Offers bytes[from, to) as one view placed at an odd offset of a bigger buffer (as a ring's view would be). */
    private static int feed(final SockperfStream stream, final byte[] bytes, final int from, final int to)
    {
        final UnsafeBuffer view = new UnsafeBuffer(new byte[to - from + 10]);
        view.putBytes(7, bytes, from, to - from);
        return stream.onData(view, 7, to - from);
    }

    @Test
    void aWholeMessageInOneViewIsHandedOver()
    {
        final SockperfStream stream = stream(SockperfMessage.DEFAULT_MAX_LENGTH);
        final byte[] one = message(1, ASK, 64);
        assertEquals(64, feed(stream, one, 0, 64));
        assertEquals(1, messages.size());
        assertArrayEquals(one, messages.get(0));
        assertFalse(stream.isMidMessage());
        assertEquals(SockperfStream.Fault.NONE, stream.fault());
    }

    @Test
    void aMessageSplitAnywhereIsReassembled()
    {
        final byte[] one = message(7, ASK, 100);
        // Every split point, the header's inside included (a 14-byte header may itself come in two segments).
        for (int split = 1; split < one.length; split++)
        {
            messages.clear();
            final SockperfStream stream = stream(SockperfMessage.DEFAULT_MAX_LENGTH);
            assertEquals(split, feed(stream, one, 0, split));
            assertTrue(messages.isEmpty(), "nothing before the last byte, split at " + split);
            assertTrue(stream.isMidMessage());
            assertEquals(one.length - split, feed(stream, one, split, one.length));
            assertEquals(1, messages.size(), "split at " + split);
            assertArrayEquals(one, messages.get(0), "split at " + split);
        }
    }

    @Test
    void aMessageArrivingByteByByteIsReassembled()
    {
        final SockperfStream stream = stream(SockperfMessage.DEFAULT_MAX_LENGTH);
        final byte[] one = message(3, ASK, 40);
        for (int i = 0; i < one.length; i++)
        {
            assertEquals(1, feed(stream, one, i, i + 1));
            assertEquals(i == one.length - 1 ? 1 : 0, messages.size(), "after byte " + i);
        }
        assertArrayEquals(one, messages.get(0));
    }

    @Test
    void coalescedMessagesAreHandedOverInOrder()
    {
        final SockperfStream stream = stream(SockperfMessage.DEFAULT_MAX_LENGTH);
        final byte[] a = message(1, ASK, 64);
        final byte[] b = message(2, SockperfMessage.FLAG_CLIENT, SockperfMessage.HEADER_LENGTH);  // header only
        final byte[] c = message(3, ASK | SockperfMessage.FLAG_WARMUP, 300);
        final byte[] d = message(4, ASK, 50);
        final byte[] all = concat(a, b, c, d);
        // Three whole ones and the start of the fourth in one view; the rest of the fourth in the next.
        final int cut = a.length + b.length + c.length + 20;
        assertEquals(cut, feed(stream, all, 0, cut));
        assertEquals(3, messages.size());
        assertEquals(all.length - cut, feed(stream, all, cut, all.length));
        assertEquals(4, messages.size());
        assertArrayEquals(a, messages.get(0));
        assertArrayEquals(b, messages.get(1));
        assertArrayEquals(c, messages.get(2));
        assertArrayEquals(d, messages.get(3));
    }

    @Test
    void aStreamCutAtRandomComesOutAsItWentIn()
    {
        final SplittableRandom random = new SplittableRandom(12);
        final int maxLength = 4096;
        final List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 500; i++)
        {
            sent.add(message(i, ASK, SockperfMessage.HEADER_LENGTH + random.nextInt(maxLength -
                SockperfMessage.HEADER_LENGTH + 1)));
        }
        final byte[] all = concat(sent.toArray(new byte[0][]));
        final SockperfStream stream = stream(maxLength);
        int at = 0;
        for (int views = 0; at < all.length && views < all.length; views++)
        {
            final int to = Math.min(all.length, at + 1 + random.nextInt(3000));
            assertEquals(to - at, feed(stream, all, at, to), "a view is consumed whole");
            at = to;
        }
        assertEquals(all.length, at);
        assertEquals(sent.size(), messages.size());
        for (int i = 0; i < sent.size(); i++)
        {
            assertArrayEquals(sent.get(i), messages.get(i), "message " + i);
        }
    }

    @Test
    void aMessageOfTheLargestAcceptedLengthIsTaken()
    {
        final SockperfStream stream = stream(1000);
        final byte[] largest = message(9, ASK, 1000);
        assertEquals(1000, feed(stream, largest, 0, 1000));
        assertEquals(1, messages.size());
        assertEquals(SockperfStream.Fault.NONE, stream.fault());
    }

    @Test
    void aRefusedMessageHoldsTheStreamUntilFlushed()
    {
        final SockperfStream stream = stream(SockperfMessage.DEFAULT_MAX_LENGTH);
        final byte[] a = message(1, ASK, 64);
        final byte[] b = message(2, ASK, 64);
        final byte[] all = concat(a, b);
        refuse = true;
        assertEquals(64, feed(stream, all, 0, all.length), "the refused message is consumed, the next is not");
        assertTrue(stream.isHolding());
        assertEquals(0, feed(stream, all, 64, all.length), "nothing more while a message is held");
        assertFalse(stream.flush(), "still refused");
        refuse = false;
        assertTrue(stream.flush());
        assertEquals(1, messages.size());
        assertArrayEquals(a, messages.get(0));
        assertEquals(64, feed(stream, all, 64, all.length));
        assertArrayEquals(b, messages.get(1));
    }

    @Test
    void theHandlersChangeInPlaceIsWhatItWrites()
    {
        final SockperfStream stream = new SockperfStream(100).handler((message, buffer, length) ->
        {
            message.markAnswer();
            assertFalse(new SockperfMessage().wrap(buffer, 0).isClient(), "the buffer is the message's");
            messages.add(new byte[0]);
            return true;
        });
        final byte[] one = message(5, ASK, 30);
        feed(stream, one, 0, one.length);
        assertEquals(1, messages.size());
    }

    @Test
    void aLengthBelowTheHeaderIsAFault()
    {
        for (final int length : new int[] {0, 1, SockperfMessage.HEADER_LENGTH - 1})
        {
            assertFault(SockperfStream.Fault.LENGTH_BELOW_HEADER, message(1, ASK, 64), length, 1000);
        }
    }

    @Test
    void aLengthBeyondTheLargestAcceptedIsAFault()
    {
        assertFault(SockperfStream.Fault.LENGTH_ABOVE_MAX, message(1, ASK, 64), 1001, 1000);
        assertFault(SockperfStream.Fault.LENGTH_ABOVE_MAX, message(1, ASK, 64), SockperfMessage.MAX_TCP_LENGTH + 1,
            SockperfMessage.MAX_TCP_LENGTH);
        // A length with its top bit set is not negative: unsigned on the wire, sockperf's too.
        assertFault(SockperfStream.Fault.LENGTH_ABOVE_MAX, message(1, ASK, 64), -1, SockperfMessage.MAX_TCP_LENGTH);
    }

    @Test
    void garbageIsAFault()
    {
        // Text where a header should be (someone's HTTP client on sockperf's port): its length field is "/1.1".
        final byte[] text = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        final SockperfStream stream = stream(SockperfMessage.DEFAULT_MAX_LENGTH);
        assertEquals(SockperfMessage.HEADER_LENGTH, feed(stream, text, 0, text.length));
        assertEquals(SockperfStream.Fault.LENGTH_ABOVE_MAX, stream.fault());
        assertTrue(messages.isEmpty());
        // A plausible length, but flags sockperf never sets.
        final byte[] flagged = message(1, ASK | 0x100, 64);
        final SockperfStream second = stream(SockperfMessage.DEFAULT_MAX_LENGTH);
        assertEquals(SockperfMessage.HEADER_LENGTH, feed(second, flagged, 0, flagged.length));
        assertEquals(SockperfStream.Fault.UNKNOWN_FLAGS, second.fault());
        assertTrue(messages.isEmpty());
    }

    @Test
    void resetStartsANewStream()
    {
        final SockperfStream stream = stream(100);
        final byte[] bad = message(1, ASK, 64);
        new SockperfMessage().wrap(new UnsafeBuffer(bad), 0).header(1, ASK, 5);
        feed(stream, bad, 0, bad.length);
        assertEquals(SockperfStream.Fault.LENGTH_BELOW_HEADER, stream.fault());
        stream.reset();
        assertEquals(SockperfStream.Fault.NONE, stream.fault());
        final byte[] good = message(2, ASK, 64);
        feed(stream, good, 0, 10);
        stream.reset();
        assertFalse(stream.isMidMessage(), "a partial message is forgotten");
        assertEquals(64, feed(stream, good, 0, good.length));
        assertArrayEquals(good, messages.get(0));
    }

    @Test
    void sizesOutsideSockperfsAreRefused()
    {
        assertThrows(IllegalArgumentException.class, () -> new SockperfStream(SockperfMessage.HEADER_LENGTH - 1));
        assertThrows(IllegalArgumentException.class, () -> new SockperfStream(SockperfMessage.MAX_TCP_LENGTH + 1));
    }

    @Test
    void reassemblingAllocatesNothing()
    {
        final long[] taken = new long[1];
        final SockperfStream stream = new SockperfStream(SockperfMessage.DEFAULT_MAX_LENGTH)
            .handler((message, buffer, length) ->
            {
                taken[0]++;
                return true;
            });
        // Two messages and a half in a view, then the rest: split and coalesced on every turn.
        final byte[] all = concat(message(1, ASK, 64), message(2, ASK, 64), message(3, ASK, 64));
        final UnsafeBuffer view = new UnsafeBuffer(all);
        final int cut = 150;
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20_000; i++)  // warm up: whatever the JIT allocates while compiling is not per message
        {
            stream.onData(view, 0, cut);
            stream.onData(view, cut, all.length - cut);
        }
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++)
        {
            stream.onData(view, 0, cut);
            stream.onData(view, cut, all.length - cut);
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(360_000, taken[0]);
        assertTrue(allocated < 4096, allocated + " bytes allocated for 300000 messages");
    }

    private void assertFault(final SockperfStream.Fault expected, final byte[] template, final int length,
        final int maxLength)
    {
        messages.clear();
        final byte[] good = message(0, ASK, 20);
        final byte[] bad = template.clone();
        new SockperfMessage().wrap(new UnsafeBuffer(bad), 0).header(1, ASK, length);
        final byte[] all = concat(good, bad);
        final SockperfStream stream = stream(maxLength);
        final int consumed = feed(stream, all, 0, all.length);
        assertEquals(expected, stream.fault(), "length " + length);
        assertEquals(good.length + SockperfMessage.HEADER_LENGTH, consumed, "nothing past the bad header is consumed");
        assertEquals(1, messages.size(), "the message before the bad one is handed over");
        assertEquals(0, feed(stream, all, consumed, all.length), "a faulty stream consumes nothing more");
        assertFalse(stream.isHolding());
    }
}
