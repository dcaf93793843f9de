package io.nicq.examples.kernel;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The kernel baseline's echo server: a {@link DatagramChannel} that sends every datagram back where it came from. It
 * exits after {@code --idle-exit} seconds without traffic, so an orphan never outlives its run.
 */
@Command(name = "kernel-echo", mixinStandardHelpOptions = true,
    description = "UDP echo server on the Linux kernel's sockets (the baseline of rpc-latency).")
public final class KernelEchoCommand implements Callable<Integer>
{
    @Option(names = "--bind", required = true, paramLabel = "IP:PORT", description = "Address to listen on")
    String bind;

    @Option(names = "--busy-poll", description = "Spin on a non-blocking socket instead of blocking (default: ${DEFAULT-VALUE})")
    boolean busyPoll = true;

    @Option(names = "--idle-exit", paramLabel = "SECONDS", description = "Exit after this long without a datagram (default: ${DEFAULT-VALUE})")
    long idleExitSeconds = 30;

    public Integer call() throws Exception
    {
        final InetSocketAddress address = KernelUdpClient.parse(bind);
        try (DatagramChannel channel = DatagramChannel.open())
        {
            channel.bind(address);
            System.out.println("kernel-echo: listening on " + channel.getLocalAddress() + (busyPoll ? " (busy poll)" : ""));
            System.out.flush();
            final ByteBuffer buffer = ByteBuffer.allocateDirect(65536);
            final long idleExitNs = TimeUnit.SECONDS.toNanos(idleExitSeconds);
            if (busyPoll)
            {
                channel.configureBlocking(false);
                long lastTraffic = System.nanoTime();
                int spins = 0;
                while (true)
                {
                    buffer.clear();
                    final SocketAddress from = channel.receive(buffer);
                    if (from != null)
                    {
                        buffer.flip();
                        channel.send(buffer, from);
                        lastTraffic = System.nanoTime();
                    }
                    else if ((++spins & 0xFFFF) == 0 && System.nanoTime() - lastTraffic > idleExitNs)
                    {
                        return 0;
                    }
                }
            }
            channel.configureBlocking(false);
            try (Selector selector = Selector.open())
            {
                channel.register(selector, SelectionKey.OP_READ);
                while (selector.select(TimeUnit.NANOSECONDS.toMillis(idleExitNs)) > 0)
                {
                    selector.selectedKeys().clear();
                    SocketAddress from;
                    while ((from = channel.receive(buffer.clear())) != null)
                    {
                        buffer.flip();
                        channel.send(buffer, from);
                    }
                }
            }
            return 0;
        }
    }
}
