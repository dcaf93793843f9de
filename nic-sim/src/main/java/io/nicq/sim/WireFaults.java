package io.nicq.sim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.math.BigDecimal;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.packet.EthernetHeader;
import io.nicq.packet.Ipv4Header;

/**
 * Seeded fault injection on what a simulated card puts on its wire (its egress): frames dropped, duplicated,
 * reordered and corrupted with the probabilities of a {@link Context}, so that a transport above the card meets loss
 * on every path the simulation has: nicq to the kernel over TAP, and nicq to nicq over a cable (each card injects on
 * its own egress, so both directions of a cable see faults when both ends ask for them).
 * <p>
 * Only egress: the kernel's side of a TAP wire has {@code tc netem} for the other direction, and over a cable the
 * peer's egress is this card's ingress, so injecting on ingress as well would only apply the faults twice.
 * <p>
 * Each frame the card hands over gets one decision, made from five draws of a SplitMix64 generator seeded once (drop,
 * corrupt, duplicate, reorder, where to flip), whatever the probabilities: the same seed and the same frames give the
 * same faults, and the drop pattern of a seed does not change when another probability does. A frame the inner wire
 * refuses ({@link Wire#BUSY}) keeps its decision for the retry, so flow control neither re-rolls nor skips a fault.
 * <ul>
 *   <li>Drop: the frame never reaches the wire; the card is told {@link Wire#SENT} (the MAC did transmit it, so GPTC
 *       counts it: a frame lost on the wire is no MAC error).</li>
 *   <li>Duplicate: the frame goes out twice, back to back (counted only if the wire took both copies).</li>
 *   <li>Reorder: the frame is held back in a preallocated buffer and sent once {@link Context#reorderDistance()}
 *       later frames have overtaken it, or {@link Context#reorderTimeoutNs()} after it was held, whichever comes
 *       first (checked on every send and every device-loop poll), so nothing is held for ever. One frame is held at a
 *       time: a frame drawn for reordering while another is held goes out in order. Counted when the held frame goes
 *       out after at least one later frame; one let go by the timeout with nothing after it was only delayed. A frame
 *       drawn both for duplication and reordering goes out now and its copy later.</li>
 *   <li>Corrupt: one bit of one byte of the IPv4 datagram (header or payload, within its total length) is flipped in
 *       a copy of the frame, so the IPv4 header checksum or the TCP/UDP/ICMP checksum catches it (a UDP datagram sent
 *       with checksum 0 carries it undetected, as it would on a real link). Frames between simulated cards carry no
 *       FCS, so a flip in the Ethernet header or in a frame without a checksum (ARP, IPv6 here) could be caught by
 *       nothing, a fault a real link's FCS always catches: those frames are never corrupted. The card's own buffer is
 *       never written. Every corrupted copy on the wire counts (a corrupted frame duplicated counts twice).</li>
 * </ul>
 * What was injected is counted here and, given the card's {@code bar0}, in its status page
 * ({@link SimulatedCardFiles#FAULT_DROPS_OFFSET} and on), never in the MAC's statistics registers. Nothing is allocated
 * per frame. Called from the device loop only (one thread), as every {@link Wire}.
 */
public final class WireFaults implements Wire
{
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private static final int DECIDED = 1;
    private static final int DROP = 2;
    private static final int CORRUPT = 4;
    private static final int DUPLICATE = 8;
    private static final int REORDER = 16;

    private final Wire wire;
    private final Context ctx;
    private final MemorySegment bar;
    private final NanoClock clock;
    private final long dropThreshold;
    private final long corruptThreshold;
    private final long duplicateThreshold;
    private final long reorderThreshold;
    private final int reorderDistance;
    private final long reorderTimeoutNs;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment corruptBuffer = arena.allocate(MAX_FRAME_LENGTH, 64);
    private final MemorySegment holdBuffer = arena.allocate(MAX_FRAME_LENGTH, 64);

    private long state;
    private int decision;
    private long corruptDraw;
    private int heldLength;
    private int heldOvertaken;
    private boolean heldFlipped;
    private long heldSinceNs;

    private long dropped;
    private long duplicated;
    private long reordered;
    private long corrupted;
    private long flipOffset = -1;
    private boolean closed;

    /** Faults on {@code wire}'s egress, counted here only. */
    public WireFaults(final Wire wire, final Context ctx)
    {
        this(wire, ctx, null);
    }

