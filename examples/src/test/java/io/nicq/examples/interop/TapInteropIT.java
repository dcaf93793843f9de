package io.nicq.examples.interop;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.nicq.client.NicQueue;
import io.nicq.client.QueueDriverPlacement;
import io.nicq.client.QueueService;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.udp.UdpLayer;
import io.nicq.client.udp.UdpSocket;
import io.nicq.examples.kernel.KernelEchoCommand;
import io.nicq.examples.rpc.EchoServer;
import io.nicq.examples.rpc.RoundTripRecorder;
import io.nicq.examples.rpc.RpcClient;
import io.nicq.examples.rpc.RpcPayload;
import io.nicq.packet.Ipv4Address;
import io.nicq.packet.MacAddress;
import io.nicq.runtime.ChildJvm;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static io.nicq.examples.interop.TapLab.CHILD_JVM_ARGS;
import static io.nicq.examples.interop.TapLab.awaitOutput;
import static io.nicq.examples.interop.TapLab.read;
import static io.nicq.examples.interop.TapLab.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * UDP interop with the Linux kernel over a TAP wire (issue 6), on a {@link TapLab}: the kernel in a namespace of its
 * own is the host at the other end of the simulated card's cable.
 * <ul>
 *   <li>kernel client, nicq server: {@link EchoServer} on a nicq queue answers a {@link KernelUdpProbe} (kernel
 *   sockets, a child JVM in the namespace) that checks every answer's bytes and source. The kernel finds the card's
 *   MAC by ARP, which only the card driver's default queue can answer.</li>
 *   <li>nicq client, kernel server: {@link RpcClient} on a nicq queue measures a {@link KernelEchoCommand} in the
 *   namespace; the kernel's MAC is resolved through the card driver ({@code ResolveNeighbour}), and since the kernel
 *   echoes without writing server timestamps only the client's phases are recorded.</li>
 * </ul>
 * Needs root, {@code /dev/net/tun} and iproute2; skipped otherwise.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TapInteropIT
{
    private static final int COUNT = 200;
    private static final int RPC_WARMUP = 20;
    private static final int ECHO_PORT = 7007;
    private static final int KERNEL_ECHO_PORT = 17007;
    private static final long ANSWER_TIMEOUT_MS = 2_000;
    /** The first datagram waits for ARP as well (up to the kernel's 1 s retransmit, a few times). */
    private static final long FIRST_ANSWER_TIMEOUT_MS = 5_000;
    private static final long EXCHANGE_TIMEOUT_MS = 20_000;

    @TempDir
    Path dir;

    private TapLab lab;

    @BeforeEach
    void setUp() throws Exception
    {
        lab = TapLab.open(dir);
    }

    @AfterEach
    void tearDown() throws Exception
    {
        if (lab != null)
        {
            lab.close();
        }
    }

    /** The card driver of this test serves queues with threads. */
    private static QueueDriverPlacement placement(final QueueService service)
    {
        return service == QueueService.INLINE ? QueueDriverPlacement.INLINE : QueueDriverPlacement.THREAD;
    }

    @ParameterizedTest(name = "{0} queue")
    @EnumSource(QueueService.class)
    void kernelClientGetsEveryAnswerFromTheNicqEchoServer(final QueueService mode) throws Exception
    {
        final NicQueue queue = lab.client.requestQueue(mode);
        assertEquals(placement(mode), queue.driverPlacement(),
            "the card driver runs served queues as threads, INLINE ones are ours");
        final Ipv4Interface ip = new Ipv4Interface(queue, lab.client);
        final UdpSocket socket = UdpSocket.open(new UdpLayer(ip)).bind(ECHO_PORT);
        final EchoServer echo = new EchoServer(socket);

        final Path log = dir.resolve("kernel-udp-probe.log");
        final Process probe = lab.startInNamespace(ChildJvm.command(CHILD_JVM_ARGS, KernelUdpProbe.class.getName(),
            List.of(lab.cardIp, Integer.toString(ECHO_PORT), Integer.toString(COUNT), Long.toString(ANSWER_TIMEOUT_MS),
            Long.toString(FIRST_ANSWER_TIMEOUT_MS))), log);

        // The queue (and, in INLINE mode, its queue driver) belongs to this thread: serve it until the client is done.
        final IdleStrategy idle = TapLab.idle();
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EXCHANGE_TIMEOUT_MS);
        while (probe.isAlive())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("the kernel client did not finish within " + EXCHANGE_TIMEOUT_MS + " ms; echoed " +
                    echo.echoed() + "; stack drops " + ip.dropsToString() + "\n" + read(log) +
                    lab.diagnostics());
            }
            idle.idle(echo.doWork());
        }

        final String output = read(log);
        assertEquals(KernelUdpProbe.EXIT_OK, probe.exitValue(), "the kernel client failed (echoed " + echo.echoed() +
            ", stack drops " + ip.dropsToString() + "):\n" + output + lab.diagnostics());
        assertTrue(output.contains("answered " + COUNT + " of " + COUNT), output);
        assertEquals(COUNT, echo.echoed(), "the echo server answered each request once");
        assertEquals(COUNT, socket.datagramsReceived(), "the port filter steered every datagram to the queue");
        assertEquals(0, ip.totalDrops(), ip.dropsToString());

        // Nobody but the card driver's default queue can answer an ARP request for the card's address.
        final String neighbour = run("ip", "-n", lab.namespace, "neigh", "show", lab.cardIp).output();
        assertTrue(neighbour.contains(MacAddress.toString(lab.driver.mac())), "the kernel learned the card's MAC " +
            MacAddress.toString(lab.driver.mac()) + " by ARP: " + neighbour);
    }

    @ParameterizedTest(name = "{0} queue")
    @EnumSource(QueueService.class)
    void nicqRpcClientMeasuresTheKernelEchoServer(final QueueService mode) throws Exception
    {
        final Path log = dir.resolve("kernel-echo.log");
        final Process server = lab.startInNamespace(ChildJvm.command(CHILD_JVM_ARGS, KernelEchoCommand.class,
            List.of("--bind", lab.kernelIp + ":" + KERNEL_ECHO_PORT, "--busy-poll=false", "--idle-exit", "30")), log);
        awaitOutput(server, log, "listening on");

        final NicQueue queue = lab.client.requestQueue(mode);
        assertEquals(placement(mode), queue.driverPlacement());
        final Ipv4Interface ip = new Ipv4Interface(queue, lab.client);
        final UdpSocket socket = UdpSocket.open(new UdpLayer(ip)).bind(0);

        // The card driver resolves the kernel's address by ARP on queue 0: the MAC must be the namespace's TAP MAC.
        final long kernelMac = lab.kernelMac();
        final long resolved = lab.client.resolveNeighbour(Ipv4Address.parse(lab.kernelIp));
        assertEquals(MacAddress.toString(kernelMac), MacAddress.toString(resolved), "ResolveNeighbour " + lab.kernelIp);

        final RpcClient rpc = new RpcClient(socket, Ipv4Address.parse(lab.kernelIp), KERNEL_ECHO_PORT,
            RpcPayload.LENGTH, ANSWER_TIMEOUT_MS, TimeUnit.MILLISECONDS, TapLab.idle());
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EXCHANGE_TIMEOUT_MS);
        final long recorded = rpc.run(RPC_WARMUP, COUNT, () -> System.nanoTime() - deadline > 0, null);

        final String context = "lost " + rpc.lost() + ", stack drops " + ip.dropsToString() +
            ", kernel echo server: " + read(log) + lab.diagnostics();
        assertEquals(0, rpc.lost(), context);
        assertEquals(COUNT, recorded, context);
        final RoundTripRecorder recorder = rpc.recorder();
        assertEquals(COUNT, recorder.roundTrip().getTotalCount(), "round trips in the histogram");
        assertEquals(0, recorder.clamped(), "no round trip over 10 s");
        assertTrue(recorder.roundTrip().getMinValue() > 0, "a round trip takes time");
        assertEquals(0, ip.totalDrops(), ip.dropsToString());

        // The kernel echoes the payload as it came: no server timestamps, so every segment that needs the server's
        // (its phases and both wire crossings) stays empty. The client's own phases are all there: the simulated card
        // stamps every answer's receipt, and every request's transmission; only the last request's TX completion may
        // still be on its way when the run ends. A served queue reads its RX ring itself (the card driver's default):
        // no queue driver between the device and the client, so the driver's two RX segments are absent and the
        // last runs from the device's stamp.
        assertEquals(mode == QueueService.SERVED, queue.readsRxRing(), "a served queue reads its RX ring");
        for (int i = 0; i < RoundTripRecorder.SEGMENTS.length; i++)
        {
            final String segment = RoundTripRecorder.SEGMENTS[i];
            final long values = recorder.segment(i).getTotalCount();
            if (segment.startsWith("client RX"))
            {
                final boolean absent = queue.readsRxRing() && !segment.endsWith("-> app");
                assertEquals(absent ? 0 : COUNT, values, "client segment '" + segment + "'");
            }
            else if (segment.startsWith("client TX"))
            {
                assertTrue(values >= COUNT - 1 && values <= COUNT, "client segment '" + segment + "' has " +
                    values + " values, expected " + (COUNT - 1) + ".." + COUNT);
            }
            else
            {
                assertEquals(0, values, "segment '" + segment + "' needs the server's timestamps, which a kernel " +
                    "echo server does not write");
            }
        }
        assertTrue(server.isAlive(), "the kernel echo server still runs: " + read(log));
    }
}
