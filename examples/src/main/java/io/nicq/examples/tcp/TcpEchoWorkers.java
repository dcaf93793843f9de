package io.nicq.examples.tcp;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import io.nicq.client.ControlPlane;
import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.QueueService;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.tcp.TcpHandOver;
import io.nicq.client.tcp.TcpLayer;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.IdleStrategy;

/**
 * A TCP echo server whose connections are handed over to workers: a listener thread on a queue of its own (the port
 * filter) and {@code N} worker threads, each on its own queue, all of one client. The listener hands every new
 * connection to the least-loaded worker ({@link TcpHandOver}); the connection's filter then steers it to the worker's
 * queue, and the worker echoes it ({@link TcpEchoServer#handOverWorker}).
 * <pre>
 *   thread tcp-echo-listener   queue L   TcpEchoServer.handingOver  (port filter, priority 1)
 *   thread tcp-echo-worker-1   queue W1  TcpEchoServer.handOverWorker  (a connection filter per connection, priority 2)
 *   ...
 *   thread tcp-echo-worker-N   queue WN
 * </pre>
 * Each thread publishes a line on what it knows every 256 polls, for {@link #describe}; the counters and hand-over
 * times are read once the threads have stopped ({@link #close}).
 */
public final class TcpEchoWorkers implements AutoCloseable
{
    private static final long START_TIMEOUT_S = 30;
    private static final long STOP_TIMEOUT_MS = 10_000;

