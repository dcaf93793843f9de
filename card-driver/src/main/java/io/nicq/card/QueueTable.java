package io.nicq.card;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;

import io.nicq.ixgbe.DescriptorRing;
import io.nicq.ixgbe.DeviceTimeoutException;
import io.nicq.ixgbe.Nic;
import io.nicq.proto.InstancePaths;
import io.nicq.proto.channel.ForwardRing;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.proto.channel.QueueChannelLayout;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.QueueMode;
import io.nicq.proto.sbe.RequestedService;
import io.nicq.queue.QueueAttacher;
import org.agrona.CloseHelper;

import static io.nicq.ixgbe.Registers.QUEUE_COUNT;

/**
 * The queue table, one part of the queue lifecycle beside the queue-driver supervisor and statistics sampling: a
 * {@link QueueEntry} per hardware queue pair and its state machine (free, granted, attached, revoked), with what each
 * transition does to the card and the files. Queue 0 is the card driver's default queue; 1..127 are granted to
 * clients, each with its queue channel file.
 * <ul>
 *   <li>grant: the lowest free queue, its channel created with a fresh attach token;</li>
 *   <li>attach: the rings a queue driver registered are programmed and the queue enabled ({@link QueueProgrammer});
 *       detach is the reverse;</li>
 *   <li>revoke: filters removed, the queue disabled (the device no longer touches the rings or the pool), the channel
 *       marked REVOKED, the client told;</li>
 *   <li>free: once its queue driver has gone, DMA mappings of a dead driver released, the channel file deleted.</li>
 * </ul>
 * It neither starts nor stops queue drivers: the conductor does, with the supervisor, and tells the table what they
 * did ({@link #driverStarted}, {@link #disableHardware}, {@link #driverGone}). It tells the statistics sampler when a
 * queue is attached, disabled and freed. Conductor thread only.
 */
final class QueueTable
{
    private static final SecureRandom TOKENS = new SecureRandom();

    /** First queue granted to clients: queue 0 is the default queue. */
    static final int FIRST_CLIENT_QUEUE = 1;

    private final CardDriver.Context ctx;
    private final CardLog log;
    private final Nic nic;
    private final InstancePaths paths;
    private final QueueProgrammer programmer;
    private final FilterManager filters;
    private final StatisticsSampler statistics;
    private final ResponsePublisher publisher;
    private final QueueEntry[] queues = new QueueEntry[QUEUE_COUNT];
    private final QueueAttacher directAttacher = new DirectAttacher();
    private boolean cardFailed;

    QueueTable(
        final CardDriver.Context ctx,
        final CardLog log,
        final Nic nic,
        final FilterManager filters,
        final StatisticsSampler statistics,
        final ResponsePublisher publisher)
    {
        this.ctx = ctx;
        this.log = log;
        this.nic = nic;
        this.paths = ctx.paths();
        this.programmer = new QueueProgrammer(nic.bar(), ctx.queueEnableTimeoutNs());
        this.filters = filters;
        this.statistics = statistics;
        this.publisher = publisher;
        for (int q = 0; q < QUEUE_COUNT; q++)
        {
            queues[q] = new QueueEntry(q);
        }
    }

    QueueEntry entry(final int queueId)
    {
        return queues[queueId];
    }

    /**
     * The software-forward ring of a granted or attached queue's channel (where the default queue puts frames its
     * software filters matched), or null when the queue has no live channel.
     */
    ForwardRing forwardRing(final int queueId)
    {
        if (queueId < FIRST_CLIENT_QUEUE || queueId >= QUEUE_COUNT)
        {
            return null;
        }
        final QueueEntry entry = queues[queueId];
        final QueueEntry.State state = entry.state();
        final QueueChannel channel = entry.channel();
        return (state == QueueEntry.State.GRANTED || state == QueueEntry.State.ATTACHED) && channel != null &&
            !channel.isClosed() ? channel.forwardRing() : null;
    }

    /** Client queues that can be granted now. */
    int free()
    {
        int free = 0;
        for (int q = FIRST_CLIENT_QUEUE; q < QUEUE_COUNT; q++)
        {
            free += queues[q].state() == QueueEntry.State.FREE ? 1 : 0;
        }
        return free;
    }

