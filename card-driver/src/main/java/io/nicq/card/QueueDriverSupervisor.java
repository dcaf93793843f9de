package io.nicq.card;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

import io.nicq.ixgbe.Nic;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.proto.InstancePaths;
import io.nicq.queue.QueueAttacher;
import io.nicq.queue.QueueDriver;
import io.nicq.queue.QueueDriverCommand;
import io.nicq.runtime.ChildJvm;
import io.nicq.runtime.IdleStrategies;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

import static io.nicq.ixgbe.Registers.QUEUE_COUNT;

/**
 * The supervisor of queue drivers, one part of the queue lifecycle beside the queue table and statistics sampling:
 * it starts a queue's driver as a thread of this process or as a child JVM, stops and kills it, and reports what its
 * drivers do by events the conductor drains in its duty cycle ({@link #poll}): a driver has exited, or a driver
 * thread is stopping and needs its queue disabled before it frees its rings. It holds no reference to the queue table
 * and calls nothing of it: the conductor asks it to start and stop drivers and hands its events to the table.
 * <ul>
 *   <li>threads: a {@link QueueDriver} agent on its own {@link AgentRunner}; it attaches during {@link #startThread}
 *       through the attacher the conductor passes (a direct call on the calling thread, no protocol);</li>
 *   <li>processes: a child JVM running {@link QueueDriverCommand}, which attaches with {@code AttachQueueDriver};
 *       its exit is watched ({@code Process.onExit}).</li>
 * </ul>
 * Every driver has an id, never reused: events name it, so an event of a driver that has since been replaced is
 * recognised as stale. {@link #startThread}, {@link #startProcess}, {@link #stop}, {@link #kill}, {@link #poll} and
 * {@link #awaitExit}: the conductor thread only.
 */
final class QueueDriverSupervisor
{
    /** How long a queue driver thread waits for the conductor to disable its queue before freeing its rings. */
    static final long CONDUCTOR_CALL_TIMEOUT_MS = 5000;

    /** Room for more events than the drivers of 128 queues can have outstanding (two each at most). */
    private static final int EVENT_CAPACITY = 4 * QUEUE_COUNT;

    /** What the conductor does with the events. */
    interface EventHandler
    {
        /**
         * A queue driver thread is stopping (on its own, or because it was asked to) and is about to free its rings:
         * the queue must be disabled in the card, if it is still enabled, before this returns. The thread waits.
         */
        void onDriverDetaching(int queueId, long driverId);

        /** A queue driver has exited; {@code description} says which and how, for messages. */
        void onDriverExited(int queueId, long driverId, String description);
    }

    private final CardDriver.Context ctx;
    private final CardLog log;
    private final Nic nic;
    private final String aeronDir;
    private final Runnable conductorWake;
    private final ManyToOneConcurrentArrayQueue<Event> events = new ManyToOneConcurrentArrayQueue<>(EVENT_CAPACITY);
    private final Driver[] drivers = new Driver[QUEUE_COUNT];
    private long nextDriverId = 1;

    /**
     * @param conductorWake rings the conductor (from any thread): after every event posted, and from queue 0's driver
     *                      thread whenever it has moved frames for the default-queue service, which the conductor runs
     */
    QueueDriverSupervisor(final CardDriver.Context ctx, final CardLog log, final Nic nic, final String aeronDir,
        final Runnable conductorWake)
    {
        this.ctx = ctx;
        this.log = log;
        this.nic = nic;
        this.aeronDir = aeronDir;
        this.conductorWake = conductorWake;
    }

