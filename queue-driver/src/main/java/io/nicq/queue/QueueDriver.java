package io.nicq.queue;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.DescriptorRing;
import io.nicq.ixgbe.DmaAllocator;
import io.nicq.ixgbe.DmaBuffer;
import io.nicq.ixgbe.DmaMapping;
import io.nicq.ixgbe.Nic;
import io.nicq.ixgbe.Registers;
import io.nicq.ixgbe.RxDescriptor;
import io.nicq.ixgbe.SimulatedBar;
import io.nicq.ixgbe.TxDescriptor;
import io.nicq.packet.EthernetHeader;
import io.nicq.packet.UdpHeader;
import io.nicq.runtime.IdleStrategies;
import io.nicq.proto.channel.ForwardRing;
import io.nicq.proto.channel.IndexRing;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.proto.channel.QueueChannelLayout;
import io.nicq.proto.channel.SlotMetadata;
import org.agrona.BitUtil;
import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.IdleStrategy;

import io.nicq.ixgbe.SimulatedNic;
import io.nicq.runtime.AdaptiveIdleStrategy;
import io.nicq.runtime.WakeWord;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static io.nicq.proto.channel.QueueChannelHeader.*;

/**
 * Services one hardware RX/TX queue pair for one application through its {@link QueueChannel}, zero copy: the device
 * DMAs received frames straight into the application's slots and sends straight from them.
 * <pre>
 *   doWork():
 *     receive   RX descriptors with DD from the next one to clean, up to a batch: slot -> rxReady
 *               (read-only ring: the client's consumer position, validated; new DD noticed to wake the client)
 *     refill    empty slots (the driver's spares, then rxFree) -> RX descriptors, one RDT write
 *     reclaim   TX descriptors done (DD, or the head write-back word): slot -> txDone
 *     transmit  txReady -> TX descriptors (address, length, EOP|IFCS|RS), up to a batch, one TDT write
 *     liveness  now and then: heartbeat, state REVOKED, client and card driver still there
 * </pre>
 * The driver keeps its own table of who holds each slot (itself, the RX ring, the TX ring, the client) and believes
 * nothing the client writes: every index from rxFree and txReady is checked against it (out of range, or not the
 * client's to give: rejected and counted in the channel header), a TX length is read once and must lie in
 * [{@link SlotMetadata#MIN_FRAME_LENGTH}, {@link QueueChannelLayout#SLOT_SIZE}] (otherwise the slot comes back on
 * txDone flagged, unsent). Device addresses come only from the IOVAs this driver computed for its own pool, so the
 * device is never pointed outside the pool nor given one buffer twice.
 * <p>
 * <b>Read-only RX ring</b> ({@link Context#readOnlyRxRing}, for a queue served by another thread or process): the
 * descriptor ring lives in a file ({@link RxRingFile}) with the slot each descriptor was given and the posted
 * position, all written by this driver alone; the client maps it read-only, sees DD itself and reads the frame from
 * its pool, and publishes how far it got in the channel header (its RX consumer position). Then receive() does not
 * run: each round the driver takes the client's position, forward only and never past a descriptor it does not read
 * as done itself (anything else is refused, counted in rejected-rx-consumer, and changes nothing), makes the slots of
 * the frames the client took the client's and takes the others back as spares ({@link RxDescriptor#isDeliverable},
 * the rule the client applied), counts, and refills as before. It signals the client's wake word when it sees a new
 * done descriptor, for a client asleep.
 * <p>
 * Phase timestamps ({@code System.nanoTime}, one reading per batch and phase) go into the slot metadata: RX driver
 * saw DD and published; TX dequeued and doorbell; on the simulated card also the device's own times (RX descriptor
 * written, taken from the RSS hash field; TX on the wire, from the write-back).
 * <p>
 * Runs as an Agrona {@link Agent} (on an {@code AgentRunner} in a queue driver process or a card-driver thread), or
 * inline: a trusted application's own thread calls {@link #doWork()}. Nothing is allocated after {@link #start}.
 * When the queue is revoked, the client leaves or the card driver goes away, {@link #doWork()} closes the driver and
 * throws {@link AgentTerminationException} saying why ({@link #exitReason()}). Not thread safe: one thread calls
 * {@link #doWork()}.
 */
public final class QueueDriver implements Agent, AutoCloseable
{
    /** Slot owners in the driver's private table. */
    private static final byte OWNER_DRIVER = 0;
    private static final byte OWNER_RX_RING = 1;
    private static final byte OWNER_TX_RING = 2;
    private static final byte OWNER_CLIENT = 3;

    /** While busy, liveness is checked every this many doWork calls (and on every idle one). */
    private static final int BUSY_CYCLES_PER_LIVENESS_CHECK = 256;
    /** Checksum results in a descriptor's error field: a delivered frame with one of them set is looked at. */
    private static final int CHECKSUM_ERRORS = RxDescriptor.ERROR_IPE | RxDescriptor.ERROR_TCPE;
    /** An 802.1Q tag between the source address and the ethertype. */
    private static final int VLAN_TAG_LENGTH = 4;

    private static final VarHandle HEAD_WRITEBACK =
        ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final Context ctx;
    private final Bar bar;
    private final int queueId;
    private final int ringSize;
    private final int ringMask;
    private final int batchSize;
    private final int slotCount;
    private final int rdt;
    private final int tdt;
    private final boolean headWriteback;
    private final boolean deviceTimestamps;

    private final QueueChannel channel;
    private final QueueChannelHeader header;
    private final IndexRing rxReady;
    private final IndexRing rxFree;
    private final IndexRing txReady;
    private final IndexRing txDone;
    private final SlotMetadata metadata;

    private final DmaMapping poolMapping;
    private final DmaBuffer rxRingBuffer;
    private final DmaBuffer txRingBuffer;
    private final DmaBuffer txHeadBuffer;
    /** The exposed ring's file, null unless the client reads the RX ring itself. */
    private final RxRingFile rxRingFile;
    private final MemorySegment rxRing;
    private final MemorySegment txRing;
    private final MemorySegment txHead;

    private final long[] slotIova;
    private final byte[] owner;
    private final int[] spare;
    private final int[] rxSlotOf;
    private final int[] txSlotOf;
    private final int[] txLengthOf;
    private final int[] rxBatch;
    private final int[] refillBatch;
    private final int[] txBatch;
    private final int[] txRejected;
    private final int[] reclaimed;
    private final long[] counters = new long[COUNTER_COUNT];