    /** Queues not free, queue 0 included. */
    int inUse()
    {
        int inUse = 0;
        for (final QueueEntry entry : queues)
        {
            inUse += entry.state() != QueueEntry.State.FREE ? 1 : 0;
        }
        return inUse;
    }

    /**
     * How a queue driver thread of this process attaches: a plain call, no protocol. The supervisor calls it only on
     * the thread that starts the driver, which is the conductor thread (or, for queue 0, the thread that starts the
     * card driver before the conductor runs).
     */
    QueueAttacher directAttacher()
    {
        return directAttacher;
    }

    /** Queue 0, granted to the card driver itself for its default-queue service; its driver is started next. */
    QueueEntry grantDefaultQueue(final int ringSize, final int slotCount)
    {
        final QueueEntry entry = queues[0];
        createChannel(entry, QueueEntry.CARD_DRIVER_OWNER, QueueMode.THREAD, ringSize, slotCount);
        return entry;
    }

    /**
     * Grants the lowest free queue to a client: its channel exists on return. PROCESS and THREAD requests become the
     * configured mode; the conductor then starts its queue driver (an INLINE queue's client attaches itself).
     *
     * @throws RequestException INVALID_ARGUMENT, NO_QUEUE or INTERNAL_ERROR
     */
    QueueEntry grant(final ClientSession client, final long ringSizeRequested, final long slotCountRequested,
        final RequestedService requested)
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
        if (requested == null || requested == RequestedService.NULL_VAL)
        {
            throw new RequestException(ErrorCode.INVALID_ARGUMENT, "unknown requested service (SERVED or INLINE)");
        }

        QueueEntry entry = null;
        for (int q = FIRST_CLIENT_QUEUE; q < QUEUE_COUNT; q++)
        {
            if (queues[q].state() == QueueEntry.State.FREE)
            {
                entry = queues[q];
                break;
            }
        }
        if (entry == null)
        {
            final int revoked = revoked();
            throw new RequestException(ErrorCode.NO_QUEUE, "all " + (QUEUE_COUNT - FIRST_CLIENT_QUEUE) +
                " client queues are in use" + (revoked > 0 ? " (" + revoked + " being released)" : ""));
        }