    /**
     * Starts a queue driver thread on a granted queue; on return it is attached and running. It attaches through
     * {@code conductorAttacher}, called on this thread while it starts (so the conductor's attach runs on the
     * conductor thread); should it fail after attaching, it detaches through it too, on this thread.
     *
     * @return the driver's id
     * @throws IllegalStateException (from {@link QueueDriver#start}) naming the step that failed
     */
    long startThread(final int queueId, final Path channelFile, final int ringSize,
        final QueueAttacher conductorAttacher)
    {
        final long driverId = nextDriverId++;
        // Queue 0 carries ARP, ping and unfiltered traffic: it has an idle strategy of its own whatever the
        // applications' queues do, so that a spinning configuration does not spend a core on it.
        final IdleStrategy idle = queueId == 0 ? IdleStrategies.of(ctx.defaultQueueIdle()) :
            ctx.queueDriverIdleStrategySupplier() != null ?
            ctx.queueDriverIdleStrategySupplier().get() : IdleStrategies.of(ctx.queueDriverIdle());
        final ThreadAttacher attacher = new ThreadAttacher(queueId, driverId, conductorAttacher);
        final QueueDriver driver = QueueDriver.start(new QueueDriver.Context()
            .nic(nic)
            .queueId(queueId)
            .channelFile(channelFile)
            .ringSize(ringSize)
            .idleStrategy(idle)
            .queueAttacher(attacher)
            // Queue 0's client, the default-queue service, reads rxReady only.
            .readOnlyRxRing(queueId != 0 && ctx.queueDriverReadOnlyRxRing())
            // Queue 0's client is this process's own default-queue service: only a client of a granted queue can
            // go away.
            .clientTimeoutNs(queueId == 0 ? 0 :
                Math.max(ctx.clientTimeoutNs(), QueueDriver.Context.DEFAULT_CLIENT_TIMEOUT_NS))
            .clientAttachTimeoutNs(ctx.queueDriverStartTimeoutNs())
            // Queue 0's client is the default-queue service on the conductor, asleep on the requests word: every
            // round that hands it frames rings it, the adaptive strategy's last look included.
            .onPublishedToClient(queueId == 0 ? conductorWake : null));
        final ThreadDriver handle = new ThreadDriver(queueId, driverId, driver, idle);
        attacher.started(handle);
        drivers[queueId] = handle;
        AgentRunner.startOnThread(handle.runner, runnable ->
        {
            final Thread thread = new Thread(runnable, "nicq-queue-" + queueId);
            thread.setDaemon(true);
            return thread;
        });
        return driverId;
    }

    /**
     * Starts a queue driver process on a granted queue; it attaches later through the protocol.
     *
     * @return the driver's id
     * @throws IllegalStateException when the process cannot be started
     */
    long startProcess(final int queueId, final Path channelFile, final int ringSize)
    {
        final long driverId = nextDriverId++;
        final InstancePaths paths = ctx.paths();
        final List<String> args = new ArrayList<>();
        args.add("--instance");
        args.add(paths.instance());
        args.add("--queue");
        args.add(Integer.toString(queueId));
        args.add("--nic");
        args.add(nic.spec());
        args.add("--channel");
        args.add(channelFile.toAbsolutePath().toString());
        args.add("--ring-size");
        args.add(Integer.toString(ringSize));
        args.add("--idle");
        args.add(ctx.queueDriverIdle());
        args.add("--aeron-dir");
        args.add(aeronDir);
        args.add("--card-driver-pid");
        args.add(Long.toString(ProcessHandle.current().pid()));
        if (ctx.queueDriverReadOnlyRxRing())
        {
            args.add("--read-only-rx-ring");
        }

        final Path logFile = ctx.logDir().resolve("queue-" + queueId + ".log");
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
        final ProcessDriver handle = new ProcessDriver(queueId, driverId, process, logFile);
        drivers[queueId] = handle;
        process.onExit().thenRun(() -> post(Event.exited(queueId, driverId, "the queue driver of queue " + queueId +
            " (" + handle.describe() + ") " + handle.exitDescription())));
        return driverId;
    }

    /** The process of the queue's current driver (this one for a thread). */
    long pid(final int queueId)
    {
        return drivers[queueId].pid();
    }

    /** "process 1234, log /tmp/...", "thread nicq-queue-3"; "no queue driver" when it has none. */
    String describe(final int queueId)
    {
        final Driver driver = drivers[queueId];
        return driver != null ? driver.describe() : "no queue driver";
    }

    /**
     * Asks the queue's driver to stop: SIGTERM for a process; a thread is stopped and waited for. The caller has
     * disabled the queue in the card: a stopping thread then frees its rings without waiting for the conductor.
     */
    void stop(final int queueId, final long driverId)
    {
        final Driver driver = current(queueId, driverId);
        if (driver != null)
        {
            driver.stop();
        }
    }

