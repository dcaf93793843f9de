package io.nicq.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import io.nicq.bench.idle.FirstPacketCommand;
import io.nicq.bench.idle.IdleCommand;
import io.nicq.bench.tcp.TcpHandOverCommand;
import io.nicq.bench.tcp.TcpThroughputCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code nicq bench}: the JMH benchmarks of the packet path, each beside its baseline from the same run.
 * <pre>
 *   nicq bench                 the standard set (queue driver RX/TX/forward at batch 1 and 32, ring hop, simulated
 *                              cable throughput and latency, the kernel's UDP path as the baseline), with -prof gc
 *   nicq bench -- ARGS         JMH itself with ARGS, e.g. -- 'QueueDriver' -p batch=32 -prof gc
 *   nicq bench idle            the idle cost: each process's and thread's wake-ups and CPU ({@link IdleCommand})
 *   nicq bench first-packet    the first round trip after an idle gap, nicq over TAP beside the kernel over veth
 *                              ({@link FirstPacketCommand})
 *   nicq bench tcp             one TCP connection's bulk throughput: nicq over the cable and to the kernel over TAP,
 *                              beside the kernel's TCP over veth ({@link TcpThroughputCommand})
 *   nicq bench handover        a connection's first byte with and without its hand-over to a worker queue
 *                              ({@link TcpHandOverCommand})
 * </pre>
 * Results go to a JSON file (JMH's format) under {@code --out}; the RPC round trip against the kernel's is
 * {@code nicq demo}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = {IdleCommand.class, FirstPacketCommand.class,
    TcpThroughputCommand.class, TcpHandOverCommand.class},
    description = {"JMH benchmarks of the packet path beside the kernel's UDP path measured in the same run.",
        "Without arguments: the standard set with -prof gc. After '--': arguments for JMH itself."})
public final class BenchCommand implements Callable<Integer>
{
    /** The standard set: what docs/performance.md records. */
    static final String STANDARD = "io\\.nicq\\.bench\\.(queue\\.(QueueDriverBenchmark|IndexRingHopBenchmark)|" +
        "sim\\.Cable(Throughput|Latency)Benchmark|kernel\\.KernelUdpBenchmark)";

    @Option(names = "--out", paramLabel = "DIR", description = "Where the JSON results go (default: nicq-out/bench-<time>)")
    Path out;

    @Option(names = "--quick", description = "Fewer, shorter iterations: a smoke test, not figures to record")
    boolean quick;

    @Parameters(paramLabel = "JMH_ARG", description = "Arguments for JMH (after --)")
    List<String> jmhArgs = new ArrayList<>();

    public Integer call() throws Exception
    {
        final Path outDir = (out != null ? out : Path.of("nicq-out",
            "bench-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")))).toAbsolutePath();
        Files.createDirectories(outDir);
        final Path results = outDir.resolve("jmh.json");

        final List<String> args = new ArrayList<>();
        if (jmhArgs.isEmpty())
        {
            args.add(STANDARD);
            args.addAll(List.of("-prof", "gc"));
            if (quick)
            {
                args.addAll(List.of("-wi", "1", "-w", "500ms", "-i", "2", "-r", "500ms", "-p", "loops=shared"));
            }
        }
        else
        {
            args.addAll(jmhArgs);
        }
        args.addAll(List.of("-rf", "json", "-rff", results.toString()));
        System.err.println("nicq bench: JMH " + String.join(" ", args));
        System.err.println("nicq bench: cycles per packet = ns per packet x " + cpuGhz() + " GHz (this machine)");
        org.openjdk.jmh.Main.main(args.toArray(String[]::new));
        System.err.println("nicq bench: results in " + results);
        return 0;
    }

    /** The core clock from /proc/cpuinfo, for turning ns into cycles; "unknown" if it does not say. */
    static String cpuGhz()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/cpuinfo")))
            {
                if (line.startsWith("cpu MHz"))
                {
                    final double mhz = Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
                    return String.format(java.util.Locale.ROOT, "%.3f", mhz / 1000.0);
                }
            }
        }
        catch (final Exception ex)
        {
            // Not Linux, or no clock in cpuinfo: say so below.
        }
        return "unknown";
    }
}
