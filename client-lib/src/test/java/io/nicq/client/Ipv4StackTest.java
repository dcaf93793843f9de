package io.nicq.client;

import io.nicq.packet.EthernetHeader;
import io.nicq.packet.IcmpEcho;
import io.nicq.packet.Ipv4Address;
import io.nicq.packet.Ipv4Header;
import io.nicq.packet.MacAddress;
import io.nicq.packet.UdpHeader;
import io.nicq.proto.channel.QueueChannel;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

import static io.nicq.client.TestFrames.ETH;
import static io.nicq.client.TestFrames.IP;
import static io.nicq.client.TestFrames.UDP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The IPv4/UDP/ICMP stack against frames built by hand, good and malformed, through a real queue channel with a fake
 * driver: every malformed frame is a counted drop under its reason, never an exception, and no slot is lost.
 */
class Ipv4StackTest
{
    private static final int SLOTS = 64;
    private static final int PORT = 7000;
    private static final int PEER_PORT = 40000;
    private static final int ME = TestPlane.IPV4;
    private static final int PEER = TestPlane.PEER_IP;

    @TempDir
    Path dir;

    private FakeDriver driver;
    private TestPlane plane;
    private NicQueue queue;
    private Ipv4Stack stack;
    private UdpEndpoint endpoint;
    private final List<String> payloads = new ArrayList<>();
    private final List<byte[]> transmitted = new ArrayList<>();
    private final List<Integer> transmittedSlots = new ArrayList<>();

    @BeforeEach
    void setUp()
    {
        driver = new FakeDriver(dir.resolve("q"), SLOTS, 16);
        plane = new TestPlane();
        queue = new NicQueue(plane, QueueChannel.open(driver.file()), QueueDriverPlacement.THREAD, null, null, 8);
        stack = queue.stack();
        endpoint = UdpEndpoint.open(queue).bind(PORT);
        endpoint.receive(datagram -> { });
    }

    @AfterEach
    void tearDown()
    {
        endpoint.close();
        queue.close();
        driver.close();
    }

    @Test
    void deliversAValidDatagramZeroCopy()
    {
        driver.inject(TestFrames.udp(PEER, ME, PEER_PORT, PORT, "hello nicq"));
        final int[] seen = new int[1];
        assertEquals(1, endpoint.receive(datagram ->
        {
            assertEquals(PEER, datagram.sourceAddress());
            assertEquals(PEER_PORT, datagram.sourcePort());
            assertEquals(ME, datagram.destinationAddress());
            assertEquals(PORT, datagram.destinationPort());
            assertSame(queue.buffer(), datagram.buffer(), "a view into the slot, not a copy");
            assertEquals(NicQueue.frameOffset(datagram.frame().slot()) + UDP + 8, datagram.offset());
            payloads.add(TestFrames.text(datagram.buffer(), datagram.offset(), datagram.length()));
            seen[0]++;
        }));
        assertEquals(List.of("hello nicq"), payloads);
        assertEquals(0, stack.totalDrops());
        assertEquals(1, stack.datagramsReceived());
        assertConserved();
    }

    @Test
    void paddedShortFrameDeliversOnlyTheDatagram()
    {
        final UnsafeBuffer frame = TestFrames.resized(TestFrames.udp(PEER, ME, PEER_PORT, PORT, "hi"), 60);
        driver.inject(frame);
        endpoint.receive(this::collect);
        assertEquals(List.of("hi"), payloads);
    }

    @Test
    void datagramWithoutChecksumAndBroadcastAreAccepted()
    {
        final UnsafeBuffer noChecksum = TestFrames.udp(PEER, ME, PEER_PORT, PORT, "no checksum");
        noChecksum.putShort(UDP + UdpHeader.CHECKSUM_OFFSET, (short)0);
        driver.inject(noChecksum);
        driver.inject(TestFrames.udp(PEER, Ipv4Address.BROADCAST, PEER_PORT, PORT, "broadcast"));
        driver.inject(TestFrames.udp(PEER, Ipv4Address.parse("10.0.0.255"), PEER_PORT, PORT, "subnet broadcast"));
        endpoint.receive(this::collect);
        assertEquals(List.of("no checksum", "broadcast", "subnet broadcast"), payloads);
    }

