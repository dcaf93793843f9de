package io.nicq.bench.idle;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.nicq.runtime.ChildJvm;
import io.nicq.runtime.RunCommand;

/**
 * The nicq processes an idle benchmark starts as a user starts them ({@code nicq sim}, {@code nicq card-driver},
 * {@code nicq example ...}): each a child JVM running its command with the instance and simulated-card directories
 * under the benchmark's private root, its output appended to a log. No parent watchdog thread is given them (it
 * would add wake-ups of its own to what is measured), so they are stopped here: the last started first (the
 * application, then the card driver with its queue drivers, then the card), by {@link #stopAll} or by whoever
 * holds this at exit.
 */
final class UserProcesses
{
    private static final long START_TIMEOUT_MS = 60_000;

    private final List<String> jvmArgs;
    private final Path logs;
    private final List<Process> started = new ArrayList<>();

    /**
     * @param root the benchmark's private directory: instances under {@code root/nicq}, cards under {@code root/sim}
     * @param logs where each process's log goes
     */
    UserProcesses(final Path root, final Path logs)
    {
        this.jvmArgs = List.of("-Dnicq.dir=" + root.resolve("nicq"), "-Dnicq.sim.dir=" + root.resolve("sim"));
        this.logs = logs;
    }

    /**
     * Starts {@code commandClass args} and waits until its log shows {@code readyMarker}.
     *
     * @param name what it is, for its log file ({@code name.log}) and messages
     * @throws IOException naming the process and showing its log's end when it exits first or does not start in 60 s
     */
    Process start(final String name, final String commandClass, final List<String> args, final String readyMarker)
        throws IOException, InterruptedException
    {
        final List<String> runArgs = new ArrayList<>();
        runArgs.add(commandClass);
        runArgs.addAll(args);
        final Path log = logs.resolve(name + ".log");
        final Process process = new ProcessBuilder(ChildJvm.command(jvmArgs, RunCommand.class.getName(), runArgs))
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        synchronized (started)
        {
            started.add(process);
        }
        ChildJvm.awaitOutput(process, log, readyMarker, START_TIMEOUT_MS, "nicq " + name);
        return process;
    }

    /** {@code nicq sim --card CARD --wire WIRE}, with the options' {@code --idle}. */
    Process startCard(final String card, final String wire, final UserProcessOptions options)
        throws IOException, InterruptedException
    {
        final List<String> args = new ArrayList<>(List.of("--card", card, "--wire", wire));
        if (options.simIdle != null)
        {
            args.addAll(List.of("--idle", options.simIdle));
        }
        return start("sim", "io.nicq.sim.SimCommand", args, "running as");
    }

    /** {@code nicq card-driver} of instance {@code card} on {@code sim:card} at {@code address} (IP/prefix). */
    Process startCardDriver(final String card, final String address, final Path logDir,
        final UserProcessOptions options) throws IOException, InterruptedException
    {
        final List<String> args = new ArrayList<>(List.of("--instance", card, "--nic", "sim:" + card, "--ip", address,
            "--log-dir", logDir.toString()));
        args.addAll(options.cardDriverArgs);
        return start("card-driver", "io.nicq.card.CardDriverCommand", args, "ready:");
    }

    /** {@code nicq example udp-echo} on instance {@code card}, serving {@code port}, with the options' {@code --idle}. */
    Process startUdpEcho(final String card, final int port, final UserProcessOptions options)
        throws IOException, InterruptedException
    {
        final List<String> args = new ArrayList<>(List.of("udp-echo", "--instance", card, "--port",
            Integer.toString(port)));
        if (options.appIdle != null)
        {
            args.addAll(List.of("--idle", options.appIdle));
        }
        return start("udp-echo", "io.nicq.examples.ExampleCommand", args, "listening");
    }

    /** The last started first; each SIGTERM, then SIGKILL after 10 s. Safe to call again (from a shutdown hook). */
    void stopAll()
    {
        synchronized (started)
        {
            for (int i = started.size() - 1; i >= 0; i--)
            {
                stop(started.get(i));
            }
            started.clear();
        }
    }

    private static void stop(final Process process)
    {
        process.destroy();
        try
        {
            if (!process.waitFor(10, TimeUnit.SECONDS))
            {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        catch (final InterruptedException ex)
        {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
