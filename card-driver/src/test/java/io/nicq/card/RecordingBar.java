package io.nicq.card;

import java.util.ArrayList;
import java.util.List;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.Registers;

/**
 * A plain in-memory BAR for unit tests: registers are ints that read back what was written (so RXDCTL.ENABLE reads
 * back at once), every write is recorded in order, and reads of L34T_IMIR are counted (a driver must never do them).
 */
class RecordingBar implements Bar
{
    record Write(int offset, int value)
    {
    }

    final int[] registers = new int[Registers.BAR_SIZE / 4];
    final List<Write> writes = new ArrayList<>();
    int l34tImirReads;

    public int read(final int offset)
    {
        if (offset >= Registers.l34tImir(0) && offset <= Registers.l34tImir(Registers.FIVE_TUPLE_FILTER_COUNT - 1))
        {
            l34tImirReads++;
        }
        return registers[offset >> 2];
    }

    public void write(final int offset, final int value)
    {
        writes.add(new Write(offset, value));
        registers[offset >> 2] = value;
        onWrite(offset, value);
    }

    /** Device behaviour of subclasses. */
    void onWrite(final int offset, final int value)
    {
    }

    /** Writes to any of these offsets, in order, since index {@code from}. */
    List<Integer> writeOffsetsSince(final int from, final int... offsets)
    {
        final List<Integer> result = new ArrayList<>();
        for (int i = from; i < writes.size(); i++)
        {
            final int offset = writes.get(i).offset();
            for (final int candidate : offsets)
            {
                if (candidate == offset)
                {
                    result.add(offset);
                }
            }
        }
        return result;
    }

    public String description()
    {
        return "recording bar";
    }

    public void close()
    {
    }
}