    @Test
    void malformedFramesAreCountedDropsNeverExceptions()
    {
        final UnsafeBuffer good = TestFrames.udp(PEER, ME, PEER_PORT, PORT, "payload!");
        expectDrop(DropReason.TRUNCATED_ETHERNET, TestFrames.resized(good, 10));
        expectDrop(DropReason.TRUNCATED_IPV4, TestFrames.resized(good, ETH + 19));
        expectDrop(DropReason.TRUNCATED_UDP, withIp(good, ip -> ip.totalLength(24).computeChecksum()));
        expectDrop(DropReason.BAD_IHL, withIp(good, ip -> ip.versionAndIhl(4).computeChecksum()));
        expectDrop(DropReason.TRUNCATED_IPV4, withIp(TestFrames.resized(good, ETH + 40),
            ip -> ip.versionAndIhl(15)));
        expectDrop(DropReason.BAD_TOTAL_LENGTH, withIp(good, ip -> ip.totalLength(1000).computeChecksum()));
        expectDrop(DropReason.BAD_TOTAL_LENGTH, withIp(good, ip -> ip.totalLength(19).computeChecksum()));
        expectDrop(DropReason.BAD_IP_VERSION, withIp(good, ip ->
        {
            ip.buffer().putByte(ip.offset(), (byte)0x65);
            ip.computeChecksum();
        }));
        expectDrop(DropReason.BAD_IP_CHECKSUM, withIp(good, ip -> ip.checksum(ip.checksum() ^ 0x0101)));
        expectDrop(DropReason.TTL_EXPIRED, withIp(good, ip -> ip.ttl(0).computeChecksum()));
        expectDrop(DropReason.WRONG_DESTINATION, withIp(good, ip -> ip.destination(PEER).computeChecksum()));
        expectDrop(DropReason.WRONG_DESTINATION, withIp(good,
            ip -> ip.destination(Ipv4Address.parse("239.1.1.1")).computeChecksum()));
        expectDrop(DropReason.FRAGMENT, withIp(good,
            ip -> ip.flagsAndFragmentOffset(Ipv4Header.FLAG_MORE_FRAGMENTS, 0).computeChecksum()));
        expectDrop(DropReason.FRAGMENT, withIp(good, ip -> ip.flagsAndFragmentOffset(0, 185).computeChecksum()));
        expectDrop(DropReason.PROTOCOL, withIp(good, ip -> ip.protocol(Ipv4Header.PROTOCOL_TCP).computeChecksum()));
        expectDrop(DropReason.BAD_UDP_CHECKSUM, with(good, b -> b.putByte(UDP + 8, (byte)'P')));
        expectDrop(DropReason.BAD_UDP_LENGTH, with(good, b -> b.putShort(UDP + 4, (short)7, ByteOrder.BIG_ENDIAN)));
        expectDrop(DropReason.BAD_UDP_LENGTH, with(good, b -> b.putShort(UDP + 4, (short)17, ByteOrder.BIG_ENDIAN)));
        expectDrop(DropReason.NO_ENDPOINT, TestFrames.udp(PEER, ME, PEER_PORT, PORT + 1, "nobody home"));
        for (final int etherType : new int[]{ EthernetHeader.ETHER_TYPE_IPV6, EthernetHeader.ETHER_TYPE_VLAN, 0x0042 })
        {
            expectDrop(DropReason.ETHER_TYPE, with(good,
                b -> b.putShort(EthernetHeader.ETHER_TYPE_OFFSET, (short)etherType, ByteOrder.BIG_ENDIAN)));
        }
        expectDrop(DropReason.ARP, with(good, b -> b.putShort(EthernetHeader.ETHER_TYPE_OFFSET,
            (short)EthernetHeader.ETHER_TYPE_ARP, ByteOrder.BIG_ENDIAN)));

        final UnsafeBuffer ping = TestFrames.icmpEchoRequest(PEER, ME, 1, 1, "abcd");
        expectDrop(DropReason.TRUNCATED_ICMP, withIp(ping, ip -> ip.totalLength(24).computeChecksum()));
        expectDrop(DropReason.BAD_ICMP_CHECKSUM, with(ping, b -> b.putByte(UDP + 8, (byte)'z')));
        expectDrop(DropReason.ICMP_IGNORED, with(ping, b ->
        {
            final IcmpEcho icmp = new IcmpEcho().wrap(b, UDP).type(IcmpEcho.TYPE_ECHO_REPLY);
            icmp.computeChecksum(12);
        }));

        assertTrue(payloads.isEmpty());
        assertEquals(0, queue.framesSent());
        assertConserved();
    }

    @Test
    void randomGarbageNeverThrowsAndLosesNoSlot()
    {
        final Random random = new Random(42);
        final UnsafeBuffer good = TestFrames.udp(PEER, ME, PEER_PORT, PORT, "0123456789abcdef");
        for (int i = 0; i < 3000; i++)
        {
            final int length = 1 + random.nextInt(good.capacity() + 20);
            final UnsafeBuffer frame = TestFrames.resized(good, length);
            final int flips = 1 + random.nextInt(4);
            for (int f = 0; f < flips; f++)
            {
                final int at = random.nextInt(length);
                frame.putByte(at, (byte)random.nextInt(256));
            }
            driver.takeRxFree();
            driver.inject(frame);
            endpoint.receive(datagram -> payloads.add("x"));
            stack.poll();
            driver.transmit(null);
        }
        assertEquals(3000, queue.framesReceived());
        assertEquals(3000, stack.totalDrops() + stack.datagramsReceived() + stack.echoRepliesSent(),
            stack.dropsToString());
        assertConserved();
    }

