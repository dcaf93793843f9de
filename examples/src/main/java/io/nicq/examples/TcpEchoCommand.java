package io.nicq.examples;

import java.util.Locale;
import java.util.concurrent.Callable;

import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.examples.tcp.TcpEchoServer;
import io.nicq.packet.Ipv4Address;
import io.nicq.runtime.CommandLines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * TCP echo server on a dedicated queue: every byte of every connection to the port goes back on its connection
 * ({@link TcpEchoServer}); many connections at once, each closed when its peer half-closes and has its echo.
 */
@Command(name = "tcp-echo", mixinStandardHelpOptions = true,
    description = "TCP echo server on its own hardware queue: echoes every byte on every connection to the port.")
public final class TcpEchoCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Option(names = "--port", required = true, paramLabel = "PORT", description = "TCP port to listen on")
    int port;

    @Option(names = "--duration", defaultValue = "0", paramLabel = "SECONDS",
        description = "Stop after this long (default: run until interrupted)")
    long durationSeconds;

    public Integer call() throws Exception
    {
        CommandLines.requirePort(spec, "--port", port);
        CommandLines.requireAtLeast(spec, "--duration", durationSeconds, 0);
        options.pinLoopThread();
        try (StopOnShutdown signal = new StopOnShutdown("tcp-echo-shutdown", 2000);
            NicClient client = options.connect("tcp-echo");
            NicQueue queue = options.requestQueue(client))
        {
            final Ipv4Interface ip = new Ipv4Interface(queue, client);
            final TcpLayer tcp = new TcpLayer(ip);
            final TcpEchoServer server = new TcpEchoServer(tcp, port);
            System.out.println("tcp-echo: listening on " + Ipv4Address.toString(client.ipv4()) + ":" + port +
                " (queue " + queue.queueId() + ", " + queue.driverPlacement().name().toLowerCase(Locale.ROOT) +
                " mode)");
            System.out.flush();

            signal.serve(server, options.idleStrategy(queue), durationSeconds);
            server.onClose();
            System.out.println("tcp-echo: " + server + "; " + tcp + "; stack drops: " + ip.dropsToString());
        }
        return 0;
    }
}
