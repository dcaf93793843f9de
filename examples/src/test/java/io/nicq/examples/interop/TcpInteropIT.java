package io.nicq.examples.interop;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.nicq.client.DropReason;
import io.nicq.client.NicQueue;
import io.nicq.client.QueueService;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.tcp.TcpCloseReason;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.examples.kernel.KernelTcpCommand;
import io.nicq.examples.tcp.SeededStream;
import io.nicq.examples.tcp.TcpEchoServer;
import io.nicq.examples.tcp.TcpEchoWorkers;
import io.nicq.examples.tcp.TcpSender;
import io.nicq.packet.Ipv4Address;
import io.nicq.runtime.ChildJvm;
import io.nicq.sim.WireFaults;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static io.nicq.examples.interop.TapLab.CHILD_JVM_ARGS;
import static io.nicq.examples.interop.TapLab.awaitOutput;
import static io.nicq.examples.interop.TapLab.read;
import static org.junit.jupiter.api.Assertions.*;

/**
 * nicq's TCP against the Linux kernel's over a TAP wire ({@link TapLab}): the kernel's sockets in a namespace
 * ({@link KernelTcpCommand}, a child JVM) are the peer and the oracle. Each transfer is a {@link SeededStream} whose
 * SHA-256 both ends compute independently.
 * <ul>
 *   <li>kernel client → nicq {@link TcpEchoServer}: the stream and its echo, one connection and 100 at once; a kernel
 *   client that aborts with a RST, and one whose process is killed;</li>
 *   <li>nicq client ({@link TcpSender}) → kernel sink and kernel echo server; a sink that reads nothing for a while
 *   (the window closes, the persist timer probes, the transfer resumes); connect/close cycles that leave no
 *   connection, filter or port behind;</li>
 *   <li>the same transfers under {@code tc netem} loss, duplication, reordering and delay on the kernel's side.</li>
 * </ul>
 * Sizes are CI-sized by default; the long versions run with {@code -Dnicq.tcp.bytes=67108864
 * -Dnicq.tcp.cycles=10000} (see the README). Needs root, {@code /dev/net/tun} and iproute2; skipped otherwise.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TcpInteropIT
{
    private static final long BYTES = Long.getLong("nicq.tcp.bytes", 4L << 20);
    private static final long FAULTY_BYTES = Long.getLong("nicq.tcp.faulty-bytes", 1L << 20);
    private static final int CONNECTIONS = Integer.getInteger("nicq.tcp.connections", 100);
    private static final int CYCLES = Integer.getInteger("nicq.tcp.cycles", 200);
    private static final long FAULT_SEED = Long.getLong("nicq.tcp.fault-seed", 7);
    private static final int ECHO_PORT = 7;
    private static final int KERNEL_PORT = 9000;
    private static final long TRANSFER_TIMEOUT_MS = Long.getLong("nicq.tcp.timeout-ms", 120_000);
    private static final Pattern CLIENT_LINE = Pattern.compile(
        "connection (\\d+) to \\S+ sent (\\d+) bytes sha256 ([0-9a-f]{64}) received (\\d+) bytes sha256 ([0-9a-f]{64})");
    private static final Pattern SERVER_LINE = Pattern.compile(
        "connection (\\d+) from \\S+ received (\\d+) bytes sha256 ([0-9a-f]{64})");

    @TempDir
    Path dir;

    private TapLab lab;

    @AfterEach
    void tearDown() throws Exception
    {
        if (lab != null)
        {
            lab.close();
        }
    }

    @ParameterizedTest(name = "{0} queue")
    @EnumSource(QueueService.class)
    void kernelClientGetsItsStreamEchoedByNicq(final QueueService mode) throws Exception
    {
        lab = TapLab.open(dir);
        kernelStreamsThroughNicqEcho(mode, 1, BYTES);
    }

    @Test
    void hundredKernelConnectionsAtOnceAreEchoed() throws Exception
    {
        lab = TapLab.open(dir);
        kernelStreamsThroughNicqEcho(QueueService.INLINE, CONNECTIONS, 64 * 1024);
    }

    @ParameterizedTest(name = "{0} queue")
    @EnumSource(QueueService.class)
    void nicqClientStreamsToAKernelSink(final QueueService mode) throws Exception
    {
        lab = TapLab.open(dir);
        nicqStreamsToKernel(mode, BYTES, false, 0);
    }

    @Test
    void nicqClientGetsItsStreamEchoedByTheKernel() throws Exception
    {
        lab = TapLab.open(dir);
        nicqStreamsToKernel(QueueService.INLINE, BYTES, true, 0);
    }

    @Test
    void aKernelReaderThatPausesClosesTheWindowAndTheTransferResumes() throws Exception
    {
        lab = TapLab.open(dir);
        nicqStreamsToKernel(QueueService.INLINE, BYTES, false, 1_500);
    }

    @Test
    void transfersBothWaysCompleteUnderKernelSideLossDuplicationAndReordering() throws Exception
    {
        // The kernel's direction: netem on its egress (the namespace's end of the TAP wire) where the kernel has
        // netem; where it has not (a kernel without sch_netem), the same faults on the simulated card's ingress.
        final String noNetem = TapLab.netemUnavailableReason();
        // The simulated card's egress (nicq -> kernel) loses, duplicates and reorders as the issue asks.
        lab = TapLab.open(dir, card ->
        {
            card.wireFaults(faults(FAULT_SEED));
            return noNetem == null ? card : card.ingressFaults(faults(FAULT_SEED + 1));
        });
        if (noNetem == null)
        {
            // The delay is what netem's reordering needs.
            final TapLab.Result netem = lab.inNamespace("tc", "qdisc", "add", "dev", lab.tap, "root", "netem",
                "delay", "1ms", "loss", "2%", "duplicate", "1%", "reorder", "95%", "50%");
            assertEquals(0, netem.exit(), netem.output());
        }
        else
        {
            System.out.println("TcpInteropIT: no tc netem on this kernel (" + noNetem + "): the kernel's direction " +
                "gets its faults on the simulated card's ingress");
        }
        kernelStreamsThroughNicqEcho(QueueService.INLINE, 1, FAULTY_BYTES);
        nicqStreamsToKernel(QueueService.INLINE, FAULTY_BYTES, true, 0);
        final List<WireFaults> injectors = new ArrayList<>(List.of(lab.card.wireFaults()));
        if (noNetem != null)
        {
            injectors.add(lab.card.ingressFaults());
        }
        for (final WireFaults faults : injectors)
        {
            assertTrue(faults.dropped() > 0 && faults.duplicated() > 0 && faults.reordered() > 0,
                "the wire misbehaved as asked: dropped " + faults.dropped() + ", duplicated " +
                faults.duplicated() + ", reordered " + faults.reordered());
        }
    }

    @Test
    void connectCloseCyclesLeaveNoConnectionFilterOrPort() throws Exception
    {
        lab = TapLab.open(dir);
        final Path log = dir.resolve("kernel-tcp.log");
        final Process server = lab.startInNamespace(ChildJvm.command(CHILD_JVM_ARGS, KernelTcpCommand.class,
            List.of("--listen", lab.kernelIp + ":" + KERNEL_PORT, "--count", Integer.toString(CYCLES))), log);
        awaitOutput(server, log, "listening on");

        final NicQueue queue = lab.client.requestQueue(QueueService.INLINE);
        final Ipv4Interface ip = new Ipv4Interface(queue, lab.client);
        final TcpLayer tcp = new TcpLayer(ip);
        final int filtersBefore = lab.client.filters().size();
        final List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < CYCLES; i++)
        {
            final int cycle = i;
            final TcpSender sender = new TcpSender(tcp, Ipv4Address.parse(lab.kernelIp), KERNEL_PORT, 1024, i);
            pollUntil(ip, sender::isDone, () -> "cycle " + cycle + ": " + sender.connection() + "; " + tcp +
                "; kernel: " + tail(log));
            assertEquals(TcpCloseReason.CLOSED, sender.closeReason(), "cycle " + i + ": " + sender.connection());
            ports.add(sender.connection().localPort());
        }
        pollUntil(ip, () -> !server.isAlive(), () -> "the kernel server did not see " + CYCLES + " connections: " +
            tail(log));
        assertEquals(0, server.exitValue(), tail(log));
        // TIME_WAIT is ours (we closed first) and short: once it passes, nothing of the connections is left.
        pollUntil(ip, () -> tcp.connections() == 0, () -> "connections left: " + tcp);
        assertEquals(filtersBefore, lab.client.filters().size(), "every connection filter was deregistered: " +
            lab.client.filters());
        assertTrue(ports.stream().allMatch(port -> port >= 49152 && port <= 65535),
            "the card driver allocated ephemeral ports: " + ports);
        // A segment the kernel sent twice (its RTO is 200 ms; two busy cores can hold an ACK that long) is a
        // duplicate here, rightly dropped as out of window and answered; anything else is a fault.
        final long outOfWindow = ip.drops(DropReason.TCP_OUT_OF_WINDOW);
        assertEquals(0, ip.totalDrops() - outOfWindow, ip.dropsToString());
        final long kernelRetransmissions = lab.kernelRetransmittedSegments();
        assertTrue(outOfWindow <= kernelRetransmissions, "out-of-window segments " + outOfWindow +
            " are duplicates of the kernel's " + kernelRetransmissions + " retransmissions");
    }

    @Test
    void aKernelClientConnectingToAPortNobodyServesIsRefusedAtOnce() throws Exception
    {
        lab = TapLab.open(dir);
        // No filter for the port: the segment lands on the card driver's default queue, which answers it with a RST.
        final TapLab.Result connect = lab.inNamespace("timeout", "5", "bash", "-c",
            "exec 3<>/dev/tcp/" + lab.cardIp + "/" + (ECHO_PORT + 1) + " && echo connected");
        assertTrue(connect.output().contains("Connection refused"), "refused, not timed out (exit " +
            connect.exit() + "): " + connect.output());
    }

    @Test
    void aKernelClientThatResetsEndsTheConnectionWithReset() throws Exception
    {
        lab = TapLab.open(dir);
        final NicQueue queue = lab.client.requestQueue(QueueService.INLINE);
        final Ipv4Interface ip = new Ipv4Interface(queue, lab.client);
        final TcpEchoServer echo = new TcpEchoServer(new TcpLayer(ip), ECHO_PORT);
        final Path log = dir.resolve("kernel-tcp.log");
        final Process client = lab.startInNamespace(ChildJvm.command(CHILD_JVM_ARGS, KernelTcpCommand.class,
            List.of("--connect", lab.cardIp + ":" + ECHO_PORT, "--bytes", Long.toString(1L << 20),
                "--reset-after", Long.toString(256 * 1024))), log);
        pollUntil(ip, () -> echo.accepted() == 1 && echo.open() == 0, () -> echo + "; kernel: " + tail(log));
        assertEquals(1, echo.closedOtherwise(), "the connection ended by the RST: " + echo);
        pollUntil(ip, () -> !client.isAlive(), () -> tail(log));
        assertTrue(read(log).contains("and reset"), read(log));
    }

    @Test
    void aKernelClientKilledMidTransferLeavesNoConnection() throws Exception
    {
        lab = TapLab.open(dir);
        final NicQueue queue = lab.client.requestQueue(QueueService.INLINE);
        final Ipv4Interface ip = new Ipv4Interface(queue, lab.client);
        final TcpLayer tcp = new TcpLayer(ip);
        final TcpEchoServer echo = new TcpEchoServer(tcp, ECHO_PORT);
        final Path log = dir.resolve("kernel-tcp.log");
        final Process client = lab.startInNamespace(ChildJvm.command(CHILD_JVM_ARGS, KernelTcpCommand.class,
            List.of("--connect", lab.cardIp + ":" + ECHO_PORT, "--bytes", Long.toString(1L << 40))), log);
        pollUntil(ip, () -> echo.echoedBytes() > 1 << 20, () -> echo + "; kernel: " + tail(log));
        client.destroyForcibly();
        // The kernel closes the dead process's socket: a FIN (or a RST, with unread data) ends the connection.
        pollUntil(ip, () -> echo.open() == 0 && tcp.connections() == 0, () -> echo + "; " + tcp);
        assertEquals(1, echo.accepted());
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** The faults: 2% loss, 1% duplication, 5% reordering. */
    private static WireFaults.Context faults(final long seed)
    {
        return new WireFaults.Context().dropProbability(0.02).duplicateProbability(0.01).reorderProbability(0.05)
            .seed(seed);
    }

    private void kernelStreamsThroughNicqEcho(final QueueService mode, final int connections, final long bytes)
        throws Exception
    {
        final NicQueue queue = lab.client.requestQueue(mode);
        final Ipv4Interface ip = new Ipv4Interface(queue, lab.client);
        final TcpLayer tcp = new TcpLayer(ip);
        final TcpEchoServer echo = new TcpEchoServer(tcp, ECHO_PORT);
        try
        {
            final Path log = dir.resolve("kernel-tcp-client-" + System.nanoTime() + ".log");
            final Process client = lab.startInNamespace(ChildJvm.command(CHILD_JVM_ARGS, KernelTcpCommand.class,
                List.of("--connect", lab.cardIp + ":" + ECHO_PORT, "--bytes", Long.toString(bytes), "--seed", "7",
                    "--connections", Integer.toString(connections))), log);
            pollUntil(ip, () -> !client.isAlive(), () -> echo + "; " + tcp + "; kernel: " + tail(log) +
                "; stack drops " + ip.dropsToString());
            assertKernelStreamsEchoed(client, log, connections, bytes, echo.toString());
            pollUntil(ip, () -> echo.open() == 0, () -> "connections still open: " + echo + "; " + tcp);
            assertEquals(connections, echo.accepted(), echo.toString());
            assertEquals(connections, echo.closedGracefully(), echo.toString());
        }
        finally
        {
            echo.onClose();
            lab.client.releaseQueue(queue);
        }
    }

    /** The kernel client's lines: each of its {@code connections} sent its seeded stream and got it back whole. */
    private void assertKernelStreamsEchoed(final Process client, final Path log, final int connections,
        final long bytes, final String nicq) throws Exception
    {
        final String output = read(log);
        assertEquals(0, client.exitValue(), output + "\n" + nicq + lab.diagnostics());
        final Matcher line = CLIENT_LINE.matcher(output);
        int checked = 0;
        while (line.find())
        {
            final int id = Integer.parseInt(line.group(1));
            final String expected = SeededStream.sha256Hex(7 + id - 1, bytes);
            assertEquals(Long.toString(bytes), line.group(2), line.group());
            assertEquals(expected, line.group(3), "the kernel sent stream " + id);
            assertEquals(Long.toString(bytes), line.group(4), "echoed bytes: " + line.group());
            assertEquals(expected, line.group(5), "the echo of connection " + id + " is the stream it sent");
            checked++;
        }
        assertEquals(connections, checked, output);
    }

    /**
     * The kernel's connections handed over to two workers ({@code tcp-echo --workers 2}), each on its own queue and
     * thread: every stream echoed whole, every connection served by a worker, every connection filter gone after.
     * With faults, the TAP wire loses, duplicates and reorders both ways (the card's egress and ingress).
     */
    @ParameterizedTest(name = "faults {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void kernelConnectionsHandedToWorkersAreEchoed(final boolean faults) throws Exception
    {
        lab = faults ? TapLab.open(dir, card -> card.wireFaults(faults(FAULT_SEED + 2))
            .ingressFaults(faults(FAULT_SEED + 3))) : TapLab.open(dir);
        final int connections = faults ? 4 : 20;
        final long bytes = faults ? 256 * 1024 : 128 * 1024;
        final TcpEchoWorkers echo = TcpEchoWorkers.start(lab.client, QueueService.INLINE, ECHO_PORT, 2, TapLab::idle);
        try
        {
            final Path log = dir.resolve("kernel-tcp-client-workers.log");
            final Process client = lab.startInNamespace(ChildJvm.command(CHILD_JVM_ARGS, KernelTcpCommand.class,
                List.of("--connect", lab.cardIp + ":" + ECHO_PORT, "--bytes", Long.toString(bytes), "--seed", "7",
                    "--connections", Integer.toString(connections))), log);
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TRANSFER_TIMEOUT_MS);
            while (client.isAlive() || echo.released() < connections)
            {
                if (System.nanoTime() - deadline > 0 || echo.failure() != null)
                {
                    fail("not done within " + TRANSFER_TIMEOUT_MS + " ms: " + echo.describe() + "; kernel: " +
                        tail(log));
                }
                Thread.sleep(5);
            }
            assertKernelStreamsEchoed(client, log, connections, bytes, echo.describe());
        }
        finally
        {
            echo.close();
        }
        System.out.print(echo.summary());
        assertNull(echo.failure(), echo.describe());
        assertEquals(connections, echo.listenerServer().handOver().connectionsHandedOver(), echo.summary());
        assertEquals(connections, echo.listenerServer().handOver().connectionsReleased(), echo.summary());
        assertEquals(0, echo.listenerServer().accepted(), "the listener kept none: " + echo.summary());
        long served = 0;
        for (final TcpEchoServer worker : echo.workerServers())
        {
            assertTrue(worker.accepted() > 0, "each worker served connections: " + echo.summary());
            assertEquals(worker.accepted(), worker.closedGracefully(), echo.summary());
            served += worker.accepted();
        }
        assertEquals(connections, served, echo.summary());
    }

    private void nicqStreamsToKernel(final QueueService mode, final long bytes, final boolean kernelEchoes,
        final long pauseMs) throws Exception
    {
        final Path log = dir.resolve("kernel-tcp-server-" + System.nanoTime() + ".log");
        final List<String> args = new ArrayList<>(List.of("--listen", lab.kernelIp + ":" + KERNEL_PORT, "--count",
            "1", "--pause-ms", Long.toString(pauseMs)));
        if (kernelEchoes)
        {
            args.add("--echo");
        }
        final Process server = lab.startInNamespace(ChildJvm.command(CHILD_JVM_ARGS, KernelTcpCommand.class, args), log);
        awaitOutput(server, log, "listening on");

        final NicQueue queue = lab.client.requestQueue(mode);
        try
        {
            final Ipv4Interface ip = new Ipv4Interface(queue, lab.client);
            final TcpLayer tcp = new TcpLayer(ip);
            final TcpSender sender = new TcpSender(tcp, Ipv4Address.parse(lab.kernelIp), KERNEL_PORT, bytes, 11);
            pollUntil(ip, sender::isDone, () -> sender.connection() + "; " + tcp + "; kernel: " + tail(log) +
                "; stack drops " + ip.dropsToString());
            assertEquals(TcpCloseReason.CLOSED, sender.closeReason(), sender.connection() + "; kernel: " + read(log));
            assertTrue(sender.connection().timestamps(), "Linux (tcp_timestamps=1) took the RFC 7323 offer");
            pollUntil(ip, () -> !server.isAlive(), () -> tail(log));
            final String output = read(log);
            assertEquals(0, server.exitValue(), output);
            final String expected = SeededStream.sha256Hex(11, bytes);
            assertEquals(expected, sender.sentSha256(), "the stream sent");
            final Matcher line = SERVER_LINE.matcher(output);
            assertTrue(line.find(), output);
            assertEquals(Long.toString(bytes), line.group(2), "bytes the kernel received: " + line.group());
            assertEquals(expected, line.group(3), "what the kernel received is the stream");
            if (kernelEchoes)
            {
                assertEquals(bytes, sender.received(), "bytes the kernel echoed");
                assertEquals(expected, sender.receivedSha256(), "the kernel's echo is the stream");
            }
            else
            {
                assertEquals(0, sender.received());
            }
        }
        finally
        {
            lab.client.releaseQueue(queue);
        }
    }

    private static void pollUntil(final Ipv4Interface ip, final BooleanSupplier done, final Supplier<String> context)
    {
        final IdleStrategy idle = TapLab.idle();
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TRANSFER_TIMEOUT_MS);
        while (!done.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("not done within " + TRANSFER_TIMEOUT_MS + " ms: " + context.get());
            }
            idle.idle(ip.poll());
        }
    }

    private static String tail(final Path log)
    {
        try
        {
            final String text = read(log);
            return text.length() > 2000 ? "..." + text.substring(text.length() - 2000) : text;
        }
        catch (final Exception ex)
        {
            return "(" + ex + ")";
        }
    }
}
