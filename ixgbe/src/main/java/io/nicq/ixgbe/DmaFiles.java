package io.nicq.ixgbe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** File helpers shared by the DMA allocators: owner-only files mapped shared. */
final class DmaFiles
{
    static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_FILE =
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_DIR =
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    private DmaFiles()
    {
    }

    /**
     * Creates (replacing an old file of that name: a leftover of a dead process) an owner-only file of {@code size}
     * bytes and maps it shared. A new file reads as zeros.
     */
    static MemorySegment createAndMap(final Path file, final long size, final Arena arena)
    {
        if (size <= 0)
        {
            throw new IllegalArgumentException("DMA file " + file + ": size " + size + " must be positive");
        }
        try
        {
            final Path parent = file.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent))
            {
                Files.createDirectories(parent, OWNER_ONLY_DIR);
            }
            Files.deleteIfExists(file);
            Files.createFile(file, OWNER_ONLY_FILE);
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                // Mapping READ_WRITE beyond the end of the new, empty file sizes it (zero-filled).
                return channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create DMA file " + file + " of " + size + " bytes", ex);
        }
    }

    /** Maps the whole of an existing regular file shared, read-write. */
    static MemorySegment map(final Path file, final Arena arena)
    {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS))
        {
            throw new IllegalArgumentException("DMA file " + file + " does not exist or is not a regular file");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS))
        {
            final long size = channel.size();
            if (size == 0)
            {
                throw new IllegalArgumentException("DMA file " + file + " is empty");
            }
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot map DMA file " + file, ex);
        }
    }

    /**
     * Deletes the private DMA files ({@code nicq-<pid>-<tag>-<n>}, as the hugetlbfs allocators name them) of
     * processes that are gone: a queue driver killed with -9 never deletes its rings, and on hugetlbfs each holds a
     * 2 MiB page until someone does. Files of live pids are kept (a reused pid keeps a leftover, which is harmless).
     *
     * @return files deleted
     */
    static int deleteFilesOfDeadProcesses(final Path directory)
    {
        int deleted = 0;
        try (java.nio.file.DirectoryStream<Path> files = Files.newDirectoryStream(directory, "nicq-*-*"))
        {
            for (final Path file : files)
            {
                final String[] parts = file.getFileName().toString().split("-");
                final long pid;
                try
                {
                    pid = Long.parseLong(parts[1]);
                }
                catch (final NumberFormatException ex)
                {
                    continue;
                }
                if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) &&
                    !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                {
                    deleteQuietly(file);
                    deleted++;
                }
            }
        }
        catch (final IOException ex)
        {
            return deleted;
        }
        return deleted;
    }

    /** Deletes a file, ignoring that it is already gone. */
    static void deleteQuietly(final Path file)
    {
        try
        {
            Files.deleteIfExists(file);
        }
        catch (final IOException ignore)
        {
            // Best effort: a file left behind is reclaimed with its directory.
        }
    }
}