    private final WakeWord clientWake;
    private final Runnable onPublishedToClient;
    private boolean publishedToClient;
    private QueueDriverWakeSource wakeSource;
    private int spareCount;
    private int rxNext;
    private int rxTail;
    private int rxPosted;
    private boolean rxDiscarding;
    /** Whether the last receive() stopped at its batch limit rather than at a descriptor the device had not done. */
    private boolean rxBatchFull;
    private final ForwardRing forwardRing;
    private final AtomicBuffer pool;
    private final int[] forwardBatch;
    private boolean rxStarved;
    /** Read-only ring: descriptors the client has taken (its consumer position, as validated). */
    private long rxConsumed;
    /** Read-only ring: descriptors ever posted (rxConsumed + rxPosted). */
    private long rxPostedPosition;
    /** Read-only ring: done descriptors seen from rxConsumed on, so each new one wakes the client once. */
    private long rxDoneSeen;
    /** Read-only ring: the last consumer position refused, counted once however long the client leaves it. */
    private long rxRefusedPosition = -1;
    private int txNext;
    private int txTail;
    private int txInFlight;

    private final long startNs;
    private long lastLivenessCheckNs;
    private long lastHeartbeatNs;
    private int busyCycles;
    private long clientPid;
    private boolean clientSeen;
    private ProcessHandle clientProcess;
    private final ProcessHandle cardDriverProcess;
    private boolean attached;
    private boolean closed;
    private String exitReason;

    private QueueDriver(final Context ctx, final QueueChannel channel, final DmaMapping poolMapping,
        final DmaBuffer rxRingBuffer, final DmaBuffer txRingBuffer, final DmaBuffer txHeadBuffer)
    {
        this.ctx = ctx;
        this.bar = ctx.bar();
        this.queueId = ctx.queueId();
        this.ringSize = ctx.ringSize();
        this.ringMask = ringSize - 1;
        this.batchSize = ctx.batchSize();
        this.rdt = Registers.rdt(queueId);
        this.tdt = Registers.tdt(queueId);
        this.headWriteback = ctx.txWriteback() == TxWriteback.HEAD;
        this.deviceTimestamps = ctx.deviceTimestamps();

        this.channel = channel;
        this.header = channel.header();
        this.rxReady = channel.rxReady();
        this.rxFree = channel.rxFree();
        this.txReady = channel.txReady();
        this.txDone = channel.txDone();
        this.metadata = channel.metadata();
        this.forwardRing = channel.forwardRing();
        this.clientWake = channel.clientWake();
        this.onPublishedToClient = ctx.onPublishedToClient();
        this.pool = channel.pool();
        this.slotCount = channel.slotCount();

        this.poolMapping = poolMapping;
        this.rxRingBuffer = rxRingBuffer;
        this.txRingBuffer = txRingBuffer;
        this.txHeadBuffer = txHeadBuffer;
        this.rxRing = rxRingBuffer.segment();
        this.txRing = txRingBuffer.segment();
        this.txHead = txHeadBuffer == null ? null : txHeadBuffer.segment();
        this.rxRingFile = ctx.readOnlyRxRing() && rxRingBuffer.file() != null ?
            RxRingFile.format(rxRingBuffer.segment(), ringSize) : null;

        this.slotIova = new long[slotCount];
        for (int slot = 0; slot < slotCount; slot++)
        {
            slotIova[slot] = poolMapping.iova((long)slot * QueueChannelLayout.SLOT_SIZE);
        }
        this.owner = new byte[slotCount];
        this.spare = new int[slotCount];
        this.rxSlotOf = new int[ringSize];
        this.txSlotOf = new int[ringSize];
        this.txLengthOf = new int[ringSize];
        this.rxBatch = new int[batchSize];
        this.forwardBatch = new int[batchSize];
        this.refillBatch = new int[batchSize];
        this.txBatch = new int[batchSize];
        this.txRejected = new int[batchSize];
        this.reclaimed = new int[ringSize];

        this.startNs = System.nanoTime();
        this.lastLivenessCheckNs = startNs;
        this.lastHeartbeatNs = startNs;
        this.cardDriverProcess = ctx.cardDriverPid() == 0 ? null : ProcessHandle.of(ctx.cardDriverPid()).orElse(null);
    }

    /**
     * Starts a queue driver: maps the channel, registers its pool for DMA, allocates the descriptor rings, posts RX
     * buffers, attaches the rings through {@link Context#queueAttacher()}, writes RDT, hands the remaining slots to
     * the client on txDone and marks the channel ACTIVE.
     *
     * @throws IllegalStateException naming the step that failed; everything acquired so far is released
     */
    public static QueueDriver start(final Context ctx)
    {
        ctx.conclude();
        final DmaAllocator dma = ctx.dmaAllocator();
        final Path file = ctx.channelFile();
        final int queueId = ctx.queueId();

        String step = "mapping the channel";
        QueueChannel channel = null;
        DmaMapping poolMapping = null;
        DmaBuffer rxRing = null;
        DmaBuffer txRing = null;
        DmaBuffer txHead = null;
        QueueDriver driver = null;
        try
        {
            final Arena arena = Arena.ofShared();
            try
            {
                channel = QueueChannel.wrap(dma.mapFile(file, arena), arena, file.toString());
            }
            catch (final RuntimeException ex)
            {
                arena.close();
                throw ex;
            }
            checkChannel(channel, queueId);

            step = "registering the packet pool for DMA with " + dma.description();
            poolMapping = dma.map(channel.poolSegment(), file, channel.poolOffset());

            step = "allocating the descriptor rings with " + dma.description();
            final long ringBytes = (long)ctx.ringSize() * RxDescriptor.SIZE;
            // An exposed ring gets the file's trailer (posted position, slot table) behind it; the device is told
            // RDLEN = ring bytes and never reaches the trailer.
            rxRing = dma.allocate("q" + queueId + "-rx", ctx.readOnlyRxRing() ? RxRingFile.length(ctx.ringSize()) :
                ringBytes);
            txRing = dma.allocate("q" + queueId + "-tx", ringBytes);
            if (ctx.txWriteback() == TxWriteback.HEAD)
            {
                txHead = dma.allocate("q" + queueId + "-txhead", BitUtil.CACHE_LINE_LENGTH);
            }

            step = "posting the RX buffers";
            driver = new QueueDriver(ctx, channel, poolMapping, rxRing, txRing, txHead);
            driver.postInitialBuffers();

            if (driver.rxRingFile != null)
            {
                channel.header().exposeRxRing(ctx.ringSize(), driver.deviceTimestamps ?
                    QueueChannelHeader.RX_RING_FLAG_DEVICE_TIMESTAMPS : 0, rxRing.file().toAbsolutePath().toString());
            }

            step = "attaching the rings with the card driver";
            ctx.queueAttacher().attach(queueId, ctx.pid(), channel.header().attachToken(), ctx.ringSize(),
                rxRing.iova(), txRing.iova(), txHead == null ? 0 : txHead.iova());
            driver.attached = true;

            step = "activating the queue";
            driver.activate();
            driver.installWakeSource();
            return driver;
        }
        catch (final RuntimeException ex)
        {
            if (driver != null)
            {
                CloseHelper.quietClose(driver);
            }
            CloseHelper.quietCloseAll(txHead, txRing, rxRing, poolMapping, channel);
            throw new IllegalStateException("queue driver of queue " + queueId + " could not start on " + file +
                ": " + step + " failed: " + ex.getMessage(), ex);
        }
    }

