package io.nicq.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import org.agrona.ErrorHandler;
import org.agrona.IoUtil;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import io.nicq.ixgbe.IommuTable;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.ixgbe.SimulatedNic;
import io.nicq.packet.MacAddress;
import io.nicq.runtime.AdaptiveIdleStrategy;
import io.nicq.runtime.IdleStrategies;

import static io.nicq.ixgbe.SimulatedCardFiles.*;

/**
 * A simulated Intel 82599, embeddable: {@link #launch(Context)} creates the card's files ({@code bar0}, the IOMMU
 * table, {@code dma/}) under {@link Context#baseDir()}, plugs in the wire and starts the device loop on its own thread
 * (an Agrona {@link AgentRunner} with the context's idle strategy), or, with {@link Context#manualDrive(boolean)},
 * leaves the loop to the caller's {@link #doWork()} for deterministic tests. Drivers reach the card exactly as they
 * reach a card run by {@code nicq sim}: {@link #openNic()} or {@code Nic.open("sim:NAME")}.
 * <p>
 * Closing stops the loop, unplugs the wire and (by default) removes the card's files.
 */
public final class SimulatedCard implements AutoCloseable
{
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final Context ctx;
    private final SimulatedCardFiles files;
    private final Arena arena;
    private final MemorySegment bar;
    private final IommuTable iommu;
    private final Wire wire;
    private final SimulatedDevice device;
    private final AgentRunner runner;
    private final DeviceWakeSource wakeSource;
    private boolean closed;

    private SimulatedCard(final Context ctx)
    {
        this.ctx = ctx;
        this.files = SimulatedCardFiles.of(ctx.cardName(), ctx.baseDir());
        prepareDirectory(files, ctx.writePidFile());

        Arena mapping = null;
        IommuTable table = null;
        Wire plugged = null;
        try
        {
            mapping = Arena.ofShared();
            this.bar = createBar(files.barFile(), mapping);
            table = IommuTable.create(files.iommuFile(), ctx.iommuCapacity());
            Files.createDirectory(files.dmaDir(), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
            plugged = ctx.wire() != null ? ctx.wire() :
                Wires.open(ctx.wireSpec(), files.baseDir(), ctx.cableCapacity());
            if (ctx.ingressFaults() != null && ctx.ingressFaults().isActive())
            {
                // Inside the capture: the pcap shows what the card received, after the faults.
                plugged = new IngressFaults(plugged, ctx.ingressFaults());
            }
            if (ctx.pcapFile() != null)
            {
                plugged = new CapturingWire(plugged, new PcapWriter(ctx.pcapFile()));
            }
            if (ctx.wireFaults() != null && ctx.wireFaults().isActive())
            {
                // Outside the capture: the pcap shows the wire as the peer sees it, after the faults.
                plugged = new WireFaults(plugged, ctx.wireFaults(), bar);
            }
            this.device = new SimulatedDevice("nicq-sim-" + files.card(), bar, table, plugged, ctx.lineRate(),
                ctx.mac(), ctx.interruptClock());
            if (ctx.writePidFile())
            {
                // Before power-on: whoever sees the card up (the status page's magic) finds its pid file complete.
                Files.writeString(files.pidFile(), ProcessHandle.current().pid() + "\n", StandardCharsets.US_ASCII);
            }
            device.powerOn();
        }
        catch (final IOException | RuntimeException ex)
        {
            if (plugged != null && ctx.wire() == null)
            {
                plugged.close();
            }
            else if (plugged != null)
            {
                closeInjectors(plugged);
            }
            if (table != null)
            {
                table.close();
            }
            if (mapping != null)
            {
                mapping.close();
            }
            IoUtil.delete(files.root().toFile(), true);
            if (ex instanceof IOException io)
            {
                throw new UncheckedIOException("simulated card '" + files.card() + "': cannot create " + files.root(),
                    io);
            }
            throw (RuntimeException)ex;
        }
        this.arena = mapping;
        this.iommu = table;
        this.wire = plugged;

        if (ctx.manualDrive())
        {
            runner = null;
            wakeSource = null;
        }
        else
        {
            IdleStrategy idle = ctx.idleStrategy();
            if (idle instanceof AdaptiveIdleStrategy adaptive)
            {
                // The loop sleeps on its doorbell and its wire; a strategy already serving another loop is copied.
                final AdaptiveIdleStrategy own = adaptive.wakeSource() == null ? adaptive : adaptive.copy();
                wakeSource = new DeviceWakeSource(device, bar, plugged);
                own.wakeSource(wakeSource);
                idle = own;
            }
            else
            {
                wakeSource = null;
            }
            runner = new AgentRunner(idle, ctx.errorHandler(), null, device);
            AgentRunner.startOnThread(runner, task ->
            {
                final Thread thread = new Thread(task, device.roleName());
                thread.setDaemon(true);
                return thread;
            });
        }
    }

    /** Creates the card and, unless manually driven, starts its device loop. */
    public static SimulatedCard launch(final Context ctx)
    {
        ctx.conclude();
        return new SimulatedCard(ctx);
    }

    /**
     * Runs the device loop once (manual drive only): control writes, TX of every enabled queue, RX from the wire.
     *
     * @return the amount of work done (0 when idle)
     */
    public int doWork()
    {
        if (runner != null)
        {
            throw new IllegalStateException("card '" + files.card() + "' runs its own device loop; doWork() is for " +
                "cards launched with Context.manualDrive(true)");
        }
        return device.doWork();
    }

    /**
     * Drives the card (manual drive only) until {@code condition} holds, or fails naming {@code what} did not happen.
     */
    public void driveUntil(final java.util.function.BooleanSupplier condition, final long timeoutNs,
        final String what)
    {
        final long deadline = System.nanoTime() + timeoutNs;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException("card '" + files.card() + "': timed out after " +
                    TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms waiting until " + what);
            }
            if (doWork() == 0)
            {
                Thread.onSpinWait();
            }
        }
    }