    /** Stops the queue's driver without asking (SIGKILL for a process). */
    void kill(final int queueId, final long driverId)
    {
        final Driver driver = current(queueId, driverId);
        if (driver != null)
        {
            driver.kill();
        }
    }

    /** Whether the queue's driver is still running. */
    boolean isRunning(final int queueId, final long driverId)
    {
        final Driver driver = current(queueId, driverId);
        return driver != null && driver.isAlive();
    }

    /** Waits until the queue's driver has exited, killing it when it has not by the deadline (shutdown). */
    void awaitExit(final int queueId, final long driverId, final long deadlineNs)
    {
        final Driver driver = current(queueId, driverId);
        if (driver == null)
        {
            return;
        }
        if (!driver.awaitExit(Math.max(1, deadlineNs - System.nanoTime())))
        {
            log.info("queue " + queueId + ": queue driver " + driver.describe() + " did not exit; killing it");
            driver.kill();
            // SIGKILL cannot be refused: the queue goes anyway.
            driver.awaitExit(TimeUnit.SECONDS.toNanos(1));
        }
    }

    /** Hands up to {@code limit} events to the handler, in the order they happened; returns how many. */
    int poll(final EventHandler handler, final int limit)
    {
        int count = 0;
        Event event;
        while (count < limit && (event = events.poll()) != null)
        {
            count++;
            if (event.queueDisabled != null)
            {
                try
                {
                    handler.onDriverDetaching(event.queueId, event.driverId);
                }
                finally
                {
                    event.queueDisabled.complete(null);
                }
            }
            else
            {
                handler.onDriverExited(event.queueId, event.driverId, event.description);
            }
        }
        return count;
    }

    private Driver current(final int queueId, final long driverId)
    {
        final Driver driver = drivers[queueId];
        return driver != null && driver.id == driverId ? driver : null;
    }

