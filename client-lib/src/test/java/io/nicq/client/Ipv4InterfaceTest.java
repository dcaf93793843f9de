package io.nicq.client;

import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.iface.Ipv4Output;
import io.nicq.client.iface.Ipv4Protocol;
import io.nicq.client.udp.UdpSocket;
import io.nicq.packet.EthernetHeader;
import io.nicq.packet.IcmpEcho;
import io.nicq.packet.Ipv4Address;
import io.nicq.packet.Ipv4Header;
import io.nicq.packet.MacAddress;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static io.nicq.client.TestFrames.ETH;
import static io.nicq.client.TestFrames.IP;
import static io.nicq.client.TestFrames.UDP;
import static io.nicq.client.TestStack.PEER_PORT;
import static io.nicq.client.TestStack.PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The interface layer against frames built by hand, good and malformed, through a real queue channel with a fake
 * driver: every malformed frame is a counted drop under its reason, never an exception, and no slot is lost; ICMP
 * echo; link-layer destinations (/31, multicast, neighbour expiry); a transport layer plugged in by protocol number
 * as TCP will be.
 */
class Ipv4InterfaceTest
{
    private static final int ME = TestPlane.IPV4;
    private static final int PEER = TestPlane.PEER_IP;

    @TempDir
    Path dir;

    private TestStack stack;
    private UdpSocket socket;
    private final List<String> payloads = new ArrayList<>();

    @AfterEach
    void tearDown()
    {
        if (socket != null)
        {
            socket.close();
        }
        stack.close();
    }

    private void start(final TestPlane plane, final Ipv4Interface.Context ctx)
    {
        stack = new TestStack(dir, plane, ctx);
        socket = UdpSocket.open(stack.udp).bind(PORT);
        socket.receive(datagram -> { });
    }

    private void start()
    {
        start(new TestPlane(), new Ipv4Interface.Context());
    }

    @Test
    void malformedFramesAreCountedDropsNeverExceptions()
    {
        start();
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
        expectDrop(DropReason.NO_SOCKET, TestFrames.udp(PEER, ME, PEER_PORT, PORT + 1, "nobody home"));
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
        expectDrop(DropReason.ICMP_IGNORED, TestFrames.icmpEchoRequest(PEER, Ipv4Address.BROADCAST, 1, 2, "all?"));

        assertTrue(payloads.isEmpty());
        assertEquals(0, stack.queue.framesSent());
        stack.assertConserved();
    }

    @Test
    void randomGarbageNeverThrowsAndLosesNoSlot()
    {
        start();
        final Random random = new Random(42);
        final UnsafeBuffer good = TestFrames.udp(PEER, ME, PEER_PORT, PORT, "0123456789abcdef");
        for (int i = 0; i < 3000; i++)
        {
            final int length = 1 + random.nextInt(good.capacity() + 20);
            final UnsafeBuffer frame = TestFrames.resized(good, length);
            final int flips = 1 + random.nextInt(4);
            for (int f = 0; f < flips; f++)
            {
                frame.putByte(random.nextInt(length), (byte)random.nextInt(256));
            }
            stack.driver.takeRxFree();
            stack.driver.inject(frame);
            socket.receive(datagram -> payloads.add("x"));
            stack.ip.poll();
            stack.driver.transmit(null);
        }
        assertEquals(3000, stack.queue.framesReceived());
        assertEquals(3000, stack.ip.totalDrops() + stack.udp.datagramsReceived() + stack.ip.echoRepliesSent(),
            stack.ip.dropsToString());
        stack.assertConserved();
    }

    @Test
    void answersIcmpEchoFromTheRequestsSlot()
    {
        start();
        final int slot = stack.driver.inject(TestFrames.icmpEchoRequest(PEER, ME, 0x1234, 7, "ping-data"));
        stack.ip.poll();
        assertEquals(1, stack.ip.echoRepliesSent());
        stack.transmitAll();
        assertEquals(List.of(slot), stack.transmittedSlots);
        assertEchoReply(stack.transmitted.get(0), "ping-data");
    }

    @Test
    void anEchoRequestWithOptionsIsAnsweredWithoutThem()
    {
        start();
        stack.driver.inject(TestFrames.icmpEchoRequest(PEER, ME, 0x1234, 7, "with options", 3));
        stack.ip.poll();
        stack.transmitAll();
        assertEchoReply(stack.transmitted.get(0), "with options");
    }