    /** The card's files; {@code files().toString()} is its spec, {@code sim:NAME}. */
    public SimulatedCardFiles files()
    {
        return files;
    }

    /** Opens the card as a driver does (a new {@link SimulatedNic}: BAR0 and an IOMMU-backed DMA allocator). */
    public SimulatedNic openNic()
    {
        return SimulatedNic.open(files);
    }

    /**
     * The wire as plugged in: a {@link WireFaults} around it when injecting faults, around a {@link CapturingWire}
     * when capturing.
     */
    public Wire wire()
    {
        return wire;
    }

    /** The fault injector on this card's egress, or null if the card injects none. */
    public WireFaults wireFaults()
    {
        return wire instanceof WireFaults faults ? faults : null;
    }

    /** The fault injector on this card's ingress, or null if the card injects none. */
    public WireFaults ingressFaults()
    {
        return unwrap(wire, false) instanceof IngressFaults faults ? faults.faults() : null;
    }

    /**
     * The wire inside the card's layers: egress faults, then the capture, then ingress faults; {@code all} false
     * stops at the ingress injector.
     */
    private static Wire unwrap(final Wire wire, final boolean all)
    {
        Wire inner = wire instanceof WireFaults faults ? faults.wire() : wire;
        inner = inner instanceof CapturingWire capturing ? capturing.wire() : inner;
        return all && inner instanceof IngressFaults faults ? faults.wire() : inner;
    }

    /** Frees the injectors' buffers of a wire the card's creator owns (and so closes). */
    private static void closeInjectors(final Wire wire)
    {
        if (wire instanceof WireFaults faults)
        {
            faults.closeInjector();
        }
        if (unwrap(wire, false) instanceof IngressFaults faults)
        {
            faults.closeInjector();
        }
    }

    /** The in-JVM wire of a card launched with wire "memory": inject frames into its RX path, take what it sent. */
    public MemoryWire memoryWire()
    {
        final Wire inner = unwrap(wire, true);
        if (inner instanceof MemoryWire memory)
        {
            return memory;
        }
        throw new IllegalStateException("card '" + files.card() + "' has wire " + wire.description() +
            ", not memory");
    }

