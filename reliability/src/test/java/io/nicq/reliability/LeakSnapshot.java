package io.nicq.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import io.nicq.card.CountersFile;
import io.nicq.ixgbe.IommuTable;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.proto.InstancePaths;

/**
 * Everything a leak would show in, taken at one moment: the card driver's counters (by label) and how many counters
 * are allocated, the files of the instance (the media driver's directory aside) and of the card's DMA directory,
 * the IOMMU entries in use, and this process's file descriptors, memory mappings, threads, heap after a full GC and
 * resident set.
 */
record LeakSnapshot(
    Map<String, Long> counters,
    int allocatedCounters,
    List<String> instanceFiles,
    List<String> dmaFiles,
    int iommuEntries,
    Map<Integer, Integer> iommuEntriesByPid,
    long fileDescriptors,
    long mappings,
    int threads,
    long heapAfterGcBytes,
    long rssBytes)
{
    static LeakSnapshot take(final InstancePaths paths, final SimulatedCardFiles sim)
    {
        final Map<String, Long> counters = new TreeMap<>();
        int allocated = 0;
        if (Files.exists(paths.countersFile()))
        {
            final CountersFile file = CountersFile.openReadOnly(paths.countersFile());
            try
            {
                final int[] count = new int[1];
                file.reader().forEach((counterId, typeId, keyBuffer, label) ->
                {
                    count[0]++;
                    counters.put(label, file.reader().getCounterValue(counterId));
                });
                allocated = count[0];
            }
            finally
            {
                file.close();
            }
        }

        int entries = 0;
        final Map<Integer, Integer> byPid = new TreeMap<>();
        if (Files.exists(sim.iommuFile()))
        {
            try (IommuTable table = IommuTable.open(sim.iommuFile()))
            {
                for (int i = 0; i < table.capacity(); i++)
                {
                    if (table.state(i) != IommuTable.FREE)
                    {
                        entries++;
                        byPid.merge(table.ownerPid(i), 1, Integer::sum);
                    }
                }
            }
        }

        return new LeakSnapshot(
            counters,
            allocated,
            files(paths.root(), paths.aeronDir()),
            files(sim.dmaDir(), null),
            entries,
            byPid,
            count(Path.of("/proc/self/fd")),
            lines(Path.of("/proc/self/maps")),
            ManagementFactory.getThreadMXBean().getThreadCount(),
            heapAfterGc(),
            rss());
    }

    long counter(final String label)
    {
        final Long value = counters.get(label);
        if (value == null)
        {
            throw new IllegalStateException("no counter '" + label + "' in " + counters.keySet());
        }
        return value;
    }

    /** The figures a leak report needs, one line. */
    String describe()
    {
        return "clients " + counters.get("clients connected") + ", queues in use " +
            counters.get("queues in use (queue 0 included)") + ", filters in use " + counters.get("filters in use") +
            ", counters allocated " + allocatedCounters + ", instance files " + instanceFiles + ", DMA files " +
            dmaFiles.size() + ", IOMMU entries " + iommuEntries + " " + iommuEntriesByPid + ", fds " +
            fileDescriptors + ", mappings " + mappings + ", threads " + threads + ", heap after GC " +
            heapAfterGcBytes / 1024 + " KiB, RSS " + rssBytes / 1024 + " KiB";
    }

    private static List<String> files(final Path root, final Path excluded)
    {
        final List<String> files = new ArrayList<>();
        if (!Files.isDirectory(root))
        {
            return files;
        }
        try (Stream<Path> walk = Files.walk(root))
        {
            walk.filter(p -> excluded == null || !p.startsWith(excluded))
                .filter(Files::isRegularFile)
                .map(p -> root.relativize(p).toString())
                .sorted()
                .forEach(files::add);
        }
        catch (final UncheckedIOException ex)
        {
            // A file vanished while listing (a queue being released): list again.
            if (ex.getCause() instanceof NoSuchFileException)
            {
                return files(root, excluded);
            }
            throw ex;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return files;
    }

    private static long count(final Path dir)
    {
        try (Stream<Path> list = Files.list(dir))
        {
            return list.count();
        }
        catch (final IOException ex)
        {
            return -1;
        }
    }

    private static long lines(final Path file)
    {
        try (Stream<String> lines = Files.lines(file))
        {
            return lines.count();
        }
        catch (final IOException ex)
        {
            return -1;
        }
    }

    private static long heapAfterGc()
    {
        for (int i = 0; i < 3; i++)
        {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long rss()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/self/status")))
            {
                if (line.startsWith("VmRSS:"))
                {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        }
        catch (final IOException | NumberFormatException ex)
        {
            return -1;
        }
        return -1;
    }
}