    /**
     * Faults on {@code wire}'s egress, counted here and in the status page of {@code bar} (the card's {@code bar0}
     * mapping, {@link SimulatedCardFiles#BAR_FILE_SIZE} bytes), where the seed is written too.
     */
    public WireFaults(final Wire wire, final Context ctx, final MemorySegment bar)
    {
        ctx.conclude();
        this.wire = wire;
        this.ctx = ctx;
        this.bar = bar;
        this.clock = ctx.clock();
        this.dropThreshold = threshold(ctx.dropProbability());
        this.corruptThreshold = threshold(ctx.corruptProbability());
        this.duplicateThreshold = threshold(ctx.duplicateProbability());
        this.reorderThreshold = threshold(ctx.reorderProbability());
        this.reorderDistance = ctx.reorderDistance();
        this.reorderTimeoutNs = ctx.reorderTimeoutNs();
        this.state = ctx.seed();
        if (bar != null)
        {
            LONG.setRelease(bar, (long)SimulatedCardFiles.FAULT_SEED_OFFSET, ctx.seed());
            LONG.setRelease(bar, (long)SimulatedCardFiles.FAULT_ENABLED_OFFSET, ctx.isActive() ? 1L : 0L);
        }
    }

    /** A probability as a bound on a 53-bit draw: p = 1 is 2^53, above every draw; p = 0 is below every one. */
    private static long threshold(final double probability)
    {
        return (long)(probability * (double)(1L << 53));
    }

    public int send(final MemorySegment frame, final long offset, final int length)
    {
        if (length <= 0 || length > MAX_FRAME_LENGTH)
        {
            return wire.send(frame, offset, length); // not a frame a fault can apply to: the wire refuses it
        }
        if (heldLength > 0 && heldIsDue() && !releaseHeld())
        {
            return BUSY; // the held frame goes first, and the wire cannot take it yet
        }
        if (decision == 0)
        {
            decide();
        }
        if ((decision & DROP) != 0)
        {
            decision = 0;
            dropped = publish(SimulatedCardFiles.FAULT_DROPS_OFFSET, dropped + 1);
            return SENT;
        }

        MemorySegment out = frame;
        long outOffset = offset;
        boolean flipped = false;
        if ((decision & CORRUPT) != 0)
        {
            final long at = corruptibleByte(frame, offset, length, corruptDraw);
            if (at >= 0)
            {
                MemorySegment.copy(frame, offset, corruptBuffer, 0, length);
                final byte value = corruptBuffer.get(ValueLayout.JAVA_BYTE, at);
                corruptBuffer.set(ValueLayout.JAVA_BYTE, at, (byte)(value ^ (1 << (int)(corruptDraw & 7))));
                out = corruptBuffer;
                outOffset = 0;
                flipped = true;
                flipOffset = at;
            }
        }
        final boolean hold = (decision & REORDER) != 0 && heldLength == 0;
        final boolean duplicate = (decision & DUPLICATE) != 0;

        int result = SENT;
        if (!hold || duplicate)
        {
            result = wire.send(out, outOffset, length);
            if (result == BUSY)
            {
                return BUSY; // the decision stays for the retry
            }
            if (result == SENT)
            {
                sentCopy(flipped);
            }
        }
        decision = 0;
        if (result != SENT)
        {
            return result;
        }
        if (hold)
        {
            MemorySegment.copy(out, outOffset, holdBuffer, 0, length);
            heldLength = length;
            heldOvertaken = 0;
            heldFlipped = flipped;
            heldSinceNs = clock.nanoTime();
            if (duplicate)
            {
                duplicated = publish(SimulatedCardFiles.FAULT_DUPLICATES_OFFSET, duplicated + 1);
            }
        }
        else if (duplicate && wire.send(out, outOffset, length) == SENT)
        {
            duplicated = publish(SimulatedCardFiles.FAULT_DUPLICATES_OFFSET, duplicated + 1);
            sentCopy(flipped);
        }
        return SENT;
    }

    /** Five draws for the next frame, whatever the probabilities, so that each fault's pattern is the seed's alone. */
    private void decide()
    {
        final boolean drop = draw() < dropThreshold;
        final boolean corrupt = draw() < corruptThreshold;
        final boolean duplicate = draw() < duplicateThreshold;
        final boolean reorder = draw() < reorderThreshold;
        corruptDraw = next();
        if (drop)
        {
            decision = DECIDED | DROP;
            return;
        }
        decision = DECIDED | (corrupt ? CORRUPT : 0) | (duplicate ? DUPLICATE : 0) | (reorder ? REORDER : 0);
    }

