package io.nicq.examples;

import java.util.Locale;
import java.util.concurrent.Callable;

import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.examples.tcp.TcpEchoServer;
import io.nicq.examples.tcp.TcpEchoWorkers;
import io.nicq.packet.Ipv4Address;
import io.nicq.runtime.CommandLines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * TCP echo server on a dedicated queue: every byte of every connection to the port goes back on its connection
 * ({@link TcpEchoServer}); many connections at once, each closed when its peer half-closes and has its echo.
 */
@Command(name = "tcp-echo", mixinStandardHelpOptions = true,
    description = "TCP echo server on its own hardware queue: echoes every byte on every connection to the port.")
public final class TcpEchoCommand implements Callable<Integer>
{
    /** The card's application queues (1..127) less the listener's. */
    private static final int MAX_WORKERS = 126;

    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Option(names = "--port", required = true, paramLabel = "PORT", description = "TCP port to listen on")
    int port;

    @Option(names = "--duration", defaultValue = "0", paramLabel = "SECONDS",
        description = "Stop after this long (default: run until interrupted)")
    long durationSeconds;

    @Option(names = "--workers", defaultValue = "0", paramLabel = "N",
        description = {"Hand each connection to one of N worker threads, each with a queue of its own: a listener " +
            "thread on the port's filter gives every new connection a connection filter to the least-loaded " +
            "worker's queue (default: ${DEFAULT-VALUE}, one thread serves every connection)"})
    int workers;

    public Integer call() throws Exception
    {
        CommandLines.requirePort(spec, "--port", port);
        CommandLines.requireAtLeast(spec, "--duration", durationSeconds, 0);
        CommandLines.requireRange(spec, "--workers", workers, 0, MAX_WORKERS,
            "each worker and the listener take a queue of the card's " + MAX_WORKERS + " application queues");
        if (workers > 0)
        {
            if (options.cpu != null)
            {
                throw new ParameterException(spec.commandLine(), "--cpu pins one loop; with --workers there are " +
                    (workers + 1) + " (pin the process instead, e.g. taskset)");
            }
            return serveWithWorkers();
        }
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

    private int serveWithWorkers() throws Exception
    {
        try (StopOnShutdown signal = new StopOnShutdown("tcp-echo-shutdown", 12_000);
            NicClient client = options.connect("tcp-echo"))
        {
            options.idleStrategy(); // an unknown name fails here, not on each thread
            final TcpEchoWorkers echo = TcpEchoWorkers.start(client, options.queueService(), port, workers,
                options::idleStrategy);
            System.out.println("tcp-echo: listening on " + Ipv4Address.toString(client.ipv4()) + ":" + port +
                ", connections handed to " + workers + " workers, each on a queue of its own (" +
                options.mode + " mode)");
            System.out.flush();
            final long deadline = durationSeconds > 0 ? System.nanoTime() + durationSeconds * 1_000_000_000L : 0;
            while (!signal.isStopped() && echo.failure() == null &&
                (deadline == 0 || System.nanoTime() - deadline < 0))
            {
                Thread.sleep(20);
            }
            echo.close();
            System.out.print("tcp-echo: stopped\n" + echo.summary());
            if (echo.failure() != null)
            {
                System.err.println("tcp-echo: failed: " + echo.failure());
                return 1;
            }
        }
        return 0;
    }
}