        final QueueMode mode = ctx.queueDriverMode().resolve(requested);
        try
        {
            createChannel(entry, client.clientId(), mode, ringSize, slotCount);
        }
        catch (final RuntimeException ex)
        {
            throw new RequestException(ErrorCode.INTERNAL_ERROR, "cannot create the channel of queue " + entry.id() +
                ": " + ex.getMessage());
        }
        return entry;
    }

    /** The conductor started the queue's driver ({@link QueueEntry#NO_DRIVER} and the client's pid for INLINE). */
    void driverStarted(final QueueEntry entry, final long driverId, final long pid)
    {
        entry.driverStarted(driverId, pid);
    }

    /**
     * A queue driver registers its rings (AttachQueueDriver, or a direct call for threads): the rings are programmed,
     * the queue enabled and given a statistics set.
     *
     * @param requester the client sending the request, or null for a queue driver process that is not a client
     * @throws RequestException NO_SUCH_QUEUE, NOT_OWNER, INVALID_ARGUMENT, or QUEUE_DRIVER_FAILED when the queue did
     *                          not start (it is left disabled, still granted: the caller revokes it)
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
        final QueueEntry entry = heldEntry(queueId);
        if (!direct)
        {
            checkAttacher(entry, requester, pid, token);
        }
        if (entry.state() == QueueEntry.State.ATTACHED)
        {
            throw new RequestException(ErrorCode.INVALID_ARGUMENT, "queue " + queueId +
                " already has a queue driver attached (pid " + entry.driverPid() + ")");
        }
        QueueProgrammer.validate(ringSize, rxRingIova, txRingIova, txHeadWritebackIova);

        try
        {
            programmer.enable(queueId, ringSize, rxRingIova, txRingIova, txHeadWritebackIova);
        }
        catch (final DeviceTimeoutException ex)
        {
            final String failure = programmer.disable(queueId);
            throw new RequestException(ErrorCode.QUEUE_DRIVER_FAILED, "queue " + queueId + " could not be enabled: " +
                ex.getMessage() + (failure != null ? "; " + failure : ""));
        }
        entry.attach(ringSize, pid);
        final int set = statistics.queueAttached(queueId, entry.channel().header());
        log.info("queue " + queueId + " attached: driver pid " + pid + ", ring " + ringSize + String.format(
            ", RX ring 0x%X, TX ring 0x%X", rxRingIova, txRingIova) + (txHeadWritebackIova != 0 ?
            String.format(", head write-back 0x%X", txHeadWritebackIova) : "") + ", " +
            (set == StatisticsSampler.NO_SET ? "no statistics set free (counts in set 0)" : "statistics set " + set));
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
        if (entry.state() != QueueEntry.State.ATTACHED)
        {
            throw new RequestException(ErrorCode.NO_SUCH_QUEUE, "queue " + queueId + " has no queue driver attached");
        }
        checkAttacher(entry, requester, pid, token);
        disableHardware(entry);
        entry.detach();
        log.info("queue " + queueId + " detached by its queue driver (pid " + pid + "): disabled in the card");
    }

    /**
     * The queue of a client, checked.
     *
     * @throws RequestException NO_SUCH_QUEUE or NOT_OWNER
     */
    QueueEntry ownedEntry(final ClientSession client, final int queueId)
    {
        final QueueEntry entry = heldEntry(queueId);
        if (entry.ownerClientId() != client.clientId())
        {
            throw new RequestException(ErrorCode.NOT_OWNER, "queue " + queueId + " belongs to " +
                (queueId == 0 ? "the card driver (the default queue)" : "another client"));
        }
        return entry;
    }

    /**
     * Takes a queue away: filters removed, the queue disabled in the card, the channel REVOKED (its queue driver
     * stops when it sees that), the client told if asked to. The queue is then REVOKED until {@link #free}: the
     * caller stops its queue driver, and frees it once the driver has gone.
     *
     * @return whether it was revoked now (false when it was not held: free or revoked already)
     */
    boolean revoke(final QueueEntry entry, final RevokeReason reason, final String message, final boolean notify)
    {
        if (!entry.isHeld())
        {
            return false;
        }
        final int removed = filters.removeQueue(entry.id());
        disableHardware(entry);
        entry.channel().header().state(QueueChannelHeader.STATE_REVOKED);
        if (notify && reason.isTold() && entry.ownerClientId() != QueueEntry.CARD_DRIVER_OWNER)
        {
            publisher.queueRevoked(entry.ownerClientId(), entry.id(), reason.code(), message);
        }
        if (reason != RevokeReason.RELEASED)
        {
            log.info("queue " + entry.id() + " revoked (" + reason + "): " + message +
                (removed > 0 ? "; " + removed + " filters removed" : ""));
        }
        entry.revoke(System.nanoTime() + ctx.queueDriverStopTimeoutNs());
        return true;
    }

    /**
     * Disables the queue in the card (once): after this the device no longer reads or writes the rings or the pool,
     * so a queue driver may free them. Its statistics set is read a last time and given back.
     */
    void disableHardware(final QueueEntry entry)
    {
        if (!entry.isHardwareEnabled())
        {
            return;
        }
        if (cardFailed)
        {
            entry.hardwareDisabled();
            return;
        }
        final String failure = programmer.disable(entry.id());
        entry.hardwareDisabled();
        if (failure != null)
        {
            log.info("queue " + entry.id() + ": " + failure);
        }
        statistics.queueDisabled(entry.id());
    }

    /** A queue's driver has gone and the queue stays its owner's (queue 0): disabled, no driver, granted again. */
    void driverGone(final QueueEntry entry)
    {
        disableHardware(entry);
        entry.driverGone();
    }

    /**
     * The card has failed: nothing is asked of it any more (it would not answer: each wait would only delay the news
     * by its timeout); queues are revoked without disabling.
     */
    void cardFailed()
    {
        cardFailed = true;
    }

    /** The queue is free again: DMA mappings of a dead queue driver released, counters and channel closed. */
    void free(final QueueEntry entry)
    {
        if (entry.state() == QueueEntry.State.FREE)
        {
            return;
        }
        final long driverPid = entry.driverPid();
        if (driverPid != 0 && driverPid != ProcessHandle.current().pid())
        {
            final int released = nic.dma().releaseMappingsOf(driverPid);
            if (released > 0)
            {
                log.info("queue " + entry.id() + ": released " + released + " DMA mappings of dead pid " + driverPid);
            }
        }
        statistics.queueFreed(entry.id());
        CloseHelper.quietClose(entry.channel());
        final Path channelFile = entry.channelFile();
        if (channelFile != null)
        {
            try
            {
                Files.deleteIfExists(channelFile);
            }
            catch (final IOException ex)
            {
                log.info("cannot delete " + channelFile + ": " + ex.getMessage());
            }
        }
        entry.free();
    }

    /** A granted or attached queue, checked. */
    private QueueEntry heldEntry(final int queueId)
    {
        if (queueId < 0 || queueId >= QUEUE_COUNT)
        {
            throw new RequestException(ErrorCode.NO_SUCH_QUEUE, "queue " + queueId + " does not exist");
        }
        final QueueEntry entry = queues[queueId];
        if (!entry.isHeld())
        {
            throw new RequestException(ErrorCode.NO_SUCH_QUEUE, "queue " + queueId + " is not granted");
        }
        return entry;
    }

    /**
     * Who may attach or detach a queue's driver: the one that can read its channel (the attach token, from the
     * owner-only channel file) and, for an INLINE queue, only its owner over the owner's own session; for a PROCESS
     * queue only the process the card driver spawned; a THREAD queue never over the protocol.
     */
    private static void checkAttacher(final QueueEntry entry, final ClientSession requester, final long pid,
        final long token)
    {
        if (token != entry.attachToken())
        {
            throw new RequestException(ErrorCode.NOT_OWNER, "queue " + entry.id() + ": wrong attach token (only a " +
                "process that can read the queue's channel may attach or detach its driver)");
        }
        switch (entry.mode())
        {
            case INLINE ->
            {
                if (requester == null || requester.clientId() != entry.ownerClientId())
                {
                    throw new RequestException(ErrorCode.NOT_OWNER, "queue " + entry.id() +
                        " is an INLINE queue of another client: only its owner may attach it");
                }
            }
            case PROCESS ->
            {
                if (pid != entry.driverPid())
                {
                    throw new RequestException(ErrorCode.NOT_OWNER, "queue " + entry.id() + " is served by queue " +
                        "driver pid " + entry.driverPid() + ", not pid " + pid);
                }
            }
            default -> throw new RequestException(ErrorCode.NOT_OWNER, "queue " + entry.id() +
                " is served by a queue driver thread of the card driver");
        }
    }

    private void createChannel(final QueueEntry entry, final long owner, final QueueMode mode, final int ringSize,
        final int slotCount)
    {
        final Path file = paths.queueChannel(entry.id(), nic.dma().dmaFileRoot()); // hugetlbfs for a real card
        final QueueChannelLayout layout = QueueChannelLayout.of(slotCount);
        final Arena arena = Arena.ofShared();
        final QueueChannel channel;
        final long token = newAttachToken();
        try
        {
            Files.createDirectories(file.getParent());
            Files.deleteIfExists(file);
            final MemorySegment memory = nic.dma().createFile(file, layout.fileLength(), arena);
            channel = QueueChannel.format(memory, arena, entry.id(), slotCount, file.toString());
            channel.header().attachToken(token);
        }
        catch (final IOException | RuntimeException ex)
        {
            arena.close();
            throw new IllegalStateException("cannot create queue channel " + file + ": " + ex.getMessage(), ex);
        }
        entry.grant(owner, mode, ringSize, slotCount, file, channel, token,
            System.nanoTime() + ctx.queueDriverStartTimeoutNs());
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

    private int revoked()
    {
        int revoked = 0;
        for (final QueueEntry entry : queues)
        {
            revoked += entry.state() == QueueEntry.State.REVOKED ? 1 : 0;
        }
        return revoked;
    }

    /** Attaches and detaches queue driver threads of this process on the calling (conductor) thread. */
    private final class DirectAttacher implements QueueAttacher
    {
        public void attach(final int queueId, final long pid, final long token, final int ringSize,
            final long rxRingIova, final long txRingIova, final long txHeadWritebackIova)
        {
            QueueTable.this.attach(null, queueId, pid, token, ringSize, rxRingIova, txRingIova, txHeadWritebackIova,
                true);
        }

        public void detach(final int queueId)
        {
            disableHardware(queues[queueId]);
        }
    }
}
