package io.nicq.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import io.nicq.card.CardDriver;
import io.nicq.card.CardDriverCommand;
import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.QueueDriverPlacement;
import io.nicq.client.QueueService;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.tcp.TcpLayer;
import io.nicq.client.udp.UdpLayer;
import io.nicq.client.udp.UdpSocket;
import io.nicq.examples.kernel.KernelBaseline;
import io.nicq.examples.kernel.KernelBaseline.Protocol;
import io.nicq.examples.report.CombinedReport;
import io.nicq.examples.report.HiccupMeter;
import io.nicq.examples.report.LatencyReport;
import io.nicq.examples.report.StallAccounting;
import io.nicq.examples.report.StallWatch;
import io.nicq.examples.rpc.EchoServer;
import io.nicq.examples.rpc.RpcClient;
import io.nicq.examples.rpc.RpcPayload;
import io.nicq.examples.rpc.RpcReport;
import io.nicq.examples.rpc.WarmUp;
import io.nicq.examples.tcp.TcpEchoServer;
import io.nicq.examples.tcp.TcpRpcClient;
import io.nicq.examples.tcp.TcpRpcReport;
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
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The main job: two simulated hosts joined by a simulated cable, an RPC client on one and an echo server on the other,
 * for UDP and for TCP, then one per-phase latency report beside the Linux kernel's round trips measured in the same
 * run.
 * <pre>
 *   host a: simulated card a, card driver a (10.0.0.1, a process), rpc-latency / tcp-rpc-latency client  ──┐
 *                                                                                                      cable
 *   host b: simulated card b, card driver b (10.0.0.2, a process), udp-echo / tcp-echo server on port 7  ──┘
 * </pre>
 * The card drivers (and, in process mode, their queue drivers) are real processes on the real control protocol. The
 * applications are threads of this JVM, and so are the simulated cards, whose device loops run either on a device
 * thread of their own or, on machines with fewer cores than spinning loops, on each host's application thread (the
 * host is then one thread: application, inline queue driver and the card's simulated hardware, as a busy-polling
 * kernel socket does its softirq work inline). The protocols run one after the other, each on queues of its own that
 * are released when it is done, so only one client and one server spin at a time. Both kernel baselines are measured
 * first, while nothing else runs. Everything started is stopped and every file removed at the end, on Ctrl-C too.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Two simulated hosts, an RPC client and an echo server, UDP and TCP: the per-phase latency report " +
        "beside the kernel's round trips.",
        "For each protocol the kernel's round trip first (same payload and count; a veth pair between network " +
            "namespaces as root, else loopback; busy-polling sockets, TCP_NODELAY), then nicq's over the simulated " +
            "cable; one report with the ratio nicq / kernel at every percentile and, for both, what TCP costs over " +
            "UDP at p50.",
        "With --proto both (the default) there are four measurements instead of two, so each is shorter: " +
            "50,000 round trips (--count; 100,000 with one protocol, the same 200,000 in all) after a warm-up of " +
            "at most 4 s (--warmup-bound-ms; 8 s with one protocol). On a quiet 2-core machine 100,000 take about a " +
            "second, but with other work on the cores the kernel's tail (milliseconds at p99.9) made its mean round " +
            "trip 120 us, and 100,000 of them 12 s: with 2 x 100,000 and 8 s warm-ups the demo took over a minute.",
        "Cleans up everything it started, on Ctrl-C too."})
