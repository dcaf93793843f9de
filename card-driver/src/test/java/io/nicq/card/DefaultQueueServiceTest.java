package io.nicq.card;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.nicq.packet.ArpPacket;
import io.nicq.packet.EthernetHeader;
import io.nicq.packet.IcmpEcho;
import io.nicq.packet.Ipv4Header;
import io.nicq.packet.Ipv4Address;
import io.nicq.packet.MacAddress;
import io.nicq.packet.TcpHeader;
import io.nicq.proto.channel.IndexRing;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.MessageHeaderDecoder;
import io.nicq.proto.sbe.NeighbourDecoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The default queue's service on its own: a real queue 0 channel whose queue-driver side the test plays, answers
 * recorded from a scripted answer stream. Neighbour resolution for the card's clients on the addressings that need
 * care: /31 (RFC 3021: two hosts, no broadcast address), /32, broadcasts and multicast.
 */
class DefaultQueueServiceTest
{
    private static final long CARD_MAC = 0x02_00_00_00_00_01L;
    private static final long PEER_MAC = 0x02_00_00_00_00_99L;
    private static final long CLIENT_ID = 9;
    private static final int CARD_IP = 0x0A000001;
    private static final int PEER_IP = 0x0A000002;

    @TempDir
    Path dir;

    private final List<byte[]> answers = new ArrayList<>();
    private QueueChannel channel;
    private CountersManager counters;
    private DefaultQueueService service;
    private long correlationId;

    @AfterEach
    void close()
    {
        if (service != null)
        {
            service.close();
        }
        if (channel != null)
        {
            channel.close();
        }
    }

    @Test
    void aPointToPointPeerIsResolvedByArpNotTakenForABroadcast()
    {
        // 10.0.0.0/31: the card and its one peer 10.0.0.1. Taking 10.0.0.0 | ~netmask for a broadcast address would
        // send everything for the peer to ff:ff:ff:ff:ff:ff.
        start("10.0.0.0", 31, 0);
        final int peer = Ipv4Address.parse("10.0.0.1");
        resolve(peer);
        assertTrue(answers.isEmpty(), "no answer before ARP has one");
        final byte[] request = awaitTransmitted();
        final ArpPacket arp = new ArpPacket().wrap(new UnsafeBuffer(request), EthernetHeader.HEADER_LENGTH);
        assertEquals(ArpPacket.OPERATION_REQUEST, arp.operation());
        assertEquals(peer, arp.targetProtocolAddress());

        inject(TestFrames.arpReply(PEER_MAC, peer, CARD_MAC, Ipv4Address.parse("10.0.0.0")));
        service.doWork(System.nanoTime());
        assertEquals(MacAddress.toString(PEER_MAC), MacAddress.toString(answeredMac(0)));
    }

    @Test
    void aSingleHostSubnetReachesOnlyItselfAndTheLimitedBroadcast()
    {
        start("10.0.0.1", 32, 0);
        resolve(Ipv4Address.parse("10.0.0.1"));
        resolve(Ipv4Address.BROADCAST);
        assertEquals(CARD_MAC, answeredMac(0));
        assertEquals(MacAddress.BROADCAST, answeredMac(1));
        final RequestException noRoute = assertThrows(RequestException.class,
            () -> resolve(Ipv4Address.parse("10.0.0.2")));
        assertEquals(ErrorCode.INVALID_ARGUMENT, noRoute.code());
    }

    @Test
    void broadcastsAndMulticastGroupsMapWithoutArp()
    {
        start("10.0.0.1", 24, Ipv4Address.parse("10.0.0.254"));
        resolve(Ipv4Address.parse("10.0.0.255"));
        resolve(Ipv4Address.BROADCAST);
        resolve(Ipv4Address.parse("239.129.2.3"));
        assertEquals(MacAddress.BROADCAST, answeredMac(0));
        assertEquals(MacAddress.BROADCAST, answeredMac(1));
        assertEquals("01:00:5e:01:02:03", MacAddress.toString(answeredMac(2)), "01:00:5e and the low 23 bits");
        assertEquals(0, transmitted(), "nothing asked on the wire");
    }