    private final NicClient client;
    private final ControlPlane listenerPlane;
    private final QueueService service;
    private final int port;
    private final Supplier<IdleStrategy> idle;
    private final TcpEchoServer[] workerServers;
    private final Ipv4Interface[] workerInterfaces;
    private final String[] workerStates;
    private final List<Thread> workerThreads = new ArrayList<>();
    private final CountDownLatch workersReady;
    private final CountDownLatch listenerReady = new CountDownLatch(1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean listenerRunning = true;
    private volatile boolean workersRunning = true;
    private volatile String listenerState = "starting";
    private volatile long handedOver;
    private volatile long released;
    private Thread listenerThread;
    private TcpEchoServer listenerServer;
    private Ipv4Interface listenerInterface;
    private String summary;

    private TcpEchoWorkers(final NicClient client, final ControlPlane listenerPlane, final QueueService service,
        final int port, final int workers, final Supplier<IdleStrategy> idle)
    {
        this.client = client;
        this.listenerPlane = listenerPlane;
        this.service = service;
        this.port = port;
        this.idle = idle;
        this.workerServers = new TcpEchoServer[workers];
        this.workerInterfaces = new Ipv4Interface[workers];
        this.workerStates = new String[workers];
        this.workersReady = new CountDownLatch(workers);
    }

    /**
     * Starts the workers, then the listener, and returns once the listener's port filter is registered.
     *
     * @param idle makes each thread's idle strategy.
     * @throws IllegalStateException when a thread failed to start (its failure is the cause) or took over 30 s.
     */
    public static TcpEchoWorkers start(final NicClient client, final QueueService service, final int port,
        final int workers, final Supplier<IdleStrategy> idle) throws InterruptedException
    {
        return start(client, client, service, port, workers, idle);
    }

    /**
     * As {@link #start(NicClient, QueueService, int, int, Supplier)}, with the listener's interface on
     * {@code listenerPlane}: the client, or a control plane in front of it (the listener registers and deregisters
     * the connections' filters through it).
     */
    public static TcpEchoWorkers start(final NicClient client, final ControlPlane listenerPlane,
        final QueueService service, final int port, final int workers, final Supplier<IdleStrategy> idle)
        throws InterruptedException
    {
        if (workers < 1)
        {
            throw new IllegalArgumentException("at least one worker, not " + workers);
        }
        final TcpEchoWorkers echo = new TcpEchoWorkers(client, listenerPlane, service, port, workers, idle);
        for (int i = 0; i < workers; i++)
        {
            final int index = i;
            echo.workerThreads.add(Thread.ofPlatform().name("tcp-echo-worker-" + (i + 1)).start(() ->
                echo.runWorker(index)));
        }
        echo.listenerThread = Thread.ofPlatform().name("tcp-echo-listener").start(echo::runListener);
        if (!echo.listenerReady.await(START_TIMEOUT_S, TimeUnit.SECONDS) || echo.failure.get() != null)
        {
            final Throwable cause = echo.failure.get();
            echo.close();
            throw new IllegalStateException("tcp-echo's listener and workers did not start" +
                (cause != null ? ": " + cause.getMessage() : " within " + START_TIMEOUT_S + " s"), cause);
        }
        return echo;
    }

    private void runWorker(final int index)
    {
        NicQueue queue = null;
        try
        {
            queue = client.requestQueue(service);
            final Ipv4Interface ip = new Ipv4Interface(queue, client);
            final TcpEchoServer server = TcpEchoServer.handOverWorker(new TcpLayer(ip), port);
            workerInterfaces[index] = ip;
            workerServers[index] = server;
            workersReady.countDown();
            final IdleStrategy idleStrategy = server.worker().sleepOn(idle.get());
            int polls = 0;
            while (workersRunning)
            {
                idleStrategy.idle(server.doWork());
                if ((++polls & 0xFF) == 0)
                {
                    workerStates[index] = server + "; " + server.worker();
                }
            }
            workerStates[index] = server + "; " + server.worker();
            server.onClose();
        }
        catch (final Throwable ex)
        {
            failure.compareAndSet(null, ex);
            workersReady.countDown();
        }
        finally
        {
            releaseQuietly(queue);
        }
    }

    private void runListener()
    {
        NicQueue queue = null;
        try
        {
            if (!workersReady.await(START_TIMEOUT_S, TimeUnit.SECONDS) || failure.get() != null)
            {
                throw new IllegalStateException("the workers did not start", failure.get());
            }
            queue = client.requestQueue(service);
            listenerInterface = new Ipv4Interface(queue, listenerPlane);
            listenerServer = TcpEchoServer.handingOver(new TcpLayer(listenerInterface), port, List.of(workerServers));
            listenerReady.countDown();
            // Released connections wait for the listener's next pass: its sleeps are bounded, and nothing waits on them.
            final IdleStrategy idleStrategy = queue.sleepOn(idle.get());
            int polls = 0;
            while (listenerRunning)
            {
                idleStrategy.idle(listenerServer.doWork());
                if ((++polls & 0xFF) == 0)
                {
                    publishListener();
                }
            }
            publishListener();
            // The port filter and the filters of connections still open go before the workers stop.
            listenerServer.onClose();
        }
        catch (final Throwable ex)
        {
            failure.compareAndSet(null, ex);
            listenerReady.countDown();
        }
        finally
        {
            releaseQuietly(queue);
        }
    }

    private void publishListener()
    {
        final TcpHandOver handOver = listenerServer.handOver();
        handedOver = handOver.connectionsHandedOver();
        released = handOver.connectionsReleased();
        listenerState = handOver + "; kept: " + listenerServer;
    }

    private void releaseQuietly(final NicQueue queue)
    {
        if (queue != null && !client.isClosed())
        {
            try
            {
                client.releaseQueue(queue);
            }
            catch (final RuntimeException ex)
            {
                failure.compareAndSet(null, ex);
            }
        }
    }

    /** The TCP port served. */
    public int port()
    {
        return port;
    }

    /** Connections handed over so far (published every 256 polls of the listener). */
    public long handedOver()
    {
        return handedOver;
    }

    /** Handed-over connections released so far, their filters gone (published every 256 polls of the listener). */
    public long released()
    {
        return released;
    }

    /** What the threads last published, and a failure if one ended. */
    public String describe()
    {
        final StringBuilder text = new StringBuilder("listener: ").append(listenerState);
        for (int i = 0; i < workerStates.length; i++)
        {
            text.append("; worker ").append(i + 1).append(": ").append(workerStates[i]);
        }
        final Throwable ex = failure.get();
        return ex == null ? text.toString() : text.append("; failed: ").append(ex).toString();
    }

    /** A failure of one of the threads, or null. */
    public Throwable failure()
    {
        return failure.get();
    }

    /** The listener's server; read its counters after {@link #close}. */
    public TcpEchoServer listenerServer()
    {
        return listenerServer;
    }

    /** The workers' servers; read their counters after {@link #close}. */
    public List<TcpEchoServer> workerServers()
    {
        return List.of(workerServers);
    }

    /** Every worker's hand-over times together (nanoseconds); after {@link #close}. */
    public Histogram handOverToFirstByte()
    {
        final Histogram all = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        for (final TcpEchoServer server : workerServers)
        {
            if (server != null)
            {
                all.add(server.handOverToFirstByte());
            }
        }
        return all;
    }

    /**
     * Stops the listener (its port filter and remaining connection filters go), then the workers; each thread
     * releases its queue.
     */
    public void close() throws InterruptedException
    {
        listenerRunning = false;
        if (listenerThread != null)
        {
            listenerThread.join(STOP_TIMEOUT_MS);
        }
        workersRunning = false;
        for (final Thread thread : workerThreads)
        {
            thread.join(STOP_TIMEOUT_MS);
        }
        if (summary == null)
        {
            summary = summarise();
        }
    }

    /** What the run did, one line per thread; after {@link #close}. */
    public String summary()
    {
        return summary;
    }

    private String summarise()
    {
        final StringBuilder text = new StringBuilder();
        if (listenerServer != null)
        {
            text.append("listener (queue ").append(listenerInterface.queue().queueId()).append("): ")
                .append(listenerServer.handOver()).append("; kept connections: ").append(listenerServer)
                .append("; stack drops: ").append(listenerInterface.dropsToString()).append('\n');
        }
        for (int i = 0; i < workerServers.length; i++)
        {
            final TcpEchoServer server = workerServers[i];
            if (server != null)
            {
                text.append("worker ").append(i + 1).append(": ").append(server.worker()).append("; ").append(server)
                    .append("; stack drops: ").append(workerInterfaces[i].dropsToString()).append('\n');
            }
        }
        final Histogram times = handOverToFirstByte();
        if (times.getTotalCount() > 0)
        {
            text.append(String.format(Locale.ROOT, "hand-over, the listener taking the SYN -> the worker's first " +
                "byte echoed: %d connections, p50 %.1f us, p99 %.1f us, max %.1f us%n", times.getTotalCount(),
                times.getValueAtPercentile(50) / 1e3, times.getValueAtPercentile(99) / 1e3, times.getMaxValue() / 1e3));
        }
        return text.toString();
    }
}
