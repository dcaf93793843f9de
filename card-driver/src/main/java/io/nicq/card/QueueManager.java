package io.nicq.card;

import io.nicq.runtime.Durations;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.DescriptorRing;
import io.nicq.ixgbe.DeviceTimeoutException;
import io.nicq.ixgbe.Nic;
import io.nicq.ixgbe.Statistics.QueueCounter;
import io.nicq.proto.InstancePaths;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.proto.channel.QueueChannelLayout;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.QueueMode;
import io.nicq.queue.QueueAttacher;
import org.agrona.CloseHelper;

import static io.nicq.ixgbe.Registers.*;

/**
 * The queue table: queue 0 is the card driver's default queue; queues 1..127 are granted to clients, each with its
 * queue channel file and a queue driver (a supervised process, a thread of the card driver, or the application's own
 * thread for INLINE). A queue is revoked when it is released, its client goes away, its queue driver dies or the card
 * driver stops: filters removed, channel marked REVOKED, hardware queue disabled (so the device never again writes
 * into the pool), queue driver stopped, channel file deleted. Then the queue is free again.
 * <p>
 * Conductor thread only, except {@link #attacher()}'s detach, which queue driver threads call.
 */
final class QueueManager
{
    private static final SecureRandom TOKENS = new SecureRandom();

    /** First queue granted to clients: queue 0 is the default queue. */
    static final int FIRST_CLIENT_QUEUE = 1;

    private final CardDriver.Context ctx;
    private final CardLog log;
    private final Nic nic;
    private final Bar bar;
    private final InstancePaths paths;
    private final QueueProgrammer programmer;
    private final FilterManager filters;
    private final CardCounters counters;
    private final ResponsePublisher publisher;
    private final QueueDriverLauncher launcher;
    private final QueueEntry[] queues = new QueueEntry[QUEUE_COUNT];
    private boolean cardFailed;

    QueueManager(
        final CardDriver.Context ctx,
        final CardLog log,
        final Nic nic,
        final FilterManager filters,
        final CardCounters counters,
        final ResponsePublisher publisher,
        final QueueDriverLauncher launcher)
    {
        this.ctx = ctx;
        this.log = log;
        this.nic = nic;
        this.bar = nic.bar();
        this.paths = ctx.paths();
        this.programmer = new QueueProgrammer(bar, ctx.queueEnableTimeoutNs());
        this.filters = filters;
        this.counters = counters;
        this.publisher = publisher;
        this.launcher = launcher;
        for (int q = 0; q < QUEUE_COUNT; q++)
        {
            queues[q] = new QueueEntry(q);
        }
    }

    QueueEntry entry(final int queueId)
    {
        return queues[queueId];
    }

    /** Client queues that can be granted now. */
    int free()
    {
        int free = 0;
        for (int q = FIRST_CLIENT_QUEUE; q < QUEUE_COUNT; q++)
        {
            free += queues[q].state == QueueEntry.State.FREE ? 1 : 0;
        }
        return free;
    }

    /** Queues not free, queue 0 included. */
    int inUse()
    {
        int inUse = 0;
        for (final QueueEntry entry : queues)
        {
            inUse += entry.state != QueueEntry.State.FREE ? 1 : 0;
        }
        return inUse;
    }

    /** The attacher queue drivers of this card driver (threads, queue 0) use: direct calls, no protocol. */
    QueueAttacher attacher()
    {
        return launcher.directAttacher();
    }

    /**
     * Sets up queue 0 for the card driver's own default-queue service: its channel, a queue driver thread, the
     * hardware queue enabled.
     */
    QueueEntry startDefaultQueue(final int ringSize, final int slotCount)
    {
        final QueueEntry entry = queues[0];
        createChannel(entry, QueueEntry.CARD_DRIVER_OWNER, QueueMode.THREAD, ringSize, slotCount);
        try
        {
            entry.driver = launcher.startThread(entry);
        }
        catch (final RuntimeException ex)
        {
            finish(entry);
            throw new IllegalStateException("the default queue (queue 0) did not start: " + ex.getMessage(), ex);
        }
        return entry;
    }

