package io.nicq.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import io.nicq.card.CardDriverCommand;
import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.QueueDriverPlacement;
import io.nicq.client.QueueService;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.udp.UdpLayer;
import io.nicq.client.udp.UdpSocket;
import io.nicq.examples.kernel.KernelBaseline;
import io.nicq.examples.report.HiccupMeter;
import io.nicq.examples.report.LatencyReport;
import io.nicq.examples.report.StallAccounting;
import io.nicq.examples.report.StallWatch;
import io.nicq.examples.rpc.EchoServer;
import io.nicq.examples.rpc.RpcClient;
import io.nicq.examples.rpc.RpcPayload;
import io.nicq.examples.rpc.RpcReport;
import io.nicq.examples.rpc.WarmUp;
import io.nicq.packet.Ipv4Address;
import io.nicq.runtime.ChildJvm;
import io.nicq.runtime.CommandLines;
import io.nicq.runtime.CpuAffinity;
import io.nicq.runtime.IdleStrategies;
import io.nicq.runtime.RunCommand;
import io.nicq.sim.SimulatedCard;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The main job: two simulated hosts joined by a simulated cable, an RPC client on one and a UDP echo server on the
 * other, then the per-phase latency report beside the Linux kernel's UDP round trip measured in the same run.
 * <pre>
 *   host a: simulated card a, card driver a (10.0.0.1, a process), rpc-latency client  ──┐
 *                                                                                     cable
 *   host b: simulated card b, card driver b (10.0.0.2, a process), udp-echo server     ──┘
 * </pre>
 * The card drivers (and, in process mode, their queue drivers) are real processes on the real control protocol. The
 * two applications are threads of this JVM, and so are the simulated cards, whose device loops run either on a device
 * thread of their own or, on machines with fewer cores than spinning loops, on each host's application thread (the
 * host is then one thread: application, inline queue driver and the card's simulated hardware, as a busy-polling
 * kernel socket does its softirq work inline). The kernel baseline is measured first, while nothing else runs.
 * Everything started is stopped and every file removed at the end, on Ctrl-C too.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Two simulated hosts, an RPC client and a UDP echo server: the per-phase latency report.",
        "Finishes in well under a minute on a 2-core machine and cleans up everything it started."})
public final class DemoCommand implements Callable<Integer>
{
    private static final long START_TIMEOUT_MS = 60_000;
    private static final long STOP_TIMEOUT_MS = 10_000;
    private static final String IP_A = "10.0.0.1";
    private static final String IP_B = "10.0.0.2";
    private static final int ECHO_PORT = 7;
    /** Shorter than the library's defaults: the demo as a whole stays well under a minute, warm-ups included. */
    private static final long WARM_UP_QUIET_MS = 300;
    private static final long WARM_UP_BOUND_MS = 8_000;

    @Option(names = "--mode", defaultValue = "inline", paramLabel = "MODE",
        description = "Where the queue drivers run: process, thread or inline (default: ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--count", defaultValue = "100000", paramLabel = "N", description = "Round trips recorded (default: ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--warmup", defaultValue = "20000", paramLabel = "N",
        description = "Round trips before recording, at least; then until the JVMs are warm (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--warmup-quiet-ms", defaultValue = "" + WARM_UP_QUIET_MS, paramLabel = "MS",
        description = {"Warm up until no JVM of the run (this one, the card drivers, the queue drivers, the kernel's " +
            "echo server) has compiled anything for this long; 0 = exactly --warmup round trips (default: " +
            "${DEFAULT-VALUE})"})
    long warmupQuietMs;

    @Option(names = "--warmup-bound-ms", defaultValue = "" + WARM_UP_BOUND_MS, paramLabel = "MS",
        description = "Stop waiting for the JVMs to be warm after this long, and say so in the report; the kernel's " +
            "baseline and nicq's run each have this bound (default: ${DEFAULT-VALUE})")
    long warmupBoundMs;

    @Option(names = "--size", defaultValue = "64", paramLabel = "BYTES", description = "UDP payload bytes (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the report and logs go (default: nicq-out/demo-<time>)")
    Path out;