    /**
     * A copy of a frame went on the wire: counted if a bit of it was flipped; if a frame is held, this one overtook
     * it, and the held one goes once enough have.
     */
    private void sentCopy(final boolean flipped)
    {
        if (flipped)
        {
            corrupted = publish(SimulatedCardFiles.FAULT_CORRUPTIONS_OFFSET, corrupted + 1);
        }
        if (heldLength > 0 && ++heldOvertaken >= reorderDistance)
        {
            releaseHeld();
        }
    }

    private boolean heldIsDue()
    {
        return heldOvertaken >= reorderDistance || clock.nanoTime() - heldSinceNs >= reorderTimeoutNs;
    }

    /** Sends the held frame; false if the wire is busy (it stays held and is tried again). */
    private boolean releaseHeld()
    {
        final int result = wire.send(holdBuffer, 0, heldLength);
        if (result == BUSY)
        {
            return false;
        }
        if (result == SENT && heldOvertaken > 0)
        {
            reordered = publish(SimulatedCardFiles.FAULT_REORDERS_OFFSET, reordered + 1);
        }
        if (result == SENT && heldFlipped)
        {
            corrupted = publish(SimulatedCardFiles.FAULT_CORRUPTIONS_OFFSET, corrupted + 1);
        }
        heldLength = 0;
        heldOvertaken = 0;
        return true;
    }

    /**
     * Where a bit may be flipped so that a checksum catches it: a byte of the IPv4 datagram (after the Ethernet
     * header and one VLAN tag, within the total length and the frame), chosen by the high 32 bits of {@code draw};
     * -1 for a frame that is not IPv4.
     */
    static long corruptibleByte(final MemorySegment frame, final long offset, final int length, final long draw)
    {
        int network = EthernetHeader.HEADER_LENGTH;
        if (length < network + Ipv4Header.MIN_HEADER_LENGTH)
        {
            return -1;
        }
        int etherType = unsignedShort(frame, offset + EthernetHeader.ETHER_TYPE_OFFSET);
        if (etherType == EthernetHeader.ETHER_TYPE_VLAN)
        {
            network += 4;
            etherType = unsignedShort(frame, offset + EthernetHeader.ETHER_TYPE_OFFSET + 4);
        }
        if (etherType != EthernetHeader.ETHER_TYPE_IPV4 || length < network + Ipv4Header.MIN_HEADER_LENGTH)
        {
            return -1;
        }
        final int totalLength = unsignedShort(frame, offset + network + Ipv4Header.TOTAL_LENGTH_OFFSET);
        final int available = length - network;
        final int span = totalLength >= Ipv4Header.MIN_HEADER_LENGTH ? Math.min(totalLength, available) : available;
        return offset + network + (((draw >>> 32) * span) >>> 32);
    }

    private static int unsignedShort(final MemorySegment frame, final long at)
    {
        return ((frame.get(ValueLayout.JAVA_BYTE, at) & 0xFF) << 8) | (frame.get(ValueLayout.JAVA_BYTE, at + 1) & 0xFF);
    }

