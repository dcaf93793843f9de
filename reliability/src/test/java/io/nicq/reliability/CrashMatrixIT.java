package io.nicq.reliability;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import io.nicq.ixgbe.Registers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The crash matrix: kill -9 of each process of nicq (a client, a queue driver, the card driver, the simulated card)
 * in the middle of traffic, {@code -Dnicq.crash.repetitions} times each, every process its own JVM ({@link
 * ProcessCluster}). Three {@link EchoClient}s (client-lib: NicClient, a PROCESS queue, a UdpSocket echoing) each
 * get a flow of sequenced datagrams from the far end of the card's cable, at most {@value #WINDOW} in flight per flow,
 * and every echo names the flow and the client that echoed it. After each kill:
 * <ul>
 *   <li>no surviving client lost a datagram or received another's (every echo accounted for, in its own flow);</li>
 *   <li>what the dead process held is reclaimed — queue, filter register, channel file, IOMMU entries, the card
 *       driver's counters — and the time from the kill until all of it is measured;</li>
 *   <li>the clients affected report a clear error (the time from the kill is measured from their own log);</li>
 *   <li>a restart works: the dead process comes back (or the client gets a new queue) and traffic flows again.</li>
 * </ul>
 * The figures (p50 and max over the repetitions) go to {@code target/reliability/figures.txt}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class CrashMatrixIT
{
    private static final int WINDOW = 8;
    private static final int CLIENTS = 3;
    private static final int FIRST_PORT = 8101;
    private static final long RECLAIM_TIMEOUT_MS = 15_000;

    private final int repetitions = (int)Figures.bound("nicq.crash.repetitions", 2);
    private ProcessCluster cluster;
    private final List<ProcessCluster.Client> clients = new ArrayList<>();
    private final Map<Long, Flow> flows = new HashMap<>();

    /** One client's datagrams: what was sent and not yet echoed, and what went wrong. */
    static final class Flow
    {
        final long tag;
        final int port;
        long nextSequence;
        boolean paused;
        final TreeSet<Long> outstanding = new TreeSet<>();
        final TreeSet<Long> inFlightAtKill = new TreeSet<>();
        long echoed;
        long lostAtKill;
        long foreign;
        long unknown;

        Flow(final long tag, final int port)
        {
            this.tag = tag;
            this.port = port;
        }
    }

    @BeforeAll
    void startCluster()
    {
        cluster = new ProcessCluster();
        cluster.startSim();
        cluster.startCardDriver();
        for (int i = 0; i < CLIENTS; i++)
        {
            final long tag = 100 + i;
            flows.put(tag, new Flow(tag, FIRST_PORT + i));
            clients.add(cluster.startClient(tag, FIRST_PORT + i));
        }
    }

    @AfterAll
    void stopCluster()
    {
        long echoed = 0;
        long lost = 0;
        long foreign = 0;
        for (final Flow flow : flows.values())
        {
            echoed += flow.echoed;
            lost += flow.lostAtKill;
            foreign += flow.foreign + flow.unknown;
        }
        Figures.record(CrashMatrixIT.class.getSimpleName(), "datagrams echoed / in flight to a killed process / " +
            "foreign or unaccounted", echoed + " / " + lost + " / " + foreign);
        if (cluster != null)
        {
            cluster.close();
        }
    }

    /** Every test starts from a healthy cluster: all clients serving, traffic flowing, nothing outstanding. */
    @BeforeEach
    void healthy()
    {
        // A failed test may have left the card or the card driver dead: the next one starts whole again.
        if (!cluster.sim().isAlive())
        {
            cluster.rememberChildren(cluster.cardDriver());
            ProcessCluster.kill(cluster.cardDriver().toHandle());
            cluster.startSim();
        }
        if (!cluster.cardDriver().isAlive())
        {
            cluster.rememberChildren(cluster.cardDriver());
            cluster.startCardDriver();
        }
        for (int i = 0; i < clients.size(); i++)
        {
            if (!clients.get(i).process.isAlive())
            {
                final ProcessCluster.Client dead = clients.get(i);
                clients.set(i, cluster.startClient(dead.tag, dead.port));
            }
        }
        flows.values().forEach(flow -> flow.paused = false);
        pump(200);
        drainAll(flows.keySet().stream().toList(), "before the test");
    }

    @Test
    @Order(1)
    void killedClientIsReclaimedOthersLoseNothingAndItsRestartWorks()
    {
        final List<Double> reclaim = new ArrayList<>();
        final List<Double> restart = new ArrayList<>();
        for (int r = 0; r < repetitions; r++)
        {
            final int index = r % CLIENTS;
            final ProcessCluster.Client victim = clients.get(index);
            final int queue = victim.queueId;
            final int slot = victim.filterSlot;
            final long driverPid = victim.queueDriverPid;
            final long connectedBefore = cluster.counters().getOrDefault("clients connected", -1L);

            pump(300);
            final long killNs = killMidTraffic(victim.process.toHandle(), victim.tag);
            reclaim.add(untilReclaimed(killNs, "client " + victim.tag, () ->
                !Files.exists(cluster.paths().queueChannel(queue)) &&
                cluster.register(Registers.ftqf(slot)) == 0 &&
                ProcessCluster.isGone(driverPid) &&
                cluster.iommuEntriesOf(driverPid) == 0 &&
                cluster.counters().getOrDefault("clients connected", -1L) == connectedBefore - 1));
            drainAll(survivors(victim.tag), "after client " + victim.tag + " was killed");

            final long startNs = System.nanoTime();
            clients.set(index, cluster.startClient(victim.tag, victim.port));
            restart.add((System.nanoTime() - startNs) / 1e6);
            flows.get(victim.tag).paused = false;
            pump(300);
            drainAll(flows.keySet().stream().toList(), "after client " + victim.tag + " restarted");
        }
        record("client kill -9: reclaim (queue, filter, channel file, queue driver, IOMMU, counters)", reclaim);
        record("client kill -9: restart (new JVM to serving)", restart);
    }

    @Test
    @Order(2)
    void killedQueueDriverIsReclaimedItsClientToldAndGivenANewQueue()
    {
        final List<Double> reclaim = new ArrayList<>();
        final List<Double> told = new ArrayList<>();
        final List<Double> recovered = new ArrayList<>();
        for (int r = 0; r < repetitions; r++)
        {
            final int index = r % CLIENTS;
            final ProcessCluster.Client victim = clients.get(index);
            final int queue = victim.queueId;
            final long driverPid = victim.queueDriverPid;
            final long failuresBefore = cluster.counters().getOrDefault("queue drivers failed", 0L);
            final Object channelFile = fileKey(cluster.paths().queueChannel(queue));

            pump(300);
            final long killNs = killMidTraffic(handleOf(driverPid), victim.tag);
            // The client asks for a new queue as soon as it is told, and may be given the same one again: the old
            // channel file is gone when the path is gone or names a new file.
            reclaim.add(untilReclaimed(killNs, "queue driver of client " + victim.tag, () ->
                !channelFile.equals(fileKey(cluster.paths().queueChannel(queue))) &&
                cluster.iommuEntriesOf(driverPid) == 0 &&
                cluster.counters().getOrDefault("queue drivers failed", 0L) > failuresBefore));
            Await.until(() -> victim.firstLineAt(killNs, "REVOKED", "STOPPED") > 0, RECLAIM_TIMEOUT_MS, 5,
                () -> "client " + victim.tag + " is told its queue is gone\n" + String.join("\n", victim.lines()));
            told.add((victim.firstLineAt(killNs, "REVOKED", "STOPPED") - killNs) / 1e6);
            assertTrue(victim.lines().stream().anyMatch(l -> l.startsWith("REVOKED QUEUE_DRIVER_FAILED")),
                "the client is told why: " + victim.lines());
            drainAll(survivors(victim.tag), "after the queue driver of " + victim.tag + " was killed");

            cluster.awaitReady(victim, killNs);
            recovered.add((victim.firstLineAt(killNs, "READY") - killNs) / 1e6);
            flows.get(victim.tag).paused = false;
            pump(300);
            drainAll(flows.keySet().stream().toList(), "after client " + victim.tag + " got a new queue");
        }
        record("queue driver kill -9: reclaim (queue freed, IOMMU entries of the dead pid, failure counted)",
            reclaim);
        record("queue driver kill -9: client told (QueueRevoked QUEUE_DRIVER_FAILED)", told);
        record("queue driver kill -9: client serving again on a new queue (new queue driver JVM)", recovered);
    }

    @Test
    @Order(3)
    void killedCardDriverLeavesNoOrphansClientsReportItAndARestartCleansUpAndServes()
    {
        final List<Double> orphans = new ArrayList<>();
        final List<Double> reported = new ArrayList<>();
        final List<Double> restart = new ArrayList<>();
        int rawLoss = 0;
        for (int r = 0; r < repetitions; r++)
        {
            final List<Long> driverPids = clients.stream().map(c -> c.queueDriverPid).toList();
            final long cardDriverPid = cluster.cardDriver().pid();
            cluster.rememberChildren(cluster.cardDriver());
            pump(300);
            final long killNs = killMidTraffic(cluster.cardDriver().toHandle(), 0);
            flows.values().forEach(flow -> pause(flow));

            orphans.add(untilReclaimed(killNs, "queue drivers of the dead card driver",
                () -> driverPids.stream().allMatch(ProcessCluster::isGone)));
            Await.until(() -> clients.stream().allMatch(c -> c.firstLineAt(killNs, "STOPPED", "LOST") > 0),
                RECLAIM_TIMEOUT_MS, 10, () -> "every client reports that its queue or card driver is gone: " +
                clients.stream().map(c -> c.tag + " " + c.lines()).toList());
            reported.add(clients.stream().mapToDouble(c -> (c.firstLineAt(killNs, "STOPPED", "LOST") - killNs) / 1e6)
                .max().orElseThrow());
            Await.until(() -> clients.stream().noneMatch(c -> c.process.isAlive()), RECLAIM_TIMEOUT_MS, 10,
                () -> "clients exit once the card driver is gone (LOST)");
            for (final ProcessCluster.Client client : clients)
            {
                assertEquals(3, client.process.exitValue(), "client " + client.tag + " exits with LOST: " +
                    client.lines());
                rawLoss += client.lines().stream().anyMatch(l -> l.startsWith("LOST (not a NicException)")) ?
                    1 : 0;
            }
            assertTrue(Files.exists(cluster.paths().pidFile()), "kill -9 leaves the instance for the next start");

            final long restartNs = System.nanoTime();
            cluster.startCardDriver();
            restart.add((System.nanoTime() - restartNs) / 1e6);
            assertEquals(List.of("card-driver.pid", "control-wake", "counters", "queues/0"), cluster.instanceFiles(),
                "the new card driver removed what the old one left");
            for (int i = 0; i < Registers.FIVE_TUPLE_FILTER_COUNT; i++)
            {
                assertEquals(0, cluster.register(Registers.ftqf(i)), "5-tuple filter " + i + " cleared");
            }
            assertEquals(0, cluster.iommuEntriesOf(cardDriverPid), "no IOMMU entry of the dead card driver");
            for (final long pid : driverPids)
            {
                assertEquals(0, cluster.iommuEntriesOf(pid), "no IOMMU entry of dead queue driver " + pid);
            }
            healthy();
        }
        Figures.record(CrashMatrixIT.class.getSimpleName(), "card driver kill -9: clients whose NicClient failed " +
            "with something other than a NicException", rawLoss + " of " + repetitions * CLIENTS);
        record("card driver kill -9: its queue drivers exit (orphans gone)", orphans);
        record("card driver kill -9: every client reports it (STOPPED/LOST)", reported);
        record("card driver kill -9: restart to ready, stale instance cleaned (new JVM)", restart);
    }

    @Test
    @Order(4)
    void killedSimulatedCardLosesNothingForeignAndARestartOfCardAndDriversServes()
    {
        final List<Double> restart = new ArrayList<>();
        int clientsReporting = 0;
        for (int r = 0; r < repetitions; r++)
        {
            pump(300);
            final long killNs = killMidTraffic(cluster.sim().toHandle(), 0);
            flows.values().forEach(flow -> pause(flow));
            // Nothing in nicq watches the device (see the disabled test below): give the processes 3 s to notice.
            Await.sleep(3_000);
            for (final ProcessCluster.Client client : clients)
            {
                clientsReporting += client.firstLineAt(killNs, "STOPPED", "LOST", "ERROR", "REVOKED") > 0 ? 1 : 0;
            }
            assertNoForeign();

            // Recovery: a new card, then a new card driver (the old one holds the dead card's registers), then the
            // clients, which the old card driver's end has stopped.
            final long restartNs = System.nanoTime();
            cluster.rememberChildren(cluster.cardDriver());
            ProcessCluster.kill(cluster.cardDriver().toHandle());
            cluster.startSim();
            cluster.startCardDriver();
            Await.until(() -> clients.stream().noneMatch(c -> c.process.isAlive()), RECLAIM_TIMEOUT_MS, 10,
                () -> "the clients of the replaced card driver exit");
            healthy();
            restart.add((System.nanoTime() - restartNs) / 1e6);
        }
        record("simulated card kill -9: card, card driver and clients restarted and serving", restart);
        Figures.record(CrashMatrixIT.class.getSimpleName(), "simulated card kill -9: clients reporting an error " +
            "within 3 s", clientsReporting + " of " + repetitions * CLIENTS);
    }

    @Test
    @Order(5)
    void killedSimulatedCardIsReportedToClientsWithinSeconds()
    {
        pump(300);
        final long killNs = killMidTraffic(cluster.sim().toHandle(), 0);
        Await.until(() -> clients.stream().allMatch(c -> c.firstLineAt(killNs, "STOPPED", "LOST", "ERROR",
            "REVOKED") > 0), 5_000, 10, () -> "every client reports that the card is gone");
    }

    // -----------------------------------------------------------------------------------------------------------

    private long killMidTraffic(final ProcessHandle process, final long victimTag)
    {
        pump(50);
        final long killNs = System.nanoTime();
        ProcessCluster.kill(process);
        if (victimTag != 0)
        {
            pause(flows.get(victimTag));
        }
        return killNs;
    }

    /** The flow of a client that is gone: what is in flight may or may not come back; nothing more is sent. */
    private void pause(final Flow flow)
    {
        flow.paused = true;
        flow.inFlightAtKill.addAll(flow.outstanding);
        flow.outstanding.clear();
    }

    /** Waits (pumping traffic for the others) until the condition holds; returns ms since the kill. */
    private double untilReclaimed(final long killNs, final String what, final java.util.function.BooleanSupplier done)
    {
        final long deadline = killNs + TimeUnit.MILLISECONDS.toNanos(RECLAIM_TIMEOUT_MS);
        while (!done.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                fail("what " + what + " held is not reclaimed within " + RECLAIM_TIMEOUT_MS + " ms: instance " +
                    cluster.instanceFiles() + ", counters " + cluster.counters());
            }
            pump(5);
        }
        return (System.nanoTime() - killNs) / 1e6;
    }

    /** Sends and receives for {@code ms}: each unpaused flow keeps {@value #WINDOW} datagrams in flight. */
    private void pump(final long ms)
    {
        final long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        do
        {
            int work = 0;
            for (final Flow flow : flows.values())
            {
                while (!flow.paused && flow.outstanding.size() < WINDOW)
                {
                    final long sequence = flow.nextSequence;
                    if (!cluster.inject(Traffic.udp(cluster.cardMac(), EmbeddedInstance.CARD_IP, flow.port,
                        flow.tag, sequence)))
                    {
                        break;
                    }
                    flow.nextSequence++;
                    flow.outstanding.add(sequence);
                    work++;
                }
            }
            work += cluster.receive(this::onEcho, 256);
            if (work == 0)
            {
                Await.sleep(1);
            }
        }
        while (System.nanoTime() < end);
    }

    private void onEcho(final byte[] frame)
    {
        if (!Traffic.isTraffic(frame, Traffic.PAYLOAD_OFFSET))
        {
            return;     // ARP and other frames of the default queue
        }
        final Flow flow = flows.get(Traffic.tag(frame, Traffic.PAYLOAD_OFFSET));
        final long sequence = Traffic.sequence(frame, Traffic.PAYLOAD_OFFSET);
        final long echoedBy = Traffic.echoedBy(frame, Traffic.PAYLOAD_OFFSET);
        if (flow == null)
        {
            fail("an echo of an unknown flow " + Traffic.tag(frame, Traffic.PAYLOAD_OFFSET));
        }
        if (echoedBy != flow.tag)
        {
            flow.foreign++;
            fail("datagram " + sequence + " of flow " + flow.tag + " was received by client " + echoedBy);
        }
        if (flow.outstanding.remove(sequence))
        {
            flow.echoed++;
        }
        else if (!flow.inFlightAtKill.remove(sequence))
        {
            flow.unknown++;
            fail("datagram " + sequence + " of flow " + flow.tag + " echoed twice or never sent");
        }
    }

    /** Waits until every datagram of these flows has come back: nothing lost. */
    private void drainAll(final List<Long> tags, final String when)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (tags.stream().anyMatch(tag -> !flows.get(tag).outstanding.isEmpty()))
        {
            if (System.nanoTime() > deadline)
            {
                final StringBuilder lost = new StringBuilder();
                tags.forEach(tag -> lost.append(" flow ").append(tag).append(": ")
                    .append(flows.get(tag).outstanding));
                fail("datagrams lost " + when + ":" + lost);
            }
            cluster.receive(this::onEcho, 256);
            Await.sleep(1);
        }
        // What was in flight to a dead process and has not come back by now was lost with it.
        for (final Flow flow : flows.values())
        {
            flow.lostAtKill += flow.inFlightAtKill.size();
            flow.inFlightAtKill.clear();
        }
        assertNoForeign();
    }

    private void assertNoForeign()
    {
        for (final Flow flow : flows.values())
        {
            assertEquals(0, flow.foreign, "flow " + flow.tag + ": datagrams received by another client");
            assertEquals(0, flow.unknown, "flow " + flow.tag + ": duplicate or unknown echoes");
        }
        for (final ProcessCluster.Client client : clients)
        {
            assertFalse(client.lines().stream().anyMatch(l -> l.startsWith("FOREIGN")), "client " + client.tag +
                " received another flow's datagram: " + client.lines());
        }
    }

    private List<Long> survivors(final long victimTag)
    {
        return flows.keySet().stream().filter(tag -> tag != victimTag).toList();
    }

    /** The identity of the file at a path (device and inode), or a fresh object if there is none. */
    private static Object fileKey(final java.nio.file.Path path)
    {
        try
        {
            return Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        }
        catch (final java.io.IOException ex)
        {
            return new Object();
        }
    }

    private static ProcessHandle handleOf(final long pid)
    {
        return ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("queue driver " + pid + " is not running"));
    }

    private void record(final String name, final List<Double> millis)
    {
        Figures.record(CrashMatrixIT.class.getSimpleName(), name, Figures.summary(millis));
    }
}
