package io.nicq.card;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.ixgbe.SimulatedNic;
import io.nicq.packet.ArpPacket;
import io.nicq.packet.EthernetHeader;
import io.nicq.packet.IcmpEcho;
import io.nicq.packet.Ipv4Header;
import io.nicq.proto.CardDriverProxy;
import io.nicq.proto.ControlException;
import io.nicq.proto.ControlRequestEncoder;
import io.nicq.proto.ControlProtocol;
import io.nicq.proto.ControlWakeWords;
import io.nicq.runtime.WakeWord;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.queue.ControlQueueAttacher;
import io.nicq.queue.QueueDriver;
import io.nicq.proto.sbe.*;
import io.nicq.sim.SimulatedCard;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static io.nicq.ixgbe.Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The card driver in one JVM with a simulated card (memory wire) and queue drivers as threads, driven over the real
 * control protocol: queues, filters in the card's registers, frames in the right queue, errors, ARP and ping,
 * neighbour resolution, malformed input, liveness, counters, shutdown.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CardDriverEmbeddedTest
{
    private static final int CARD_IP = 0x0A000001;
    private static final int PEER_IP = 0x0A000002;
    private static final long PEER_MAC = 0x02_00_00_00_00_99L;

    @TempDir
    Path dir;

    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private SimulatedCard card;
    private SimulatedNic nic;
    private long cardMac;
    private CardDriver driver;
    private ControlSession client;
    private ControlSession other;

    @BeforeEach
    void start()
    {
        card = SimulatedCard.launch(new SimulatedCard.Context().cardName("emb").baseDir(dir.resolve("sim"))
            .wireSpec("memory"));
        nic = card.openNic();
        cardMac = card.mac();
        driver = CardDriver.launch(new CardDriver.Context()
            .instance("emb")
            .baseDir(dir.resolve("nicq"))
            .nic(nic)
            .ipv4("10.0.0.1/24")
            .queueDriverMode(QueueDriverMode.THREAD)
            .queueDriverIdle("sleep")
            .queueDriverReadOnlyRxRing(false)   // ChannelClient takes frames from rxReady itself
            .neighbourTimeoutNs(TimeUnit.MILLISECONDS.toNanos(400))
            .clientTimeoutNs(TimeUnit.MILLISECONDS.toNanos(800))
            .out(new PrintStream(logBytes, true, StandardCharsets.UTF_8)));
        client = new ControlSession(driver.aeronDirectoryName());
    }

    private ControlSession heartbeating(final ControlSession testClient)
    {
        return testClient.startHeartbeats(100);
    }

    @AfterEach
    void stop()
    {
        CloseHelper.quietCloseAll(other, client, driver, nic, card);
    }

    @Test
    void queueFiltersInTheCardFramesInTheQueueAndDeregistrationClears() throws Exception
    {
        final CardDriverProxy.Connected connected = client.connect("embedded");
        heartbeating(client);
        assertEquals(cardMac, connected.mac());
        assertEquals(CARD_IP, connected.ipv4());
        assertEquals(24, connected.prefixLength());
        assertEquals(127, connected.queuesFree());
        assertEquals(128 + 8192 + SoftwareFilters.DEFAULT_LIMIT, connected.filtersFree());
        assertEquals(new CardDriverProxy.FiltersFree(128, 8192, SoftwareFilters.DEFAULT_LIMIT), connected.free());

        final CardDriverProxy.QueueGranted granted = client.requestQueue(64, 256, RequestedService.SERVED);
        assertEquals(1, granted.queueId());
        assertEquals(QueueMode.THREAD, granted.mode(), "the card driver runs SERVED queues as configured");
        assertEquals(nic.spec(), granted.nic());
        final Bar bar = nic.bar();
        assertNotEquals(0, bar.read(rxdctl(1)) & DCTL_ENABLE, "RX queue 1 enabled");
        assertNotEquals(0, bar.read(txdctl(1)) & DCTL_ENABLE, "TX queue 1 enabled");
        assertEquals(64 * 16, bar.read(rdlen(1)));

        try (ChannelClient channel = new ChannelClient(granted.channelPath()))
        {
            final CardDriverProxy.FilterRegistered udp = client.registerFilter(1, FilterKind.UDP_PORT, 7000);
            assertEquals(FilterPlacement.FIVE_TUPLE, udp.placement());
            final int slot = udp.hardwareIndex();
            assertEquals(0x0100000A, bar.read(daqf(slot)));
            assertEquals(0x581B_0000, bar.read(sdpqf(slot)), "7000 = 0x1B58, big endian in [31:16]");
            assertEquals(FTQF_PROTOCOL_UDP | (1 << FTQF_PRIORITY_SHIFT) | FTQF_MASK_SOURCE_ADDRESS |
                FTQF_MASK_SOURCE_PORT | FTQF_POOL_MASK_BIT | FTQF_QUEUE_ENABLE, bar.read(ftqf(slot)));

            final CardDriverProxy.FilterRegistered tcp = client.registerFilter(1, FilterKind.TCP_PORT, 8080);
            final CardDriverProxy.FilterRegistered connection = client.registerFilter(1, FilterKind.TCP_CONNECTION,
                5, 0, 9090, PEER_IP, 40000);
            assertNotEquals(tcp.hardwareIndex(), connection.hardwareIndex());
            assertEquals(0x0200000A, bar.read(saqf(connection.hardwareIndex())));
            assertEquals(5, (bar.read(ftqf(connection.hardwareIndex())) & FTQF_PRIORITY_MASK) >>
                FTQF_PRIORITY_SHIFT);

            final byte[] frame = TestFrames.udp(cardMac, PEER_MAC, PEER_IP, CARD_IP, 1234, 7000,
                "to queue 1".getBytes(StandardCharsets.US_ASCII));
            assertTrue(card.memoryWire().inject(frame));
            assertArrayEquals(frame, channel.awaitFrame(5000), "the UDP frame lands in queue 1");

            final byte[] syn = TestFrames.tcpSyn(cardMac, PEER_MAC, PEER_IP, CARD_IP, 40000, 9090);
            assertTrue(card.memoryWire().inject(syn));
            assertArrayEquals(syn, channel.awaitFrame(5000), "the connection's SYN lands in queue 1");

            client.deregisterFilter(udp.filterId());
            for (final int offset : new int[]{daqf(slot), saqf(slot), sdpqf(slot), ftqf(slot)})
            {
                assertEquals(0, bar.read(offset), String.format("register 0x%05X cleared", offset));
            }
            assertTrue(card.memoryWire().inject(frame));
            assertNull(channel.awaitFrame(300), "without its filter the frame goes to queue 0");
            assertEquals(0, nic.bar().status(SimulatedCardFiles.WRITE_ONLY_READS_OFFSET), "L34T_IMIR never read");

            client.releaseQueue(1);
            assertEquals(0, bar.read(rxdctl(1)) & DCTL_ENABLE, "RX queue 1 disabled");
            assertEquals(0, bar.read(ftqf(tcp.hardwareIndex())), "the queue's filters went with it");
            assertEquals(QueueChannelHeader.STATE_REVOKED, channel.state());
            assertFalse(Files.exists(Path.of(granted.channelPath())));
        }

        final CardDriverProxy.QueueGranted again = client.requestQueue(0, 0, RequestedService.SERVED);
        assertEquals(1, again.queueId(), "a released queue is reusable");
        assertEquals(126, client.queryStats().queuesFree(), "one client queue in use");
    }

    @Test
    void inlineQueueIsAttachedByItsOwnerThroughTheProtocol()
    {
        client.connect("inline");
        heartbeating(client);
        final CardDriverProxy.QueueGranted granted = client.requestQueue(64, 256, RequestedService.INLINE);
        assertEquals(QueueMode.INLINE, granted.mode());
        final int queue = granted.queueId();
        assertEquals(0, nic.bar().read(rxdctl(queue)) & DCTL_ENABLE, "nothing attached yet");

        final QueueDriver inline = QueueDriver.start(new QueueDriver.Context()
            .nic(nic)
            .queueId(queue)
            .channelFile(Path.of(granted.channelPath()))
            .ringSize(64)
            .idleStrategyName("sleep")
            .queueAttacher(new ControlQueueAttacher(client.proxy())));
        try (ChannelClient channel = new ChannelClient(granted.channelPath()))
        {
            assertNotEquals(0, nic.bar().read(rxdctl(queue)) & DCTL_ENABLE, "attached by AttachQueueDriver");
            client.registerFilter(queue, FilterKind.UDP_PORT, 7100);
            final byte[] frame = TestFrames.udp(cardMac, PEER_MAC, PEER_IP, CARD_IP, 1, 7100, new byte[32]);
            assertTrue(card.memoryWire().inject(frame));
            byte[] received = null;
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (received == null && System.nanoTime() < deadline)
            {
                inline.doWork();
                final int slot = channel.channel().rxReady().poll();
                if (slot >= 0)
                {
                    received = new byte[channel.channel().metadata().frameLength(slot)];
                    channel.channel().pool().getBytes(QueueChannel.frameOffset(slot), received);
                }
                channel.heartbeat();
            }
            assertArrayEquals(frame, received, "the frame reaches the application's own queue driver");

            other = new ControlSession(driver.aeronDirectoryName());
            other.connect("intruder");
            assertCode(ErrorCode.NOT_OWNER, () -> other.detachQueueDriver(queue, ProcessHandle.current().pid()));
            assertNotEquals(0, nic.bar().read(rxdctl(queue)) & DCTL_ENABLE, "another client cannot detach it");
        }
        finally
        {
            inline.close();
        }
        // DetachQueueDriver on close: the card stops using the rings before they are freed, the queue stays granted.
        assertEquals(0, nic.bar().read(rxdctl(queue)) & DCTL_ENABLE, "RX disabled by DetachQueueDriver");
        assertEquals(0, nic.bar().read(txdctl(queue)) & DCTL_ENABLE, "TX disabled by DetachQueueDriver");
        assertCode(ErrorCode.NO_SUCH_QUEUE, () -> client.detachQueueDriver(queue, ProcessHandle.current().pid()));
        client.releaseQueue(queue);
        assertEquals(0, nic.bar().read(rxdctl(queue)) & DCTL_ENABLE);
    }

    @Test
    void everyRefusalHasItsCode()
    {
        assertCode(ErrorCode.NOT_CONNECTED, () -> client.requestQueue(0, 0, RequestedService.SERVED));
        client.connect("a");
        heartbeating(client);
        other = new ControlSession(driver.aeronDirectoryName());
        other.connect("b");
        heartbeating(other);

        final int queue = client.requestQueue(32, 64, RequestedService.SERVED).queueId();
        final CardDriverProxy.FilterRegistered filter = client.registerFilter(queue, FilterKind.UDP_PORT, 5353);

        assertCode(ErrorCode.NO_SUCH_QUEUE, () -> client.registerFilter(99, FilterKind.UDP_PORT, 1));
        assertCode(ErrorCode.NOT_OWNER, () -> other.registerFilter(queue, FilterKind.UDP_PORT, 1));
        assertCode(ErrorCode.NOT_OWNER, () -> other.registerFilter(0, FilterKind.UDP_PORT, 1));
        assertCode(ErrorCode.NOT_OWNER, () -> other.releaseQueue(queue));
        assertCode(ErrorCode.NOT_OWNER, () -> other.deregisterFilter(filter.filterId()));
        assertCode(ErrorCode.NO_SUCH_FILTER, () -> client.deregisterFilter(4242));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> client.requestQueue(100, 0, RequestedService.SERVED));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> client.registerFilter(queue, FilterKind.UDP_PORT, 9, 0, 1, 0, 0));

        final int otherQueue = other.requestQueue(32, 64, RequestedService.SERVED).queueId();
        assertCode(ErrorCode.PORT_IN_USE, () -> other.registerFilter(otherQueue, FilterKind.UDP_PORT, 5353));
        other.registerFilter(otherQueue, FilterKind.TCP_PORT, 5353);
        assertCode(ErrorCode.NOT_OWNER, () -> other.attachQueueDriver(queue, 1, 64, 1 << 20, 2 << 20));

        final ControlSession third = new ControlSession(driver.aeronDirectoryName());
        try
        {
            final ControlException ex = assertThrows(ControlException.class, () -> third.connect("c", 1L << 40));
            assertEquals(ErrorCode.INVALID_ARGUMENT, ex.code(), ex.getMessage());
        }
        finally
        {
            third.close();
        }
    }

    @Test
    void arpAndPingForTheCardAreAnswered() throws Exception
    {
        assertTrue(card.memoryWire().inject(TestFrames.arpRequest(PEER_MAC, PEER_IP, CARD_IP)));
        final byte[] reply = awaitTransmitted(EthernetHeader.ETHER_TYPE_ARP);
        final UnsafeBuffer arpReply = TestFrames.wrap(reply);
        final ArpPacket arp = new ArpPacket().wrap(arpReply, 14);
        assertEquals(ArpPacket.OPERATION_REPLY, arp.operation());
        assertEquals(cardMac, arp.senderHardwareAddress());
        assertEquals(CARD_IP, arp.senderProtocolAddress());
        assertEquals(PEER_MAC, arp.targetHardwareAddress());
        assertEquals(PEER_MAC, new EthernetHeader().wrap(arpReply, 0).destination());

        final byte[] data = "ping data".getBytes(StandardCharsets.US_ASCII);
        assertTrue(card.memoryWire().inject(TestFrames.icmpEcho(cardMac, PEER_MAC, PEER_IP, CARD_IP, 77, 5, data)));
        final UnsafeBuffer echo = TestFrames.wrap(awaitTransmitted(EthernetHeader.ETHER_TYPE_IPV4));
        final Ipv4Header ip = new Ipv4Header().wrap(echo, 14);
        assertEquals(CARD_IP, ip.source());
        assertEquals(PEER_IP, ip.destination());
        assertTrue(ip.verifyChecksum());
        final IcmpEcho icmp = new IcmpEcho().wrap(echo, 34);
        assertEquals(IcmpEcho.TYPE_ECHO_REPLY, icmp.type());
        assertEquals(77, icmp.identifier());
        assertEquals(5, icmp.sequence());
        assertTrue(icmp.verifyChecksum(ip.totalLength() - 20));

        // Not for us, and junk: dropped and counted, never answered.
        assertTrue(card.memoryWire().inject(TestFrames.arpRequest(PEER_MAC, PEER_IP, 0x0A000063)));
        final byte[] junk = new byte[60];
        new EthernetHeader().wrap(TestFrames.wrap(junk), 0).destination(cardMac).source(PEER_MAC);
        junk[12] = (byte)0x88;
        junk[13] = (byte)0xB5;
        assertTrue(card.memoryWire().inject(junk));
        Thread.sleep(300);
        assertNull(card.memoryWire().pollTransmitted());
        final String stat = stat();
        assertTrue(stat.contains("default queue ARP requests answered"), stat);
        assertTrue(counter(stat, "default queue drops: unsupported ethertype") >= 1, stat);
        assertTrue(counter(stat, "default queue drops: not for the card's address") >= 1, stat);
    }

    /**
     * The quiet control plane: an idle conductor sleeps on the control wake file's requests word; a request wakes it
     * (answered), and so does a ping for the card (queue 0's driver rings it). Every wait is bounded.
     */
    @Test
    void anIdleConductorSleepsUntilARequestOrAFrameRingsIt() throws Exception
    {
        try (ControlWakeWords words = ControlWakeWords.openIfPresent(driver.context().paths().controlWakeFile());
            WakeWord requests = words.requests())
        {
            awaitSleeping(requests);
            final int before = requests.sequence();
            client.connect("waker");
            assertEquals(1, client.queryStats().clients(), "answered");
            assertTrue(requests.sequence() - before >= 2, "each request rang the conductor");

            awaitSleeping(requests);
            final int rings = requests.sequence();
            final byte[] data = "asleep?".getBytes(StandardCharsets.US_ASCII);
            assertTrue(card.memoryWire().inject(TestFrames.icmpEcho(cardMac, PEER_MAC, PEER_IP, CARD_IP, 9, 1, data)));
            final IcmpEcho icmp = new IcmpEcho().wrap(TestFrames.wrap(awaitTransmitted(EthernetHeader.ETHER_TYPE_IPV4)),
                34);
            assertEquals(IcmpEcho.TYPE_ECHO_REPLY, icmp.type(), "the sleeping conductor answered the ping");
            assertNotEquals(rings, requests.sequence(), "queue 0's driver rang the conductor for the frame");
        }
    }

    private static void awaitSleeping(final WakeWord requests) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (requests.sleepers() == 0)
        {
            assertTrue(System.nanoTime() < deadline, "the idle conductor sleeps on the requests word");
            Thread.sleep(1);
        }
    }

    @Test
    void neighboursAreResolvedByArpOrTimeOut() throws Exception
    {
        client.connect("resolver");
        heartbeating(client);
        assertEquals(cardMac, client.resolveNeighbour(CARD_IP));
        assertEquals(0xFFFF_FFFF_FFFFL, client.resolveNeighbour(0x0A0000FF));

        final CompletableFuture<Long> answer = CompletableFuture.supplyAsync(() -> client.resolveNeighbour(PEER_IP));
        final UnsafeBuffer request = TestFrames.wrap(awaitTransmitted(EthernetHeader.ETHER_TYPE_ARP));
        final ArpPacket arp = new ArpPacket().wrap(request, 14);
        assertEquals(ArpPacket.OPERATION_REQUEST, arp.operation());
        assertEquals(PEER_IP, arp.targetProtocolAddress());
        assertTrue(card.memoryWire().inject(TestFrames.arpReply(PEER_MAC, PEER_IP, cardMac, CARD_IP)));
        assertEquals(PEER_MAC, answer.get(5, TimeUnit.SECONDS));
        assertEquals(PEER_MAC, client.resolveNeighbour(PEER_IP), "now from the cache");

        final long start = System.nanoTime();
        assertCode(ErrorCode.NEIGHBOUR_TIMEOUT, () -> client.resolveNeighbour(0x0A000042));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(350));
        assertCode(ErrorCode.INVALID_ARGUMENT, () -> client.resolveNeighbour(0x08080808));
    }

    @Test
    void malformedRequestsAreAnsweredOrCountedAndTheServerCarriesOn()
    {
        client.connect("fuzzer");
        heartbeating(client);
        final long correlationId = client.control().nextCorrelationId();

        // A Heartbeat whose header claims a newer schema version: answerable, refused.
        final byte[] newer = new byte[8 + 16];
        final UnsafeBuffer buffer = new UnsafeBuffer(newer);
        new MessageHeaderEncoder().wrap(buffer, 0).blockLength(16).templateId(HeartbeatEncoder.TEMPLATE_ID)
            .schemaId(HeartbeatEncoder.SCHEMA_ID).version(HeartbeatEncoder.SCHEMA_VERSION + 5);
        buffer.putLong(8, correlationId);
        buffer.putLong(16, client.clientId());
        final ControlSession.RawAnswer response = client.sendRaw(newer, correlationId);
        assertTrue(response.isError());
        assertEquals(ErrorCode.UNSUPPORTED_VERSION, response.error());

        // A Connect whose name claims more bytes than were sent.
        final long correlationId2 = client.control().nextCorrelationId();
        final byte[] truncated = new byte[8 + ConnectEncoder.BLOCK_LENGTH + 2];
        final UnsafeBuffer b2 = new UnsafeBuffer(truncated);
        new MessageHeaderEncoder().wrap(b2, 0).blockLength(ConnectEncoder.BLOCK_LENGTH)
            .templateId(ConnectEncoder.TEMPLATE_ID).schemaId(ConnectEncoder.SCHEMA_ID)
            .version(ConnectEncoder.SCHEMA_VERSION);
        b2.putLong(8, correlationId2);
        b2.putLong(16, client.clientId());
        b2.putShort(8 + ConnectEncoder.BLOCK_LENGTH, (short)300);
        assertEquals(ErrorCode.MALFORMED_MESSAGE, client.sendRaw(truncated, correlationId2).error());

        // An answer template sent as a request.
        final long correlationId3 = client.control().nextCorrelationId();
        final byte[] answer = new byte[8 + HeartbeatAckEncoder.BLOCK_LENGTH];
        final UnsafeBuffer b3 = new UnsafeBuffer(answer);
        new HeartbeatAckEncoder().wrapAndApplyHeader(b3, 0, new MessageHeaderEncoder())
            .correlationId(correlationId3).clientId(client.clientId());
        assertEquals(ErrorCode.UNKNOWN_TEMPLATE, client.sendRaw(answer, correlationId3).error());

        // Too short to answer: counted, logged once.
        try (Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(driver.aeronDirectoryName()));
            Publication publication = aeron.addPublication(ControlProtocol.CHANNEL, ControlProtocol.REQUEST_STREAM_ID))
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!ControlSession.offerRaw(publication, new byte[]{1, 2, 3}))
            {
                assertTrue(System.nanoTime() < deadline, "could not offer");
                Thread.onSpinWait();
            }
        }

        client.heartbeat();
        assertEquals(1, client.queryStats().clients(), "still serving");
        final String stat = stat();
        assertTrue(counter(stat, "messages too short to answer") >= 1, stat);
        assertEquals(1, counter(stat, "errors UNSUPPORTED_VERSION"), stat);
        assertEquals(1, counter(stat, "errors MALFORMED_MESSAGE"), stat);
        assertTrue(logBytes.toString(StandardCharsets.UTF_8).contains("too short to carry"));
    }

    @Test
    void aQueueRequestOfTheFirstSchemaEditionIsStillServed()
    {
        client.connect("first-edition");
        heartbeating(client);
        final int inUse = client.queryStats().queuesInUse();
        // RequestQueue's service byte was QueueMode: 1 (THREAD) asked, like 0 (PROCESS), to be served as configured.
        final long first = client.control().nextCorrelationId();
        final ControlSession.RawAnswer served = client.sendRaw(requestQueueWithServiceByte(first, (byte)1), first);
        assertEquals(QueueGrantedDecoder.TEMPLATE_ID, served.templateId(), String.valueOf(served));
        assertEquals(inUse + 1, client.queryStats().queuesInUse());

        final long second = client.control().nextCorrelationId();
        assertEquals(ErrorCode.INVALID_ARGUMENT,
            client.sendRaw(requestQueueWithServiceByte(second, (byte)3), second).error());
        assertEquals(inUse + 1, client.queryStats().queuesInUse(), "nothing granted for an unknown service");
    }

    /** The client's RequestQueue (default sizes) with its service byte overwritten. */
    private byte[] requestQueueWithServiceByte(final long correlationId, final byte service)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final int length = new ControlRequestEncoder().requestQueue(buffer, correlationId, client.clientId(), 0, 0,
            RequestedService.SERVED);
        buffer.putByte(MessageHeaderEncoder.ENCODED_LENGTH + RequestQueueEncoder.serviceEncodingOffset(), service);
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        return bytes;
    }

    @Test
    void silentClientIsReclaimedAndItsQueueAndPortAreReusable() throws Exception
    {
        client.connect("silent");
        final CardDriverProxy.QueueGranted granted = client.requestQueue(32, 64, RequestedService.SERVED);
        final CardDriverProxy.FilterRegistered filter =
            client.registerFilter(granted.queueId(), FilterKind.UDP_PORT, 6000);

        final ControlSession.Revoked revoked = client.awaitRevoked(5000);
        assertNotNull(revoked, "the client is told");
        assertEquals(ErrorCode.CLIENT_TIMED_OUT, revoked.reason());
        assertEquals(0, nic.bar().read(ftqf(filter.hardwareIndex())));
        assertEquals(0, nic.bar().read(rxdctl(granted.queueId())) & DCTL_ENABLE);
        assertCode(ErrorCode.NOT_CONNECTED, () -> client.heartbeat());

        other = new ControlSession(driver.aeronDirectoryName());
        other.connect("next");
        heartbeating(other);
        final CardDriverProxy.QueueGranted next = other.requestQueue(32, 64, RequestedService.SERVED);
        assertEquals(granted.queueId(), next.queueId());
        other.registerFilter(next.queueId(), FilterKind.UDP_PORT, 6000);
    }

    @Test
    void queueDriverThreadThatStopsOnItsOwnHasItsQueueDisabledFirstThenRevoked() throws Exception
    {
        client.connect("leaving");
        heartbeating(client);
        final CardDriverProxy.QueueGranted granted = client.requestQueue(32, 64, RequestedService.SERVED);
        final int queue = granted.queueId();
        client.registerFilter(queue, FilterKind.UDP_PORT, 7200);
        final long failuresBefore = counter(stat(), "queue drivers failed");
        try (ChannelClient channel = new ChannelClient(granted.channelPath()))
        {
            final byte[] frame = TestFrames.udp(cardMac, PEER_MAC, PEER_IP, CARD_IP, 1, 7200, new byte[18]);
            assertTrue(card.memoryWire().inject(frame));
            assertArrayEquals(frame, channel.awaitFrame(5000));

            // The queue driver's own counters (channel header) and the queue's statistics set, in nicq stat.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            String stat = stat();
            while ((counter(stat, "queue " + queue + " driver rx-packets") < 1 ||
                counter(stat, "queue " + queue + " rx packets") < 1) && System.nanoTime() - deadline < 0)
            {
                Thread.sleep(20);
                stat = stat();
            }
            assertEquals(1, counter(stat, "queue " + queue + " driver rx-packets"), stat);
            assertEquals(60, counter(stat, "queue " + queue + " driver rx-bytes"), stat);
            assertEquals(0, counter(stat, "queue " + queue + " driver rejected-not-owned"), stat);
            assertEquals(1, counter(stat, "queue " + queue + " rx packets"), stat);
        }
        // The client left its channel in order: the driver thread stops, has the card disable the queue before it
        // frees its rings, and the queue is taken back.
        final ControlSession.Revoked revoked = client.awaitRevoked(5000);
        assertNotNull(revoked, "the client is told");
        assertEquals(ErrorCode.QUEUE_DRIVER_FAILED, revoked.reason());
        assertTrue(revoked.message().contains("the queue driver thread of queue " + queue + " stopped: client " +
            "process") && revoked.message().endsWith(" detached"), revoked.message());
        assertEquals(0, nic.bar().read(rxdctl(queue)) & DCTL_ENABLE, "RX disabled");
        assertEquals(0, nic.bar().read(txdctl(queue)) & DCTL_ENABLE, "TX disabled");
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (Files.exists(Path.of(granted.channelPath())) && System.nanoTime() - deadline < 0)
        {
            Thread.sleep(10);
        }
        assertFalse(Files.exists(Path.of(granted.channelPath())), "the queue is free, its channel deleted");
        assertEquals(127, client.queryStats().queuesFree());
        final String stat = stat();
        assertEquals(failuresBefore + 1, counter(stat, "queue drivers failed"), stat);
        assertEquals(-1, counter(stat, "queue " + queue + " driver rx-packets"), "its counters went with it");
    }

    @Test
    void secondCardDriverIsRefusedAndShutdownRemovesEverything() throws Exception
    {
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> CardDriver.launch(
            new CardDriver.Context().instance("emb").baseDir(dir.resolve("nicq")).nic(nic).ipv4("10.0.0.1/24")
                .out(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))));
        assertTrue(ex.getMessage().contains("in use by the card driver pid " + ProcessHandle.current().pid()),
            ex.getMessage());

        client.connect("shutdown");
        heartbeating(client);
        final CardDriverProxy.QueueGranted granted = client.requestQueue(32, 64, RequestedService.SERVED);
        final CardDriverProxy.FilterRegistered filter =
            client.registerFilter(granted.queueId(), FilterKind.UDP_PORT, 1234);
        final Path root = driver.context().paths().root();
        assertTrue(Files.exists(driver.context().paths().countersFile()));

        final CompletableFuture<ControlSession.Revoked> revoked =
            CompletableFuture.supplyAsync(() -> client.awaitRevoked(5000));
        driver.close();
        final Bar bar = nic.bar();
        assertEquals(0, bar.read(ftqf(filter.hardwareIndex())));
        assertEquals(0, bar.read(rxdctl(granted.queueId())) & DCTL_ENABLE);
        assertEquals(0, bar.read(rxdctl(0)) & DCTL_ENABLE);
        assertEquals(0, bar.read(etqf(CardInit.ARP_ETQF_INDEX)));
        assertFalse(Files.exists(root), "instance directory removed");
        assertEquals(ErrorCode.SHUTTING_DOWN, revoked.get(5, TimeUnit.SECONDS).reason());
    }

    private String stat()
    {
        final StringWriter text = new StringWriter();
        final CommandLine commandLine = new CommandLine(new StatCommand());
        commandLine.setOut(new PrintWriter(text));
        final int exit = commandLine.execute("--instance", "emb", "--dir", dir.resolve("nicq").toString(), "--once",
            "--view", "counters");
        assertEquals(0, exit, text.toString());
        return text.toString();
    }

    static long counter(final String stat, final String label)
    {
        for (final String line : stat.split("\n"))
        {
            if (line.endsWith(" - " + label) || line.contains(" - " + label + " ("))
            {
                return Long.parseLong(line.substring(line.indexOf(':') + 1, line.indexOf(" - ")).trim()
                    .replace(",", ""));
            }
        }
        return -1;
    }

    private byte[] awaitTransmitted(final int etherType) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline)
        {
            final byte[] frame = card.memoryWire().pollTransmitted();
            if (frame != null && new EthernetHeader().wrap(TestFrames.wrap(frame), 0).etherType() == etherType)
            {
                return frame;
            }
            if (frame == null)
            {
                Thread.sleep(1);
            }
        }
        return fail("no frame of ethertype " + Integer.toHexString(etherType) + " was sent");
    }

    static void assertCode(final ErrorCode code, final Runnable action)
    {
        final ControlException ex = assertThrows(ControlException.class, action::run);
        assertEquals(code, ex.code(), ex.getMessage());
    }
}
