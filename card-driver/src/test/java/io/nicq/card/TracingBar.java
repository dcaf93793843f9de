package io.nicq.card;

import java.util.ArrayList;
import java.util.List;

import io.nicq.ixgbe.Bar;

/**
 * The register seam recorded: every read and write a driver makes through this BAR, in order, with what it read or
 * wrote and when, passed on to the BAR underneath (the simulated card's). Polls through {@link Bar#await} are reads
 * like any other, so a wait shows up as the read that ended it.
 */
final class TracingBar implements Bar
{
    record Access(boolean write, int offset, int value, long nanos)
    {
        boolean isWrite(final int register)
        {
            return write && offset == register;
        }

        boolean isRead(final int register)
        {
            return !write && offset == register;
        }

        boolean has(final int bits)
        {
            return (value & bits) == bits;
        }

        public String toString()
        {
            return String.format("%s 0x%05X %s 0x%08X", write ? "W" : "R", offset, write ? "<-" : "->", value);
        }
    }

    final List<Access> trace = new ArrayList<>();
    private final Bar bar;

    TracingBar(final Bar bar)
    {
        this.bar = bar;
    }

    public int read(final int offset)
    {
        final int value = bar.read(offset);
        trace.add(new Access(false, offset, value, System.nanoTime()));
        return value;
    }

    public void write(final int offset, final int value)
    {
        trace.add(new Access(true, offset, value, System.nanoTime()));
        bar.write(offset, value);
    }

    public String description()
    {
        return bar.description();
    }

    public void close()
    {
    }
}
