package io.nicq.sim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import io.nicq.packet.EthernetHeader;
import io.nicq.runtime.WakeWord;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A wire whose other end is the test (or tool) in the same JVM: {@link #inject} puts a frame into the card's receive
 * path as if it had arrived on the port, and {@link #drainTransmitted} takes the frames the card transmitted. Both
 * directions are {@link FrameRing}s in native memory, so one thread may inject while the device loop runs on another.
 * When the test does not drain, frames the card transmits beyond the ring's capacity are lost and counted by the
 * card as wire send failures.
 */
public final class MemoryWire implements Wire
{
    public static final int DEFAULT_CAPACITY = 1024 * 1024;

    private final Arena arena = Arena.ofShared();
    private final FrameRing toCard;
    private final FrameRing fromCard;
    private final MemorySegment injectBuffer;
    /** Where {@link #inject(MemorySegment, long, int)} pads a short frame (the injecting thread's alone). */
    private final MemorySegment padBuffer;
    private final MemorySegment wakeMemory = arena.allocate(WakeWord.LENGTH, 64);
    /** The device loop's side of the arrivals word. */
    private final WakeWord arrivals = new WakeWord().wrap(new UnsafeBuffer(wakeMemory.address(), WakeWord.LENGTH), 0);
    /** The injecting thread's side: it signals after every frame it injects. */
    private final WakeWord injected = new WakeWord().wrap(new UnsafeBuffer(wakeMemory.address(), WakeWord.LENGTH), 0);
    private final byte[][] taken = new byte[1][];
    private final FrameSink copier = (buffer, offset, length) ->
    {
        final byte[] frame = new byte[length];
        MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, offset, frame, 0, length);
        taken[0] = frame;
    };

    public MemoryWire()
    {
        this(DEFAULT_CAPACITY);
    }

    public MemoryWire(final int capacity)
    {
        toCard = new FrameRing(arena.allocate(FrameRing.regionSize(capacity), 64), capacity);
        fromCard = new FrameRing(arena.allocate(FrameRing.regionSize(capacity), 64), capacity);
        injectBuffer = arena.allocate(MAX_FRAME_LENGTH, 64);
        padBuffer = arena.allocate(EthernetHeader.MIN_FRAME_LENGTH, 64);
    }

    /**
     * Test side: a frame arrives at the card's port (one injecting thread at a time), from a sender whose MAC pads a
     * frame shorter than the Ethernet minimum with zeros to 60 bytes (64 with the FCS; IEEE 802.3 4.2.3.3), as every
     * sender's does: the card sees the padded frame.
     *
     * @return false if the card has not yet taken enough of the earlier frames to make room
     */
    public boolean inject(final MemorySegment frame, final long offset, final int length)
    {
        if (length >= EthernetHeader.MIN_FRAME_LENGTH)
        {
            return offer(frame, offset, length);
        }
        MemorySegment.copy(frame, offset, padBuffer, 0, length);
        padBuffer.asSlice(length, EthernetHeader.MIN_FRAME_LENGTH - length).fill((byte)0);
        return offer(padBuffer, 0, EthernetHeader.MIN_FRAME_LENGTH);
    }

    /** Onto the card's receive ring, and a wake-up for a device loop asleep on its arrivals. */
    private boolean offer(final MemorySegment frame, final long offset, final int length)
    {
        if (toCard.offer(frame, offset, length))
        {
            injected.signal();
            return true;
        }
        return false;
    }

    /** Test side: {@link #inject(MemorySegment, long, int)} from a byte array (copies through a native buffer). */
    public synchronized boolean inject(final byte[] frame)
    {
        if (frame.length > MAX_FRAME_LENGTH)
        {
            return false;
        }
        MemorySegment.copy(frame, 0, injectBuffer, ValueLayout.JAVA_BYTE, 0, frame.length);
        final int length = Math.max(frame.length, EthernetHeader.MIN_FRAME_LENGTH);
        injectBuffer.asSlice(frame.length, length - frame.length).fill((byte)0);
        return offer(injectBuffer, 0, length);
    }

    /**
     * Test side: a frame exactly as given, short ones unpadded: what a sender without padding (a card with
     * HLREG0.TXPADEN off) or a collision fragment puts on the wire, for the receiving MAC's runt handling.
     */
    public synchronized boolean injectUnpadded(final byte[] frame)
    {
        if (frame.length > MAX_FRAME_LENGTH)
        {
            return false;
        }
        MemorySegment.copy(frame, 0, injectBuffer, ValueLayout.JAVA_BYTE, 0, frame.length);
        return offer(injectBuffer, 0, frame.length);
    }

    /** Test side: hands up to {@code limit} frames the card transmitted to the sink. */
    public int drainTransmitted(final FrameSink sink, final int limit)
    {
        return fromCard.poll(sink, limit);
    }

    /** Test side: the next frame the card transmitted, copied into a new array; null if there is none. */
    public synchronized byte[] pollTransmitted()
    {
        taken[0] = null;
        fromCard.poll(copier, 1);
        return taken[0];
    }

    public int send(final MemorySegment frame, final long offset, final int length)
    {
        return fromCard.offer(frame, offset, length) ? SENT : DROPPED;
    }

    public int poll(final FrameSink sink, final int limit)
    {
        return toCard.poll(sink, limit);
    }

    public boolean isConnected()
    {
        return true;
    }

    public WakeWord arrivals()
    {
        return arrivals;
    }

    public String description()
    {
        return "memory";
    }

    public void close()
    {
        arrivals.close();
        injected.close();
        arena.close();
    }
}