    @Test
    void aPointToPointPeerIsANeighbourNotABroadcast()
    {
        final TestPlane pointToPoint = new TestPlane();
        pointToPoint.ipv4 = Ipv4Address.parse("10.0.0.0");
        pointToPoint.prefixLength = 31;
        pointToPoint.gateway = 0;
        pointToPoint.neighbours.put(Ipv4Address.parse("10.0.0.1"), TestPlane.PEER_MAC);
        start(pointToPoint, new Ipv4Interface.Context());
        assertEquals(TestPlane.PEER_MAC, stack.ip.linkDestination(Ipv4Address.parse("10.0.0.1")));
        assertEquals(1, pointToPoint.resolutions, "resolved through the card driver");
        assertEquals(MacAddress.BROADCAST, stack.ip.linkDestination(Ipv4Address.BROADCAST));
        final NicException offLink = assertThrows(NicException.class,
            () -> stack.ip.linkDestination(Ipv4Address.parse("10.0.0.2")), "off a /31 without a gateway");
        assertEquals(NicException.Reason.NO_ROUTE, offLink.reason(), offLink.getMessage());

        // A datagram to the peer's address is not for this host, whatever a broadcast rule would say.
        expectDrop(DropReason.WRONG_DESTINATION, TestFrames.udp(PEER, Ipv4Address.parse("10.0.0.1"), PEER_PORT, PORT,
            "for the peer"));
    }

    @Test
    void multicastAndBroadcastNeedNoResolution()
    {
        start();
        assertEquals("01:00:5e:01:02:03",
            MacAddress.toString(stack.ip.linkDestination(Ipv4Address.parse("239.129.2.3"))));
        assertEquals(MacAddress.BROADCAST, stack.ip.linkDestination(Ipv4Address.parse("10.0.0.255")));
        assertEquals(MacAddress.BROADCAST, stack.ip.linkDestination(Ipv4Address.BROADCAST));
        assertEquals(0, stack.plane.resolutions);
    }

    @Test
    void aNeighbourIsAskedForAgainOnceItsEntryExpires() throws InterruptedException
    {
        start(new TestPlane(), new Ipv4Interface.Context().neighbourLifetime(20, TimeUnit.MILLISECONDS));
        stack.ip.linkDestination(PEER);
        stack.ip.linkDestination(PEER);
        assertEquals(1, stack.plane.resolutions, "cached within its lifetime");
        stack.plane.neighbours.put(PEER, 0x02_00_00_00_00_42L);
        Thread.sleep(40);
        assertEquals(0x02_00_00_00_00_42L, stack.ip.linkDestination(PEER), "the peer's new MAC after expiry");
        assertEquals(2, stack.plane.resolutions);
        stack.ip.forgetNeighbours();
        stack.ip.linkDestination(PEER);
        assertEquals(3, stack.plane.resolutions);
    }

    @Test
    void aTransportLayerPlugsInByProtocolAndSendsThroughItsOutput()
    {
        start();
        final RecordingProtocol tcp = new RecordingProtocol(stack.ip.output(Ipv4Header.PROTOCOL_TCP));
        stack.ip.register(Ipv4Header.PROTOCOL_TCP, tcp);
        assertThrows(IllegalStateException.class, () -> stack.ip.register(Ipv4Header.PROTOCOL_TCP, tcp));
        assertThrows(IllegalStateException.class, () -> stack.ip.register(Ipv4Header.PROTOCOL_ICMP, tcp));

        final byte[] segment = "twenty bytes of tcp!".getBytes(StandardCharsets.US_ASCII);
        stack.driver.inject(TestFrames.ipv4(PEER, ME, Ipv4Header.PROTOCOL_TCP, segment, 2));
        stack.ip.poll();
        assertEquals(List.of("10.0.0.2 -> 10.0.0.1: twenty bytes of tcp!"), tcp.received);
        assertTrue(tcp.timerCalls >= 1, "timers run with every poll");

        // Its timer sends a segment during the poll: it leaves when the poll ends, with IPv4 and Ethernet below it.
        tcp.sendOnTimer = "a segment from a timer";
        stack.ip.poll();
        assertEquals(1, stack.driver.txReady.size(), "flushed at the end of the poll");
        stack.transmitAll();
        final UnsafeBuffer frame = new UnsafeBuffer(stack.transmitted.get(0));
        assertEquals(TestPlane.PEER_MAC, new EthernetHeader().wrap(frame, 0).destination());
        final Ipv4Header ip = new Ipv4Header().wrap(frame, IP);
        assertEquals(Ipv4Header.PROTOCOL_TCP, ip.protocol());
        assertEquals(ME, ip.source());
        assertEquals(PEER, ip.destination());
        assertTrue(ip.verifyChecksum());
        assertEquals(20 + 22, ip.totalLength());
        assertEquals("a segment from a timer", frame.getStringWithoutLengthAscii(UDP, 22));

        // A claim given up returns its slot.
        final Ipv4Output output = tcp.output;
        final int free = stack.queue.freeSlots();
        assertTrue(output.claim(PEER, 100) != Ipv4Output.NO_ROOM);
        assertEquals(free - 1, stack.queue.freeSlots());
        assertThrows(IllegalStateException.class, () -> output.claim(PEER, 100), "one claim at a time");
        output.abort();
        assertEquals(free, stack.queue.freeSlots());
        assertThrows(IllegalArgumentException.class, () -> output.claim(PEER, output.maxLength() + 1));
        assertThrows(IllegalStateException.class, () -> output.claimReply(10), "no datagram is being received");
        stack.assertConserved();
    }

