package io.nicq.sim;

import java.lang.foreign.MemorySegment;

/** Any wire, with every frame in both directions also written to a pcap file ({@code --pcap FILE}). */
public final class CapturingWire implements Wire, FrameSink
{
    private final Wire wire;
    private final PcapWriter pcap;
    private FrameSink downstream;

    public CapturingWire(final Wire wire, final PcapWriter pcap)
    {
        this.wire = wire;
        this.pcap = pcap;
    }

    public int send(final MemorySegment frame, final long offset, final int length)
    {
        final int result = wire.send(frame, offset, length);
        if (result == SENT)
        {
            pcap.write(frame, offset, length, System.nanoTime());
        }
        return result;
    }

    public int poll(final FrameSink sink, final int limit)
    {
        downstream = sink;
        return wire.poll(this, limit);
    }

    public void onFrame(final MemorySegment buffer, final long offset, final int length)
    {
        pcap.write(buffer, offset, length, System.nanoTime());
        downstream.onFrame(buffer, offset, length);
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
        return wire.hasTimedWork();
    }

    public boolean isConnected()
    {
        return wire.isConnected();
    }

    public void housekeeping()
    {
        wire.housekeeping();
        pcap.flush();
    }

    public String description()
    {
        return wire.description() + " (captured to " + pcap.file() + ")";
    }

    /** The wire being captured. */
    public Wire wire()
    {
        return wire;
    }

    public PcapWriter pcap()
    {
        return pcap;
    }

    public void close()
    {
        try
        {
            wire.close();
        }
        finally
        {
            pcap.close();
        }
    }
}
