package io.nicq.sim;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.nicq.ixgbe.IommuTable;

/**
 * The device's view of its {@link IommuTable}: translates an IOVA range into memory the device may touch. The table is
 * rescanned only when its change counter moves; a backing file is mapped the first time a DMA needs it and unmapped
 * when its entry goes. Lookups (binary search over the active ranges, with the last hit tried first) allocate nothing.
 * <p>
 * A backing file must be a regular file (not a symbolic link) owned by the owner of the IOMMU table, and long enough
 * for its range: the device never maps anything else, whatever a process with access to the table wrote into it.
 * <p>
 * A lookup that misses rescans the table if it changed and tries again, so memory registered an instant before the
 * tail write that posts it is found (a real IOMMU mapping is in place when the map call returns). A range removed by
 * such a rescan is not unmapped at once, since the device may be in the middle of using it: it is retired, and
 * {@link #releaseRetired()} unmaps it at a point where the device holds no reference (the start of its next pass).
 * <p>
 * Used by the device loop's thread only.
 */
final class DeviceIommu implements AutoCloseable
{
    private final IommuTable table;
    private final UserPrincipal tableOwner;
    private long seenChange = Long.MIN_VALUE;

    private int count;
    private long[] iovas = new long[16];
    private long[] lengths = new long[16];
    private long[] fileOffsets = new long[16];
    private Path[] paths = new Path[16];
    private MemorySegment[] segments = new MemorySegment[16];
    private Arena[] arenas = new Arena[16];
    private boolean[] broken = new boolean[16];
    private int lastHit;
    private long mappingFailures;
    private boolean changedSinceLook;
    private final List<Arena> retired = new ArrayList<>();

    DeviceIommu(final IommuTable table)
    {
        this.table = table;
        UserPrincipal owner = null;
        try
        {
            owner = Files.getOwner(table.file());
        }
        catch (final IOException ignore)
        {
            // Without an owner to compare with, every file is refused (see map).
        }
        this.tableOwner = owner;
    }

    IommuTable table()
    {
        return table;
    }

    /**
     * Rescans the table if it changed; returns true if it did, or if a lookup rescanned it since the last call: the
     * caller then revalidates what it cached and calls {@link #releaseRetired()}.
     */
    boolean refreshIfChanged()
    {
        final long change = table.changeCounter();
        if (change != seenChange)
        {
            seenChange = change;
            rescan();
        }
        final boolean changed = changedSinceLook;
        changedSinceLook = false;
        return changed;
    }

    /** Unmaps the ranges removed by earlier rescans: call only when nothing refers to their memory any more. */
    void releaseRetired()
    {
        for (final Arena arena : retired)
        {
            arena.close();
        }
        retired.clear();
    }

    /**
     * The index of the active range holding all of [iova, iova + length), mapped; -1 if there is none (a DMA fault)
     * or its file cannot be mapped.
     */
    int find(final long iova, final long length)
    {
        if (length <= 0)
        {
            return -1;
        }
        int index = lastHit;
        if (index >= count || !contains(index, iova, length))
        {
            index = search(iova);
            if (index < 0 || !contains(index, iova, length))
            {
                final long change = table.changeCounter();
                if (change == seenChange)
                {
                    return -1;
                }
                seenChange = change;
                rescan();
                index = search(iova);
                if (index < 0 || !contains(index, iova, length))
                {
                    return -1;
                }
            }
            lastHit = index;
        }
        if (segments[index] == null && !map(index))
        {
            return -1;
        }
        return index;
    }

    MemorySegment segment(final int index)
    {
        return segments[index];
    }

    long offset(final int index, final long iova)
    {
        return iova - iovas[index];
    }

    /** IOVA of the range an index refers to (unique for the life of the table: identifies a mapping). */
    long iovaOf(final int index)
    {
        return iovas[index];
    }

    int activeRanges()
    {
        return count;
    }

    long mappingFailures()
    {
        return mappingFailures;
    }

    public void close()
    {
        for (int i = 0; i < count; i++)
        {
            unmap(i);
        }
        count = 0;
        releaseRetired();
    }

