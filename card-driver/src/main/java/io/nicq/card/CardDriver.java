package io.nicq.card;

import io.nicq.ixgbe.Registers;
import io.nicq.packet.Ipv4Address;
import io.nicq.packet.MacAddress;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.nicq.ixgbe.Nic;
import io.nicq.proto.ControlProtocol;
import io.nicq.proto.ControlWakeWords;
import io.nicq.proto.InstancePaths;
import io.nicq.queue.QueueDriver;
import io.nicq.runtime.Durations;
import io.nicq.runtime.WakeWord;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;

/**
 * The card driver: owns one 82599 (simulated or real) for one nicq instance. It claims the instance directory,
 * initialises the card ({@link CardInit}), starts the control plane (an embedded Aeron media driver unless told to
 * use another, and the {@link CardDriverConductor} that serves the SBE control protocol), runs the default queue
 * (queue 0: ARP, ICMP echo, neighbour resolution) and supervises the queue drivers of the queues it grants.
 * <pre>
 *   try (CardDriver driver = CardDriver.launch(new CardDriver.Context()
 *       .instance("a").nicSpec("sim:card0").ipv4("10.0.0.1/24")))
 *   {
 *       ... clients connect to InstancePaths.of("a").aeronDir() ...
 *   }
 * </pre>
 * {@link #close()} revokes every queue, clears the filters, stops the queue drivers and removes the instance's files.
 * Embedded use (tests, the demo) and the {@code nicq card-driver} command are the same code.
 * <p>
 * The control plane is one thread: the conductor runs the embedded media driver (Aeron's {@code INVOKER} threading
 * mode) and its own Aeron client inside its duty cycle, and sleeps between requests on the instance's control wake
 * file ({@link ControlWakeWords}), which clients ring after every request.
 */
public final class CardDriver implements AutoCloseable
{
    private final Context ctx;
    private final CardLog log;
    private InstanceDirectory directory;
    private Nic nic;
    private boolean ownsNic;
    private CountersFile countersFile;
    private ControlWakeWords wakeWords;
    private ConductorDoorbell doorbell;
    private WakeWord sleeperWord;
    private ConductorIdleStrategy sleeper;
    private MediaDriver mediaDriver;
    private Aeron aeron;
    private CardDriverConductor conductor;
    private AgentRunner conductorRunner;
    private long mac;
    private volatile boolean closed;

    private CardDriver(final Context ctx)
    {
        this.ctx = ctx;
        this.log = new CardLog(ctx.out(), ctx.instance());
    }

    /**
     * Starts a card driver; returns once the card is initialised, the link is up and the control server runs.
     *
     * @throws IllegalStateException or {@link io.nicq.ixgbe.DeviceTimeoutException} naming what failed; everything
     *                               acquired so far is released
     */
    public static CardDriver launch(final Context ctx)
    {
        ctx.conclude();
        final CardDriver driver = new CardDriver(ctx);
        try
        {
            driver.start();
            return driver;
        }
        catch (final RuntimeException ex)
        {
            driver.close();
            throw ex;
        }
    }