public final class DemoCommand implements Callable<Integer>
{
    private static final long START_TIMEOUT_MS = 60_000;
    private static final long STOP_TIMEOUT_MS = 10_000;
    private static final String IP_A = "10.0.0.1";
    private static final String IP_B = "10.0.0.2";
    private static final int ECHO_PORT = 7;
    /** Shorter than the library's defaults: the demo as a whole stays well under a minute, warm-ups included. */
    private static final long WARM_UP_QUIET_MS = 300;
    /** The warm-up bound of each of two measurements (one protocol) and of each of four (both). */
    private static final long WARM_UP_BOUND_ONE_MS = 8_000;
    private static final long WARM_UP_BOUND_BOTH_MS = 4_000;
    /** Round trips of each measurement, with one protocol (two measurements) and with both (four). */
    private static final int COUNT_ONE = 100_000;
    private static final int COUNT_BOTH = 50_000;
    /** Connecting, and each TCP answer: a TCP run cannot go on past a lost answer, so longer than any stall. */
    private static final long TCP_TIMEOUT_MS = 5_000;
    private static final long TIME_WAIT_MS = 50;
    /** The TCP client's interactive ACK delay: far above a round trip here, far below the 5 ms minimum RTO. */
    private static final long TCP_INTERACTIVE_ACK_US = 200;

    @Option(names = "--proto", defaultValue = "both", paramLabel = "PROTO",
        description = "Which round trips: udp, tcp or both (default: ${DEFAULT-VALUE})")
    String proto;

    @Option(names = "--tcp-interactive-ack-us", defaultValue = "" + TCP_INTERACTIVE_ACK_US, paramLabel = "US",
        description = {"TCP: let the client's ACK of each answer wait up to this long for the next request to " +
            "carry it (Linux's ping-pong delayed ACK, as the kernel's client does); 0 sends it at once, in a " +
            "segment of its own (default: ${DEFAULT-VALUE})"})
    long tcpInteractiveAckUs;

    @Option(names = "--mode", defaultValue = "inline", paramLabel = "MODE",
        description = "Where the queue drivers run: process, thread or inline (default: ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--read-only-rx-ring", negatable = true, fallbackValue = "true",
        description = "With --mode process or thread: the queue drivers expose their RX descriptor rings read-only " +
            "and the applications take received frames from them themselves; --no-read-only-rx-ring: each frame " +
            "goes through the queue driver's rxReady ring, as before (default: on, as the card driver's default)")
    Boolean readOnlyRxRingOption;

    /** What the card drivers are told: the option, else the card driver's default. */
    private boolean readOnlyRxRing;

    @Option(names = "--count", paramLabel = "N",
        description = "Round trips recorded, for each protocol, nicq's and the kernel's (default: " + COUNT_BOTH +
            " with --proto both, " + COUNT_ONE + " with one protocol)")
    Integer countOption;

    /** --count, or its default for the protocols chosen. */
    private int count;

    @Option(names = "--warmup", defaultValue = "20000", paramLabel = "N",
        description = "Round trips before recording, at least; then until the JVMs are warm (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--warmup-quiet-ms", defaultValue = "" + WARM_UP_QUIET_MS, paramLabel = "MS",
        description = {"Warm up until no JVM of the run (this one, the card drivers, the queue drivers, the kernel's " +
            "echo server) has compiled anything for this long; 0 = exactly --warmup round trips (default: " +
            "${DEFAULT-VALUE})"})
    long warmupQuietMs;

    @Option(names = "--warmup-bound-ms", paramLabel = "MS",
        description = "Stop waiting for the JVMs to be warm after this long, and say so in the report; every " +
            "measurement (each kernel baseline, each nicq run) has this bound (default: " + WARM_UP_BOUND_BOTH_MS +
            " with --proto both, " + WARM_UP_BOUND_ONE_MS + " with one protocol)")
    Long warmupBoundMs;

    @Option(names = "--size", defaultValue = "64", paramLabel = "BYTES",
        description = "Payload bytes: a UDP datagram's, a TCP request's and answer's (default: ${DEFAULT-VALUE})")
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

    @Option(names = "--cpus", paramLabel = "CPUS",
        description = {"The CPUs the demo's loops may use, e.g. 2-5 or 1,3 (default: every CPU this process may run " +
            "on). The client and the server loop get the last two (the first CPUs take the machine's housekeeping " +
            "and interrupts), a device thread the one before; the kernel's client and echo server get the same two"})
    String cpusOption;

    @Option(names = "--pin", defaultValue = "true", negatable = true, fallbackValue = "true",
        description = "Pin the packet-path loops to CPUs (default: ${DEFAULT-VALUE})")
    boolean pin;