    @Test
    void anEchoRequestWithOptionsIsAnsweredWithoutThem()
    {
        start("10.0.0.1", 24, 0);
        final byte[] request = TestFrames.icmpEcho(CARD_MAC, PEER_MAC, PEER_IP, CARD_IP, 77, 5,
            "ping data".getBytes(StandardCharsets.US_ASCII));
        final byte[] withOptions = withIpOptions(request, 2);
        inject(withOptions);
        service.doWork(System.nanoTime());
        final UnsafeBuffer reply = new UnsafeBuffer(awaitTransmitted());
        assertEquals(14 + 20 + 8 + 9, reply.capacity(), "a 20-byte header, not padded: the card pads");
        final Ipv4Header ip = new Ipv4Header().wrap(reply, 14);
        assertEquals(5, ip.ihl());
        assertTrue(ip.verifyChecksum());
        assertEquals(CARD_IP, ip.source());
        assertEquals(PEER_IP, ip.destination());
        final IcmpEcho icmp = new IcmpEcho().wrap(reply, 34);
        assertEquals(IcmpEcho.TYPE_ECHO_REPLY, icmp.type());
        assertEquals(77, icmp.identifier());
        assertEquals(5, icmp.sequence());
        assertTrue(icmp.verifyChecksum(8 + 9));
        assertEquals("ping data", reply.getStringWithoutLengthAscii(42, 9));
        assertEquals(PEER_MAC, new EthernetHeader().wrap(reply, 0).destination());
        assertEquals(1, counter("default queue ICMP echo requests answered"));
    }

    @Test
    void aTcpSegmentToAPortNobodyServesIsRefusedWithAReset()
    {
        start("10.0.0.1", 24, 0);
        final byte[] syn = TestFrames.tcpSyn(CARD_MAC, PEER_MAC, PEER_IP, CARD_IP, 40000, 9);
        final UnsafeBuffer synBuffer = new UnsafeBuffer(syn);
        new TcpHeader().wrap(synBuffer, 34).computeChecksum(PEER_IP, CARD_IP, 20);
        inject(syn);
        final byte[] rst = syn.clone();
        final UnsafeBuffer rstBuffer = new UnsafeBuffer(rst);
        new TcpHeader().wrap(rstBuffer, 34).dataOffsetAndFlags(5, TcpHeader.FLAG_RST).computeChecksum(PEER_IP,
            CARD_IP, 20);
        inject(rst);
        final byte[] corrupt = syn.clone();
        corrupt[34 + 4] ^= 1;
        inject(corrupt);
        service.doWork(System.nanoTime());

        final UnsafeBuffer reply = new UnsafeBuffer(awaitTransmitted());
        assertEquals(0, transmitted(), "the RST and the corrupt SYN are not answered");
        final Ipv4Header ip = new Ipv4Header().wrap(reply, 14);
        assertEquals(Ipv4Header.PROTOCOL_TCP, ip.protocol());
        assertEquals(CARD_IP, ip.source());
        assertEquals(PEER_IP, ip.destination());
        assertTrue(ip.verifyChecksum());
        final TcpHeader tcp = new TcpHeader().wrap(reply, 34);
        assertEquals(9, tcp.sourcePort());
        assertEquals(40000, tcp.destinationPort());
        assertEquals(TcpHeader.FLAG_RST | TcpHeader.FLAG_ACK, tcp.flags(), "RFC 9293 3.10.7.1: no ACK came, so RST+ACK");
        assertEquals(0, tcp.sequenceNumber());
        assertEquals(2, tcp.acknowledgmentNumber(), "SEG.SEQ (1) + SEG.LEN (the SYN counts one)");
        assertTrue(tcp.verifyChecksum(CARD_IP, PEER_IP, 20));
        assertEquals(PEER_MAC, new EthernetHeader().wrap(reply, 0).destination());
        assertEquals(1, counter("default queue TCP resets sent (no filter for the segment)"));
        assertEquals(3, counter("default queue drops: TCP/UDP without a filter"));
    }

