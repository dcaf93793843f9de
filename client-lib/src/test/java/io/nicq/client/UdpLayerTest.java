package io.nicq.client;

import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.udp.UdpDatagram;
import io.nicq.client.udp.UdpLayer;
import io.nicq.client.udp.UdpSocket;
import io.nicq.packet.EthernetHeader;
import io.nicq.packet.Ipv4Address;
import io.nicq.packet.Ipv4Header;
import io.nicq.packet.MacAddress;
import io.nicq.packet.UdpHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.nicq.client.TestFrames.ETH;
import static io.nicq.client.TestFrames.IP;
import static io.nicq.client.TestFrames.UDP;
import static io.nicq.client.TestStack.PEER_PORT;
import static io.nicq.client.TestStack.PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * UDP sockets on the interface layer, through a real queue channel with a fake driver: delivery as views into the
 * slots, zero-copy replies, sends via neighbour and gateway, ports, and the batching rule.
 */
class UdpLayerTest
{
    private static final int ME = TestPlane.IPV4;
    private static final int PEER = TestPlane.PEER_IP;

    @TempDir
    Path dir;

    private TestStack stack;
    private NicQueue queue;
    private UdpSocket socket;
    private final List<String> payloads = new ArrayList<>();

    @BeforeEach
    void setUp()
    {
        stack = new TestStack(dir);
        queue = stack.queue;
        socket = UdpSocket.open(stack.udp).bind(PORT);
        socket.receive(datagram -> { });
    }

    @AfterEach
    void tearDown()
    {
        socket.close();
        stack.close();
    }

    @Test
    void deliversAValidDatagramZeroCopy()
    {
        stack.driver.inject(TestFrames.udp(PEER, ME, PEER_PORT, PORT, "hello nicq"));
        assertEquals(1, socket.receive(datagram ->
        {
            assertEquals(PEER, datagram.sourceAddress());
            assertEquals(PEER_PORT, datagram.sourcePort());
            assertEquals(ME, datagram.destinationAddress());
            assertEquals(PORT, datagram.destinationPort());
            assertSame(queue.buffer(), datagram.buffer(), "a view into the slot, not a copy");
            assertEquals(NicQueue.frameOffset(datagram.frame().slot()) + UDP + 8, datagram.offset());
            collect(datagram);
        }));
        assertEquals(List.of("hello nicq"), payloads);
        assertEquals(0, stack.ip.totalDrops());
        assertEquals(1, stack.udp.datagramsReceived());
        assertEquals(1, stack.ip.datagramsDelivered());
        stack.assertConserved();
    }

    @Test
    void paddedShortFrameDeliversOnlyTheDatagram()
    {
        stack.driver.inject(TestFrames.resized(TestFrames.udp(PEER, ME, PEER_PORT, PORT, "hi"), 60));
        socket.receive(this::collect);
        assertEquals(List.of("hi"), payloads);
    }

    @Test
    void datagramWithoutChecksumAndBroadcastAreAccepted()
    {
        final UnsafeBuffer noChecksum = TestFrames.udp(PEER, ME, PEER_PORT, PORT, "no checksum");
        noChecksum.putShort(UDP + UdpHeader.CHECKSUM_OFFSET, (short)0);
        stack.driver.inject(noChecksum);
        stack.driver.inject(TestFrames.udp(PEER, Ipv4Address.BROADCAST, PEER_PORT, PORT, "broadcast"));
        stack.driver.inject(TestFrames.udp(PEER, Ipv4Address.parse("10.0.0.255"), PEER_PORT, PORT, "subnet broadcast"));
        socket.receive(this::collect);
        assertEquals(List.of("no checksum", "broadcast", "subnet broadcast"), payloads);
    }

    @Test
    void zeroCopyReplyTurnsTheRequestSlotIntoTheAnswer()
    {
        final int slot = stack.driver.inject(TestFrames.udp(PEER, ME, PEER_PORT, PORT, "echo me"));
        socket.receive(UdpDatagram::reply);
        stack.transmitAll();
        assertEquals(List.of(slot), stack.transmittedSlots);
        assertValidUdp(stack.transmitted.get(0), ME, PEER, PORT, PEER_PORT, "echo me", TestPlane.PEER_MAC);
        assertEquals(0, stack.plane.resolutions, "a reply goes back where the request came from: no lookup");
    }

    @Test
    void replyWithARewrittenPayloadRecomputesTheChecksum()
    {
        stack.driver.inject(TestFrames.udp(PEER, ME, PEER_PORT, PORT, "question?"));
        socket.receive(datagram ->
        {
            final int written = datagram.buffer().putStringWithoutLengthAscii(datagram.offset(), "a longer answer!");
            datagram.reply(written);
        });
        stack.transmitAll();
        assertValidUdp(stack.transmitted.get(0), ME, PEER, PORT, PEER_PORT, "a longer answer!", TestPlane.PEER_MAC);
    }