    @Test
    void answersIcmpEchoFromTheRequestsSlot()
    {
        final int slot = driver.inject(TestFrames.icmpEchoRequest(PEER, ME, 0x1234, 7, "ping-data"));
        stack.poll();
        assertEquals(1, stack.echoRepliesSent());
        transmitAll();
        assertEquals(List.of(slot), transmittedSlots);

        final UnsafeBuffer reply = new UnsafeBuffer(transmitted.get(0));
        final EthernetHeader ethernet = new EthernetHeader().wrap(reply, 0);
        assertEquals(TestPlane.PEER_MAC, ethernet.destination());
        assertEquals(TestPlane.MAC, ethernet.source());
        final Ipv4Header ip = new Ipv4Header().wrap(reply, IP);
        assertTrue(ip.verifyChecksum());
        assertEquals(ME, ip.source());
        assertEquals(PEER, ip.destination());
        final IcmpEcho icmp = new IcmpEcho().wrap(reply, UDP);
        assertEquals(IcmpEcho.TYPE_ECHO_REPLY, icmp.type());
        assertEquals(0x1234, icmp.identifier());
        assertEquals(7, icmp.sequence());
        assertTrue(icmp.verifyChecksum(ip.payloadLength()));
        assertEquals("ping-data", TestFrames.text(reply, icmp.dataOffset(), 9));
        assertEquals(ETH + 20 + 8 + 9, reply.capacity());
    }

    @Test
    void zeroCopyReplyTurnsTheRequestSlotIntoTheAnswer()
    {
        final int slot = driver.inject(TestFrames.udp(PEER, ME, PEER_PORT, PORT, "echo me"));
        endpoint.receive(UdpDatagram::reply);
        transmitAll();
        assertEquals(List.of(slot), transmittedSlots);
        assertValidUdp(transmitted.get(0), ME, PEER, PORT, PEER_PORT, "echo me", TestPlane.PEER_MAC);
    }

    @Test
    void replyWithARewrittenPayloadRecomputesTheChecksum()
    {
        driver.inject(TestFrames.udp(PEER, ME, PEER_PORT, PORT, "question?"));
        endpoint.receive(datagram ->
        {
            final int written = datagram.buffer().putStringWithoutLengthAscii(datagram.offset(), "a longer answer!");
            datagram.reply(written);
        });
        transmitAll();
        assertValidUdp(transmitted.get(0), ME, PEER, PORT, PEER_PORT, "a longer answer!", TestPlane.PEER_MAC);
    }

    @Test
    void replyToARequestWithIpOptionsDropsTheOptions()
    {
        driver.inject(TestFrames.udp(TestPlane.PEER_MAC, TestPlane.MAC, PEER, ME, PEER_PORT, PORT,
            "with options".getBytes(StandardCharsets.US_ASCII), 2));
        endpoint.receive(UdpDatagram::reply);
        transmitAll();
        assertValidUdp(transmitted.get(0), ME, PEER, PORT, PEER_PORT, "with options", TestPlane.PEER_MAC);
    }

    @Test
    void replyToABroadcastComesFromTheUnicastAddress()
    {
        driver.inject(TestFrames.udp(PEER, Ipv4Address.BROADCAST, PEER_PORT, PORT, "anyone?"));
        endpoint.receive(UdpDatagram::reply);
        transmitAll();
        assertValidUdp(transmitted.get(0), ME, PEER, PORT, PEER_PORT, "anyone?", TestPlane.PEER_MAC);
    }

    @Test
    void sendResolvesTheNeighbourOnceAndBuildsAValidDatagram()
    {
        queue.poll(frame -> { });
        final UnsafeBuffer payload = new UnsafeBuffer("request-1".getBytes(StandardCharsets.US_ASCII));
        assertEquals(9, endpoint.send(PEER, 9000, payload, 0, 9));
        assertEquals(9, endpoint.send(PEER, 9000, payload, 0, 9));
        assertEquals(1, plane.resolutions);
        transmitAll();
        assertEquals(2, transmitted.size());
        assertValidUdp(transmitted.get(0), ME, PEER, PORT, 9000, "request-1", TestPlane.PEER_MAC);

        final int offSubnet = Ipv4Address.parse("192.168.7.7");
        endpoint.send(offSubnet, 53, payload, 0, 9);
        transmitAll();
        assertValidUdp(transmitted.get(2), ME, offSubnet, PORT, 53, "request-1", TestPlane.GATEWAY_MAC);
        assertEquals(2, plane.resolutions, "the gateway was resolved, once");
        assertEquals(3, stack.datagramsSent());
    }