    /**
     * Under the adaptive idle strategy, lets it sleep on this queue's interrupt vector and the channel's driver wake
     * word ({@link QueueDriverWakeSource}); only a simulated card's vectors are futex words that can be slept on
     * together with the wake word, and only queues 0..15 have a vector. Others keep the strategy's parking.
     */
    private void installWakeSource()
    {
        // The strategy the runner idles with is the context's own instance; one already serving another loop (a
        // strategy shared by mistake) keeps that loop's source.
        if (ctx.idleStrategy() instanceof AdaptiveIdleStrategy adaptive && adaptive.wakeSource() == null &&
            queueId < Registers.QUEUE_VECTOR_COUNT && ctx.nic() instanceof SimulatedNic simulated)
        {
            wakeSource = new QueueDriverWakeSource(this, bar, simulated.interruptVector(queueId), queueId,
                channel.driverWake());
            adaptive.wakeSource(wakeSource);
        }
    }

    /** The wake source the adaptive idle strategy sleeps on, or null (tests). */
    AdaptiveIdleStrategy.WakeSource wakeSource()
    {
        return wakeSource;
    }

    /**
     * For a queue driver run inline by its application: what the application's loop sleeps on (this queue's interrupt
     * vector and the channel's driver wake word, the last look being a round of this driver), created once; null when
     * the queue has no vector to sleep on (not a simulated card, or a queue above 15).
     */
    public AdaptiveIdleStrategy.WakeSource inlineWakeSource()
    {
        if (wakeSource == null && queueId < Registers.QUEUE_VECTOR_COUNT && ctx.nic() instanceof SimulatedNic simulated)
        {
            wakeSource = new QueueDriverWakeSource(this, bar, simulated.interruptVector(queueId), queueId,
                channel.driverWake());
        }
        return wakeSource;
    }

    private static void checkChannel(final QueueChannel channel, final int queueId)
    {
        final QueueChannelHeader header = channel.header();
        if (header.queueId() != queueId)
        {
            throw new IllegalStateException("the channel belongs to queue " + header.queueId() + ", not " + queueId);
        }
        final int state = header.state();
        if (state != STATE_INITIALISING)
        {
            throw new IllegalStateException("the channel is " + stateName(state) + " (driver pid " +
                header.driverPid() + "); a queue driver starts only on a fresh channel (INITIALISING)");
        }
    }

    /** The slot distribution at start: up to a ring's worth (at most half the pool) for RX, the rest to the client. */
    private void postInitialBuffers()
    {
        final int rxBuffers = Math.min(ringSize - 1, slotCount / 2);
        for (int slot = 0; slot < rxBuffers; slot++)
        {
            RxDescriptor.setBuffer(rxRing, slot, slotIova[slot]);
            rxSlotOf[slot] = slot;
            owner[slot] = OWNER_RX_RING;
            if (rxRingFile != null)
            {
                rxRingFile.slot(slot, slot);
            }
        }
        rxTail = rxBuffers & ringMask;
        rxPosted = rxBuffers;
        rxPostedPosition = rxBuffers;
        if (rxRingFile != null)
        {
            rxRingFile.posted(rxPostedPosition);
        }
        for (int slot = rxBuffers; slot < slotCount; slot++)
        {
            spare[spareCount++] = slot;
        }
    }

    private void activate()
    {
        bar.write(rdt, rxTail);

        final int[] initial = Arrays.copyOf(spare, spareCount);
        spareCount = 0;
        handToClient(initial, initial.length);

        final long now = System.nanoTime();
        header.driverPid(ctx.pid());
        header.driverHeartbeatNs(now);
        lastHeartbeatNs = now;
        if (!header.compareAndSetState(STATE_INITIALISING, STATE_ACTIVE))
        {
            throw new IllegalStateException("the channel became " + stateName(header.state()) +
                " while the queue driver was starting");
        }
    }

    public String roleName()
    {
        return "queue-driver-" + queueId;
    }

    /**
     * One round of the poll loop.
     *
     * @return descriptors and ring entries handled (0 = idle)
     * @throws AgentTerminationException once the queue driver has stopped (see {@link #exitReason()})
     */
    public int doWork()
    {
        if (closed)
        {
            throw new AgentTerminationException(roleName() + " has stopped: " + exitReason);
        }
        // The forward ring's position is read before the device ring: a frame forwarded in software (which reached
        // queue 0 after the device wrote everything before it) is delivered only after the device ring was seen
        // empty, so a flow whose filter moves from hardware to software keeps its order.
        final long forwardLimit = forwardRing.producerPosition();
        int work;
        if (rxRingFile == null)
        {
            work = receive();
            if (!rxBatchFull)
            {
                work += receiveForwarded(forwardLimit);
            }
        }
        else
        {
            // The same order with the client reading the ring: forwarded frames only once it has taken every
            // descriptor the device had done (the client looks at the ring before rxReady).
            work = takeClientConsumed();
            work += noticeDone();
            if (rxPosted == 0 || (RxDescriptor.statusError(rxRing, rxNext) & RxDescriptor.STATUS_DD) == 0)
            {
                work += receiveForwarded(forwardLimit);
            }
        }
        work += refill();
        work += reclaim();
        work += transmit();
        signalClient();
        if (work == 0 || ++busyCycles >= BUSY_CYCLES_PER_LIVENESS_CHECK)
        {
            busyCycles = 0;
            checkLiveness();
        }
        return work;
    }

    /**
     * The transmit half of {@link #doWork()}, for a client that runs this driver inline and has just published frames
     * on txReady ({@code NicQueue.flush}): they go onto the descriptor ring and the doorbell rings within the client's
     * call, with no receive, forwarded-frame copy, refill or reclaim in front of them; the client's next poll runs a
     * whole round. A full descriptor ring is reclaimed first, as a round would have.
     *
     * @return frames taken from txReady plus descriptors reclaimed.
     */
    public int doTransmitWork()
    {
        if (closed)
        {
            throw new AgentTerminationException(roleName() + " has stopped: " + exitReason);
        }
        int work = txInFlight == ringSize - 1 ? reclaim() : 0;
        work += transmit();
        signalClient();
        return work;
    }