    @Test
    void replyToARequestWithIpOptionsDropsTheOptions()
    {
        stack.driver.inject(TestFrames.udp(TestPlane.PEER_MAC, TestPlane.MAC, PEER, ME, PEER_PORT, PORT,
            "with options".getBytes(StandardCharsets.US_ASCII), 2));
        socket.receive(UdpDatagram::reply);
        stack.transmitAll();
        assertValidUdp(stack.transmitted.get(0), ME, PEER, PORT, PEER_PORT, "with options", TestPlane.PEER_MAC);
    }

    @Test
    void replyToABroadcastComesFromTheUnicastAddress()
    {
        stack.driver.inject(TestFrames.udp(PEER, Ipv4Address.BROADCAST, PEER_PORT, PORT, "anyone?"));
        socket.receive(UdpDatagram::reply);
        stack.transmitAll();
        assertValidUdp(stack.transmitted.get(0), ME, PEER, PORT, PEER_PORT, "anyone?", TestPlane.PEER_MAC);
    }

    @Test
    void theLongestReplyDependsOnWhereTheRequestsPayloadLies(@TempDir final Path jumboDir)
    {
        // With a large MTU the slot, not the MTU, bounds a reply written in place behind the request's options.
        final TestPlane jumbo = new TestPlane();
        jumbo.mtu = 9000;
        try (TestStack large = new TestStack(jumboDir, jumbo, new Ipv4Interface.Context());
            UdpSocket server = UdpSocket.open(large.udp).bind(PORT))
        {
            final int[] longest = new int[2];
            large.driver.inject(TestFrames.udp(TestPlane.PEER_MAC, TestPlane.MAC, PEER, ME, PEER_PORT, PORT,
                new byte[4], 0));
            large.driver.inject(TestFrames.udp(TestPlane.PEER_MAC, TestPlane.MAC, PEER, ME, PEER_PORT, PORT,
                new byte[4], 10));
            final int[] seen = new int[1];
            server.receive(datagram -> longest[seen[0]++] = datagram.maxReplyLength());
            assertEquals(2, seen[0]);
            assertEquals(2048 - (14 + 20 + 8), longest[0], "no options: the whole slot behind the headers");
            assertEquals(2048 - (14 + 60 + 8), longest[1], "40 bytes of options leave 40 bytes less");
            assertEquals(2048 - (14 + 20 + 8), server.maxPayload());
        }
        assertEquals(1472, socket.maxPayload(), "MTU 1500 less IPv4 and UDP headers");
    }

    @Test
    void sendResolvesTheNeighbourOnceAndBuildsAValidDatagram()
    {
        queue.poll(frame -> { });
        final UnsafeBuffer payload = new UnsafeBuffer("request-1".getBytes(StandardCharsets.US_ASCII));
        assertEquals(9, socket.send(PEER, 9000, payload, 0, 9));
        assertEquals(9, socket.send(PEER, 9000, payload, 0, 9));
        assertEquals(1, stack.plane.resolutions);
        stack.transmitAll();
        assertEquals(2, stack.transmitted.size());
        assertValidUdp(stack.transmitted.get(0), ME, PEER, PORT, 9000, "request-1", TestPlane.PEER_MAC);

        final int offSubnet = Ipv4Address.parse("192.168.7.7");
        socket.send(offSubnet, 53, payload, 0, 9);
        stack.transmitAll();
        assertValidUdp(stack.transmitted.get(2), ME, offSubnet, PORT, 53, "request-1", TestPlane.GATEWAY_MAC);
        assertEquals(2, stack.plane.resolutions, "the gateway was resolved, once");
        assertEquals(3, stack.udp.datagramsSent());
        assertEquals(3, stack.ip.datagramsSent());
    }

    @Test
    void aSendOutsideAReceiveLeavesAtOnceAndOneFromAHandlerWithTheBatch()
    {
        queue.poll(frame -> { });
        final UnsafeBuffer payload = new UnsafeBuffer("now".getBytes(StandardCharsets.US_ASCII));
        socket.send(PEER, 9000, payload, 0, 3);
        assertEquals(1, stack.driver.txReady.size(), "published before send returned");

        stack.driver.inject(TestFrames.udp(PEER, ME, PEER_PORT, PORT, "one"));
        stack.driver.inject(TestFrames.udp(PEER, ME, PEER_PORT, PORT, "two"));
        final int[] onTheRing = new int[2];
        final int[] calls = new int[1];
        socket.receive(datagram ->
        {
            socket.send(PEER, 9001, payload, 0, 3);
            datagram.reply();
            onTheRing[calls[0]++] = stack.driver.txReady.size();
        });
        assertEquals(1, onTheRing[0], "nothing of the batch left during the first handler");
        assertEquals(1, onTheRing[1], "nor during the second");
        assertEquals(5, stack.driver.txReady.size(), "all four left together when the receive ended");
    }

