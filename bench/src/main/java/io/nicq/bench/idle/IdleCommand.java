package io.nicq.bench.idle;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import io.nicq.runtime.CommandLines;
import io.nicq.runtime.ThreadActivity;
import org.agrona.IoUtil;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nicq bench idle}: what nicq costs when nothing happens. It starts, with the defaults a newcomer gets, a
 * simulated card, a card driver, and an idle application holding a queue (the {@code udp-echo} example, whose queue
 * driver the card driver runs as a process), lets them settle, and measures every thread of every one of those
 * processes over a window with {@link ThreadActivity}: wake-ups per second (context switches) and share of a core.
 * Each process is held against the goal of issue 14 (at most {@value #GOAL_CPU_PERCENT}% of a core and
 * {@value #GOAL_WAKEUPS} wake-ups per second); {@code --check} makes a miss the exit status.
 * <pre>
 *   nicq bench idle                      10 s window after 10 s of settling; report under nicq-out/idle-TIME/
 *   nicq bench idle --app-idle backoff   the application's loop idles so (default: the example's own default)
 * </pre>
 * The report (text and JSON) lists each process and each thread that woke or used the CPU. Everything runs in a
 * private directory under /dev/shm, removed afterwards. The processes are started exactly as a user starts them (no
 * parent watchdog thread, which would add its own wake-ups): they are stopped when the benchmark ends, and by its
 * shutdown hook if it is interrupted.
 */
@Command(name = "idle", mixinStandardHelpOptions = true,
    description = {"Idle cost of nicq with its defaults: a simulated card, a card driver, an application with a " +
        "queue (udp-echo) and its queue driver process; each thread's wake-ups per second and CPU share, each " +
        "process against the goal (<= 1%% of a core, <= 50 wake-ups/s)."})
public final class IdleCommand implements Callable<Integer>
{
    static final double GOAL_CPU_PERCENT = 1.0;
    static final double GOAL_WAKEUPS = 50;

    @Option(names = "--seconds", defaultValue = "10", description = "Length of the measured window (default: " +
        "${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--settle", defaultValue = "10", description = "Seconds between the start and the window, for " +
        "the JIT and start-up work to end (default: ${DEFAULT-VALUE}).")
    int settle;

    @Mixin
    UserProcessOptions processOptions;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the report goes (default: nicq-out/idle-<time>)")
    Path out;

    @Option(names = "--check", description = "Exit 1 if a process misses the goal.")
    boolean check;

    /** One measured process. */
    record Measured(String name, ThreadActivity.ProcessRate rate)
    {
        boolean meetsGoal()
        {
            return rate.cpuPercent() <= GOAL_CPU_PERCENT && rate.wakeupsPerSecond() <= GOAL_WAKEUPS;
        }
    }

    @Spec
    CommandSpec spec;

    public Integer call() throws Exception
    {
        CommandLines.requirePositive(spec, "--seconds", seconds);
        CommandLines.requireAtLeast(spec, "--settle", settle, 0);
        final Path outDir = (out != null ? out : Path.of("nicq-out",
            "idle-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")))).toAbsolutePath();
        Files.createDirectories(outDir);
        final long pid = ProcessHandle.current().pid();
        final Path root = Files.createDirectories(Path.of("/dev/shm", "nicq-bench-idle-" + pid));
        final String card = "idle" + pid;
        final UserProcesses processes = new UserProcesses(root, Files.createDirectories(outDir.resolve("logs")));
        final Thread stopAtExit = new Thread(processes::stopAll, "nicq-bench-idle-stop");
        Runtime.getRuntime().addShutdownHook(stopAtExit);
        try
        {
            final Process sim = processes.startCard(card, "cable:" + card + ":a", processOptions);
            final Process cardDriver = processes.startCardDriver(card, "10.0.0.1/24", outDir.resolve("logs"),
                processOptions);
            final Process app = processes.startUdpEcho(card, 7, processOptions);

            System.err.printf("nicq bench idle: started; settling for %d s, then measuring for %d s%n", settle,
                seconds);
            Thread.sleep(TimeUnit.SECONDS.toMillis(settle));

            final Map<String, Long> pids = new LinkedHashMap<>();
            pids.put("simulated card", sim.pid());
            pids.put("card driver", cardDriver.pid());
            cardDriver.toHandle().children().forEach(child -> pids.put("queue driver (process)", child.pid()));
            pids.put("application (udp-echo)", app.pid());

            final List<Measured> measured = measure(pids);
            final String report = report(measured);
            System.out.print(report);
            Files.writeString(outDir.resolve("idle.txt"), report, StandardCharsets.UTF_8);
            Files.writeString(outDir.resolve("idle.json"), json(measured), StandardCharsets.UTF_8);
            System.err.println("nicq bench idle: report in " + outDir);
            return check && !measured.stream().allMatch(Measured::meetsGoal) ? 1 : 0;
        }
        finally
        {
            processes.stopAll();
            try
            {
                Runtime.getRuntime().removeShutdownHook(stopAtExit);
            }
            catch (final IllegalStateException ex)
            {
                // The JVM is exiting: the hook runs (and finds nothing left to stop).
            }
            IoUtil.delete(root.toFile(), true);
        }
    }

    private List<Measured> measure(final Map<String, Long> processes) throws InterruptedException
    {
        final ThreadActivity activity = new ThreadActivity();
        final Map<String, ThreadActivity.Snapshot> before = new LinkedHashMap<>();
        for (final Map.Entry<String, Long> process : processes.entrySet())
        {
            before.put(process.getKey(), activity.sample(process.getValue()));
        }
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        final List<Measured> measured = new ArrayList<>();
        for (final Map.Entry<String, Long> process : processes.entrySet())
        {
            final ThreadActivity.Snapshot after = activity.sample(process.getValue());
            final ThreadActivity.Snapshot from = before.get(process.getKey());
            if (from == null || after == null)
            {
                throw new IllegalStateException(process.getKey() + " (pid " + process.getValue() +
                    ") exited during the measurement");
            }
            measured.add(new Measured(process.getKey(), ThreadActivity.between(from, after)));
        }
        return measured;
    }

    static String report(final List<Measured> measured)
    {
        final StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "%-34s %8s %12s %12s %7s  %s%n", "process / thread", "pid",
            "wake-ups/s", "voluntary/s", "CPU %", "goal (<= 1%, <= 50/s)"));
        for (final Measured process : measured)
        {
            final ThreadActivity.ProcessRate rate = process.rate();
            text.append(String.format(Locale.ROOT, "%-34s %8d %12.1f %12s %7.2f  %s%n", process.name(), rate.pid(),
                rate.wakeupsPerSecond(), "", rate.cpuPercent(), process.meetsGoal() ? "met" : "NOT MET"));
            for (final ThreadActivity.ThreadRate thread : rate.threads())
            {
                if (thread.wakeupsPerSecond() >= 0.5 || thread.cpuPercent() >= 0.05)
                {
                    text.append(String.format(Locale.ROOT, "  %-32s %8d %12.1f %12.1f %7.2f%n", thread.name(),
                        thread.tid(), thread.wakeupsPerSecond(), thread.voluntaryPerSecond(), thread.cpuPercent()));
                }
            }
        }
        text.append(String.format(Locale.ROOT, "window %.1f s; wake-ups are context switches (voluntary: the thread " +
            "slept and was woken; the rest: preempted); CPU is utime + stime%n", measured.get(0).rate().seconds()));
        return text.toString();
    }

    private static String json(final List<Measured> measured)
    {
        final StringBuilder json = new StringBuilder("[\n");
        for (int p = 0; p < measured.size(); p++)
        {
            final Measured process = measured.get(p);
            final ThreadActivity.ProcessRate rate = process.rate();
            json.append(String.format(Locale.ROOT, "  {\"process\": \"%s\", \"pid\": %d, \"seconds\": %.3f, " +
                "\"wakeupsPerSecond\": %.2f, \"cpuPercent\": %.3f, \"goalMet\": %b, \"threads\": [", process.name(),
                rate.pid(), rate.seconds(), rate.wakeupsPerSecond(), rate.cpuPercent(), process.meetsGoal()));
            for (int t = 0; t < rate.threads().size(); t++)
            {
                final ThreadActivity.ThreadRate thread = rate.threads().get(t);
                json.append(String.format(Locale.ROOT, "%s{\"name\": \"%s\", \"tid\": %d, \"wakeupsPerSecond\": " +
                    "%.2f, \"voluntaryPerSecond\": %.2f, \"cpuPercent\": %.3f}", t == 0 ? "" : ", ",
                    thread.name().replace("\\", "\\\\").replace("\"", "\\\""), thread.tid(),
                    thread.wakeupsPerSecond(), thread.voluntaryPerSecond(), thread.cpuPercent()));
            }
            json.append("]}").append(p + 1 < measured.size() ? ",\n" : "\n");
        }
        return json.append("]\n").toString();
    }
}
