package io.nicq.examples;

import java.io.PrintWriter;
import java.io.StringWriter;

import io.nicq.runtime.CommandLines;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code nicq example ...} run as the launcher runs it (the project's picocli configuration), its error output kept
 * for the options tests: each {@link #run} starts with no error output of its own.
 */
final class ExampleCommandLine
{
    private final StringWriter err = new StringWriter();

    /** Runs {@code nicq example} with {@code args}; returns its exit status. */
    int run(final String... args)
    {
        err.getBuffer().setLength(0);
        final CommandLine commandLine = CommandLines.configure(new CommandLine(new ExampleCommand()));
        commandLine.setOut(new PrintWriter(new StringWriter()));
        commandLine.setErr(new PrintWriter(err));
        return commandLine.execute(args);
    }

    /** What the last run wrote to standard error. */
    String errors()
    {
        return err.toString();
    }

    /** The last run's error, which must be one line. */
    String errorLine()
    {
        final String text = err.toString();
        assertEquals(1, text.lines().count(), () -> "one line of error, got:\n" + text);
        return text.strip();
    }
}