    @Test
    void sendErrorsAreTyped()
    {
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[2000]);
        assertThrows(IllegalArgumentException.class, () -> endpoint.send(PEER, 9000, payload, 0, 1473));
        final NicException unresolved = assertThrows(NicException.class,
            () -> endpoint.send(Ipv4Address.parse("10.0.0.99"), 9000, payload, 0, 10));
        assertEquals(NicException.Reason.NEIGHBOUR_TIMEOUT, unresolved.reason());

        plane.gateway = 0;
        final NicQueue other =
            new NicQueue(plane, QueueChannel.open(driver.file()), QueueDriverPlacement.THREAD, null, null, 8);
        final NicException noRoute = assertThrows(NicException.class,
            () -> UdpEndpoint.open(other).send(Ipv4Address.parse("8.8.8.8"), 53, payload, 0, 10));
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
        assertEquals(0, endpoint.send(PEER, 9000, payload, 0, 10));
        assertEquals(1, stack.drops(DropReason.NO_SLOT));
        for (final int s : claimed)
        {
            queue.release(s);
        }
    }

    @Test
    void portsAreExclusiveAndEphemeralBindingWorks()
    {
        final NicException taken = assertThrows(NicException.class,
            () -> UdpEndpoint.open(queue).bind(PORT));
        assertEquals(NicException.Reason.PORT_IN_USE, taken.reason());

        try (UdpEndpoint ephemeral = UdpEndpoint.open(queue).bind(0))
        {
            assertTrue(ephemeral.localPort() >= 49152, "ephemeral port " + ephemeral.localPort());
            assertNotNull(ephemeral.filter());
        }
        endpoint.close();
        assertFalse(plane.portsInUse.contains(PORT), "close deregisters the filter");
        try (UdpEndpoint again = UdpEndpoint.open(queue).bind(PORT))
        {
            assertEquals(PORT, again.localPort());
        }
    }

    @Test
    void twoEndpointsOnOneQueueEachGetTheirDatagrams()
    {
        try (UdpEndpoint second = UdpEndpoint.open(queue).bind(PORT + 1))
        {
            final List<String> secondPayloads = new ArrayList<>();
            second.receive(d -> secondPayloads.add(TestFrames.text(d.buffer(), d.offset(), d.length())));
            driver.inject(TestFrames.udp(PEER, ME, PEER_PORT, PORT, "first"));
            driver.inject(TestFrames.udp(PEER, ME, PEER_PORT, PORT + 1, "second"));
            assertEquals(1, endpoint.receive(this::collect));
            assertEquals(List.of("first"), payloads);
            assertEquals(List.of("second"), secondPayloads);
        }
    }

    private void collect(final UdpDatagram datagram)
    {
        payloads.add(TestFrames.text(datagram.buffer(), datagram.offset(), datagram.length()));
    }

    private void expectDrop(final DropReason reason, final UnsafeBuffer frame)
    {
        final long before = stack.drops(reason);
        final long total = stack.totalDrops();
        driver.takeRxFree();
        assertTrue(driver.inject(frame) >= 0, "fake driver out of slots");
        endpoint.receive(datagram -> payloads.add("delivered"));
        assertEquals(before + 1, stack.drops(reason), reason + ", counters: " + stack.dropsToString());
        assertEquals(total + 1, stack.totalDrops(), "exactly one drop: " + stack.dropsToString());
    }

    private static UnsafeBuffer with(final UnsafeBuffer frame, final Consumer<UnsafeBuffer> change)
    {
        final UnsafeBuffer copy = TestFrames.resized(frame, frame.capacity());
        change.accept(copy);
        return copy;
    }

    private static UnsafeBuffer withIp(final UnsafeBuffer frame, final Consumer<Ipv4Header> change)
    {
        return with(frame, b -> change.accept(new Ipv4Header().wrap(b, IP)));
    }

    private void transmitAll()
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

    private static void assertValidUdp(
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

    private void assertConserved()
    {
        queue.flush();
        driver.transmit(null);
        queue.poll(frame -> { });
        queue.flush();
        driver.takeRxFree();
        final int onRings = driver.rxReady.size() + driver.txReady.size() + driver.txDone.size();
        assertEquals(SLOTS, driver.freeCount() + queue.freeSlots() + onRings);
    }
}