    private void start()
    {
        final InstancePaths paths = ctx.paths();
        log.info("starting: instance " + paths.instance() + " at " + paths.root() + ", card " + ctx.nicSpec() +
            ", address " + Ipv4Address.toString(ctx.ipv4()) + "/" + ctx.prefixLength() +
            (ctx.gateway() != 0 ? ", gateway " + Ipv4Address.toString(ctx.gateway()) : "") +
            ", queue drivers as " + ctx.queueDriverMode().name().toLowerCase());
        directory = InstanceDirectory.claim(paths, log);

        ownsNic = ctx.nic() == null;
        nic = ownsNic ? Nic.open(ctx.nicSpec()) : ctx.nic();
        log.info("mapped BAR0 of " + nic.bar().description() + ", DMA through " + nic.dma().description());
        final int reclaimed = nic.dma().releaseMappingsOfDeadProcesses();
        if (reclaimed > 0)
        {
            log.info("released " + reclaimed + " DMA mappings of processes that have died");
        }

        mac = new CardInit(nic.bar(), ctx, log).run();
        QueueInterrupts.program(nic.bar());
        log.info("interrupts: MSI-X mode, queues 0.." + (QueueInterrupts.QUEUES_WITH_VECTORS - 1) +
            " each on its own vector, auto-clear and auto-mask, all masked until a queue driver sleeps");

        countersFile = CountersFile.create(paths.countersFile(), ProcessHandle.current().pid());
        final CardCounters counters = new CardCounters(countersFile.manager());
        // Before the media driver: a client that finds the Aeron directory finds the wake file too.
        wakeWords = ControlWakeWords.create(paths.controlWakeFile());
        doorbell = new ConductorDoorbell(wakeWords);

        final String aeronDir;
        if (ctx.aeronDirectoryName() == null)
        {
            mediaDriver = MediaDriver.launch(new MediaDriver.Context()
                .aeronDirectoryName(paths.aeronDir().toString())
                // No threads of its own: the conductor runs its duty cycle, and sleeps when the control plane is
                // idle (Aeron's own idle strategies wake a thousand times a second). Name resolution (UDP only)
                // runs in the same duty cycle instead of on an executor thread that polls.
                .threadingMode(ThreadingMode.INVOKER)
                .asyncExecutorEnabled(false)
                .ipcTermBufferLength(ctx.ipcTermBufferLength())
                .clientLivenessTimeoutNs(ctx.aeronClientLivenessTimeoutNs())
                // Timers every 10 ms, not Aeron's 1 s, whenever the conductor runs: a client that stops reading
                // answers is then left behind (untethered, ControlProtocol.RESPONSE_SUBSCRIPTION_CHANNEL) before the
                // answer stream blocks for everyone else. An idle conductor runs them on its own ticks.
                .timerIntervalNs(TimeUnit.MILLISECONDS.toNanos(10))
                .untetheredWindowLimitTimeoutNs(TimeUnit.MILLISECONDS.toNanos(20))
                .untetheredRestingTimeoutNs(TimeUnit.MILLISECONDS.toNanos(50))
                // A sleeping conductor is the design, not a stall: count only cycles longer than its idle tick.
                .conductorCycleThresholdNs(2 * ctx.idleTickIntervalNs())
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .warnIfDirectoryExists(false)
                .errorHandler(ex -> log.warnLimited("media driver: " + ex)));
            aeronDir = mediaDriver.aeronDirectoryName();
            log.info("embedded media driver at " + aeronDir + " (run by the conductor, IPC terms of " +
                ctx.ipcTermBufferLength() / 1024 + " KiB)");
        }
        else
        {
            aeronDir = ctx.aeronDirectoryName();
            log.info("using the media driver at " + aeronDir);
        }
        final AgentInvoker mediaDriverInvoker = mediaDriver != null ? mediaDriver.sharedAgentInvoker() : null;
        aeron = Aeron.connect(new Aeron.Context()
            .aeronDirectoryName(aeronDir)
            .useConductorAgentInvoker(true)
            // While this client waits for the media driver (adding its streams, on this thread), it runs it.
            .driverAgentInvoker(mediaDriverInvoker)
            .errorHandler(ex -> log.warnLimited("aeron client: " + ex))
            .subscriberErrorHandler(ex -> log.warnLimited("control server: " + ex)));

        conductor = new CardDriverConductor(ctx, log, nic, mac, aeron, mediaDriverInvoker, wakeWords, doorbell,
            counters, countersFile);
        conductor.startDefaultQueue();
        IdleStrategy idle = ctx.conductorIdleStrategy();
        if (idle == null)
        {
            sleeperWord = wakeWords.requests();
            sleeper = new ConductorIdleStrategy(sleeperWord, conductor::nextDeadlineNs);
            conductor.sleeper(sleeper);
            idle = sleeper;
        }
        conductorRunner = new AgentRunner(idle, ctx.errorHandler(log), null, conductor);
        AgentRunner.startOnThread(conductorRunner);
        log.info("control server on " + ControlProtocol.CHANNEL + " streams " + ControlProtocol.REQUEST_STREAM_ID +
            "/" + ControlProtocol.RESPONSE_STREAM_ID + "; ready: MAC " + MacAddress.toString(mac) + ", " +
            Ipv4Address.toString(ctx.ipv4()) + "/" + ctx.prefixLength());
    }