    /** From any thread. The queue has room for every event drivers can have outstanding; should it be full, retry. */
    private void post(final Event event)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CONDUCTOR_CALL_TIMEOUT_MS);
        while (!events.offer(event))
        {
            if (System.nanoTime() - deadline > 0)
            {
                log.warnLimited("queue " + event.queueId + ": the conductor has not taken a queue driver's events " +
                    "for " + CONDUCTOR_CALL_TIMEOUT_MS + " ms; one is lost");
                return;
            }
            conductorWake.run();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        conductorWake.run();
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

    /** What a driver did, for the conductor. A detaching thread waits on {@link #queueDisabled}. */
    private static final class Event
    {
        final int queueId;
        final long driverId;
        final String description;
        final CompletableFuture<Void> queueDisabled;

        private Event(final int queueId, final long driverId, final String description,
            final CompletableFuture<Void> queueDisabled)
        {
            this.queueId = queueId;
            this.driverId = driverId;
            this.description = description;
            this.queueDisabled = queueDisabled;
        }

        static Event exited(final int queueId, final long driverId, final String description)
        {
            return new Event(queueId, driverId, description, null);
        }

        static Event detaching(final int queueId, final long driverId, final CompletableFuture<Void> queueDisabled)
        {
            return new Event(queueId, driverId, null, queueDisabled);
        }
    }

    /**
     * The attacher of a queue driver thread. Attach happens only while {@link #startThread} runs, on its thread, and
     * goes straight to the conductor's attacher; so does a detach while starting (the start failed after attaching).
     * Afterwards a detach runs on the driver's own thread: it posts an event and waits until the conductor has
     * disabled the queue, or until {@link #stop} says it already is.
     */
    private final class ThreadAttacher implements QueueAttacher
    {
        private final int queueId;
        private final long driverId;
        private final QueueAttacher conductorAttacher;
        private ThreadDriver driver;

        ThreadAttacher(final int queueId, final long driverId, final QueueAttacher conductorAttacher)
        {
            this.queueId = queueId;
            this.driverId = driverId;
            this.conductorAttacher = conductorAttacher;
        }

        /** Written before the driver's thread starts, which makes it visible there. */
        void started(final ThreadDriver driver)
        {
            this.driver = driver;
        }

        public void attach(final int queueId, final long pid, final long token, final int ringSize,
            final long rxRingIova, final long txRingIova, final long txHeadWritebackIova)
        {
            conductorAttacher.attach(queueId, pid, token, ringSize, rxRingIova, txRingIova, txHeadWritebackIova);
        }

        public void detach(final int queueId)
        {
            if (driver == null)
            {
                conductorAttacher.detach(queueId);
                return;
            }
            final CompletableFuture<Void> queueDisabled = driver.queueDisabled;
            if (queueDisabled.isDone())
            {
                return;
            }
            post(Event.detaching(this.queueId, driverId, queueDisabled));
            try
            {
                queueDisabled.get(CONDUCTOR_CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            }
            catch (final TimeoutException ex)
            {
                log.info("queue " + queueId + ": the conductor did not disable the queue within " +
                    CONDUCTOR_CALL_TIMEOUT_MS + " ms of its driver stopping");
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            catch (final Exception ex)
            {
                log.info("queue " + queueId + ": disabling the queue failed: " + ex);
            }
        }
    }

    /** A queue driver the supervisor started. */
    private abstract static class Driver
    {
        final int queueId;
        final long id;

        Driver(final int queueId, final long id)
        {
            this.queueId = queueId;
            this.id = id;
        }

        abstract long pid();

        abstract void stop();

        abstract void kill();

        abstract boolean isAlive();

        abstract boolean awaitExit(long timeoutNs);

        abstract String describe();
    }

    /** A queue driver agent on a thread of this process; it reports its exit once its agent has closed. */
    private final class ThreadDriver extends Driver implements Agent
    {
        /** Completed once the queue is disabled in the card: by the conductor on a detach event, or by stop. */
        final CompletableFuture<Void> queueDisabled = new CompletableFuture<>();
        private final QueueDriver driver;
        private final AgentRunner runner;

        ThreadDriver(final int queueId, final long id, final QueueDriver driver, final IdleStrategy idle)
        {
            super(queueId, id);
            this.driver = driver;
            this.runner = new AgentRunner(idle, ex -> log.warnLimited("queue driver of queue " + queueId + ": " +
                ex.getMessage()), null, this);
        }

        public String roleName()
        {
            return driver.roleName();
        }

        public int doWork()
        {
            final int work = driver.doWork();
            if (work > 0 && queueId == 0)
            {
                // The default-queue service, queue 0's client, runs on the conductor: it sleeps until rung.
                conductorWake.run();
            }
            return work;
        }

        public void onClose()
        {
            try
            {
                driver.onClose();
            }
            finally
            {
                final String reason = driver.exitReason();
                post(Event.exited(queueId, id, "the queue driver thread of queue " + queueId + " stopped: " +
                    (reason != null ? reason : "closed")));
            }
        }

        long pid()
        {
            return ProcessHandle.current().pid();
        }

        void stop()
        {
            queueDisabled.complete(null);
            runner.close();
        }

        void kill()
        {
            stop();
        }

        boolean isAlive()
        {
            final Thread thread = runner.thread();
            return !runner.isClosed() && (thread == null || thread.isAlive());
        }

        boolean awaitExit(final long timeoutNs)
        {
            stop();
            return true;
        }

        String describe()
        {
            return "thread nicq-queue-" + queueId;
        }
    }

    /** A queue driver child process. */
    private static final class ProcessDriver extends Driver
    {
        private final Process process;
        private final Path logFile;

        ProcessDriver(final int queueId, final long id, final Process process, final Path logFile)
        {
            super(queueId, id);
            this.process = process;
            this.logFile = logFile;
        }

        long pid()
        {
            return process.pid();
        }

        void stop()
        {
            process.destroy();
        }

        void kill()
        {
            process.destroyForcibly();
        }

        boolean isAlive()
        {
            return process.isAlive();
        }

        boolean awaitExit(final long timeoutNs)
        {
            try
            {
                return process.waitFor(timeoutNs, TimeUnit.NANOSECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return !process.isAlive();
            }
        }

        String describe()
        {
            return "process " + process.pid() + ", log " + logFile;
        }

        String exitDescription()
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
