package io.nicq.runtime;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.function.Supplier;

import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A command run as the launcher runs it (the project's picocli configuration, {@link CommandLines#configure}), its
 * output kept for the options tests of every module with a command line: each {@link #run} starts from a new command
 * object and with no output of its own.
 */
public final class CommandLineRun
{
    private final Supplier<?> command;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    /** @param command makes the command object, once per run (picocli fills in its fields). */
    public CommandLineRun(final Supplier<?> command)
    {
        this.command = command;
    }

    /** Runs the command with {@code args}; returns its exit status. */
    public int run(final String... args)
    {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        final CommandLine commandLine = CommandLines.configure(new CommandLine(command.get()));
        commandLine.setOut(new PrintWriter(out));
        commandLine.setErr(new PrintWriter(err));
        return commandLine.execute(args);
    }

    /** What the last run wrote to standard output. */
    public String output()
    {
        return out.toString();
    }

    /** What the last run wrote to standard error. */
    public String errors()
    {
        return err.toString();
    }

    /** The last run's error, which must be one line. */
    public String errorLine()
    {
        final String text = err.toString();
        assertEquals(1, text.lines().count(), () -> "one line of error, got:\n" + text);
        return text.strip();
    }
}
