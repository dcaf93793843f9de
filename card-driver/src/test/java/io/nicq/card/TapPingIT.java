package io.nicq.card;

import io.nicq.ixgbe.ReceiveAddress;
import io.nicq.packet.MacAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.nicq.ixgbe.Registers.*;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Linux kernel as the peer: the simulated card's port is a TAP device moved into a private network namespace
 * (10.0.0.2/24); the kernel resolves the card's MAC by ARP (answered by the card driver's default queue) and pings
 * the card's address. Needs root (TAP and namespaces); skipped otherwise. Names are unique; the namespace goes in
 * {@link #tearDown()} even when the test fails.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TapPingIT
{
    private static final long COMMAND_TIMEOUT_S = 15;

    @TempDir
    Path dir;

    private final String id = UUID.randomUUID().toString().substring(0, 6);
    private final String tap = "nqt" + id;
    private final String namespace = "nicq-it-" + id;
    private ProcessFixture fixture;
    private boolean namespaceCreated;

    @BeforeEach
    void setUp() throws Exception
    {
        assumeTrue("root".equals(System.getProperty("user.name")), "TAP devices and namespaces need root");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "no /dev/net/tun");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")) ||
            Files.isExecutable(Path.of("/usr/bin/ip")), "no ip command");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/ping")) || Files.isExecutable(Path.of("/bin/ping")),
            "no ping command (Debian: apt-get install iputils-ping)");
        final Result created = run("ip", "netns", "add", namespace);
        assumeTrue(created.exit == 0, "cannot create a network namespace: " + created.output);
        namespaceCreated = true;
        fixture = new ProcessFixture(dir);
    }

    @AfterEach
    void tearDown() throws Exception
    {
        if (fixture != null)
        {
            fixture.close();
        }
        if (namespaceCreated)
        {
            run("ip", "netns", "del", namespace);
        }
        run("ip", "link", "del", tap);
    }

    @Test
    void kernelResolvesTheCardByArpAndPingGetsReplies() throws Exception
    {
        fixture.startCard("tap:" + tap);
        ProcessFixture.awaitTrue(() -> quiet("ip", "link", "show", tap).exit == 0, 30_000,
            "the simulated card created " + tap);
        check(run("ip", "link", "set", tap, "netns", namespace));
        check(run("ip", "-n", namespace, "link", "set", "lo", "up"));
        check(run("ip", "-n", namespace, "addr", "add", "10.0.0.2/24", "dev", tap));
        check(run("ip", "-n", namespace, "link", "set", tap, "up"));

        fixture.startCardDriver();
        final long mac = ReceiveAddress.mac(fixture.nic().bar().read(ral(0)), fixture.nic().bar().read(rah(0)));

        final Result ping = run("ip", "netns", "exec", namespace, "ping", "-c", "3", "-i", "0.3", "-W", "2",
            "10.0.0.1");
        assertEquals(0, ping.exit, ping.output + "\n" + fixture.log("card-driver.log"));
        assertTrue(ping.output.contains("3 received") || ping.output.contains("2 received"), ping.output);

        final Result neighbour = run("ip", "-n", namespace, "neigh", "show", "10.0.0.1");
        assertTrue(neighbour.output.contains(MacAddress.toString(mac)), "the kernel learned the card's MAC " +
            MacAddress.toString(mac) + " by ARP: " + neighbour.output);

        final String[] stat = {""};
        final java.io.StringWriter text = new java.io.StringWriter();
        final picocli.CommandLine commandLine = new picocli.CommandLine(new StatCommand());
        commandLine.setOut(new java.io.PrintWriter(text));
        assertEquals(0, commandLine.execute("--instance", fixture.instance, "--dir", fixture.nicqDir.toString(),
            "--once", "--view", "counters"));
        stat[0] = text.toString();
        assertTrue(CardDriverEmbeddedTest.counter(stat[0], "default queue ARP requests answered") >= 1, stat[0]);
        assertTrue(CardDriverEmbeddedTest.counter(stat[0], "default queue ICMP echo requests answered") >= 2, stat[0]);
    }

    private record Result(int exit, String output)
    {
    }

    private static void check(final Result result)
    {
        assertEquals(0, result.exit, result.output);
    }

    private static Result quiet(final String... command)
    {
        try
        {
            return run(command);
        }
        catch (final Exception ex)
        {
            return new Result(-1, ex.toString());
        }
    }

    private static Result run(final String... command) throws IOException, InterruptedException
    {
        final List<String> args = new ArrayList<>(List.of(command));
        final Process process = new ProcessBuilder(args).redirectErrorStream(true).start();
        if (!process.waitFor(COMMAND_TIMEOUT_S, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            return new Result(-1, String.join(" ", args) + ": timed out after " + COMMAND_TIMEOUT_S + " s");
        }
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(process.exitValue(), String.join(" ", args) + ": " + output);
    }
}
