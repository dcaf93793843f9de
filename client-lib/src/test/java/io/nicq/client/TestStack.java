package io.nicq.client;

import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.udp.UdpLayer;
import io.nicq.proto.channel.QueueChannel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The whole stack on a queue whose driver side is test code ({@link FakeDriver}) and whose control plane is
 * {@link TestPlane}: queue, interface and UDP layer, owned in that order as an application owns them.
 */
final class TestStack implements AutoCloseable
{
    static final int SLOTS = 64;
    static final int RX_BUFFERS = 16;
    static final int RESERVE = 8;
    /** The port the tests' socket binds, and the peer's. */
    static final int PORT = 7000;
    static final int PEER_PORT = 40000;

    final FakeDriver driver;
    final TestPlane plane;
    final NicQueue queue;
    final Ipv4Interface ip;
    final UdpLayer udp;
    final List<byte[]> transmitted = new ArrayList<>();
    final List<Integer> transmittedSlots = new ArrayList<>();

    TestStack(final Path dir, final TestPlane plane, final Ipv4Interface.Context ctx)
    {
        this.driver = new FakeDriver(dir.resolve("q"), SLOTS, RX_BUFFERS);
        this.plane = plane;
        this.queue = openQueue(plane);
        this.ip = new Ipv4Interface(queue, plane, ctx);
        this.udp = new UdpLayer(ip);
    }

    TestStack(final Path dir)
    {
        this(dir, new TestPlane(), new Ipv4Interface.Context());
    }

    /** Another client end of the same channel, as NicClient makes one. */
    NicQueue openQueue(final ControlPlane plane)
    {
        return new NicQueue(plane, QueueChannel.open(driver.file()), QueueDriverPlacement.THREAD, null, null, RESERVE);
    }

    /** Publishes what the client queued, lets the driver "transmit" it all (copied out), takes the slots back. */
    void transmitAll()
    {
        queue.flush();
        driver.transmit((buffer, offset, length, slot) ->
        {
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            transmitted.add(bytes);
            transmittedSlots.add(slot);
        });
        queue.poll(frame -> { });
    }

    /** Every slot is somewhere: with the driver, on a ring, or in the client's free list. */
    void assertConserved()
    {
        queue.flush();
        driver.transmit(null);
        queue.poll(frame -> { });
        queue.flush();
        driver.takeRxFree();
        final int onRings = driver.rxReady.size() + driver.txReady.size() + driver.txDone.size();
        assertEquals(SLOTS, driver.freeCount() + queue.freeSlots() + onRings,
            "driver " + driver.freeCount() + ", client " + queue.freeSlots() + ", rings " + onRings);
    }

    public void close()
    {
        queue.close();
        driver.close();
    }
}