    @Option(names = "--kernel-baseline", defaultValue = "auto", paramLabel = "WHERE",
        description = "The kernel baselines: auto (namespaces as root, else loopback) or none (default: ${DEFAULT-VALUE})")
    String kernelBaseline;

    @Option(names = "--pcap", paramLabel = "FILE", description = "Capture every frame on the cable (card a's end) to a pcap file")
    Path pcap;

    private final List<Process> children = new ArrayList<>();
    private final List<String> childNames = new ArrayList<>();
    private final List<StallWatch> watches = new ArrayList<>();
    private final AtomicBoolean interrupted = new AtomicBoolean();
    private final AtomicBoolean serverRunning = new AtomicBoolean();
    private final AtomicReference<Throwable> serverFailure = new AtomicReference<>();
    private SimulatedCard cardA;
    private SimulatedCard cardB;
    private AgentRunner deviceRunner;
    private volatile Thread serverThread;
    private volatile Thread clientThread;
    private volatile DrivenAgent server;
    private RpcClient rpcClient;
    private TcpRpcClient tcpClient;
    private NicClient clientA;
    private NicClient clientB;
    private Path instanceDir;
    private Path simDir;
    private String idleName;
    private boolean cleanedUp;

    @Spec
    CommandSpec spec;

    /** What the command line chose, checked: one run of the demo. */
    private record Settings(List<Protocol> protocols, QueueDriverPlacement queueMode, boolean inlineDevice,
        CpuPlan plan, int cpus, long warmupBoundMs, boolean readOnlyRxRing)
    {
        String how(final String idleName)
        {
            return modeName(queueMode) + " mode" + (readOnlyRxRing ? " (read-only RX ring)" : "") + "; device loops " +
                (inlineDevice ? "on the application threads" : "on a device thread") + "; loops idle " + idleName +
                (plan.pinned() ? "; pinned " + plan : "") + "; " + cpus + " CPUs";
        }
    }

