package io.nicq.sim;

import java.lang.foreign.MemorySegment;

/** Nothing plugged in: the link never comes up and transmitted frames are lost (counted by the card). */
public final class NoneWire implements Wire
{
    public int send(final MemorySegment frame, final long offset, final int length)
    {
        return DROPPED;
    }

    public int poll(final FrameSink sink, final int limit)
    {
        return 0;
    }

    public boolean isConnected()
    {
        return false;
    }

    public String description()
    {
        return "none";
    }

    public void close()
    {
    }
}
