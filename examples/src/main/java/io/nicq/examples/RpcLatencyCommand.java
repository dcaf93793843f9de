package io.nicq.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.nicq.client.Frame;
import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.UdpDatagram;
import io.nicq.client.UdpEndpoint;
import io.nicq.examples.kernel.KernelBaseline;
import io.nicq.examples.report.LatencyReport;
import io.nicq.examples.rpc.RoundTripRecorder;
import io.nicq.examples.rpc.RpcPayload;
import io.nicq.packet.Ipv4Address;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The thesis's net_latency: N request/answer round trips to a UDP echo server over a dedicated queue, one at a time,
 * then the per-phase report beside the Linux kernel's UDP round trip measured in the same run.
 */
@Command(name = "rpc-latency", mixinStandardHelpOptions = true,
    description = "RPC round trips to a UDP echo server, with the per-phase latency report and a kernel UDP baseline.")
public final class RpcLatencyCommand implements Callable<Integer>
{
    private static final int HEADERS = 14 + 20 + 8;

    @Mixin
    ClientOptions options;

    @Option(names = "--server", required = true, paramLabel = "IP:PORT", description = "The echo server")
    String server;

    @Option(names = "--count", defaultValue = "100000", paramLabel = "N", description = "Round trips recorded (default: ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--warmup", defaultValue = "-1", paramLabel = "N",
        description = "Round trips before recording starts (default: a tenth of --count, at most 20000)")
    int warmup;

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

    private final RoundTripRecorder recorder = new RoundTripRecorder();
    private final RpcPayload payload = new RpcPayload();
    private final RpcPayload completed = new RpcPayload();
    private final AtomicBoolean interrupted = new AtomicBoolean();
    private long expected;
    private boolean answered;
    private boolean recording;
    private long lost;

