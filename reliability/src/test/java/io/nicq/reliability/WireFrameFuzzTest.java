package io.nicq.reliability;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.nicq.client.DropReason;
import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.QueueService;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.udp.UdpHandler;
import io.nicq.client.udp.UdpLayer;
import io.nicq.client.udp.UdpSocket;
import io.nicq.ixgbe.Registers;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.proto.channel.QueueChannelHeader;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.agrona.CloseHelper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Fuzzes frames from the wire through the whole receive path: the simulated card (MAC filter, length checks,
 * classification), the queue driver, the queue channel and client-lib's stack (interface, UDP socket), plus the
 * card driver's default queue for everything not steered to the test's port. Each try injects a batch of up to 32
 * frames (see {@link WireFrames}) and checks every one of them against the independent oracle:
 * <ul>
 *   <li>the card counts each frame exactly once where the oracle says (runt, oversize, MAC filtered, default queue,
 *       test queue), drops none for want of a descriptor and makes no DMA fault;</li>
 *   <li>the stack delivers exactly the datagrams the oracle expects, with their exact payloads, and counts every
 *       other frame under the oracle's {@link DropReason}: nothing lost, nothing extra, never an exception;</li>
 *   <li>nothing goes wrong inside the card driver (its default queue handles the rest), and the queue driver reports
 *       no error.</li>
 * </ul>
 */
class WireFrameFuzzTest
{
    private static final int BATCH = 32;
    private static final int TEST_QUEUE_RING = 64;

    private static Path root;
    private static EmbeddedInstance instance;
    private static NicClient client;
    private static NicQueue queue;
    private static Ipv4Interface ip;
    private static UdpSocket socket;
    private static final List<byte[]> DELIVERED = new ArrayList<>();
    private static final UdpHandler HANDLER = datagram ->
    {
        final byte[] payload = new byte[datagram.length()];
        datagram.buffer().getBytes(datagram.offset(), payload);
        DELIVERED.add(payload);
    };
    private static final Map<WireFrames.Route, Long> ROUTES = new EnumMap<>(WireFrames.Route.class);
    private static final Map<String, Long> STACK = new HashMap<>();
    private static long injected;
    private static long nextId;

    @BeforeContainer
    static void start()
    {
        root = TestDirs.create("wire-fuzz");
        instance = EmbeddedInstance.start(root, "wire");
        client = NicClient.connect(new NicClient.Context().instance("wire").baseDir(root.resolve("nicq"))
            .name("wire-fuzz").shutdownHook(false));
        queue = client.requestQueue(QueueService.SERVED, TEST_QUEUE_RING, 256);
        ip = new Ipv4Interface(queue, client);
        socket = UdpSocket.open(new UdpLayer(ip)).bind(WireFrames.PORT);
        readClearOnRead(Registers.RUC);
        readClearOnRead(Registers.ROC);
    }

    @AfterContainer
    static void stop()
    {
        try
        {
            final String section = WireFrameFuzzTest.class.getSimpleName();
            Figures.record(section, "frames injected", injected);
            Figures.record(section, "frames by card outcome", ROUTES);
            Figures.record(section, "frames in the test queue by stack outcome", STACK);
            Figures.record(section, "stack drop counters", ip.dropsToString());
            assertEquals("", instance.internalErrors(), "nothing failed inside the card driver");
        }
        finally
        {
            CloseHelper.quietCloseAll(socket, client, instance);
            TestDirs.delete(root);
        }
    }

    @Provide
    Arbitrary<List<WireFrames.Case>> batch()
    {
        return WireFrames.cases().list().ofMinSize(1).ofMaxSize(BATCH);
    }

