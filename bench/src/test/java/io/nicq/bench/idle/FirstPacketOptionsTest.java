package io.nicq.bench.idle;

import java.util.List;

import io.nicq.runtime.CommandLineRun;
import io.nicq.runtime.CommandLines;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code nicq bench first-packet} refuses what would make its run unbounded or meaningless with one line naming the
 * limit and a usage error's status, before it makes anything (no namespace, no TAP, no process); and its report's
 * percentiles are nearest-rank.
 */
class FirstPacketOptionsTest
{
    private static final String COMMAND = "first-packet: ";
    private final CommandLineRun commandLine = new CommandLineRun(FirstPacketCommand::new);

    private int run(final String... args)
    {
        return commandLine.run(args);
    }

    private String errorLine()
    {
        return commandLine.errorLine();
    }

    @Test
    void gapsOutsideOneMillisecondToAMinuteAreRefused()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--gap-ms", "0"));
        assertTrue(errorLine().startsWith(COMMAND + "--gap-ms 0 is outside 1..60000 (a bounded run)"),
            commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, run("--gap-ms", "60001"));
        assertTrue(errorLine().startsWith(COMMAND + "--gap-ms 60001 is outside 1..60000"), commandLine::errors);
    }

    @Test
    void countsWarmUpsAndTimeoutsOutOfRangeAreRefused()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--count", "0"));
        assertTrue(errorLine().startsWith(COMMAND + "--count 0 is outside 1..1000"), commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, run("--count", "1001", "--gap-ms", "10"));
        assertTrue(errorLine().startsWith(COMMAND + "--count 1001 is outside 1..1000"), commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, run("--warmup", "-1"));
        assertTrue(errorLine().startsWith(COMMAND + "--warmup -1 is outside 0..1000000"), commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, run("--timeout-ms", "0"));
        assertTrue(errorLine().startsWith(COMMAND + "--timeout-ms 0 is outside 1..10000"), commandLine::errors);
    }

    @Test
    void aValueThatIsNoNumberIsRefused()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--gap-ms", "1s"));
        assertTrue(errorLine().startsWith(COMMAND), commandLine::errors);
        assertTrue(commandLine.errors().contains("'1s'"), commandLine::errors);
    }

    @Test
    void percentilesAreNearestRank()
    {
        final long[] twenty = new long[20];
        for (int i = 0; i < twenty.length; i++)
        {
            twenty[i] = (i + 1) * 1000L;
        }
        assertEquals(10_000, FirstPacketCommand.percentile(twenty, 0.50));
        assertEquals(18_000, FirstPacketCommand.percentile(twenty, 0.90));
        assertEquals(20_000, FirstPacketCommand.percentile(twenty, 0.99));
        assertEquals(7, FirstPacketCommand.percentile(new long[] {7}, 0.5));
        assertThrows(IllegalArgumentException.class, () -> FirstPacketCommand.percentile(new long[0], 0.5));
    }

    @Test
    void theReportGivesBothPathsTheirRatioAndTheGoal()
    {
        final String report = FirstPacketCommand.report(List.of(
            new FirstPacketCommand.Samples("nicq", new long[] {300_000, 100_000, 200_000}, 1),
            new FirstPacketCommand.Samples("kernel", new long[] {40_000, 50_000, 60_000}, 0)), 1000, 4);
        assertTrue(report.startsWith("first round trip after a 1000 ms gap, 4 times"), report);
        assertTrue(report.contains("nicq / kernel: 4.00x at p50, 5.00x at p99"), report);
        assertTrue(report.contains("goal: nicq's p50 <= 50 us: NOT MET"), report);
        final String none = FirstPacketCommand.report(List.of(
            new FirstPacketCommand.Samples("nicq", new long[0], 3),
            new FirstPacketCommand.Samples("kernel", new long[] {40_000}, 0)), 1000, 3);
        assertTrue(none.contains("(no echo came back)") && none.contains("NOT MET (no echo)"), none);
    }
}
