package io.nicq.examples;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.tcp.TcpCloseReason;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.examples.tcp.TcpSender;
import io.nicq.packet.Ipv4Address;
import io.nicq.runtime.CommandLines;
import org.agrona.concurrent.IdleStrategy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Sends N bytes of a seeded pseudo-random stream ({@link io.nicq.examples.tcp.SeededStream}) over one TCP
 * connection and prints its SHA-256, so that a peer on any host can check what it got (for example
 * {@code nc -l 9000 | sha256sum}); what the peer sends back (an echo server's answer) is hashed too.
 */
@Command(name = "tcp-send", mixinStandardHelpOptions = true,
    description = "Send N bytes of a seeded stream over TCP and print its SHA-256 (and that of anything sent back).")
public final class TcpSendCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Option(names = "--to", required = true, paramLabel = "IP:PORT", description = "The TCP server to send to")
    String to;

    @Option(names = "--bytes", required = true, paramLabel = "N", description = "Stream bytes to send")
    long bytes;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "SEED",
        description = "Seed of the stream (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--timeout", defaultValue = "600", paramLabel = "SECONDS",
        description = "Give up after this long (default: ${DEFAULT-VALUE})")
    long timeoutSeconds;

    public Integer call() throws Exception
    {
        final int colon = to.lastIndexOf(':');
        if (colon <= 0)
        {
            throw new IllegalArgumentException("--to '" + to + "' is not IP:PORT");
        }
        final int address = Ipv4Address.parse(to.substring(0, colon));
        final int port = Integer.parseInt(to.substring(colon + 1));
        CommandLines.requirePort(spec, "--to", port);
        CommandLines.requireAtLeast(spec, "--bytes", bytes, 0);
        CommandLines.requirePositive(spec, "--timeout", timeoutSeconds);
        options.pinLoopThread();
        try (StopOnShutdown signal = new StopOnShutdown("tcp-send-shutdown", 2000);
            NicClient client = options.connect("tcp-send");
            NicQueue queue = options.requestQueue(client))
        {
            final Ipv4Interface ip = new Ipv4Interface(queue, client);
            final TcpLayer tcp = new TcpLayer(ip);
            final TcpSender sender = new TcpSender(tcp, address, port, bytes, seed);
            final IdleStrategy idle = options.idleStrategy(queue);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            while (!sender.isDone() && !signal.isStopped())
            {
                idle.idle(ip.poll());
                if (System.nanoTime() - deadline > 0)
                {
                    System.err.println("tcp-send: not done after " + timeoutSeconds + " s: sent " + sender.sent() +
                        " of " + bytes + " bytes; " + sender.connection());
                    sender.connection().abort();
                    return 3;
                }
            }
            final double seconds = sender.transferNs() / 1e9;
            System.out.println("tcp-send: sent " + sender.sent() + " bytes to " + to + " from port " +
                sender.connection().localPort() + ", sha256 " + sender.sentSha256());
            System.out.println("tcp-send: received " + sender.received() + " bytes, sha256 " +
                sender.receivedSha256() + (sender.received() == sender.sent() && sender.sentSha256() != null &&
                sender.sentSha256().equals(sender.receivedSha256()) ? " (the echo matches)" : ""));
            System.out.printf("tcp-send: %s after %.3f s (%.3f Gb/s); %s; stack drops: %s%n",
                sender.closeReason(), seconds, seconds > 0 ? sender.sent() * 8 / seconds / 1e9 : 0.0, tcp,
                ip.dropsToString());
            return sender.closeReason() == TcpCloseReason.CLOSED && sender.sent() == bytes ? 0 : 1;
        }
    }
}