    @Option(names = "--device-loop", paramLabel = "WHERE",
        description = "Where the simulated cards' device loops run: 'thread' (a device thread of their own) or " +
        "'inline' (each host's application thread). Default: inline with fewer than 4 CPUs, else thread")
    String deviceLoop;

    @Option(names = "--idle", paramLabel = "STRATEGY",
        description = "Idle strategy of the packet-path loops: " + IdleStrategies.NAMES +
        ". Default: busy when every spinning loop has a CPU of its own, else yield")
    String idle;

    @Option(names = "--pin", defaultValue = "true", negatable = true, fallbackValue = "true",
        description = "Pin the packet-path loops to CPUs (default: ${DEFAULT-VALUE})")
    boolean pin;

    @Option(names = "--kernel-baseline", defaultValue = "auto", paramLabel = "WHERE",
        description = "The kernel UDP baseline: auto (namespaces as root, else loopback) or none (default: ${DEFAULT-VALUE})")
    String kernelBaseline;

    @Option(names = "--pcap", paramLabel = "FILE", description = "Capture every frame on the cable (card a's end) to a pcap file")
    Path pcap;

    private final List<Process> children = new ArrayList<>();
    private final List<String> childNames = new ArrayList<>();
    private StallWatch conditions;
    private final AtomicBoolean interrupted = new AtomicBoolean();
    private final AtomicBoolean echoRunning = new AtomicBoolean(true);
    private final AtomicReference<Throwable> echoFailure = new AtomicReference<>();
    private SimulatedCard cardA;
    private SimulatedCard cardB;
    private AgentRunner deviceRunner;
    private Thread echoThread;
    private EchoServer echoServer;
    private RpcClient rpcClient;
    private NicClient clientA;
    private NicClient clientB;
    private Path instanceDir;
    private Path simDir;
    private String idleName;
    private boolean cleanedUp;

    @Spec
    CommandSpec spec;

