package io.nicq.examples;

import io.nicq.runtime.CommandLineRun;
import io.nicq.runtime.CommandLines;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code nicq example tcp-echo --workers} refuses what a user gets wrong with one line and a usage error's status,
 * before it connects to anything (the instance named here does not exist).
 */
class TcpEchoOptionsTest
{
    private final CommandLineRun commandLine = new CommandLineRun(ExampleCommand::new);

    private int run(final String... options)
    {
        final String[] args = new String[options.length + 5];
        System.arraycopy(new String[] {"tcp-echo", "--instance", "no-such-instance", "--port", "7"}, 0, args, 0, 5);
        System.arraycopy(options, 0, args, 5, options.length);
        return commandLine.run(args);
    }

    private String errorLine()
    {
        return commandLine.errorLine();
    }

    @Test
    void workersOutsideTheCardsQueuesAreRefused()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--workers", "-1"));
        assertTrue(errorLine().contains("--workers -1 is outside 0..126"), commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, run("--workers", "127"));
        assertTrue(errorLine().contains("--workers 127 is outside 0..126 (each worker and the listener take a queue"),
            commandLine::errors);
    }

    @Test
    void oneCpuForManyLoopsIsRefused()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--workers", "2", "--cpu", "1"));
        assertTrue(errorLine().contains("--cpu pins one loop; with --workers there are 3"), commandLine::errors);
    }
}
