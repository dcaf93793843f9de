package io.nicq.sim;

import java.lang.foreign.MemorySegment;

/** Any wire, with every frame in both directions also written to a pcap file ({@code --pcap FILE}). */
public final class CapturingWire implements Wire, FrameHandler
{
    private final Wire wire;
    private final PcapWriter pcap;
    private FrameHandler downstream;

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

    public int poll(final FrameHandler handler, final int limit)
    {
        downstream = handler;
        return wire.poll(this, limit);
    }

    public void onFrame(final MemorySegment buffer, final long offset, final int length)
    {
        pcap.write(buffer, offset, length, System.nanoTime());
        downstream.onFrame(buffer, offset, length);
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
