package io.nicq.examples.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.nicq.examples.tcp.SeededStream;
import io.nicq.runtime.CommandLines;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The Linux kernel's TCP as the peer and the baseline of nicq's: a server that sinks or echoes every connection, or a
 * client that sends a {@link SeededStream} over one or more connections and checks what comes back. Blocking sockets,
 * a thread per connection: the kernel side of a test is the oracle, not the thing measured for latency. Every line it
 * prints is one fact a test can match:
 * <pre>
 *   kernel-tcp: listening on /10.0.0.2:9000
 *   kernel-tcp: connection 1 from /10.0.0.1:49731 received 4194304 bytes sha256 9f2c... echoed 4194304 in 0.412 s
 *   kernel-tcp: connection 1 to /10.0.0.1:7 sent 4194304 bytes sha256 9f2c... received 4194304 bytes sha256 9f2c... in 0.4 s
 *   kernel-tcp: done: 1 connections, 0 failed
 * </pre>
 * Bounded in time: a server exits after {@code --idle-exit} seconds without a connection, every socket read times out
 * after {@code --io-timeout}.
 */
@Command(name = "kernel-tcp", mixinStandardHelpOptions = true,
    description = "TCP server (sink or echo) or seeded-stream client on the Linux kernel's sockets: nicq's peer and baseline.")
public final class KernelTcpCommand implements Callable<Integer>
{
    @ArgGroup(exclusive = true, multiplicity = "1")
    Role role;

    static final class Role
    {
        @Option(names = "--listen", paramLabel = "IP:PORT", description = "Serve connections on this address")
        String listen;

        @Option(names = "--connect", paramLabel = "IP:PORT", description = "Connect to this server and send")
        String connect;
    }

    @Option(names = "--echo", description = "As server: send back every byte received (default: sink)")
    boolean echo;

    @Option(names = "--count", defaultValue = "0", paramLabel = "N",
        description = "As server: exit after N connections (default: serve until --idle-exit)")
    int count;

    @Option(names = "--pause-ms", defaultValue = "0", paramLabel = "MS",
        description = "As server: accept, then read nothing for this long (the sender sees the window close)")
    long pauseMs;

