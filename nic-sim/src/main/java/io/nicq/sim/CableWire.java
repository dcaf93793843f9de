package io.nicq.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

import io.nicq.ixgbe.IommuTable;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.runtime.WakeWord;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One end of a simulated cable ({@code cable:NAME:a} or {@code cable:NAME:b}): two {@link FrameRing}s in one shared
 * file, one per direction, so two cards in one process or in two processes are joined. Either end may start first:
 * the file is created complete under a temporary name and linked into place, and each end claims its slot with CAS.
 * <pre>
 *   0                 8         12         16                64            72            80
 *   +-----------------+---------+----------+----- ... -------+-------------+-------------+--- ... ---+
 *   | magic NICQCABL  | version | capacity |                 | pid of a    | pid of b    |           |
 *   +-----------------+---------+----------+----- ... -------+-------------+-------------+--- ... ---+
 *   128                     136                     144                                          4096
 *   +-----------------------+-----------------------+------------------------------------- ... ---+
 *   | wake word: frames for | wake word: frames for |                                              |
 *   | a (WakeWord, 8 bytes) | b (WakeWord, 8 bytes) |                                              |
 *   +-----------------------+-----------------------+------------------------------------- ... ---+
 *   4096: ring a -> b (FrameRing, capacity bytes of records); then ring b -> a
 * </pre>
 * An end signals the far end's wake word after each frame it puts on the ring ({@link #arrivals()}): an idle card
 * sleeps on it beside its doorbell, and while nobody sleeps the signal is one atomic add. A cable file of an earlier
 * build has zeros there, which is a valid word: its cards never signal it, so a sleeper wakes only at its bound.
 * Like a real cable, frames sent while the far end is not attached are lost: a sender without a live peer drops them
 * (the card counts them), and an end discards whatever is waiting for it when it attaches. While the peer is attached
 * and merely behind, {@link #send} says {@link Wire#BUSY} so the card keeps the frame in its TX ring (flow control, not
 * loss).
 */
public final class CableWire implements Wire
{
    public static final int DEFAULT_CAPACITY = 4 * 1024 * 1024;
    public static final int VERSION = 1;
    private static final int HEADER_SIZE = 4096;
    private static final int MAGIC_OFFSET = 0;
    private static final int VERSION_OFFSET = 8;
    private static final int CAPACITY_OFFSET = 12;
    private static final int PID_A_OFFSET = 64;
    private static final int PID_B_OFFSET = 72;
    private static final int WAKE_A_OFFSET = 128;
    private static final int WAKE_B_OFFSET = 136;
    private static final long MAGIC = 0x4C4241435143494EL; // "NICQCABL" little endian
    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final Path file;
    private final String name;
    private final boolean endA;
    private final Arena arena;
    private final MemorySegment segment;
    private final FrameRing outbound;
    private final FrameRing inbound;
    private final long pid = ProcessHandle.current().pid();
    private final int myPidOffset;
    private final int peerPidOffset;
    /** Signalled by the far end when it sent this end a frame; slept on by this card's device loop. */
    private final WakeWord inboundArrivals = new WakeWord();
    /** The far end's word, signalled after every frame this end sends. */
    private final WakeWord outboundArrivals = new WakeWord();
    private boolean peerPresent;
    private long lastPeerChecked = -1;
    private boolean closed;

    private CableWire(final Path file, final String name, final boolean endA, final Arena arena,
        final MemorySegment segment, final int capacity)
    {
        this.file = file;
        this.name = name;
        this.endA = endA;
        this.arena = arena;
        this.segment = segment;
        final MemorySegment aToB = segment.asSlice(HEADER_SIZE, FrameRing.regionSize(capacity));
        final MemorySegment bToA = segment.asSlice(HEADER_SIZE + FrameRing.regionSize(capacity),
            FrameRing.regionSize(capacity));
        this.outbound = new FrameRing(endA ? aToB : bToA, capacity);
        this.inbound = new FrameRing(endA ? bToA : aToB, capacity);
        this.myPidOffset = endA ? PID_A_OFFSET : PID_B_OFFSET;
        this.peerPidOffset = endA ? PID_B_OFFSET : PID_A_OFFSET;
        final UnsafeBuffer header = new UnsafeBuffer(segment.address(), HEADER_SIZE);
        inboundArrivals.wrap(header, endA ? WAKE_A_OFFSET : WAKE_B_OFFSET);
        outboundArrivals.wrap(header, endA ? WAKE_B_OFFSET : WAKE_A_OFFSET);
    }

