package io.nicq.card;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.nicq.proto.InstancePaths;
import io.nicq.runtime.ThreadActivity;
import org.agrona.concurrent.status.CountersReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nicq stat}: prints a card driver's counters live from its counters file (mapped read-only), the way AeronStat
 * prints a media driver's: one line per counter, refreshed every interval. Per queue that is its statistics set and
 * the 12 counters its queue driver keeps in the channel header ("queue 3 driver rx-packets", ...), which the card
 * driver copies there. Below them, every thread of the instance's processes (card driver, queue driver processes,
 * clients) with its wake-ups per second and share of a core over the interval ({@link ThreadView}, from /proc; the
 * first figures come one interval after the start). Says so clearly when no card driver runs.
 */
@Command(
    name = "stat",
    mixinStandardHelpOptions = true,
    description = "Prints the counters of a running card driver: clients, queues, filters, requests, errors, the " +
        "card's statistics, per queue its packets/bytes/drops and its queue driver's counters, and the default " +
        "queue's drops by reason; then each thread of the instance's processes with its wake-ups per second and " +
        "CPU share over the interval.")
public final class StatCommand implements Callable<Integer>
{
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m)?");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    @Spec
    CommandSpec spec;

    @Option(names = "--instance", defaultValue = CardDriver.Context.DEFAULT_INSTANCE,
        description = "Instance name (default: ${DEFAULT-VALUE}).")
    String instance;

    @Option(names = "--dir", description = "Root of the instances (default: /dev/shm/nicq or -Dnicq.dir).")
    Path baseDir;

    @Option(names = "--interval", defaultValue = "1s",
        description = "Refresh interval: 500ms, 1s, 1m (default: ${DEFAULT-VALUE}).")
    String interval;

    @Option(names = "--once", description = "Print once and exit.")
    boolean once;

    @Option(names = "--filter", description = "Only counters whose label matches this regular expression.")
    String filter;

    @Option(names = "--view", defaultValue = "all", description = "all, counters or threads (default: " +
        "${DEFAULT-VALUE}). Threads are measured over the interval: with --once, for that long after the start.")
    String view;

    public Integer call() throws InterruptedException
    {
        final PrintWriter out = spec.commandLine().getOut();
        final long intervalMs = parseDuration(interval);
        final Pattern labelFilter = filter == null ? null : Pattern.compile(filter);
        if (!java.util.List.of("all", "counters", "threads").contains(view))
        {
            throw new IllegalArgumentException("--view is all, counters or threads, not '" + view + "'");
        }
        final boolean showCounters = !"threads".equals(view);
        final InstancePaths paths = baseDir == null ? InstancePaths.of(instance) : InstancePaths.of(instance, baseDir);
        final Path file = paths.countersFile();

        if (!Files.exists(file))
        {
            out.println("no card driver is running for instance '" + instance + "' (no counters file at " + file + ")");
            out.flush();
            return 1;
        }
        final CountersFile counters;
        try
        {
            counters = CountersFile.openReadOnly(file);
        }
        catch (final IllegalStateException ex)
        {
            out.println("no card driver is running for instance '" + instance + "': " + ex.getMessage());
            out.flush();
            return 1;
        }

        try (counters)
        {
            final boolean clear = !once && System.console() != null;
            final ThreadView threads = "counters".equals(view) ? null : new ThreadView(new ThreadActivity());
            if (threads != null)
            {
                threads.start(counters);
                if (once)
                {
                    Thread.sleep(intervalMs);
                }
            }
            while (true)
            {
                final long nowMs = System.currentTimeMillis();
                if (!counters.isLive(nowMs))
                {
                    out.println("no card driver is running for instance '" + instance + "': " + whyNotLive(counters,
                        nowMs));
                    out.flush();
                    return 1;
                }
                if (clear)
                {
                    out.print("\u001b[H\u001b[2J");
                }
                print(out, counters, nowMs, labelFilter, showCounters);
                if (threads != null)
                {
                    threads.print(out, counters);
                }
                out.flush();
                if (once)
                {
                    return 0;
                }
                Thread.sleep(intervalMs);
            }
        }
    }

    private void print(final PrintWriter out, final CountersFile counters, final long nowMs, final Pattern labelFilter,
        final boolean showCounters)
    {
        final long upSeconds = (nowMs - counters.startTimeMs()) / 1000;
        out.printf("%s - nicq stat: instance %s, card driver pid %d, up %d:%02d:%02d, heartbeat %d ms ago%n",
            LocalTime.now().format(TIME), instance, counters.pid(), upSeconds / 3600, (upSeconds / 60) % 60,
            upSeconds % 60, nowMs - counters.heartbeatMs());
        out.println("=".repeat(80));
        if (!showCounters)
        {
            return;
        }
        final CountersReader reader = counters.reader();
        reader.forEach((value, counterId, label) ->
        {
            if (labelFilter == null || labelFilter.matcher(label).find())
            {
                out.printf("%3d: %,20d - %s%n", counterId, value, label);
            }
        });
    }

    private static String whyNotLive(final CountersFile counters, final long nowMs)
    {
        if (counters.isShutdown())
        {
            return "card driver pid " + counters.pid() + " has shut down";
        }
        if (!ProcessHandle.of(counters.pid()).map(ProcessHandle::isAlive).orElse(false))
        {
            return "card driver pid " + counters.pid() + " has exited (killed?); its files are stale";
        }
        return "card driver pid " + counters.pid() + " has not updated its counters for " +
            (nowMs - counters.heartbeatMs()) + " ms";
    }

    static long parseDuration(final String text)
    {
        final Matcher matcher = DURATION.matcher(text.trim());
        if (!matcher.matches())
        {
            throw new IllegalArgumentException("interval '" + text + "' is not like 500ms, 1s or 1m");
        }
        final long amount = Long.parseLong(matcher.group(1));
        final String unit = matcher.group(2) == null ? "s" : matcher.group(2);
        final long ms = switch (unit)
        {
            case "ms" -> amount;
            case "m" -> TimeUnit.MINUTES.toMillis(amount);
            default -> TimeUnit.SECONDS.toMillis(amount);
        };
        if (ms < 10)
        {
            throw new IllegalArgumentException("interval '" + text + "' is shorter than 10 ms");
        }
        return ms;
    }
}
