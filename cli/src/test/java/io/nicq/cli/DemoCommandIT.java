package io.nicq.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.nicq.runtime.CommandLines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code nicq demo} end to end with short counts, as picocli runs it: the TCP path alone and both protocols, the
 * report's files and table with TCP's rows, the ratios to the kernel and TCP's cost over UDP, and nothing left
 * behind (child processes, /dev/shm directories, network namespaces).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DemoCommandIT
{
    private static final List<String> SHORT = List.of("--count", "500", "--warmup", "200", "--warmup-quiet-ms", "0");

    @TempDir
    Path dir;

    @Test
    void theTcpPathAloneReportsNicqsTcpRoundTripAndItsStack() throws Exception
    {
        final Path out = dir.resolve("tcp");
        final String table = demo(out, "--proto", "tcp", "--kernel-baseline", "none");
        assertTrue(table.contains("== tcp ==") && !table.contains("== udp =="), table);
        assertTrue(table.contains("round trip: nicq TCP, inline mode"), table);
        assertTrue(table.contains("client TX: app write -> segment (TCP stack)") &&
            table.contains("client RX: app -> bytes read (TCP stack)"), "the TCP stack's own phases:\n" + table);
        assertTrue(table.contains("TCP segments per round trip"), table);
        assertTrue(table.contains("kernel baseline: not measured"), table);
        assertTrue(table.contains("round trips: 500 nicq;"), table);
        assertFalse(table.contains("TCP over UDP"), "one protocol has nothing to compare:\n" + table);
        for (final String name : List.of("report.txt", "report.json", "report.png", "hgrm/tcp-round-trip-nicq.hgrm",
            "hgrm/tcp-phase-01-client-tx-app-write-segment-tcp-stack.hgrm"))
        {
            assertTrue(Files.size(out.resolve(name)) > 0, name);
        }
        assertTrue(Files.readString(out.resolve("report.json")).contains("\"tcp\""), "the JSON's tcp section");
    }

    @Test
    void bothProtocolsBesideTheKernelsInOneReport() throws Exception
    {
        final Path out = dir.resolve("both");
        final String table = demo(out, "--proto", "both");
        final int udp = table.indexOf("== udp ==");
        final int tcp = table.indexOf("== tcp ==");
        assertTrue(udp >= 0 && tcp > udp, "UDP's section, then TCP's:\n" + table);
        assertTrue(table.contains("round trip: nicq UDP, inline mode") && table.contains("round trip: kernel UDP,"),
            table);
        assertTrue(table.contains("round trip: nicq TCP, inline mode") && table.contains("round trip: kernel TCP,"),
            table);
        assertEquals(2, count(table, "ratio nicq / kernel"), "a ratio row in each section:\n" + table);
        assertTrue(table.contains("round trips: 500 nicq, 500 kernel"), table);
        assertTrue(table.matches("(?s).*TCP over UDP at p50: nicq [+-]\\d+ ns \\(UDP [\\d.]+ us, TCP [\\d.]+ us\\); " +
            "kernel [+-]\\d+ ns.*"), "TCP's cost over UDP at p50, in ns:\n" + table);
        final String json = Files.readString(out.resolve("report.json"));
        assertTrue(json.contains("\"udp\"") && json.contains("\"tcp\"") && json.contains("tcpOverUdpP50NsNicq") &&
            json.contains("tcpOverUdpP50NsKernel") && json.contains("ratioNicqToKernel"), json);
        for (final String name : List.of("report.png", "hgrm/udp-round-trip-nicq.hgrm",
            "hgrm/udp-round-trip-kernel.hgrm", "hgrm/tcp-round-trip-nicq.hgrm", "hgrm/tcp-round-trip-kernel.hgrm"))
        {
            assertTrue(Files.size(out.resolve(name)) > 0, name);
        }
        assertTrue(Files.readString(out.resolve("logs/kernel-tcp-echo.log")).contains("listening on"),
            "the kernel's TCP echo server ran");
    }

    /** Runs the demo; checks its status and that it left nothing behind; returns its table. */
    private String demo(final Path out, final String... args) throws Exception
    {
        final String[] all = new String[SHORT.size() + args.length + 2];
        int i = 0;
        for (final String arg : SHORT)
        {
            all[i++] = arg;
        }
        for (final String arg : args)
        {
            all[i++] = arg;
        }
        all[i++] = "--out";
        all[i] = out.toString();
        final StringWriter err = new StringWriter();
        final CommandLine commandLine = CommandLines.configure(new CommandLine(new DemoCommand()));
        commandLine.setErr(new PrintWriter(err));
        assertEquals(0, commandLine.execute(all), err::toString);

        final long pid = ProcessHandle.current().pid();
        assertFalse(Files.exists(Path.of("/dev/shm", "nicq-demo-" + pid)), "instance directory removed");
        assertFalse(Files.exists(Path.of("/dev/shm", "nicq-demo-" + pid + "-sim")), "card directory removed");
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ProcessHandle.current().children().anyMatch(ProcessHandle::isAlive) &&
            System.nanoTime() - deadline < 0)
        {
            Thread.sleep(50);
        }
        assertEquals(0, ProcessHandle.current().children().filter(ProcessHandle::isAlive).count(),
            "no child process left");
        final Path netns = Path.of("/run/netns");
        if (Files.isDirectory(netns))
        {
            final String tag = "nicq-" + Long.toString(pid % 100_000_000L, 36);
            try (var names = Files.list(netns))
            {
                assertTrue(names.noneMatch(p -> p.getFileName().toString().equals(tag)), "namespace " + tag +
                    " removed");
            }
        }
        return Files.readString(out.resolve("report.txt"));
    }

    private static int count(final String text, final String part)
    {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1))
        {
            n++;
        }
        return n;
    }
}