    /**
     * Grants the lowest free queue to a client and starts its queue driver (PROCESS: a child JVM that will attach
     * through the protocol; THREAD: attached and running on return; INLINE: the client attaches itself).
     *
     * @throws RequestException INVALID_ARGUMENT, NO_QUEUE or QUEUE_DRIVER_FAILED
     */
    QueueEntry grant(final ClientSession client, final long ringSizeRequested, final long slotCountRequested,
        final QueueMode requestedMode)
    {
        final int ringSize = ringSizeRequested == 0 ? ctx.defaultRingSize() : (int)Math.min(ringSizeRequested,
            Integer.MAX_VALUE);
        if (!DescriptorRing.isValidSize(ringSize))
        {
            throw new RequestException(ErrorCode.INVALID_ARGUMENT, "ring size " + ringSizeRequested + " must be " +
                DescriptorRing.sizeRule() + " (0 = " + ctx.defaultRingSize() + ")");
        }
        final int slotCount = slotCountRequested == 0 ? Math.max(ctx.defaultSlotCount(), 2 * ringSize) :
            (int)Math.min(slotCountRequested, Integer.MAX_VALUE);
        if (slotCount < ringSize || slotCount > QueueChannelLayout.MAX_SLOT_COUNT || Integer.bitCount(slotCount) != 1)
        {
            throw new RequestException(ErrorCode.INVALID_ARGUMENT, "slot count " + slotCountRequested +
                " must be a power of two from the ring size (" + ringSize + ") to " +
                QueueChannelLayout.MAX_SLOT_COUNT + " (0 = default)");
        }
        if (requestedMode == null || requestedMode == QueueMode.NULL_VAL)
        {
            throw new RequestException(ErrorCode.INVALID_ARGUMENT, "unknown queue mode");
        }

        QueueEntry entry = null;
        for (int q = FIRST_CLIENT_QUEUE; q < QUEUE_COUNT; q++)
        {
            if (queues[q].state == QueueEntry.State.FREE)
            {
                entry = queues[q];
                break;
            }
        }
        if (entry == null)
        {
            throw new RequestException(ErrorCode.NO_QUEUE, "all " + (QUEUE_COUNT - FIRST_CLIENT_QUEUE) +
                " client queues are in use" + (stopping() > 0 ? " (" + stopping() + " being released)" : ""));
        }

        final QueueMode mode = ctx.queueDriverMode().resolve(requestedMode);
        try
        {
            createChannel(entry, client.clientId(), mode, ringSize, slotCount);
        }
        catch (final RuntimeException ex)
        {
            throw new RequestException(ErrorCode.INTERNAL_ERROR, "cannot create the channel of queue " + entry.id +
                ": " + ex.getMessage());
        }

        try
        {
            switch (mode)
            {
                case PROCESS ->
                {
                    entry.driver = launcher.startProcess(entry);
                    entry.driverPid = entry.driver.pid();
                }
                case THREAD -> entry.driver = launcher.startThread(entry);
                default -> entry.driverPid = client.pid();
            }
        }
        catch (final RuntimeException ex)
        {
            final String message = "queue driver of queue " + entry.id + " did not start: " + ex.getMessage();
            revoke(entry, ErrorCode.QUEUE_DRIVER_FAILED, message, false);
            throw new RequestException(ErrorCode.QUEUE_DRIVER_FAILED, message);
        }
        log.info("queue " + entry.id + " granted to " + client.describe() + ": " + mode + ", ring " + ringSize +
            ", " + slotCount + " slots" + (entry.driver != null ? ", driver " + entry.driver.describe() : ""));
        return entry;
    }