    /** Once per round, after the release stores: a client asleep on its wake word has frames or slots. */
    private void signalClient()
    {
        if (publishedToClient)
        {
            publishedToClient = false;
            clientWake.signal();
            if (onPublishedToClient != null)
            {
                onPublishedToClient.run();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // RX
    // ---------------------------------------------------------------------------------------------------------------

    private int receive()
    {
        // Only posted descriptors are looked at: one consumed a lap ago still has its DD until it is posted again.
        rxBatchFull = false;
        if (rxPosted == 0)
        {
            return 0;
        }
        int index = rxNext;
        int status = RxDescriptor.statusError(rxRing, index);
        if ((status & RxDescriptor.STATUS_DD) == 0)
        {
            return 0;
        }

        final long sawNs = System.nanoTime();
        final int limit = Math.min(batchSize, rxPosted);
        final int[] frames = rxBatch;
        int handed = 0;
        int done = 0;
        long bytes = 0;
        while (true)
        {
            final int slot = rxSlotOf[index];
            final int length = RxDescriptor.length(rxRing, index);
            if (RxDescriptor.isDeliverable(status, length, rxDiscarding, QueueChannelLayout.SLOT_SIZE))
            {
                if ((status & CHECKSUM_ERRORS) != 0)
                {
                    countChecksumErrors(slot, index, status, length);
                }
                metadata.frameLengthAndFlags(slot, length, 0);
                bytes += length;
                final int deviceStamp = deviceTimestamps ? RxDescriptor.rssHash(rxRing, index) : 0;
                metadata.rxDeviceNs(slot, deviceStamp != 0 ? RxDescriptor.deviceTimestamp(deviceStamp, sawNs) : 0L);
                metadata.rxDriverSawNs(slot, sawNs);
                frames[handed++] = slot;
            }
            else
            {
                // An error, or a frame spread over several buffers (never with 2 KiB buffers and standard frames):
                // drop every descriptor up to and including the next EOP, and reuse the buffers.
                counters[COUNTER_RX_ERRORS]++;
                owner[slot] = OWNER_DRIVER;
                spare[spareCount++] = slot;
            }
            rxDiscarding = RxDescriptor.continuesFrame(status);
            index = (index + 1) & ringMask;
            if (++done == limit)
            {
                rxBatchFull = done == batchSize;
                break;
            }
            status = RxDescriptor.statusError(rxRing, index);
            if ((status & RxDescriptor.STATUS_DD) == 0)
            {
                break;
            }
        }
        rxNext = index;
        rxPosted -= done;

        if (handed > 0)
        {
            final long publishedNs = System.nanoTime();
            for (int i = 0; i < handed; i++)
            {
                final int slot = frames[i];
                metadata.rxPublishedNs(slot, publishedNs);
                owner[slot] = OWNER_CLIENT;
            }
            final int offered = rxReady.offer(frames, 0, handed);
            publishedToClient |= offered > 0;
            for (int i = offered; i < handed; i++)
            {
                // Only a client that wrote over rxReady's positions gets here: its frame is dropped.
                final int slot = frames[i];
                bytes -= metadata.frameLength(slot);
                owner[slot] = OWNER_DRIVER;
                spare[spareCount++] = slot;
            }
            counters[COUNTER_CLIENT_RING_FULL] += handed - offered;
            counters[COUNTER_RX_PACKETS] += offered;
            counters[COUNTER_RX_BYTES] += bytes;
            header.counter(COUNTER_RX_PACKETS, counters[COUNTER_RX_PACKETS]);
            header.counter(COUNTER_RX_BYTES, counters[COUNTER_RX_BYTES]);
            if (offered < handed)
            {
                header.counter(COUNTER_CLIENT_RING_FULL, counters[COUNTER_CLIENT_RING_FULL]);
            }
        }
        if (handed < done)
        {
            header.counter(COUNTER_RX_ERRORS, counters[COUNTER_RX_ERRORS]);
        }
        return done;
    }

    /**
     * Read-only ring: takes the client's RX consumer position. It must move forward, by no more than what is posted,
     * over descriptors this driver reads as done; otherwise it is refused (counted once per value) and nothing
     * changes. Each taken descriptor's slot becomes the client's if it ends a frame to deliver (the client lent it to
     * its application), else it comes back as a spare; packets, bytes and errors are counted as receive() counts.
     *
     * @return descriptors taken
     */
    private int takeClientConsumed()
    {
        final long position = header.rxConsumerPosition();
        final long advance = position - rxConsumed;
        if (advance == 0)
        {
            return 0;
        }
        if (advance < 0 || advance > rxPosted || !allDone(rxConsumed, (int)advance))
        {
            if (position != rxRefusedPosition)
            {
                rxRefusedPosition = position;
                header.counter(COUNTER_REJECTED_RX_CONSUMER, ++counters[COUNTER_REJECTED_RX_CONSUMER]);
            }
            return 0;
        }
        rxRefusedPosition = -1;

        final int done = (int)advance;
        int index = rxNext;
        int delivered = 0;
        int errors = 0;
        long bytes = 0;
        for (int i = 0; i < done; i++)
        {
            final int status = RxDescriptor.statusError(rxRing, index);
            final int length = RxDescriptor.length(rxRing, index);
            final int slot = rxSlotOf[index];
            if (RxDescriptor.isDeliverable(status, length, rxDiscarding, QueueChannelLayout.SLOT_SIZE))
            {
                if ((status & CHECKSUM_ERRORS) != 0)
                {
                    countChecksumErrors(slot, index, status, length);
                }
                owner[slot] = OWNER_CLIENT;
                bytes += length;
                delivered++;
            }
            else
            {
                owner[slot] = OWNER_DRIVER;
                spare[spareCount++] = slot;
                errors++;
            }
            rxDiscarding = RxDescriptor.continuesFrame(status);
            index = (index + 1) & ringMask;
        }
        rxNext = index;
        rxConsumed = position;
        rxPosted -= done;
        if (delivered > 0)
        {
            counters[COUNTER_RX_PACKETS] += delivered;
            counters[COUNTER_RX_DIRECT] += delivered;
            counters[COUNTER_RX_BYTES] += bytes;
            header.counter(COUNTER_RX_PACKETS, counters[COUNTER_RX_PACKETS]);
            header.counter(COUNTER_RX_DIRECT, counters[COUNTER_RX_DIRECT]);
            header.counter(COUNTER_RX_BYTES, counters[COUNTER_RX_BYTES]);
        }
        if (errors > 0)
        {
            counters[COUNTER_RX_ERRORS] += errors;
            header.counter(COUNTER_RX_ERRORS, counters[COUNTER_RX_ERRORS]);
        }
        return done;
    }

    /** Whether the {@code count} posted descriptors from position {@code from} are all done, as this driver reads. */
    private boolean allDone(final long from, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            if ((RxDescriptor.statusError(rxRing, (int)((from + i) & ringMask)) & RxDescriptor.STATUS_DD) == 0)
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Read-only ring: looks for descriptors the device has done since the last look (at most a batch), so that a
     * client asleep on its wake word is signalled once per round that saw new frames.
     *
     * @return new done descriptors seen
     */
    private int noticeDone()
    {
        long seen = Math.max(rxDoneSeen, rxConsumed);
        final long limit = Math.min(rxPostedPosition, seen + batchSize);
        final long first = seen;
        while (seen < limit && (RxDescriptor.statusError(rxRing, (int)(seen & ringMask)) & RxDescriptor.STATUS_DD) != 0)
        {
            seen++;
        }
        rxDoneSeen = seen;
        final int fresh = (int)(seen - first);
        publishedToClient |= fresh > 0;
        return fresh;
    }

    /**
     * IPE and TCPE of a delivered frame (7.1.11, Linux's ixgbe_rx_checksum), each meaningful only with the status bit
     * that says the part computed that checksum. TCPE on a UDP frame whose checksum field is 0 is the 82599's erratum
     * (a zero UDP checksum means "none", RFC 768): not counted. Rare, so it may read the frame.
     */
    private void countChecksumErrors(final int slot, final int index, final int status, final int length)
    {
        if ((status & (RxDescriptor.STATUS_IPCS | RxDescriptor.ERROR_IPE)) ==
            (RxDescriptor.STATUS_IPCS | RxDescriptor.ERROR_IPE))
        {
            counters[COUNTER_RX_IP_CHECKSUM_ERRORS]++;
            header.counter(COUNTER_RX_IP_CHECKSUM_ERRORS, counters[COUNTER_RX_IP_CHECKSUM_ERRORS]);
        }
        if ((status & (RxDescriptor.STATUS_L4CS | RxDescriptor.ERROR_TCPE)) ==
            (RxDescriptor.STATUS_L4CS | RxDescriptor.ERROR_TCPE) && !isUdpWithoutChecksum(slot, index, length))
        {
            counters[COUNTER_RX_L4_CHECKSUM_ERRORS]++;
            header.counter(COUNTER_RX_L4_CHECKSUM_ERRORS, counters[COUNTER_RX_L4_CHECKSUM_ERRORS]);
        }
    }

    /** Whether a received frame is IPv4/UDP (untagged or one VLAN tag) with its checksum field 0. */
    private boolean isUdpWithoutChecksum(final int slot, final int index, final int length)
    {
        if ((RxDescriptor.packetInfo(rxRing, index) & RxDescriptor.PACKET_INFO_TYPE_UDP) == 0)
        {
            return false;
        }
        final int frame = QueueChannel.frameOffset(slot);
        final int etherType = pool.getShort(frame + EthernetHeader.ETHER_TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int ipv4 = EthernetHeader.HEADER_LENGTH +
            (etherType == EthernetHeader.ETHER_TYPE_VLAN ? VLAN_TAG_LENGTH : 0);
        if (length < ipv4 + 1)
        {
            return false;
        }
        final int udpChecksum = ipv4 + 4 * (pool.getByte(frame + ipv4) & 0xF) + UdpHeader.CHECKSUM_OFFSET;
        return length >= udpChecksum + 2 && pool.getShort(frame + udpChecksum) == UdpHeader.NO_CHECKSUM;
    }

    /**
     * Frames the card driver matched in software for this queue: each copied into a free slot (a spare, else one the
     * client gave back on rxFree) and published on rxReady like a received frame, up to {@code producerPosition}.
     * Without a free slot they wait in the ring (the card driver counts what a full ring refuses).
     */
    private int receiveForwarded(final long producerPosition)
    {
        final int available = Math.min(forwardRing.available(producerPosition), batchSize);
        if (available == 0)
        {
            return 0;
        }
        final int[] free = forwardBatch;
        int freeCount = 0;
        while (spareCount > 0 && freeCount < available)
        {
            free[freeCount++] = spare[--spareCount];
        }
        if (freeCount < available)
        {
            final int taken = rxFree.poll(refillBatch, 0, available - freeCount);
            for (int i = 0; i < taken; i++)
            {
                if (isClients(refillBatch[i]))
                {
                    free[freeCount++] = refillBatch[i];
                }
            }
            noteRingPositions();
        }

        final long sawNs = System.nanoTime();
        final int[] frames = rxBatch;
        int handed = 0;
        long bytes = 0;
        int used = 0;
        while (used < freeCount)
        {
            final int length = forwardRing.frameLength();
            if (length == 0 || length > QueueChannelLayout.SLOT_SIZE)
            {
                counters[COUNTER_RX_ERRORS]++;
                header.counter(COUNTER_RX_ERRORS, counters[COUNTER_RX_ERRORS]);
            }
            else
            {
                final int slot = free[used++];
                forwardRing.copyFrame(pool, QueueChannel.frameOffset(slot), length);
                metadata.frameLengthAndFlags(slot, length, 0);
                metadata.rxDeviceNs(slot, forwardRing.deviceNs());
                metadata.rxDriverSawNs(slot, sawNs);
                frames[handed++] = slot;
                bytes += length;
            }
            forwardRing.advance();
            if (forwardRing.available(producerPosition) == 0)
            {
                break;
            }
        }
        for (int i = used; i < freeCount; i++)
        {
            owner[free[i]] = OWNER_DRIVER;
            spare[spareCount++] = free[i];
        }

        if (handed > 0)
        {
            final long publishedNs = System.nanoTime();
            for (int i = 0; i < handed; i++)
            {
                metadata.rxPublishedNs(frames[i], publishedNs);
                owner[frames[i]] = OWNER_CLIENT;
            }
            final int offered = rxReady.offer(frames, 0, handed);
            publishedToClient |= offered > 0;
            for (int i = offered; i < handed; i++)
            {
                bytes -= metadata.frameLength(frames[i]);
                owner[frames[i]] = OWNER_DRIVER;
                spare[spareCount++] = frames[i];
            }
            counters[COUNTER_CLIENT_RING_FULL] += handed - offered;
            counters[COUNTER_RX_PACKETS] += offered;
            counters[COUNTER_RX_FORWARDED] += offered;
            counters[COUNTER_RX_BYTES] += bytes;
            header.counter(COUNTER_RX_PACKETS, counters[COUNTER_RX_PACKETS]);
            header.counter(COUNTER_RX_FORWARDED, counters[COUNTER_RX_FORWARDED]);
            header.counter(COUNTER_RX_BYTES, counters[COUNTER_RX_BYTES]);
            if (offered < handed)
            {
                header.counter(COUNTER_CLIENT_RING_FULL, counters[COUNTER_CLIENT_RING_FULL]);
            }
        }
        return handed;
    }

    private int refill()
    {
        final int room = ringSize - 1 - rxPosted;
        if (room == 0)
        {
            return 0;
        }

        int tail = rxTail;
        int posted = 0;
        while (spareCount > 0 && posted < room)
        {
            final int slot = spare[--spareCount];
            post(tail, slot);
            tail = (tail + 1) & ringMask;
            posted++;
        }

        int taken = 0;
        if (posted < room)
        {
            final int[] slots = refillBatch;
            taken = rxFree.poll(slots, 0, Math.min(room - posted, batchSize));
            for (int i = 0; i < taken; i++)
            {
                final int slot = slots[i];
                if (isClients(slot))
                {
                    post(tail, slot);
                    tail = (tail + 1) & ringMask;
                    posted++;
                }
            }
            noteRingPositions();
        }

        if (posted > 0)
        {
            rxTail = tail;
            rxPosted += posted;
            rxPostedPosition += posted;
            if (rxRingFile != null)
            {
                // After the descriptors and their slots: a client reads neither below this position too early.
                rxRingFile.posted(rxPostedPosition);
            }
            bar.write(rdt, tail);
            rxStarved = false;
        }
        else if (rxPosted == 0 && !rxStarved)
        {
            rxStarved = true;
            header.counter(COUNTER_RX_STARVED, ++counters[COUNTER_RX_STARVED]);
        }
        return posted + taken;
    }

    /** Gives descriptor {@code index} slot {@code slot}'s buffer (and, for a read-only ring, tells the client). */
    private void post(final int index, final int slot)
    {
        RxDescriptor.setBuffer(rxRing, index, slotIova[slot]);
        rxSlotOf[index] = slot;
        owner[slot] = OWNER_RX_RING;
        if (rxRingFile != null)
        {
            rxRingFile.slot(index, slot);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // TX
    // ---------------------------------------------------------------------------------------------------------------

    private int reclaim()
    {
        final int inFlight = txInFlight;
        if (inFlight == 0)
        {
            return 0;
        }

        final int first = txNext;
        int done = 0;
        if (headWriteback)
        {
            final int head = (int)HEAD_WRITEBACK.getAcquire(txHead, 0L);
            done = Math.min((head - first) & ringMask, inFlight);
        }
        else
        {
            while (done < inFlight && (TxDescriptor.status(txRing, (first + done) & ringMask) &
                TxDescriptor.STATUS_DD) != 0)
            {
                done++;
            }
        }
        if (done == 0)
        {
            return 0;
        }

        final int[] slots = reclaimed;
        long bytes = 0;
        for (int i = 0; i < done; i++)
        {
            final int index = (first + i) & ringMask;
            final int slot = txSlotOf[index];
            if (deviceTimestamps && !headWriteback)
            {
                metadata.txWireNs(slot, TxDescriptor.writeBackTimestamp(txRing, index));
            }
            bytes += txLengthOf[index];
            slots[i] = slot;
        }
        txNext = (first + done) & ringMask;
        txInFlight = inFlight - done;
        counters[COUNTER_TX_PACKETS] += done;
        counters[COUNTER_TX_BYTES] += bytes;
        header.counter(COUNTER_TX_PACKETS, counters[COUNTER_TX_PACKETS]);
        header.counter(COUNTER_TX_BYTES, counters[COUNTER_TX_BYTES]);
        handToClient(slots, done);
        return done;
    }

    private int transmit()
    {
        final int room = ringSize - 1 - txInFlight;
        if (room == 0)
        {
            if (txReady.size() > 0)
            {
                header.counter(COUNTER_TX_RING_FULL, ++counters[COUNTER_TX_RING_FULL]);
            }
            return 0;
        }

        final int[] slots = txBatch;
        final int taken = txReady.poll(slots, 0, Math.min(room, batchSize));
        noteRingPositions();
        if (taken == 0)
        {
            return 0;
        }

        final long dequeuedNs = System.nanoTime();
        int tail = txTail;
        int queued = 0;
        int rejected = 0;
        for (int i = 0; i < taken; i++)
        {
            final int slot = slots[i];
            if (!isClients(slot))
            {
                continue;
            }
            final int length = metadata.frameLength(slot);
            if (length < SlotMetadata.MIN_FRAME_LENGTH || length > QueueChannelLayout.SLOT_SIZE)
            {
                header.counter(COUNTER_REJECTED_LENGTH, ++counters[COUNTER_REJECTED_LENGTH]);
                metadata.flags(slot, SlotMetadata.FLAG_TX_REJECTED_LENGTH);
                owner[slot] = OWNER_DRIVER;
                txRejected[rejected++] = slot;
                continue;
            }
            if (metadata.flags(slot) != 0)
            {
                metadata.flags(slot, 0);
            }
            metadata.txDequeuedNs(slot, dequeuedNs);
            TxDescriptor.setFrame(txRing, tail, slotIova[slot], length);
            txSlotOf[tail] = slot;
            txLengthOf[tail] = length;
            owner[slot] = OWNER_TX_RING;
            slots[queued++] = slot;
            tail = (tail + 1) & ringMask;
        }

        if (queued > 0)
        {
            txTail = tail;
            txInFlight += queued;
            final long doorbellNs = System.nanoTime();
            bar.write(tdt, tail);
            for (int i = 0; i < queued; i++)
            {
                metadata.txDoorbellNs(slots[i], doorbellNs);
            }
        }
        if (rejected > 0)
        {
            handToClient(txRejected, rejected);
        }
        return taken;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Slot ownership
    // ---------------------------------------------------------------------------------------------------------------

    /** Whether a slot index from a client ring is one the client may give; counts the rejection if not. */
    private boolean isClients(final int slot)
    {
        if (slot < 0 || slot >= slotCount)
        {
            header.counter(COUNTER_REJECTED_INDEX, ++counters[COUNTER_REJECTED_INDEX]);
            return false;
        }
        if (owner[slot] == OWNER_RX_RING && rxRingFile != null)
        {
            // A frame the client took from the read-only ring and gives back (rxFree) or sends (txReady) before this
            // round took its consumer position: the client published that position before the entry, so reading it
            // now, after the entry, sees it.
            takeClientConsumed();
        }
        if (owner[slot] != OWNER_CLIENT)
        {
            header.counter(COUNTER_REJECTED_NOT_OWNED, ++counters[COUNTER_REJECTED_NOT_OWNED]);
            return false;
        }
        return true;
    }

    /** Gives slots the driver holds to the client on txDone; what does not fit stays with the driver as spares. */
    private void handToClient(final int[] slots, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            owner[slots[i]] = OWNER_CLIENT;
        }
        final int offered = txDone.offer(slots, 0, count);
        publishedToClient |= offered > 0;
        if (offered < count)
        {
            for (int i = offered; i < count; i++)
            {
                owner[slots[i]] = OWNER_DRIVER;
                spare[spareCount++] = slots[i];
            }
            counters[COUNTER_CLIENT_RING_FULL] += count - offered;
            header.counter(COUNTER_CLIENT_RING_FULL, counters[COUNTER_CLIENT_RING_FULL]);
        }
    }

    private void noteRingPositions()
    {
        final long corrupt = rxReady.corruptPositions() + rxFree.corruptPositions() + txReady.corruptPositions() +
            txDone.corruptPositions();
        if (corrupt != counters[COUNTER_REJECTED_RING_POSITION])
        {
            counters[COUNTER_REJECTED_RING_POSITION] = corrupt;
            header.counter(COUNTER_REJECTED_RING_POSITION, corrupt);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Liveness and shutdown
    // ---------------------------------------------------------------------------------------------------------------

    private void checkLiveness()
    {
        final long now = System.nanoTime();
        if (now - lastLivenessCheckNs < ctx.livenessIntervalNs())
        {
            return;
        }
        lastLivenessCheckNs = now;
        header.driverHeartbeatNs(now);
        lastHeartbeatNs = now;

        final int state = header.state();
        if (state != STATE_ACTIVE)
        {
            terminate("the channel became " + stateName(state) +
                (state == STATE_REVOKED ? ": the card driver revoked the queue" : ""));
        }

        final long pid = header.clientPid();
        if (pid == QueueChannelHeader.CLIENT_PID_LEFT || (pid == 0 && clientSeen))
        {
            terminate("client process " + (clientSeen ? Long.toString(clientPid) : "(not seen)") + " detached");
        }
        else if (pid != 0)
        {
            if (pid != clientPid)
            {
                clientPid = pid;
                clientSeen = true;
                clientProcess = pid > 0 ? ProcessHandle.of(pid).orElse(null) : null;
            }
            if (clientProcess == null || !clientProcess.isAlive())
            {
                terminate("client process " + pid + " has gone away");
            }
            final long silentNs = now - header.clientHeartbeatNs();
            if (ctx.clientTimeoutNs() > 0 && silentNs > ctx.clientTimeoutNs())
            {
                terminate("client process " + pid + " has not heart-beaten for " +
                    TimeUnit.NANOSECONDS.toMillis(silentNs) + " ms (limit " +
                    TimeUnit.NANOSECONDS.toMillis(ctx.clientTimeoutNs()) + " ms)");
            }
        }
        else if (ctx.clientAttachTimeoutNs() > 0 && now - startNs > ctx.clientAttachTimeoutNs())
        {
            terminate("no client attached to the channel within " +
                TimeUnit.NANOSECONDS.toMillis(ctx.clientAttachTimeoutNs()) + " ms");
        }

        if (cardDriverProcess != null && !cardDriverProcess.isAlive())
        {
            terminate("the card driver (pid " + ctx.cardDriverPid() + ") has gone away");
        }
        else if (ctx.cardDriverPid() != 0 && cardDriverProcess == null)
        {
            terminate("the card driver (pid " + ctx.cardDriverPid() + ") is not running");
        }
    }

    private void terminate(final String reason)
    {
        exitReason = reason;
        close();
        throw new AgentTerminationException(roleName() + " stopped: " + reason);
    }

    /** Why the driver stopped on its own; null while it runs or after an ordinary {@link #close()}. */
    public String exitReason()
    {
        return exitReason;
    }

    public boolean isClosed()
    {
        return closed;
    }

    public void onClose()
    {
        close();
    }

    /**
     * Stops serving the queue: the channel state becomes CLOSED (unless the card driver revoked it), the card driver
     * is told to disable the queue ({@link QueueAttacher#detach}), then the rings are freed, the pool unregistered and
     * the channel unmapped. RDT and TDT are left alone. Idempotent.
     */
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (exitReason == null)
        {
            exitReason = "closed";
        }
        try
        {
            header.compareAndSetState(STATE_ACTIVE, STATE_CLOSED);
            // A dead card driver cannot disable anything (and a connection attempt would wait for its media driver's
            // timeout): the next card driver resets the card.
            if (attached && (cardDriverProcess == null || cardDriverProcess.isAlive()))
            {
                ctx.queueAttacher().detach(queueId);
            }
        }
        finally
        {
            CloseHelper.quietCloseAll(wakeSource, txHeadBuffer, txRingBuffer, rxRingBuffer, poolMapping, channel);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // For monitoring and tests
    // ---------------------------------------------------------------------------------------------------------------

    public int queueId()
    {
        return queueId;
    }

    public Context context()
    {
        return ctx;
    }

    /** RX buffers currently posted to the device. */
    public int rxPosted()
    {
        return rxPosted;
    }

    /** TX descriptors the device has not completed yet. */
    public int txInFlight()
    {
        return txInFlight;
    }

    /** Slots the driver holds that are in no ring (waiting to be posted for RX). */
    public int spareSlots()
    {
        return spareCount;
    }

    /** The counter kept privately by the driver (the channel header has the published copy). */
    public long counter(final int counter)
    {
        return counters[counter];
    }

    /** When the driver last wrote its heartbeat ({@code System.nanoTime}). */
    public long lastHeartbeatNs()
    {
        return lastHeartbeatNs;
    }

    public String toString()
    {
        return roleName() + "{" + channel.description() + ", ring " + ringSize + ", batch " + batchSize + "}";
    }

    /**
     * Configuration of a queue driver, with defaults. Required: the card ({@link #nic} or {@link #bar} with {@link
     * #dmaAllocator}), {@link #queueId}, {@link #channelFile} and {@link #queueAttacher}.
     */
    public static final class Context
    {
        public static final int DEFAULT_RING_SIZE = 512;
        public static final int DEFAULT_BATCH_SIZE = 32;
        public static final int MAX_BATCH_SIZE = 512;
        public static final String DEFAULT_IDLE_STRATEGY = "adaptive";
        public static final long DEFAULT_LIVENESS_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(100);
        public static final long DEFAULT_CLIENT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);
        public static final long DEFAULT_CLIENT_ATTACH_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);
        /** Off: the RX hop through rxReady stays the default until the option has run in the field. */
        public static final boolean DEFAULT_READ_ONLY_RX_RING = false;

        private Nic nic;
        private Bar bar;
        private DmaAllocator dmaAllocator;
        private int queueId = -1;
        private Path channelFile;
        private int ringSize = DEFAULT_RING_SIZE;
        private int batchSize = DEFAULT_BATCH_SIZE;
        private IdleStrategy idleStrategy;
        private String idleStrategyName = DEFAULT_IDLE_STRATEGY;
        private TxWriteback txWriteback = TxWriteback.DESCRIPTOR_DONE;
        private Boolean deviceTimestamps;
        private QueueAttacher queueAttacher;
        private long pid = ProcessHandle.current().pid();
        private long cardDriverPid;
        private Runnable onPublishedToClient;
        private long livenessIntervalNs = DEFAULT_LIVENESS_INTERVAL_NS;
        private long clientTimeoutNs = DEFAULT_CLIENT_TIMEOUT_NS;
        private long clientAttachTimeoutNs = DEFAULT_CLIENT_ATTACH_TIMEOUT_NS;
        private boolean readOnlyRxRing = DEFAULT_READ_ONLY_RX_RING;
        private boolean concluded;

        /** Checks and completes the configuration; called by {@link QueueDriver#start}. */
        public Context conclude()
        {
            if (concluded)
            {
                return this;
            }
            if (bar == null && nic != null)
            {
                bar = nic.bar();
            }
            if (dmaAllocator == null && nic != null)
            {
                dmaAllocator = nic.dma();
            }
            require(bar != null, "a card: nic(...) or bar(...)");
            require(dmaAllocator != null, "a DMA allocator: nic(...) or dmaAllocator(...)");
            require(queueAttacher != null, "a queueAttacher(...) to register the rings with the card driver");
            require(channelFile != null, "a channelFile(...)");
            if (queueId < 0 || queueId >= Registers.QUEUE_COUNT)
            {
                throw new IllegalArgumentException("queue id " + queueId + " is outside [0, " +
                    Registers.QUEUE_COUNT + ")");
            }
            if (!DescriptorRing.isValidSize(ringSize))
            {
                throw new IllegalArgumentException("ring size " + ringSize + " must be " + DescriptorRing.sizeRule());
            }
            if (batchSize < 1 || batchSize > MAX_BATCH_SIZE)
            {
                throw new IllegalArgumentException("batch size " + batchSize + " is outside [1, " + MAX_BATCH_SIZE +
                    "]");
            }
            if (livenessIntervalNs <= 0 || clientTimeoutNs < 0 || clientAttachTimeoutNs < 0)
            {
                throw new IllegalArgumentException("liveness interval must be positive and timeouts not negative");
            }
            if (idleStrategy == null)
            {
                idleStrategy = IdleStrategies.of(idleStrategyName);
            }
            if (deviceTimestamps == null)
            {
                // Only the simulated card writes its clock into the RSS hash and the TX write-back: on silicon those
                // fields hold a checksum and the buffer address.
                deviceTimestamps = bar instanceof SimulatedBar;
            }
            concluded = true;
            return this;
        }

        private static void require(final boolean condition, final String what)
        {
            if (!condition)
            {
                throw new IllegalArgumentException("QueueDriver.Context needs " + what);
            }
        }

        /** The card: its BAR (for RDT/TDT) and DMA allocator, unless set separately. Not closed by the driver. */
        public Context nic(final Nic nic)
        {
            this.nic = nic;
            return this;
        }

        public Nic nic()
        {
            return nic;
        }

        /** BAR0 of the card; the driver writes only this queue's RDT and TDT. */
        public Context bar(final Bar bar)
        {
            this.bar = bar;
            return this;
        }

        public Bar bar()
        {
            return bar;
        }

        /** Maps the channel, registers its pool and allocates the descriptor rings. */
        public Context dmaAllocator(final DmaAllocator dmaAllocator)
        {
            this.dmaAllocator = dmaAllocator;
            return this;
        }

        public DmaAllocator dmaAllocator()
        {
            return dmaAllocator;
        }

        /** The hardware queue (RX and TX of the same index). */
        public Context queueId(final int queueId)
        {
            this.queueId = queueId;
            return this;
        }

        public int queueId()
        {
            return queueId;
        }

        /** The queue channel file the card driver created. */
        public Context channelFile(final Path channelFile)
        {
            this.channelFile = channelFile;
            return this;
        }

        public Path channelFile()
        {
            return channelFile;
        }

        /** Descriptors per ring, a power of two; default 512. */
        public Context ringSize(final int ringSize)
        {
            this.ringSize = ringSize;
            return this;
        }

        public int ringSize()
        {
            return ringSize;
        }

        /** Most descriptors handled per direction per {@link QueueDriver#doWork()}; default 32. */
        public Context batchSize(final int batchSize)
        {
            this.batchSize = batchSize;
            return this;
        }

        public int batchSize()
        {
            return batchSize;
        }

        /** How a runner idles between empty rounds; overrides {@link #idleStrategyName}. */
        public Context idleStrategy(final IdleStrategy idleStrategy)
        {
            this.idleStrategy = idleStrategy;
            return this;
        }

        public IdleStrategy idleStrategy()
        {
            return idleStrategy;
        }

        /** busy, yield, backoff (default) or sleep: see {@link IdleStrategies}. */
        public Context idleStrategyName(final String idleStrategyName)
        {
            this.idleStrategyName = idleStrategyName;
            return this;
        }

        public String idleStrategyName()
        {
            return idleStrategyName;
        }

        /** DD in each descriptor (default) or the head write-back word. */
        public Context txWriteback(final TxWriteback txWriteback)
        {
            this.txWriteback = txWriteback;
            return this;
        }

        public TxWriteback txWriteback()
        {
            return txWriteback;
        }

        /** Read the simulated card's timestamps from the write-backs; default: when the BAR is a simulated one. */
        public Context deviceTimestamps(final boolean deviceTimestamps)
        {
            this.deviceTimestamps = deviceTimestamps;
            return this;
        }

        public boolean deviceTimestamps()
        {
            return deviceTimestamps != null && deviceTimestamps;
        }

        /** Registers the rings with the card driver. */
        public Context queueAttacher(final QueueAttacher queueAttacher)
        {
            this.queueAttacher = queueAttacher;
            return this;
        }

        public QueueAttacher queueAttacher()
        {
            return queueAttacher;
        }

        /** This process, as written into the channel header and told to the card driver. */
        public Context pid(final long pid)
        {
            this.pid = pid;
            return this;
        }

        public long pid()
        {
            return pid;
        }

        /** The card driver's process, watched so that the queue driver stops when it dies; 0 (default): not watched. */
        /**
         * Run after every round that published on rxReady or txDone, beside the signal of the channel's client wake
         * word: for a client that sleeps on a word of its own (queue 0's, the card driver's conductor, sleeps on the
         * control plane's requests word). Whichever loop runs the round (the runner, or the adaptive strategy's last
         * look) calls it, so no publication is left unannounced. Default none.
         */
        public Context onPublishedToClient(final Runnable onPublishedToClient)
        {
            this.onPublishedToClient = onPublishedToClient;
            return this;
        }

        public Runnable onPublishedToClient()
        {
            return onPublishedToClient;
        }

        public Context cardDriverPid(final long cardDriverPid)
        {
            this.cardDriverPid = cardDriverPid;
            return this;
        }

        public long cardDriverPid()
        {
            return cardDriverPid;
        }

        /** How often the heartbeat is written and the peers are checked; default 100 ms. */
        public Context livenessIntervalNs(final long livenessIntervalNs)
        {
            this.livenessIntervalNs = livenessIntervalNs;
            return this;
        }

        public long livenessIntervalNs()
        {
            return livenessIntervalNs;
        }

        /** A client silent for longer is taken as gone; default 5 s, 0 = heartbeats not watched (pid still is). */
        public Context clientTimeoutNs(final long clientTimeoutNs)
        {
            this.clientTimeoutNs = clientTimeoutNs;
            return this;
        }

        public long clientTimeoutNs()
        {
            return clientTimeoutNs;
        }

        /** How long to wait for a client to write its pid into the channel; default 30 s, 0 = forever. */
        public Context clientAttachTimeoutNs(final long clientAttachTimeoutNs)
        {
            this.clientAttachTimeoutNs = clientAttachTimeoutNs;
            return this;
        }

        public long clientAttachTimeoutNs()
        {
            return clientAttachTimeoutNs;
        }

        /**
         * Exposes the RX descriptor ring read-only to the client ({@link RxRingFile}, named in the channel header),
         * which then takes received frames from it itself: no RX hop through this driver. For a queue served by
         * another thread or process, whose client is client-lib's NicQueue (it follows the header); not for queue 0,
         * whose client (the card driver's default queue) reads rxReady only, nor inline, where the hop costs nothing.
         * Without a DMA allocator that backs its buffers with files (a device stub's), the ring stays private.
         * Default {@link #DEFAULT_READ_ONLY_RX_RING}.
         */
        public Context readOnlyRxRing(final boolean readOnlyRxRing)
        {
            this.readOnlyRxRing = readOnlyRxRing;
            return this;
        }

        public boolean readOnlyRxRing()
        {
            return readOnlyRxRing;
        }
    }
}
