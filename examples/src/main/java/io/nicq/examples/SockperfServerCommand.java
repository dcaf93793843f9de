package io.nicq.examples;

import java.util.Locale;
import java.util.concurrent.Callable;

import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.udp.UdpLayer;
import io.nicq.client.udp.UdpSocket;
import io.nicq.examples.sockperf.SockperfUdpServer;
import io.nicq.packet.Ipv4Address;
import io.nicq.runtime.CommandLines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A sockperf server on a dedicated queue, so that anyone can point the field's standard latency tool at a nicq host:
 * {@code sockperf ping-pong -i IP -p PORT} (or {@code under-load}) from any Linux host.
 */
@Command(name = "sockperf-server", mixinStandardHelpOptions = true,
    description = "Answers sockperf's ping-pong and under-load clients (UDP) on its own hardware queue.")
public final class SockperfServerCommand implements Callable<Integer>
{
    /** sockperf's default port. */
    static final int DEFAULT_PORT = 11111;

    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Option(names = "--port", defaultValue = "" + DEFAULT_PORT, paramLabel = "PORT",
        description = "UDP port to answer on (default: ${DEFAULT-VALUE}, sockperf's)")
    int port;

    @Option(names = "--duration", defaultValue = "0", paramLabel = "SECONDS",
        description = "Stop after this long (default: run until interrupted)")
    long durationSeconds;

    public Integer call() throws Exception
    {
        CommandLines.requirePort(spec, "--port", port);
        CommandLines.requireAtLeast(spec, "--duration", durationSeconds, 0);
        options.pinLoopThread();
        try (StopOnShutdown signal = new StopOnShutdown("sockperf-server-shutdown", 2000);
            NicClient client = options.connect("sockperf-server");
            NicQueue queue = options.requestQueue(client);
            UdpSocket socket = UdpSocket.open(new UdpLayer(new Ipv4Interface(queue, client))).bind(port))
        {
            final SockperfUdpServer server = new SockperfUdpServer(socket);
            System.out.println("sockperf-server: listening on " + Ipv4Address.toString(client.ipv4()) + ":" + port +
                " udp (queue " + queue.queueId() + ", " +
                queue.driverPlacement().name().toLowerCase(Locale.ROOT) + " mode)");
            System.out.flush();

            signal.serve(server, options.idleStrategy(), durationSeconds);
            System.out.println("sockperf-server: " + server + "; stack drops: " + socket.udp().ip().dropsToString());
        }
        return 0;
    }
}
