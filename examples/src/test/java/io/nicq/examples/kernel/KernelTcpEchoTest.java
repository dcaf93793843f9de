package io.nicq.examples.kernel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.nicq.examples.rpc.WarmUp;
import io.nicq.runtime.CommandLines;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The kernel's TCP baseline on loopback, in this JVM: {@code kernel-echo --tcp} (busy-polling and blocking) answers
 * {@link KernelTcpClient}'s round trips with exactly their bytes, answers larger than a read arrive whole, several
 * connections one after the other are served, and the server exits once idle.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KernelTcpEchoTest
{
    private Thread server;
    private final AtomicReference<Integer> exit = new AtomicReference<>();

    @AfterEach
    void tearDown() throws InterruptedException
    {
        if (server != null)
        {
            server.join(TimeUnit.SECONDS.toMillis(10));
        }
    }

    @Test
    void aBusyPollingServerAnswersEveryRoundTripOfOneConnectionAfterAnother() throws Exception
    {
        final InetSocketAddress address = startServer(true);
        for (int connection = 0; connection < 2; connection++)
        {
            final KernelTcpClient client = new KernelTcpClient(address, true, 5, TimeUnit.SECONDS);
            final Histogram histogram = client.run(WarmUp.fixed(100), 1_000, 64, null);
            assertEquals(1_000, histogram.getTotalCount(), "connection " + connection);
            assertEquals(0, client.mismatched(), "every answer carries its request's sequence");
            assertTrue(histogram.getValueAtPercentile(50) > 0 &&
                histogram.getValueAtPercentile(50) <= histogram.getMaxValue(), "a sane median");
        }
        awaitIdleExit();
    }

    @Test
    void aBlockingServerAndClientAnswerMessagesLargerThanOneRead() throws Exception
    {
        final InetSocketAddress address = startServer(false);
        // Larger than the server's 64 KiB buffer: the echo goes back in pieces while the request is still coming.
        final KernelTcpClient client = new KernelTcpClient(address, false, 5, TimeUnit.SECONDS);
        final Histogram histogram = client.run(WarmUp.fixed(10), 200, 200_000, null);
        assertEquals(200, histogram.getTotalCount());
        assertEquals(0, client.mismatched());
        awaitIdleExit();
    }

    @Test
    void aMessageWithoutRoomForItsSequenceIsRefused()
    {
        final KernelTcpClient client = new KernelTcpClient(new InetSocketAddress("127.0.0.1", 1), true, 1,
            TimeUnit.SECONDS);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> client.run(WarmUp.fixed(0), 1, KernelTcpClient.MIN_SIZE - 1, null));
        assertTrue(ex.getMessage().contains("message size 7 < 8"), ex.getMessage());
    }

    @Test
    void aServerNobodyListensOnIsAnErrorNotAHang()
    {
        final KernelTcpClient client = new KernelTcpClient(new InetSocketAddress("127.0.0.1", freePort()), true, 1,
            TimeUnit.SECONDS);
        assertThrows(IOException.class, () -> client.run(WarmUp.fixed(0), 1, 64, null));
    }

    /** kernel-echo --tcp on a free loopback port, on a thread of this JVM, exiting after 1 s without traffic. */
    private InetSocketAddress startServer(final boolean busyPoll) throws InterruptedException
    {
        final int port = freePort();
        server = Thread.ofPlatform().name("kernel-echo-tcp").start(() -> exit.set(
            CommandLines.configure(new CommandLine(new KernelEchoCommand())).execute("--tcp", "--bind",
            "127.0.0.1:" + port, "--busy-poll=" + busyPoll, "--idle-exit", "1")));
        final InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() - deadline < 0)
        {
            try (java.net.Socket probe = new java.net.Socket())
            {
                probe.connect(address, 100);
                return address;
            }
            catch (final IOException notYet)
            {
                Thread.sleep(20);
            }
        }
        fail("kernel-echo --tcp did not listen on " + address);
        return address;
    }

    private void awaitIdleExit() throws InterruptedException
    {
        server.join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(server.isAlive(), "the server exits after --idle-exit without traffic");
        assertEquals(0, exit.get(), "exit status");
    }

    private static int freePort()
    {
        try (ServerSocket socket = new ServerSocket(0))
        {
            return socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
