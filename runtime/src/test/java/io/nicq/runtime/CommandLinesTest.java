package io.nicq.runtime;

import java.util.concurrent.Callable;

import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommandLinesTest
{
    @Command(name = "tool", mixinStandardHelpOptions = true, subcommands = {Run.class})
    static final class Tool implements Callable<Integer>
    {
        public Integer call()
        {
            return 0;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true)
    static final class Run implements Callable<Integer>
    {
        @Spec
        CommandSpec spec;

        @Option(names = "--count", defaultValue = "10")
        long count;

        @Option(names = "--size", defaultValue = "64")
        long size;

        @Option(names = "--port", defaultValue = "7")
        int port;

        @Option(names = "--fail")
        boolean fail;

        public Integer call()
        {
            CommandLines.requirePositive(spec, "--count", count);
            CommandLines.requireRange(spec, "--size", size, 16, 1472, "one datagram at MTU 1500");
            CommandLines.requirePort(spec, "--port", port);
            if (fail)
            {
                throw new IllegalStateException("the card driver is gone", new RuntimeException("socket closed"));
            }
            return 0;
        }
    }

    private final CommandLineRun commandLine = new CommandLineRun(Tool::new);

    private int run(final String... args)
    {
        return commandLine.run(args);
    }

    private String errorLine()
    {
        return commandLine.errorLine();
    }

    @Test
    void validCommandRuns()
    {
        assertEquals(0, run("run", "--count", "3", "--size", "1472", "--port", "65535"));
        assertEquals("", commandLine.errors());
    }

    @Test
    void unknownSubcommandIsAnErrorEvenWithHelp()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("no-such", "--help"));
        assertEquals("tool: no command 'no-such'; the commands are run (see 'tool --help')", errorLine());
        assertEquals("", commandLine.output(), "the parent's help must not be printed as if the command existed");
    }

    @Test
    void unknownSubcommandWithoutHelp()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("no-such"));
        assertTrue(errorLine().startsWith("tool: no command 'no-such'"), commandLine::errors);
    }

    @Test
    void unknownOptionIsOneLine()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("run", "--bogus"));
        assertEquals("tool run: unknown argument --bogus (see 'tool run --help')", errorLine());
    }

    @Test
    void helpOfAnExistingSubcommandStillWorks()
    {
        assertEquals(0, run("run", "--help"));
        assertTrue(commandLine.output().contains("--count"), commandLine::output);
    }

    @Test
    void zeroAndNegativeCountsAreRefused()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("run", "--count", "0"));
        assertEquals("tool run: --count must be positive, not 0 (see 'tool run --help')", errorLine());
        assertEquals(CommandLines.USAGE_ERROR, run("run", "--count", "-5"));
        assertTrue(errorLine().contains("--count must be positive, not -5"), commandLine::errors);
    }

    @Test
    void sizeOutsideTheMtuSaysTheLimit()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("run", "--size", "100000"));
        assertEquals("tool run: --size 100000 is outside 16..1472 (one datagram at MTU 1500) " +
            "(see 'tool run --help')", errorLine());
    }

    @Test
    void portOutOfRangeIsRefused()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("run", "--port", "0"));
        assertTrue(errorLine().contains("--port: port 0 is not in 1..65535"), commandLine::errors);
    }

    @Test
    void failureWhileRunningIsOneLineAndStatusOne()
    {
        assertEquals(CommandLines.FAILED, run("run", "--fail"));
        assertEquals("tool run: the card driver is gone", errorLine());
    }

    @Test
    void describeFindsTheFirstMessageAlongTheCauseChain()
    {
        assertEquals("socket closed", CommandLines.describe(new RuntimeException(new IllegalStateException(
            "socket closed"))));
        assertEquals("IllegalStateException", CommandLines.describe(new IllegalStateException()));
        assertEquals("first; second", CommandLines.describe(new IllegalStateException("first\n  second")));
    }
}
