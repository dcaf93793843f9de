package io.nicq.examples.cable;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

import io.nicq.client.ControlPlane;
import io.nicq.client.Filter;
import io.nicq.client.NicClient;
import io.nicq.client.NicException;
import io.nicq.client.NicQueue;
import io.nicq.client.QueueService;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.tcp.TcpCloseReason;
import io.nicq.client.tcp.TcpHandOver;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.examples.tcp.SeededStream;
import io.nicq.examples.tcp.TcpEchoServer;
import io.nicq.examples.tcp.TcpEchoWorkers;
import io.nicq.examples.tcp.TcpSender;
import io.nicq.packet.Ipv4Address;
import io.nicq.sim.SimulatedCard;
import io.nicq.sim.WireFaults;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Connections handed over to workers ({@link TcpEchoWorkers}, {@link TcpHandOver}) across the simulated cable: host
 * b's listener hands each connection to one of two workers, each on its own queue, and registers its connection
 * filter; host a's senders stream {@link SeededStream}s from the moment they connect and compare the echoes. Every
 * byte must come back in order, every connection must be served by a worker, and every connection filter must be
 * gone once its connection is. The listener's control plane is wrapped: it counts the filters, and can make their
 * registration slow (so a connection's first segments reach the listener's queue and must be passed on) or refuse it
 * (so the listener passes on everything).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CableTcpHandOverIT
{
    private static final int PORT = 7;
    private static final int WORKERS = 2;
    private static final long TIMEOUT_MS = 120_000;

    @TempDir
    Path dir;

    private CableLab lab;
    private TcpEchoWorkers echo;

    @AfterEach
    void tearDown() throws Exception
    {
        if (echo != null)
        {
            echo.close();
        }
        if (lab != null)
        {
            lab.close();
        }
    }

    @Test
    void aConnectionsFirstSegmentsThatReachTheListenerArePassedOnInOrder() throws Exception
    {
        lab = CableLab.open(dir, UnaryOperator.identity());
        // 20 ms per registration: each connection's ACK and first data reach the listener before its filter is live.
        final CountingPlane plane = new CountingPlane(lab.clientB, 20, false);
        echo = TcpEchoWorkers.start(lab.clientB, plane, QueueService.INLINE, PORT, WORKERS, CableLab::idle);
        final int connections = 8;
        transfer(connections, 256 * 1024);
        awaitReleased(connections);
        echo.close();
        System.out.print(echo.summary());

        final TcpHandOver handOver = echo.listenerServer().handOver();
        assertEquals(connections, handOver.connectionsHandedOver(), echo.summary());
        assertEquals(0, handOver.connectionsKept(), echo.summary());
        assertEquals(0, handOver.connectionsUnsteered(), echo.summary());
        assertTrue(handOver.segmentsPassedOn() > connections,
            "segments besides the SYNs were passed on while filters were registered: " + echo.summary());
        assertEquals(0, handOver.segmentsDropped(), echo.summary());
        assertServedByWorkers(connections);
        assertEquals(connections, plane.registered.get(), "a connection filter per connection");
        assertEquals(connections, plane.deregistered.get(), "every connection's filter went with it");
    }

    @Test
    void handedOverConnectionsSurviveACableThatLosesDuplicatesAndReorders() throws Exception
    {
        lab = CableLab.open(dir, card -> card.wireFaults(new WireFaults.Context().dropProbability(0.02)
            .duplicateProbability(0.01).reorderProbability(0.05).seed(23)));
        final CountingPlane plane = new CountingPlane(lab.clientB, 0, false);
        echo = TcpEchoWorkers.start(lab.clientB, plane, QueueService.INLINE, PORT, WORKERS, CableLab::idle);
        final int connections = 6;
        transfer(connections, 256 * 1024);
        awaitReleased(connections);
        echo.close();
        System.out.print(echo.summary());

        final TcpHandOver handOver = echo.listenerServer().handOver();
        assertEquals(connections, handOver.connectionsHandedOver(), echo.summary());
        assertServedByWorkers(connections);
        assertEquals(plane.registered.get(), plane.deregistered.get(), "every connection's filter went with it");
        for (final SimulatedCard card : List.of(lab.cardA, lab.cardB))
        {
            assertTrue(card.wireFaults().dropped() > 0 && card.wireFaults().reordered() > 0,
                "the wire misbehaved as asked");
        }
    }

    @Test
    void connectionsTheCardDriverCannotSteerAreStillServedByTheirWorkers() throws Exception
    {
        lab = CableLab.open(dir, UnaryOperator.identity());
        final CountingPlane plane = new CountingPlane(lab.clientB, 0, true);
        echo = TcpEchoWorkers.start(lab.clientB, plane, QueueService.INLINE, PORT, WORKERS, CableLab::idle);
        final int connections = 4;
        transfer(connections, 128 * 1024);
        awaitReleased(connections);
        echo.close();
        System.out.print(echo.summary());

        final TcpHandOver handOver = echo.listenerServer().handOver();
        assertEquals(connections, handOver.connectionsUnsteered(), echo.summary());
        assertServedByWorkers(connections);
        // 128 KiB is at least 90 full segments per connection, every one of them through the listener.
        assertTrue(handOver.segmentsPassedOn() > 90L * connections,
            "the listener passed on every segment of the unsteered connections: " + echo.summary());
        assertTrue(echo.summary().contains("unsteered " + connections), echo.summary());
    }

    private void transfer(final int connections, final long bytes)
    {
        final NicQueue queue = lab.clientA.requestQueue(QueueService.INLINE);
        final Ipv4Interface ip = new Ipv4Interface(queue, lab.clientA);
        final TcpLayer tcp = new TcpLayer(ip);
        final List<TcpSender> senders = new ArrayList<>();
        for (int i = 0; i < connections; i++)
        {
            senders.add(new TcpSender(tcp, Ipv4Address.parse(CableLab.IP_B), PORT, bytes, 300 + i));
        }
        CableTcpIT.pollUntil(ip, () -> senders.stream().allMatch(TcpSender::isDone) || echo.failure() != null,
            () -> tcp + "; " + senders.stream().map(sender -> String.valueOf(sender.connection())).toList() +
            "; host b: " + echo.describe() + lab.logs());
        assertNull(echo.failure(), echo.describe());
        for (int i = 0; i < connections; i++)
        {
            final TcpSender sender = senders.get(i);
            final String expected = SeededStream.sha256Hex(300 + i, bytes);
            assertEquals(TcpCloseReason.CLOSED, sender.closeReason(), sender.connection().toString());
            assertEquals(bytes, sender.received(), "echoed bytes of connection " + i + "; " + echo.describe());
            assertEquals(expected, sender.receivedSha256(), "the echo of connection " + i + " is its stream, in order");
        }
        lab.clientA.releaseQueue(queue);
    }

    private void awaitReleased(final int connections) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (echo.released() < connections)
        {
            if (System.nanoTime() - deadline > 0 || echo.failure() != null)
            {
                fail("the workers did not release their " + connections + " connections: " + echo.describe());
            }
            Thread.sleep(5);
        }
    }

    private void assertServedByWorkers(final int connections)
    {
        long taken = 0;
        long accepted = 0;
        for (final TcpEchoServer worker : echo.workerServers())
        {
            assertTrue(worker.worker().connectionsTaken() > 0, "each worker got connections: " + echo.summary());
            assertEquals(worker.accepted(), worker.closedGracefully(), echo.summary());
            taken += worker.worker().connectionsTaken();
            accepted += worker.accepted();
        }
        assertEquals(connections, taken, echo.summary());
        assertEquals(connections, accepted, echo.summary());
        assertEquals(0, echo.listenerServer().accepted(), "the listener kept none: " + echo.summary());
        assertEquals(connections, echo.handOverToFirstByte().getTotalCount(), echo.summary());
    }

    /** The listener's control plane: the client, counting connection filters, slow or refusing if asked. */
    private static final class CountingPlane implements ControlPlane
    {
        final NicClient client;
        final long registrationDelayMs;
        final boolean refuse;
        final AtomicLong registered = new AtomicLong();
        final AtomicLong deregistered = new AtomicLong();

        CountingPlane(final NicClient client, final long registrationDelayMs, final boolean refuse)
        {
            this.client = client;
            this.registrationDelayMs = registrationDelayMs;
            this.refuse = refuse;
        }

        public long mac()
        {
            return client.mac();
        }

        public int ipv4()
        {
            return client.ipv4();
        }

        public int prefixLength()
        {
            return client.prefixLength();
        }

        public int gateway()
        {
            return client.gateway();
        }

        public int mtu()
        {
            return client.mtu();
        }

        public long resolveNeighbour(final int ipv4)
        {
            return client.resolveNeighbour(ipv4);
        }

        public Filter registerUdpPort(final NicQueue queue, final int port)
        {
            return client.registerUdpPort(queue, port);
        }

        public Filter registerTcpPort(final NicQueue queue, final int port)
        {
            return client.registerTcpPort(queue, port);
        }

        public Filter registerTcpConnection(final NicQueue queue, final int localPort, final int remoteIp,
            final int remotePort)
        {
            if (refuse)
            {
                throw new NicException(NicException.Reason.NO_FILTER_SLOT, "every filter is taken (the test says so)");
            }
            if (registrationDelayMs > 0)
            {
                try
                {
                    Thread.sleep(registrationDelayMs);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
            final Filter filter = client.registerTcpConnection(queue, localPort, remoteIp, remotePort);
            registered.incrementAndGet();
            return filter;
        }

        public void deregister(final Filter filter)
        {
            client.deregister(filter);
            if (filter.kind() == Filter.Kind.TCP_CONNECTION)
            {
                deregistered.incrementAndGet();
            }
        }

        public void releaseQueue(final NicQueue queue)
        {
            client.releaseQueue(queue);
        }
    }
}
