package io.nicq.card;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.FlowDirectorHash;
import io.nicq.ixgbe.SimulatedNic;
import io.nicq.proto.CardDriverProxy;
import io.nicq.proto.sbe.FilterKind;
import io.nicq.proto.sbe.FilterPlacement;
import io.nicq.proto.sbe.RequestedService;
import io.nicq.sim.SimulatedCard;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.nicq.ixgbe.Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Placement by the card driver over the real protocol, with a simulated card and served queues: thousands of filters
 * of several clients across the 5-tuple filters, the flow director and software, a frame for each landing in its
 * owner's queue (software ones copied through the forward ring), collisions in one flow director bucket, removal and
 * reuse, a full flow director spilling to software, and register/deregister cycles with nothing left behind.
 * <p>
 * Sizes are the by default; {@code -Dnicq.fdir.tcp}, {@code -Dnicq.fdir.udp} and {@code -Dnicq.fdir.cycles}
 * (CI default 10,000; the full run is 100,000) change them.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class FilterPlacementTest
{
    private static final int CARD_IP = 0x0A000001;
    private static final int PEER_IP = 0x0A000002;
    private static final long PEER_MAC = 0x02_00_00_00_00_99L;
    private static final int CLIENTS = 4;
    private static final int BATCH = 32;
    private static final int TCP_CONNECTIONS = Integer.getInteger("nicq.fdir.tcp", 1000);
    private static final int UDP_PORTS = Integer.getInteger("nicq.fdir.udp", 4000);
    private static final int CYCLES = Integer.getInteger("nicq.fdir.cycles", 10_000);

    @TempDir
    Path dir;

    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private SimulatedCard card;
    private SimulatedNic nic;
    private CardDriver driver;
    private final List<ControlSession> clients = new ArrayList<>();
    private final Map<Integer, ChannelClient> channels = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.ScheduledExecutorService heartbeats =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor();

    private void start(final int pballoc)
    {
        card = SimulatedCard.launch(new SimulatedCard.Context().cardName("fdir").baseDir(dir.resolve("sim"))
            .wireSpec("memory"));
        nic = card.openNic();
        driver = CardDriver.launch(new CardDriver.Context()
            .instance("fdir")
            .baseDir(dir.resolve("nicq"))
            .nic(nic)
            .ipv4("10.0.0.1/24")
            .queueDriverMode(QueueDriverMode.THREAD)
            .queueDriverIdle("backoff")
            .queueDriverReadOnlyRxRing(false)   // ChannelClient takes frames from rxReady itself
            .flowDirectorAllocation(pballoc)
            .out(new PrintStream(logBytes, true, StandardCharsets.UTF_8)));
        // The test reads each channel only now and then; a client heart-beats its channels all along.
        heartbeats.scheduleAtFixedRate(() -> channels.values().forEach(ChannelClient::heartbeat), 0, 200,
            TimeUnit.MILLISECONDS);
    }

    /** A connected, heart-beating client with one served queue whose channel the test reads. */
    private ControlSession client(final String name)
    {
        final ControlSession client = new ControlSession(driver.aeronDirectoryName());
        clients.add(client);
        client.connect(name);
        client.startHeartbeats(100);
        final CardDriverProxy.QueueGranted granted = client.requestQueue(256, 1024, RequestedService.SERVED);
        channels.put(granted.queueId(), new ChannelClient(granted.channelPath()));
        return client;
    }

    private int queueOf(final ControlSession client)
    {
        return clients.indexOf(client) + 1;
    }

    @AfterEach
    void stop()
    {
        heartbeats.shutdownNow();
        CloseHelper.quietCloseAll(channels.values());
        CloseHelper.quietCloseAll(clients);
        CloseHelper.quietCloseAll(driver, nic, card);
    }

    /** One filter and the frame that must reach its queue. */
    private record Expected(byte[] frame, int queue, FilterPlacement placement)
    {
    }

    @Test
    void thousandsOfFiltersOfSeveralClientsEachSteerTheirFramesWhereverPlaced() throws Exception
    {
        start(FDIRCTRL_PBALLOC_256K);
        for (int c = 0; c < CLIENTS; c++)
        {
            client("client-" + c);
        }
        final List<Expected> expected = new ArrayList<>();
        for (int i = 0; i < UDP_PORTS; i++)
        {
            final ControlSession client = clients.get(i % CLIENTS);
            final int port = 10_000 + i;
            final CardDriverProxy.FilterRegistered filter = client.registerFilter(queueOf(client), FilterKind.UDP_PORT,
                port);
            expected.add(new Expected(TestFrames.udp(card.mac(), PEER_MAC, PEER_IP, CARD_IP, 7, port, new byte[8]),
                queueOf(client), filter.placement()));
        }
        for (int i = 0; i < TCP_CONNECTIONS; i++)
        {
            final ControlSession client = clients.get(i % CLIENTS);
            final int localPort = 80 + (i % CLIENTS);
            final int remotePort = 20_000 + i;
            final CardDriverProxy.FilterRegistered filter = client.registerFilter(queueOf(client),
                FilterKind.TCP_CONNECTION, localPort, PEER_IP, remotePort);
            expected.add(new Expected(TestFrames.tcpSyn(card.mac(), PEER_MAC, PEER_IP, CARD_IP, remotePort,
                localPort), queueOf(client), filter.placement()));
        }

        final Map<FilterPlacement, Integer> placed = count(expected);
        final int fiveTuple = Math.min(FIVE_TUPLE_FILTER_COUNT, UDP_PORTS + TCP_CONNECTIONS);
        assertEquals(fiveTuple, placed.getOrDefault(FilterPlacement.FIVE_TUPLE, 0), placed.toString());
        assertEquals(Math.max(0, UDP_PORTS - FIVE_TUPLE_FILTER_COUNT), placed.getOrDefault(FilterPlacement.SOFTWARE, 0),
            "UDP port filters beyond the 5-tuple filters: software (the flow director holds connections)");
        assertEquals(UDP_PORTS >= FIVE_TUPLE_FILTER_COUNT ? TCP_CONNECTIONS : 0,
            placed.getOrDefault(FilterPlacement.FLOW_DIRECTOR, 0), "connections: the flow director");
        final CardDriverProxy.Stats stats = clients.get(0).queryStats();
        assertEquals(UDP_PORTS + TCP_CONNECTIONS, stats.filtersInUse());
        assertEquals(new CardDriverProxy.FiltersFree(FIVE_TUPLE_FILTER_COUNT - fiveTuple,
            8192 - placed.getOrDefault(FilterPlacement.FLOW_DIRECTOR, 0),
            SoftwareFilters.DEFAULT_LIMIT - placed.getOrDefault(FilterPlacement.SOFTWARE, 0)), stats.free());
        assertEquals(8192 - placed.getOrDefault(FilterPlacement.FLOW_DIRECTOR, 0),
            nic.bar().read(FDIRFREE) & FDIRFREE_FREE_MASK, "the card's FDIRFREE agrees");

        deliverAll(expected);
        assertTrue(counter("default queue frames forwarded by software filters") >=
            placed.getOrDefault(FilterPlacement.SOFTWARE, 0));
        assertEquals(0, counter("default queue drops: software filter's queue forward ring full"));
    }

    @Test
    void collisionsInOneBucketRemovalAndReuseAndAFullTableSpillingToSoftware() throws Exception
    {
        start(FDIRCTRL_PBALLOC_64K);
        final ControlSession a = client("a");
        final ControlSession b = client("b");
        for (int i = 0; i < FIVE_TUPLE_FILTER_COUNT; i++)
        {
            b.registerFilter(queueOf(b), FilterKind.UDP_PORT, 30_000 + i);
        }

        // Remote ports whose connections to :80 share one flow director bucket (the perfect-match hash, 11 bits).
        final int bucket = bucketOf(80, 1024);
        final List<Integer> colliding = new ArrayList<>();
        for (int port = 1024; port < 65536 && colliding.size() < 4; port++)
        {
            if (bucketOf(80, port) == bucket)
            {
                colliding.add(port);
            }
        }
        final List<Expected> expected = new ArrayList<>();
        final List<CardDriverProxy.FilterRegistered> collided = new ArrayList<>();
        for (final int port : colliding)
        {
            final CardDriverProxy.FilterRegistered filter = a.registerFilter(queueOf(a), FilterKind.TCP_CONNECTION,
                80, PEER_IP, port);
            assertEquals(FilterPlacement.FLOW_DIRECTOR, filter.placement());
            collided.add(filter);
            expected.add(new Expected(TestFrames.tcpSyn(card.mac(), PEER_MAC, PEER_IP, CARD_IP, port, 80),
                queueOf(a), filter.placement()));
        }
        assertEquals(colliding.size() - 1, (nic.bar().read(FDIRFREE) & FDIRFREE_COLL_MASK) >>> FDIRFREE_COLL_SHIFT,
            "the card counts the collisions");
        deliverAll(expected);

        // Removal and reuse: the middle of the chain goes, its SW index comes back, the rest still match.
        a.deregisterFilter(collided.get(1).filterId());
        final CardDriverProxy.FilterRegistered reused = a.registerFilter(queueOf(a), FilterKind.TCP_CONNECTION, 81,
            PEER_IP, 5555);
        assertEquals(collided.get(1).hardwareIndex(), reused.hardwareIndex(), "the freed SW index is reused");
        expected.remove(1);
        expected.add(new Expected(TestFrames.tcpSyn(card.mac(), PEER_MAC, PEER_IP, CARD_IP, 5555, 81), queueOf(a),
            FilterPlacement.FLOW_DIRECTOR));
        deliverAll(expected);
        inject(TestFrames.tcpSyn(card.mac(), PEER_MAC, PEER_IP, CARD_IP, colliding.get(1), 80));
        assertNull(channels.get(queueOf(a)).awaitFrame(300), "the removed connection is no longer steered");

        // Fill the flow director (2K with PBALLOC 64K): what does not fit goes to software, still delivered.
        final int free = a.queryStats().free().flowDirector();
        for (int i = 0; i < free; i++)
        {
            assertEquals(FilterPlacement.FLOW_DIRECTOR, a.registerFilter(queueOf(a), FilterKind.TCP_CONNECTION, 90,
                PEER_IP, 1000 + i).placement());
        }
        assertEquals(0, nic.bar().read(FDIRFREE) & FDIRFREE_FREE_MASK, "the card's table is full");
        final List<Expected> spilled = new ArrayList<>();
        for (int i = 0; i < 50; i++)
        {
            final CardDriverProxy.FilterRegistered filter = a.registerFilter(queueOf(a), FilterKind.TCP_CONNECTION,
                91, PEER_IP, 2000 + i);
            assertEquals(FilterPlacement.SOFTWARE, filter.placement(), "the flow director is full");
            spilled.add(new Expected(TestFrames.tcpSyn(card.mac(), PEER_MAC, PEER_IP, CARD_IP, 2000 + i, 91),
                queueOf(a), filter.placement()));
        }
        spilled.add(new Expected(TestFrames.tcpSyn(card.mac(), PEER_MAC, PEER_IP, CARD_IP, 1000, 90), queueOf(a),
            FilterPlacement.FLOW_DIRECTOR));
        deliverAll(spilled);
        assertEquals(0, a.queryStats().free().flowDirector());
    }

    @Test
    void registerDeregisterCyclesAcrossTheThreePlacementsLeaveNothingBehind() throws Exception
    {
        start(FDIRCTRL_PBALLOC_256K);
        final ControlSession a = client("a");
        for (int i = 0; i < FIVE_TUPLE_FILTER_COUNT - 1; i++)
        {
            a.registerFilter(queueOf(a), FilterKind.UDP_PORT, 30_000 + i);
        }
        final CardDriverProxy.FiltersFree before = a.queryStats().free();
        final Bar bar = nic.bar();
        final int fdirFreeBefore = bar.read(FDIRFREE) & FDIRFREE_FREE_MASK;
        int fiveTupleIndex = -1;
        int flowDirectorIndex = -1;
        for (int cycle = 0; cycle < CYCLES; cycle++)
        {
            // The one free 5-tuple slot, then (5-tuple full) a connection to the flow director, a UDP port to software.
            final CardDriverProxy.FilterRegistered first = a.registerFilter(queueOf(a), FilterKind.UDP_PORT, 7000);
            final CardDriverProxy.FilterRegistered second = a.registerFilter(queueOf(a), FilterKind.TCP_CONNECTION,
                8000, PEER_IP, 10_000 + cycle % 50_000);
            final CardDriverProxy.FilterRegistered third = a.registerFilter(queueOf(a), FilterKind.UDP_PORT, 7001);
            assertEquals(FilterPlacement.FIVE_TUPLE, first.placement());
            assertEquals(FilterPlacement.FLOW_DIRECTOR, second.placement());
            assertEquals(FilterPlacement.SOFTWARE, third.placement());
            if (cycle == 0)
            {
                fiveTupleIndex = first.hardwareIndex();
                flowDirectorIndex = second.hardwareIndex();
            }
            assertEquals(fiveTupleIndex, first.hardwareIndex(), "the same 5-tuple slot every cycle");
            assertEquals(flowDirectorIndex, second.hardwareIndex(), "the same SW index every cycle");
            if (cycle == 0 || cycle == CYCLES - 1)
            {
                deliverAll(List.of(
                    new Expected(TestFrames.udp(card.mac(), PEER_MAC, PEER_IP, CARD_IP, 9, 7000, new byte[4]),
                        queueOf(a), first.placement()),
                    new Expected(TestFrames.tcpSyn(card.mac(), PEER_MAC, PEER_IP, CARD_IP, 10_000 + cycle % 50_000,
                        8000), queueOf(a), second.placement()),
                    new Expected(TestFrames.udp(card.mac(), PEER_MAC, PEER_IP, CARD_IP, 9, 7001, new byte[4]),
                        queueOf(a), third.placement())));
            }
            a.deregisterFilter(third.filterId());
            a.deregisterFilter(second.filterId());
            a.deregisterFilter(first.filterId());
        }
        assertEquals(before, a.queryStats().free(), "every placement's free count is back");
        assertEquals(FIVE_TUPLE_FILTER_COUNT - 1, a.queryStats().filtersInUse());
        assertEquals(fdirFreeBefore, bar.read(FDIRFREE) & FDIRFREE_FREE_MASK, "the card's table is as before");
        assertEquals(0, bar.read(ftqf(fiveTupleIndex)), "the cycled 5-tuple slot is clear");
        assertEquals(0, counter("flow director adds refused by the card (FDIRFSTAT.FADD)"));
    }

    @Test
    void softwareForwardingLosesAndReordersNothingAlsoWhenAFilterMovesFromHardwareToSoftware() throws Exception
    {
        start(FDIRCTRL_PBALLOC_256K);
        final ControlSession a = client("a");
        final ControlSession b = client("b");
        final CardDriverProxy.FilterRegistered listener = a.registerFilter(queueOf(a), FilterKind.TCP_PORT, 80);
        assertEquals(FilterPlacement.FIVE_TUPLE, listener.placement());
        for (int i = 1; i < FIVE_TUPLE_FILTER_COUNT; i++)
        {
            b.registerFilter(queueOf(b), FilterKind.UDP_PORT, 30_000 + i);
        }
        final ChannelClient channel = channels.get(queueOf(a));
        final int total = 640;
        int expected = 0;
        // Bursts while the listener is a 5-tuple filter; right after one burst (its frames still on their way) a
        // connection on its port moves the listener to software (the connection takes its slot); bursts after that
        // go through the default queue and the forward ring. The client reads as it goes: every frame arrives, in
        // order.
        for (int sequence = 0; sequence < total; )
        {
            final int burstEnd = sequence + BATCH;
            for (; sequence < burstEnd; sequence++)
            {
                inject(numbered(sequence));
            }
            if (sequence == total / 2)
            {
                final CardDriverProxy.FilterRegistered connection = a.registerFilter(queueOf(a),
                    FilterKind.TCP_CONNECTION, 80, PEER_IP, 6000);
                assertEquals(FilterPlacement.FIVE_TUPLE, connection.placement());
                assertEquals(1, counter("filters moved to software (precedence kept)"));
                continue;
            }
            for (; expected < sequence; expected++)
            {
                final byte[] frame = channel.awaitFrame(10_000);
                final int lost = expected;
                assertNotNull(frame, () -> "frame " + lost + " of " + total + " lost\n" + stat());
                assertEquals(expected, sequenceOf(frame), "in order");
            }
        }
        assertNull(channel.awaitFrame(100));
        final long forwarded = counter("default queue frames forwarded by software filters");
        assertTrue(forwarded >= total / 2 && forwarded <= total, "forwarded " + forwarded);
        // The queue driver's counters reach nicq stat through the card driver's sampler, a moment later.
        final String delivered = "queue " + queueOf(a) + " driver rx-forwarded";
        final long sampledBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (counter(delivered) != forwarded && System.nanoTime() < sampledBy)
        {
            Thread.sleep(50);
        }
        assertEquals(forwarded, counter(delivered), "every frame the card driver forwarded, the queue driver delivered");
        assertEquals(0, counter("default queue drops: software filter's queue forward ring full"));
    }

    /**
     * The time to register a filter through the control protocol, per placement, beside a heartbeat round trip in the
     * same run (the protocol with no register writes): printed and written to target/fdir-figures.txt for
     * docs/performance.md. {@code -Dnicq.fdir.samples} sets the registrations per placement (default 1,000).
     */
    @Test
    void registrationTimePerPlacement() throws Exception
    {
        final int samples = Integer.getInteger("nicq.fdir.samples", 1000);
        start(FDIRCTRL_PBALLOC_256K);
        final ControlSession a = client("a");
        final long[] heartbeat = new long[samples];
        final long[] fiveTuple = new long[samples];
        final long[] flowDirector = new long[samples];
        final long[] software = new long[samples];
        for (int i = 0; i < samples; i++)
        {
            final long t0 = System.nanoTime();
            a.heartbeat();
            heartbeat[i] = System.nanoTime() - t0;
        }
        for (int i = 0; i < samples; i++)
        {
            final long t0 = System.nanoTime();
            final CardDriverProxy.FilterRegistered filter = a.registerFilter(queueOf(a), FilterKind.UDP_PORT, 7000);
            fiveTuple[i] = System.nanoTime() - t0;
            assertEquals(FilterPlacement.FIVE_TUPLE, filter.placement());
            a.deregisterFilter(filter.filterId());
        }
        for (int i = 0; i < FIVE_TUPLE_FILTER_COUNT; i++)
        {
            a.registerFilter(queueOf(a), FilterKind.UDP_PORT, 30_000 + i);
        }
        for (int i = 0; i < samples; i++)
        {
            final long t0 = System.nanoTime();
            final CardDriverProxy.FilterRegistered filter = a.registerFilter(queueOf(a), FilterKind.TCP_CONNECTION,
                80, PEER_IP, 10_000 + i);
            flowDirector[i] = System.nanoTime() - t0;
            assertEquals(FilterPlacement.FLOW_DIRECTOR, filter.placement());
        }
        for (int i = 0; i < samples; i++)
        {
            final long t0 = System.nanoTime();
            final CardDriverProxy.FilterRegistered filter = a.registerFilter(queueOf(a), FilterKind.UDP_PORT,
                40_000 + i);
            software[i] = System.nanoTime() - t0;
            assertEquals(FilterPlacement.SOFTWARE, filter.placement());
        }
        final long base = median(heartbeat);
        final String figures = String.format(java.util.Locale.ROOT,
            "registration through the control protocol, %d samples each, median (p99), ratio to a heartbeat:%n" +
            "  heartbeat round trip  %s%n  5-tuple               %s  %.2fx%n  flow director         %s  %.2fx%n" +
            "  software              %s  %.2fx%n", samples, micros(heartbeat), micros(fiveTuple),
            (double)median(fiveTuple) / base, micros(flowDirector), (double)median(flowDirector) / base,
            micros(software), (double)median(software) / base);
        System.out.print(figures);
        java.nio.file.Files.createDirectories(Path.of("target"));
        java.nio.file.Files.writeString(Path.of("target/fdir-figures.txt"), figures);
    }

    private static long median(final long[] samples)
    {
        final long[] sorted = samples.clone();
        java.util.Arrays.sort(sorted);
        return sorted[(sorted.length - 1) / 2];
    }

    private static String micros(final long[] samples)
    {
        final long[] sorted = samples.clone();
        java.util.Arrays.sort(sorted);
        return String.format(java.util.Locale.ROOT, "%6.1f us (%6.1f us)", sorted[(sorted.length - 1) / 2] / 1e3,
            sorted[Math.min(sorted.length - 1, (int)(sorted.length * 0.99))] / 1e3);
    }

    /** A TCP segment to the listener from a source that has no connection filter, its sequence number in the port. */
    private byte[] numbered(final int sequence)
    {
        final byte[] frame = TestFrames.tcpSyn(card.mac(), PEER_MAC, PEER_IP, CARD_IP, 7000, 80);
        frame[38] = (byte)(sequence >>> 24);
        frame[39] = (byte)(sequence >>> 16);
        frame[40] = (byte)(sequence >>> 8);
        frame[41] = (byte)sequence;
        return frame;
    }

    private static int sequenceOf(final byte[] frame)
    {
        return (frame[38] & 0xFF) << 24 | (frame[39] & 0xFF) << 16 | (frame[40] & 0xFF) << 8 | frame[41] & 0xFF;
    }

    private static int bucketOf(final int localPort, final int remotePort)
    {
        return FlowDirectorHash.perfectBucket(FDIR_BUCKET_HASH_KEY, FDIRCTRL_PBALLOC_64K, FDIR_FLOW_TYPE_TCPV4,
            CARD_IP, PEER_IP, remotePort, localPort);
    }

    private static Map<FilterPlacement, Integer> count(final List<Expected> expected)
    {
        final Map<FilterPlacement, Integer> placed = new EnumMap<>(FilterPlacement.class);
        for (final Expected e : expected)
        {
            placed.merge(e.placement(), 1, Integer::sum);
        }
        return placed;
    }

    /** Injects the frames in batches and checks that each arrives, once, in its queue and nowhere else. */
    private void deliverAll(final List<Expected> expected) throws InterruptedException
    {
        for (int from = 0; from < expected.size(); from += BATCH)
        {
            final List<Expected> batch = expected.subList(from, Math.min(expected.size(), from + BATCH));
            final Map<Integer, List<String>> waiting = new HashMap<>();
            for (final Expected e : batch)
            {
                inject(e.frame());
                waiting.computeIfAbsent(e.queue(), q -> new ArrayList<>()).add(key(e.frame()));
            }
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            for (final Map.Entry<Integer, List<String>> entry : waiting.entrySet())
            {
                final ChannelClient channel = channels.get(entry.getKey());
                final List<String> keys = entry.getValue();
                while (!keys.isEmpty())
                {
                    final byte[] frame = channel.awaitFrame(Math.max(1,
                        TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                    if (frame == null)
                    {
                        fail("queue " + entry.getKey() + " is missing " + keys.size() + " frames, e.g. " +
                            keys.get(0) + " (" + placementOf(batch, keys.get(0)) + ")\n" + logBytes + "\n" + stat());
                    }
                    assertTrue(keys.remove(key(frame)), "queue " + entry.getKey() + " got a frame that is not its: " +
                        key(frame));
                }
            }
            for (final Map.Entry<Integer, ChannelClient> entry : channels.entrySet())
            {
                entry.getValue().heartbeat();
                assertNull(entry.getValue().awaitFrame(0), "nothing more in queue " + entry.getKey());
            }
        }
    }

    private static FilterPlacement placementOf(final List<Expected> batch, final String key)
    {
        return batch.stream().filter(e -> key(e.frame()).equals(key)).map(Expected::placement).findFirst()
            .orElse(null);
    }

    /** Protocol, source and destination port of a frame: what identifies it among the test's frames. */
    private static String key(final byte[] frame)
    {
        return frame[23] + ":" + ((frame[34] & 0xFF) << 8 | frame[35] & 0xFF) + ">" +
            ((frame[36] & 0xFF) << 8 | frame[37] & 0xFF);
    }

    private void inject(final byte[] frame) throws InterruptedException
    {
        for (int attempt = 0; !card.memoryWire().inject(frame); attempt++)
        {
            assertTrue(attempt < 10_000, "the wire stayed full");
            Thread.sleep(1);
        }
    }

    private String stat()
    {
        final java.io.StringWriter text = new java.io.StringWriter();
        final picocli.CommandLine commandLine = new picocli.CommandLine(new StatCommand());
        commandLine.setOut(new java.io.PrintWriter(text));
        commandLine.execute("--instance", "fdir", "--dir", dir.resolve("nicq").toString(), "--once",
            "--view", "counters");
        return text.toString();
    }

    /** A counter as {@code nicq stat} prints it (the free and in-use filters of each placement are among them). */
    private long counter(final String label)
    {
        final java.io.StringWriter text = new java.io.StringWriter();
        final picocli.CommandLine commandLine = new picocli.CommandLine(new StatCommand());
        commandLine.setOut(new java.io.PrintWriter(text));
        assertEquals(0, commandLine.execute("--instance", "fdir", "--dir", dir.resolve("nicq").toString(), "--once",
            "--view", "counters"),
            text.toString());
        final long value = CardDriverEmbeddedTest.counter(text.toString(), label);
        assertNotEquals(-1, value, "nicq stat shows '" + label + "'\n" + text);
        return value;
    }
}
