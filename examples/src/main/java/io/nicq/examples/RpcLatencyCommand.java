package io.nicq.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.udp.UdpLayer;
import io.nicq.client.udp.UdpSocket;
import io.nicq.examples.kernel.KernelBaseline;
import io.nicq.examples.report.LatencyReport;
import io.nicq.examples.report.StallWatch;
import io.nicq.examples.rpc.RpcClient;
import io.nicq.examples.rpc.RpcPayload;
import io.nicq.examples.rpc.RpcReport;
import io.nicq.examples.rpc.WarmUp;
import io.nicq.packet.Ipv4Address;
import io.nicq.runtime.CommandLines;
import org.agrona.CloseHelper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The thesis's net_latency: N request/answer round trips to a UDP echo server over a dedicated queue, one at a time,
 * then the per-phase report beside the Linux kernel's UDP round trip measured in the same run.
 */
@Command(name = "rpc-latency", mixinStandardHelpOptions = true,
    description = "RPC round trips to a UDP echo server, with the per-phase latency report and a kernel UDP baseline.")
public final class RpcLatencyCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Option(names = "--server", required = true, paramLabel = "IP:PORT", description = "The echo server")
    String server;

    @Option(names = "--count", defaultValue = "100000", paramLabel = "N", description = "Round trips recorded (default: ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--warmup", defaultValue = "-1", paramLabel = "N",
        description = "Round trips before recording starts (default: a tenth of --count, at most 20000)")
    int warmup;

    @Option(names = "--warmup-quiet-ms", defaultValue = "" + WarmUp.DEFAULT_QUIET_MS, paramLabel = "MS",
        description = {"Then warm up until no JVM of the run (this one and those it started: the kernel's echo " +
            "server) has compiled anything for this long; 0 = exactly --warmup round trips (default: " +
            "${DEFAULT-VALUE}). The card driver's JVM is not this process's child and is not watched"})
    long warmupQuietMs;

    @Option(names = "--warmup-bound-ms", defaultValue = "" + WarmUp.DEFAULT_BOUND_MS, paramLabel = "MS",
        description = "Stop waiting for the JVMs to be warm after this long, and say so (default: ${DEFAULT-VALUE})")
    long warmupBoundMs;

    @Option(names = "--size", defaultValue = "64", paramLabel = "BYTES",
        description = "UDP payload bytes; 64 or more carries the server's phase timestamps (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--timeout-ms", defaultValue = "1000", paramLabel = "MS", description = "An answer later than this is lost (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the report's files go (default: nicq-out/rpc-<time>)")
    Path out;

    @Option(names = "--kernel-baseline", defaultValue = "auto", paramLabel = "WHERE",
        description = "The kernel UDP baseline: auto (namespaces as root, else loopback) or none (default: ${DEFAULT-VALUE})")
    String kernelBaseline;

    @Option(names = "--kernel-busy-poll", defaultValue = "true", negatable = true, fallbackValue = "true",
        description = "Busy-poll the kernel's sockets (the strongest baseline) instead of blocking (default: ${DEFAULT-VALUE})")
    boolean kernelBusyPoll;

    @Option(names = "--label", paramLabel = "TEXT", description = "What to call the nicq run in the report")
    String label;

    @Option(names = "--progress", defaultValue = "true", negatable = true, fallbackValue = "true",
        description = "Print a progress line (default: ${DEFAULT-VALUE})")
    boolean progress;

    /** The warm-up the options ask for: until the JVMs are quiet, or a fixed count with --warmup-quiet-ms 0. */
    private WarmUp warmUp(final long minRoundTrips)
    {
        return warmupQuietMs > 0 ? WarmUp.untilCompiled(minRoundTrips, warmupQuietMs, warmupBoundMs) :
            WarmUp.fixed(minRoundTrips);
    }

    public Integer call() throws IOException, InterruptedException
    {
        options.pinLoopThread();
        CommandLines.requirePositive(spec, "--count", count);
        CommandLines.requireAtLeast(spec, "--warmup", warmup, -1);
        CommandLines.requireAtLeast(spec, "--warmup-quiet-ms", warmupQuietMs, 0);
        CommandLines.requireAtLeast(spec, "--warmup-bound-ms", warmupBoundMs, Math.max(1, warmupQuietMs));
        CommandLines.requirePositive(spec, "--timeout-ms", timeoutMs);
        CommandLines.requireRange(spec, "--size", size, RpcPayload.MIN_LENGTH, UdpLayer.maxPayloadAtMtu(0),
            "an RPC payload needs " + RpcPayload.MIN_LENGTH + " bytes; one UDP datagram at MTU 1500 carries at most " +
            UdpLayer.maxPayloadAtMtu(0) + ", and nicq does not fragment");
        final int warmupCount = warmup >= 0 ? warmup : Math.min(20_000, count / 10);
        final Path outDir = out != null ? out : Path.of("nicq-out",
            "rpc-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        final String[] hostPort = server.split(":");
        if (hostPort.length != 2)
        {
            throw new IllegalArgumentException("--server '" + server + "' must be IP:PORT");
        }
        final int serverIp = Ipv4Address.parse(hostPort[0]);
        final int serverPort = Integer.parseInt(hostPort[1]);
        CommandLines.requirePort(spec, "--server", serverPort);

        final KernelBaseline.Result kernel;
        final String mode;
        final RpcClient rpc;
        final boolean stopped;
        final WarmUp nicqWarmUp = warmUp(warmupCount);
        StallWatch conditions = null;
        try (StopOnShutdown signal = new StopOnShutdown("rpc-latency-shutdown", 3000))
        {
            // The kernel first, before this process has a queue of its own to spin on.
            if (!"none".equalsIgnoreCase(kernelBaseline))
            {
                System.err.println("rpc-latency: measuring the kernel's UDP round trip (" + count + " round trips)");
                kernel = KernelBaseline.measure(warmUp(warmupCount), count, size, kernelBusyPoll,
                    outDir.resolve("logs"), true);
            }
            else
            {
                kernel = null;
            }

            // Its hiccup meter wakes a thousand times a second: not while the kernel is measured.
            conditions = StallWatch.ofThisProcessTree("nicq", "rpc-latency");
            try (NicClient client = options.connect("rpc-latency");
                NicQueue queue = options.requestQueue(client);
                UdpSocket socket = UdpSocket.open(new UdpLayer(new Ipv4Interface(queue, client))).bind(0))
            {
                // The instance's MTU may be smaller than the default the size was checked against.
                CommandLines.requireRange(spec, "--size", size, RpcPayload.MIN_LENGTH, socket.maxPayload(),
                    "one UDP datagram at this instance's MTU " + client.mtu() + ", and nicq does not fragment");
                mode = queue.driverPlacement().name().toLowerCase(Locale.ROOT);
                rpc = new RpcClient(socket, serverIp, serverPort, size, timeoutMs, TimeUnit.MILLISECONDS,
                    options.idleStrategy(queue));
                System.err.println("rpc-latency: " + Ipv4Address.toString(client.ipv4()) + ":" +
                    socket.localPort() + " -> " + server + ", " + size + "-byte payloads, queue " + queue.queueId() +
                    " (" + mode + " mode), " + (warmupQuietMs > 0 ? "at least " : "") + warmupCount + " warm-up + " +
                    count + " round trips");
                rpc.run(nicqWarmUp, count, signal::isStopped, progress ? System.err : null, conditions);
            }
            stopped = signal.isStopped();
        }
        finally
        {
            CloseHelper.close(conditions);
        }
        if (stopped)
        {
            System.err.println("rpc-latency: interrupted after " + rpc.recorder().roundTrips() + " round trips");
            return 130;
        }

        final LatencyReport report = RpcReport.build(rpc, label != null ? label : "nicq, " + mode + " mode", size,
            mode, kernel, mode + " mode, application loop idle: " + options.idle, nicqWarmUp, conditions);
        System.out.print(report.table());
        final List<Path> files = report.write(outDir);
        System.out.println("report files: " + outDir.toAbsolutePath() + " (" + files.size() +
            " files: report.txt, report.json, report.png, hgrm/)");
        return 0;
    }
}