    /** A protocol-6 layer as the TCP engine will be one: records what it gets, sends from its timer when told. */
    private static final class RecordingProtocol implements Ipv4Protocol
    {
        final Ipv4Output output;
        final List<String> received = new ArrayList<>();
        String sendOnTimer;
        int timerCalls;

        RecordingProtocol(final Ipv4Output output)
        {
            this.output = output;
        }

        public void receive(
            final int sourceAddress,
            final int destinationAddress,
            final DirectBuffer buffer,
            final int offset,
            final int length,
            final long nowNs)
        {
            received.add(Ipv4Address.toString(sourceAddress) + " -> " + Ipv4Address.toString(destinationAddress) +
                ": " + buffer.getStringWithoutLengthAscii(offset, length));
        }

        public int poll(final long nowNs)
        {
            timerCalls++;
            if (sendOnTimer == null)
            {
                return 0;
            }
            final int offset = output.claim(TestPlane.PEER_IP, sendOnTimer.length());
            final int written = output.buffer().putStringWithoutLengthAscii(offset, sendOnTimer);
            output.send(written);
            sendOnTimer = null;
            return 1;
        }
    }

    private void assertEchoReply(final byte[] bytes, final String data)
    {
        final UnsafeBuffer reply = new UnsafeBuffer(bytes);
        final EthernetHeader ethernet = new EthernetHeader().wrap(reply, 0);
        assertEquals(TestPlane.PEER_MAC, ethernet.destination());
        assertEquals(TestPlane.MAC, ethernet.source());
        final Ipv4Header ip = new Ipv4Header().wrap(reply, IP);
        assertEquals(5, ip.ihl(), "no options echoed");
        assertTrue(ip.verifyChecksum());
        assertEquals(ME, ip.source());
        assertEquals(PEER, ip.destination());
        final IcmpEcho icmp = new IcmpEcho().wrap(reply, UDP);
        assertEquals(IcmpEcho.TYPE_ECHO_REPLY, icmp.type());
        assertEquals(0x1234, icmp.identifier());
        assertEquals(7, icmp.sequence());
        assertTrue(icmp.verifyChecksum(ip.payloadLength()));
        assertEquals(data, TestFrames.text(reply, icmp.dataOffset(), data.length()));
        assertEquals(ETH + 20 + 8 + data.length(), reply.capacity());
    }

    private void expectDrop(final DropReason reason, final UnsafeBuffer frame)
    {
        final long before = stack.ip.drops(reason);
        final long total = stack.ip.totalDrops();
        stack.driver.takeRxFree();
        assertTrue(stack.driver.inject(frame) >= 0, "fake driver out of slots");
        socket.receive(datagram -> payloads.add("delivered"));
        assertEquals(before + 1, stack.ip.drops(reason), reason + ", counters: " + stack.ip.dropsToString());
        assertEquals(total + 1, stack.ip.totalDrops(), "exactly one drop: " + stack.ip.dropsToString());
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
}
