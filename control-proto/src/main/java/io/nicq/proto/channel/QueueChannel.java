package io.nicq.proto.channel;

import org.agrona.concurrent.AtomicBuffer;
import io.nicq.runtime.WakeWord;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The zero-copy queue channel between a queue driver and its application: one shared-memory file per hardware queue,
 * created by the card driver, mapped by the queue driver and by the client. Both sides use this class.
 * <pre>
 *   file offset
 *   0                +------------------------------------------------------------------+
 *                    | header (4 KiB): magic, version, sizes, offsets, state,           |  QueueChannelHeader
 *                    | driver pid+heartbeat | client pid+heartbeat | driver counters    |
 *   4096             +------------------------------------------------------------------+
 *                    | rxReady  driver -> client   received frames                      |  IndexRing x 4:
 *                    | rxFree   client -> driver   empty slots for RX refill             |  tail | head | int[cap]
 *                    | txReady  client -> driver   frames to send                       |  cap = power of two
 *                    | txDone   driver -> client   slots free again                     |        >= slot count
 *   metadataOffset   +------------------------------------------------------------------+
 *                    | slot metadata: slotCount x 128 B (length, flags, 9 phase times)  |  SlotMetadata
 *   poolOffset       +------------------------------------------------------------------+  (2 MiB aligned)
 *                    | packet pool: slotCount x 2048 B, slot s at poolOffset + 2048 s   |  the ONLY part
 *                    |   the NIC reads and writes whole 2048-byte slots, frame at +0    |  registered for DMA
 *   fileLength       +------------------------------------------------------------------+  (2 MiB multiple)
 * </pre>
 * This departs from the reference design (metadata in front of each frame inside the slot): with the metadata apart,
 * the device gets the whole 2048-byte buffer and can never reach metadata, rings or header, and the pool alone is
 * what the IOMMU (or hugepage) registration covers. The layout is computed from the slot count by
 * {@link QueueChannelLayout}; {@link #open} checks the header against it.
 *
 * <h2>Slot ownership</h2>
 * Every slot has exactly one owner at a time, and a ring entry moves ownership from its producer to its consumer:
 * <pre>
 *             rxReady (frames)                      txReady (frames to send)
 *   driver  ------------------->  client  ------------------------------->  driver
 *   driver  <-------------------  client  <-------------------------------  driver
 *             rxFree (empty slots)                  txDone (free slots)
 * </pre>
 * <ul>
 *   <li>The queue driver starts owning every slot. It posts up to a ring's worth (at most half the pool) as RX
 *   buffers and hands all others to the client on txDone: txDone is where the client gets slots to transmit from.</li>
 *   <li>rxReady: a received frame; its length and RX timestamps are in the slot's metadata. The client now owns the
 *   slot: it may give it back on rxFree, or reuse it for TX (a zero-copy echo puts the same slot on txReady).</li>
 *   <li>txReady: the client wrote the frame into the slot and its length into the metadata. The driver sends it and,
 *   once the device is done, returns it on txDone with the TX timestamps filled in. A frame whose length is outside
 *   [{@link SlotMetadata#MIN_FRAME_LENGTH}, {@link QueueChannelLayout#SLOT_SIZE}] comes back unsent, flagged
 *   {@link SlotMetadata#FLAG_TX_REJECTED_LENGTH}.</li>
 *   <li>The driver never trusts the file: it keeps its own table of who owns each slot and ignores (and counts in
 *   the header) an index out of range or a slot the client does not own (a duplicate, or one still in flight), so
 *   the device is only ever given addresses of this pool, never one buffer twice. It reads a TX length once.</li>
 *   <li>With honest ownership no ring can overflow: each holds at least slot count entries. A client that does not
 *   drain rxReady just leaves the driver without buffers to post, and the card drops (and counts) frames.</li>
 * </ul>
 * The client's side of these rules, with its own owner table, is {@link ChannelEndpoint}.
 *
 * <h2>Liveness</h2>
 * The queue driver writes its pid and a heartbeat ({@code System.nanoTime}) into the header and moves the state
 * INITIALISING to ACTIVE once it serves the rings, and to CLOSED when it stops; the card driver sets REVOKED to take
 * the queue away. The client writes its heartbeat and pid likewise, and {@link QueueChannelHeader#CLIENT_PID_LEFT} when
 * it leaves in order.
 * <p>
 * The mapping belongs to this object: {@link #close()} unmaps it, after which no buffer obtained from it may be used.
 * Files are created readable and writable by their owner only.
 */
public final class QueueChannel implements AutoCloseable
{
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_DIRECTORY =
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    private final MemorySegment memory;
    private final Arena arena;
    private final String description;
    private final QueueChannelLayout layout;
    private final QueueChannelHeader header;
    private final IndexRing rxReady;
    private final IndexRing rxFree;
    private final IndexRing txReady;
    private final IndexRing txDone;
    private final ForwardRing forwardRing;
    private final WakeWord driverWake;
    private final WakeWord clientWake;
    private final SlotMetadata metadata;
    private final UnsafeBuffer pool;
    private boolean closed;

    private QueueChannel(final MemorySegment memory, final Arena arena, final String description,
        final QueueChannelLayout layout)
    {
        this.memory = memory;
        this.arena = arena;
        this.description = description;
        this.layout = layout;
        this.header = new QueueChannelHeader(buffer(0, QueueChannelLayout.HEADER_LENGTH));
        this.rxReady = ring(QueueChannelLayout.RX_READY);
        this.rxFree = ring(QueueChannelLayout.RX_FREE);
        this.txReady = ring(QueueChannelLayout.TX_READY);
        this.txDone = ring(QueueChannelLayout.TX_DONE);
        final UnsafeBuffer headerBuffer = buffer(0, QueueChannelLayout.HEADER_LENGTH);
        this.driverWake = new WakeWord().wrap(headerBuffer, QueueChannelHeader.DRIVER_WAKE_OFFSET);
        this.clientWake = new WakeWord().wrap(headerBuffer, QueueChannelHeader.CLIENT_WAKE_OFFSET);
        this.forwardRing = new ForwardRing(buffer(layout.forwardRingOffset(), ForwardRing.LENGTH), driverWake);
        this.metadata = new SlotMetadata(buffer(layout.metadataOffset(), layout.metadataLength()));
        this.pool = buffer(layout.poolOffset(), layout.poolLength());
    }

    /**
     * Creates a new channel file, owner-only, sized and formatted for {@code slotCount} slots (state INITIALISING),
     * and maps it. Missing parent directories are created owner-only too.
     *
     * @throws QueueChannelException if the file exists already or cannot be created
     */
    public static QueueChannel create(final Path file, final int queueId, final int slotCount)
    {
        final QueueChannelLayout layout = QueueChannelLayout.of(slotCount);
        checkQueueId(queueId);
        final Arena arena = Arena.ofShared();
        boolean created = false;
        try
        {
            final Path parent = file.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent))
            {
                Files.createDirectories(parent, OWNER_ONLY_DIRECTORY);
            }
            final MemorySegment memory;
            final Set<StandardOpenOption> options =
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try (FileChannel channel =
                FileChannel.open(file, options, PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE)))
            {
                created = true;
                // Extends the file sparsely: tmpfs allocates pages only where they are touched.
                channel.write(ByteBuffer.wrap(new byte[1]), layout.fileLength() - 1);
                memory = channel.map(FileChannel.MapMode.READ_WRITE, 0, layout.fileLength(), arena);
            }
            Files.setPosixFilePermissions(file, OWNER_ONLY_FILE);
            return format(memory, arena, queueId, slotCount, file.toString());
        }
        catch (final FileAlreadyExistsException ex)
        {
            arena.close();
            throw new QueueChannelException("queue channel " + file + " already exists: another card driver of this " +
                "instance, or a stale file of a previous one (delete it first)", ex);
        }
        catch (final IOException | RuntimeException ex)
        {
            arena.close();
            if (created)
            {
                deleteQuietly(file);
            }
            throw ex instanceof QueueChannelException channelException ? channelException :
                new QueueChannelException("cannot create queue channel " + file + ": " + ex, ex);
        }
    }

    /**
     * Formats memory that is already mapped (e.g. a file on hugetlbfs created through a DMA allocator) as a new
     * channel, state INITIALISING.
     *
     * @param memory at least {@link QueueChannelLayout#fileLength()} bytes, page aligned
     * @param arena  closed by {@link #close()}; null if the caller owns the mapping
     */
    public static QueueChannel format(final MemorySegment memory, final Arena arena, final int queueId,
        final int slotCount, final String description)
    {
        final QueueChannelLayout layout = QueueChannelLayout.of(slotCount);
        checkQueueId(queueId);
        if (memory.byteSize() < layout.fileLength())
        {
            throw new QueueChannelException("queue channel " + description + ": " + memory.byteSize() +
                " bytes of memory, " + slotCount + " slots need " + layout.fileLength());
        }
        memory.asSlice(QueueChannelLayout.HEADER_LENGTH, layout.metadataOffset() + layout.metadataLength() -
            QueueChannelLayout.HEADER_LENGTH).fill((byte)0);
        final QueueChannel channel = new QueueChannel(memory, arena, description, layout);
        channel.header.format(queueId, layout);
        return channel;
    }

    /**
     * Maps an existing channel file and checks its header.
     *
     * @throws QueueChannelException naming the file and what is wrong: missing, truncated, not a channel, another
     *                               layout version, inconsistent sizes
     */
    public static QueueChannel open(final Path file)
    {
        final Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final long size = channel.size();
            if (size < QueueChannelLayout.HEADER_LENGTH)
            {
                throw new QueueChannelException("queue channel " + file + " is truncated: " + size +
                    " bytes, its header alone needs " + QueueChannelLayout.HEADER_LENGTH);
            }
            return wrap(channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena), arena, file.toString());
        }
        catch (final NoSuchFileException ex)
        {
            arena.close();
            throw new QueueChannelException("queue channel " + file + " does not exist", ex);
        }
        catch (final IOException ex)
        {
            arena.close();
            throw new QueueChannelException("cannot open queue channel " + file + ": " + ex, ex);
        }
        catch (final RuntimeException ex)
        {
            arena.close();
            throw ex;
        }
    }

    /**
     * Takes over a mapping of a whole channel file made elsewhere (e.g. by a DMA allocator) and checks its header.
     *
     * @param arena closed by {@link #close()}; null if the caller owns the mapping
     * @throws QueueChannelException as {@link #open(Path)}
     */
    public static QueueChannel wrap(final MemorySegment memory, final Arena arena, final String description)
    {
        final String what = "queue channel " + description;
        if (memory.byteSize() < QueueChannelLayout.HEADER_LENGTH)
        {
            throw new QueueChannelException(what + " is truncated: " + memory.byteSize() +
                " bytes, its header alone needs " + QueueChannelLayout.HEADER_LENGTH);
        }
        final QueueChannelHeader header =
            new QueueChannelHeader(new UnsafeBuffer(memory.address(), QueueChannelLayout.HEADER_LENGTH));
        final long magic = header.magic();
        if (magic != QueueChannelHeader.MAGIC)
        {
            throw new QueueChannelException(what + (magic == 0 ? " is not formatted (magic 0)" :
                String.format(" is not a nicq queue channel (magic 0x%016X, expected 0x%016X)", magic,
                QueueChannelHeader.MAGIC)));
        }
        if (header.version() != QueueChannelHeader.VERSION)
        {
            throw new QueueChannelException(what + " has layout version " + header.version() + ", this side reads " +
                "version " + QueueChannelHeader.VERSION);
        }
        final int slotCount = header.slotCount();
        if (slotCount < QueueChannelLayout.MIN_SLOT_COUNT || slotCount > QueueChannelLayout.MAX_SLOT_COUNT)
        {
            throw new QueueChannelException(what + ": slot count " + slotCount + " is outside [" +
                QueueChannelLayout.MIN_SLOT_COUNT + ", " + QueueChannelLayout.MAX_SLOT_COUNT + "]");
        }
        final QueueChannelLayout layout = QueueChannelLayout.of(slotCount);
        checkField(what, "slot size", header.slotSize(), QueueChannelLayout.SLOT_SIZE);
        checkField(what, "ring capacity", header.ringCapacity(), layout.ringCapacity());
        checkField(what, "metadata record length", header.metadataRecordLength(),
            QueueChannelLayout.METADATA_RECORD_LENGTH);
        checkField(what, "rings offset", header.ringsOffset(), layout.ringOffset(0));
        checkField(what, "forward ring offset", header.forwardRingOffset(), layout.forwardRingOffset());
        checkField(what, "metadata offset", header.metadataOffset(), layout.metadataOffset());
        checkField(what, "pool offset", header.poolOffset(), layout.poolOffset());
        checkField(what, "file length", header.fileLength(), layout.fileLength());
        if (memory.byteSize() < layout.fileLength())
        {
            throw new QueueChannelException(what + " is truncated: " + memory.byteSize() + " bytes, its header says " +
                layout.fileLength());
        }
        return new QueueChannel(memory, arena, description, layout);
    }

    public QueueChannelLayout layout()
    {
        return layout;
    }

    public QueueChannelHeader header()
    {
        return header;
    }

    /** Received frames, queue driver to client. */
    public IndexRing rxReady()
    {
        return rxReady;
    }

    /** Empty slots for RX refill, client to queue driver. */
    public IndexRing rxFree()
    {
        return rxFree;
    }

    /** Frames to send, client to queue driver. */
    public IndexRing txReady()
    {
        return txReady;
    }

    /** Slots free again, queue driver to client. */
    public IndexRing txDone()
    {
        return txDone;
    }

    /** Frames the card driver forwards to this queue from software filters; the queue driver takes them. */
    /**
     * The queue driver's wake word in the header ({@link QueueChannelHeader#DRIVER_WAKE_OFFSET}): the queue driver
     * sleeps on it (beside its interrupt vector); the client and the forward ring's producer signal it. This mapping's
     * flyweight: one thread sleeps on it; signalling from others only wakes.
     */
    public WakeWord driverWake()
    {
        return driverWake;
    }

    /** The client's wake word ({@link QueueChannelHeader#CLIENT_WAKE_OFFSET}): the queue driver signals it. */
    public WakeWord clientWake()
    {
        return clientWake;
    }

    public ForwardRing forwardRing()
    {
        return forwardRing;
    }

    public SlotMetadata metadata()
    {
        return metadata;
    }

    /** The packet pool: slot {@code s}'s frame starts at {@link #frameOffset(int) frameOffset(s)}. */
    public AtomicBuffer pool()
    {
        return pool;
    }

    /** The packet pool as a segment: what the queue driver registers for DMA. */
    public MemorySegment poolSegment()
    {
        return memory.asSlice(layout.poolOffset(), layout.poolLength());
    }

    /** Offset of the pool in the file (what a DMA allocator needs with the file to reach the memory). */
    public long poolOffset()
    {
        return layout.poolOffset();
    }

    /** Offset of slot {@code slot}'s frame in {@link #pool()}. */
    public static int frameOffset(final int slot)
    {
        return slot * QueueChannelLayout.SLOT_SIZE;
    }

    public int queueId()
    {
        return header.queueId();
    }

    public int slotCount()
    {
        return layout.slotCount();
    }

    public int slotSize()
    {
        return QueueChannelLayout.SLOT_SIZE;
    }

    /** The file (or memory) this channel maps, for messages. */
    public String description()
    {
        return description;
    }

    public boolean isClosed()
    {
        return closed;
    }

    /** Unmaps the channel if this object owns the mapping. Idempotent. */
    public void close()
    {
        if (!closed)
        {
            closed = true;
            driverWake.close();
            clientWake.close();
            if (arena != null)
            {
                arena.close();
            }
        }
    }

    public String toString()
    {
        return "QueueChannel{" + description + ", queue " + header.queueId() + ", " + layout.slotCount() + " slots}";
    }

    private UnsafeBuffer buffer(final long offset, final long length)
    {
        return new UnsafeBuffer(memory.address() + offset, Math.toIntExact(length));
    }

    private IndexRing ring(final int ring)
    {
        return new IndexRing(buffer(layout.ringOffset(ring), layout.ringLength()), layout.ringCapacity());
    }

    private static void deleteQuietly(final Path file)
    {
        try
        {
            Files.deleteIfExists(file);
        }
        catch (final IOException ignore)
        {
            // The creation failed already; that error is the one worth reporting.
        }
    }

    private static void checkQueueId(final int queueId)
    {
        if (queueId < 0)
        {
            throw new IllegalArgumentException("queue id " + queueId + " is negative");
        }
    }

    private static void checkField(final String what, final String field, final long actual, final long expected)
    {
        if (actual != expected)
        {
            throw new QueueChannelException(what + ": header field " + field + " is " + actual + ", the layout " +
                "implies " + expected);
        }
    }
}
