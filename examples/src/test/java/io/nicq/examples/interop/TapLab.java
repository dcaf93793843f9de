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
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.nicq.card.CardDriver;
import io.nicq.card.QueueDriverMode;
import io.nicq.client.NicClient;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.packet.MacAddress;
import io.nicq.sim.SimulatedCard;
import org.agrona.CloseHelper;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The bench of the interop tests: a simulated 82599 in this JVM whose port is a TAP device, the TAP device moved into
 * a network namespace of its own with an address on the card's subnet (so the kernel in that namespace is the host at
 * the other end of the cable), a card driver in this JVM that owns the card, and a client of it. Child processes
 * (the kernel's peers) run inside the namespace.
 * <p>
 * Needs root, {@code /dev/net/tun} and iproute2: {@link #open} skips the test (a JUnit assumption) otherwise. Every
 * name is unique (TAP device, namespace, card, instance, subnet); card and instance files live under the test's
 * directory. {@link #close()} kills the children, closes client, card driver and card (which removes the TAP
 * device), deletes the namespace, and then checks that none of them is left.
 */
final class TapLab implements AutoCloseable
{
    static final long COMMAND_TIMEOUT_S = 10;
    static final long CHILD_START_TIMEOUT_MS = 15_000;
    /** Small, quickly started child JVMs: two cores are shared by everything in these tests. */
    static final List<String> CHILD_JVM_ARGS = List.of("-Xmx64m", "-XX:TieredStopAtLevel=1");

    final String id = UUID.randomUUID().toString().substring(0, 6);
    final String tap = "nqi" + id;
    final String namespace = "nicq-interop-" + id;
    final String cardName = "interop-" + id;
    final String instance = "interop-" + id;
    private final int subnet = ThreadLocalRandom.current().nextInt(256);
    final String cardIp = "10.231." + subnet + ".1";
    final String kernelIp = "10.231." + subnet + ".2";
    private final Path dir;
    private final List<Process> children = new ArrayList<>();
    private final ByteArrayOutputStream driverLog = new ByteArrayOutputStream();
    private final String previousSimDir;
    private boolean namespaceCreated;
    SimulatedCard card;
    CardDriver driver;
    NicClient client;

    private TapLab(final Path dir)
    {
        this.dir = dir;
        this.previousSimDir = System.getProperty(SimulatedCardFiles.DIR_PROPERTY);
    }

    /** A lab with the default simulated card. */
    static TapLab open(final Path dir) throws Exception
    {
        return open(dir, UnaryOperator.identity());
    }

    /**
     * A lab whose card is configured by {@code card} (on top of name, directory, TAP wire and idle strategy).
     * Skips the test where TAP devices or namespaces cannot be made.
     */
    static TapLab open(final Path dir, final UnaryOperator<SimulatedCard.Context> cardOptions) throws Exception
    {
        assumeTrue("root".equals(System.getProperty("user.name")), "TAP devices and network namespaces need root");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "no /dev/net/tun (tun module not loaded)");
        assumeTrue(Stream.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip")
            .anyMatch(path -> Files.isExecutable(Path.of(path))), "the ip command (iproute2) is not installed");
        final TapLab lab = new TapLab(dir);
        final Result created = run("ip", "netns", "add", lab.namespace);
        assumeTrue(created.exit() == 0, "cannot create a network namespace here: " + created.output());
        lab.namespaceCreated = true;
        try
        {
            lab.start(cardOptions);
        }
        catch (final Throwable ex)
        {
            try
            {
                lab.close();
            }
            catch (final Throwable suppressed)
            {
                ex.addSuppressed(suppressed);
            }
            throw ex;
        }
        return lab;
    }

    private void start(final UnaryOperator<SimulatedCard.Context> cardOptions) throws Exception
    {
        // Inline queue drivers open the card by its spec (sim:NAME), which resolves under nicq.sim.dir.
        System.setProperty(SimulatedCardFiles.DIR_PROPERTY, dir.resolve("sim").toString());
        card = SimulatedCard.launch(cardOptions.apply(new SimulatedCard.Context()
            .cardName(cardName)
            .baseDir(dir.resolve("sim"))
            .wireSpec("tap:" + tap)
            .idleStrategy(idle())));

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

    public void close() throws Exception
    {
        try
        {
            for (final Process child : children)
            {
                child.descendants().forEach(ProcessHandle::destroyForcibly);
                child.destroyForcibly();
                child.waitFor(5, TimeUnit.SECONDS);
            }
            // The client's queues belong to the test's thread, which is the one closing the lab.
            CloseHelper.quietCloseAll(client, driver, card);
        }
        finally
        {
            if (namespaceCreated)
            {
                run("ip", "netns", "del", namespace);
            }
            // Closing the card closed the TAP descriptor, which removes the device; this is for a card that failed.
            if (run("ip", "link", "show", tap).exit() == 0)
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
        assertFalse(run("ip", "netns", "list").output().contains(namespace), "namespace " + namespace + " is left");
        assertNotEquals(0, run("ip", "link", "show", tap).exit(), "TAP device " + tap + " is left");
        assertFalse(Files.exists(dir.resolve("nicq").resolve(instance)), "the instance's files are left");
        assertFalse(Files.exists(dir.resolve("sim").resolve(cardName)), "the card's files are left");
        try (Stream<Path> shm = Files.list(Path.of("/dev/shm")))
        {
            final List<Path> ours = shm.filter(path -> path.getFileName().toString().contains(id)).toList();
            assertEquals(List.of(), ours, "files of this test left in /dev/shm");
        }
    }

    /** An idle strategy for the test's loops: two cores are shared by everything here, so park soon. */
    static IdleStrategy idle()
    {
        return new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(200));
    }

    /** Starts {@code command} inside the namespace, its output to {@code log}; killed by {@link #close()}. */
    Process startInNamespace(final List<String> command, final Path log) throws IOException
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        full.addAll(command);
        final Process process = new ProcessBuilder(full).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
        children.add(process);
        return process;
    }

    /** Runs a command inside the namespace to its end. */
    Result inNamespace(final String... command) throws IOException, InterruptedException
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        full.addAll(List.of(command));
        return run(full.toArray(String[]::new));
    }

    /** The kernel's count of TCP segments it retransmitted in the namespace (RetransSegs of /proc/net/snmp). */
    long kernelRetransmittedSegments() throws IOException, InterruptedException
    {
        final Result snmp = inNamespace("cat", "/proc/net/snmp");
        check(snmp);
        final List<String> tcp = snmp.output().lines().filter(line -> line.startsWith("Tcp:")).toList();
        if (tcp.size() < 2)
        {
            throw new IllegalStateException("no Tcp lines in /proc/net/snmp: " + snmp.output());
        }
        final List<String> names = List.of(tcp.get(0).trim().split("\\s+"));
        final String[] values = tcp.get(1).trim().split("\\s+");
        return Long.parseLong(values[names.indexOf("RetransSegs")]);
    }

    static void awaitOutput(final Process process, final Path log, final String text) throws Exception
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

    /** The MAC of the namespace's end of the TAP wire. */
    long kernelMac() throws Exception
    {
        final Result link = run("ip", "-n", namespace, "-o", "link", "show", tap);
        final Matcher matcher = Pattern.compile("link/ether ([0-9a-f:]{17})").matcher(link.output());
        assertTrue(matcher.find(), link.output());
        return MacAddress.parse(matcher.group(1));
    }

    String diagnostics() throws Exception
    {
        return "\nkernel neighbours: " + run("ip", "-n", namespace, "neigh", "show").output() +
            "\nkernel link: " + run("ip", "-n", namespace, "-s", "link", "show", tap).output() +
            "\ncard driver:\n" + driverLog.toString(StandardCharsets.UTF_8);
    }

    static String read(final Path log) throws IOException
    {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    record Result(int exit, String output)
    {
    }

    static void check(final Result result)
    {
        assertEquals(0, result.exit(), result.output());
    }

    /**
     * Why this kernel has no {@code tc netem} (a kernel built without {@code sch_netem}), or null if it has: tried on
     * the loopback of a throwaway namespace.
     */
    static String netemUnavailableReason() throws IOException, InterruptedException
    {
        final String probe = "nicq-netem-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100_000;
        final Result created = run("ip", "netns", "add", probe);
        if (created.exit() != 0)
        {
            return "no network namespace: " + created.output().strip();
        }
        try
        {
            final Result netem = run("ip", "netns", "exec", probe, "tc", "qdisc", "add", "dev", "lo", "root", "netem",
                "delay", "1ms");
            return netem.exit() == 0 ? null : netem.output().strip();
        }
        finally
        {
            run("ip", "netns", "del", probe);
        }
    }

    static Result run(final String... command) throws IOException, InterruptedException
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
