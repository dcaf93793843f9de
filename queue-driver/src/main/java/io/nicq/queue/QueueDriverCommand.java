package io.nicq.queue;

import io.nicq.ixgbe.Nic;
import io.nicq.proto.ControlClient;
import io.nicq.runtime.IdleStrategies;
import io.nicq.proto.InstancePaths;
import io.nicq.proto.channel.QueueChannelHeader;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.IdleStrategy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code nicq queue-driver}: one queue driver as its own process, normally spawned by the card driver. It opens the
 * card, attaches its rings over the control protocol ({@code AttachQueueDriver}), then runs the poll loop on the main
 * thread until the client leaves, the queue is revoked, the card driver goes away or the process is asked to stop
 * (SIGTERM), and closes the driver on the way out.
 * <p>
 * The control connection is closed once the rings are attached: a subscriber that stopped polling would hold back the
 * card driver's answers to everybody. From then on the channel header (state REVOKED) and the card driver's pid are
 * how the card driver's will reaches this process.
 */
@Command(
    name = "queue-driver",
    mixinStandardHelpOptions = true,
    description = "Service one hardware RX/TX queue pair for one application (normally started by the card driver).")
public final class QueueDriverCommand implements Callable<Integer>
{
    @Option(names = "--instance", required = true, description = "Instance of the card driver (files under " +
        InstancePaths.DEFAULT_DIR + "/<instance>).")
    String instance;

    @Option(names = "--queue", required = true, description = "Hardware queue (0-127).")
    int queue;

    @Option(names = "--nic", required = true, description = "The card: sim:NAME, pci:ADDRESS or vfio:ADDRESS.")
    String nic;

    @Option(names = "--channel", description = "Queue channel file (default: the instance's queues/<queue>).")
    Path channel;

    @Option(names = "--ring-size", defaultValue = "" + QueueDriver.Context.DEFAULT_RING_SIZE,
        description = "Descriptors per ring, a power of two (default: ${DEFAULT-VALUE}).")
    int ringSize;

    @Option(names = "--batch", defaultValue = "" + QueueDriver.Context.DEFAULT_BATCH_SIZE,
        description = "Most descriptors per direction per round (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--idle", defaultValue = QueueDriver.Context.DEFAULT_IDLE_STRATEGY,
        description = "Idle strategy: " + IdleStrategies.NAMES + " (default: ${DEFAULT-VALUE}).")
    String idle;

    @Option(names = "--tx-writeback", defaultValue = "dd",
        description = "TX completion: dd (descriptor done) or head (head write-back) (default: ${DEFAULT-VALUE}).")
    String txWriteback;

    @Option(names = "--card-driver-pid", description = "Stop when this process ends (default: the pid in the " +
        "instance's card-driver.pid; 0 = do not watch).")
    Long cardDriverPid;

    @Option(names = "--client-timeout-ms", defaultValue = "5000",
        description = "Stop when the client's heartbeat is older (0 = do not watch) (default: ${DEFAULT-VALUE}).")
    long clientTimeoutMs;

    @Option(names = "--client-attach-timeout-ms", defaultValue = "30000",
        description = "Stop when no client attaches within this time (0 = wait) (default: ${DEFAULT-VALUE}).")
    long clientAttachTimeoutMs;

    @Option(names = "--aeron-dir", description = "Media driver of the control plane (default: the instance's aeron/).")
    Path aeronDir;

    @Option(names = "--read-only-rx-ring", description = "Expose the RX descriptor ring read-only to the client, " +
        "which takes received frames from it itself (no RX hop through this process).")
    boolean readOnlyRxRing;

    @Option(names = "--request-timeout-ms", defaultValue = "5000",
        description = "How long to wait for the card driver to attach the rings (default: ${DEFAULT-VALUE}).")
    long requestTimeoutMs;

    public QueueDriverCommand()
    {
    }

    public Integer call()
    {
        final InstancePaths paths = InstancePaths.of(instance);
        final Path channelFile = channel != null ? channel : paths.queueChannel(queue);
        final long watchedPid = cardDriverPid != null ? cardDriverPid : readPid(paths.pidFile());

        try (Nic card = Nic.open(nic))
        {
            final QueueDriver driver = QueueDriver.start(new QueueDriver.Context()
                .nic(card)
                .queueId(queue)
                .channelFile(channelFile)
                .ringSize(ringSize)
                .batchSize(batch)
                .idleStrategyName(idle)
                .txWriteback(TxWriteback.of(txWriteback))
                .cardDriverPid(watchedPid)
                .readOnlyRxRing(readOnlyRxRing)
                .clientTimeoutNs(TimeUnit.MILLISECONDS.toNanos(clientTimeoutMs))
                .clientAttachTimeoutNs(TimeUnit.MILLISECONDS.toNanos(clientAttachTimeoutMs))
                .queueAttacher(ControlQueueAttacher.connectingEachTime(new ControlClient.Context()
                    .aeronDirectoryName((aeronDir != null ? aeronDir : paths.aeronDir()).toString())
                    .requestTimeout(requestTimeoutMs, TimeUnit.MILLISECONDS)
                    .description("card driver of instance " + instance))));
            System.out.println(driver + " attached on " + card.spec() + ", pid " + ProcessHandle.current().pid() +
                ", idle " + idle + ", tx write-back " + txWriteback + ", card driver pid " + watchedPid +
                (readOnlyRxRing ? ", read-only RX ring" : ""));
            run(driver);
        }
        return 0;
    }

    /**
     * Runs the poll loop on this thread until the driver stops itself or the JVM is asked to exit, then closes the
     * driver and says why it stopped (before the shutdown hook lets the JVM go on).
     */
    private static void run(final QueueDriver driver)
    {
        final IdleStrategy idleStrategy = driver.context().idleStrategy();
        final CountDownLatch stopped = new CountDownLatch(1);
        final Thread mainThread = Thread.currentThread();
        final Thread hook = new Thread(() ->
        {
            mainThread.interrupt();
            try
            {
                if (!stopped.await(5, TimeUnit.SECONDS))
                {
                    System.err.println(driver.roleName() + ": the poll loop did not stop within 5 s of the signal");
                }
            }
            catch (final InterruptedException ignore)
            {
                Thread.currentThread().interrupt();
            }
        }, driver.roleName() + "-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        String reason = "asked to stop";
        try
        {
            while (!Thread.currentThread().isInterrupted())
            {
                idleStrategy.idle(driver.doWork());
            }
        }
        catch (final AgentTerminationException ex)
        {
            reason = driver.exitReason();
        }
        finally
        {
            driver.close();
            System.out.println(driver.roleName() + " stopped: " + reason + counters(driver));
            System.out.flush();
            stopped.countDown();
            try
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (final IllegalStateException ignore)
            {
                // The JVM is already shutting down: the hook is running and waits for the countDown above.
            }
        }
    }

    private static String counters(final QueueDriver driver)
    {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < QueueChannelHeader.COUNTER_COUNT; i++)
        {
            text.append(i == 0 ? " (" : ", ").append(QueueChannelHeader.counterName(i)).append(' ')
                .append(driver.counter(i));
        }
        return text.append(')').toString();
    }

    private static long readPid(final Path pidFile)
    {
        try
        {
            return Files.exists(pidFile) ? Long.parseLong(Files.readString(pidFile).trim()) : 0;
        }
        catch (final IOException | NumberFormatException ex)
        {
            throw new IllegalArgumentException("cannot read the card driver's pid from " + pidFile + ": " + ex +
                " (give --card-driver-pid)", ex);
        }
    }
}
