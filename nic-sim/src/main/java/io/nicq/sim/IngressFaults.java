package io.nicq.sim;

import java.lang.foreign.MemorySegment;

/**
 * Seeded faults on what a simulated card receives (its ingress): the same decisions as {@link WireFaults} (drop,
 * duplicate, reorder, corrupt, from a {@link WireFaults.Context}), applied to the frames the inner wire delivers
 * before the card's receive path sees them.
 * <p>
 * Why, when {@link WireFaults} says the peer's egress is the place: over TAP the peer is the kernel, whose egress
 * faults need {@code tc netem}, and a kernel built without {@code sch_netem} (a minimal VM's) has none. With ingress
 * faults the kernel-to-nicq direction of a TAP wire still loses, duplicates and reorders, so a transport is tested
 * under faults both ways on any kernel. Over a cable, prefer each card's egress faults.
 * <p>
 * How: a {@link WireFaults} sends into {@link SinkWire}, a wire whose "send" is delivery to the sink of the poll in
 * progress; a frame held back for reordering is released into a later poll (outside a poll the sink wire is busy,
 * so the held frame waits). The counters are this object's ({@link #faults()}), not the status page's, which belong
 * to the egress injector. One thread: the device loop's.
 */
public final class IngressFaults implements Wire
{
    private static final FrameSink NOWHERE = (buffer, offset, length) ->
    {
    };

    private final Wire wire;
    private final SinkWire delivery = new SinkWire();
    private final WireFaults faults;
    private final FrameSink intake = this::onFrame;

    public IngressFaults(final Wire wire, final WireFaults.Context ctx)
    {
        this.wire = wire;
        this.faults = new WireFaults(delivery, ctx);
    }

    public int send(final MemorySegment frame, final long offset, final int length)
    {
        return wire.send(frame, offset, length);
    }

    public int poll(final FrameSink sink, final int limit)
    {
        delivery.sink = sink;
        try
        {
            faults.poll(NOWHERE, 0); // a held frame whose time has come goes first
            return wire.poll(intake, limit);
        }
        finally
        {
            delivery.sink = null;
        }
    }

    private void onFrame(final MemorySegment buffer, final long offset, final int length)
    {
        // Delivery cannot be refused inside a poll: BUSY only comes outside one, and this is inside.
        faults.send(buffer, offset, length);
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
        return faults.hasTimedWork() || wire.hasTimedWork();
    }

    public boolean isConnected()
    {
        return wire.isConnected();
    }

    public void housekeeping()
    {
        wire.housekeeping();
    }

    public String description()
    {
        return wire.description() + " with ingress faults " + faults.context().summary();
    }

    /** The injector and its counters (dropped, duplicated, reordered, corrupted: of received frames). */
    public WireFaults faults()
    {
        return faults;
    }

    public Wire wire()
    {
        return wire;
    }

    public void close()
    {
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
        faults.closeInjector();
    }

    /** The wire the injector "sends" into: delivery to the sink of the poll in progress. */
    private static final class SinkWire implements Wire
    {
        FrameSink sink;

        public int send(final MemorySegment frame, final long offset, final int length)
        {
            final FrameSink target = sink;
            if (target == null)
            {
                return BUSY;
            }
            target.onFrame(frame, offset, length);
            return SENT;
        }

        public int poll(final FrameSink ignored, final int limit)
        {
            return 0;
        }

        public boolean isConnected()
        {
            return true;
        }

        public String description()
        {
            return "the card's receive path";
        }

        public void close()
        {
        }
    }
}
