package io.nicq.examples;

import java.util.Locale;
import java.util.concurrent.Callable;

import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.client.udp.UdpLayer;
import io.nicq.client.udp.UdpSocket;
import io.nicq.examples.sockperf.SockperfMessage;
import io.nicq.examples.sockperf.SockperfTcpServer;
import io.nicq.examples.sockperf.SockperfUdpServer;
import io.nicq.packet.Ipv4Address;
import io.nicq.runtime.CommandLines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * A sockperf server on a dedicated queue, so that anyone can point the field's standard latency tool at a nicq host:
 * {@code sockperf ping-pong -i IP -p PORT} (or {@code under-load}) from any Linux host, over UDP
 * ({@link SockperfUdpServer}) or, with {@code --tcp}, over nicq's TCP stack ({@link SockperfTcpServer}, for
 * {@code sockperf ping-pong --tcp}).
 */
@Command(name = "sockperf-server", mixinStandardHelpOptions = true,
    description = {"Answers sockperf's ping-pong and under-load clients on its own hardware queue: over UDP, or over "
        + "nicq's TCP stack with --tcp (many connections at once).",
        "Point sockperf at it: sockperf ping-pong -i IP -p PORT [--tcp]"})
public final class SockperfServerCommand implements Callable<Integer>
{
    /** sockperf's default port. */
    static final int DEFAULT_PORT = 11111;

    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Option(names = "--port", defaultValue = "" + DEFAULT_PORT, paramLabel = "PORT",
        description = "UDP (or with --tcp, TCP) port to answer on (default: ${DEFAULT-VALUE}, sockperf's)")
    int port;

    @Option(names = "--tcp", description = "Serve sockperf's TCP clients (sockperf ... --tcp) instead of UDP")
    boolean tcp;

    @Option(names = "--max-msg-size", defaultValue = "" + SockperfMessage.DEFAULT_MAX_LENGTH, paramLabel = "BYTES",
        description = "With --tcp: the largest message accepted, header included (default: ${DEFAULT-VALUE}, "
            + "sockperf server's -m); a connection whose message says more is reset, as sockperf server does")
    int maxMessageSize;

    @Option(names = "--duration", defaultValue = "0", paramLabel = "SECONDS",
        description = "Stop after this long (default: run until interrupted)")
    long durationSeconds;

    public Integer call() throws Exception
    {
        CommandLines.requirePort(spec, "--port", port);
        CommandLines.requireAtLeast(spec, "--duration", durationSeconds, 0);
        CommandLines.requireRange(spec, "--max-msg-size", maxMessageSize, SockperfMessage.HEADER_LENGTH,
            SockperfMessage.MAX_TCP_LENGTH, "sockperf's 14-byte header to its largest TCP message");
        if (!tcp && spec.commandLine().getParseResult().hasMatchedOption("--max-msg-size"))
        {
            throw new ParameterException(spec.commandLine(),
                "--max-msg-size frames TCP streams and needs --tcp (a UDP message is one datagram)");
        }
        options.pinLoopThread();
        try (StopOnShutdown signal = new StopOnShutdown("sockperf-server-shutdown", 2000);
            NicClient client = options.connect("sockperf-server");
            NicQueue queue = options.requestQueue(client))
        {
            final String where = Ipv4Address.toString(client.ipv4()) + ":" + port + (tcp ? " tcp" : " udp") +
                " (queue " + queue.queueId() + ", " + queue.driverPlacement().name().toLowerCase(Locale.ROOT) +
                " mode)";
            final Ipv4Interface ip = new Ipv4Interface(queue, client);
            if (tcp)
            {
                serveTcp(signal, ip, where);
            }
            else
            {
                serveUdp(signal, ip, where);
            }
        }
        return 0;
    }

    private void serveUdp(final StopOnShutdown signal, final Ipv4Interface ip, final String where) throws Exception
    {
        try (UdpSocket socket = UdpSocket.open(new UdpLayer(ip)).bind(port))
        {
            final SockperfUdpServer server = new SockperfUdpServer(socket);
            System.out.println("sockperf-server: listening on " + where);
            System.out.flush();
            signal.serve(server, options.idleStrategy(ip.queue()), durationSeconds);
            System.out.println("sockperf-server: " + server + "; stack drops: " + ip.dropsToString());
        }
    }

    private void serveTcp(final StopOnShutdown signal, final Ipv4Interface ip, final String where) throws Exception
    {
        final TcpLayer tcpLayer = new TcpLayer(ip);
        final SockperfTcpServer server = new SockperfTcpServer(tcpLayer, port, maxMessageSize);
        System.out.println("sockperf-server: listening on " + where + ", messages up to " + maxMessageSize +
            " bytes");
        System.out.flush();
        try
        {
            signal.serve(server, options.idleStrategy(ip.queue()), durationSeconds);
        }
        finally
        {
            server.onClose();
        }
        System.out.println("sockperf-server: " + server + "; " + tcpLayer + "; stack drops: " + ip.dropsToString());
    }
}