    @Option(names = "--bytes", defaultValue = "0", paramLabel = "N", description = "As client: stream bytes per connection")
    long bytes;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "SEED", description = "As client: seed of the stream")
    long seed;

    @Option(names = "--connections", defaultValue = "1", paramLabel = "N",
        description = "As client: connections at once, each sending --bytes (seeds seed, seed+1, ...)")
    int connections;

    @Option(names = "--reset-after", defaultValue = "-1", paramLabel = "N",
        description = "As client: after sending N bytes, abort the connection with a RST (SO_LINGER 0)")
    long resetAfter;

    @Option(names = "--idle-exit", defaultValue = "30", paramLabel = "SECONDS",
        description = "As server: exit after this long without a new connection (default: ${DEFAULT-VALUE})")
    long idleExitSeconds;

    @Option(names = "--io-timeout", defaultValue = "30", paramLabel = "SECONDS",
        description = "Give up on a connection that moves no byte for this long (default: ${DEFAULT-VALUE})")
    int ioTimeoutSeconds;

    @Spec
    CommandSpec spec;

    private final AtomicInteger failed = new AtomicInteger();

    public Integer call() throws Exception
    {
        CommandLines.requireAtLeast(spec, "--count", count, 0);
        CommandLines.requireAtLeast(spec, "--pause-ms", pauseMs, 0);
        CommandLines.requireAtLeast(spec, "--bytes", bytes, 0);
        CommandLines.requirePositive(spec, "--connections", connections);
        CommandLines.requireAtLeast(spec, "--reset-after", resetAfter, -1);
        CommandLines.requirePositive(spec, "--idle-exit", idleExitSeconds);
        CommandLines.requirePositive(spec, "--io-timeout", ioTimeoutSeconds);
        return role.listen != null ? serve(KernelUdpClient.parse(role.listen)) :
            connect(KernelUdpClient.parse(role.connect));
    }

    private int serve(final InetSocketAddress address) throws Exception
    {
        final List<Thread> threads = new ArrayList<>();
        try (ServerSocket server = new ServerSocket())
        {
            server.setReuseAddress(true);
            server.bind(address, 1024);
            server.setSoTimeout((int)TimeUnit.SECONDS.toMillis(idleExitSeconds));
            say("listening on " + server.getLocalSocketAddress());
            int served = 0;
            while (count == 0 || served < count)
            {
                final Socket socket;
                try
                {
                    socket = server.accept();
                }
                catch (final SocketTimeoutException ex)
                {
                    say("no connection for " + idleExitSeconds + " s: exiting");
                    break;
                }
                final int id = ++served;
                final Thread thread = Thread.ofPlatform().name("kernel-tcp-" + id).start(() -> serveOne(id, socket));
                threads.add(thread);
            }
        }
        for (final Thread thread : threads)
        {
            thread.join();
        }
        say("done: " + threads.size() + " connections, " + failed.get() + " failed");
        return failed.get() == 0 ? 0 : 1;
    }

    private void serveOne(final int id, final Socket socket)
    {
        final long start = System.nanoTime();
        try (socket)
        {
            socket.setSoTimeout((int)TimeUnit.SECONDS.toMillis(ioTimeoutSeconds));
            socket.setTcpNoDelay(true);
            if (pauseMs > 0)
            {
                Thread.sleep(pauseMs);
            }
            final MessageDigest digest = SeededStream.sha256();
            final byte[] buffer = new byte[64 * 1024];
            final InputStream in = socket.getInputStream();
            final OutputStream out = socket.getOutputStream();
            long received = 0;
            int n;
            while ((n = in.read(buffer)) >= 0)
            {
                digest.update(buffer, 0, n);
                received += n;
                if (echo)
                {
                    out.write(buffer, 0, n);
                }
            }
            socket.shutdownOutput();
            say("connection " + id + " from " + socket.getRemoteSocketAddress() + " received " + received +
                " bytes sha256 " + HexFormat.of().formatHex(digest.digest()) + (echo ? " echoed " + received : "") +
                " in " + seconds(start));
        }
        catch (final IOException | InterruptedException ex)
        {
            failed.incrementAndGet();
            say("connection " + id + " failed: " + ex);
        }
    }

    private int connect(final InetSocketAddress address) throws Exception
    {
        if (connections < 1)
        {
            throw new IllegalArgumentException("--connections " + connections + " < 1");
        }
        final List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < connections; i++)
        {
            final int id = i + 1;
            final long streamSeed = seed + i;
            threads.add(Thread.ofPlatform().name("kernel-tcp-" + id).start(() -> sendOne(id, address, streamSeed)));
        }
        for (final Thread thread : threads)
        {
            thread.join();
        }
        say("done: " + connections + " connections, " + failed.get() + " failed");
        return failed.get() == 0 ? 0 : 1;
    }

    private void sendOne(final int id, final InetSocketAddress address, final long streamSeed)
    {
        final long start = System.nanoTime();
        try (Socket socket = new Socket())
        {
            socket.setTcpNoDelay(true);
            socket.connect(address, (int)TimeUnit.SECONDS.toMillis(ioTimeoutSeconds));
            socket.setSoTimeout((int)TimeUnit.SECONDS.toMillis(ioTimeoutSeconds));
            final long limit = resetAfter >= 0 ? Math.min(resetAfter, bytes) : bytes;
            // The answer is read while the stream is written, or an echo server's answer would fill both windows.
            final MessageDigest receivedDigest = SeededStream.sha256();
            final long[] received = new long[1];
            final IOException[] readFailure = new IOException[1];
            final Thread reader = Thread.ofPlatform().name("kernel-tcp-" + id + "-reader").start(() ->
            {
                final byte[] buffer = new byte[64 * 1024];
                try
                {
                    final InputStream in = socket.getInputStream();
                    int n;
                    while ((n = in.read(buffer)) >= 0)
                    {
                        receivedDigest.update(buffer, 0, n);
                        received[0] += n;
                    }
                }
                catch (final IOException ex)
                {
                    readFailure[0] = ex;
                }
            });
            final MessageDigest sentDigest = SeededStream.sha256();
            final byte[] chunk = new byte[64 * 1024];
            final OutputStream out = socket.getOutputStream();
            long sent = 0;
            while (sent < limit)
            {
                final int n = (int)Math.min(chunk.length, limit - sent);
                SeededStream.fill(chunk, 0, n, streamSeed, sent);
                sentDigest.update(chunk, 0, n);
                out.write(chunk, 0, n);
                sent += n;
            }
            if (resetAfter >= 0)
            {
                socket.setSoLinger(true, 0);
                socket.close();
                reader.join(TimeUnit.SECONDS.toMillis(ioTimeoutSeconds));
                say("connection " + id + " to " + address + " sent " + sent + " bytes and reset");
                return;
            }
            socket.shutdownOutput();
            reader.join(TimeUnit.SECONDS.toMillis(ioTimeoutSeconds) * 2);
            if (reader.isAlive() || readFailure[0] != null)
            {
                throw new IOException("reading the answer failed: " +
                    (readFailure[0] != null ? readFailure[0] : "no end of stream"));
            }
            say("connection " + id + " to " + address + " sent " + sent + " bytes sha256 " +
                HexFormat.of().formatHex(sentDigest.digest()) + " received " + received[0] + " bytes sha256 " +
                HexFormat.of().formatHex(receivedDigest.digest()) + " in " + seconds(start));
        }
        catch (final IOException | InterruptedException ex)
        {
            failed.incrementAndGet();
            say("connection " + id + " failed: " + ex);
        }
    }

    private static String seconds(final long startNs)
    {
        return String.format(Locale.ROOT, "%.3f s", (System.nanoTime() - startNs) / 1e9);
    }

    private static synchronized void say(final String line)
    {
        System.out.println("kernel-tcp: " + line);
        System.out.flush();
    }
}
