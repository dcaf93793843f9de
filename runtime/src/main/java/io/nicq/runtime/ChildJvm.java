package io.nicq.runtime;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts another JVM of nicq (a queue driver, a simulated card, a card driver) with this JVM's java, class path and
 * flags, so that a child behaves like its parent: the same {@code --add-opens}, system properties and heap settings.
 * Debugger agents are not passed on (their ports would clash).
 */
public final class ChildJvm
{
    private ChildJvm()
    {
    }

    /** The command line for {@code mainClass args...} in a JVM like this one. */
    public static List<String> command(final String mainClass, final List<String> args)
    {
        return command(List.of(), mainClass, args);
    }

    /**
     * The command line for {@code mainClass args...} in a JVM like this one, with extra JVM arguments after this
     * JVM's own (so a {@code -Dname=value} here overrides an inherited one).
     */
    public static List<String> command(final List<String> jvmArgs, final String mainClass, final List<String> args)
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (!arg.startsWith("-agentlib:jdwp") && !arg.startsWith("-Xrunjdwp") && !arg.startsWith("-javaagent"))
            {
                command.add(arg);
            }
        }
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(args);
        return command;
    }

    /** The command line running a picocli command class (any module's {@code *Command}) in a JVM like this one. */
    public static List<String> command(final Class<?> commandClass, final List<String> args)
    {
        return command(List.of(), commandClass, args);
    }

    /** As {@link #command(Class, List)}, with extra JVM arguments (e.g. {@code -Dnicq.dir=...}). */
    public static List<String> command(final List<String> jvmArgs, final Class<?> commandClass, final List<String> args)
    {
        final List<String> runArgs = new ArrayList<>();
        runArgs.add(commandClass.getName());
        runArgs.addAll(args);
        return command(jvmArgs, RunCommand.class.getName(), runArgs);
    }

    /** A process builder running a picocli command class in a child JVM, output appended to a log file. */
    public static ProcessBuilder builder(final Class<?> commandClass, final List<String> args, final Path logFile)
    {
        final List<String> runArgs = new ArrayList<>();
        runArgs.add(commandClass.getName());
        runArgs.addAll(args);
        return builder(RunCommand.class.getName(), runArgs, logFile);
    }

    /**
     * A process builder for a child JVM whose output goes to a log file (appended), so that a chatty child can never
     * block on a full pipe.
     */
    public static ProcessBuilder builder(final String mainClass, final List<String> args, final Path logFile)
    {
        final ProcessBuilder builder = new ProcessBuilder(command(mainClass, args));
        builder.redirectErrorStream(true);
        if (logFile != null)
        {
            final File file = logFile.toFile();
            final File parent = file.getParentFile();
            if (parent != null && !parent.isDirectory() && !parent.mkdirs())
            {
                throw new IllegalStateException("cannot create directory for log " + logFile);
            }
            builder.redirectOutput(ProcessBuilder.Redirect.appendTo(file));
        }
        else
        {
            builder.redirectOutput(ProcessBuilder.Redirect.INHERIT);
        }
        return builder;
    }

    /**
     * Waits until a child's log (its output, see {@link #builder}) contains {@code marker}: its "ready" line.
     *
     * @param name what the child is, for messages
     * @throws IOException naming the child and showing the end of its log when it exits first or the time runs out
     */
    public static void awaitOutput(final Process child, final Path log, final String marker, final long timeoutMs,
        final String name) throws IOException, InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() - deadline < 0)
        {
            if (read(log).contains(marker))
            {
                return;
            }
            if (!child.isAlive())
            {
                throw new IOException(name + " exited with " + child.exitValue() + ":\n" + tail(read(log)));
            }
            Thread.sleep(20);
        }
        throw new IOException(name + " did not start within " + timeoutMs / 1000 + " s; its log:\n" + tail(read(log)));
    }

    private static String read(final Path log) throws IOException
    {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    /** The last 15 lines. */
    private static String tail(final String text)
    {
        final String[] lines = text.strip().split("\n");
        return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 15), lines.length));
    }
}
