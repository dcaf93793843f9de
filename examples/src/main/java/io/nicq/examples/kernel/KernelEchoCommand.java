package io.nicq.examples.kernel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The kernel baseline's echo server: a {@link DatagramChannel} that sends every datagram back where it came from, or
 * with {@code --tcp} a {@link ServerSocketChannel} whose connections (TCP_NODELAY) get every byte back. Busy polling
 * spins on non-blocking channels (no wake-up latency: the strongest baseline); otherwise a selector blocks. It exits
 * after {@code --idle-exit} seconds without traffic, so an orphan never outlives its run.
 */
@Command(name = "kernel-echo", mixinStandardHelpOptions = true,
    description = "UDP (or TCP) echo server on the Linux kernel's sockets (the baseline of rpc-latency, " +
        "tcp-rpc-latency and the demo).")
public final class KernelEchoCommand implements Callable<Integer>
{
    @Option(names = "--bind", required = true, paramLabel = "IP:PORT", description = "Address to listen on")
    String bind;

    @Option(names = "--busy-poll", description = "Spin on a non-blocking socket instead of blocking (default: ${DEFAULT-VALUE})")
    boolean busyPoll = true;

    @Option(names = "--idle-exit", paramLabel = "SECONDS", description = "Exit after this long without a datagram (default: ${DEFAULT-VALUE})")
    long idleExitSeconds = 30;

    @Option(names = "--tcp", description = "Echo TCP connections instead of UDP datagrams")
    boolean tcp;

    public Integer call() throws Exception
    {
        final InetSocketAddress address = KernelUdpClient.parse(bind);
        if (tcp)
        {
            return serveTcp(address);
        }
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

    /**
     * Echoes every connection: what a connection's read brings is written back from the same buffer, and what the
     * socket does not take yet stays in it ahead of the next read (so a peer that stops reading is not read from
     * either, once the buffer is full). A connection the peer has closed is closed once its echo has gone.
     */
    private int serveTcp(final InetSocketAddress address) throws IOException
    {
        final List<SocketChannel> connections = new ArrayList<>();
        final List<ByteBuffer> pending = new ArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(); Selector selector = Selector.open())
        {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(address, 64);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            System.out.println("kernel-echo: listening on " + server.getLocalAddress() + " (TCP" +
                (busyPoll ? ", busy poll)" : ")"));
            System.out.flush();
            final long idleExitNs = TimeUnit.SECONDS.toNanos(idleExitSeconds);
            long lastTraffic = System.nanoTime();
            int spins = 0;
            while (true)
            {
                if (!busyPoll)
                {
                    selector.select(TimeUnit.NANOSECONDS.toMillis(idleExitNs));
                    selector.selectedKeys().clear();
                }
                boolean moved = false;
                SocketChannel accepted;
                while ((accepted = server.accept()) != null)
                {
                    accepted.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    accepted.configureBlocking(false);
                    accepted.register(selector, SelectionKey.OP_READ);
                    connections.add(accepted);
                    pending.add(ByteBuffer.allocateDirect(65536));
                    moved = true;
                }
                for (int i = connections.size() - 1; i >= 0; i--)
                {
                    final SocketChannel connection = connections.get(i);
                    final ByteBuffer buffer = pending.get(i);
                    int read = 0;
                    try
                    {
                        read = buffer.hasRemaining() ? connection.read(buffer) : 0;
                        buffer.flip();
                        final int written = buffer.hasRemaining() ? connection.write(buffer) : 0;
                        buffer.compact();
                        moved |= read > 0 || written > 0;
                    }
                    catch (final IOException ex)
                    {
                        // A reset by the peer ends its connection, not the server.
                        read = -1;
                        buffer.clear();
                    }
                    if (read < 0 && buffer.position() == 0)
                    {
                        connection.close();
                        connections.remove(i);
                        pending.remove(i);
                    }
                    else if (!busyPoll)
                    {
                        connection.keyFor(selector).interestOps(buffer.position() > 0 ?
                            SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
                    }
                }
                if (moved)
                {
                    lastTraffic = System.nanoTime();
                }
                else if ((!busyPoll || (++spins & 0xFFFF) == 0) && System.nanoTime() - lastTraffic > idleExitNs)
                {
                    for (final SocketChannel connection : connections)
                    {
                        connection.close();
                    }
                    return 0;
                }
            }
        }
    }
}