    public Integer call() throws Exception
    {
        final Settings settings = settings();
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
            final Map<Protocol, KernelBaseline.Result> kernel = new EnumMap<>(Protocol.class);
            if (!"none".equalsIgnoreCase(kernelBaseline))
            {
                for (final Protocol protocol : settings.protocols())
                {
                    step("the kernel's " + protocol + " round trip first, while nothing else runs: " + count +
                        " round trips of " + size + " bytes");
                    // The kernel's client and echo server on the CPUs nicq's client and server loops get.
                    kernel.put(protocol, KernelBaseline.measure(protocol, warmUp(settings), count, size, true, logs,
                        true, settings.plan().client(), settings.plan().server()));
                    if (interrupted.get())
                    {
                        return 130;
                    }
                }
            }

            step("two simulated 82599s joined by a simulated cable; device loops " +
                (settings.inlineDevice() ? "on each host's application thread" : "on a device thread") +
                "; loops idle: " + idleName + (settings.plan().pinned() ? ", pinned: " + settings.plan() : ""));
            startCards(settings.plan());

            final QueueDriverPlacement queueMode = settings.queueMode();
            final String driverMode = queueMode == QueueDriverPlacement.PROCESS ? "process" : "thread";
            step("card drivers (processes): a at " + IP_A + "/24, b at " + IP_B + "/24; queue drivers: " +
                (queueMode == QueueDriverPlacement.INLINE ? "inline in the applications' threads" :
                driverMode.equals("process") ? "processes" : "threads of the card drivers"));
            final Process driverA = start("card-driver-a", logs, cardDriverArgs("a", IP_A, driverMode, logs));
            final Process driverB = start("card-driver-b", logs, cardDriverArgs("b", IP_B, driverMode, logs));
            ChildJvm.awaitOutput(driverA, logs.resolve("card-driver-a.log"), "ready:", START_TIMEOUT_MS, "card-driver-a");
            ChildJvm.awaitOutput(driverB, logs.resolve("card-driver-b.log"), "ready:", START_TIMEOUT_MS, "card-driver-b");

            System.setProperty("nicq.dir", instanceDir.toString());
            System.setProperty("nicq.sim.dir", simDir.toString());
            clientA = NicClient.connect(new NicClient.Context().instance("a").name("demo-client"));
            clientB = NicClient.connect(new NicClient.Context().instance("b").name("demo-server"));

            final CombinedReport report = new CombinedReport(String.format(Locale.ROOT,
                "nicq demo: RPC round trips of %d-byte payloads over a simulated cable, beside the kernel's; %s",
                size, settings.how(idleName)));
            for (final Protocol protocol : settings.protocols())
            {
                final LatencyReport section = protocol == Protocol.TCP ? runTcp(settings, kernel.get(protocol)) :
                    runUdp(settings, kernel.get(protocol));
                if (section == null)
                {
                    return 130;
                }
                report.section(protocol.lowerCase(), section);
            }
            if (settings.protocols().size() == 2)
            {
                tcpOverUdp(report, kernel);
            }
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

    /** The options checked as a user would misuse them: each mistake one line and exit status 2. */
    private Settings settings()
    {
        final List<Protocol> protocols = switch (proto.toLowerCase(Locale.ROOT))
        {
            case "udp" -> List.of(Protocol.UDP);
            case "tcp" -> List.of(Protocol.TCP);
            case "both" -> List.of(Protocol.UDP, Protocol.TCP);
            default -> throw new ParameterException(spec.commandLine(), "--proto '" + proto +
                "' is not udp, tcp or both");
        };
        if (!"auto".equalsIgnoreCase(kernelBaseline) && !"none".equalsIgnoreCase(kernelBaseline))
        {
            throw new ParameterException(spec.commandLine(), "--kernel-baseline '" + kernelBaseline +
                "' is not auto or none");
        }
        count = countOption != null ? countOption : protocols.size() == 2 ? COUNT_BOTH : COUNT_ONE;
        CommandLines.requirePositive(spec, "--count", count);
        CommandLines.requireAtLeast(spec, "--warmup", warmup, 0);
        CommandLines.requireAtLeast(spec, "--warmup-quiet-ms", warmupQuietMs, 0);
        final long bound = warmupBoundMs != null ? warmupBoundMs :
            protocols.size() == 2 ? WARM_UP_BOUND_BOTH_MS : WARM_UP_BOUND_ONE_MS;
        CommandLines.requireAtLeast(spec, "--warmup-bound-ms", bound, Math.max(1, warmupQuietMs));
        // The card drivers the demo starts keep the default MTU.
        if (protocols.contains(Protocol.UDP))
        {
            CommandLines.requireRange(spec, "--size", size, RpcPayload.MIN_LENGTH, UdpLayer.maxPayloadAtMtu(0),
                "an RPC payload needs " + RpcPayload.MIN_LENGTH + " bytes; one UDP datagram at MTU 1500 carries at " +
                "most " + UdpLayer.maxPayloadAtMtu(0) + ", and nicq does not fragment");
        }
        CommandLines.requireRange(spec, "--tcp-interactive-ack-us", tcpInteractiveAckUs, 0,
            TimeUnit.NANOSECONDS.toMicros(TcpLayer.Context.DEFAULT_MIN_RTO_NS / 2) - 1,
            "an ACK held longer than half the minimum RTO could make the server resend its answer");
        final int tcpMax = TcpRpcClient.maxSize(new TcpLayer.Context());
        CommandLines.requireRange(spec, "--size", size, RpcPayload.MIN_LENGTH, tcpMax,
            "an RPC payload needs " + RpcPayload.MIN_LENGTH + " bytes; a TCP request is written whole into the " +
            tcpMax + "-byte send buffer");
        final QueueDriverPlacement queueMode = switch (mode.toLowerCase(Locale.ROOT))
        {
            case "process" -> QueueDriverPlacement.PROCESS;
            case "thread" -> QueueDriverPlacement.THREAD;
            case "inline" -> QueueDriverPlacement.INLINE;
            default -> throw new ParameterException(spec.commandLine(), "--mode '" + mode +
                "' is not one of process, thread, inline");
        };
        final int[] allowed = CpuAffinity.currentThreadCpus();
        final int[] usable;
        if (cpusOption == null)
        {
            usable = allowed;
        }
        else
        {
            try
            {
                usable = CpuAffinity.parse(cpusOption);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new ParameterException(spec.commandLine(), "--cpus: " + ex.getMessage(), ex);
            }
            for (final int cpu : usable)
            {
                if (Arrays.stream(allowed).noneMatch(a -> a == cpu))
                {
                    throw new ParameterException(spec.commandLine(), "--cpus: CPU " + cpu + " is not one this " +
                        "process may run on (" + Arrays.toString(allowed) + ")");
                }
            }
        }
        final int cpus = usable.length;
        final boolean inlineDevice = deviceLoop == null ? cpus < 4 : switch (deviceLoop.toLowerCase(Locale.ROOT))
        {
            case "inline" -> true;
            case "thread" -> false;
            default -> throw new ParameterException(spec.commandLine(), "--device-loop '" + deviceLoop +
                "' is not thread or inline");
        };
        final int spinningLoops = (inlineDevice ? 2 : 3) + (queueMode == QueueDriverPlacement.INLINE ? 0 : 2);
        idleName = idle != null ? idle : spinningLoops <= cpus ? "busy" : "yield";
        try
        {
            IdleStrategies.of(idleName);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), "--idle: " + ex.getMessage(), ex);
        }
        readOnlyRxRing = readOnlyRxRingOption != null ? readOnlyRxRingOption :
            CardDriver.Context.DEFAULT_QUEUE_DRIVER_READ_ONLY_RX_RING;
        if (Boolean.TRUE.equals(readOnlyRxRingOption) && queueMode == QueueDriverPlacement.INLINE)
        {
            throw new ParameterException(spec.commandLine(), "--read-only-rx-ring needs --mode process or thread: an " +
                "inline queue has no RX hop to save");
        }
        return new Settings(protocols, queueMode, inlineDevice, CpuPlan.of(pin, usable, inlineDevice), cpus, bound,
            readOnlyRxRing && queueMode != QueueDriverPlacement.INLINE);
    }

    /** UDP: an echo server on b, rpc-latency's client on a, each on a queue of its own, released at the end. */
    private LatencyReport runUdp(final Settings settings, final KernelBaseline.Result kernel) throws Exception
    {
        final QueueDriverPlacement queueMode = settings.queueMode();
        step("udp-echo on b:" + ECHO_PORT + " and rpc-latency on a, " + modeName(queueMode) + " mode");
        final NicQueue serverQueue = clientB.requestQueue(service(queueMode));
        final NicQueue clientQueue = clientA.requestQueue(service(queueMode));
        final EchoServer echo = new EchoServer(UdpSocket.open(new UdpLayer(new Ipv4Interface(serverQueue, clientB)))
            .bind(ECHO_PORT));
        startServer(new DrivenAgent(echo), settings.plan());
        final UdpSocket socket = UdpSocket.open(new UdpLayer(new Ipv4Interface(clientQueue, clientA))).bind(0);
        final RpcClient client = new RpcClient(socket, Ipv4Address.parse(IP_B), ECHO_PORT, size, 1, TimeUnit.SECONDS,
            IdleStrategies.of(idleName));
        rpcClient = client;
        // One round trip with the device thread still running resolves 10.0.0.2's MAC through the card drivers.
        client.roundTrip(0, false);
        if (settings.inlineDevice())
        {
            stopDeviceThread();
            server.duty(devices(cardB));
            client.duty(devices(cardA));
        }
        final WarmUp warmUp = warmUp(settings);
        step("rpc-latency: " + describe(warmUp, settings) + " to " + IP_B + ":" + ECHO_PORT + " (UDP)");
        final StallWatch conditions = watch("nicq udp");
        final boolean completed = runClient("rpc-latency", settings.plan(), () ->
            client.run(warmUp, count, this::stopping, System.err, conditions));
        endRun(settings, conditions);
        client.duty(null);
        rpcClient = null;
        clientA.releaseQueue(clientQueue);
        clientB.releaseQueue(serverQueue);
        if (!completed)
        {
            return null;
        }
        return RpcReport.build(client, "nicq UDP, " + modeName(queueMode) + " mode", size, modeName(queueMode),
            kernel, settings.how(idleName), warmUp, conditions);
    }

    /**
     * TCP: tcp-echo ({@link TcpEchoServer}, as is) on b, tcp-rpc-latency's client on a, one connection with
     * TCP_NODELAY, each on a queue of its own, released at the end; the connection is closed gracefully first.
     */
    private LatencyReport runTcp(final Settings settings, final KernelBaseline.Result kernel) throws Exception
    {
        final QueueDriverPlacement queueMode = settings.queueMode();
        step("tcp-echo on b:" + ECHO_PORT + " and tcp-rpc-latency on a, " + modeName(queueMode) + " mode");
        final NicQueue serverQueue = clientB.requestQueue(service(queueMode));
        final NicQueue clientQueue = clientA.requestQueue(service(queueMode));
        final TcpEchoServer echo = new TcpEchoServer(new TcpLayer(new Ipv4Interface(serverQueue, clientB)), ECHO_PORT);
        startServer(new DrivenAgent(echo), settings.plan());
        // The client closes first and so holds TIME_WAIT, which its close waits out: on a cable of two hosts that
        // are torn down next, old duplicates cannot arrive, and the default second would be a second of the demo.
        final TcpLayer.Context tcpContext = new TcpLayer.Context().timeWait(TIME_WAIT_MS, TimeUnit.MILLISECONDS)
            .interactiveAckDelay(tcpInteractiveAckUs, TimeUnit.MICROSECONDS);
        final TcpRpcClient client = new TcpRpcClient(new TcpLayer(new Ipv4Interface(clientQueue, clientA), tcpContext),
            size, TCP_TIMEOUT_MS, TimeUnit.MILLISECONDS, IdleStrategies.of(idleName));
        tcpClient = client;
        // Connecting with the device thread still running resolves 10.0.0.2's MAC through the card drivers.
        client.connect(Ipv4Address.parse(IP_B), ECHO_PORT, TCP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        client.roundTrip(0, false);
        if (settings.inlineDevice())
        {
            stopDeviceThread();
            server.duty(devices(cardB));
            client.duty(devices(cardA));
        }
        final WarmUp warmUp = warmUp(settings);
        step("tcp-rpc-latency: " + describe(warmUp, settings) + " to " + IP_B + ":" + ECHO_PORT +
            " (TCP, one connection, TCP_NODELAY)");
        final StallWatch conditions = watch("nicq tcp");
        final boolean completed = runClient("tcp-rpc-latency", settings.plan(), () ->
        {
            try
            {
                client.run(warmUp, count, this::stopping, System.err, conditions);
            }
            finally
            {
                // On this thread, with the device duty still on and the server still polling: FIN both ways.
                client.close(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            }
        });
        endRun(settings, conditions);
        client.duty(null);
        tcpClient = null;
        echo.onClose();
        clientA.releaseQueue(clientQueue);
        clientB.releaseQueue(serverQueue);
        if (!completed)
        {
            return null;
        }
        return TcpRpcReport.build(client, "nicq TCP, " + modeName(queueMode) + " mode", IP_B + ":" + ECHO_PORT,
            modeName(queueMode), kernel, settings.how(idleName), warmUp, conditions);
    }

    /** With both protocols: what TCP costs over UDP at the median, nicq's and the kernel's, in nanoseconds. */
    private static void tcpOverUdp(final CombinedReport report, final Map<Protocol, KernelBaseline.Result> kernel)
    {
        final long udp = report.sections().get(0).report().nicq().roundTrip().getValueAtPercentile(50);
        final long tcp = report.sections().get(1).report().nicq().roundTrip().getValueAtPercentile(50);
        String line = String.format(Locale.ROOT, "TCP over UDP at p50: nicq %+d ns (UDP %.2f us, TCP %.2f us)",
            tcp - udp, udp / 1e3, tcp / 1e3);
        report.fact("tcpOverUdpP50NsNicq", tcp - udp, "");
        final KernelBaseline.Result kernelUdp = kernel.get(Protocol.UDP);
        final KernelBaseline.Result kernelTcp = kernel.get(Protocol.TCP);
        if (kernelUdp != null && kernelTcp != null)
        {
            final long kUdp = kernelUdp.roundTrip().getValueAtPercentile(50);
            final long kTcp = kernelTcp.roundTrip().getValueAtPercentile(50);
            line += String.format(Locale.ROOT, "; kernel %+d ns (UDP %.2f us, TCP %.2f us)", kTcp - kUdp, kUdp / 1e3,
                kTcp / 1e3);
            report.fact("tcpOverUdpP50NsKernel", kTcp - kUdp, "");
        }
        report.note(line);
    }

    /** Runs a measuring client on a thread of its own (pinned as the plan says); false if interrupted. */
    private boolean runClient(final String name, final CpuPlan plan, final ThrowingRunnable body)
        throws InterruptedException
    {
        final AtomicReference<Throwable> clientFailure = new AtomicReference<>();
        clientThread = new Thread(() ->
        {
            try
            {
                plan.pinClient();
                body.run();
            }
            catch (final Throwable ex)
            {
                clientFailure.set(ex);
            }
        }, name);
        clientThread.start();
        clientThread.join();
        clientThread = null;
        if (interrupted.get())
        {
            // Ctrl-C: the shutdown hook is taking the run apart under the client; what that broke is no failure.
            return false;
        }
        if (clientFailure.get() != null || serverFailure.get() != null)
        {
            final Throwable failure = clientFailure.get() != null ? clientFailure.get() : serverFailure.get();
            throw new IllegalStateException("the " + name + " run failed: " + failure.getMessage(), failure);
        }
        return true;
    }

    /** A client's body, which may throw. */
    @FunctionalInterface
    private interface ThrowingRunnable
    {
        void run() throws Exception;
    }

    private boolean stopping()
    {
        return interrupted.get() || serverFailure.get() != null;
    }

    /**
     * After a protocol's run: its server stops, the duties come off the applications and the device thread runs
     * again (releasing queues needs a working card), and the run's hiccup meter stops waking.
     */
    private void endRun(final Settings settings, final StallWatch conditions)
    {
        stopServer();
        if (settings.inlineDevice() && deviceRunner == null)
        {
            startDeviceThread(CpuPlan.NONE);
        }
        conditions.close();
    }

    /** How nicq's run warms up and measures, for the progress line. */
    private String describe(final WarmUp warmUp, final Settings settings)
    {
        return (warmupQuietMs > 0 ? "at least " + warmup + " warm-up round trips, until every JVM of the run has " +
            "compiled nothing for " + warmupQuietMs + " ms (at most " + settings.warmupBoundMs() + " ms), then " :
            warmup + " warm-up and ") + count + " recorded round trips of " + size + " bytes";
    }

    /** The stalls and hiccups of nicq's measured window: this JVM's threads and the card drivers'. */
    private StallWatch watch(final String label)
    {
        final StallAccounting accounting = new StallAccounting().thisProcessTree("demo");
        for (int i = 0; i < children.size(); i++)
        {
            accounting.process(children.get(i).pid(), childNames.get(i));
        }
        final StallWatch watch = new StallWatch(label, accounting, new HiccupMeter());
        synchronized (this)
        {
            watches.add(watch);
        }
        return watch;
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
        final List<String> args = new ArrayList<>(List.of("--instance", name, "--nic", "sim:" + name, "--ip",
            ip + "/24", "--queue-driver-mode", driverMode, "--idle", idleName, "--log-dir", logs.toString()));
        args.add(readOnlyRxRing ? "--read-only-rx-ring" : "--no-read-only-rx-ring");
        return args;
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

    private synchronized void startDeviceThread(final CpuPlan plan)
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

    /** Stops the device thread (and waits for it) before the applications' threads take the device loops over. */
    private synchronized void stopDeviceThread()
    {
        CloseHelper.close(deviceRunner);
        deviceRunner = null;
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

    /**
     * An echo server's agent with a duty run before each of its polls: the card's device loop, when the server's
     * thread also plays its card's hardware. The UDP EchoServer has a duty of its own; TcpEchoServer has none, and
     * this keeps both the same.
     */
    private static final class DrivenAgent implements Agent
    {
        private final Agent work;
        private volatile Agent duty;

        DrivenAgent(final Agent work)
        {
            this.work = work;
        }

        void duty(final Agent duty)
        {
            this.duty = duty;
        }

        public int doWork() throws Exception
        {
            final Agent d = duty;
            return (d != null ? d.doWork() : 0) + work.doWork();
        }

        public String roleName()
        {
            return work.roleName();
        }
    }

    /** The server's thread: its agent polled until {@link #stopServer}, pinned as the plan says. */
    private void startServer(final DrivenAgent agent, final CpuPlan plan)
    {
        server = agent;
        serverRunning.set(true);
        final IdleStrategy idleStrategy = IdleStrategies.of(idleName);
        serverThread = new Thread(() ->
        {
            try
            {
                plan.pinServer();
                while (serverRunning.get())
                {
                    idleStrategy.idle(agent.doWork());
                }
            }
            catch (final Throwable ex)
            {
                serverFailure.set(ex);
            }
        }, agent.roleName());
        serverThread.start();
    }

    /** Stops the server's thread and takes its duty off (the thread no longer runs it). */
    private void stopServer()
    {
        serverRunning.set(false);
        joinQuietly(serverThread);
        serverThread = null;
        if (server != null)
        {
            server.duty(null);
            server = null;
        }
    }

    private List<String> jvmArgs()
    {
        return List.of("-Dnicq.dir=" + instanceDir, "-Dnicq.sim.dir=" + simDir,
            "-D" + RunCommand.EXIT_WITH_PARENT_PROPERTY + "=true", "-XX:+UseSerialGC", "-Xmx256m");
    }

    /** The warm-up the options ask for: until the JVMs are quiet, or a fixed count with --warmup-quiet-ms 0. */
    private WarmUp warmUp(final Settings settings)
    {
        return warmupQuietMs > 0 ? WarmUp.untilCompiled(warmup, warmupQuietMs, settings.warmupBoundMs()) :
            WarmUp.fixed(warmup);
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
     * Stops, in order: the applications (the client and server threads may be driving the cards; the client stops at
     * the interrupted flag), a device thread again (releasing queues and stopping the card drivers need a working
     * card), the clients, the card driver processes (SIGTERM, then SIGKILL), the device thread and the cards; then
     * removes the files.
     */
    private synchronized void cleanUp()
    {
        if (cleanedUp)
        {
            return;
        }
        cleanedUp = true;
        watches.forEach(CloseHelper::quietClose);
        joinQuietly(clientThread);
        stopServer();
        if (rpcClient != null)
        {
            rpcClient.duty(null);
        }
        if (tcpClient != null)
        {
            tcpClient.duty(null);
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

        /**
         * The plan on {@code cpus} (in the order given): the client and the server loop on the last two, a device
         * thread on the one before them (with two CPUs, beside the server), so on a large machine the loops stay off
         * the first CPUs, where the kernel's housekeeping and most interrupts land.
         */
        static CpuPlan of(final boolean pin, final int[] cpus, final boolean inlineDevice)
        {
            final int n = cpus.length;
            if (!pin || n < 2)
            {
                return NONE;
            }
            final int client = cpus[n - 2];
            final int server = cpus[n - 1];
            if (inlineDevice)
            {
                return new CpuPlan(-1, client, server);
            }
            return n >= 3 ? new CpuPlan(cpus[n - 3], client, server) : new CpuPlan(cpus[0], cpus[1], cpus[1]);
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
