package io.nicq.client.tcp;

import java.lang.reflect.Constructor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.nicq.client.ControlPlane;
import io.nicq.client.Filter;
import io.nicq.client.NicQueue;
import io.nicq.client.QueueDriverPlacement;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.proto.channel.IndexRing;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.QueueChannelHeader;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One end of a test wire: a queue channel whose driver side is test code (frames are moved between ends' rings by
 * {@link #transmitTo} or {@link #transmit}, with seeded loss, duplication and reordering if asked), the client stack
 * on it, and a control plane that registers filters without a card driver (it remembers connection filters). NicQueue's
 * and Filter's constructors are package-private in io.nicq.client, so it reaches them by reflection.
 */
final class LoopbackEnd implements ControlPlane
{
    static final int SLOTS = 256;
    static final int RX = 64;

    final QueueChannel channel;
    final int[] free = new int[SLOTS];
    int freeCount;
    final int[] batch = new int[SLOTS];
    final int ipv4;
    final long mac;
    final long peerMac;
    NicQueue queue;
    Ipv4Interface ip;
    TcpLayer tcp;
    int nextPort = 49152;
    /** The interface's MTU: set it before {@link #open}. */
    int mtu = 1500;
    private int nextFilterId = 1;
    /** Seeded loss on this end's transmissions: the probability a frame is dropped, 0 for none. */
    double loss;
    /** Seeded duplication: the probability a frame is delivered twice. */
    double duplicate;
    /** Seeded reordering: the probability a frame is held back and delivered after the next one. */
    double reorder;
    final Random random = new Random(7);
    long lost;
    long duplicated;
    long reordered;
    private final byte[] held = new byte[2048];
    private int heldLength = -1;
    private final List<Filter> connectionFilters = new ArrayList<>();
    private long connectionFiltersDeregistered;

    LoopbackEnd(final Path file, final int ipv4, final long mac, final long peerMac)
    {
        this.ipv4 = ipv4;
        this.mac = mac;
        this.peerMac = peerMac;
        channel = QueueChannel.create(file, 3, SLOTS);
        for (int slot = 0; slot < RX; slot++)
        {
            free[freeCount++] = slot;
        }
        for (int slot = RX; slot < SLOTS; slot++)
        {
            channel.txDone().offer(slot);
        }
        channel.header().driverPid(ProcessHandle.current().pid());
        channel.header().state(QueueChannelHeader.STATE_ACTIVE);
    }

    void open(final Path file) throws Exception
    {
        open(file, new TcpLayer.Context());
    }

    void open(final Path file, final TcpLayer.Context ctx) throws Exception
    {
        Constructor<?> constructor = null;
        for (final Constructor<?> c : NicQueue.class.getDeclaredConstructors())
        {
            if (c.getParameterCount() == 6)
            {
                constructor = c;
            }
        }
        constructor.setAccessible(true);
        queue = (NicQueue)constructor.newInstance(this, QueueChannel.open(file), QueueDriverPlacement.THREAD,
            null, null, 16);
        ip = new Ipv4Interface(queue, this);
        tcp = new TcpLayer(ip, ctx);
    }

    /** Where a transmitted frame goes: the end whose RX ring receives it. */
    @FunctionalInterface
    interface Router
    {
        LoopbackEnd route(DirectBuffer frame, int offset, int length);
    }

    /** Moves what this end transmitted onto the other end's RX ring. */
    int transmitTo(final LoopbackEnd other)
    {
        return transmit((frame, offset, length) -> other);
    }

    /** Moves what this end transmitted onto the RX ring of the end {@code router} chooses for each frame. */
    int transmit(final Router router)
    {
        queue.flush();
        final IndexRing txReady = channel.txReady();
        final int count = txReady.poll(batch, 0, batch.length);
        for (int i = 0; i < count; i++)
        {
            final int slot = batch[i];
            if (loss > 0 && random.nextDouble() < loss)
            {
                lost++;
                continue;
            }
            final int offset = QueueChannel.frameOffset(slot);
            final int length = channel.metadata().frameLength(slot);
            if (reorder > 0 && heldLength < 0 && length <= held.length && random.nextDouble() < reorder)
            {
                channel.pool().getBytes(offset, held, 0, length);
                heldLength = length;
                reordered++;
                continue;
            }
            final LoopbackEnd other = router.route(channel.pool(), offset, length);
            other.inject(channel.pool(), offset, length);
            if (duplicate > 0 && random.nextDouble() < duplicate)
            {
                other.inject(channel.pool(), offset, length);
                duplicated++;
            }
            releaseHeld(router);
        }
        channel.txDone().offer(batch, 0, count);
        releaseHeld(router);
        return count;
    }

    /** The frame held back for reordering goes after the one that overtook it (or at the end of the batch). */
    private void releaseHeld(final Router router)
    {
        if (heldLength >= 0)
        {
            final UnsafeBuffer frame = new UnsafeBuffer(held, 0, heldLength);
            router.route(frame, 0, heldLength).inject(frame, 0, heldLength);
            heldLength = -1;
        }
    }

    void inject(final DirectBuffer pool, final int offset, final int length)
    {
        final int taken = channel.rxFree().poll(batch, 0, batch.length);
        for (int i = 0; i < taken; i++)
        {
            free[freeCount++] = batch[i];
        }
        if (freeCount == 0)
        {
            return;
        }
        final int slot = free[--freeCount];
        channel.pool().putBytes(QueueChannel.frameOffset(slot), pool, offset, length);
        channel.metadata().frameLength(slot, length);
        channel.metadata().flags(slot, 0);
        channel.metadata().rxAppNs(slot, 0);
        channel.rxReady().offer(slot);
    }

    public long mac()
    {
        return mac;
    }

    public int ipv4()
    {
        return ipv4;
    }

    public int prefixLength()
    {
        return 24;
    }

    public int gateway()
    {
        return 0;
    }

    public int mtu()
    {
        return mtu;
    }

    public long resolveNeighbour(final int address)
    {
        return peerMac;
    }

    public Filter registerUdpPort(final NicQueue queue, final int port)
    {
        return filter(Filter.Kind.UDP_PORT, port, 0, 0);
    }

    public Filter registerTcpPort(final NicQueue queue, final int port)
    {
        return filter(Filter.Kind.TCP_PORT, port, 0, 0);
    }

    public Filter registerTcpConnection(final NicQueue queue, final int localPort, final int remoteIp,
        final int remotePort)
    {
        final Filter filter = filter(Filter.Kind.TCP_CONNECTION, localPort != 0 ? localPort : nextPort++, remoteIp,
            remotePort);
        synchronized (connectionFilters)
        {
            connectionFilters.add(filter);
        }
        return filter;
    }

    public void deregister(final Filter filter)
    {
        synchronized (connectionFilters)
        {
            if (connectionFilters.remove(filter))
            {
                connectionFiltersDeregistered++;
            }
        }
    }

    /** The connection filters registered through this end and not deregistered (any thread may ask). */
    List<Filter> connectionFilters()
    {
        synchronized (connectionFilters)
        {
            return List.copyOf(connectionFilters);
        }
    }

    /** Connection filters deregistered through this end. */
    long connectionFiltersDeregistered()
    {
        synchronized (connectionFilters)
        {
            return connectionFiltersDeregistered;
        }
    }

    public void releaseQueue(final NicQueue queue)
    {
    }

    private Filter filter(final Filter.Kind kind, final int port, final int remoteIp, final int remotePort)
    {
        try
        {
            final Constructor<Filter> c = Filter.class.getDeclaredConstructor(int.class, int.class,
                Filter.Kind.class, Filter.Placement.class, int.class, int.class, int.class, int.class);
            c.setAccessible(true);
            return c.newInstance(nextFilterId++, 3, kind, Filter.Placement.SOFTWARE, -1, port, remoteIp, remotePort);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