    private boolean contains(final int index, final long iova, final long length)
    {
        final long offset = iova - iovas[index];
        return offset >= 0 && offset < lengths[index] && length <= lengths[index] - offset;
    }

    private int search(final long iova)
    {
        int low = 0;
        int high = count - 1;
        while (low <= high)
        {
            final int mid = (low + high) >>> 1;
            if (iovas[mid] <= iova)
            {
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }
        return high;
    }

    private boolean map(final int index)
    {
        if (broken[index])
        {
            return false;
        }
        final Path path = paths[index];
        final Arena arena = Arena.ofShared();
        try
        {
            final PosixFileAttributes attributes =
                Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attributes.isRegularFile() || tableOwner == null || !tableOwner.equals(attributes.owner()) ||
                attributes.size() < fileOffsets[index] + lengths[index])
            {
                throw new IOException("not a regular file of the card's owner, or shorter than its range");
            }
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS))
            {
                segments[index] = channel.map(FileChannel.MapMode.READ_WRITE, fileOffsets[index], lengths[index],
                    arena);
                arenas[index] = arena;
                return true;
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            arena.close();
            broken[index] = true;
            mappingFailures++;
            return false;
        }
    }

    private void unmap(final int index)
    {
        if (arenas[index] != null)
        {
            retired.add(arenas[index]);
            arenas[index] = null;
        }
        segments[index] = null;
    }

    private void rescan()
    {
        final int capacity = table.capacity();
        final long[] newIovas = new long[capacity];
        final long[] newLengths = new long[capacity];
        final long[] newOffsets = new long[capacity];
        final Path[] newPaths = new Path[capacity];
        final long[] entryIova = new long[1];
        int n = 0;
        for (int entry = 0; entry < capacity; entry++)
        {
            if (table.state(entry) != IommuTable.ACTIVE)
            {
                continue;
            }
            final int i = n;
            final int e = entry;
            entryIova[0] = table.readActive(entry, () ->
            {
                newLengths[i] = table.length(e);
                newOffsets[i] = table.fileOffset(e);
                newPaths[i] = table.path(e);
            });
            if (entryIova[0] >= 0 && newPaths[i] != null && newLengths[i] > 0 && newOffsets[i] >= 0)
            {
                newIovas[i] = entryIova[0];
                n++;
            }
        }

        // Sort the new ranges by IOVA (small n, control path: a simple index sort).
        final Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Long.compare(newIovas[x], newIovas[y]));

        final int size = Math.max(16, n);
        final long[] iovas2 = new long[size];
        final long[] lengths2 = new long[size];
        final long[] offsets2 = new long[size];
        final Path[] paths2 = new Path[size];
        final MemorySegment[] segments2 = new MemorySegment[size];
        final Arena[] arenas2 = new Arena[size];
        final boolean[] broken2 = new boolean[size];
        for (int k = 0; k < n; k++)
        {
            final int i = order[k];
            iovas2[k] = newIovas[i];
            lengths2[k] = newLengths[i];
            offsets2[k] = newOffsets[i];
            paths2[k] = newPaths[i];
            // An IOVA is never reused, so the same IOVA is the same mapping: keep what is already mapped.
            final int old = indexOf(newIovas[i]);
            if (old >= 0 && lengths[old] == newLengths[i])
            {
                segments2[k] = segments[old];
                arenas2[k] = arenas[old];
                broken2[k] = broken[old];
                arenas[old] = null;
                segments[old] = null;
            }
        }
        for (int i = 0; i < count; i++)
        {
            unmap(i);
        }
        iovas = iovas2;
        lengths = lengths2;
        fileOffsets = offsets2;
        paths = paths2;
        segments = segments2;
        arenas = arenas2;
        broken = broken2;
        count = n;
        lastHit = 0;
        changedSinceLook = true;
    }

    private int indexOf(final long iova)
    {
        final int index = search(iova);
        return index >= 0 && iovas[index] == iova ? index : -1;
    }
}