    @Test
    void theIpv4ChecksOfEveryHostApplyTtlIncluded()
    {
        start("10.0.0.1", 24, 0);
        final byte[] ttlZero = TestFrames.icmpEcho(CARD_MAC, PEER_MAC, PEER_IP, CARD_IP, 1, 1, new byte[4]);
        final Ipv4Header ip = new Ipv4Header().wrap(new UnsafeBuffer(ttlZero), 14);
        ip.ttl(0).computeChecksum();
        inject(ttlZero);
        final byte[] broadcastPing = TestFrames.icmpEcho(CARD_MAC, PEER_MAC, PEER_IP, Ipv4Address.parse("10.0.0.255"),
            1, 2, new byte[4]);
        inject(broadcastPing);
        service.doWork(System.nanoTime());
        assertEquals(0, transmitted(), "neither is answered");
        assertEquals(1, counter("default queue drops: TTL 0"));
        assertEquals(1, counter("default queue drops: unsupported IP protocol or ICMP type"), "a broadcast ping");
        assertEquals(0, counter("default queue ICMP echo requests answered"));
    }

    private void start(final String address, final int prefixLength, final int gateway)
    {
        final CardDriver.Context ctx = new CardDriver.Context().ipv4(Ipv4Address.parse(address), prefixLength)
            .gateway(gateway);
        counters = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(1024 * 1024)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024)), StandardCharsets.US_ASCII);
        final ResponsePublisher publisher = new ResponsePublisher(this::record, new CardCounters(counters),
            new CardLog(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), "test"));
        service = new DefaultQueueService(ctx, CARD_MAC, publisher, counters, new SoftwareFilters(0), queue -> null);
        channel = QueueChannel.create(dir.resolve("queues/0"), 0, 64);
        // The queue driver's side: half the pool posted for receiving, the rest handed to the client for sending.
        for (int slot = 32; slot < 64; slot++)
        {
            channel.txDone().offer(slot);
        }
        service.start(channel);
        service.doWork(System.nanoTime());
    }

    private void resolve(final int address)
    {
        service.resolve(++correlationId, CLIENT_ID, address, System.nanoTime());
    }

    private long record(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        answers.add(copy);
        return 64L * answers.size();
    }

    private long answeredMac(final int index)
    {
        assertTrue(answers.size() > index, "answer " + index + " of " + answers.size());
        final UnsafeBuffer answer = new UnsafeBuffer(answers.get(index));
        final MessageHeaderDecoder header = new MessageHeaderDecoder().wrap(answer, 0);
        assertEquals(NeighbourDecoder.TEMPLATE_ID, header.templateId(), "a Neighbour answer");
        return new NeighbourDecoder().wrap(answer, MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(),
            header.version()).mac();
    }

    /** Plays the card receiving a frame: into a slot the service gave back (or one never posted), onto rxReady. */
    private void inject(final byte[] frame)
    {
        int slot = channel.rxFree().poll();
        if (slot == IndexRing.EMPTY)
        {
            slot = 0;
        }
        channel.pool().putBytes(QueueChannel.frameOffset(slot), frame);
        channel.metadata().frameLength(slot, frame.length);
        assertTrue(channel.rxReady().offer(slot));
    }

    private byte[] awaitTransmitted()
    {
        final int slot = channel.txReady().poll();
        assertTrue(slot != IndexRing.EMPTY, "a frame on txReady");
        final byte[] frame = new byte[channel.metadata().frameLength(slot)];
        channel.pool().getBytes(QueueChannel.frameOffset(slot), frame);
        channel.txDone().offer(slot);
        assertNotNull(frame);
        return frame;
    }

    /** The frame with {@code words} 32-bit words of IP options (NOPs) inserted, lengths and checksum fixed. */
    private static byte[] withIpOptions(final byte[] frame, final int words)
    {
        final byte[] longer = new byte[frame.length + 4 * words];
        System.arraycopy(frame, 0, longer, 0, 34);
        java.util.Arrays.fill(longer, 34, 34 + 4 * words, (byte)1);
        System.arraycopy(frame, 34, longer, 34 + 4 * words, frame.length - 34);
        final Ipv4Header ip = new Ipv4Header().wrap(new UnsafeBuffer(longer), 14);
        ip.versionAndIhl(5 + words).totalLength(ip.totalLength() + 4 * words).computeChecksum();
        return longer;
    }

    private long counter(final String label)
    {
        final long[] value = { -1 };
        counters.forEach((id, typeId, key, text) ->
        {
            if (text.equals(label))
            {
                value[0] = counters.getCounterValue(id);
            }
        });
        return value[0];
    }

    private int transmitted()
    {
        return channel.txReady().size();
    }
}
