package io.nicq.examples;

import java.io.IOException;
import java.nio.file.Path;
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

    @Mixin
    RoundTripOptions roundTrips;

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

    public Integer call() throws IOException, InterruptedException
    {
        roundTrips.check();
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
        options.queueService();
        options.pinLoopThread();
        final Path outDir = roundTrips.outDir("tcp-rpc");
        final int count = roundTrips.count;
        final WarmUp warmUp = roundTrips.warmUp();

        final KernelBaseline.Result kernel;
        final String mode;
        final TcpRpcClient rpc;
        final boolean stopped;
        StallWatch conditions = null;
        try (StopOnShutdown signal = new StopOnShutdown("tcp-rpc-latency-shutdown", 3000))
        {
            // The kernel first, before this process has a queue of its own to spin on.
            if (roundTrips.measureKernel())
            {
                System.err.println("tcp-rpc-latency: measuring the kernel's TCP round trip (" + count +
                    " round trips)");
                kernel = KernelBaseline.measure(KernelBaseline.Protocol.TCP, roundTrips.warmUp(), count, size,
                    roundTrips.kernelBusyPoll, outDir.resolve("logs"), true);
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
                    .connect(roundTrips.serverIp(), roundTrips.serverPort(), timeoutMs, TimeUnit.MILLISECONDS);
                System.err.println("tcp-rpc-latency: " + Ipv4Address.toString(client.ipv4()) + ":" +
                    rpc.connection().localPort() + " -> " + roundTrips.server + ", " + size + "-byte messages, queue " +
                    queue.queueId() + " (" + mode + " mode), " + roundTrips.warmUpDescription());
                try
                {
                    rpc.run(warmUp, count, signal::isStopped, roundTrips.progress ? System.err : null, conditions);
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
        final LatencyReport report = TcpRpcReport.build(rpc, roundTrips.label("nicq TCP, " + mode + " mode"),
            roundTrips.server, mode, kernel, mode + " mode, application loop idle: " + options.idle, warmUp,
            conditions);
        RoundTripOptions.printAndWrite(report, outDir);
        return 0;
    }
}