    public Integer call() throws IOException, InterruptedException
    {
        options.pinLoopThread();
        if (count <= 0 || size < RpcPayload.MIN_LENGTH)
        {
            throw new IllegalArgumentException("--count must be positive and --size at least " + RpcPayload.MIN_LENGTH);
        }
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

        final Thread main = Thread.currentThread();
        final Thread hook = new Thread(() ->
        {
            interrupted.set(true);
            try
            {
                main.join(3000);
            }
            catch (final InterruptedException ignore)
            {
                Thread.currentThread().interrupt();
            }
        }, "rpc-latency-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        final String mode;
        try (NicClient client = options.connect("rpc-latency");
            NicQueue queue = options.requestQueue(client);
            UdpEndpoint endpoint = UdpEndpoint.open(queue).bind(0))
        {
            mode = queue.mode().name().toLowerCase(Locale.ROOT);
            queue.txCompletionHandler(this::onTxComplete);
            if (size > endpoint.maxPayload())
            {
                throw new IllegalArgumentException("--size " + size + " is over the " + endpoint.maxPayload() +
                    " bytes a datagram can carry here");
            }
            System.err.println("rpc-latency: " + Ipv4Address.toString(client.ipv4()) + ":" + endpoint.localPort() +
                " -> " + server + ", " + size + "-byte payloads, queue " + queue.queueId() + " (" + mode + " mode), " +
                warmupCount + " warm-up + " + count + " round trips");
            final UnsafeBuffer request = new UnsafeBuffer(new byte[size]);
            run(endpoint, request, serverIp, serverPort, warmupCount, count);
        }
        finally
        {
            try
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (final IllegalStateException ignore)
            {
                // The JVM is already shutting down.
            }
        }
        if (interrupted.get())
        {
            System.err.println("rpc-latency: interrupted after " + recorder.roundTrips() + " round trips");
            return 130;
        }
        recorder.finish();

        final List<LatencyReport.Phase> phases = new ArrayList<>();
        for (int i = 0; i < RoundTripRecorder.SEGMENTS.length; i++)
        {
            phases.add(new LatencyReport.Phase(RoundTripRecorder.SEGMENTS[i], recorder.segment(i)));
        }
        final LatencyReport.Run nicq = new LatencyReport.Run(label != null ? label : "nicq, " + mode + " mode",
            recorder.roundTrip(), phases);

        LatencyReport.Run kernel = null;
        String kernelNote = "kernel baseline: not measured (--kernel-baseline none)";
        if (!"none".equalsIgnoreCase(kernelBaseline))
        {
            if (progress)
            {
                System.err.println("rpc-latency: measuring the kernel's UDP round trip (" + count + " round trips)");
            }
            final KernelBaseline.Result result = KernelBaseline.measure(warmupCount, count, size, kernelBusyPoll,
                outDir.resolve("logs"));
            kernel = new LatencyReport.Run(result.label(), result.roundTrip(), List.of());
            kernelNote = "kernel baseline: DatagramChannel echo, " + result.label() + ", same payload and count" +
                (result.lost() > 0 ? ", " + result.lost() + " lost" : "");
        }

        final LatencyReport report = new LatencyReport(String.format(Locale.ROOT,
            "RPC round trip: %d-byte UDP payload, %d round trips, %s mode", size, recorder.roundTrips(), mode),
            nicq, kernel)
            .note(kernelNote)
            .note("nicq: " + lost + " lost; shares are of the mean round trip; phases need both cards' clocks " +
                "(one host) for the wire segments");
        System.out.print(report.table());
        final List<Path> files = report.write(outDir);
        System.out.println("report files: " + outDir.toAbsolutePath() + " (" + files.size() +
            " files: report.txt, report.json, report.png, hgrm/)");
        return 0;
    }

    private void run(final UdpEndpoint endpoint, final UnsafeBuffer request, final int serverIp, final int serverPort,
        final int warmupCount, final int recordedCount)
    {
        final IdleStrategy idle = options.idleStrategy();
        final long timeoutNs = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        final long total = (long)warmupCount + recordedCount;
        final long progressEvery = Math.max(1, total / 20);
        for (long seq = 0; seq < total && !interrupted.get(); seq++)
        {
            recording = seq >= warmupCount;
            payload.wrap(request, 0, size).initRequest(seq);
            expected = seq;
            answered = false;
            final long txApp = System.nanoTime();
            if (recording)
            {
                recorder.onSend(seq, txApp);
            }
            if (endpoint.send(serverIp, serverPort, request, 0, size) == 0)
            {
                lost++;
                continue;
            }
            idle.reset();
            while (!answered)
            {
                final int received = endpoint.receive(this::onAnswer);
                if (!answered)
                {
                    if (System.nanoTime() - txApp > timeoutNs)
                    {
                        lost++;
                        if (seq == 0)
                        {
                            throw new IllegalStateException("the echo server at " + server + " does not answer (" +
                                timeoutMs + " ms)");
                        }
                        break;
                    }
                    idle.idle(received);
                }
            }
            if (progress && (seq + 1) % progressEvery == 0)
            {
                System.err.printf(Locale.ROOT, "\rrpc-latency: %d/%d round trips%s", seq + 1, total,
                    recording && recorder.roundTrip().getTotalCount() > 0 ? String.format(Locale.ROOT,
                    ", p50 so far %.2f us", recorder.roundTrip().getValueAtPercentile(50) / 1000.0) : " (warm-up)");
            }
        }
        if (progress)
        {
            System.err.println();
        }
    }

    private void onAnswer(final UdpDatagram datagram)
    {
        final long rxApp = System.nanoTime();
        payload.wrap(datagram.buffer(), datagram.offset(), datagram.length());
        if (!payload.isValid() || payload.sequence() != expected)
        {
            return;
        }
        answered = true;
        if (recording)
        {
            final Frame frame = datagram.frame();
            recorder.onReply(expected, frame.rxDeviceNs(), frame.rxDriverSawNs(), frame.rxPublishedNs(), rxApp,
                payload);
        }
    }

    private void onTxComplete(final Frame frame)
    {
        if (!recording || frame.length() < HEADERS + RpcPayload.MIN_LENGTH)
        {
            return;
        }
        completed.wrap(frame.buffer(), frame.offset() + HEADERS, RpcPayload.MIN_LENGTH);
        if (completed.isValid())
        {
            recorder.onTxComplete(completed.sequence(), frame.txEnqueuedNs(), frame.txDequeuedNs(),
                frame.txDoorbellNs(), frame.txWireNs());
        }
    }
}
