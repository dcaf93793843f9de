package io.nicq.card;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.nicq.proto.InstancePaths;
import io.nicq.proto.channel.QueueChannel;

/**
 * Ownership of an instance directory. A card driver holds an exclusive lock on {@code card-driver.pid} (which names
 * its pid) for its whole life; the operating system drops the lock when the process dies, even by kill -9. So:
 * <ul>
 *   <li>a second card driver on the same instance cannot take the lock and is refused, naming the live pid;</li>
 *   <li>a card driver that takes the lock over a pid file left behind finds a stale instance: it stops orphaned
 *       queue drivers (from the queue channels' headers) and deletes the previous files before starting.</li>
 * </ul>
 */
final class InstanceDirectory implements AutoCloseable
{
    /** How long an orphaned queue driver gets to exit after SIGTERM before SIGKILL. */
    private static final long ORPHAN_EXIT_TIMEOUT_MS = 2000;

    private final InstancePaths paths;
    private final FileChannel pidChannel;
    private final FileLock lock;
    private boolean closed;

    private InstanceDirectory(final InstancePaths paths, final FileChannel pidChannel, final FileLock lock)
    {
        this.paths = paths;
        this.pidChannel = pidChannel;
        this.lock = lock;
    }

    /**
     * Takes the instance: locks its pid file, cleans up after a dead predecessor, writes this pid.
     *
     * @throws IllegalStateException when another card driver holds the instance, naming its pid
     */
    static InstanceDirectory claim(final InstancePaths paths, final CardLog log)
    {
        final Path pidFile = paths.pidFile();
        FileChannel channel = null;
        try
        {
            Files.createDirectories(paths.root());
            channel = FileChannel.open(pidFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
            FileLock lock;
            try
            {
                lock = channel.tryLock();
            }
            catch (final OverlappingFileLockException ex)
            {
                lock = null;
            }
            final String previous = readAll(channel).trim();
            if (lock == null)
            {
                channel.close();
                throw new IllegalStateException("instance '" + paths.instance() + "' is in use by the card driver " +
                    (previous.isEmpty() ? "that holds " + pidFile : "pid " + previous + " (" + pidFile + ")"));
            }

            if (!previous.isEmpty())
            {
                log.info("stale instance at " + paths.root() + ": card driver pid " + previous +
                    " did not shut down; cleaning up");
                stopOrphanedQueueDrivers(paths, log);
                deleteContents(paths.root(), pidFile);
            }

            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)),
                0);
            channel.force(true);
            return new InstanceDirectory(paths, channel, lock);
        }
        catch (final IOException ex)
        {
            closeQuietly(channel);
            throw new IllegalStateException("cannot claim instance directory " + paths.root() + ": " + ex, ex);
        }
    }

    InstancePaths paths()
    {
        return paths;
    }

    /**
     * Removes the instance's files and releases it. The pid file goes last, with the lock, so that a new card driver
     * never finds a half-removed instance that looks live.
     */
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            deleteContents(paths.root(), paths.pidFile());
            Files.deleteIfExists(paths.pidFile());
        }
        catch (final IOException ex)
        {
            // Left behind: the next card driver on this instance cleans it as stale.
        }
        finally
        {
            try
            {
                lock.release();
            }
            catch (final IOException ignore)
            {
                // The lock goes with the channel anyway.
            }
            closeQuietly(pidChannel);
            try
            {
                Files.deleteIfExists(paths.root());
            }
            catch (final IOException ignore)
            {
                // Not empty: someone else put files there; leave them.
            }
        }
    }

    /**
     * Queue drivers of a dead card driver watch its pid and exit on their own; any that have not (yet) are stopped,
     * so they cannot write a tail register after the new card driver resets the card. A pid is only signalled if it
     * is still the queue driver the channel names (its command line says so).
     */
    private static void stopOrphanedQueueDrivers(final InstancePaths paths, final CardLog log)
    {
        if (!Files.isDirectory(paths.queuesDir()))
        {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(paths.queuesDir()))
        {
            for (final Path file : files)
            {
                final long pid;
                try (QueueChannel channel = QueueChannel.open(file))
                {
                    pid = channel.header().driverPid();
                }
                catch (final RuntimeException ex)
                {
                    continue;
                }
                final Optional<ProcessHandle> process = pid > 0 ? ProcessHandle.of(pid) : Optional.empty();
                if (process.isPresent() && process.get().isAlive() && isQueueDriver(process.get()))
                {
                    log.info("stopping orphaned queue driver pid " + pid + " of " + file);
                    process.get().destroy();
                    try
                    {
                        process.get().onExit().get(ORPHAN_EXIT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                    }
                    catch (final Exception ex)
                    {
                        process.get().destroyForcibly();
                    }
                }
            }
        }
        catch (final IOException ex)
        {
            log.info("cannot list " + paths.queuesDir() + ": " + ex.getMessage());
        }
    }

    private static boolean isQueueDriver(final ProcessHandle process)
    {
        return process.info().commandLine().map(line -> line.contains("QueueDriver")).orElse(false);
    }

    /** Deletes everything under {@code root} except {@code keep}. */
    private static void deleteContents(final Path root, final Path keep) throws IOException
    {
        if (!Files.isDirectory(root))
        {
            return;
        }
        try (Stream<Path> walk = Files.walk(root))
        {
            walk.sorted(Comparator.reverseOrder())
                .filter(path -> !path.equals(root) && !path.equals(keep))
                .forEach(path -> path.toFile().delete());
        }
    }

    private static String readAll(final FileChannel channel) throws IOException
    {
        final long size = Math.min(channel.size(), 64);
        final ByteBuffer buffer = ByteBuffer.allocate((int)size);
        channel.read(buffer, 0);
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
    }

    private static void closeQuietly(final FileChannel channel)
    {
        if (channel != null)
        {
            try
            {
                channel.close();
            }
            catch (final IOException ignore)
            {
                // Closing a file we only locked: nothing to recover.
            }
        }
    }
}
