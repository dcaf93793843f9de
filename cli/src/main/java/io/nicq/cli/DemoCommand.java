package io.nicq.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.nicq.card.CardDriverCommand;
import io.nicq.examples.ExampleCommand;
import io.nicq.proto.ChildJvm;
import io.nicq.proto.CpuAffinity;
import io.nicq.proto.IdleStrategies;
import io.nicq.proto.RunCommand;
import io.nicq.sim.SimulatedCard;
import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The main job: two simulated hosts joined by a simulated cable, an RPC client on one and a UDP echo server on the
 * other, then the per-phase latency report beside the Linux kernel's UDP round trip measured in the same run.
 * <pre>
 *   host a: simulated card a, card driver a (10.0.0.1), rpc-latency client  ──┐
 *                                                                           cable
 *   host b: simulated card b, card driver b (10.0.0.2), udp-echo server    ──┘
 * </pre>
 * Both simulated cards run in this JVM on one device thread (they play the hardware, which costs a real host no CPU;
 * one thread keeps them from crowding a 2-core machine). The card drivers, their queue drivers and the two
 * applications are real processes talking over the real control protocol. Everything started is stopped and every
 * file removed at the end, on Ctrl-C too.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Two simulated hosts, an RPC client and a UDP echo server: the per-phase latency report.",
        "Finishes in well under a minute on a 2-core machine and cleans up everything it started."})
public final class DemoCommand implements Callable<Integer>
{
    private static final long START_TIMEOUT_MS = 60_000;
    private static final long RUN_TIMEOUT_MS = 300_000;
    private static final long STOP_TIMEOUT_MS = 10_000;
    private static final String IP_A = "10.0.0.1";
    private static final String IP_B = "10.0.0.2";
    private static final int ECHO_PORT = 7;

    @Option(names = "--mode", defaultValue = "inline", paramLabel = "MODE",
        description = "Where the queue drivers run: process, thread or inline (default: ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--count", defaultValue = "100000", paramLabel = "N", description = "Round trips recorded (default: ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--size", defaultValue = "64", paramLabel = "BYTES", description = "UDP payload bytes (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the report and logs go (default: nicq-out/demo-<time>)")
    Path out;

    @Option(names = "--idle", defaultValue = "yield", paramLabel = "STRATEGY",
        description = "Idle strategy of every packet-path loop (device, queue drivers, applications): " +
        IdleStrategies.NAMES + ". 'yield' suits machines with fewer cores than spinning loops (default: ${DEFAULT-VALUE})")
    String idle;

    @Option(names = "--kernel-baseline", defaultValue = "auto", paramLabel = "WHERE",
        description = "The kernel UDP baseline: auto or none (default: ${DEFAULT-VALUE})")
    String kernelBaseline;

    @Option(names = "--device-cpu", paramLabel = "CPUS", description = "Pin the simulated cards' device thread to these CPUs")
    String deviceCpu;

    @Option(names = "--device-idle", paramLabel = "STRATEGY", description = "Idle strategy of the device thread (default: --idle)")
    String deviceIdle;

    @Option(names = "--app-cpu", paramLabel = "CPUS", description = "Pin the applications' loops to these CPUs")
    String appCpu;

    @Option(names = "--pcap", paramLabel = "FILE", description = "Capture every frame on the cable (card a's end) to a pcap file")
    Path pcap;

    private final List<Process> children = new ArrayList<>();
    private final List<String> childNames = new ArrayList<>();
    private SimulatedCard cardA;
    private SimulatedCard cardB;
    private AgentRunner deviceRunner;
    private Path instanceDir;
    private Path simDir;
    private boolean cleanedUp;

