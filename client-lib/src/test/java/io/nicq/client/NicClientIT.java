package io.nicq.client;

import io.nicq.card.CardDriver;
import io.nicq.card.QueueDriverMode;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.udp.UdpDatagram;
import io.nicq.client.udp.UdpHandler;
import io.nicq.client.udp.UdpLayer;
import io.nicq.client.udp.UdpSocket;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.ixgbe.SimulatedNic;
import io.nicq.packet.Ipv4Address;
import io.nicq.runtime.ChildJvm;
import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.sim.SimulatedCard;
import org.agrona.CloseHelper;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NicClient against real card drivers in this JVM: two simulated cards joined by a simulated cable, card driver "a"
 * (10.0.0.1, queue drivers as processes) and card driver "b" (10.0.0.2, queue drivers as threads). An RPC client on
 * "a" and a zero-copy UDP echo server on "b" exchange datagrams in every queue mode; errors come back typed; close
 * and process exit release everything.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NicClientIT
{
    private static final int IP_A = Ipv4Address.parse("10.0.0.1");
    private static final int IP_B = Ipv4Address.parse("10.0.0.2");
    private static final int ECHO_PORT = 7;
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(10);

    private Path dir;

    private String previousSimDir;
    private SimulatedCard cardA;
    private SimulatedCard cardB;
    private SimulatedNic nicA;
    private SimulatedNic nicB;
    private CardDriver driverA;
    private CardDriver driverB;
    private final ByteArrayOutputStream logA = new ByteArrayOutputStream();
    private final ByteArrayOutputStream logB = new ByteArrayOutputStream();

    @BeforeAll
    void launch(@TempDir final Path dir)
    {
        this.dir = dir;
        // Inline queue drivers open their card by spec ("sim:NAME"), which resolves under nicq.sim.dir.
        previousSimDir = System.getProperty(SimulatedCardFiles.DIR_PROPERTY);
        System.setProperty(SimulatedCardFiles.DIR_PROPERTY, dir.resolve("sim").toString());

        cardA = SimulatedCard.launch(new SimulatedCard.Context().cardName("ita").baseDir(dir.resolve("sim"))
            .wireSpec("cable:itcable:a").idleStrategy(idle()));
        cardB = SimulatedCard.launch(new SimulatedCard.Context().cardName("itb").baseDir(dir.resolve("sim"))
            .wireSpec("cable:itcable:b").idleStrategy(idle()));
        nicA = cardA.openNic();
        nicB = cardB.openNic();
        driverA = CardDriver.launch(cardDriver("a", nicA, "10.0.0.1/24", QueueDriverMode.PROCESS, logA));
        driverB = CardDriver.launch(cardDriver("b", nicB, "10.0.0.2/24", QueueDriverMode.THREAD, logB));
    }

    private CardDriver.Context cardDriver(
        final String instance,
        final SimulatedNic nic,
        final String address,
        final QueueDriverMode mode,
        final ByteArrayOutputStream log)
    {
        return new CardDriver.Context()
            .instance(instance)
            .baseDir(dir.resolve("nicq"))
            .nic(nic)
            .ipv4(address)
            .queueDriverMode(mode)
            .queueDriverIdle("sleep")
            .logDir(dir.resolve("logs"))
            .neighbourTimeoutNs(TimeUnit.MILLISECONDS.toNanos(300))
            .neighbourRetries(2)
            .defaultRingSize(64)
            .defaultSlotCount(256)
            .out(new PrintStream(log, true, StandardCharsets.UTF_8));
    }

    private static IdleStrategy idle()
    {
        return new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(10), TimeUnit.MICROSECONDS.toNanos(200));
    }

    @AfterAll
    void shutDown()
    {
        CloseHelper.quietCloseAll(driverA, driverB, nicA, nicB, cardA, cardB);
        if (previousSimDir == null)
        {
            System.clearProperty(SimulatedCardFiles.DIR_PROPERTY);
        }
        else
        {
            System.setProperty(SimulatedCardFiles.DIR_PROPERTY, previousSimDir);
        }
    }

    private NicClient connect(final String instance, final String name)
    {
        return NicClient.connect(new NicClient.Context()
            .instance(instance)
            .baseDir(dir.resolve("nicq"))
            .name(name)
            .requestTimeout(10, TimeUnit.SECONDS)
            .queueActivationTimeout(60, TimeUnit.SECONDS));
    }

    @Test
    void inlineClientThreadServer()
    {
        exchange(QueueService.INLINE, QueueService.SERVED, 40);
    }

    @Test
    void processClientInlineServer()
    {
        exchange(QueueService.SERVED, QueueService.INLINE, 40);
    }

    @Test
    void inlineBothEnds()
    {
        exchange(QueueService.INLINE, QueueService.INLINE, 40);
    }

    /** Card driver "a" serves queues with processes, "b" with threads. */
    private void exchange(final QueueService clientMode, final QueueService serverMode, final int requests)
    {
        final int queuesFreeBefore;
        final LatencyRecorder clientRecorder = new LatencyRecorder();
        final LatencyRecorder serverRecorder = new LatencyRecorder();
        try (NicClient server = connect("b", "echo-server");
            NicClient client = connect("a", "rpc-client"))
        {
            queuesFreeBefore = client.queuesFree();
            assertEquals(IP_A, client.ipv4());
            assertEquals(IP_B, server.ipv4());
            assertEquals(24, client.prefixLength());
            assertNotEquals(0, client.mac());

            final NicQueue serverQueue = server.requestQueue(serverMode);
            final NicQueue clientQueue = client.requestQueue(clientMode);
            assertEquals(clientMode == QueueService.INLINE ? QueueDriverPlacement.INLINE : QueueDriverPlacement.PROCESS,
                clientQueue.driverPlacement());
            assertEquals(serverMode == QueueService.INLINE ? QueueDriverPlacement.INLINE : QueueDriverPlacement.THREAD,
                serverQueue.driverPlacement());
            assertEquals(QueueChannelHeader.STATE_ACTIVE, clientQueue.channel().header().state());
            serverQueue.latencyRecorder(serverRecorder);
            clientQueue.latencyRecorder(clientRecorder);

            final Ipv4Interface serverIp = new Ipv4Interface(serverQueue, server);
            final Ipv4Interface clientIp = new Ipv4Interface(clientQueue, client);
            final UdpLayer serverUdp = new UdpLayer(serverIp);
            final UdpSocket echo = UdpSocket.open(serverUdp).bind(ECHO_PORT);
            final UdpSocket rpc = UdpSocket.open(new UdpLayer(clientIp)).bind(0);
            assertTrue(rpc.localPort() >= 49152);
            assertTrue(echo.filter().isRegistered());

            final UdpHandler echoHandler = UdpDatagram::reply;
            final String[] reply = new String[1];
            final int[] replyPort = new int[1];
            final UdpHandler replyHandler = datagram ->
            {
                reply[0] = datagram.buffer().getStringWithoutLengthAscii(datagram.offset(), datagram.length());
                replyPort[0] = datagram.sourcePort();
                assertEquals(IP_B, datagram.sourceAddress());
            };
            final UnsafeBuffer request = new UnsafeBuffer(new byte[64]);
            final IdleStrategy idle = new BackoffIdleStrategy(
                10, 20, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100));
            for (int i = 0; i < requests; i++)
            {
                final String text = "request " + i + " via " + clientMode + "/" + serverMode;
                final int length = request.putStringWithoutLengthAscii(0, text);
                reply[0] = null;
                assertEquals(length, rpc.send(IP_B, ECHO_PORT, request, 0, length));
                final long deadline = System.nanoTime() + WAIT_NS;
                idle.reset();
                while (reply[0] == null)
                {
                    idle.idle(echo.receive(echoHandler) + rpc.receive(replyHandler));
                    if (System.nanoTime() - deadline > 0)
                    {
                        throw new AssertionError("no echo of request " + i + " within 10 s; client stack drops " +
                            clientIp.dropsToString() + ", server stack drops " +
                            serverIp.dropsToString() + ", server received " +
                            serverQueue.framesReceived() + "\ncard driver a:\n" + logA + "\ncard driver b:\n" + logB);
                    }
                }
                assertEquals(text, reply[0]);
                assertEquals(ECHO_PORT, replyPort[0]);
            }
            // Let the last sends complete so that their TX phases are recorded too.
            final long deadline = System.nanoTime() + WAIT_NS;
            while ((clientQueue.framesCompleted() < requests || serverQueue.framesCompleted() < requests) &&
                System.nanoTime() - deadline < 0)
            {
                idle.idle(echo.receive(echoHandler) + rpc.receive(replyHandler));
            }

            assertEquals(0, clientIp.totalDrops(), clientIp.dropsToString());
            assertEquals(0, serverIp.totalDrops(), serverIp.dropsToString());
            assertEquals(requests, echo.datagramsReceived());
            assertEquals(requests, rpc.datagramsReceived());
            assertEquals(requests, clientRecorder.histogram(Phase.TX_ENQUEUE).getTotalCount());
            assertEquals(requests, clientRecorder.histogram(Phase.TX_DOORBELL).getTotalCount());
            assertEquals(requests, clientRecorder.histogram(Phase.RX_APP).getTotalCount());
            assertEquals(serverMode == QueueService.SERVED, serverQueue.readsRxRing(),
                "a served queue reads its RX ring itself (the card driver's default), an inline one has no need");
            if (serverQueue.readsRxRing())
            {
                // No queue driver between the device and the server: the driver's two RX phases are absent, not
                // zero, and rx-app runs from the device's write-back.
                assertEquals(0, serverRecorder.histogram(Phase.RX_DD).getTotalCount());
                assertEquals(0, serverRecorder.histogram(Phase.RX_RING).getTotalCount());
                assertEquals(requests, serverRecorder.histogram(Phase.RX_APP).getTotalCount());
            }
            else
            {
                assertEquals(requests, serverRecorder.histogram(Phase.RX_RING).getTotalCount());
                assertTrue(serverRecorder.histogram(Phase.RX_DD).getTotalCount() > 0, "simulated card stamps RX");
            }
            assertEquals(requests, serverRecorder.histogram(Phase.TURNAROUND).getTotalCount(),
                "the echo answers from the request's slot");
            assertTrue(clientRecorder.histogram(Phase.TX_WIRE).getTotalCount() > 0, "simulated card stamps TX");

            final NicException taken = assertThrows(NicException.class,
                () -> UdpSocket.open(serverUdp).bind(ECHO_PORT));
            assertEquals(NicException.Reason.PORT_IN_USE, taken.reason());

            echo.close();
            assertFalse(echo.filter().isRegistered());
            rpc.close();
            clientQueue.close();
            assertTrue(clientQueue.isClosed());
        }

        // Everything came back: the queues are free (the card driver stops queue drivers in the background) and the
        // port can be bound again.
        awaitQueuesFree("a", queuesFreeBefore);
        try (NicClient again = connect("a", "after"))
        {
            final NicQueue queue = again.requestQueue(QueueService.INLINE);
            udpSocket(again, queue).bind(ECHO_PORT).close();
        }
        try (NicClient again = connect("b", "after"))
        {
            final NicQueue queue = again.requestQueue(QueueService.INLINE);
            udpSocket(again, queue).bind(ECHO_PORT).close();
        }
    }

    /**
     * Run to completion inline: a reply sent by a handler inside poll is on the descriptor ring, doorbell rung, when
     * that poll returns (before, it waited in txReady for the next poll's driver round), and a send outside a poll is
     * there when send returns.
     */
    @Test
    void inlineSendsAreOnTheDescriptorRingWhenTheCallReturns()
    {
        try (NicClient server = connect("b", "rtc-server");
            NicClient client = connect("a", "rtc-client"))
        {
            final NicQueue serverQueue = server.requestQueue(QueueService.INLINE);
            final NicQueue clientQueue = client.requestQueue(QueueService.INLINE);
            final UdpSocket echo = UdpSocket.open(new UdpLayer(new Ipv4Interface(serverQueue, server))).bind(ECHO_PORT);
            final UdpSocket rpc = UdpSocket.open(new UdpLayer(new Ipv4Interface(clientQueue, client))).bind(0);
            final UdpHandler echoHandler = UdpDatagram::reply;
            final int[] replies = new int[1];
            final UdpHandler replyHandler = datagram -> replies[0]++;
            final UnsafeBuffer request = new UnsafeBuffer(new byte[64]);
            for (int i = 0; i < 5; i++)
            {
                final long clientHanded = handedToDescriptors(clientQueue);
                assertEquals(64, rpc.send(IP_B, ECHO_PORT, request, 0, 64));
                assertEquals(clientHanded + 1, handedToDescriptors(clientQueue), "request " + i + " on the ring");

                final long serverHanded = handedToDescriptors(serverQueue);
                final long deadline = System.nanoTime() + WAIT_NS;
                int received = 0;
                while (received == 0)
                {
                    received = echo.receive(echoHandler);
                    assertTrue(System.nanoTime() - deadline < 0, "request " + i + " reached the echo within 10 s");
                }
                assertEquals(serverHanded + 1, handedToDescriptors(serverQueue),
                    "the echo of request " + i + " is on the descriptor ring when the poll that sent it returns");
                final int before = replies[0];
                while (replies[0] == before)
                {
                    rpc.receive(replyHandler);
                    assertTrue(System.nanoTime() - deadline < 0, "the echo of request " + i + " came back in 10 s");
                }
            }
            echo.close();
            rpc.close();
        }
    }

    /** Frames the inline driver has put on its TX descriptor ring: those in flight and those completed. */
    private static long handedToDescriptors(final NicQueue queue)
    {
        return queue.inlineDriver().txInFlight() + queue.inlineDriver().counter(QueueChannelHeader.COUNTER_TX_PACKETS);
    }

    @Test
    void inlineRoundTripAllocatesNothingOnTheApplicationThread()
    {
        try (NicClient server = connect("b", "alloc-server");
            NicClient client = connect("a", "alloc-client"))
        {
            final NicQueue serverQueue = server.requestQueue(QueueService.INLINE);
            final NicQueue clientQueue = client.requestQueue(QueueService.INLINE);
            serverQueue.latencyRecorder(new LatencyRecorder());
            clientQueue.latencyRecorder(new LatencyRecorder());
            final Ipv4Interface serverIp = new Ipv4Interface(serverQueue, server);
            final Ipv4Interface clientIp = new Ipv4Interface(clientQueue, client);
            final UdpSocket echo = UdpSocket.open(new UdpLayer(serverIp)).bind(ECHO_PORT + 1);
            final UdpSocket rpc = UdpSocket.open(new UdpLayer(clientIp)).bind(0);
            final UdpHandler echoHandler = UdpDatagram::reply;
            final long[] replied = new long[1];
            final UdpHandler replyHandler = datagram -> replied[0] = datagram.buffer().getLong(datagram.offset());
            final UnsafeBuffer request = new UnsafeBuffer(new byte[32]);
            final IdleStrategy idle = new BackoffIdleStrategy(
                10, 20, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100));
            final Runnable roundTrips = () ->
            {
                for (long sequence = 1; sequence <= 500; sequence++)
                {
                    request.putLong(0, sequence);
                    rpc.send(IP_B, ECHO_PORT + 1, request, 0, 32);
                    final long deadline = System.nanoTime() + WAIT_NS;
                    idle.reset();
                    while (replied[0] != sequence)
                    {
                        if (System.nanoTime() - deadline > 0)
                        {
                            throw new AssertionError("no echo of " + sequence + " within 10 s");
                        }
                        idle.idle(echo.receive(echoHandler) + rpc.receive(replyHandler));
                    }
                }
            };
            final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
            final long threadId = Thread.currentThread().threadId();
            roundTrips.run();
            roundTrips.run();
            // Steady state allocates nothing; a JIT event (a deoptimisation re-materialising a scalar-replaced
            // object) can still allocate a few hundred bytes once while the two inline stacks are being compiled,
            // so the proof is a whole window of 500 round trips with nothing allocated.
            final StringBuilder windows = new StringBuilder();
            boolean clean = false;
            for (int window = 0; window < 4 && !clean; window++)
            {
                final long before = threads.getThreadAllocatedBytes(threadId);
                roundTrips.run();
                final long allocated = threads.getThreadAllocatedBytes(threadId) - before;
                windows.append(allocated).append(' ');
                clean = allocated == 0;
            }
            assertTrue(clean, "no window of 500 inline round trips without allocation on the application thread " +
                "(bytes per window: " + windows + ")");
            assertEquals(0, clientIp.totalDrops() + serverIp.totalDrops());
        }
    }

    @Test
    void errorsComeBackTyped()
    {
        try (NicClient owner = connect("b", "owner");
            NicClient intruder = connect("b", "intruder"))
        {
            final NicQueue ownersQueue = owner.requestQueue(QueueService.SERVED);
            final NicQueue intrudersQueue = intruder.requestQueue(QueueService.INLINE);
            final Filter filter = owner.registerUdpPort(ownersQueue, 7100);

            final NicException portInUse = assertThrows(NicException.class,
                () -> intruder.registerUdpPort(intrudersQueue, 7100));
            assertEquals(NicException.Reason.PORT_IN_USE, portInUse.reason(), portInUse.getMessage());

            final NicException notOwnerQueue = assertThrows(NicException.class,
                () -> intruder.registerUdpPort(ownersQueue, 7101));
            assertEquals(NicException.Reason.NOT_OWNER, notOwnerQueue.reason(), notOwnerQueue.getMessage());

            final NicException notOwnerFilter = assertThrows(NicException.class,
                () -> intruder.deregister(filter));
            assertEquals(NicException.Reason.NOT_OWNER, notOwnerFilter.reason(), notOwnerFilter.getMessage());

            final NicException noNeighbour = assertThrows(NicException.class,
                () -> owner.resolveNeighbour(Ipv4Address.parse("10.0.0.99")));
            assertEquals(NicException.Reason.NEIGHBOUR_TIMEOUT, noNeighbour.reason(), noNeighbour.getMessage());

            final Filter tcp = owner.registerTcpPort(ownersQueue, 8080);
            final Filter connection = owner.registerTcpConnection(ownersQueue, 9090, IP_A, 40000);
            assertEquals(3, owner.filters().size());
            owner.deregister(tcp);
            owner.deregister(connection);
            owner.deregister(filter);
            assertFalse(filter.isRegistered());
            assertTrue(owner.filters().isEmpty());
            try (NicClient onA = connect("a", "mac"))
            {
                assertEquals(onA.mac(), owner.resolveNeighbour(IP_A), "card b resolves card a's MAC by ARP");
            }
        }
    }

    @Test
    void connectionFiltersAskingForPortZeroGetDistinctEphemeralPortsAcrossClients()
    {
        try (NicClient first = connect("b", "first");
            NicClient second = connect("b", "second"))
        {
            final NicQueue firstQueue = first.requestQueue(QueueService.INLINE);
            final NicQueue secondQueue = second.requestQueue(QueueService.INLINE);
            final java.util.Set<Integer> ports = new java.util.HashSet<>();
            final java.util.List<Filter> registered = new java.util.ArrayList<>();
            for (int i = 0; i < 10; i++)
            {
                // The same remote end for both clients: only the allocated local port tells them apart.
                final Filter filter = (i % 2 == 0 ? first : second).registerTcpConnection(
                    i % 2 == 0 ? firstQueue : secondQueue, 0, IP_A, 40000);
                assertTrue(filter.localPort() >= 49152 && filter.localPort() <= 65535, filter.toString());
                assertTrue(ports.add(filter.localPort()), "port " + filter.localPort() + " allocated twice");
                registered.add(filter);
            }
            final NicException taken = assertThrows(NicException.class,
                () -> second.registerTcpPort(secondQueue, registered.get(0).localPort()));
            assertEquals(NicException.Reason.PORT_IN_USE, taken.reason(), "the first client holds its port");

            final int freed = registered.get(0).localPort();
            first.deregister(registered.get(0));
            final Filter listener = second.registerTcpPort(secondQueue, freed);
            assertEquals(freed, listener.localPort(), "deregistered: the port is anyone's again");
            assertThrows(IllegalArgumentException.class, () -> first.registerTcpPort(firstQueue, 0),
                "port 0 is only for connection filters");
        }
    }

    private void awaitQueuesFree(final String instance, final int expected)
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        while (true)
        {
            try (NicClient probe = connect(instance, "probe"))
            {
                if (probe.queuesFree() == expected)
                {
                    return;
                }
                assertTrue(System.nanoTime() - deadline < 0, "queues free on " + instance + ": " +
                    probe.queuesFree() + ", expected " + expected);
            }
            sleep(100);
        }
    }

    private static void sleep(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError(ex);
        }
    }

    @Test
    void queueRevokedWhenItsQueueDriverDiesIsReportedAndRefused()
    {
        final List<String> revocations = new CopyOnWriteArrayList<>();
        try (NicClient client = NicClient.connect(new NicClient.Context()
            .instance("a")
            .baseDir(dir.resolve("nicq"))
            .name("revoked")
            .queueActivationTimeout(60, TimeUnit.SECONDS)
            .queueRevokedHandler((queue, reason, message) -> revocations.add(reason + ": " + message))))
        {
            final NicQueue queue = client.requestQueue(QueueService.SERVED);
            final Filter filter = client.registerUdpPort(queue, 7300);
            final long driverPid = queue.channel().header().driverPid();
            assertNotEquals(ProcessHandle.current().pid(), driverPid, "card driver a runs queue drivers as processes");
            final ProcessHandle queueDriver = ProcessHandle.of(driverPid).orElseThrow();
            assertTrue(queueDriver.parent().map(p -> p.pid() == ProcessHandle.current().pid()).orElse(false),
                "the queue driver is a child of this JVM (the embedded card driver started it)");
            queueDriver.destroyForcibly();

            final long deadline = System.nanoTime() + WAIT_NS;
            while (revocations.isEmpty())
            {
                assertTrue(System.nanoTime() - deadline < 0, "no QueueRevoked within 10 s:\n" + logA);
                sleep(10);
            }
            assertTrue(revocations.get(0).startsWith(NicException.Reason.QUEUE_DRIVER_FAILED.name()),
                revocations.get(0));
            assertTrue(queue.isRevoked());
            assertFalse(filter.isRegistered(), "a revoked queue's filters are gone");
            final NicException refused = assertThrows(NicException.class, () -> queue.poll(frame -> { }));
            assertEquals(NicException.Reason.QUEUE_DRIVER_FAILED, refused.reason());
            queue.close();
            assertTrue(queue.isClosed());
        }
    }

    @Test
    void processExitReleasesEverything() throws Exception
    {
        final Path log = dir.resolve("logs/exiting-client.log");
        final Process child = ChildJvm.builder(ExitingClient.class.getName(),
            List.of(dir.resolve("nicq").toString(), "a", "7200", dir.resolve("sim").toString()), log).start();
        if (!child.waitFor(60, TimeUnit.SECONDS))
        {
            child.destroyForcibly();
            throw new AssertionError("the child did not exit within 60 s:\n" + Files.readString(log));
        }
        final String output = Files.readString(log);
        assertEquals(0, child.exitValue(), output);
        assertTrue(output.contains("READY"), output);

        // The shutdown hook said Disconnect: the card driver logs "disconnected", not "reclaimed: process exited".
        final long deadline = System.nanoTime() + WAIT_NS;
        while (logA.toString(StandardCharsets.UTF_8).lines()
            .noneMatch(line -> line.contains("exiting-client") && line.contains("disconnected")))
        {
            assertTrue(System.nanoTime() - deadline < 0, "card driver a never saw the child disconnect:\n" + logA);
            Thread.sleep(10);
        }
        try (NicClient client = connect("a", "port-again"))
        {
            final NicQueue queue = client.requestQueue(QueueService.INLINE);
            udpSocket(client, queue).bind(7200).close();
        }
    }

    /** A UDP socket on its own stack over {@code queue}: interface, then UDP layer, as an application builds it. */
    static UdpSocket udpSocket(final NicClient client, final NicQueue queue)
    {
        return UdpSocket.open(new UdpLayer(new Ipv4Interface(queue, client)));
    }
}
