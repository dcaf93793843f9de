package io.nicq.card;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import io.nicq.ixgbe.Nic;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.runtime.ChildJvm;
import io.nicq.proto.InstancePaths;
import io.nicq.runtime.IdleStrategies;
import io.nicq.queue.QueueAttacher;
import io.nicq.queue.QueueDriver;
import io.nicq.queue.QueueDriverCommand;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;

/**
 * Starts queue drivers and connects their ends to the queue table:
 * <ul>
 *   <li>threads: a {@link QueueDriver} agent on its own {@link AgentRunner} in this process, attached through a
 *       direct-call {@link QueueAttacher} (no protocol: the rings are programmed on the conductor thread);</li>
 *   <li>processes: a child JVM running {@link QueueDriverCommand}, which attaches with {@code AttachQueueDriver};
 *       its exit is watched ({@code Process.onExit}) and reported to the conductor.</li>
 * </ul>
 * Register programming stays on the conductor thread: calls from other threads are posted to it and awaited.
 */
final class QueueDriverLauncher
{
    /** How long a queue driver thread waits for the conductor to attach or detach its rings. */
    static final long CONDUCTOR_CALL_TIMEOUT_MS = 5000;

    private final CardDriver.Context ctx;
    private final CardLog log;
    private final Nic nic;
    private final Consumer<Runnable> post;
    private final QueueAttacher directAttacher = new DirectAttacher();
    private QueueManager queues;
    private String aeronDir;
    private volatile Thread conductorThread;

    QueueDriverLauncher(final CardDriver.Context ctx, final CardLog log, final Nic nic, final Consumer<Runnable> post)
    {
        this.ctx = ctx;
        this.log = log;
        this.nic = nic;
        this.post = post;
    }

    void queueManager(final QueueManager queues)
    {
        this.queues = queues;
    }

    /** The conductor runs on this thread from now on; calls from others are posted to it. */
    void conductorThread(final Thread thread)
    {
        this.conductorThread = thread;
    }

    QueueAttacher directAttacher()
    {
        return directAttacher;
    }

    /** Starts a queue driver thread on a granted queue; on return it is attached and running. */
    QueueDriverHandle startThread(final QueueEntry entry)
    {
        // Queue 0 carries ARP, ping and unfiltered traffic: it backs off when idle whatever the applications' queues
        // do, so that a spinning configuration does not spend a core on it.
        final IdleStrategy idle = entry.id == 0 ? IdleStrategies.of(ctx.defaultQueueIdle()) :
            ctx.queueDriverIdleStrategySupplier() != null ?
            ctx.queueDriverIdleStrategySupplier().get() : IdleStrategies.of(ctx.queueDriverIdle());
        final QueueDriver driver = QueueDriver.start(new QueueDriver.Context()
            .nic(nic)
            .queueId(entry.id)
            .channelFile(entry.channelFile)
            .ringSize(entry.ringSize)
            .idleStrategy(idle)
            .queueAttacher(directAttacher)
            // Queue 0's client is this process's own default-queue service: only a client of a granted queue can
            // go away.
            .clientTimeoutNs(entry.id == 0 ? 0 :
                Math.max(ctx.clientTimeoutNs(), QueueDriver.Context.DEFAULT_CLIENT_TIMEOUT_NS))
            .clientAttachTimeoutNs(ctx.queueDriverStartTimeoutNs()));
        final ThreadDriver handle = new ThreadDriver(entry, driver, idle);
        AgentRunner.startOnThread(handle.runner, runnable ->
        {
            final Thread thread = new Thread(runnable, "nicq-queue-" + entry.id);
            thread.setDaemon(true);
            return thread;
        });
        return handle;
    }

    /** Starts a queue driver process on a granted queue; it attaches later through the protocol. */
    QueueDriverHandle startProcess(final QueueEntry entry)
    {
        final InstancePaths paths = ctx.paths();
        final List<String> args = new ArrayList<>();
        args.add("--instance");
        args.add(paths.instance());
        args.add("--queue");
        args.add(Integer.toString(entry.id));
        args.add("--nic");
        args.add(nic.spec());
        args.add("--channel");
        args.add(entry.channelFile.toAbsolutePath().toString());
        args.add("--ring-size");
        args.add(Integer.toString(entry.ringSize));
        args.add("--idle");
        args.add(ctx.queueDriverIdle());
        args.add("--aeron-dir");
        args.add(aeronDir());
        args.add("--card-driver-pid");
        args.add(Long.toString(ProcessHandle.current().pid()));

        final Path logFile = ctx.logDir().resolve("queue-" + entry.id + ".log");
        final ProcessBuilder builder = ChildJvm.builder(QueueDriverCommand.class, args, logFile);
        propagateDirectories(builder.command());
        final Process process;
        try
        {
            process = builder.start();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot start a queue driver process: " + ex.getMessage(), ex);
        }
        final ProcessDriver handle = new ProcessDriver(process, logFile);
        process.onExit().thenRun(() -> post.accept(() -> queues.onProcessExit(entry, handle)));
        return handle;
    }

    /** The Aeron directory queue driver processes use to reach this card driver. */
    void aeronDir(final String aeronDir)
    {
        this.aeronDir = aeronDir;
    }

    private String aeronDir()
    {
        return aeronDir != null ? aeronDir : ctx.paths().aeronDir().toString();
    }