    /** A field of the status page (offsets in {@link SimulatedCardFiles}): counters, heartbeat, state. */
    public long status(final int statusOffset)
    {
        return (long)LONG.getVolatile(bar, (long)statusOffset);
    }

    /**
     * The MAC address in the card's EEPROM (loaded into RAL(0)/RAH(0) at reset), as nicq holds MAC addresses: the low
     * 48 bits, first octet most significant ({@link MacAddress}), the value a driver reads back from RAL/RAH and puts
     * in frames.
     */
    public long mac()
    {
        return ctx.mac();
    }

    /** {@link #mac()} as text, {@code 02:00:00:00:00:01}. */
    public String macAddress()
    {
        return MacAddress.toString(ctx.mac());
    }

    public Context context()
    {
        return ctx;
    }

    public boolean isClosed()
    {
        return closed;
    }

    /**
     * Stops the device loop, unplugs the wire and (unless the context says otherwise) removes the card's files.
     *
     * @throws IllegalStateException on a {@link Context#strict strict} card that counted a driver error, DMA fault,
     *                               malformed descriptor, read-only write or write-only read, once it is closed
     */
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        String misbehaviour = null;
        try
        {
            if (runner != null)
            {
                if (wakeSource != null)
                {
                    wakeSource.stopSleeping();
                }
                runner.close();
                if (wakeSource != null)
                {
                    wakeSource.close();
                }
            }
            else
            {
                device.onClose();
            }
            misbehaviour = ctx.strict() ? misbehaviour() : null;
        }
        finally
        {
            try
            {
                if (ctx.wire() == null || ctx.closeWire())
                {
                    wire.close();
                }
                else
                {
                    closeInjectors(wire);
                }
            }
            finally
            {
                iommu.close();
                arena.close();
                if (ctx.deleteFilesOnClose())
                {
                    IoUtil.delete(files.root().toFile(), true);
                }
            }
        }
        if (misbehaviour != null)
        {
            throw new IllegalStateException("strict simulated card '" + files.card() + "': " + misbehaviour +
                " (where the part would misbehave; a test that provokes it on purpose uses Context.strict(false))");
        }
    }

    /** What a driver did that the part answers by misbehaving, as counted in the status page; null if nothing. */
    private String misbehaviour()
    {
        final StringBuilder found = new StringBuilder();
        appendCount(found, DRIVER_ERRORS_OFFSET, "driver errors");
        appendCount(found, DMA_FAULTS_OFFSET, "DMA faults");
        appendCount(found, MALFORMED_DESCRIPTORS_OFFSET, "malformed descriptors or ring registers");
        appendCount(found, READ_ONLY_WRITES_OFFSET, "writes of read-only registers");
        appendCount(found, WRITE_ONLY_READS_OFFSET, "reads of write-only registers");
        return found.isEmpty() ? null : found.toString();
    }

    private void appendCount(final StringBuilder found, final int statusOffset, final String what)
    {
        final long count = status(statusOffset);
        if (count != 0)
        {
            found.append(found.isEmpty() ? "" : ", ").append(count).append(' ').append(what);
        }
    }

    public String toString()
    {
        return files + " (" + wire.description() + ", mac " + macAddress() + ")";
    }

    /**
     * Refuses to start over a live card; removes what a dead one left behind.
     */
    static void prepareDirectory(final SimulatedCardFiles files, final boolean checkPidFile)
    {
        final Path root = files.root();
        if (Files.exists(files.barFile()))
        {
            final String live = liveCard(files);
            if (live != null)
            {
                throw new IllegalStateException("simulated card '" + files.card() + "' is already running (" + live +
                    ", " + root + "); stop it first or choose another --card name");
            }
        }
        if (checkPidFile && Files.exists(files.pidFile()))
        {
            final long pid = readPid(files.pidFile());
            if (pid != ProcessHandle.current().pid() && IommuTable.isAlive((int)pid) && isNicqSim(pid))
            {
                throw new IllegalStateException("simulated card '" + files.card() + "' is being started by pid " +
                    pid + " (" + files.pidFile() + "); stop it first or choose another --card name");
            }
        }
        if (Files.exists(root))
        {
            IoUtil.delete(root.toFile(), false);
        }
        try
        {
            Files.createDirectories(root.getParent());
            Files.createDirectory(root,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create " + root, ex);
        }
    }

    /** A description of the live card at these files ("pid 1234"), or null if none is running there. */
    static String liveCard(final SimulatedCardFiles files)
    {
        try (Arena arena = Arena.ofConfined();
            FileChannel channel = FileChannel.open(files.barFile(), StandardOpenOption.READ))
        {
            if (channel.size() < BAR_FILE_SIZE)
            {
                return null;
            }
            final MemorySegment bar = channel.map(FileChannel.MapMode.READ_ONLY, 0, BAR_FILE_SIZE, arena);
            final long pid = (long)LONG.getVolatile(bar, (long)DEVICE_PID_OFFSET);
            final boolean running = (long)LONG.getVolatile(bar, (long)MAGIC_OFFSET) == MAGIC &&
                (long)LONG.getVolatile(bar, (long)DEVICE_STATE_OFFSET) == DEVICE_RUNNING &&
                IommuTable.isAlive((int)pid);
            final boolean fresh = heartbeatNow() - (long)LONG.getVolatile(bar, (long)DEVICE_HEARTBEAT_OFFSET) <=
                HEARTBEAT_TIMEOUT_NS;
            if (running && (fresh || pid == ProcessHandle.current().pid()))
            {
                return pid == ProcessHandle.current().pid() ? "by this process" : "pid " + pid;
            }
            return null;
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    private static long readPid(final Path pidFile)
    {
        try
        {
            return Long.parseLong(Files.readString(pidFile).trim());
        }
        catch (final IOException | NumberFormatException ex)
        {
            return -1;
        }
    }

    /** Whether a pid belongs to a JVM (a recycled pid of some other program does not hold a card). */
    private static boolean isNicqSim(final long pid)
    {
        return ProcessHandle.of(pid).flatMap(p -> p.info().command()).map(c -> c.contains("java")).orElse(true);
    }

    private static MemorySegment createBar(final Path barFile, final Arena arena) throws IOException
    {
        Files.deleteIfExists(barFile);
        Files.createFile(barFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (FileChannel channel = FileChannel.open(barFile, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            // Mapping READ_WRITE beyond the end of the new, empty file sizes it (zero-filled).
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, BAR_FILE_SIZE, arena);
        }
    }

    /**
     * How to build a card. Every property has a default; {@link #conclude()} fills in the derived ones.
     */
    public static final class Context
    {
        /**
         * System property that makes {@link #strict} the default: the build sets it for the tests of nic-sim,
         * card-driver and queue-driver, so a driver that misprograms the card fails its test even where the test does
         * not look at the counters.
         */
        public static final String STRICT_PROPERTY = "nicq.sim.strict";
        private static final long MAC_MASK = 0xFFFF_FFFF_FFFFL;

        private String cardName = "card0";
        private Path baseDir;
        private Long mac;
        private String wireSpec = "none";
        private Wire wire;
        private boolean closeWire = true;
        private Path pcapFile;
        private long lineRate;
        private IdleStrategy idleStrategy;
        private boolean manualDrive;
        private ErrorHandler errorHandler;
        private int iommuCapacity = IommuTable.DEFAULT_CAPACITY;
        private int cableCapacity = CableWire.DEFAULT_CAPACITY;
        private boolean deleteFilesOnClose = true;
        private boolean writePidFile;
        private WireFaults.Context wireFaults;
        private WireFaults.Context ingressFaults;
        private NanoClock interruptClock = SystemNanoClock.INSTANCE;
        private boolean strict = Boolean.getBoolean(STRICT_PROPERTY);

        /** Fills in defaults: base dir from {@code nicq.sim.dir}, MAC from the card name, adaptive idle strategy. */
        public Context conclude()
        {
            if (baseDir == null)
            {
                baseDir = SimulatedCardFiles.defaultBaseDir();
            }
            if (mac == null)
            {
                mac = macForCard(cardName);
            }
            if ((mac & ~MAC_MASK) != 0)
            {
                throw new IllegalArgumentException(String.format("card MAC 0x%X has bits above the low 48 set; a MAC " +
                    "address is the low 48 bits of a long, first octet most significant", mac));
            }
            if (MacAddress.isMulticast(mac))
            {
                throw new IllegalArgumentException("card MAC " + MacAddress.toString(mac) +
                    " is a multicast address; a card's own address must be unicast");
            }
            if (idleStrategy == null)
            {
                idleStrategy = IdleStrategies.adaptive();
            }
            if (wireFaults != null)
            {
                wireFaults.conclude();
            }
            if (ingressFaults != null)
            {
                ingressFaults.conclude();
            }
            if (errorHandler == null)
            {
                errorHandler = throwable ->
                {
                    System.err.println("nicq sim '" + cardName + "': device loop error: " + throwable);
                    throwable.printStackTrace(System.err);
                };
            }
            return this;
        }

        /**
         * A locally administered unicast address derived from a card name, stable across runs: 02:xx:xx:xx:xx:xx with
         * octets 2 to 5 from the CRC-32 of the name (least significant byte first) and octet 6 from the CRC-32 of the
         * name twice. These are the octets earlier versions gave a card of the same name, so addresses in captures,
         * neighbour tables and scripts stay valid.
         */
        static long macForCard(final String cardName)
        {
            final CRC32 crc = new CRC32();
            final byte[] name = cardName.getBytes(StandardCharsets.UTF_8);
            crc.update(name);
            final int first = (int)crc.getValue();
            crc.update(name);
            final long second = crc.getValue();
            return (0x02L << 40) | ((Integer.reverseBytes(first) & 0xFFFF_FFFFL) << 8) | (second & 0xFF);
        }

        /** Card name: its directory under the base dir and its spec {@code sim:NAME}. Default "card0". */
        public Context cardName(final String cardName)
        {
            this.cardName = cardName;
            return this;
        }

        public String cardName()
        {
            return cardName;
        }

        /** Directory holding the cards (default {@code nicq.sim.dir} or /dev/shm/nicq-sim); tests use a private one. */
        public Context baseDir(final Path baseDir)
        {
            this.baseDir = baseDir;
            return this;
        }

        public Path baseDir()
        {
            return baseDir;
        }

        /**
         * The EEPROM's MAC address: the low 48 bits, first octet most significant ({@link MacAddress}:
         * 02:00:00:00:00:01 is {@code 0x020000000001L}); must be unicast. Default: locally administered, from the
         * card name.
         */
        public Context mac(final long mac)
        {
            this.mac = mac;
            return this;
        }

        /** The EEPROM's MAC address as text, {@code 02:00:00:00:00:01} (or with '-'). */
        public Context mac(final String mac)
        {
            this.mac = MacAddress.parse(mac);
            return this;
        }

        /** The EEPROM's MAC address, first octet most significant (set by {@link #conclude()} if not given). */
        public long mac()
        {
            return mac;
        }

        /** What the port is plugged into: {@value Wires#SPEC_HELP}. Default "none". */
        public Context wireSpec(final String wireSpec)
        {
            this.wireSpec = wireSpec;
            return this;
        }

        public String wireSpec()
        {
            return wireSpec;
        }

        /** A wire made by the caller (overrides the spec); closed with the card unless {@link #closeWire(boolean)}. */
        public Context wire(final Wire wire)
        {
            this.wire = wire;
            return this;
        }

        public Wire wire()
        {
            return wire;
        }

        public Context closeWire(final boolean closeWire)
        {
            this.closeWire = closeWire;
            return this;
        }

        public boolean closeWire()
        {
            return closeWire;
        }

        /** Capture every frame of the wire to this pcap file. Default none. */
        public Context pcapFile(final Path pcapFile)
        {
            this.pcapFile = pcapFile;
            return this;
        }

        public Path pcapFile()
        {
            return pcapFile;
        }

        /** Pace transmission to this many bits per second (10_000_000_000 for 10G); 0 (default) is unpaced. */
        public Context lineRate(final long bitsPerSecond)
        {
            this.lineRate = bitsPerSecond;
            return this;
        }

        public long lineRate()
        {
            return lineRate;
        }

        /**
         * How the device loop idles: default adaptive (spin 50 us after the last work, then sleep on the doorbell and
         * the wire, {@link DeviceWakeSource}); busy spin for benchmarks.
         */
        public Context idleStrategy(final IdleStrategy idleStrategy)
        {
            this.idleStrategy = idleStrategy;
            return this;
        }

        public IdleStrategy idleStrategy()
        {
            return idleStrategy;
        }

        /** No device thread: the caller runs the loop with {@link SimulatedCard#doWork()}. Default false. */
        public Context manualDrive(final boolean manualDrive)
        {
            this.manualDrive = manualDrive;
            return this;
        }

        public boolean manualDrive()
        {
            return manualDrive;
        }

        public Context errorHandler(final ErrorHandler errorHandler)
        {
            this.errorHandler = errorHandler;
            return this;
        }

        public ErrorHandler errorHandler()
        {
            return errorHandler;
        }

        /** Entries in the IOMMU table (DMA ranges registered at once). Default 1024. */
        public Context iommuCapacity(final int iommuCapacity)
        {
            this.iommuCapacity = iommuCapacity;
            return this;
        }

        public int iommuCapacity()
        {
            return iommuCapacity;
        }

        /** Bytes per direction of a cable this card creates. Default 4 MiB. */
        public Context cableCapacity(final int cableCapacity)
        {
            this.cableCapacity = cableCapacity;
            return this;
        }

        public int cableCapacity()
        {
            return cableCapacity;
        }

        /** Remove the card's directory on close. Default true. */
        public Context deleteFilesOnClose(final boolean deleteFilesOnClose)
        {
            this.deleteFilesOnClose = deleteFilesOnClose;
            return this;
        }

        public boolean deleteFilesOnClose()
        {
            return deleteFilesOnClose;
        }

        /**
         * Faults injected on what the card puts on its wire (drop, duplicate, reorder, corrupt; seeded), counted in
         * the status page ({@link SimulatedCardFiles#FAULT_DROPS_OFFSET} and on). Default null: none. A context whose
         * probabilities are all 0 injects nothing either.
         */
        public Context wireFaults(final WireFaults.Context wireFaults)
        {
            this.wireFaults = wireFaults;
            return this;
        }

        public WireFaults.Context wireFaults()
        {
            return wireFaults;
        }

        /**
         * Faults on what the card receives ({@link IngressFaults}): for a TAP wire on a kernel without {@code tc
         * netem}, so the kernel's direction sees faults too. Default none.
         */
        public Context ingressFaults(final WireFaults.Context ingressFaults)
        {
            this.ingressFaults = ingressFaults;
            return this;
        }

        public WireFaults.Context ingressFaults()
        {
            return ingressFaults;
        }

        /** Write {@code card.pid} (a card that is its own process does). Default false. */
        /**
         * The clock EITR throttling counts on (default the system's nanoTime): tests step one by hand to check an
         * interval without timing anything.
         */
        public Context interruptClock(final NanoClock interruptClock)
        {
            this.interruptClock = interruptClock;
            return this;
        }

        public NanoClock interruptClock()
        {
            return interruptClock;
        }

        public Context writePidFile(final boolean writePidFile)
        {
            this.writePidFile = writePidFile;
            return this;
        }

        public boolean writePidFile()
        {
            return writePidFile;
        }

        /**
         * A strict card fails its {@link SimulatedCard#close} when it counted anything the part would answer by
         * misbehaving (driver errors, DMA faults, malformed descriptors, read-only writes, write-only reads). Default:
         * the {@value #STRICT_PROPERTY} system property (set in tests), else off, as for {@code nicq sim}.
         */
        public Context strict(final boolean strict)
        {
            this.strict = strict;
            return this;
        }

        public boolean strict()
        {
            return strict;
        }
    }
}
