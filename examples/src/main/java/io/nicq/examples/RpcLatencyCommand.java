package io.nicq.examples;

import java.io.IOException;
import java.nio.file.Path;
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

    @Mixin
    RoundTripOptions roundTrips;

    @Option(names = "--size", defaultValue = "64", paramLabel = "BYTES",
        description = "UDP payload bytes; 64 or more carries the server's phase timestamps (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--timeout-ms", defaultValue = "1000", paramLabel = "MS", description = "An answer later than this is lost (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    public Integer call() throws IOException, InterruptedException
    {
        roundTrips.check();
        CommandLines.requirePositive(spec, "--timeout-ms", timeoutMs);
        CommandLines.requireRange(spec, "--size", size, RpcPayload.MIN_LENGTH, UdpLayer.maxPayloadAtMtu(0),
            "an RPC payload needs " + RpcPayload.MIN_LENGTH + " bytes; one UDP datagram at MTU 1500 carries at most " +
            UdpLayer.maxPayloadAtMtu(0) + ", and nicq does not fragment");
        options.queueService();   // an unknown --mode is refused before the kernel is measured
        options.pinLoopThread();
        final Path outDir = roundTrips.outDir("rpc");
        final int count = roundTrips.count;

        final KernelBaseline.Result kernel;
        final String mode;
        final RpcClient rpc;
        final boolean stopped;
        final WarmUp nicqWarmUp = roundTrips.warmUp();
        StallWatch conditions = null;
        try (StopOnShutdown signal = new StopOnShutdown("rpc-latency-shutdown", 3000))
        {
            // The kernel first, before this process has a queue of its own to spin on.
            if (roundTrips.measureKernel())
            {
                System.err.println("rpc-latency: measuring the kernel's UDP round trip (" + count + " round trips)");
                kernel = KernelBaseline.measure(roundTrips.warmUp(), count, size, roundTrips.kernelBusyPoll,
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
                rpc = new RpcClient(socket, roundTrips.serverIp(), roundTrips.serverPort(), size, timeoutMs,
                    TimeUnit.MILLISECONDS, options.idleStrategy(queue));
                System.err.println("rpc-latency: " + Ipv4Address.toString(client.ipv4()) + ":" +
                    socket.localPort() + " -> " + roundTrips.server + ", " + size + "-byte payloads, queue " +
                    queue.queueId() + " (" + mode + " mode), " + roundTrips.warmUpDescription());
                rpc.run(nicqWarmUp, count, signal::isStopped, roundTrips.progress ? System.err : null, conditions);
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

        final LatencyReport report = RpcReport.build(rpc, roundTrips.label("nicq, " + mode + " mode"), size, mode,
            kernel, mode + " mode, application loop idle: " + options.idle, nicqWarmUp, conditions);
        RoundTripOptions.printAndWrite(report, outDir);
        return 0;
    }
}
