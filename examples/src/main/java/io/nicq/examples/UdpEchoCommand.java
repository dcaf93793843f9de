package io.nicq.examples;

import java.util.Locale;
import java.util.concurrent.Callable;

import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.udp.UdpLayer;
import io.nicq.client.udp.UdpSocket;
import io.nicq.examples.rpc.EchoServer;
import io.nicq.packet.Ipv4Address;
import io.nicq.runtime.CommandLines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * UDP echo server on a dedicated queue: every datagram goes back to its sender from the slot it arrived in (zero
 * copy), with the server's phase timestamps written into RPC payloads ({@link EchoServer}).
 */
@Command(name = "udp-echo", mixinStandardHelpOptions = true,
    description = "UDP echo server on its own hardware queue (zero-copy replies, server phases reported in RPC payloads).")
public final class UdpEchoCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Option(names = "--port", required = true, paramLabel = "PORT", description = "UDP port to answer on")
    int port;

    @Option(names = "--duration", defaultValue = "0", paramLabel = "SECONDS",
        description = "Stop after this long (default: run until interrupted)")
    long durationSeconds;

    public Integer call() throws Exception
    {
        CommandLines.requirePort(spec, "--port", port);
        CommandLines.requireAtLeast(spec, "--duration", durationSeconds, 0);
        options.pinLoopThread();
        try (StopOnShutdown signal = new StopOnShutdown("udp-echo-shutdown", 2000);
            NicClient client = options.connect("udp-echo");
            NicQueue queue = options.requestQueue(client);
            UdpSocket socket = UdpSocket.open(new UdpLayer(new Ipv4Interface(queue, client))).bind(port))
        {
            final EchoServer server = new EchoServer(socket);
            System.out.println("udp-echo: listening on " + Ipv4Address.toString(client.ipv4()) + ":" + port +
                " (queue " + queue.queueId() + ", " + queue.driverPlacement().name().toLowerCase(Locale.ROOT) +
                " mode)");
            System.out.flush();

            signal.serve(server, options.idleStrategy(queue), durationSeconds);
            System.out.println("udp-echo: echoed " + server.echoed() + " datagrams; stack drops: " +
                socket.udp().ip().dropsToString());
        }
        return 0;
    }
}
