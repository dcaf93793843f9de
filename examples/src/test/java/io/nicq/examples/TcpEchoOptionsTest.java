package io.nicq.examples;

import java.io.PrintWriter;
import java.io.StringWriter;

import io.nicq.runtime.CommandLines;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code nicq example tcp-echo --workers} refuses what a user gets wrong with one line and a usage error's status,
 * before it connects to anything (the instance named here does not exist).
 */
class TcpEchoOptionsTest
{
    private final StringWriter err = new StringWriter();

    private int run(final String... options)
    {
        final CommandLine commandLine = CommandLines.configure(new CommandLine(new ExampleCommand()));
        commandLine.setOut(new PrintWriter(new StringWriter()));
        commandLine.setErr(new PrintWriter(err));
        final String[] args = new String[options.length + 5];
        args[0] = "tcp-echo";
        args[1] = "--instance";
        args[2] = "no-such-instance";
        args[3] = "--port";
        args[4] = "7";
        System.arraycopy(options, 0, args, 5, options.length);
        return commandLine.execute(args);
    }

    private String errorLine()
    {
        final String text = err.toString();
        assertEquals(1, text.lines().count(), () -> "one line of error, got:\n" + text);
        return text.strip();
    }

    @Test
    void workersOutsideTheCardsQueuesAreRefused()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--workers", "-1"));
        assertTrue(errorLine().contains("--workers -1 is outside 0..126"), err::toString);
        err.getBuffer().setLength(0);
        assertEquals(CommandLines.USAGE_ERROR, run("--workers", "127"));
        assertTrue(errorLine().contains("--workers 127 is outside 0..126 (each worker and the listener take a queue"),
            err::toString);
    }

    @Test
    void oneCpuForManyLoopsIsRefused()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--workers", "2", "--cpu", "1"));
        assertTrue(errorLine().contains("--cpu pins one loop; with --workers there are 3"), err::toString);
    }
}