    /**
     * A child sees the same simulated cards and instances as this JVM even when the directories were set by a test
     * at run time (not on the command line).
     */
    private static void propagateDirectories(final List<String> command)
    {
        final String[] properties = {InstancePaths.DIR_PROPERTY, SimulatedCardFiles.DIR_PROPERTY};
        for (final String property : properties)
        {
            final String value = System.getProperty(property);
            if (value != null)
            {
                command.add(1, "-D" + property + "=" + value);
            }
        }
    }

    /** Runs an action on the conductor thread and waits for it; runs it here when this is the conductor thread. */
    private void onConductor(final Runnable action, final String what)
    {
        final Thread conductor = conductorThread;
        if (conductor == null || conductor == Thread.currentThread())
        {
            action.run();
            return;
        }
        final CompletableFuture<Void> done = new CompletableFuture<>();
        post.accept(() ->
        {
            try
            {
                action.run();
                done.complete(null);
            }
            catch (final RuntimeException ex)
            {
                done.completeExceptionally(ex);
            }
        });
        try
        {
            done.get(CONDUCTOR_CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException ex)
        {
            throw ex.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(ex);
        }
        catch (final TimeoutException ex)
        {
            throw new IllegalStateException("the card driver's conductor did not " + what + " within " +
                CONDUCTOR_CALL_TIMEOUT_MS + " ms");
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to " + what);
        }
    }

    /** Queue drivers of this process register their rings by a plain call, executed on the conductor thread. */
    private final class DirectAttacher implements QueueAttacher
    {
        public void attach(final int queueId, final long pid, final long token, final int ringSize,
            final long rxRingIova, final long txRingIova, final long txHeadWritebackIova)
        {
            onConductor(() -> queues.attach(null, queueId, pid, token, ringSize, rxRingIova, txRingIova,
                txHeadWritebackIova, true), "attach queue " + queueId);
        }

        public void detach(final int queueId)
        {
            final QueueEntry entry = queues.entry(queueId);
            final QueueDriverHandle driver = entry.driver;
            if (!entry.hardwareEnabled)
            {
                return;
            }
            if (entry.revoking)
            {
                // The conductor is taking the queue away and disables the hardware first: wait for that before the
                // rings may go, so the device never reads or writes freed memory.
                final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CONDUCTOR_CALL_TIMEOUT_MS);
                while (entry.hardwareEnabled && System.nanoTime() - deadline < 0 &&
                    conductorThread != Thread.currentThread())
                {
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
                }
                return;
            }
            if (conductorThread == null || conductorThread == Thread.currentThread())
            {
                queues.disableHardware(entry);
                return;
            }
            // The driver stopped on its own (client gone, channel revoked): the queue is disabled before the driver
            // frees its rings, then torn down and its client told. Commands of a driver that has been replaced in
            // the meantime touch nothing.
            final CompletableFuture<Void> disabled = new CompletableFuture<>();
            post.accept(() ->
            {
                if (entry.driver == driver && !entry.revoking)
                {
                    queues.disableHardware(entry);
                }
                disabled.complete(null);
                queues.onThreadStopped(entry, driver, driver instanceof ThreadDriver thread ?
                    thread.exitReason() : "stopped");
            });
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CONDUCTOR_CALL_TIMEOUT_MS);
            while (!disabled.isDone() && !entry.revoking)
            {
                if (System.nanoTime() - deadline > 0)
                {
                    log.info("queue " + queueId + ": the conductor did not disable the queue within " +
                        CONDUCTOR_CALL_TIMEOUT_MS + " ms of its driver stopping");
                    return;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
    }

    /** A queue driver agent on a thread of this process. */
    private final class ThreadDriver implements QueueDriverHandle
    {
        private final QueueEntry entry;
        private final QueueDriver driver;
        private final AgentRunner runner;

        ThreadDriver(final QueueEntry entry, final QueueDriver driver, final IdleStrategy idle)
        {
            this.entry = entry;
            this.driver = driver;
            this.runner = new AgentRunner(idle, ex -> log.warnLimited("queue driver of queue " + entry.id + ": " +
                ex.getMessage()), null, driver);
        }

        public long pid()
        {
            return ProcessHandle.current().pid();
        }

        public void stop()
        {
            runner.close();
        }

        public void kill()
        {
            runner.close();
        }

        public boolean isAlive()
        {
            final Thread thread = runner.thread();
            return !runner.isClosed() && (thread == null || thread.isAlive());
        }

        public String describe()
        {
            return "thread nicq-queue-" + entry.id;
        }

        public String exitDescription()
        {
            return exitReason();
        }

        String exitReason()
        {
            final String reason = driver.exitReason();
            return reason != null ? reason : "running";
        }
    }

    /** A queue driver child process. */
    private static final class ProcessDriver implements QueueDriverHandle
    {
        private final Process process;
        private final Path logFile;

        ProcessDriver(final Process process, final Path logFile)
        {
            this.process = process;
            this.logFile = logFile;
        }

        public long pid()
        {
            return process.pid();
        }

        public void stop()
        {
            process.destroy();
        }

        public void kill()
        {
            process.destroyForcibly();
        }

        public boolean isAlive()
        {
            return process.isAlive();
        }

        public String describe()
        {
            return "process " + process.pid() + ", log " + logFile;
        }

        public String exitDescription()
        {
            if (process.isAlive())
            {
                return "is still running";
            }
            final int status = process.exitValue();
            return "exited with status " + status + (status > 128 ? " (signal " + (status - 128) + ")" : "");
        }
    }
}
