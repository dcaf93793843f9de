package io.nicq.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Where the suite writes the figures docs/reliability.md quotes: one line per figure, appended to
 * {@code target/reliability/figures.txt} (the directory is {@code -Dnicq.figures.dir}) and echoed on standard output,
 * so a CI log and a long run both leave the numbers behind with the configuration that produced them.
 */
final class Figures
{
    private static final Path FILE = Path.of(System.getProperty("nicq.figures.dir", "target/reliability"))
        .resolve("figures.txt");

    private Figures()
    {
    }

    /** Records {@code name = value} under a section (the test class). */
    static synchronized void record(final String section, final String name, final Object value)
    {
        final String line = String.format(Locale.ROOT, "%s %s | %s = %s%n", Instant.now(), section, name, value);
        System.out.print("[figures] " + line);
        try
        {
            Files.createDirectories(FILE.getParent());
            Files.writeString(FILE, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write figures to " + FILE, ex);
        }
    }

    /** p50 and max of durations in milliseconds, for reclaim times: "p50 12.3 ms, max 45.6 ms (n = 5)". */
    static String summary(final List<Double> millis)
    {
        if (millis.isEmpty())
        {
            return "no samples";
        }
        final List<Double> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        final double p50 = sorted.get((sorted.size() - 1) / 2);
        final double max = sorted.get(sorted.size() - 1);
        return String.format(Locale.ROOT, "p50 %.1f ms, max %.1f ms (n = %d)", p50, max, sorted.size());
    }

    /** A bound of the suite from a system property (set by the pom), with the CI default. */
    static long bound(final String property, final long ciDefault)
    {
        return Long.getLong(property, ciDefault);
    }
}