    /**
     * A queue driver registers its rings (AttachQueueDriver, or a direct call for threads): the rings are programmed,
     * the queue enabled and given a statistics set.
     *
     * @param requester the client sending the request, or null for a queue driver process that is not a client
     * @throws RequestException NO_SUCH_QUEUE, NOT_OWNER, INVALID_ARGUMENT or QUEUE_DRIVER_FAILED
     */
    void attach(
        final ClientSession requester,
        final int queueId,
        final long pid,
        final long token,
        final int ringSize,
        final long rxRingIova,
        final long txRingIova,
        final long txHeadWritebackIova,
        final boolean direct)
    {
        if (queueId < 0 || queueId >= QUEUE_COUNT)
        {
            throw new RequestException(ErrorCode.NO_SUCH_QUEUE, "queue " + queueId + " does not exist");
        }
        final QueueEntry entry = queues[queueId];
        if (entry.state == QueueEntry.State.FREE || entry.state == QueueEntry.State.STOPPING)
        {
            throw new RequestException(ErrorCode.NO_SUCH_QUEUE, "queue " + queueId + " is not granted");
        }
        if (!direct)
        {
            checkAttacher(entry, requester, pid, token);
        }
        if (entry.state == QueueEntry.State.ACTIVE)
        {
            throw new RequestException(ErrorCode.INVALID_ARGUMENT, "queue " + queueId +
                " already has a queue driver attached (pid " + entry.driverPid + ")");
        }
        QueueProgrammer.validate(ringSize, rxRingIova, txRingIova, txHeadWritebackIova);

        try
        {
            programmer.enable(queueId, ringSize, rxRingIova, txRingIova, txHeadWritebackIova);
        }
        catch (final DeviceTimeoutException ex)
        {
            final String message = "queue " + queueId + " could not be enabled: " + ex.getMessage();
            if (queueId != 0)
            {
                revoke(entry, ErrorCode.QUEUE_DRIVER_FAILED, message, !direct);
            }
            throw new RequestException(ErrorCode.QUEUE_DRIVER_FAILED, message);
        }
        entry.hardwareEnabled = true;
        entry.ringSize = ringSize;
        entry.driverPid = pid;
        entry.driverDetached = false;
        entry.statsSet = programmer.mapStatsSet(queueId);
        if (entry.statsSet != QueueProgrammer.NO_STATS_SET)
        {
            entry.counters = counters.newQueueCounters(queueId, entry.statsSet);
        }
        entry.state = QueueEntry.State.ACTIVE;
        log.info("queue " + queueId + " attached: driver pid " + pid + ", ring " + ringSize + String.format(
            ", RX ring 0x%X, TX ring 0x%X", rxRingIova, txRingIova) + (txHeadWritebackIova != 0 ?
            String.format(", head write-back 0x%X", txHeadWritebackIova) : "") + ", " +
            (entry.statsSet == QueueProgrammer.NO_STATS_SET ? "no statistics set free (counts in set 0)" :
            "statistics set " + entry.statsSet));
    }

    /**
     * A queue driver is about to free its rings (DetachQueueDriver): the queue is disabled in the card, so that the
     * device can no longer read or write them. The queue stays granted to its client until released (its channel is
     * closed: the owner releases it); a queue driver process that detached and then exits is not counted as a failure.
     *
     * @param requester the client sending the request, or null for a queue driver process that is not a client
     * @throws RequestException NO_SUCH_QUEUE when no queue driver is attached, NOT_OWNER for anyone but its driver
     */
    void detach(final ClientSession requester, final int queueId, final long pid, final long token)
    {
        if (queueId < 0 || queueId >= QUEUE_COUNT)
        {
            throw new RequestException(ErrorCode.NO_SUCH_QUEUE, "queue " + queueId + " does not exist");
        }
        final QueueEntry entry = queues[queueId];
        if (entry.state != QueueEntry.State.ACTIVE)
        {
            throw new RequestException(ErrorCode.NO_SUCH_QUEUE, "queue " + queueId + " has no queue driver attached");
        }
        checkAttacher(entry, requester, pid, token);
        disableHardware(entry);
        entry.state = QueueEntry.State.GRANTED;
        entry.driverDetached = true;
        log.info("queue " + queueId + " detached by its queue driver (pid " + pid + "): disabled in the card");
    }

    /**
     * Releases a client's queue on its request.
     *
     * @throws RequestException NO_SUCH_QUEUE or NOT_OWNER
     */
    void release(final ClientSession client, final int queueId)
    {
        final QueueEntry entry = ownedEntry(client, queueId);
        log.info("queue " + queueId + " released by " + client.describe());
        revoke(entry, ErrorCode.NULL_VAL, "released", false);
    }

    /**
     * The queue of a client, checked.
     *
     * @throws RequestException NO_SUCH_QUEUE or NOT_OWNER
     */
    QueueEntry ownedEntry(final ClientSession client, final int queueId)
    {
        if (queueId < 0 || queueId >= QUEUE_COUNT)
        {
            throw new RequestException(ErrorCode.NO_SUCH_QUEUE, "queue " + queueId + " does not exist");
        }
        final QueueEntry entry = queues[queueId];
        if (entry.state == QueueEntry.State.FREE || entry.state == QueueEntry.State.STOPPING)
        {
            throw new RequestException(ErrorCode.NO_SUCH_QUEUE, "queue " + queueId + " is not granted");
        }
        if (entry.ownerClientId != client.clientId())
        {
            throw new RequestException(ErrorCode.NOT_OWNER, "queue " + queueId + " belongs to " +
                (queueId == 0 ? "the card driver (the default queue)" : "another client"));
        }
        return entry;
    }

