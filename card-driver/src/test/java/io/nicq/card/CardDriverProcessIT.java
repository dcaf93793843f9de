package io.nicq.card;

import io.nicq.ixgbe.ReceiveAddress;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.proto.CardDriverProxy;
import io.nicq.proto.ControlException;
import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.FilterKind;
import io.nicq.proto.sbe.FilterPlacement;
import io.nicq.proto.sbe.QueueMode;
import io.nicq.proto.sbe.RequestedService;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static io.nicq.card.CardDriverEmbeddedTest.assertCode;
import static io.nicq.ixgbe.Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The card driver as a process, with the simulated card as another and queue drivers as its children, over the real
 * control protocol: registers checked in the card's BAR, frames injected over a cable, clients and queue drivers
 * killed with kill -9, the card driver killed and restarted, SIGTERM.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CardDriverProcessIT
{
    private static final int CARD_IP = 0x0A000001;
    private static final int PEER_IP = 0x0A000002;
    private static final long PEER_MAC = 0x02_00_00_00_00_99L;

    @TempDir
    Path dir;

    private ProcessFixture fixture;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void setUp()
    {
        fixture = new ProcessFixture(dir);
    }

    @AfterEach
    void tearDown()
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            CloseHelper.quietClose(closeables.get(i));
        }
        fixture.close();
    }

    @Test
    void queueAndFiltersInTheCardFramesInTheQueueAndDeregistrationClears() throws Exception
    {
        fixture.startCard(null).startCardDriver();
        final Bar bar = fixture.nic().bar();
        final long cardMac = ReceiveAddress.mac(bar.read(ral(0)), bar.read(rah(0)));
        final ControlSession client = client();
        client.connect("it");

        final CardDriverProxy.QueueGranted granted = client.requestQueue(64, 256, RequestedService.SERVED);
        assertEquals(QueueMode.PROCESS, granted.mode());
        final int queue = granted.queueId();
        final ChannelClient channel = closeLater(new ChannelClient(granted.channelPath()));
        fixture.await(() -> (bar.read(rxdctl(queue)) & DCTL_ENABLE) != 0, "the queue driver process attached " +
            "queue " + queue, fixture.cardDriver(), "card-driver.log");
        fixture.await(() -> channel.state() == QueueChannelHeader.STATE_ACTIVE, "the queue driver is active",
            fixture.cardDriver(), "card-driver.log");
        final long driverPid = channel.channel().header().driverPid();
        assertTrue(fixture.cardDriver().descendants().anyMatch(p -> p.pid() == driverPid),
            "the queue driver is a child of the card driver");

        final CardDriverProxy.FilterRegistered udp = client.registerFilter(queue, FilterKind.UDP_PORT, 7000);
        final CardDriverProxy.FilterRegistered tcp = client.registerFilter(queue, FilterKind.TCP_PORT, 8080);
        final CardDriverProxy.FilterRegistered connection = client.registerFilter(queue, FilterKind.TCP_CONNECTION,
            0, 0, 9090, PEER_IP, 40000);
        assertEquals(FilterPlacement.FIVE_TUPLE, udp.placement());
        final int u = udp.hardwareIndex();
        final int c = connection.hardwareIndex();
        assertEquals(0x0100000A, bar.read(daqf(u)));
        assertEquals(0, bar.read(saqf(u)));
        assertEquals(0x581B_0000, bar.read(sdpqf(u)));
        assertEquals(FTQF_PROTOCOL_UDP | (1 << FTQF_PRIORITY_SHIFT) | FTQF_MASK_SOURCE_ADDRESS |
            FTQF_MASK_SOURCE_PORT | FTQF_POOL_MASK_BIT | FTQF_QUEUE_ENABLE, bar.read(ftqf(u)));
        assertEquals(0x0008_0000 | (queue << 21), fixture.rawRegister(l34tImir(u)));
        assertEquals(FTQF_PROTOCOL_TCP | (1 << FTQF_PRIORITY_SHIFT) | FTQF_MASK_SOURCE_ADDRESS |
            FTQF_MASK_SOURCE_PORT | FTQF_POOL_MASK_BIT | FTQF_QUEUE_ENABLE, bar.read(ftqf(tcp.hardwareIndex())));
        assertEquals(0x0200000A, bar.read(saqf(c)));
        assertEquals(0x0100000A, bar.read(daqf(c)));
        assertEquals(0x8223_409C, bar.read(sdpqf(c)), "dst 9090 = 0x2382, src 40000 = 0x9C40, each big endian");
        assertEquals(FTQF_PROTOCOL_TCP | (2 << FTQF_PRIORITY_SHIFT) | FTQF_POOL_MASK_BIT | FTQF_QUEUE_ENABLE,
            bar.read(ftqf(c)));
        assertEquals(0x0008_0000 | (queue << 21), fixture.rawRegister(l34tImir(c)));

        final byte[] frame = TestFrames.udp(cardMac, PEER_MAC, PEER_IP, CARD_IP, 1234, 7000,
            "over the cable".getBytes(StandardCharsets.US_ASCII));
        fixture.inject(frame);
        assertArrayEquals(frame, channel.awaitFrame(10_000), "the UDP frame lands in queue " + queue);
        final byte[] syn = TestFrames.tcpSyn(cardMac, PEER_MAC, PEER_IP, CARD_IP, 40000, 9090);
        fixture.inject(syn);
        assertArrayEquals(syn, channel.awaitFrame(10_000), "the connection's SYN lands in queue " + queue);

        final ControlSession other = client();
        other.connect("other");
        final int otherQueue = other.requestQueue(8, 8, RequestedService.INLINE).queueId();
        assertCode(ErrorCode.PORT_IN_USE, () -> other.registerFilter(otherQueue, FilterKind.UDP_PORT, 7000));
        assertCode(ErrorCode.NOT_OWNER, () -> other.registerFilter(queue, FilterKind.UDP_PORT, 7001));
        assertCode(ErrorCode.NOT_OWNER, () -> other.deregisterFilter(udp.filterId()));
        assertCode(ErrorCode.NOT_OWNER, () -> other.releaseQueue(queue));
        assertCode(ErrorCode.NOT_OWNER, () -> client.attachQueueDriver(otherQueue, ProcessHandle.current().pid(),
            64, 1L << 32, 2L << 32));

        client.deregisterFilter(udp.filterId());
        for (final int offset : new int[]{daqf(u), saqf(u), sdpqf(u), ftqf(u)})
        {
            assertEquals(0, fixture.rawRegister(offset), String.format("register 0x%05X cleared", offset));
        }
        assertEquals(L34T_IMIR_RESERVE, fixture.rawRegister(l34tImir(u)), "L34T_IMIR: queue 0, reserved bit 19 is 1");
        fixture.inject(frame);
        assertNull(channel.awaitFrame(500), "without its filter the frame no longer reaches queue " + queue);
        assertEquals(0, fixture.nic().bar().status(SimulatedCardFiles.WRITE_ONLY_READS_OFFSET),
            "nobody read L34T_IMIR");

        client.releaseQueue(queue);
        assertEquals(0, bar.read(rxdctl(queue)) & DCTL_ENABLE);
        assertEquals(0, bar.read(ftqf(c)), "the queue's filters went with it");
        ProcessFixture.awaitTrue(() -> ProcessHandle.of(driverPid).map(p -> !p.isAlive()).orElse(true), 10_000,
            "the queue driver process exited");
        ProcessFixture.awaitTrue(() -> !Files.exists(Path.of(granted.channelPath())), 10_000,
            "the channel file is deleted once its queue driver has gone");
    }

    @Test
    void noQueueAfter127AndNoFilterSlotAfter128() throws Exception
    {
        // UDP port filters: the flow director holds connections; with no software filters the 129th is refused.
        fixture.startCard(null).startCardDriver("--software-filters", "0");
        final ControlSession client = client();
        assertEquals(127, client.connect("greedy").queuesFree());

        final List<Integer> queues = new ArrayList<>();
        for (int i = 0; i < 127; i++)
        {
            queues.add(client.requestQueue(8, 8, RequestedService.INLINE).queueId());
        }
        final ControlException noQueue = assertThrows(ControlException.class,
            () -> client.requestQueue(8, 8, RequestedService.INLINE));
        assertEquals(ErrorCode.NO_QUEUE, noQueue.code(), noQueue.getMessage());

        final int queue = queues.get(0);
        CardDriverProxy.FilterRegistered last = null;
        for (int i = 0; i < FIVE_TUPLE_FILTER_COUNT; i++)
        {
            last = client.registerFilter(queue, FilterKind.UDP_PORT, 10_000 + i);
        }
        final ControlException noSlot = assertThrows(ControlException.class,
            () -> client.registerFilter(queue, FilterKind.UDP_PORT, 20_000));
        assertEquals(ErrorCode.NO_FILTER_SLOT, noSlot.code());
        assertTrue(noSlot.getMessage().contains("128 of 128"), noSlot.getMessage());
        assertEquals(new CardDriverProxy.FiltersFree(0, 8192, 0), client.queryStats().free(),
            "the flow director's 8K are for connections, not UDP ports");

        client.deregisterFilter(last.filterId());
        assertEquals(last.hardwareIndex(), client.registerFilter(queue, FilterKind.UDP_PORT, 20_000).hardwareIndex());
        client.releaseQueue(queues.get(5));
        assertEquals(queues.get(5), client.requestQueue(8, 8, RequestedService.INLINE).queueId());
    }

    @Test
    void clientKilledWithKill9LosesItsFiltersInAllThreePlacements() throws Exception
    {
        fixture.startCard(null).startCardDriver();
        final Bar bar = fixture.nic().bar();
        final Process victim = fixture.startMain(FilterHolder.class, "holder.log", fixture.aeronDir());
        fixture.await(() -> fixture.log("holder.log").contains("READY"), "the client has its filters", victim,
            "holder.log");
        final String ready = fixture.log("holder.log").lines().filter(l -> l.startsWith("READY")).findFirst()
            .orElseThrow();
        assertTrue(ready.contains("FIVE_TUPLE=128") && ready.contains("FLOW_DIRECTOR=5") &&
            ready.contains("SOFTWARE=3"), ready);
        final ControlSession watcher = client();
        watcher.connect("watcher");
        assertEquals(new CardDriverProxy.FiltersFree(0, 8192 - 5, 16384 - 3), watcher.queryStats().free());
        assertEquals(8192 - 5, bar.read(FDIRFREE) & FDIRFREE_FREE_MASK);

        victim.destroyForcibly();
        ProcessFixture.awaitTrue(() -> watcher.queryStats().filtersInUse() == 0, 5_000,
            "the dead client's filters are gone");
        assertEquals(new CardDriverProxy.FiltersFree(128, 8192, 16384), watcher.queryStats().free(),
            "from the 5-tuple filters, the flow director and software");
        assertEquals(8192, bar.read(FDIRFREE) & FDIRFREE_FREE_MASK, "the card's flow director table is empty again");
        for (int slot = 0; slot < FIVE_TUPLE_FILTER_COUNT; slot++)
        {
            assertEquals(0, bar.read(ftqf(slot)), "5-tuple filter " + slot + " cleared");
        }
    }

    @Test
    void clientKilledWithKill9LosesItsQueueAndFiltersWithinASecond() throws Exception
    {
        fixture.startCard(null).startCardDriver();
        final Bar bar = fixture.nic().bar();
        final Process victim = fixture.startMain(KillableClient.class, "client.log", fixture.aeronDir(), "6000");
        fixture.await(() -> fixture.log("client.log").contains("READY"), "the client has a queue and a filter",
            victim, "client.log");
        final String[] ready = fixture.log("client.log").lines().filter(l -> l.startsWith("READY")).findFirst()
            .orElseThrow().split(" ");
        final int queue = Integer.parseInt(ready[1]);
        final int slot = Integer.parseInt(ready[2]);
        fixture.await(() -> (bar.read(rxdctl(queue)) & DCTL_ENABLE) != 0, "queue " + queue + " is attached",
            fixture.cardDriver(), "card-driver.log");
        assertNotEquals(0, bar.read(ftqf(slot)));

        final long killedNs = System.nanoTime();
        victim.destroyForcibly();
        ProcessFixture.awaitTrue(() -> bar.read(ftqf(slot)) == 0 && (bar.read(rxdctl(queue)) & DCTL_ENABLE) == 0,
            5_000, "the dead client's filter and queue are gone");
        final long reclaimMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedNs);
        assertTrue(reclaimMs < 2_000, "reclaimed in " + reclaimMs + " ms");

        final ControlSession next = client();
        next.connect("next");
        ProcessFixture.awaitTrue(() -> next.queryStats().queuesFree() == 127, 10_000,
            "the queue driver of the dead client has exited");
        assertEquals(queue, next.requestQueue(8, 8, RequestedService.INLINE).queueId(), "the queue is reusable");
        next.registerFilter(queue, FilterKind.UDP_PORT, 6000);
        assertTrue(fixture.log("card-driver.log").contains("has exited"), fixture.log("card-driver.log"));
    }

    @Test
    void queueDriverKilledTearsTheQueueDownAndTellsTheClient() throws Exception
    {
        fixture.startCard(null).startCardDriver();
        final Bar bar = fixture.nic().bar();
        final ControlSession client = client();
        client.connect("owner");
        final CardDriverProxy.QueueGranted granted = client.requestQueue(64, 256, RequestedService.SERVED);
        final int queue = granted.queueId();
        final CardDriverProxy.FilterRegistered filter = client.registerFilter(queue, FilterKind.UDP_PORT, 5000);
        final ChannelClient channel = closeLater(new ChannelClient(granted.channelPath()));
        fixture.await(() -> channel.state() == QueueChannelHeader.STATE_ACTIVE, "the queue driver is active",
            fixture.cardDriver(), "card-driver.log");
        final long driverPid = channel.channel().header().driverPid();

        ProcessHandle.of(driverPid).orElseThrow().destroyForcibly();
        final ControlSession.Revoked revoked = client.awaitRevoked(10_000);
        assertNotNull(revoked, "the client is told\n" + fixture.log("card-driver.log"));
        assertEquals(queue, revoked.queueId());
        assertEquals(ErrorCode.QUEUE_DRIVER_FAILED, revoked.reason());
        assertTrue(revoked.message().contains("pid " + driverPid) || revoked.message().contains("" + driverPid),
            revoked.message());
        assertEquals(0, bar.read(ftqf(filter.hardwareIndex())), "its filters are removed");
        assertEquals(0, bar.read(rxdctl(queue)) & DCTL_ENABLE, "the queue is disabled");
        assertEquals(QueueChannelHeader.STATE_REVOKED, channel.state());
        assertCode(ErrorCode.NO_SUCH_QUEUE, () -> client.releaseQueue(queue));

        assertEquals(queue, client.requestQueue(8, 8, RequestedService.INLINE).queueId(), "the queue is reusable");
    }

    @Test
    void killedCardDriverIsCleanedUpByTheNextStart() throws Exception
    {
        fixture.startCard(null).startCardDriver();
        final Bar bar = fixture.nic().bar();
        final ControlSession client = client();
        client.connect("before");
        final CardDriverProxy.QueueGranted granted = client.requestQueue(64, 256, RequestedService.SERVED);
        final ChannelClient channel = closeLater(new ChannelClient(granted.channelPath()));
        fixture.await(() -> channel.state() == QueueChannelHeader.STATE_ACTIVE, "the queue driver is active",
            fixture.cardDriver(), "card-driver.log");
        final long queueDriverPid = channel.channel().header().driverPid();
        final long oldPid = fixture.cardDriver().pid();
        client.registerFilter(granted.queueId(), FilterKind.UDP_PORT, 4000);

        fixture.killCardDriver();
        assertTrue(Files.exists(fixture.paths().pidFile()), "kill -9 leaves the instance behind");
        ProcessFixture.awaitTrue(() -> ProcessHandle.of(queueDriverPid).map(p -> !p.isAlive()).orElse(true), 10_000,
            "the orphaned queue driver noticed its card driver died");

        fixture.startCardDriver();
        final String log = fixture.log("card-driver.log");
        assertTrue(log.contains("stale instance") && log.contains("pid " + oldPid), log);
        final ControlSession after = client();
        after.connect("after");
        final CardDriverProxy.QueueGranted again = after.requestQueue(8, 8, RequestedService.INLINE);
        assertEquals(granted.queueId(), again.queueId());
        after.registerFilter(again.queueId(), FilterKind.UDP_PORT, 4000);
        assertEquals(1, after.queryStats().filtersInUse(), "the dead card driver's filter is gone (card reset)");
        assertEquals(0, bar.read(rxdctl(granted.queueId())) & DCTL_ENABLE, "an INLINE queue waits for its attach");
    }

    @Test
    void sigtermStopsInOrderAndStatSaysSo() throws Exception
    {
        fixture.startCard(null).startCardDriver();
        final Bar bar = fixture.nic().bar();
        final ControlSession client = client();
        client.connect("stat");
        final CardDriverProxy.QueueGranted granted = client.requestQueue(64, 256, RequestedService.SERVED);
        final CardDriverProxy.FilterRegistered filter =
            client.registerFilter(granted.queueId(), FilterKind.UDP_PORT, 3000);
        final ChannelClient channel = closeLater(new ChannelClient(granted.channelPath()));
        fixture.await(() -> channel.state() == QueueChannelHeader.STATE_ACTIVE, "the queue driver is active",
            fixture.cardDriver(), "card-driver.log");
        final long queueDriverPid = channel.channel().header().driverPid();

        final String[] stat = new String[1];
        assertEquals(0, stat(stat));
        assertTrue(stat[0].contains("card driver pid " + fixture.cardDriver().pid()), stat[0]);
        assertEquals(1, CardDriverEmbeddedTest.counter(stat[0], "requests Connect"), stat[0]);
        assertEquals(1, CardDriverEmbeddedTest.counter(stat[0], "filters in use"), stat[0]);
        assertEquals(2, CardDriverEmbeddedTest.counter(stat[0], "queues in use (queue 0 included)"), stat[0]);
        // The thread view: every process of the instance with its threads' wake-ups and CPU, from /proc.
        assertTrue(stat[0].contains(fixture.cardDriver().pid() + " ") && stat[0].contains("card driver"), stat[0]);
        assertTrue(stat[0].contains("nicq-card-drive"), "the conductor thread is listed: " + stat[0]);
        assertTrue(stat[0].contains(queueDriverPid + " ") && stat[0].contains("queue " + granted.queueId() +
            "'s driver (process)"), stat[0]);
        assertTrue(stat[0].contains(ProcessHandle.current().pid() + " ") && stat[0].contains("(stat)"),
            "the client, this JVM: " + stat[0]);

        fixture.stopCardDriver();
        assertEquals(0, bar.read(ftqf(filter.hardwareIndex())), "filters cleared");
        assertEquals(0, bar.read(rxdctl(granted.queueId())) & DCTL_ENABLE, "queues disabled");
        assertEquals(0, bar.read(rxdctl(0)) & DCTL_ENABLE, "queue 0 disabled");
        assertFalse(Files.exists(fixture.paths().root()), "instance files removed");
        assertTrue(ProcessHandle.of(queueDriverPid).map(p -> !p.isAlive()).orElse(true), "queue driver stopped");
        assertEquals(QueueChannelHeader.STATE_REVOKED, channel.state());
        final String log = fixture.log("card-driver.log");
        assertTrue(log.contains("queues revoked and disabled, filters cleared, queue drivers stopped"), log);

        assertEquals(1, stat(stat));
        assertTrue(stat[0].contains("no card driver is running"), stat[0]);
    }

    private int stat(final String[] output)
    {
        final StringWriter text = new StringWriter();
        final CommandLine commandLine = new CommandLine(new StatCommand());
        commandLine.setOut(new PrintWriter(text));
        final int exit = commandLine.execute("--instance", fixture.instance, "--dir", fixture.nicqDir.toString(),
            "--once");
        output[0] = text.toString();
        return exit;
    }

    private ControlSession client()
    {
        return closeLater(new ControlSession(fixture.aeronDir(), 10_000).startHeartbeats(200));
    }

    private <T extends AutoCloseable> T closeLater(final T closeable)
    {
        closeables.add(closeable);
        return closeable;
    }
}