    /**
     * Attaches to end {@code a} or {@code b} of the cable {@code name} under {@code baseDir}, creating the cable if
     * neither end exists yet.
     *
     * @param capacity bytes per direction for a new cable (an existing cable keeps its own)
     * @throws IllegalStateException if a live process (or another card of this one) already holds that end
     */
    public static CableWire open(final Path baseDir, final String name, final String end, final int capacity)
    {
        if (!"a".equals(end) && !"b".equals(end))
        {
            throw new IllegalArgumentException("cable end '" + end + "' must be a or b");
        }
        final Path file = SimulatedCardFiles.cableFile(baseDir, name);
        createIfAbsent(file, capacity);
        final Arena arena = Arena.ofShared();
        try
        {
            final MemorySegment segment;
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                segment = channel.map(FileChannel.MapMode.READ_WRITE, 0, channel.size(), arena);
            }
            if (segment.byteSize() < HEADER_SIZE || (long)LONG.getAcquire(segment, (long)MAGIC_OFFSET) != MAGIC ||
                (int)INT.get(segment, (long)VERSION_OFFSET) != VERSION)
            {
                throw new IllegalStateException("cable file " + file + " is not a nicq cable of version " + VERSION +
                    " (delete it if no card uses it)");
            }
            final int existingCapacity = (int)INT.get(segment, (long)CAPACITY_OFFSET);
            if (segment.byteSize() < HEADER_SIZE + 2 * FrameRing.regionSize(existingCapacity))
            {
                throw new IllegalStateException("cable file " + file + " is shorter than its header says");
            }
            final CableWire wire = new CableWire(file, name, "a".equals(end), arena, segment, existingCapacity);
            wire.claim();
            return wire;
        }
        catch (final IOException ex)
        {
            arena.close();
            throw new UncheckedIOException("cannot open cable " + file, ex);
        }
        catch (final RuntimeException ex)
        {
            arena.close();
            throw ex;
        }
    }

    public int send(final MemorySegment frame, final long offset, final int length)
    {
        if (!peerPresent && !checkPeer())
        {
            return DROPPED; // nobody on the other end: the frame goes nowhere, as on an unplugged cable
        }
        if (outbound.offer(frame, offset, length))
        {
            outboundArrivals.signal();
            return SENT;
        }
        return length <= MAX_FRAME_LENGTH ? BUSY : DROPPED;
    }

    /** Whether a peer has attached since the last look: one load, and a liveness check only when the slot changed. */
    private boolean checkPeer()
    {
        final long peer = (long)LONG.getVolatile(segment, (long)peerPidOffset);
        if (peer != lastPeerChecked)
        {
            lastPeerChecked = peer;
            peerPresent = peer != 0 && IommuTable.isAlive((int)peer);
        }
        return peerPresent;
    }

    public int poll(final FrameSink sink, final int limit)
    {
        return inbound.poll(sink, limit);
    }

    public boolean isConnected()
    {
        return true;
    }

    public WakeWord arrivals()
    {
        return inboundArrivals;
    }

    /** Whether the far end is attached by a live process (refreshed by {@link #housekeeping()}). */
    public boolean isPeerPresent()
    {
        return peerPresent;
    }

    public void housekeeping()
    {
        // A peer killed without detaching leaves its pid behind: only a liveness check notices.
        final long peer = (long)LONG.getVolatile(segment, (long)peerPidOffset);
        lastPeerChecked = peer;
        peerPresent = peer != 0 && IommuTable.isAlive((int)peer);
    }

    public String description()
    {
        return "cable:" + name + ":" + (endA ? "a" : "b");
    }

    public Path file()
    {
        return file;
    }

    /** Detaches; the last end to leave deletes the cable file. */
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        LONG.compareAndSet(segment, (long)myPidOffset, pid, 0L);
        final long peer = (long)LONG.getVolatile(segment, (long)peerPidOffset);
        inboundArrivals.close();
        outboundArrivals.close();
        arena.close();
        if (peer == 0 || !IommuTable.isAlive((int)peer))
        {
            try
            {
                Files.deleteIfExists(file);
            }
            catch (final IOException ignore)
            {
                // The next end to attach reuses a leftover file.
            }
        }
    }

    private void claim()
    {
        while (true)
        {
            final long holder = (long)LONG.getVolatile(segment, (long)myPidOffset);
            if (holder != 0 && IommuTable.isAlive((int)holder))
            {
                throw new IllegalStateException(description() + " is already attached by " +
                    (holder == pid ? "another card of this process" : "pid " + holder) + " (" + file + ")");
            }
            if (LONG.compareAndSet(segment, (long)myPidOffset, holder, pid))
            {
                break;
            }
        }
        // Frames sent towards this end while it was detached never reached a port: drop them.
        inbound.discardAll();
        housekeeping();
    }

    private static void createIfAbsent(final Path file, final int capacity)
    {
        if (Files.exists(file))
        {
            return;
        }
        final Path temp = file.resolveSibling(file.getFileName() + ".new-" + ProcessHandle.current().pid() + "-" +
            System.nanoTime());
        try
        {
            Files.createDirectories(file.getParent(),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (Arena arena = Arena.ofConfined();
                FileChannel channel = FileChannel.open(temp, StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                final long size = HEADER_SIZE + 2 * FrameRing.regionSize(capacity);
                // Mapping READ_WRITE beyond the end of the new, empty file sizes it (zero-filled).
                final MemorySegment segment = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
                new FrameRing(segment.asSlice(HEADER_SIZE, FrameRing.regionSize(capacity)), capacity);
                INT.set(segment, (long)VERSION_OFFSET, VERSION);
                INT.set(segment, (long)CAPACITY_OFFSET, capacity);
                LONG.setRelease(segment, (long)MAGIC_OFFSET, MAGIC);
            }
            try
            {
                // A hard link fails if the name exists: of two ends starting together, exactly one cable wins.
                Files.createLink(file, temp);
            }
            catch (final FileAlreadyExistsException lost)
            {
                // The other end created it first: use theirs.
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create cable " + file, ex);
        }
        finally
        {
            try
            {
                Files.deleteIfExists(temp);
            }
            catch (final IOException ignore)
            {
                // A leftover temporary file does no harm.
            }
        }
    }
}