    public Integer call() throws Exception
    {
        final String queueMode = mode.toLowerCase(Locale.ROOT);
        if (!List.of("process", "thread", "inline").contains(queueMode))
        {
            throw new IllegalArgumentException("--mode '" + mode + "' is not one of process, thread, inline");
        }
        IdleStrategies.of(idle);
        final long run = ProcessHandle.current().pid();
        final Path outDir = (out != null ? out : Path.of("nicq-out",
            "demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")))).toAbsolutePath();
        final Path logs = outDir.resolve("logs");
        Files.createDirectories(logs);
        instanceDir = Path.of("/dev/shm", "nicq-demo-" + run);
        simDir = Path.of("/dev/shm", "nicq-demo-" + run + "-sim");

        final Thread hook = new Thread(this::cleanUp, "nicq-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        final long started = System.nanoTime();
        try
        {
            step("two simulated 82599s joined by a simulated cable (one device thread, idle: " + idle + ")");
            startCards();

            final String driverMode = "process".equals(queueMode) ? "process" : "thread";
            step("card drivers: a at " + IP_A + "/24, b at " + IP_B + "/24 (queue drivers as " +
                ("inline".equals(queueMode) ? "the applications' own threads" : driverMode + "es") + ")");
            final Process driverA = start("card-driver-a", logs, CardDriverCommand.class, List.of("--instance", "a",
                "--nic", "sim:a", "--ip", IP_A + "/24", "--queue-driver-mode", driverMode, "--idle", idle,
                "--log-dir", logs.toString()));
            final Process driverB = start("card-driver-b", logs, CardDriverCommand.class, List.of("--instance", "b",
                "--nic", "sim:b", "--ip", IP_B + "/24", "--queue-driver-mode", driverMode, "--idle", idle,
                "--log-dir", logs.toString()));
            awaitLine(driverA, "card-driver-a", logs, "ready:");
            awaitLine(driverB, "card-driver-b", logs, "ready:");

            step("udp-echo on b, port " + ECHO_PORT + " (" + queueMode + " mode)");
            final Process echo = start("udp-echo", logs, ExampleCommand.class, List.of("udp-echo", "--instance", "b",
                "--port", Integer.toString(ECHO_PORT), "--mode", queueMode, "--idle", idle, "--cpu", appCpuOrAll()));
            awaitLine(echo, "udp-echo", logs, "listening on");

            step("rpc-latency on a: " + count + " round trips of " + size + " bytes to " + IP_B + ":" + ECHO_PORT +
                ", then the kernel's UDP round trip");
            final List<String> rpcArgs = new ArrayList<>(List.of("rpc-latency", "--instance", "a",
                "--server", IP_B + ":" + ECHO_PORT, "--count", Integer.toString(count), "--size", Integer.toString(size),
                "--mode", queueMode, "--idle", idle, "--cpu", appCpuOrAll(), "--out", outDir.toString(),
                "--kernel-baseline", kernelBaseline, "--label", "nicq, " + queueMode + " mode, simulated cable"));
            final ProcessBuilder rpc = new ProcessBuilder(ChildJvm.command(jvmArgs(), ExampleCommand.class, rpcArgs))
                .inheritIO();
            final Process client = track("rpc-latency", rpc.start());
            if (!client.waitFor(RUN_TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                throw new IllegalStateException("rpc-latency did not finish within " + RUN_TIMEOUT_MS / 1000 + " s");
            }
            final int rc = client.exitValue();
            if (rc != 0)
            {
                System.err.println("demo: rpc-latency failed (exit " + rc + "); logs in " + logs);
            }
            else
            {
                step(String.format(Locale.ROOT, "done in %.1f s; logs in %s",
                    (System.nanoTime() - started) / 1e9, logs));
            }
            return rc;
        }
        finally
        {
            cleanUp();
            try
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (final IllegalStateException ignore)
            {
                // Already shutting down: the hook runs cleanUp, which is idempotent.
            }
        }
    }

    private void startCards()
    {
        final SimulatedCard.Context contextA = new SimulatedCard.Context().cardName("a").baseDir(simDir)
            .wireSpec("cable:demo:a").manualDrive(true);
        if (pcap != null)
        {
            contextA.pcapFile(pcap.toAbsolutePath());
        }
        cardA = SimulatedCard.launch(contextA);
        cardB = SimulatedCard.launch(new SimulatedCard.Context().cardName("b").baseDir(simDir)
            .wireSpec("cable:demo:b").manualDrive(true));
        final SimulatedCard a = cardA;
        final SimulatedCard b = cardB;
        deviceRunner = new AgentRunner(IdleStrategies.of(deviceIdle != null ? deviceIdle : idle), Throwable::printStackTrace, null, new Agent()
        {
            public int doWork()
            {
                return a.doWork() + b.doWork();
            }

            public void onStart()
            {
                if (deviceCpu != null)
                {
                    CpuAffinity.pinCurrentThread(CpuAffinity.parse(deviceCpu));
                }
            }

            public String roleName()
            {
                return "nicq-sim-devices";
            }
        });
        AgentRunner.startOnThread(deviceRunner);
    }

    private String appCpuOrAll()
    {
        return appCpu != null ? appCpu : "0-" + (Runtime.getRuntime().availableProcessors() - 1);
    }

    private List<String> jvmArgs()
    {
        return List.of("-Dnicq.dir=" + instanceDir, "-Dnicq.sim.dir=" + simDir,
            "-D" + RunCommand.EXIT_WITH_PARENT_PROPERTY + "=true", "-XX:+UseSerialGC", "-Xmx512m");
    }

    private Process start(final String name, final Path logs, final Class<?> command, final List<String> args)
        throws IOException
    {
        final Path log = logs.resolve(name + ".log");
        final ProcessBuilder builder = new ProcessBuilder(ChildJvm.command(jvmArgs(), command, args))
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        return track(name, builder.start());
    }

    private synchronized Process track(final String name, final Process process)
    {
        children.add(process);
        childNames.add(name);
        return process;
    }

    /** Waits for a line in a child's log, failing with the log's end if the child dies or the time runs out. */
    private static void awaitLine(final Process process, final String name, final Path logs, final String marker)
        throws IOException, InterruptedException
    {
        final Path log = logs.resolve(name + ".log");
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (System.nanoTime() - deadline < 0)
        {
            final String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            if (text.contains(marker))
            {
                return;
            }
            if (!process.isAlive())
            {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + tail(text));
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException(name + " did not start within " + START_TIMEOUT_MS / 1000 + " s; its log:\n" +
            tail(Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : ""));
    }

    private static String tail(final String text)
    {
        final String[] lines = text.split("\n");
        return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 15), lines.length));
    }

    private static void step(final String what)
    {
        System.err.println("demo: " + what);
    }

    /** Stops the children (newest first, SIGTERM then SIGKILL), the device thread and the cards; removes the files. */
    private synchronized void cleanUp()
    {
        if (cleanedUp)
        {
            return;
        }
        cleanedUp = true;
        for (int i = children.size() - 1; i >= 0; i--)
        {
            final Process child = children.get(i);
            if (child.isAlive())
            {
                child.destroy();
                try
                {
                    if (!child.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS))
                    {
                        System.err.println("demo: " + childNames.get(i) + " ignored SIGTERM; killing it");
                        child.destroyForcibly().waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                    }
                }
                catch (final InterruptedException ex)
                {
                    child.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
            }
        }
        CloseHelper.quietCloseAll(deviceRunner, cardA, cardB);
        deleteTree(instanceDir);
        deleteTree(simDir);
    }

    private static void deleteTree(final Path dir)
    {
        if (dir == null || !Files.exists(dir))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir))
        {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        catch (final IOException ex)
        {
            System.err.println("demo: could not remove " + dir + ": " + ex.getMessage());
        }
    }
}
