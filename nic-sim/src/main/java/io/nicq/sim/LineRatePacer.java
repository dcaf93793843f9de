package io.nicq.sim;

import io.nicq.packet.EthernetHeader;

/**
 * Paces transmission to a line rate, counting what a frame really occupies on an Ethernet link: the frame padded to
 * 60 bytes, the 4-byte FCS, the 8-byte preamble and start delimiter and the 12-byte inter-frame gap. At 10 Gb/s a
 * 64-byte frame (60 + FCS) takes 84 bytes, 67.2 ns: 14.88 million frames per second. The schedule is kept in
 * nanoseconds plus a picosecond remainder, so the average rate is exact; an idle link earns no credit for a burst.
 */
public final class LineRatePacer
{
    /** Preamble (7), start of frame delimiter (1) and inter-frame gap (12). */
    public static final int OVERHEAD_BYTES = 20;
    public static final long TEN_GIGABIT = 10_000_000_000L;
    /** How far behind the clock the schedule may be (the model's timing resolution). */
    public static final long CREDIT_NS = 20_000;

    private final long bitsPerSecond;
    private final long picosecondsPerByte;
    private long nextFreeNs;
    private long remainderPs;

    public LineRatePacer(final long bitsPerSecond)
    {
        if (bitsPerSecond <= 0 || bitsPerSecond > 8_000_000_000_000L)
        {
            throw new IllegalArgumentException("line rate " + bitsPerSecond + " b/s is out of range");
        }
        this.bitsPerSecond = bitsPerSecond;
        this.picosecondsPerByte = 8_000_000_000_000L / bitsPerSecond;
        this.nextFreeNs = Long.MIN_VALUE;
    }

    /** Bytes a frame of {@code length} (without FCS) occupies on the link. */
    public static int wireBytes(final int length)
    {
        return Math.max(length, EthernetHeader.MIN_FRAME_LENGTH) + EthernetHeader.FCS_LENGTH + OVERHEAD_BYTES;
    }

    /** Whether the link is free at {@code nowNs} ({@link System#nanoTime()}). */
    public boolean mayTransmit(final long nowNs)
    {
        return nextFreeNs == Long.MIN_VALUE || nextFreeNs - nowNs <= 0;
    }

    /** Books the link for a frame that starts now (or when the previous one ends, if later). */
    public void onTransmit(final long nowNs, final int length)
    {
        if (nextFreeNs == Long.MIN_VALUE || nextFreeNs - (nowNs - CREDIT_NS) < 0)
        {
            nextFreeNs = nowNs - CREDIT_NS;
            remainderPs = 0;
        }
        remainderPs += wireBytes(length) * picosecondsPerByte;
        nextFreeNs += remainderPs / 1000;
        remainderPs %= 1000;
    }

    public long bitsPerSecond()
    {
        return bitsPerSecond;
    }

    /** Parses "10g", "1g", "100m", "2.5g", a plain number of bits per second, or "0"/"none"/"off" (unpaced: 0). */
    public static long parseRate(final String text)
    {
        final String value = text.trim().toLowerCase(java.util.Locale.ROOT);
        if (value.isEmpty() || "0".equals(value) || "none".equals(value) || "off".equals(value))
        {
            return 0;
        }
        final char unit = value.charAt(value.length() - 1);
        final double multiplier = switch (unit)
        {
            case 'g' -> 1e9;
            case 'm' -> 1e6;
            case 'k' -> 1e3;
            default -> 1;
        };
        final String number = Character.isDigit(unit) ? value : value.substring(0, value.length() - 1);
        try
        {
            final long rate = Math.round(Double.parseDouble(number) * multiplier);
            if (rate <= 0)
            {
                throw new NumberFormatException("not positive");
            }
            return rate;
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("line rate '" + text + "' must look like 10g, 1g, 100m or 0", ex);
        }
    }
}