    /** Takes every queue of a client away (it disconnected, died or timed out). */
    void revokeAllOf(final ClientSession client, final ErrorCode reason, final String message, final boolean notify)
    {
        for (int q = FIRST_CLIENT_QUEUE; q < QUEUE_COUNT; q++)
        {
            final QueueEntry entry = queues[q];
            if (entry.isOwnedBy(client.clientId()))
            {
                revoke(entry, reason, message, notify);
            }
        }
    }

    /**
     * Takes a queue away: filters removed, channel REVOKED, hardware disabled, counters final, client told (if asked
     * to), queue driver stopped. A queue driver process still running gets SIGTERM and the queue stays STOPPING until
     * it has exited; otherwise the queue is free on return.
     */
    void revoke(final QueueEntry entry, final ErrorCode reason, final String message, final boolean notify)
    {
        if (entry.state == QueueEntry.State.FREE || entry.state == QueueEntry.State.STOPPING)
        {
            return;
        }
        entry.revoking = true;
        final int removed = filters.removeQueue(entry.id);
        disableHardware(entry);
        if (entry.channel != null)
        {
            entry.channel.header().state(QueueChannelHeader.STATE_REVOKED);
        }
        if (notify && entry.ownerClientId != QueueEntry.CARD_DRIVER_OWNER)
        {
            publisher.queueRevoked(entry.ownerClientId, entry.id, reason, message);
        }
        if (reason != ErrorCode.NULL_VAL)
        {
            log.info("queue " + entry.id + " revoked (" + reason + "): " + message +
                (removed > 0 ? "; " + removed + " filters removed" : ""));
        }

        final QueueDriverHandle driver = entry.driver;
        if (driver != null)
        {
            driver.stop();
            if (driver.isAlive())
            {
                entry.state = QueueEntry.State.STOPPING;
                entry.deadlineNs = System.nanoTime() + ctx.queueDriverStopTimeoutNs();
                return;
            }
        }
        finish(entry);
    }

    /**
     * Disables the queue in the card (once): after this the device no longer reads or writes the rings or the pool.
     * Queue driver threads call it through the direct attacher's detach before they free their rings.
     */
    void disableHardware(final QueueEntry entry)
    {
        if (!entry.hardwareEnabled && entry.state != QueueEntry.State.ACTIVE)
        {
            return;
        }
        if (cardFailed)
        {
            entry.hardwareEnabled = false;
            return;
        }
        final String failure = programmer.disable(entry.id);
        entry.hardwareEnabled = false;
        if (failure != null)
        {
            log.info("queue " + entry.id + ": " + failure);
        }
        if (entry.statsSet != QueueProgrammer.NO_STATS_SET)
        {
            sample(entry);
            programmer.unmapStatsSet(entry.id, entry.statsSet);
        }
    }

    /** A queue driver process exited (called on the conductor thread). */
    void onProcessExit(final QueueEntry entry, final QueueDriverHandle driver)
    {
        if (entry.driver != driver)
        {
            return;
        }
        if (entry.state == QueueEntry.State.STOPPING)
        {
            finish(entry);
        }
        else if (entry.state != QueueEntry.State.FREE)
        {
            if (!entry.driverDetached)
            {
                counters.queueDriverFailures.incrementRelease();
            }
            revoke(entry, ErrorCode.QUEUE_DRIVER_FAILED, "the queue driver of queue " + entry.id + " (" +
                driver.describe() + ") " + driver.exitDescription(), true);
        }
    }

    /** A queue driver thread stopped on its own (its agent terminated; called on the conductor thread). */
    void onThreadStopped(final QueueEntry entry, final QueueDriverHandle driver, final String reason)
    {
        if (entry.driver != driver || entry.state == QueueEntry.State.FREE)
        {
            return;
        }
        if (entry.id == 0)
        {
            log.info("the default queue's driver stopped: " + reason);
            disableHardware(entry);
            return;
        }
        counters.queueDriverFailures.incrementRelease();
        revoke(entry, ErrorCode.QUEUE_DRIVER_FAILED, "the queue driver thread of queue " + entry.id +
            " stopped: " + reason, true);
    }

