package io.nicq.cli;


import io.nicq.runtime.CommandLineRun;
import io.nicq.runtime.CommandLines;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code nicq demo} refuses what a user gets wrong with one line naming the limit and a usage error's status, before
 * it starts anything (no kernel baseline, no card, no process).
 */
class DemoOptionsTest
{
    private static final String COMMAND = "demo: ";
    private final CommandLineRun commandLine = new CommandLineRun(DemoCommand::new);

    private int run(final String... args)
    {
        return commandLine.run(args);
    }

    private String errorLine()
    {
        return commandLine.errorLine();
    }

    @Test
    void zeroAndNegativeCountsAreRefused()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--count", "0"));
        assertTrue(errorLine().startsWith(COMMAND + "--count must be positive, not 0"), commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, run("--count", "-5", "--proto", "tcp"));
        assertTrue(errorLine().startsWith(COMMAND + "--count must be positive, not -5"), commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, run("--warmup", "-1"));
        assertTrue(errorLine().contains("--warmup must be at least 0, not -1"), commandLine::errors);
    }

    @Test
    void aReadOnlyRxRingNeedsAServedQueue()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--read-only-rx-ring"));
        assertTrue(errorLine().startsWith(COMMAND + "--read-only-rx-ring needs --mode process or thread"),
            commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, run("--mode", "inline", "--read-only-rx-ring", "--count", "0"));
    }

    @Test
    void cpusTheProcessMayNotUseOrThatDoNotParseAreRefused()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--cpus", "1000"));
        assertTrue(errorLine().startsWith(COMMAND + "--cpus: CPU 1000 is not one this process may run on ("),
            commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, run("--cpus", "two"));
        assertTrue(errorLine().startsWith(COMMAND + "--cpus: CPUs 'two' must look like 1, 0,2 or 0-3"),
            commandLine::errors);
    }

    @Test
    void anInteractiveAckDelayNearTheMinimumRtoIsRefused()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--tcp-interactive-ack-us", "2500"));
        assertTrue(errorLine().contains("--tcp-interactive-ack-us 2500 is outside 0..2499 (an ACK held longer than " +
            "half the minimum RTO"), commandLine::errors);
    }

    @Test
    void theLoopsGoToTheLastCpusOfTheSetAndADeviceThreadBeforeThem()
    {
        final int[] sixteen = java.util.stream.IntStream.range(0, 16).toArray();
        assertEquals(new DemoCommand.CpuPlan(-1, 14, 15), DemoCommand.CpuPlan.of(true, sixteen, true));
        assertEquals(new DemoCommand.CpuPlan(13, 14, 15), DemoCommand.CpuPlan.of(true, sixteen, false));
        assertEquals(new DemoCommand.CpuPlan(-1, 0, 1), DemoCommand.CpuPlan.of(true, new int[] {0, 1}, true));
        assertEquals(new DemoCommand.CpuPlan(0, 1, 1), DemoCommand.CpuPlan.of(true, new int[] {0, 1}, false));
        assertEquals(new DemoCommand.CpuPlan(-1, 3, 5), DemoCommand.CpuPlan.of(true, new int[] {3, 5}, true));
        assertEquals(DemoCommand.CpuPlan.NONE, DemoCommand.CpuPlan.of(true, new int[] {2}, true));
        assertEquals(DemoCommand.CpuPlan.NONE, DemoCommand.CpuPlan.of(false, sixteen, true));
    }

    @Test
    void anUnknownProtocolIsRefused()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--proto", "sctp"));
        assertTrue(errorLine().startsWith(COMMAND + "--proto 'sctp' is not udp, tcp or both"), commandLine::errors);
    }

    @Test
    void aPayloadLargerThanOneDatagramSaysTheMtuLimitForUdpAndForBoth()
    {
        for (final String proto : new String[] {"udp", "both"})
        {
            assertEquals(CommandLines.USAGE_ERROR, run("--size", "100000", "--proto", proto));
            assertTrue(errorLine().contains("--size 100000 is outside 16..1472") &&
                errorLine().contains("one UDP datagram at MTU 1500 carries at most 1472"), commandLine::errors);
        }
    }

    @Test
    void aTcpMessageMaySpanSegmentsButNotExceedTheSendBuffer()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--size", "300000", "--proto", "tcp"));
        assertTrue(errorLine().contains("--size 300000 is outside 16..262144") &&
            errorLine().contains("262144-byte send buffer"), commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, run("--size", "8", "--proto", "tcp"));
        assertTrue(errorLine().contains("--size 8 is outside 16..262144"), commandLine::errors);
    }

    @Test
    void unknownModesAndPlacesAreRefused()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--kernel-baseline", "veth"));
        assertTrue(errorLine().startsWith(COMMAND + "--kernel-baseline 'veth' is not auto or none"),
            commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, run("--mode", "served"));
        assertTrue(errorLine().startsWith(COMMAND + "--mode 'served' is not one of process, thread, inline"),
            commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, run("--device-loop", "card"));
        assertTrue(errorLine().startsWith(COMMAND + "--device-loop 'card' is not thread or inline"),
            commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, run("--idle", "nap"));
        assertTrue(errorLine().startsWith(COMMAND + "--idle: idle strategy 'nap' is not one of"), commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, run("--warmup-quiet-ms", "500", "--warmup-bound-ms", "100"));
        assertTrue(errorLine().contains("--warmup-bound-ms must be at least 500, not 100"), commandLine::errors);
    }

    @Test
    void theHelpSaysWhatTheDefaultsMeasureAndWhy()
    {
        assertEquals(0, run("--help"));
        final String help = commandLine.output().replaceAll("\\s+", " ");
        assertTrue(help.contains("--proto") && help.contains("udp, tcp or both (default: both)"), help);
        assertTrue(help.contains("four measurements instead of two") && help.contains("(default: 50000 with --proto " +
            "both, 100000 with one protocol)"), help);
    }
}
