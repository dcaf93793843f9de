package io.nicq.examples.interop;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.nicq.card.CardDriver;
import io.nicq.card.QueueDriverMode;
import io.nicq.client.NicClient;
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
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.packet.Ipv4Address;
import io.nicq.packet.MacAddress;
import io.nicq.runtime.ChildJvm;
import io.nicq.sim.SimulatedCard;
import org.agrona.CloseHelper;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Interop with the Linux kernel over a TAP wire (issue 6). A simulated 82599 in this JVM has a TAP device as its
 * port; the TAP device is moved into a network namespace of its own with an address on the card's subnet, so the
 * kernel inside that namespace is the host at the other end of the cable. A card driver in this JVM owns the card.
 * <ul>
 *   <li>kernel client, nicq server: {@link EchoServer} on a nicq queue answers a {@link KernelUdpProbe} (kernel
 *   sockets, a child JVM in the namespace) that checks every answer's bytes and source. The kernel finds the card's
 *   MAC by ARP, which only the card driver's default queue can answer.</li>
 *   <li>nicq client, kernel server: {@link RpcClient} on a nicq queue measures a {@link KernelEchoCommand} in the
 *   namespace; the kernel's MAC is resolved through the card driver ({@code ResolveNeighbour}), and since the kernel
 *   echoes without writing server timestamps only the client's phases are recorded.</li>
 * </ul>
 * Needs root, {@code /dev/net/tun} and iproute2; skipped otherwise. Every name is unique per test (TAP device,
 * namespace, card, instance, subnet); card and instance files live in a {@link TempDir}; {@link #tearDown()} kills
 * the child JVMs, closes client, card driver and card (which removes the TAP device), deletes the namespace, and
 * then checks that none of them is left.
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
    private static final long CHILD_START_TIMEOUT_MS = 15_000;
    private static final long EXCHANGE_TIMEOUT_MS = 20_000;
    private static final long COMMAND_TIMEOUT_S = 10;
    /** Small, quickly started child JVMs: two cores are shared by everything in these tests. */
    private static final List<String> CHILD_JVM_ARGS = List.of("-Xmx64m", "-XX:TieredStopAtLevel=1");

    @TempDir
    Path dir;

    private final String id = UUID.randomUUID().toString().substring(0, 6);
    private final String tap = "nqi" + id;
    private final String namespace = "nicq-interop-" + id;
    private final String cardName = "interop-" + id;
    private final String instance = "interop-" + id;
    private final int subnet = ThreadLocalRandom.current().nextInt(256);
    private final String cardIp = "10.231." + subnet + ".1";
    private final String kernelIp = "10.231." + subnet + ".2";
    private final List<Process> children = new ArrayList<>();
    private final ByteArrayOutputStream driverLog = new ByteArrayOutputStream();
    private boolean started;
    private boolean namespaceCreated;
    private String previousSimDir;
    private SimulatedCard card;
    private CardDriver driver;
    private NicClient client;

    @BeforeEach
    void setUp() throws Exception
    {
        assumeTrue("root".equals(System.getProperty("user.name")), "TAP devices and network namespaces need root");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "no /dev/net/tun (tun module not loaded)");
        assumeTrue(Stream.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip")
            .anyMatch(path -> Files.isExecutable(Path.of(path))), "the ip command (iproute2) is not installed");
        final Result created = run("ip", "netns", "add", namespace);
        assumeTrue(created.exit == 0, "cannot create a network namespace here: " + created.output);
        namespaceCreated = true;
        previousSimDir = System.getProperty(SimulatedCardFiles.DIR_PROPERTY);
        started = true;

        // Inline queue drivers open the card by its spec (sim:NAME), which resolves under nicq.sim.dir.
        System.setProperty(SimulatedCardFiles.DIR_PROPERTY, dir.resolve("sim").toString());

        card = SimulatedCard.launch(new SimulatedCard.Context()
            .cardName(cardName)
            .baseDir(dir.resolve("sim"))
            .wireSpec("tap:" + tap)
            .idleStrategy(idle()));

        // The card created the TAP device in the test's own namespace when it opened it. The device moves with its
        // open descriptor, so once it is in the private namespace the kernel there is the card's peer.
        check(run("ip", "link", "set", tap, "netns", namespace));
        check(run("ip", "-n", namespace, "link", "set", "lo", "up"));
        check(run("ip", "-n", namespace, "addr", "add", kernelIp + "/24", "dev", tap));
        check(run("ip", "-n", namespace, "link", "set", tap, "up"));

        driver = CardDriver.launch(new CardDriver.Context()
            .instance(instance)
            .baseDir(dir.resolve("nicq"))
            .nicSpec(card.files().toString())
            .ipv4(cardIp + "/24")
            .queueDriverMode(QueueDriverMode.THREAD)
            .queueDriverIdle("backoff")
            .defaultRingSize(64)
            .defaultSlotCount(256)
            .logDir(dir.resolve("logs"))
            .out(new PrintStream(driverLog, true, StandardCharsets.UTF_8)));

        client = NicClient.connect(new NicClient.Context()
            .instance(instance)
            .baseDir(dir.resolve("nicq"))
            .name("interop")
            .requestTimeout(10, TimeUnit.SECONDS)
            .queueActivationTimeout(10, TimeUnit.SECONDS));
    }

    /** The card driver of this test serves queues with threads. */
    private static QueueDriverPlacement placement(final QueueService service)
    {
        return service == QueueService.INLINE ? QueueDriverPlacement.INLINE : QueueDriverPlacement.THREAD;
    }

    @AfterEach
    void tearDown() throws Exception
    {
        if (!started)
        {
            if (namespaceCreated)
            {
                run("ip", "netns", "del", namespace);
            }
            return;
        }
        try
        {
            for (final Process child : children)
            {
                child.descendants().forEach(ProcessHandle::destroyForcibly);
                child.destroyForcibly();
                child.waitFor(5, TimeUnit.SECONDS);
            }
            // The client's queue belongs to this thread, which is the test's thread: it may be closed here.
            CloseHelper.quietCloseAll(client, driver, card);
        }
        finally
        {
            if (namespaceCreated)
            {
                run("ip", "netns", "del", namespace);
            }
            // Closing the card closed the TAP descriptor, which removes the device; this is for a card that failed.
            if (run("ip", "link", "show", tap).exit == 0)
            {
                run("ip", "link", "del", tap);
            }
            if (previousSimDir == null)
            {
                System.clearProperty(SimulatedCardFiles.DIR_PROPERTY);
            }
            else
            {
                System.setProperty(SimulatedCardFiles.DIR_PROPERTY, previousSimDir);
            }
        }

        for (final Process child : children)
        {
            assertFalse(child.isAlive(), "child process " + child.pid() + " still runs");
        }
        assertFalse(run("ip", "netns", "list").output.contains(namespace), "namespace " + namespace + " is left");
        assertNotEquals(0, run("ip", "link", "show", tap).exit, "TAP device " + tap + " is left");
        assertFalse(Files.exists(dir.resolve("nicq").resolve(instance)), "the instance's files are left");
        assertFalse(Files.exists(dir.resolve("sim").resolve(cardName)), "the card's files are left");
        try (Stream<Path> shm = Files.list(Path.of("/dev/shm")))
        {
            final List<Path> ours = shm.filter(path -> path.getFileName().toString().contains(id)).toList();
            assertEquals(List.of(), ours, "files of this test left in /dev/shm");
        }
    }

    @ParameterizedTest(name = "{0} queue")
    @EnumSource(QueueService.class)
    void kernelClientGetsEveryAnswerFromTheNicqEchoServer(final QueueService mode) throws Exception
    {
        final NicQueue queue = client.requestQueue(mode);
        assertEquals(placement(mode), queue.driverPlacement(),
            "the card driver runs served queues as threads, INLINE ones are ours");
        final Ipv4Interface ip = new Ipv4Interface(queue, client);
        final UdpSocket socket = UdpSocket.open(new UdpLayer(ip)).bind(ECHO_PORT);
        final EchoServer echo = new EchoServer(socket);

        final Path log = dir.resolve("kernel-udp-probe.log");
        final Process probe = startInNamespace(ChildJvm.command(CHILD_JVM_ARGS, KernelUdpProbe.class.getName(),
            List.of(cardIp, Integer.toString(ECHO_PORT), Integer.toString(COUNT), Long.toString(ANSWER_TIMEOUT_MS),
            Long.toString(FIRST_ANSWER_TIMEOUT_MS))), log);

        // The queue (and, in INLINE mode, its queue driver) belongs to this thread: serve it until the client is done.
        final IdleStrategy idle = idle();
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EXCHANGE_TIMEOUT_MS);
        while (probe.isAlive())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("the kernel client did not finish within " + EXCHANGE_TIMEOUT_MS + " ms; echoed " +
                    echo.echoed() + "; stack drops " + ip.dropsToString() + "\n" + read(log) +
                    diagnostics());
            }
            idle.idle(echo.doWork());
        }

        final String output = read(log);
        assertEquals(KernelUdpProbe.EXIT_OK, probe.exitValue(), "the kernel client failed (echoed " + echo.echoed() +
            ", stack drops " + ip.dropsToString() + "):\n" + output + diagnostics());
        assertTrue(output.contains("answered " + COUNT + " of " + COUNT), output);
        assertEquals(COUNT, echo.echoed(), "the echo server answered each request once");
        assertEquals(COUNT, socket.datagramsReceived(), "the port filter steered every datagram to the queue");
        assertEquals(0, ip.totalDrops(), ip.dropsToString());

        // Nobody but the card driver's default queue can answer an ARP request for the card's address.
        final String neighbour = run("ip", "-n", namespace, "neigh", "show", cardIp).output;
        assertTrue(neighbour.contains(MacAddress.toString(driver.mac())), "the kernel learned the card's MAC " +
            MacAddress.toString(driver.mac()) + " by ARP: " + neighbour);
    }

    @ParameterizedTest(name = "{0} queue")
    @EnumSource(QueueService.class)
    void nicqRpcClientMeasuresTheKernelEchoServer(final QueueService mode) throws Exception
    {
        final Path log = dir.resolve("kernel-echo.log");
        final Process server = startInNamespace(ChildJvm.command(CHILD_JVM_ARGS, KernelEchoCommand.class,
            List.of("--bind", kernelIp + ":" + KERNEL_ECHO_PORT, "--busy-poll=false", "--idle-exit", "30")), log);
        awaitOutput(server, log, "listening on");

        final NicQueue queue = client.requestQueue(mode);
        assertEquals(placement(mode), queue.driverPlacement());
        final Ipv4Interface ip = new Ipv4Interface(queue, client);
        final UdpSocket socket = UdpSocket.open(new UdpLayer(ip)).bind(0);

        // The card driver resolves the kernel's address by ARP on queue 0: the MAC must be the namespace's TAP MAC.
        final long kernelMac = kernelMac();
        final long resolved = client.resolveNeighbour(Ipv4Address.parse(kernelIp));
        assertEquals(MacAddress.toString(kernelMac), MacAddress.toString(resolved), "ResolveNeighbour " + kernelIp);

        final RpcClient rpc = new RpcClient(socket, Ipv4Address.parse(kernelIp), KERNEL_ECHO_PORT,
            RpcPayload.LENGTH, ANSWER_TIMEOUT_MS, TimeUnit.MILLISECONDS, idle());
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(EXCHANGE_TIMEOUT_MS);
        final long recorded = rpc.run(RPC_WARMUP, COUNT, () -> System.nanoTime() - deadline > 0, null);

        final String context = "lost " + rpc.lost() + ", stack drops " + ip.dropsToString() +
            ", kernel echo server: " + read(log) + diagnostics();
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
        // still be on its way when the run ends.
        for (int i = 0; i < RoundTripRecorder.SEGMENTS.length; i++)
        {
            final String segment = RoundTripRecorder.SEGMENTS[i];
            final long values = recorder.segment(i).getTotalCount();
            if (segment.startsWith("client RX"))
            {
                assertEquals(COUNT, values, "client segment '" + segment + "'");
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

    private static IdleStrategy idle()
    {
        // Two cores are shared by the card, the card driver, the child JVMs and the test: park soon, never spin long.
        return new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(200));
    }

    private Process startInNamespace(final List<String> command, final Path log) throws IOException
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        full.addAll(command);
        final Process process = new ProcessBuilder(full).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
        children.add(process);
        return process;
    }

    private static void awaitOutput(final Process process, final Path log, final String text) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CHILD_START_TIMEOUT_MS);
        while (!read(log).contains(text))
        {
            if (!process.isAlive())
            {
                fail("the child exited with " + process.exitValue() + " before printing '" + text + "': " + read(log));
            }
            if (System.nanoTime() - deadline > 0)
            {
                fail("the child did not print '" + text + "' within " + CHILD_START_TIMEOUT_MS + " ms: " + read(log));
            }
            Thread.sleep(20);
        }
    }

    private long kernelMac() throws Exception
    {
        final Result link = run("ip", "-n", namespace, "-o", "link", "show", tap);
        final Matcher matcher = Pattern.compile("link/ether ([0-9a-f:]{17})").matcher(link.output);
        assertTrue(matcher.find(), link.output);
        return MacAddress.parse(matcher.group(1));
    }

    private String diagnostics() throws Exception
    {
        return "\nkernel neighbours: " + run("ip", "-n", namespace, "neigh", "show").output +
            "\nkernel link: " + run("ip", "-n", namespace, "-s", "link", "show", tap).output +
            "\ncard driver:\n" + driverLog.toString(StandardCharsets.UTF_8);
    }

    private static String read(final Path log) throws IOException
    {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private record Result(int exit, String output)
    {
    }

    private static void check(final Result result)
    {
        assertEquals(0, result.exit, result.output);
    }

    private static Result run(final String... command) throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!process.waitFor(COMMAND_TIMEOUT_S, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            return new Result(-1, String.join(" ", command) + ": no exit within " + COMMAND_TIMEOUT_S + " s");
        }
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(process.exitValue(), String.join(" ", command) + ": " + output);
    }
}