    /** Deadlines: queue drivers that never attached, queue driver processes that ignore SIGTERM. */
    void checkDeadlines(final long nowNs)
    {
        for (int q = FIRST_CLIENT_QUEUE; q < QUEUE_COUNT; q++)
        {
            final QueueEntry entry = queues[q];
            if (entry.state == QueueEntry.State.GRANTED && entry.mode != QueueMode.INLINE && !entry.driverDetached &&
                nowNs - entry.deadlineNs > 0)
            {
                counters.queueDriverFailures.incrementRelease();
                revoke(entry, ErrorCode.QUEUE_DRIVER_FAILED, "the queue driver of queue " + entry.id +
                    " did not attach within " + Durations.format(ctx.queueDriverStartTimeoutNs()) +
                    (entry.driver != null ? " (" + entry.driver.describe() + ")" : ""), true);
            }
            else if (entry.state == QueueEntry.State.STOPPING && nowNs - entry.deadlineNs > 0)
            {
                log.info("queue " + entry.id + ": queue driver " + entry.driver.describe() + " did not exit within " +
                    Durations.format(ctx.queueDriverStopTimeoutNs()) + " of SIGTERM; killing it");
                entry.driver.kill();
                entry.deadlineNs = nowNs + ctx.queueDriverStopTimeoutNs();
            }
        }
    }

    /** Reads every active queue's statistics set into its counters (the registers clear on read). */
    void sampleAll()
    {
        for (final QueueEntry entry : queues)
        {
            if (entry.state == QueueEntry.State.ACTIVE && entry.counters != null)
            {
                sample(entry);
            }
        }
    }

    /** Totals of a client's queues for Stats: rx packets, rx bytes, rx drops, tx packets, tx bytes. */
    void totalsOf(final long clientId, final long[] totals)
    {
        Arrays.fill(totals, 0);
        for (int q = FIRST_CLIENT_QUEUE; q < QUEUE_COUNT; q++)
        {
            final QueueEntry entry = queues[q];
            if (entry.isOwnedBy(clientId) && entry.counters != null)
            {
                totals[0] += entry.counters.rxPackets.get();
                totals[1] += entry.counters.rxBytes.get();
                totals[2] += entry.counters.rxDrops.get();
                totals[3] += entry.counters.txPackets.get();
                totals[4] += entry.counters.txBytes.get();
            }
        }
    }

    /** Stops everything at shutdown: every client queue revoked (clients told), then queue 0. */
    /**
     * The card has failed: every client queue taken away, their clients told. The card is not asked to disable
     * anything (it would not answer: each wait would only delay the news by its timeout).
     */
    void cardFailed(final ErrorCode reason, final String message)
    {
        cardFailed = true;
        for (int q = FIRST_CLIENT_QUEUE; q < QUEUE_COUNT; q++)
        {
            revoke(queues[q], reason, message, true);
        }
    }

    /** A random, non-zero attach token: unguessable, so only a reader of the channel file knows it. */
    private static long newAttachToken()
    {
        long token;
        do
        {
            token = TOKENS.nextLong();
        }
        while (token == 0);
        return token;
    }

    void shutdown()
    {
        for (int q = FIRST_CLIENT_QUEUE; q < QUEUE_COUNT; q++)
        {
            revoke(queues[q], ErrorCode.SHUTTING_DOWN, "the card driver is stopping", true);
        }
        final long deadline = System.nanoTime() + ctx.queueDriverStopTimeoutNs();
        for (int q = FIRST_CLIENT_QUEUE; q < QUEUE_COUNT; q++)
        {
            final QueueEntry entry = queues[q];
            if (entry.state == QueueEntry.State.STOPPING)
            {
                awaitExit(entry, deadline);
                finish(entry);
            }
        }
        final QueueEntry defaultQueue = queues[0];
        if (defaultQueue.state != QueueEntry.State.FREE)
        {
            revoke(defaultQueue, ErrorCode.SHUTTING_DOWN, "the card driver is stopping", false);
        }
    }

