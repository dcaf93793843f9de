package io.nicq.client.tcp;

/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 3.4): numbers are unsigned 32-bit values held in ints, compared by
 * the sign of their difference, so the comparisons hold across the wrap as long as the numbers are less than 2^31
 * apart (windows are at most 2^30).
 */
final class SequenceNumbers
{
    private SequenceNumbers()
    {
    }

    static boolean lt(final int a, final int b)
    {
        return a - b < 0;
    }

    static boolean le(final int a, final int b)
    {
        return a - b <= 0;
    }

    static boolean gt(final int a, final int b)
    {
        return a - b > 0;
    }

    static boolean ge(final int a, final int b)
    {
        return a - b >= 0;
    }

    /** Whether {@code low <= value < high}, modulo 2^32. */
    static boolean inRange(final int value, final int low, final int high)
    {
        return value - low >= 0 && value - high < 0;
    }

    static int max(final int a, final int b)
    {
        return a - b >= 0 ? a : b;
    }

    static int min(final int a, final int b)
    {
        return a - b <= 0 ? a : b;
    }
}
