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
import io.nicq.client.tcp.TcpLayer;
import io.nicq.examples.kernel.KernelBaseline;
import io.nicq.examples.report.LatencyReport;
import io.nicq.examples.report.StallWatch;
import io.nicq.examples.rpc.RpcPayload;
import io.nicq.examples.rpc.WarmUp;
import io.nicq.examples.tcp.TcpRpcClient;
import io.nicq.examples.tcp.TcpRpcReport;
import io.nicq.packet.Ipv4Address;
import io.nicq.runtime.CommandLines;
import org.agrona.CloseHelper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The TCP counterpart of {@code rpc-latency}: N request/answer round trips on one TCP connection (TCP_NODELAY) to a
 * nicq {@code tcp-echo} or any TCP echo server, one at a time, then the per-phase report of what the client side
 * sees ({@link TcpRpcClient}, {@link TcpRpcReport}), beside the kernel's TCP round trip measured first in the same
 * run (its own echo server across a veth pair between namespaces, or loopback: independent of {@code --server}).
 */
@Command(name = "tcp-rpc-latency", mixinStandardHelpOptions = true,
    description = "RPC round trips on one TCP connection to an echo server, with the client's per-phase report.")
public final class TcpRpcLatencyCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Option(names = "--server", required = true, paramLabel = "IP:PORT", description = "The TCP echo server")
    String server;

    @Option(names = "--count", defaultValue = "100000", paramLabel = "N", description = "Round trips recorded (default: ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--warmup", defaultValue = "-1", paramLabel = "N",
        description = "Round trips before recording starts (default: a tenth of --count, at most 20000)")
    int warmup;

    @Option(names = "--warmup-quiet-ms", defaultValue = "" + WarmUp.DEFAULT_QUIET_MS, paramLabel = "MS",
        description = {"Then warm up until no JVM of this process tree has compiled anything for this long; " +
            "0 = exactly --warmup round trips (default: ${DEFAULT-VALUE})"})
    long warmupQuietMs;

    @Option(names = "--warmup-bound-ms", defaultValue = "" + WarmUp.DEFAULT_BOUND_MS, paramLabel = "MS",
        description = "Stop waiting for the JVMs to be warm after this long, and say so (default: ${DEFAULT-VALUE})")
    long warmupBoundMs;

    @Option(names = "--size", defaultValue = "64", paramLabel = "BYTES",
        description = "Bytes per request and per answer; the stream has no other framing (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--interactive-ack-us", defaultValue = "200", paramLabel = "US",
        description = {"Let the ACK of each answer wait up to this long for the next request to carry it (the TCP " +
            "layer's interactiveAckDelay, Linux's ping-pong delayed ACK, as a kernel client does); 0 acknowledges " +
            "each answer at once, in a segment of its own (default: ${DEFAULT-VALUE})"})
    long interactiveAckUs;

    @Option(names = "--timeout-ms", defaultValue = "1000", paramLabel = "MS",
        description = "Connecting, and each answer: later than this ends the run with an error (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the report's files go (default: nicq-out/tcp-rpc-<time>)")
    Path out;

    @Option(names = "--kernel-baseline", defaultValue = "auto", paramLabel = "WHERE",
        description = {"The kernel TCP baseline, measured first: auto (a kernel echo server in a network namespace " +
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

    /** The warm-up the options ask for: until the JVMs are quiet, or a fixed count with --warmup-quiet-ms 0. */
    private WarmUp warmUp(final long minRoundTrips)
    {
        return warmupQuietMs > 0 ? WarmUp.untilCompiled(minRoundTrips, warmupQuietMs, warmupBoundMs) :
            WarmUp.fixed(minRoundTrips);
    }

    public Integer call() throws IOException, InterruptedException
    {
        CommandLines.requirePositive(spec, "--count", count);
        CommandLines.requireAtLeast(spec, "--warmup", warmup, -1);
        CommandLines.requireAtLeast(spec, "--warmup-quiet-ms", warmupQuietMs, 0);
        CommandLines.requireAtLeast(spec, "--warmup-bound-ms", warmupBoundMs, Math.max(1, warmupQuietMs));
        CommandLines.requirePositive(spec, "--timeout-ms", timeoutMs);
        final TcpLayer.Context tcpContext = new TcpLayer.Context();
        CommandLines.requireRange(spec, "--interactive-ack-us", interactiveAckUs, 0,
            TimeUnit.NANOSECONDS.toMicros(tcpContext.minRtoNs() / 2) - 1,
            "an ACK held longer than half the minimum RTO could make the server resend its answer");
        tcpContext.interactiveAckDelay(interactiveAckUs, TimeUnit.MICROSECONDS);
        final int maxSize = TcpRpcClient.maxSize(tcpContext);
        CommandLines.requireRange(spec, "--size", size, RpcPayload.MIN_LENGTH, maxSize,
            "a request needs " + RpcPayload.MIN_LENGTH + " bytes for its sequence; it is written whole into the " +
            maxSize + "-byte TCP send buffer, and its echo fills the receive buffer of the same size");
        final String[] hostPort = server.split(":");
        if (hostPort.length != 2)
        {
            throw new ParameterException(spec.commandLine(), "--server '" + server + "' must be IP:PORT");
        }
        final int serverIp;
        final int serverPort;
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
        final boolean measureKernel = switch (kernelBaseline.toLowerCase(Locale.ROOT))
        {
            case "auto" -> true;
            case "none" -> false;
            default -> throw new ParameterException(spec.commandLine(), "--kernel-baseline '" + kernelBaseline +
                "' is not auto or none");
        };
        options.queueService();
        options.pinLoopThread();
        final int warmupCount = warmup >= 0 ? warmup : Math.min(20_000, count / 10);
        final Path outDir = out != null ? out : Path.of("nicq-out",
            "tcp-rpc-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        final WarmUp warmUp = warmUp(warmupCount);

        final KernelBaseline.Result kernel;
        final String mode;
        final TcpRpcClient rpc;
        final boolean stopped;
        StallWatch conditions = null;
        try (StopOnShutdown signal = new StopOnShutdown("tcp-rpc-latency-shutdown", 3000))
        {
            // The kernel first, before this process has a queue of its own to spin on.
            if (measureKernel)
            {
                System.err.println("tcp-rpc-latency: measuring the kernel's TCP round trip (" + count +
                    " round trips)");
                kernel = KernelBaseline.measure(KernelBaseline.Protocol.TCP, warmUp(warmupCount), count, size,
                    kernelBusyPoll, outDir.resolve("logs"), true);
            }
            else
            {
                kernel = null;
            }
            // Its hiccup meter wakes a thousand times a second: not while the kernel is measured.
            conditions = StallWatch.ofThisProcessTree("nicq", "tcp-rpc-latency");
            try (NicClient client = options.connect("tcp-rpc-latency");
                NicQueue queue = options.requestQueue(client))
            {
                final TcpLayer tcp = new TcpLayer(new Ipv4Interface(queue, client), tcpContext);
                mode = queue.driverPlacement().name().toLowerCase(Locale.ROOT);
                rpc = new TcpRpcClient(tcp, size, timeoutMs, TimeUnit.MILLISECONDS, options.idleStrategy(queue))
                    .connect(serverIp, serverPort, timeoutMs, TimeUnit.MILLISECONDS);
                System.err.println("tcp-rpc-latency: " + Ipv4Address.toString(client.ipv4()) + ":" +
                    rpc.connection().localPort() + " -> " + server + ", " + size + "-byte messages, queue " +
                    queue.queueId() + " (" + mode + " mode), " + (warmupQuietMs > 0 ? "at least " : "") +
                    warmupCount + " warm-up + " + count + " round trips");
                try
                {
                    rpc.run(warmUp, count, signal::isStopped, progress ? System.err : null, conditions);
                }
                finally
                {
                    rpc.close(timeoutMs, TimeUnit.MILLISECONDS);
                }
            }
            stopped = signal.isStopped();
        }
        finally
        {
            CloseHelper.close(conditions);
        }
        if (stopped)
        {
            System.err.println("tcp-rpc-latency: interrupted after " + rpc.recorder().roundTrips() + " round trips");
            return 130;
        }
        final LatencyReport report = TcpRpcReport.build(rpc, label != null ? label : "nicq TCP, " + mode + " mode",
            server, mode, kernel, mode + " mode, application loop idle: " + options.idle, warmUp, conditions);
        System.out.print(report.table());
        final List<Path> files = report.write(outDir);
        System.out.println("report files: " + outDir.toAbsolutePath() + " (" + files.size() +
            " files: report.txt, report.json, report.png, hgrm/)");
        return 0;
    }
}