    @Test
    void sendErrorsAreTyped()
    {
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[2000]);
        assertThrows(IllegalArgumentException.class, () -> socket.send(PEER, 9000, payload, 0, 1473));
        final NicException unresolved = assertThrows(NicException.class,
            () -> socket.send(Ipv4Address.parse("10.0.0.99"), 9000, payload, 0, 10));
        assertEquals(NicException.Reason.NEIGHBOUR_TIMEOUT, unresolved.reason());

        final TestPlane noGateway = new TestPlane();
        noGateway.gateway = 0;
        final NicQueue other = stack.openQueue(noGateway);
        final UdpLayer otherUdp = new UdpLayer(new Ipv4Interface(other, noGateway));
        final NicException noRoute = assertThrows(NicException.class,
            () -> UdpSocket.open(otherUdp).send(Ipv4Address.parse("8.8.8.8"), 53, payload, 0, 10));
        assertTrue(noRoute.getMessage().contains("no route"), noRoute.getMessage());
        assertEquals(NicException.Reason.NO_ROUTE, noRoute.reason(), "a local failure of its own reason");
        other.closeLocally();
    }

    @Test
    void sendWithoutASlotIsACountedDrop()
    {
        queue.poll(frame -> { });
        final List<Integer> claimed = new ArrayList<>();
        int slot;
        while ((slot = queue.tryClaim()) != NicQueue.NO_SLOT)
        {
            claimed.add(slot);
        }
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[10]);
        assertEquals(0, socket.send(PEER, 9000, payload, 0, 10));
        assertEquals(1, stack.ip.drops(DropReason.NO_SLOT));
        for (final int s : claimed)
        {
            queue.release(s);
        }
        stack.assertConserved();
    }

    @Test
    void portsAreExclusiveAndEphemeralBindingWorks()
    {
        final NicException taken = assertThrows(NicException.class,
            () -> UdpSocket.open(stack.udp).bind(PORT));
        assertEquals(NicException.Reason.PORT_IN_USE, taken.reason());

        try (UdpSocket ephemeral = UdpSocket.open(stack.udp).bind(0))
        {
            assertTrue(ephemeral.localPort() >= 49152, "ephemeral port " + ephemeral.localPort());
            assertNotNull(ephemeral.filter());
        }
        socket.close();
        assertFalse(stack.plane.portsInUse.contains(PORT), "close deregisters the filter");
        try (UdpSocket again = UdpSocket.open(stack.udp).bind(PORT))
        {
            assertEquals(PORT, again.localPort());
        }
    }

    @Test
    void twoSocketsOnOneQueueEachGetTheirDatagrams()
    {
        try (UdpSocket second = UdpSocket.open(stack.udp).bind(PORT + 1))
        {
            final List<String> secondPayloads = new ArrayList<>();
            second.receive(d -> secondPayloads.add(TestFrames.text(d.buffer(), d.offset(), d.length())));
            stack.driver.inject(TestFrames.udp(PEER, ME, PEER_PORT, PORT, "first"));
            stack.driver.inject(TestFrames.udp(PEER, ME, PEER_PORT, PORT + 1, "second"));
            assertEquals(1, socket.receive(this::collect));
            assertEquals(List.of("first"), payloads);
            assertEquals(List.of("second"), secondPayloads);
        }
    }

    @Test
    void anInterfaceHasOneUdpLayer()
    {
        assertThrows(IllegalStateException.class, () -> new UdpLayer(stack.ip));
    }

    private void collect(final UdpDatagram datagram)
    {
        payloads.add(TestFrames.text(datagram.buffer(), datagram.offset(), datagram.length()));
    }

    static void assertValidUdp(
        final byte[] bytes,
        final int srcIp,
        final int dstIp,
        final int srcPort,
        final int dstPort,
        final String payload,
        final long dstMac)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(bytes);
        final EthernetHeader ethernet = new EthernetHeader().wrap(frame, 0);
        assertEquals(MacAddress.toString(dstMac), MacAddress.toString(ethernet.destination()));
        assertEquals(TestPlane.MAC, ethernet.source());
        assertEquals(EthernetHeader.ETHER_TYPE_IPV4, ethernet.etherType());
        final Ipv4Header ip = new Ipv4Header().wrap(frame, IP);
        assertEquals(5, ip.ihl());
        assertTrue(ip.verifyChecksum(), "IPv4 header checksum");
        assertEquals(64, ip.ttl());
        assertFalse(ip.isFragment());
        assertEquals(srcIp, ip.source());
        assertEquals(dstIp, ip.destination());
        assertEquals(bytes.length - ETH, ip.totalLength());
        final UdpHeader udp = new UdpHeader().wrap(frame, UDP);
        assertEquals(srcPort, udp.sourcePort());
        assertEquals(dstPort, udp.destinationPort());
        assertEquals(8 + payload.length(), udp.length());
        assertTrue(udp.checksum() != 0);
        assertTrue(udp.verifyChecksum(srcIp, dstIp), "UDP checksum");
        assertEquals(payload, TestFrames.text(frame, udp.payloadOffset(), udp.payloadLength()));
    }
}
