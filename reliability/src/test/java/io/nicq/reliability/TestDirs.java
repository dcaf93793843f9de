package io.nicq.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Private roots for a test's instances and simulated cards: on tmpfs ({@code /dev/shm}) like the real thing, so that
 * shared-memory files behave as in production, with a unique name, removed afterwards.
 */
final class TestDirs
{
    private static final Path SHM = Path.of("/dev/shm");

    private TestDirs()
    {
    }

    static Path create(final String prefix)
    {
        try
        {
            final Path base = Files.isDirectory(SHM) && Files.isWritable(SHM) ? SHM :
                Path.of(System.getProperty("java.io.tmpdir"));
            return Files.createTempDirectory(base, "nicq-reliability-" + prefix + "-");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** Removes a root and everything under it; quiet about files that are already gone. */
    static void delete(final Path root)
    {
        if (root == null || !Files.exists(root))
        {
            return;
        }
        try (Stream<Path> walk = Files.walk(root))
        {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        catch (final IOException | UncheckedIOException ex)
        {
            // Something vanished underneath (a process still exiting): a second pass gets the rest.
            try (Stream<Path> walk = Files.walk(root))
            {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            catch (final IOException | UncheckedIOException ignore)
            {
                // Left for the OS; the name is unique, so it disturbs no other run.
            }
        }
    }
}