    public Context context()
    {
        return ctx;
    }

    /** The card's MAC address (first octet most significant). */
    public long mac()
    {
        return mac;
    }

    /** The card as the card driver opened it. */
    public Nic nic()
    {
        return nic;
    }

    /** The Aeron directory clients connect to. */
    public String aeronDirectoryName()
    {
        return aeron.context().aeronDirectoryName();
    }

    public boolean isClosed()
    {
        return closed;
    }

    /**
     * Stops: revokes every queue (clients are told), clears the filters and the ARP filter, disables the queues,
     * stops the queue drivers, closes the control plane and removes the instance's files. Idempotent.
     */
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        final boolean started = directory != null;
        if (started)
        {
            log.info("stopping");
        }
        try
        {
            if (sleeper != null)
            {
                sleeper.stopSleeping();                  // then the ring: the conductor sees its runner stop
                doorbell.ring();
            }
            CloseHelper.quietClose(conductorRunner);     // the conductor's onClose does the orderly teardown
            if (conductorRunner == null && conductor != null)
            {
                conductor.onClose();
            }
        }
        finally
        {
            CloseHelper.quietCloseAll(aeron, mediaDriver);
            // Every thread that rings or sleeps on the wake file has stopped (late exit callbacks ring nothing).
            CloseHelper.quietCloseAll(doorbell, sleeperWord, wakeWords);
            if (countersFile != null)
            {
                countersFile.markShutdown();
                countersFile.close();
            }
            if (ownsNic)
            {
                CloseHelper.quietClose(nic);
            }
            CloseHelper.quietClose(directory);
            if (started)
            {
                log.info("stopped");
            }
        }
    }

    /**
     * Configuration of a card driver, with defaults. Required: {@link #ipv4(int, int)} (or {@link #ipv4(String)}).
     */
    public static final class Context
    {
        /**
         * Served queues take received frames from a read-only mapping of their RX descriptor ring (on): the
         * queue driver's RX hop was most of a thread- or process-mode round trip (issue 15's figures). Inline queues
         * need nothing of the kind, and queue 0 is the card driver's own.
         */
        public static final boolean DEFAULT_QUEUE_DRIVER_READ_ONLY_RX_RING = true;

        /** Default instance name. */
        public static final String DEFAULT_INSTANCE = "default";
        /** Default card: the simulated card named card0. */
        public static final String DEFAULT_NIC = "sim:card0";
        public static final int DEFAULT_MTU = 1500;
        public static final int DEFAULT_IPC_TERM_BUFFER_LENGTH = 256 * 1024;

        private String instance = DEFAULT_INSTANCE;
        private Path baseDir;
        private InstancePaths paths;
        private String nicSpec = DEFAULT_NIC;
        private Nic nic;
        private int ipv4;
        private int prefixLength = 24;
        private int gateway;
        private int mtu = DEFAULT_MTU;
        private QueueDriverMode queueDriverMode = QueueDriverMode.PROCESS;
        private String aeronDirectoryName;
        private int ipcTermBufferLength = DEFAULT_IPC_TERM_BUFFER_LENGTH;
        private long aeronClientLivenessTimeoutNs = TimeUnit.SECONDS.toNanos(5);
        private IdleStrategy conductorIdleStrategy;
        private Supplier<IdleStrategy> queueDriverIdleStrategySupplier;
        private String queueDriverIdle = "adaptive";
        private String defaultQueueIdle = "adaptive";
        private long clientTimeoutNs = TimeUnit.MILLISECONDS.toNanos(ControlProtocol.DEFAULT_CLIENT_TIMEOUT_MS);
        private long livenessCheckIntervalNs = TimeUnit.MILLISECONDS.toNanos(100);
        private long idleTickIntervalNs = TimeUnit.SECONDS.toNanos(1);
        private long statsIntervalNs = TimeUnit.SECONDS.toNanos(1);
        private long resetTimeoutNs = TimeUnit.SECONDS.toNanos(1);
        private long eepromTimeoutNs = TimeUnit.SECONDS.toNanos(1);
        private long dmaInitTimeoutNs = TimeUnit.SECONDS.toNanos(1);
        private long linkTimeoutNs = TimeUnit.SECONDS.toNanos(10);
        private long queueEnableTimeoutNs = TimeUnit.SECONDS.toNanos(1);
        private long queueDriverStartTimeoutNs = TimeUnit.SECONDS.toNanos(30);
        private boolean queueDriverReadOnlyRxRing = DEFAULT_QUEUE_DRIVER_READ_ONLY_RX_RING;
        private long queueDriverStopTimeoutNs = TimeUnit.SECONDS.toNanos(2);
        private long neighbourTimeoutNs = TimeUnit.SECONDS.toNanos(1);
        private int neighbourRetries = 3;
        private long neighbourLifetimeNs = TimeUnit.SECONDS.toNanos(60);
        private java.util.function.Consumer<String> cardFailureHandler = failure -> { };
        private int defaultRingSize = 512;
        private int defaultSlotCount = 2048;
        private Path logDir;
        private PrintStream out = System.out;
        private ErrorHandler errorHandler;
        private int flowDirectorAllocation = Registers.FDIRCTRL_PBALLOC_256K;
        private FlowDirectorMatch flowDirectorMatch = FlowDirectorMatch.CONNECTIONS;
        private long flowDirectorInitTimeoutNs = TimeUnit.SECONDS.toNanos(1);
        private long flowDirectorCommandTimeoutNs = TimeUnit.SECONDS.toNanos(1);
        private int softwareFilterLimit = SoftwareFilters.DEFAULT_LIMIT;
        private int ephemeralPortLow = EphemeralPorts.DEFAULT_LOW;
        private int ephemeralPortHigh = EphemeralPorts.DEFAULT_HIGH;
        private boolean concluded;

        /** Checks and completes the configuration; {@link CardDriver#launch} calls it. */
        public Context conclude()
        {
            if (concluded)
            {
                return this;
            }
            if (ipv4 == 0)
            {
                throw new IllegalArgumentException("the card needs an IPv4 address (--ip 10.0.0.1/24)");
            }
            if (prefixLength < 1 || prefixLength > 32)
            {
                throw new IllegalArgumentException("prefix length " + prefixLength + " is outside 1..32");
            }
            if (gateway != 0 && (gateway & Ipv4Address.netmask(prefixLength)) !=
                (ipv4 & Ipv4Address.netmask(prefixLength)))
            {
                throw new IllegalArgumentException("gateway " + Ipv4Address.toString(gateway) + " is not on " +
                    Ipv4Address.toString(ipv4 & Ipv4Address.netmask(prefixLength)) + "/" + prefixLength);
            }
            if (mtu < 68 || mtu > 1500)
            {
                throw new IllegalArgumentException("MTU " + mtu + " is outside 68..1500 (2 KiB buffers, no jumbo)");
            }
            paths = baseDir == null ? InstancePaths.of(instance) : InstancePaths.of(instance, baseDir);
            if (livenessCheckIntervalNs <= 0 || idleTickIntervalNs < livenessCheckIntervalNs || statsIntervalNs <= 0)
            {
                throw new IllegalArgumentException("the liveness check and statistics intervals must be positive, " +
                    "the idle tick no shorter than the liveness check");
            }
            if (idleTickIntervalNs > TimeUnit.SECONDS.toNanos(2))
            {
                // The media driver's heartbeat, which clients check, and the counters file's heartbeat need a tick.
                throw new IllegalArgumentException("the idle tick must be at most 2 s, not " +
                    Durations.format(idleTickIntervalNs));
            }
            if (logDir == null)
            {
                logDir = Path.of(System.getProperty("java.io.tmpdir"), "nicq-logs", instance);
            }
            concluded = true;
            return this;
        }

        /** Instance name: the directory under the nicq root; default "default". */
        public Context instance(final String instance)
        {
            this.instance = InstancePaths.validateName("instance", instance);
            return this;
        }

        public String instance()
        {
            return instance;
        }

        /** Directory holding all instances; default {@code /dev/shm/nicq} or the {@code nicq.dir} property. */
        public Context baseDir(final Path baseDir)
        {
            this.baseDir = baseDir;
            return this;
        }

        public Path baseDir()
        {
            return baseDir;
        }

        /** The instance's files (after {@link #conclude()}). */
        public InstancePaths paths()
        {
            return paths;
        }

        /** The card: sim:NAME, pci:ADDRESS or vfio:ADDRESS; default sim:card0. */
        public Context nicSpec(final String nicSpec)
        {
            this.nicSpec = nicSpec;
            return this;
        }

        public String nicSpec()
        {
            return nic != null ? nic.spec() : nicSpec;
        }

        /** A card opened by the caller (tests); not closed by the card driver. Overrides {@link #nicSpec}. */
        public Context nic(final Nic nic)
        {
            this.nic = nic;
            return this;
        }

        public Nic nic()
        {
            return nic;
        }

        /** The card's address and prefix length, host order. */
        public Context ipv4(final int ipv4, final int prefixLength)
        {
            this.ipv4 = ipv4;
            this.prefixLength = prefixLength;
            return this;
        }

        /** The card's address as {@code a.b.c.d/n}. */
        public Context ipv4(final String addressWithPrefix)
        {
            final Addresses.Ipv4WithPrefix parsed = Addresses.Ipv4WithPrefix.parse(addressWithPrefix);
            return ipv4(parsed.address(), parsed.prefixLength());
        }

        public int ipv4()
        {
            return ipv4;
        }

        public int prefixLength()
        {
            return prefixLength;
        }

        /** Default gateway (host order), 0 for none: where ResolveNeighbour goes for addresses off the subnet. */
        public Context gateway(final int gateway)
        {
            this.gateway = gateway;
            return this;
        }

        public int gateway()
        {
            return gateway;
        }

        /** IP MTU told to clients; default 1500. */
        public Context mtu(final int mtu)
        {
            this.mtu = mtu;
            return this;
        }

        public int mtu()
        {
            return mtu;
        }

        /** Where queue drivers of PROCESS/THREAD requests run; default PROCESS. INLINE requests are never affected. */
        public Context queueDriverMode(final QueueDriverMode queueDriverMode)
        {
            this.queueDriverMode = queueDriverMode;
            return this;
        }

        public QueueDriverMode queueDriverMode()
        {
            return queueDriverMode;
        }

        /** Use the media driver at this directory instead of embedding one (clients must be told where it is). */
        public Context aeronDirectoryName(final String aeronDirectoryName)
        {
            this.aeronDirectoryName = aeronDirectoryName;
            return this;
        }

        public String aeronDirectoryName()
        {
            return aeronDirectoryName;
        }

        /** Term length of IPC publications of the embedded media driver; default 256 KiB (control traffic). */
        public Context ipcTermBufferLength(final int ipcTermBufferLength)
        {
            this.ipcTermBufferLength = ipcTermBufferLength;
            return this;
        }

        public int ipcTermBufferLength()
        {
            return ipcTermBufferLength;
        }

        /** How long the embedded media driver keeps a silent Aeron client (a killed client's subscription). */
        public Context aeronClientLivenessTimeoutNs(final long aeronClientLivenessTimeoutNs)
        {
            this.aeronClientLivenessTimeoutNs = aeronClientLivenessTimeoutNs;
            return this;
        }

        public long aeronClientLivenessTimeoutNs()
        {
            return aeronClientLivenessTimeoutNs;
        }

        /**
         * How the conductor (and with it the embedded media driver) idles between duty cycles without work. Default
         * null: it sleeps until a client rings the instance's control wake file or its next timer is due
         * ({@code ConductorIdleStrategy}). Another strategy polls instead (clients that ring nothing are then served
         * within its longest idle).
         */
        public Context conductorIdleStrategy(final IdleStrategy conductorIdleStrategy)
        {
            this.conductorIdleStrategy = conductorIdleStrategy;
            return this;
        }

        public IdleStrategy conductorIdleStrategy()
        {
            return conductorIdleStrategy;
        }

        /** Idle strategy name for queue drivers (adaptive, busy, yield, backoff, sleep); default adaptive. */
        public Context queueDriverIdle(final String queueDriverIdle)
        {
            this.queueDriverIdle = queueDriverIdle;
            return this;
        }

        public String queueDriverIdle()
        {
            return queueDriverIdle;
        }

        /** A client silent for longer loses its queues and filters; default {@code DEFAULT_CLIENT_TIMEOUT_MS}. */
        public Context clientTimeoutNs(final long clientTimeoutNs)
        {
            this.clientTimeoutNs = clientTimeoutNs;
            return this;
        }

        public long clientTimeoutNs()
        {
            return clientTimeoutNs;
        }

        /**
         * How often client pids and heartbeats and queue driver deadlines are checked while there is a client or a
         * client queue; default 100 ms (a dead client is reclaimed by its pid within it).
         */
        public Context livenessCheckIntervalNs(final long livenessCheckIntervalNs)
        {
            this.livenessCheckIntervalNs = livenessCheckIntervalNs;
            return this;
        }

        public long livenessCheckIntervalNs()
        {
            return livenessCheckIntervalNs;
        }

        /**
         * How often the conductor runs when nothing is connected (the card's health, the media driver's timers and
         * heartbeat, the counters file's heartbeat); default 1 s, at most 2 s.
         */
        public Context idleTickIntervalNs(final long idleTickIntervalNs)
        {
            this.idleTickIntervalNs = idleTickIntervalNs;
            return this;
        }

        public long idleTickIntervalNs()
        {
            return idleTickIntervalNs;
        }

        /**
         * How often the card's statistics are read into the counters (and the counters file's heartbeat written);
         * default 1 s. The 82599's clear-on-read counters need no more: the fastest to wrap, 32-bit packet counts,
         * take minutes at line rate.
         */
        public Context statsIntervalNs(final long statsIntervalNs)
        {
            this.statsIntervalNs = statsIntervalNs;
            return this;
        }

        public long statsIntervalNs()
        {
            return statsIntervalNs;
        }

        /** Wait for CTRL.RST to clear; default 1 s. */
        public Context resetTimeoutNs(final long resetTimeoutNs)
        {
            this.resetTimeoutNs = resetTimeoutNs;
            return this;
        }

        public long resetTimeoutNs()
        {
            return resetTimeoutNs;
        }

        /** Wait for EEC.ARD; default 1 s. */
        public Context eepromTimeoutNs(final long eepromTimeoutNs)
        {
            this.eepromTimeoutNs = eepromTimeoutNs;
            return this;
        }

        public long eepromTimeoutNs()
        {
            return eepromTimeoutNs;
        }

        /** Wait for RDRXCTL.DMAIDONE; default 1 s. */
        public Context dmaInitTimeoutNs(final long dmaInitTimeoutNs)
        {
            this.dmaInitTimeoutNs = dmaInitTimeoutNs;
            return this;
        }

        public long dmaInitTimeoutNs()
        {
            return dmaInitTimeoutNs;
        }

        /** Wait for LINKS.LINK_UP; default 10 s (as ixy). */
        public Context linkTimeoutNs(final long linkTimeoutNs)
        {
            this.linkTimeoutNs = linkTimeoutNs;
            return this;
        }

        public long linkTimeoutNs()
        {
            return linkTimeoutNs;
        }

        /** Wait for RXDCTL/TXDCTL.ENABLE to read back (set or clear); default 1 s. */
        public Context queueEnableTimeoutNs(final long queueEnableTimeoutNs)
        {
            this.queueEnableTimeoutNs = queueEnableTimeoutNs;
            return this;
        }

        public long queueEnableTimeoutNs()
        {
            return queueEnableTimeoutNs;
        }

        /** How long a granted queue waits for its queue driver to attach its rings; default 30 s (a JVM start). */
        public Context queueDriverStartTimeoutNs(final long queueDriverStartTimeoutNs)
        {
            this.queueDriverStartTimeoutNs = queueDriverStartTimeoutNs;
            return this;
        }

        public long queueDriverStartTimeoutNs()
        {
            return queueDriverStartTimeoutNs;
        }

        /**
         * Whether the queue drivers of granted queues (threads or processes; never queue 0, whose client is the
         * default-queue service) expose their RX descriptor ring read-only to the client, which then takes received
         * frames itself ({@code QueueDriver.Context#readOnlyRxRing}): no RX hop through the queue driver. Default
         * {@link #DEFAULT_QUEUE_DRIVER_READ_ONLY_RX_RING}.
         */
        public Context queueDriverReadOnlyRxRing(final boolean queueDriverReadOnlyRxRing)
        {
            this.queueDriverReadOnlyRxRing = queueDriverReadOnlyRxRing;
            return this;
        }

        public boolean queueDriverReadOnlyRxRing()
        {
            return queueDriverReadOnlyRxRing;
        }

        /** How long a queue driver process gets to exit after SIGTERM before SIGKILL; default 2 s. */
        public Context queueDriverStopTimeoutNs(final long queueDriverStopTimeoutNs)
        {
            this.queueDriverStopTimeoutNs = queueDriverStopTimeoutNs;
            return this;
        }

        public long queueDriverStopTimeoutNs()
        {
            return queueDriverStopTimeoutNs;
        }

        /** Wait for an ARP reply before asking again; default 1 s. */
        public Context neighbourTimeoutNs(final long neighbourTimeoutNs)
        {
            this.neighbourTimeoutNs = neighbourTimeoutNs;
            return this;
        }

        public long neighbourTimeoutNs()
        {
            return neighbourTimeoutNs;
        }

        /** ARP requests sent after the first before {@code NEIGHBOUR_TIMEOUT}; default 3. */
        public Context neighbourRetries(final int neighbourRetries)
        {
            this.neighbourRetries = neighbourRetries;
            return this;
        }

        public int neighbourRetries()
        {
            return neighbourRetries;
        }

        /** How long a learned neighbour is trusted; default 60 s. */
        public Context neighbourLifetimeNs(final long neighbourLifetimeNs)
        {
            this.neighbourLifetimeNs = neighbourLifetimeNs;
            return this;
        }

        public long neighbourLifetimeNs()
        {
            return neighbourLifetimeNs;
        }

        /** Ring size of a queue whose request says 0; default 512. */
        public Context defaultRingSize(final int defaultRingSize)
        {
            this.defaultRingSize = defaultRingSize;
            return this;
        }

        public int defaultRingSize()
        {
            return defaultRingSize;
        }

        /** Slot count of a queue whose request says 0; default 2048. */
        public Context defaultSlotCount(final int defaultSlotCount)
        {
            this.defaultSlotCount = defaultSlotCount;
            return this;
        }

        public int defaultSlotCount()
        {
            return defaultSlotCount;
        }

        /** Where queue driver processes write their output; default {@code $TMPDIR/nicq-logs/<instance>}. */
        public Context logDir(final Path logDir)
        {
            this.logDir = logDir;
            return this;
        }

        public Path logDir()
        {
            return logDir;
        }

        /** Where the card driver logs; default stdout. */
        public Context out(final PrintStream out)
        {
            this.out = out;
            return this;
        }

        public PrintStream out()
        {
            return out;
        }

        /**
         * Called once, on the conductor thread, when the card fails (its queues are already revoked): the command
         * stops the card driver and exits non-zero so that a supervisor restarts it. Default: nothing more.
         */
        public Context cardFailureHandler(final java.util.function.Consumer<String> cardFailureHandler)
        {
            this.cardFailureHandler = cardFailureHandler;
            return this;
        }

        public java.util.function.Consumer<String> cardFailureHandler()
        {
            return cardFailureHandler;
        }

        /**
         * Idle strategy of queue 0's queue driver (ARP, ping, unfiltered traffic), whatever the applications' queues
         * do (default adaptive: asleep on vector 0 and its channel's wake word when idle).
         */
        public Context defaultQueueIdle(final String defaultQueueIdle)
        {
            this.defaultQueueIdle = defaultQueueIdle;
            return this;
        }

        public String defaultQueueIdle()
        {
            return defaultQueueIdle;
        }

        /** Errors escaping an agent; default: logged. */
        public Context errorHandler(final ErrorHandler errorHandler)
        {
            this.errorHandler = errorHandler;
            return this;
        }

        ErrorHandler errorHandler(final CardLog log)
        {
            return errorHandler != null ? errorHandler : ex -> log.warnLimited("error: " + ex);
        }

        /**
         * The flow director's share of the RX packet buffer, FDIRCTRL.PBALLOC: {@code Registers.FDIRCTRL_PBALLOC_64K},
         * {@code _128K} or {@code _256K} (2K, 4K or 8K perfect-match filters; the default 256 KiB, 8K filters), or
         * {@code _NONE} for none: filters then go from the 5-tuple registers straight to software.
         */
        public Context flowDirectorAllocation(final int pballoc)
        {
            if (pballoc < Registers.FDIRCTRL_PBALLOC_NONE || pballoc > Registers.FDIRCTRL_PBALLOC_256K)
            {
                throw new IllegalArgumentException("flow director allocation " + pballoc + " is outside 0..3 " +
                    "(none, 64, 128, 256 KiB)");
            }
            this.flowDirectorAllocation = pballoc;
            return this;
        }

        public int flowDirectorAllocation()
        {
            return flowDirectorAllocation;
        }

        /**
         * Which filters the flow director holds: its masks are global, so one kind. Default CONNECTIONS (TCP
         * connection filters, all five fields); PORTS holds UDP and TCP port filters (source masked).
         */
        public Context flowDirectorMatch(final FlowDirectorMatch flowDirectorMatch)
        {
            this.flowDirectorMatch = flowDirectorMatch;
            return this;
        }

        public FlowDirectorMatch flowDirectorMatch()
        {
            return flowDirectorMatch;
        }

        /** Wait for FDIRCTRL.INIT_DONE at start-up; default 1 s (Linux polls 10 x 1 ms; DPDK notes 6 ms at 100M). */
        public Context flowDirectorInitTimeoutNs(final long flowDirectorInitTimeoutNs)
        {
            this.flowDirectorInitTimeoutNs = flowDirectorInitTimeoutNs;
            return this;
        }

        public long flowDirectorInitTimeoutNs()
        {
            return flowDirectorInitTimeoutNs;
        }

        /**
         * Wait for FDIRCMD.CMD to self-clear after a filter command; default 1 s, as for queue enable (silicon takes
         * microseconds; a simulated card on a loaded machine can be descheduled for a hundred milliseconds and more).
         */
        public Context flowDirectorCommandTimeoutNs(final long flowDirectorCommandTimeoutNs)
        {
            this.flowDirectorCommandTimeoutNs = flowDirectorCommandTimeoutNs;
            return this;
        }

        public long flowDirectorCommandTimeoutNs()
        {
            return flowDirectorCommandTimeoutNs;
        }

        /**
         * Filters the default queue matches in software once the hardware has no room, copying each matching frame
         * to its owner's queue; default {@link SoftwareFilters#DEFAULT_LIMIT}, 0 for none.
         */
        public Context softwareFilterLimit(final int softwareFilterLimit)
        {
            if (softwareFilterLimit < 0 || softwareFilterLimit > SoftwareFilters.MAX_LIMIT)
            {
                throw new IllegalArgumentException("software filter limit " + softwareFilterLimit + " is outside 0.." +
                    SoftwareFilters.MAX_LIMIT);
            }
            this.softwareFilterLimit = softwareFilterLimit;
            return this;
        }

        public int softwareFilterLimit()
        {
            return softwareFilterLimit;
        }

        /**
         * The local ports handed out to TCP connection filters that ask for port 0 (a client connecting); default
         * RFC 6335's dynamic ports, 49152..65535. One pool per card: no two clients get the same port.
         */
        public Context ephemeralPorts(final int low, final int high)
        {
            if (low < 1 || high > 0xFFFF || low > high)
            {
                throw new IllegalArgumentException("ephemeral ports " + low + ".." + high + " are not a range " +
                    "within 1..65535");
            }
            this.ephemeralPortLow = low;
            this.ephemeralPortHigh = high;
            return this;
        }

        public int ephemeralPortLow()
        {
            return ephemeralPortLow;
        }

        public int ephemeralPortHigh()
        {
            return ephemeralPortHigh;
        }

        /** Idle strategy factory for queue driver threads; default from {@link #queueDriverIdle}. */
        public Context queueDriverIdleStrategySupplier(final Supplier<IdleStrategy> supplier)
        {
            this.queueDriverIdleStrategySupplier = supplier;
            return this;
        }

        public Supplier<IdleStrategy> queueDriverIdleStrategySupplier()
        {
            return queueDriverIdleStrategySupplier;
        }
    }
}
