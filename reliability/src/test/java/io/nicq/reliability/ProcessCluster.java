package io.nicq.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.nicq.card.CardDriverCommand;
import io.nicq.card.ControlSession;
import io.nicq.card.CountersFile;
import io.nicq.ixgbe.IommuTable;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.ixgbe.SimulatedNic;
import io.nicq.proto.InstancePaths;
import io.nicq.runtime.ChildJvm;
import io.nicq.sim.CableWire;
import io.nicq.sim.SimCommand;
import io.nicq.sim.Wire;
import io.nicq.sim.Wires;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every process of nicq as its own JVM, in a private directory: the simulated card ({@code nicq sim}, its port a
 * cable whose other end this JVM holds), the card driver ({@code nicq card-driver}, queue drivers as its child
 * processes) and {@link EchoClient}s. The test injects frames on the cable and reads what comes back, reads the card's
 * registers and status page, the card driver's counters and the IOMMU table, and kills any process with SIGKILL.
 * {@link #close()} kills whatever is left, queue drivers included, and removes the directory.
 */
final class ProcessCluster implements AutoCloseable
{
    static final long START_TIMEOUT_MS = 90_000;

    /** A client process and what it reported. */
    static final class Client
    {
        final long tag;
        final int port;
        final Process process;
        final Path log;
        int queueId = -1;
        int filterSlot = -1;
        long queueDriverPid;

        Client(final long tag, final int port, final Process process, final Path log)
        {
            this.tag = tag;
            this.port = port;
            this.process = process;
            this.log = log;
        }

        /** Lines the client has printed, without their timestamps. */
        List<String> lines()
        {
            final List<String> lines = new ArrayList<>();
            for (final String line : read(log).split("\n"))
            {
                final int space = line.indexOf(' ');
                if (space > 0 && Character.isDigit(line.charAt(0)))
                {
                    lines.add(line.substring(space + 1));
                }
            }
            return lines;
        }

        /** The System.nanoTime at which the client printed its first line starting with one of the prefixes. */
        long firstLineAt(final long notBeforeNs, final String... prefixes)
        {
            for (final String line : read(log).split("\n"))
            {
                final int space = line.indexOf(' ');
                if (space <= 0 || !Character.isDigit(line.charAt(0)))
                {
                    continue;
                }
                final long at = Long.parseLong(line.substring(0, space));
                for (final String prefix : prefixes)
                {
                    if (at >= notBeforeNs && line.startsWith(prefix, space + 1))
                    {
                        return at;
                    }
                }
            }
            return -1;
        }
    }

    final Path root;
    final Path simDir;
    final Path nicqDir;
    final Path logDir;
    final String card;
    final String instance;
    final String cable;
    private long cardMac;
    private final List<Process> processes = new ArrayList<>();
    private final Map<Long, ProcessHandle> queueDrivers = new ConcurrentHashMap<>();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment frameBuffer = arena.allocate(Wire.MAX_FRAME_LENGTH);
    private Process sim;
    private Process cardDriver;
    private SimulatedNic nic;
    private Wire peer;
    private int logCounter;

    ProcessCluster()
    {
        root = TestDirs.create("crash");
        simDir = root.resolve("sim");
        nicqDir = root.resolve("nicq");
        logDir = root.resolve("logs");
        final String id = UUID.randomUUID().toString().substring(0, 8);
        card = "card-" + id;
        instance = "crash-" + id;
        cable = "cable-" + id;
    }

    /** The card's MAC as frames carry it, from the card driver's Connected answer. */
    long cardMac()
    {
        return cardMac;
    }

    InstancePaths paths()
    {
        return InstancePaths.of(instance, nicqDir);
    }

    SimulatedCardFiles simFiles()
    {
        return SimulatedCardFiles.of(card, simDir);
    }

    Process sim()
    {
        return sim;
    }

    Process cardDriver()
    {
        return cardDriver;
    }

    SimulatedNic nic()
    {
        return nic;
    }

    /** Starts the simulated card, plugged into a cable whose other end this JVM holds. */
    void startSim()
    {
        if (nic != null)
        {
            nic.close();
            nic = null;
        }
        final Path log = nextLog("sim");
        sim = start(ChildJvm.builder(SimCommand.class, List.of("--card", card, "--wire", "cable:" + cable + ":a",
            "--dir", simDir.toString(), "--idle", "backoff"), log));
        final Process started = sim;
        awaitLog(log, "running as", started);
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (nic == null)
        {
            try
            {
                nic = SimulatedNic.open(simFiles());
            }
            catch (final RuntimeException ex)
            {
                if (System.nanoTime() > deadline)
                {
                    throw ex;
                }
                Await.sleep(20);
            }
        }
        if (peer == null)
        {
            peer = Wires.open("cable:" + cable + ":b", simDir, CableWire.DEFAULT_CAPACITY);
        }
    }

    /** Starts a card driver (queue drivers as processes); returns once its control server runs. */
    void startCardDriver()
    {
        final Path log = nextLog("card-driver");
        cardDriver = start(ChildJvm.builder(CardDriverCommand.class, List.of("--instance", instance, "--nic",
            "sim:" + card, "--ip", EmbeddedInstance.CARD_ADDRESS, "--dir", nicqDir.toString(), "--log-dir",
            logDir.toString(), "--idle", "backoff", "--queue-driver-mode", "process",
            // A live client is never reclaimed for silence here (a dead one is, by its pid, within 100 ms): on a
            // loaded 2-core machine ten JVMs starting at once can delay a heartbeat past the default 1 s.
            "--client-timeout-ms", "5000"), log));
        awaitLog(log, "control server on", cardDriver);
        try (ControlSession session = new ControlSession(paths().aeronDir().toString()))
        {
            cardMac = session.connect("crash-matrix").mac();
            session.disconnect();
        }
    }

    /** Starts an echo client and waits until it serves its port. */
    Client startClient(final long tag, final int port)
    {
        final Path log = nextLog("client-" + tag);
        final Process process = start(ChildJvm.builder(EchoClient.class.getName(), List.of(instance,
            nicqDir.toString(), Integer.toString(port), Long.toString(tag)), log));
        final Client client = new Client(tag, port, process, log);
        awaitReady(client, 0);
        return client;
    }

    /** Waits for the client's READY line printed after {@code notBeforeNs} and takes its queue, slot and driver. */
    void awaitReady(final Client client, final long notBeforeNs)
    {
        Await.until(() -> client.firstLineAt(notBeforeNs, "READY") > 0 || !client.process.isAlive(),
            START_TIMEOUT_MS, 20, () -> "client " + client.tag + " is ready\n" + read(client.log));
        if (!client.process.isAlive())
        {
            fail("client " + client.tag + " exited with " + client.process.exitValue() + "\n" + read(client.log));
        }
        String ready = null;
        for (final String line : read(client.log).split("\n"))
        {
            final int space = line.indexOf(' ');
            if (space > 0 && Character.isDigit(line.charAt(0)) &&
                Long.parseLong(line.substring(0, space)) >= notBeforeNs && line.startsWith("READY", space + 1))
            {
                ready = line.substring(space + 1);
            }
        }
        final String[] parts = ready.split(" ");
        client.queueId = Integer.parseInt(parts[1]);
        client.filterSlot = Integer.parseInt(parts[2]);
        client.queueDriverPid = Long.parseLong(parts[3]);
        ProcessHandle.of(client.queueDriverPid).ifPresent(handle -> queueDrivers.put(client.queueDriverPid, handle));
    }

    /** Whether a process has exited (or never was). */
    static boolean isGone(final long pid)
    {
        return !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** SIGKILL, and waits for the process to be gone. */
    static void kill(final ProcessHandle process)
    {
        process.destroyForcibly();
        try
        {
            process.onExit().get(10, TimeUnit.SECONDS);
        }
        catch (final Exception ex)
        {
            fail("process " + process.pid() + " did not die of SIGKILL within 10 s: " + ex);
        }
    }

    /** Puts a frame on the card's port; false if the cable is full or the card has no live end. */
    boolean inject(final byte[] frame)
    {
        MemorySegment.copy(frame, 0, frameBuffer, ValueLayout.JAVA_BYTE, 0, frame.length);
        return peer.send(frameBuffer, 0, frame.length) == Wire.SENT;
    }

    /** Frames the card has transmitted, up to {@code limit}. */
    int receive(final java.util.function.Consumer<byte[]> frames, final int limit)
    {
        return peer.poll((buffer, offset, length) ->
            frames.accept(buffer.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE)), limit);
    }

    int register(final int offset)
    {
        return nic.bar().read(offset);
    }

    /** IOMMU entries of a process still in the card's table. */
    int iommuEntriesOf(final long pid)
    {
        try (IommuTable table = IommuTable.open(simFiles().iommuFile()))
        {
            int entries = 0;
            for (int i = 0; i < table.capacity(); i++)
            {
                if (table.state(i) != IommuTable.FREE && table.ownerPid(i) == pid)
                {
                    entries++;
                }
            }
            return entries;
        }
    }

    /** The card driver's counters by label, read from its file like {@code nicq stat}; empty if there is none. */
    Map<String, Long> counters()
    {
        final Map<String, Long> counters = new TreeMap<>();
        final Path file = paths().countersFile();
        if (!Files.exists(file))
        {
            return counters;
        }
        try
        {
            final CountersFile countersFile = CountersFile.openReadOnly(file);
            try
            {
                countersFile.reader().forEach((id, type, key, label) ->
                    counters.put(label, countersFile.reader().getCounterValue(id)));
            }
            finally
            {
                countersFile.close();
            }
        }
        catch (final RuntimeException ex)
        {
            // Being replaced by a starting card driver: no counters this time.
        }
        return counters;
    }

    /** Files of the instance, the media driver's directory aside. */
    List<String> instanceFiles()
    {
        final List<String> files = new ArrayList<>();
        if (!Files.isDirectory(paths().root()))
        {
            return files;
        }
        try (var walk = Files.walk(paths().root()))
        {
            walk.filter(p -> !p.startsWith(paths().aeronDir()) && Files.isRegularFile(p))
                .forEach(p -> files.add(paths().root().relativize(p).toString()));
        }
        catch (final IOException | UncheckedIOException ex)
        {
            return instanceFiles();
        }
        files.sort(null);
        return files;
    }

    /** Queue drivers the card driver has started (as reported by clients), alive or not. */
    Map<Long, ProcessHandle> queueDrivers()
    {
        return queueDrivers;
    }

    String log(final Path file)
    {
        return read(file);
    }

    public void close()
    {
        for (final Process process : processes)
        {
            process.descendants().forEach(handle -> queueDrivers.putIfAbsent(handle.pid(), handle));
        }
        for (int i = processes.size() - 1; i >= 0; i--)
        {
            final Process process = processes.get(i);
            if (process.isAlive())
            {
                process.destroyForcibly();
            }
        }
        for (final ProcessHandle handle : queueDrivers.values())
        {
            if (handle.isAlive())
            {
                handle.destroyForcibly();
            }
        }
        for (final Process process : processes)
        {
            try
            {
                process.waitFor(10, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        for (final ProcessHandle handle : queueDrivers.values())
        {
            try
            {
                handle.onExit().get(10, TimeUnit.SECONDS);
            }
            catch (final Exception ignore)
            {
                // SIGKILL was sent; the directory goes regardless.
            }
        }
        if (peer != null)
        {
            peer.close();
        }
        if (nic != null)
        {
            nic.close();
        }
        arena.close();
        TestDirs.delete(root);
    }

    /** Remembers a process's children (queue drivers) before it is killed, so that they are cleaned up too. */
    void rememberChildren(final Process process)
    {
        process.descendants().forEach(handle -> queueDrivers.putIfAbsent(handle.pid(), handle));
    }

    private Process start(final ProcessBuilder builder)
    {
        // The children see this cluster's private directories, and its card driver's queue drivers too.
        builder.command().add(1, "-D" + InstancePaths.DIR_PROPERTY + "=" + nicqDir);
        builder.command().add(1, "-D" + SimulatedCardFiles.DIR_PROPERTY + "=" + simDir);
        try
        {
            final Process process = builder.start();
            processes.add(process);
            return process;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private Path nextLog(final String name)
    {
        return logDir.resolve(name + "-" + (logCounter++) + ".log");
    }

    private void awaitLog(final Path log, final String text, final Process process)
    {
        Await.until(() -> read(log).contains(text) || !process.isAlive(), START_TIMEOUT_MS, 20,
            () -> "'" + text + "' in " + log + "\n" + read(log));
        assertEquals(true, process.isAlive(), "process of " + log + " is running\n" + read(log));
    }

    static String read(final Path file)
    {
        try
        {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        }
        catch (final IOException ex)
        {
            return "(cannot read " + file + ": " + ex + ")";
        }
    }
}
