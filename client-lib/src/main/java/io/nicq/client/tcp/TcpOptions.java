package io.nicq.client.tcp;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * The options of one received segment (RFC 9293 3.2, RFC 7323, RFC 2018), parsed into fields of a reused holder.
 * Unknown options are skipped by their length; an option whose length is below 2, runs past the header, or does not
 * fit its kind's fixed length makes the whole segment malformed (a counted drop).
 */
final class TcpOptions
{
    static final int KIND_END = 0;
    static final int KIND_NOP = 1;
    static final int KIND_MSS = 2;
    static final int KIND_WINDOW_SCALE = 3;
    static final int KIND_SACK_PERMITTED = 4;
    static final int KIND_SACK = 5;
    static final int KIND_TIMESTAMP = 8;

    static final int LENGTH_MSS = 4;
    static final int LENGTH_WINDOW_SCALE = 3;
    static final int LENGTH_SACK_PERMITTED = 2;
    static final int LENGTH_TIMESTAMP = 10;
    /** Most SACK blocks one option holds (40 bytes of options, 8 per block). */
    static final int MAX_SACK_BLOCKS = 4;

    /** No MSS option: -1. */
    int mss;
    /** No window-scale option: -1; else the shift, clamped to 14 (RFC 7323 2.3). */
    int windowScale;
    boolean sackPermitted;
    boolean hasTimestamp;
    int timestampValue;
    int timestampEcho;
    int sackBlocks;
    final int[] sackStart = new int[MAX_SACK_BLOCKS];
    final int[] sackEnd = new int[MAX_SACK_BLOCKS];

    /**
     * Parses the options between the fixed header and the data offset.
     *
     * @return false if malformed.
     */
    boolean parse(final DirectBuffer buffer, final int offset, final int length)
    {
        mss = -1;
        windowScale = -1;
        sackPermitted = false;
        hasTimestamp = false;
        sackBlocks = 0;
        int i = offset;
        final int end = offset + length;
        while (i < end)
        {
            final int kind = buffer.getByte(i) & 0xFF;
            if (kind == KIND_END)
            {
                return true;
            }
            if (kind == KIND_NOP)
            {
                i++;
                continue;
            }
            if (i + 1 >= end)
            {
                return false;
            }
            final int optionLength = buffer.getByte(i + 1) & 0xFF;
            if (optionLength < 2 || i + optionLength > end)
            {
                return false;
            }
            switch (kind)
            {
                case KIND_MSS ->
                {
                    if (optionLength != LENGTH_MSS)
                    {
                        return false;
                    }
                    mss = buffer.getShort(i + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                }
                case KIND_WINDOW_SCALE ->
                {
                    if (optionLength != LENGTH_WINDOW_SCALE)
                    {
                        return false;
                    }
                    windowScale = Math.min(14, buffer.getByte(i + 2) & 0xFF);
                }
                case KIND_SACK_PERMITTED ->
                {
                    if (optionLength != LENGTH_SACK_PERMITTED)
                    {
                        return false;
                    }
                    sackPermitted = true;
                }
                case KIND_TIMESTAMP ->
                {
                    if (optionLength != LENGTH_TIMESTAMP)
                    {
                        return false;
                    }
                    hasTimestamp = true;
                    timestampValue = buffer.getInt(i + 2, ByteOrder.BIG_ENDIAN);
                    timestampEcho = buffer.getInt(i + 6, ByteOrder.BIG_ENDIAN);
                }
                case KIND_SACK ->
                {
                    if ((optionLength - 2) % 8 != 0 || optionLength == 2)
                    {
                        return false;
                    }
                    final int blocks = Math.min(MAX_SACK_BLOCKS, (optionLength - 2) / 8);
                    for (int b = 0; b < blocks; b++)
                    {
                        sackStart[b] = buffer.getInt(i + 2 + 8 * b, ByteOrder.BIG_ENDIAN);
                        sackEnd[b] = buffer.getInt(i + 6 + 8 * b, ByteOrder.BIG_ENDIAN);
                    }
                    sackBlocks = blocks;
                }
                default ->
                {
                    // unknown: skipped by its length
                }
            }
            i += optionLength;
        }
        return true;
    }
}