    public Integer call() throws Exception
    {
        CommandLines.requirePositive(spec, "--count", count);
        CommandLines.requireAtLeast(spec, "--warmup", warmup, 0);
        CommandLines.requireAtLeast(spec, "--warmup-quiet-ms", warmupQuietMs, 0);
        CommandLines.requireAtLeast(spec, "--warmup-bound-ms", warmupBoundMs, Math.max(1, warmupQuietMs));
        // The card drivers the demo starts keep the default MTU.
        CommandLines.requireRange(spec, "--size", size, RpcPayload.MIN_LENGTH, UdpLayer.maxPayloadAtMtu(0),
            "an RPC payload needs " + RpcPayload.MIN_LENGTH + " bytes; one UDP datagram at MTU 1500 carries at most " +
            UdpLayer.maxPayloadAtMtu(0) + ", and nicq does not fragment");
        final QueueDriverPlacement queueMode = queueMode();
        final int cpus = Runtime.getRuntime().availableProcessors();
        final boolean inlineDevice = deviceLoop == null ? cpus < 4 : switch (deviceLoop)
        {
            case "inline" -> true;
            case "thread" -> false;
            default -> throw new IllegalArgumentException("--device-loop '" + deviceLoop + "' is not thread or inline");
        };
        final int spinningLoops = (inlineDevice ? 2 : 3) + (queueMode == QueueDriverPlacement.INLINE ? 0 : 2);
        idleName = idle != null ? idle : spinningLoops <= cpus ? "busy" : "yield";
        IdleStrategies.of(idleName);
        final CpuPlan plan = CpuPlan.of(pin, cpus, inlineDevice);

        final long run = ProcessHandle.current().pid();
        final Path outDir = (out != null ? out : Path.of("nicq-out",
            "demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")))).toAbsolutePath();
        final Path logs = outDir.resolve("logs");
        Files.createDirectories(logs);
        instanceDir = Path.of("/dev/shm", "nicq-demo-" + run);
        simDir = Path.of("/dev/shm", "nicq-demo-" + run + "-sim");

        final Thread hook = new Thread(() ->
        {
            interrupted.set(true);
            cleanUp();
        }, "nicq-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        final long started = System.nanoTime();
        try
        {
            KernelBaseline.Result kernel = null;
            if (!"none".equalsIgnoreCase(kernelBaseline))
            {
                step("the kernel's UDP round trip first, while nothing else runs: " + count + " round trips");
                kernel = KernelBaseline.measure(warmUp(), count, size, true, logs, true);
            }

            step("two simulated 82599s joined by a simulated cable; device loops " +
                (inlineDevice ? "on each host's application thread" : "on a device thread") + "; loops idle: " +
                idleName + (plan.pinned() ? ", pinned: " + plan : ""));
            startCards(plan);

            final String driverMode = queueMode == QueueDriverPlacement.PROCESS ? "process" : "thread";
            step("card drivers (processes): a at " + IP_A + "/24, b at " + IP_B + "/24; queue drivers: " +
                (queueMode == QueueDriverPlacement.INLINE ? "inline in the applications' threads" :
                driverMode + "es"));
            final Process driverA = start("card-driver-a", logs, cardDriverArgs("a", IP_A, driverMode, logs));
            final Process driverB = start("card-driver-b", logs, cardDriverArgs("b", IP_B, driverMode, logs));
            ChildJvm.awaitOutput(driverA, logs.resolve("card-driver-a.log"), "ready:", START_TIMEOUT_MS, "card-driver-a");
            ChildJvm.awaitOutput(driverB, logs.resolve("card-driver-b.log"), "ready:", START_TIMEOUT_MS, "card-driver-b");

            System.setProperty("nicq.dir", instanceDir.toString());
            System.setProperty("nicq.sim.dir", simDir.toString());
            step("udp-echo on b:" + ECHO_PORT + " and rpc-latency on a, " + modeName(queueMode) + " mode");
            startEchoServer(queueMode, plan);
            startRpcClient(queueMode);

            // One round trip with the device thread still running resolves 10.0.0.2's MAC through the card drivers.
            rpcClient.roundTrip(0, false);
            if (inlineDevice)
            {
                CloseHelper.close(deviceRunner);
                deviceRunner = null;
                echoServer.duty(devices(cardB));
                rpcClient.duty(devices(cardA));
            }

            final WarmUp nicqWarmUp = warmUp();
            step("rpc-latency: " + (warmupQuietMs > 0 ? "at least " + warmup + " warm-up round trips, until every " +
                "JVM of the run has compiled nothing for " + warmupQuietMs + " ms (at most " + warmupBoundMs +
                " ms), then " : warmup + " warm-up and ") + count + " recorded round trips of " + size + " bytes to " +
                IP_B + ":" + ECHO_PORT);
            final StallAccounting accounting = new StallAccounting().thisProcessTree("demo");
            for (int i = 0; i < children.size(); i++)
            {
                accounting.process(children.get(i).pid(), childNames.get(i));
            }
            conditions = new StallWatch("nicq", accounting, new HiccupMeter());
            final AtomicReference<Throwable> clientFailure = new AtomicReference<>();
            final Thread clientThread = new Thread(() ->
            {
                try
                {
                    plan.pinClient();
                    rpcClient.run(nicqWarmUp, count, () -> interrupted.get() || echoFailure.get() != null, System.err,
                        conditions);
                }
                catch (final Throwable ex)
                {
                    clientFailure.set(ex);
                }
            }, "rpc-latency");
            clientThread.start();
            clientThread.join();
            if (clientFailure.get() != null || echoFailure.get() != null)
            {
                final Throwable failure = clientFailure.get() != null ? clientFailure.get() : echoFailure.get();
                throw new IllegalStateException("the run failed: " + failure.getMessage(), failure);
            }
            if (interrupted.get())
            {
                return 130;
            }

            final String how = modeName(queueMode) + " mode; device loops " +
                (inlineDevice ? "on the application threads" : "on a device thread") + "; loops idle " + idleName +
                (plan.pinned() ? "; pinned " + plan : "") + "; " + cpus + " CPUs";
            final LatencyReport report = RpcReport.build(rpcClient, "nicq, " + modeName(queueMode) + " mode",
                size, modeName(queueMode), kernel, how, nicqWarmUp, conditions);
            System.out.print(report.table());
            final List<Path> files = report.write(outDir);
            step(String.format(Locale.ROOT, "report: %s (%d files: report.txt, report.json, report.png, hgrm/); " +
                "logs: %s; done in %.1f s", outDir, files.size(), logs, (System.nanoTime() - started) / 1e9));
            return 0;
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

    /** Where the demo runs the queue drivers: the card drivers' configuration for process and thread. */
    private QueueDriverPlacement queueMode()
    {
        try
        {
            return QueueDriverPlacement.valueOf(mode.toUpperCase(Locale.ROOT));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("--mode '" + mode + "' is not one of process, thread, inline", ex);
        }
    }

    private static String modeName(final QueueDriverPlacement mode)
    {
        return mode.name().toLowerCase(Locale.ROOT);
    }

    /** A queue the card driver serves (as a process or thread, by the --queue-driver-mode it was given) or inline. */
    private static QueueService service(final QueueDriverPlacement placement)
    {
        return placement == QueueDriverPlacement.INLINE ? QueueService.INLINE : QueueService.SERVED;
    }

    private List<String> cardDriverArgs(final String name, final String ip, final String driverMode, final Path logs)
    {
        // --idle is how the queue drivers poll; the control planes (conductor, media driver, queue 0) keep the card
        // driver's defaults, asleep when idle (the conductor on its requests word, queue 0 on its vector).
        return List.of("--instance", name, "--nic", "sim:" + name, "--ip", ip + "/24", "--queue-driver-mode",
            driverMode, "--idle", idleName, "--log-dir", logs.toString());
    }

    private void startCards(final CpuPlan plan)
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
        startDeviceThread(plan);
    }

    private void startDeviceThread(final CpuPlan plan)
    {
        final Agent both = devices(cardA, cardB);
        deviceRunner = new AgentRunner(IdleStrategies.of(idleName), Throwable::printStackTrace, null, new Agent()
        {
            public void onStart()
            {
                plan.pinDevice();
            }

            public int doWork() throws Exception
            {
                return both.doWork();
            }

            public String roleName()
            {
                return "nicq-sim-devices";
            }
        });
        AgentRunner.startOnThread(deviceRunner);
    }

    /** The device loops of some cards as one agent. */
    private static Agent devices(final SimulatedCard... cards)
    {
        return new Agent()
        {
            public int doWork()
            {
                int work = 0;
                for (final SimulatedCard card : cards)
                {
                    work += card.doWork();
                }
                return work;
            }

            public String roleName()
            {
                return "simulated card device loop";
            }
        };
    }

    private void startEchoServer(final QueueDriverPlacement queueMode, final CpuPlan plan)
    {
        clientB = NicClient.connect(new NicClient.Context().instance("b").name("udp-echo"));
        final NicQueue queue = clientB.requestQueue(service(queueMode));
        echoServer = new EchoServer(UdpSocket.open(new UdpLayer(new Ipv4Interface(queue, clientB))).bind(ECHO_PORT));
        final IdleStrategy idleStrategy = IdleStrategies.of(idleName);
        echoThread = new Thread(() ->
        {
            try
            {
                plan.pinServer();
                while (echoRunning.get())
                {
                    idleStrategy.idle(echoServer.doWork());
                }
            }
            catch (final Throwable ex)
            {
                echoFailure.set(ex);
            }
        }, "udp-echo");
        echoThread.start();
    }

    private void startRpcClient(final QueueDriverPlacement queueMode)
    {
        clientA = NicClient.connect(new NicClient.Context().instance("a").name("rpc-latency"));
        final NicQueue queue = clientA.requestQueue(service(queueMode));
        final UdpSocket socket = UdpSocket.open(new UdpLayer(new Ipv4Interface(queue, clientA))).bind(0);
        rpcClient = new RpcClient(socket, Ipv4Address.parse(IP_B), ECHO_PORT, size, 1, TimeUnit.SECONDS,
            IdleStrategies.of(idleName));
    }

    private List<String> jvmArgs()
    {
        return List.of("-Dnicq.dir=" + instanceDir, "-Dnicq.sim.dir=" + simDir,
            "-D" + RunCommand.EXIT_WITH_PARENT_PROPERTY + "=true", "-XX:+UseSerialGC", "-Xmx256m");
    }

    /** The warm-up the options ask for: until the JVMs are quiet, or a fixed count with --warmup-quiet-ms 0. */
    private WarmUp warmUp()
    {
        return warmupQuietMs > 0 ? WarmUp.untilCompiled(warmup, warmupQuietMs, warmupBoundMs) : WarmUp.fixed(warmup);
    }

    private Process start(final String name, final Path logs, final List<String> args) throws IOException
    {
        final Path log = logs.resolve(name + ".log");
        final ProcessBuilder builder = new ProcessBuilder(ChildJvm.command(jvmArgs(), CardDriverCommand.class, args))
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        final Process process = builder.start();
        synchronized (this)
        {
            children.add(process);
            childNames.add(name);
        }
        return process;
    }

    private static void step(final String what)
    {
        System.err.println("demo: " + what);
    }

    /**
     * Stops, in order: the applications (the echo thread may be driving card b), a device thread again (releasing
     * queues and stopping the card drivers need a working card), the clients, the card driver processes (SIGTERM,
     * then SIGKILL), the device thread and the cards; then removes the files.
     */
    private synchronized void cleanUp()
    {
        if (cleanedUp)
        {
            return;
        }
        cleanedUp = true;
        CloseHelper.close(conditions);
        echoRunning.set(false);
        joinQuietly(echoThread);
        if (rpcClient != null)
        {
            rpcClient.duty(null);
        }
        if (echoServer != null)
        {
            echoServer.duty(null);
        }
        if (deviceRunner == null && cardA != null && cardB != null)
        {
            startDeviceThread(CpuPlan.NONE);
        }
        CloseHelper.quietCloseAll(clientA, clientB);
        for (int i = children.size() - 1; i >= 0; i--)
        {
            stop(children.get(i), childNames.get(i));
        }
        CloseHelper.quietCloseAll(deviceRunner, cardA, cardB);
        deleteTree(instanceDir);
        deleteTree(simDir);
    }

    private static void stop(final Process child, final String name)
    {
        if (!child.isAlive())
        {
            return;
        }
        child.destroy();
        try
        {
            if (!child.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS))
            {
                System.err.println("demo: " + name + " ignored SIGTERM; killing it");
                child.destroyForcibly().waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            }
        }
        catch (final InterruptedException ex)
        {
            child.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void joinQuietly(final Thread thread)
    {
        if (thread != null)
        {
            try
            {
                thread.join(STOP_TIMEOUT_MS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void deleteTree(final Path dir)
    {
        if (dir != null)
        {
            try
            {
                IoUtil.delete(dir.toFile(), false);
            }
            catch (final RuntimeException ex)
            {
                System.err.println("demo: could not remove " + dir + ": " + ex.getMessage());
            }
        }
    }

    /**
     * Which CPU each spinning loop gets. With the device loops inline, client and server each get a CPU of their own
     * (they are the only spinning loops); with a device thread, the device gets CPU 0 and the applications share the
     * rest. Unpinned loops go where the scheduler puts them.
     */
    record CpuPlan(int device, int client, int server)
    {
        static final CpuPlan NONE = new CpuPlan(-1, -1, -1);

        static CpuPlan of(final boolean pin, final int cpus, final boolean inlineDevice)
        {
            if (!pin || cpus < 2)
            {
                return NONE;
            }
            if (inlineDevice)
            {
                return new CpuPlan(-1, 0, 1);
            }
            return cpus >= 3 ? new CpuPlan(0, 1, 2) : new CpuPlan(0, 1, 1);
        }

        boolean pinned()
        {
            return client >= 0;
        }

        void pinDevice()
        {
            pinTo(device);
        }

        void pinClient()
        {
            pinTo(client);
        }

        void pinServer()
        {
            pinTo(server);
        }

        private static void pinTo(final int cpu)
        {
            if (cpu >= 0)
            {
                CpuAffinity.pinCurrentThread(cpu);
            }
        }

        public String toString()
        {
            return (device >= 0 ? "device CPU " + device + ", " : "") + "client CPU " + client + ", server CPU " +
                server;
        }
    }
}