    @Property(shrinking = ShrinkingMode.OFF)
    void everyFrameIsDeliveredOrCountedWhereTheOracleSays(@ForAll("batch") final List<WireFrames.Case> cases)
    {
        final long cardMac = instance.cardMac();
        final int cardIp = EmbeddedInstance.CARD_IP;
        final int queueId = queue.queueId();

        final long wireBefore = instance.status(SimulatedCardFiles.WIRE_FRAMES_RECEIVED_OFFSET);
        final long l2Before = instance.status(SimulatedCardFiles.L2_FILTERED_OFFSET);
        final long testFramesBefore = instance.status(SimulatedCardFiles.rxQueueFramesOffset(queueId));
        final long defaultFramesBefore = instance.status(SimulatedCardFiles.rxQueueFramesOffset(0));
        final long testDropsBefore = instance.status(SimulatedCardFiles.rxQueueDropsOffset(queueId));
        final long defaultDropsBefore = instance.status(SimulatedCardFiles.rxQueueDropsOffset(0));
        final long faultsBefore = instance.status(SimulatedCardFiles.DMA_FAULTS_OFFSET);
        final long malformedBefore = instance.status(SimulatedCardFiles.MALFORMED_DESCRIPTORS_OFFSET);
        final long receivedBefore = queue.framesReceived();
        final long[] dropsBefore = drops(ip);
        DELIVERED.clear();

        final Map<WireFrames.Route, Integer> expectedRoutes = new EnumMap<>(WireFrames.Route.class);
        final Map<DropReason, Integer> expectedDrops = new EnumMap<>(DropReason.class);
        final Map<ByteBuffer, Integer> expectedPayloads = new HashMap<>();
        int sent = 0;
        int toTestQueue = 0;
        for (final WireFrames.Case c : cases)
        {
            final byte[] frame = WireFrames.build(c, nextId++, cardMac, cardIp, EmbeddedInstance.PEER_MAC,
                EmbeddedInstance.PEER_IP);
            if (frame.length == 0)
            {
                continue;   // nothing to put on a wire
            }
            final WireFrames.Route route = WireFrames.route(frame, cardMac, cardIp);
            expectedRoutes.merge(route, 1, Integer::sum);
            ROUTES.merge(route, 1L, Long::sum);
            if (route == WireFrames.Route.TEST_QUEUE)
            {
                toTestQueue++;
                final DropReason reason = WireFrames.verdict(frame, cardIp);
                if (reason == null)
                {
                    expectedPayloads.merge(ByteBuffer.wrap(WireFrames.payload(frame)), 1, Integer::sum);
                    STACK.merge("delivered", 1L, Long::sum);
                }
                else
                {
                    expectedDrops.merge(reason, 1, Integer::sum);
                    STACK.merge(reason.name(), 1L, Long::sum);
                }
            }
            // Unpadded, as built: the fuzz covers the MAC's runt and fragment handling too.
            Await.until(() -> instance.wire().injectUnpadded(frame), 5_000, "the card takes the frame from the wire");
            sent++;
        }
        injected += sent;

        final int expectedSent = sent;
        Await.until(() -> instance.status(SimulatedCardFiles.WIRE_FRAMES_RECEIVED_OFFSET) - wireBefore ==
            expectedSent, 5_000, "the card received the batch");
        final int expectedInQueue = toTestQueue;
        Await.until(() ->
        {
            socket.receive(HANDLER);
            return queue.framesReceived() - receivedBefore >= expectedInQueue;
        }, 5_000, 1, () -> "the client received the " + expectedInQueue + " frames of its queue (got " +
            (queue.framesReceived() - receivedBefore) + ")");
        socket.receive(HANDLER);

        assertEquals(count(expectedRoutes, WireFrames.Route.RUNT), readClearOnRead(Registers.RUC), "runts (RUC)");
        assertEquals(count(expectedRoutes, WireFrames.Route.OVERSIZE), readClearOnRead(Registers.ROC),
            "oversize frames (ROC)");
        assertEquals(count(expectedRoutes, WireFrames.Route.MAC_FILTERED),
            instance.status(SimulatedCardFiles.L2_FILTERED_OFFSET) - l2Before, "frames for other MACs");
        assertEquals(toTestQueue, instance.status(SimulatedCardFiles.rxQueueFramesOffset(queueId)) -
            testFramesBefore, "frames steered to the test queue");
        assertEquals(count(expectedRoutes, WireFrames.Route.DEFAULT_QUEUE),
            instance.status(SimulatedCardFiles.rxQueueFramesOffset(0)) - defaultFramesBefore,
            "frames steered to the default queue");
        assertEquals(0, instance.status(SimulatedCardFiles.rxQueueDropsOffset(queueId)) - testDropsBefore,
            "no frame of the test queue dropped for want of a descriptor");
        assertEquals(0, instance.status(SimulatedCardFiles.rxQueueDropsOffset(0)) - defaultDropsBefore,
            "no frame of the default queue dropped for want of a descriptor");
        assertEquals(0, instance.status(SimulatedCardFiles.DMA_FAULTS_OFFSET) - faultsBefore, "no DMA fault");
        assertEquals(0, instance.status(SimulatedCardFiles.MALFORMED_DESCRIPTORS_OFFSET) - malformedBefore,
            "no malformed descriptor");
        assertEquals(toTestQueue, queue.framesReceived() - receivedBefore, "every frame of the queue reached the app");

        final long[] dropsAfter = drops(ip);
        for (final DropReason reason : DropReason.values())
        {
            assertEquals(count(expectedDrops, reason), dropsAfter[reason.ordinal()] - dropsBefore[reason.ordinal()],
                "stack drops counted as " + reason);
        }
        final Map<ByteBuffer, Integer> delivered = new HashMap<>();
        for (final byte[] payload : DELIVERED)
        {
            delivered.merge(ByteBuffer.wrap(payload), 1, Integer::sum);
        }
        assertEquals(expectedPayloads, delivered, "the datagrams delivered, with their exact payloads");
        assertEquals(0, queue.channel().header().counter(QueueChannelHeader.COUNTER_RX_ERRORS),
            "the queue driver saw no RX error");
        assertFalse(queue.isStopped(), "the queue is still served");
        // What the default queue answered (ARP, ICMP echo) leaves on the wire; the test is the far end and drains it.
        instance.wire().drainTransmitted((buffer, offset, length) -> { }, 4096);
    }

    private static long[] drops(final Ipv4Interface ip)
    {
        final long[] drops = new long[DropReason.COUNT];
        for (final DropReason reason : DropReason.values())
        {
            drops[reason.ordinal()] = ip.drops(reason);
        }
        return drops;
    }

    private static <K> long count(final Map<K, Integer> counts, final K key)
    {
        final Integer count = counts.get(key);
        return count == null ? 0 : count;
    }

    /** The card driver never reads RUC and ROC, so the test may: they clear on read. */
    private static long readClearOnRead(final int register)
    {
        assertNotNull(instance, "instance");
        return instance.nic.bar().read(register) & 0xFFFF_FFFFL;
    }
}