    private void awaitExit(final QueueEntry entry, final long deadlineNs)
    {
        final ProcessHandle process = ProcessHandle.of(entry.driverPid).orElse(null);
        if (process == null)
        {
            return;
        }
        try
        {
            process.onExit().get(Math.max(1, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        catch (final Exception ex)
        {
            log.info("queue " + entry.id + ": queue driver pid " + entry.driverPid + " did not exit; killing it");
            entry.driver.kill();
            try
            {
                process.onExit().get(1, TimeUnit.SECONDS);
            }
            catch (final Exception ignore)
            {
                // SIGKILL cannot be refused; the table entry goes anyway.
            }
        }
    }

    /**
     * Who may attach or detach a queue's driver: the one that can read its channel (the attach token, from the
     * owner-only channel file) and, for an INLINE queue, only its owner over the owner's own session; for a PROCESS
     * queue only the process the card driver spawned; a THREAD queue never over the protocol.
     */
    private void checkAttacher(final QueueEntry entry, final ClientSession requester, final long pid, final long token)
    {
        if (token != entry.attachToken)
        {
            throw new RequestException(ErrorCode.NOT_OWNER, "queue " + entry.id + ": wrong attach token (only a " +
                "process that can read the queue's channel may attach or detach its driver)");
        }
        switch (entry.mode)
        {
            case INLINE ->
            {
                if (requester == null || requester.clientId() != entry.ownerClientId)
                {
                    throw new RequestException(ErrorCode.NOT_OWNER, "queue " + entry.id +
                        " is an INLINE queue of another client: only its owner may attach it");
                }
            }
            case PROCESS ->
            {
                if (pid != entry.driverPid)
                {
                    throw new RequestException(ErrorCode.NOT_OWNER, "queue " + entry.id + " is served by queue " +
                        "driver pid " + entry.driverPid + ", not pid " + pid);
                }
            }
            default -> throw new RequestException(ErrorCode.NOT_OWNER, "queue " + entry.id +
                " is served by a queue driver thread of the card driver");
        }
    }

    private void createChannel(final QueueEntry entry, final long owner, final QueueMode mode, final int ringSize,
        final int slotCount)
    {
        final Path file = paths.queueChannel(entry.id);
        final QueueChannelLayout layout = QueueChannelLayout.of(slotCount);
        final Arena arena = Arena.ofShared();
        try
        {
            Files.createDirectories(file.getParent());
            Files.deleteIfExists(file);
            final MemorySegment memory = nic.dma().createFile(file, layout.fileLength(), arena);
            entry.channel = QueueChannel.format(memory, arena, entry.id, slotCount, file.toString());
            entry.attachToken = newAttachToken();
            entry.channel.header().attachToken(entry.attachToken);
        }
        catch (final IOException | RuntimeException ex)
        {
            arena.close();
            throw new IllegalStateException("cannot create queue channel " + file + ": " + ex.getMessage(), ex);
        }
        entry.channelFile = file;
        entry.ownerClientId = owner;
        entry.mode = mode;
        entry.ringSize = ringSize;
        entry.slotCount = slotCount;
        entry.state = QueueEntry.State.GRANTED;
        entry.driverDetached = false;
        entry.deadlineNs = System.nanoTime() + ctx.queueDriverStartTimeoutNs();
    }

    /** The queue is free again: DMA of a dead driver unregistered, counters freed, channel deleted. */
    private void finish(final QueueEntry entry)
    {
        if (entry.driverPid != 0 && entry.driverPid != ProcessHandle.current().pid())
        {
            final int released = nic.dma().releaseMappingsOf(entry.driverPid);
            if (released > 0)
            {
                log.info("queue " + entry.id + ": released " + released + " DMA mappings of dead pid " +
                    entry.driverPid);
            }
        }
        CloseHelper.quietClose(entry.counters);
        CloseHelper.quietClose(entry.channel);
        if (entry.channelFile != null)
        {
            try
            {
                Files.deleteIfExists(entry.channelFile);
            }
            catch (final IOException ex)
            {
                log.info("cannot delete " + entry.channelFile + ": " + ex.getMessage());
            }
        }
        entry.reset();
    }

    private void sample(final QueueEntry entry)
    {
        final int set = entry.statsSet;
        final CardCounters.QueueCounters c = entry.counters;
        final long rxPackets = QueueCounter.QPRC.read(bar, set);            // 8.2.3.23, clear on read
        final long rxBytes = QueueCounter.QBRC.read(bar, set);
        final long rxDrops = QueueCounter.QPRDC.read(bar, set);
        final long txPackets = QueueCounter.QPTC.read(bar, set);
        final long txBytes = QueueCounter.QBTC.read(bar, set);
        if (c != null)
        {
            c.rxPackets.getAndAddRelease(rxPackets);
            c.rxBytes.getAndAddRelease(rxBytes);
            c.rxDrops.getAndAddRelease(rxDrops);
            c.txPackets.getAndAddRelease(txPackets);
            c.txBytes.getAndAddRelease(txBytes);
        }
    }

    private int stopping()
    {
        int stopping = 0;
        for (final QueueEntry entry : queues)
        {
            stopping += entry.state == QueueEntry.State.STOPPING ? 1 : 0;
        }
        return stopping;
    }
}
