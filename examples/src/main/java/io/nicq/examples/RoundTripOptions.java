package io.nicq.examples;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

import io.nicq.examples.report.LatencyReport;
import io.nicq.examples.rpc.WarmUp;
import io.nicq.packet.Ipv4Address;
import io.nicq.runtime.CommandLines;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * What the round-trip examples ({@code rpc-latency}, {@code tcp-rpc-latency}) ask alike: the echo server, how many
 * round trips, the warm-up, the kernel's baseline and where the report goes. {@link #check()} refuses
 * what a user gets wrong with one line naming the limit, before anything is measured or connected to. The payload size
 * and the timeout mean something else to each protocol (a datagram's limit is the MTU, a TCP message's the send
 * buffer; a late UDP answer is lost, a late TCP one ends the run), so each command keeps those two.
 */
public final class RoundTripOptions
{
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--server", required = true, paramLabel = "IP:PORT", description = "The echo server")
    String server;

    @Option(names = "--count", defaultValue = "100000", paramLabel = "N",
        description = "Round trips recorded (default: ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--warmup", defaultValue = "-1", paramLabel = "N",
        description = "Round trips before recording starts (default: a tenth of --count, at most 20000)")
    int warmup;

    @Option(names = "--warmup-quiet-ms", defaultValue = "" + WarmUp.DEFAULT_QUIET_MS, paramLabel = "MS",
        description = {"Then warm up until no JVM of this process tree (this one and those it started: the " +
            "kernel's echo server) has compiled anything for this long; 0 = exactly --warmup round trips (default: " +
            "${DEFAULT-VALUE}). The card driver's JVM is not this process's child and is not watched"})
    long warmupQuietMs;

    @Option(names = "--warmup-bound-ms", defaultValue = "" + WarmUp.DEFAULT_BOUND_MS, paramLabel = "MS",
        description = "Stop waiting for the JVMs to be warm after this long, and say so (default: ${DEFAULT-VALUE})")
    long warmupBoundMs;

    @Option(names = "--out", paramLabel = "DIR",
        description = "Where the report's files go (default: nicq-out/<command>-<time>)")
    Path out;

    @Option(names = "--kernel-baseline", defaultValue = "auto", paramLabel = "WHERE",
        description = {"The kernel's baseline, measured first: auto (a kernel echo server in a network namespace " +
            "across a veth pair as root, else on loopback) or none (default: ${DEFAULT-VALUE})"})
    String kernelBaseline;

    @Option(names = "--kernel-busy-poll", defaultValue = "true", negatable = true, fallbackValue = "true",
        description = "Busy-poll the kernel's sockets (the strongest baseline) instead of blocking (default: ${DEFAULT-VALUE})")
    boolean kernelBusyPoll;

    @Option(names = "--label", paramLabel = "TEXT", description = "What to call the nicq run in the report")
    String label;

    @Option(names = "--progress", defaultValue = "true", negatable = true, fallbackValue = "true",
        description = "Print a progress line (default: ${DEFAULT-VALUE})")
    boolean progress;

    private int serverIp;
    private int serverPort;
    private boolean measureKernel;

    /**
     * Checks every shared option, parses the server and the kernel baseline; a mistake is a one-line usage error.
     *
     * @return this, checked.
     */
    RoundTripOptions check()
    {
        CommandLines.requirePositive(spec, "--count", count);
        CommandLines.requireAtLeast(spec, "--warmup", warmup, -1);
        CommandLines.requireAtLeast(spec, "--warmup-quiet-ms", warmupQuietMs, 0);
        CommandLines.requireAtLeast(spec, "--warmup-bound-ms", warmupBoundMs, Math.max(1, warmupQuietMs));
        final String[] hostPort = server.split(":");
        if (hostPort.length != 2)
        {
            throw new ParameterException(spec.commandLine(), "--server '" + server + "' must be IP:PORT");
        }
        try
        {
            serverIp = Ipv4Address.parse(hostPort[0]);
            serverPort = Integer.parseInt(hostPort[1]);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), "--server '" + server + "' must be IP:PORT (" +
                ex.getMessage() + ")");
        }
        CommandLines.requirePort(spec, "--server", serverPort);
        measureKernel = switch (kernelBaseline.toLowerCase(Locale.ROOT))
        {
            case "auto" -> true;
            case "none" -> false;
            default -> throw new ParameterException(spec.commandLine(), "--kernel-baseline '" + kernelBaseline +
                "' is not auto or none");
        };
        return this;
    }

    int serverIp()
    {
        return serverIp;
    }

    int serverPort()
    {
        return serverPort;
    }

    boolean measureKernel()
    {
        return measureKernel;
    }

    /** Round trips of warm-up at least: --warmup, or a tenth of --count, at most 20,000. */
    int warmupCount()
    {
        return warmup >= 0 ? warmup : Math.min(20_000, count / 10);
    }

    /** A fresh warm-up as the options ask (one per measurement): until the JVMs are quiet, or a fixed count. */
    WarmUp warmUp()
    {
        return warmupQuietMs > 0 ? WarmUp.untilCompiled(warmupCount(), warmupQuietMs, warmupBoundMs) :
            WarmUp.fixed(warmupCount());
    }

    /** What the command line says about the warm-up, for the start line. */
    String warmUpDescription()
    {
        return (warmupQuietMs > 0 ? "at least " : "") + warmupCount() + " warm-up + " + count + " round trips";
    }

    /** --out, or nicq-out/PREFIX-yyyyMMdd-HHmmss. */
    Path outDir(final String prefix)
    {
        return out != null ? out : Path.of("nicq-out",
            prefix + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }

    /** --label, or the command's own name for the run. */
    String label(final String otherwise)
    {
        return label != null ? label : otherwise;
    }

    /** Prints the table and writes the report's files under {@code outDir}, saying where. */
    static void printAndWrite(final LatencyReport report, final Path outDir) throws java.io.IOException
    {
        System.out.print(report.table());
        final List<Path> files = report.write(outDir);
        System.out.println("report files: " + outDir.toAbsolutePath() + " (" + files.size() +
            " files: report.txt, report.json, report.png, hgrm/)");
    }
}