    /** SplitMix64 (Steele, Lea and Flood): one add and a mix per draw, the sequence fixed by the seed alone. */
    private long next()
    {
        long z = state += GOLDEN_GAMMA;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A uniform draw in [0, 2^53). */
    private long draw()
    {
        return next() >>> 11;
    }

    private long publish(final int statusOffset, final long value)
    {
        if (bar != null)
        {
            LONG.setRelease(bar, (long)statusOffset, value);
        }
        return value;
    }

    public int poll(final FrameSink sink, final int limit)
    {
        if (heldLength > 0 && heldIsDue())
        {
            releaseHeld();
        }
        return wire.poll(sink, limit);
    }

    public io.nicq.runtime.WakeWord arrivals()
    {
        return wire.arrivals();
    }

    public void armArrivals()
    {
        wire.armArrivals();
    }

    public boolean hasTimedWork()
    {
        return heldLength > 0 || wire.hasTimedWork();
    }

    public boolean isConnected()
    {
        return wire.isConnected();
    }

    public void housekeeping()
    {
        if (heldLength > 0 && heldIsDue())
        {
            releaseHeld();
        }
        wire.housekeeping();
    }

    public String description()
    {
        return wire.description() + " with faults " + ctx.summary();
    }

    /** The wire the faults are injected on. */
    public Wire wire()
    {
        return wire;
    }

    public Context context()
    {
        return ctx;
    }

    /** Frames dropped by injection (read on the device loop's thread; other threads read the status page). */
    public long dropped()
    {
        return dropped;
    }

    /** Frames sent twice. */
    public long duplicated()
    {
        return duplicated;
    }

    /** Held-back frames that went out after at least one later frame. */
    public long reordered()
    {
        return reordered;
    }

    /** Frames that went on the wire with one bit flipped (both copies, when a corrupted frame was duplicated). */
    public long corrupted()
    {
        return corrupted;
    }

    /** Whether a frame is held back for reordering now. */
    public boolean isHolding()
    {
        return heldLength > 0;
    }

    /** Offset in the last corrupted frame of the byte whose bit was flipped (-1 before the first): for tests. */
    long lastFlipOffset()
    {
        return flipOffset;
    }

    /** Closes the inner wire and the injector; a frame still held back is lost with the card. */
    public void close()
    {
        if (closed)
        {
            return;
        }
        try
        {
            wire.close();
        }
        finally
        {
            closeInjector();
        }
    }

    /** Frees the injector's buffers and leaves the inner wire open (a wire the card's creator owns). */
    void closeInjector()
    {
        if (!closed)
        {
            closed = true;
            heldLength = 0;
            arena.close();
        }
    }

    /**
     * Parses a probability as {@code nicq sim} takes it: a fraction from 0 to 1 ({@code 0.02}) or a percentage with
     * its sign ({@code 2%}); anything else, or a value outside 0..1 (0%..100%), is an {@link IllegalArgumentException}
     * naming {@code option}.
     */
    public static double parseProbability(final String option, final String text)
    {
        final String value = text == null ? "" : text.trim();
        final boolean percent = value.endsWith("%");
        final String number = percent ? value.substring(0, value.length() - 1).trim() : value;
        if (!DECIMAL.matcher(number).matches())
        {
            throw new IllegalArgumentException(option + " '" + text + "' is not a probability: give a fraction " +
                "from 0 to 1 such as 0.02, or a percentage such as 2%");
        }
        final double parsed = Double.parseDouble(number);
        final double probability = percent ? parsed / 100 : parsed;
        if (probability > 1)
        {
            throw new IllegalArgumentException(option + " '" + text + "' is above 1 (100%)" +
                (!percent && parsed <= 100 ? ": for " + number + " percent write " + number + "%" : ""));
        }
        return probability;
    }

    private static final Pattern DECIMAL = Pattern.compile("\\d+(\\.\\d*)?|\\.\\d+");

    /**
     * Parses a seed: a decimal {@code long} ({@code -42}, {@code 123456789}) or 16 hex digits at most after
     * {@code 0x}.
     */
    public static long parseSeed(final String text)
    {
        final String value = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        try
        {
            return value.startsWith("0x") ? Long.parseUnsignedLong(value.substring(2), 16) : Long.parseLong(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("--fault-seed '" + text + "' must be a decimal long or 0x and up to " +
                "16 hex digits", ex);
        }
    }

    /** How to inject faults. Every property has a documented default; all probabilities default to 0 (no faults). */
    public static final class Context
    {
        /** Frames that overtake a held one before it goes out: 2, one short of the three duplicate ACKs of TCP's
         * fast retransmit, so a reordered segment alone does not look lost. */
        public static final int DEFAULT_REORDER_DISTANCE = 2;
        /** Longest a frame is held when nothing overtakes it (a request waiting for its own answer): 200 us, well
         * under any retransmission timeout. */
        public static final long DEFAULT_REORDER_TIMEOUT_NS = 200_000;
        /** Bounds: a held frame must go out soon (it stands for reordering, not loss). */
        public static final int MAX_REORDER_DISTANCE = 1024;
        public static final long MAX_REORDER_TIMEOUT_NS = 1_000_000_000L;

        private double dropProbability;
        private double duplicateProbability;
        private double reorderProbability;
        private double corruptProbability;
        private Long seed;
        private int reorderDistance = DEFAULT_REORDER_DISTANCE;
        private long reorderTimeoutNs = DEFAULT_REORDER_TIMEOUT_NS;
        private NanoClock clock = SystemNanoClock.INSTANCE;

        /**
         * Checks the properties and, if no seed was given, picks one at random (read it back with {@link #seed()}:
         * {@code nicq sim} prints it, the card's status page holds it).
         */
        public Context conclude()
        {
            check("drop", dropProbability);
            check("duplicate", duplicateProbability);
            check("reorder", reorderProbability);
            check("corrupt", corruptProbability);
            if (reorderDistance < 1 || reorderDistance > MAX_REORDER_DISTANCE)
            {
                throw new IllegalArgumentException("reorder distance " + reorderDistance + " must be 1.." +
                    MAX_REORDER_DISTANCE + " frames");
            }
            if (reorderTimeoutNs <= 0 || reorderTimeoutNs > MAX_REORDER_TIMEOUT_NS)
            {
                throw new IllegalArgumentException("reorder timeout " + reorderTimeoutNs + " ns must be above 0 and " +
                    "at most " + MAX_REORDER_TIMEOUT_NS + " ns");
            }
            if (clock == null)
            {
                throw new IllegalArgumentException("fault injection needs a clock");
            }
            if (seed == null)
            {
                seed = new SplittableRandom().nextLong();
            }
            return this;
        }

        private static void check(final String what, final double probability)
        {
            if (!(probability >= 0 && probability <= 1))
            {
                throw new IllegalArgumentException(what + " probability " + probability + " must be from 0 to 1");
            }
        }

        /** Whether any probability is above 0. */
        public boolean isActive()
        {
            return dropProbability > 0 || duplicateProbability > 0 || reorderProbability > 0 ||
                corruptProbability > 0;
        }

        /** "drop 2% duplicate 1% reorder 5% corrupt 0% seed 42" (the seed as {@code --fault-seed} takes it). */
        public String summary()
        {
            return "drop " + percent(dropProbability) + " duplicate " + percent(duplicateProbability) + " reorder " +
                percent(reorderProbability) + " corrupt " + percent(corruptProbability) + " seed " +
                (seed == null ? "random" : Long.toString(seed));
        }

        private static String percent(final double probability)
        {
            return BigDecimal.valueOf(probability).movePointRight(2).stripTrailingZeros().toPlainString() + "%";
        }

        /** Probability that a frame is lost on the wire (0..1). Default 0. */
        public Context dropProbability(final double dropProbability)
        {
            this.dropProbability = dropProbability;
            return this;
        }

        public double dropProbability()
        {
            return dropProbability;
        }

        /** Probability that a frame goes out twice (0..1). Default 0. */
        public Context duplicateProbability(final double duplicateProbability)
        {
            this.duplicateProbability = duplicateProbability;
            return this;
        }

        public double duplicateProbability()
        {
            return duplicateProbability;
        }

        /** Probability that a frame is held back and overtaken by later ones (0..1). Default 0. */
        public Context reorderProbability(final double reorderProbability)
        {
            this.reorderProbability = reorderProbability;
            return this;
        }

        public double reorderProbability()
        {
            return reorderProbability;
        }

        /** Probability that an IPv4 frame goes out with one bit flipped (0..1). Default 0. */
        public Context corruptProbability(final double corruptProbability)
        {
            this.corruptProbability = corruptProbability;
            return this;
        }

        public double corruptProbability()
        {
            return corruptProbability;
        }

        /** Seed of the fault generator. Default: random, picked by {@link #conclude()}. */
        public Context seed(final long seed)
        {
            this.seed = seed;
            return this;
        }

        /** The seed (after {@link #conclude()}: the one in use, given or picked). */
        public long seed()
        {
            if (seed == null)
            {
                throw new IllegalStateException("no seed yet: given none, and conclude() picks one");
            }
            return seed;
        }

        /** Later frames that overtake a held one before it goes out (1..1024). Default 2. */
        public Context reorderDistance(final int reorderDistance)
        {
            this.reorderDistance = reorderDistance;
            return this;
        }

        public int reorderDistance()
        {
            return reorderDistance;
        }

        /** Longest a frame is held back when too few frames follow it (ns, up to 1 s). Default 200 us. */
        public Context reorderTimeoutNs(final long reorderTimeoutNs)
        {
            this.reorderTimeoutNs = reorderTimeoutNs;
            return this;
        }

        public long reorderTimeoutNs()
        {
            return reorderTimeoutNs;
        }

        /** The clock of the reorder timeout. Default {@link SystemNanoClock}; tests pass their own. */
        public Context clock(final NanoClock clock)
        {
            this.clock = clock;
            return this;
        }

        public NanoClock clock()
        {
            return clock;
        }
    }
}
