package io.nicq.card;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.ixgbe.SimulatedNic;
import io.nicq.runtime.ChildJvm;
import io.nicq.proto.InstancePaths;
import io.nicq.sim.CableWire;
import io.nicq.sim.SimCommand;
import io.nicq.sim.Wire;
import io.nicq.sim.Wires;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Real processes for integration tests, in private directories: a simulated card (its own JVM, {@code nicq sim})
 * whose port is a cable to this JVM (so the test injects and receives frames), and a card driver (its own JVM,
 * {@code nicq card-driver}). The test reads the card's registers through its own {@link SimulatedNic}. Everything
 * started is stopped by {@link #close()}, descendants (queue drivers) included.
 */
final class ProcessFixture implements AutoCloseable
{
    static final long START_TIMEOUT_MS = 60_000;

    final Path root;
    final Path simDir;
    final Path nicqDir;
    final Path logDir;
    final String card;
    final String instance;
    final String cable;
    private final List<Process> processes = new ArrayList<>();
    private final List<ProcessHandle> descendants = new ArrayList<>();
    private Process sim;
    private Process cardDriver;
    private SimulatedNic nic;
    private Wire peer;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment frameBuffer = arena.allocate(Wire.MAX_FRAME_LENGTH);

    ProcessFixture(final Path root)
    {
        this.root = root;
        final String id = UUID.randomUUID().toString().substring(0, 8);
        this.simDir = root.resolve("sim");
        this.nicqDir = root.resolve("nicq");
        this.logDir = root.resolve("logs");
        this.card = "card-" + id;
        this.instance = "it-" + id;
        this.cable = "cable-" + id;
    }

    /** Starts the simulated card with a wire (default: a cable whose other end this fixture holds). */
    ProcessFixture startCard(final String wireSpec) throws Exception
    {
        final String wire = wireSpec != null ? wireSpec : "cable:" + cable + ":a";
        sim = start(ChildJvm.builder(SimCommand.class, List.of("--card", card, "--wire", wire, "--dir",
            simDir.toString(), "--idle", "backoff"), logDir.resolve("sim.log")));
        final SimulatedCardFiles files = SimulatedCardFiles.of(card, simDir);
        await(() -> Files.exists(files.pidFile()), "the simulated card started (" + files.pidFile() + ")", sim,
            "sim.log");
        nic = openNic(files);
        if (wireSpec == null)
        {
            peer = Wires.open("cable:" + cable + ":b", simDir, CableWire.DEFAULT_CAPACITY);
        }
        return this;
    }

    /** Starts a card driver on the card; returns once it is ready. */
    ProcessFixture startCardDriver(final String... extraArgs) throws Exception
    {
        final List<String> args = new ArrayList<>(List.of("--instance", instance, "--nic", "sim:" + card,
            "--ip", "10.0.0.1/24", "--dir", nicqDir.toString(), "--log-dir", logDir.toString(), "--idle", "backoff",
            // The tests' clients (ChannelClient, KillableClient) take frames from rxReady themselves; the read-only
            // RX ring's own tests are queue-driver's ReadOnlyRxRingTest and client-lib's ReadOnlyRxRingIT.
            "--no-read-only-rx-ring"));
        args.addAll(List.of(extraArgs));
        final Path log = logDir.resolve("card-driver.log");
        final long before = Files.exists(log) ? Files.size(log) : 0;
        cardDriver = start(ChildJvm.builder(CardDriverCommand.class, args, log));
        final Process started = cardDriver;
        await(() -> logSince(log, before).contains("control server on"), "the card driver is ready", started,
            "card-driver.log");
        return this;
    }

    Process cardDriver()
    {
        return cardDriver;
    }

    SimulatedNic nic()
    {
        return nic;
    }

    /**
     * A register as stored in the card's bar0 file, read without the driver's {@link io.nicq.ixgbe.Bar} semantics:
     * how the test looks at write-only registers (L34T_IMIR) without counting as a driver that read them.
     */
    int rawRegister(final int offset)
    {
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(
            SimulatedCardFiles.of(card, simDir).barFile(), java.nio.file.StandardOpenOption.READ))
        {
            final java.nio.ByteBuffer word = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            channel.read(word, offset);
            return word.getInt(0);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    InstancePaths paths()
    {
        return InstancePaths.of(instance, nicqDir);
    }

    String aeronDir()
    {
        return paths().aeronDir().toString();
    }

    /** Starts another JVM running a main class of the test class path (a client). */
    Process startMain(final Class<?> mainClass, final String logName, final String... args) throws IOException
    {
        return start(ChildJvm.builder(mainClass.getName(), List.of(args), logDir.resolve(logName)));
    }

    /** Puts a frame on the card's wire, as the peer at the other end of the cable. */
    void inject(final byte[] frame)
    {
        MemorySegment.copy(frame, 0, frameBuffer, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, frame.length);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int result;
        while ((result = peer.send(frameBuffer, 0, frame.length)) == Wire.BUSY)
        {
            assertTrue(System.nanoTime() < deadline, "the cable stayed busy");
            Thread.onSpinWait();
        }
        assertEquals(Wire.SENT, result, "frame sent on the cable");
    }

    /** Frames the card transmitted since the last call. */
    List<byte[]> received()
    {
        final List<byte[]> frames = new ArrayList<>();
        peer.poll((buffer, offset, length) ->
            frames.add(buffer.asSlice(offset, length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)), 64);
        return frames;
    }

    String log(final String name)
    {
        try
        {
            final Path file = logDir.resolve(name);
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "(no " + name + ")";
        }
        catch (final IOException ex)
        {
            return "(cannot read " + name + ": " + ex + ")";
        }
    }

    /** Waits for a condition; fails naming it (and the log of a process that died meanwhile). */
    void await(final BooleanSupplier condition, final String what, final Process process, final String logName)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (!condition.getAsBoolean())
        {
            if (process != null && !process.isAlive())
            {
                fail("waiting until " + what + ": the process exited with " + process.exitValue() + "\n" +
                    log(logName));
            }
            if (System.nanoTime() > deadline)
            {
                fail("timed out waiting until " + what + "\n" + (logName != null ? log(logName) : ""));
            }
            Thread.sleep(20);
        }
    }

    static void awaitTrue(final BooleanSupplier condition, final long timeoutMs, final String what)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                fail("timed out after " + timeoutMs + " ms waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    /** Stops the card driver with SIGTERM and waits for it. */
    int stopCardDriver() throws InterruptedException
    {
        rememberDescendants(cardDriver);
        cardDriver.destroy();
        if (!cardDriver.waitFor(30, TimeUnit.SECONDS))
        {
            cardDriver.destroyForcibly();
            fail("the card driver did not stop within 30 s of SIGTERM\n" + log("card-driver.log"));
        }
        return cardDriver.exitValue();
    }

    /** kill -9 of the card driver. */
    void killCardDriver() throws InterruptedException
    {
        rememberDescendants(cardDriver);
        cardDriver.destroyForcibly();
        cardDriver.waitFor(10, TimeUnit.SECONDS);
    }

    public void close()
    {
        for (final Process process : processes)
        {
            rememberDescendants(process);
        }
        for (int i = processes.size() - 1; i >= 0; i--)
        {
            final Process process = processes.get(i);
            if (process.isAlive())
            {
                process.destroy();
                try
                {
                    if (!process.waitFor(15, TimeUnit.SECONDS))
                    {
                        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                    }
                }
                catch (final InterruptedException ex)
                {
                    process.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
            }
        }
        for (final ProcessHandle handle : descendants)
        {
            if (handle.isAlive())
            {
                handle.destroyForcibly();
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
    }

    private void rememberDescendants(final Process process)
    {
        if (process != null)
        {
            process.descendants().forEach(descendants::add);
        }
    }

    private Process start(final ProcessBuilder builder) throws IOException
    {
        // The children see this test's private directories whatever the parent JVM was started with.
        builder.command().add(1, "-D" + InstancePaths.DIR_PROPERTY + "=" + nicqDir);
        builder.command().add(1, "-D" + SimulatedCardFiles.DIR_PROPERTY + "=" + simDir);
        final Process process = builder.start();
        processes.add(process);
        return process;
    }

    private static SimulatedNic openNic(final SimulatedCardFiles files) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (true)
        {
            try
            {
                return SimulatedNic.open(files);
            }
            catch (final RuntimeException ex)
            {
                if (System.nanoTime() > deadline)
                {
                    throw ex;
                }
                Thread.sleep(20);
            }
        }
    }

    private static String logSince(final Path log, final long offset)
    {
        try
        {
            if (!Files.exists(log))
            {
                return "";
            }
            final byte[] bytes = Files.readAllBytes(log);
            return new String(bytes, (int)Math.min(offset, bytes.length), (int)Math.max(0, bytes.length - offset),
                StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            return "";
        }
    }
}
