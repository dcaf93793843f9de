package io.nicq.sim;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.*;

/** {@code nicq sim}'s options, parsed without starting a card. */
class SimCommandTest
{
    @TempDir
    Path dir;

    private static SimCommand parse(final String... args)
    {
        final SimCommand command = new SimCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void faultsApplyToEgressUnlessToldOtherwise()
    {
        assertEquals(SimCommand.FaultDirection.egress, parse("--card", "c", "--drop", "2%").faultsOn);
        assertEquals(SimCommand.FaultDirection.ingress, parse("--card", "c", "--drop", "2%", "--faults-on",
            "ingress").faultsOn);
        assertEquals(SimCommand.FaultDirection.both, parse("--card", "c", "--faults-on", "both").faultsOn);
        assertThrows(CommandLine.ParameterException.class, () -> parse("--card", "c", "--faults-on", "sideways"));
    }

    @Test
    void faultOptionsTakeFractionsOrPercentagesAndASeed()
    {
        final WireFaults.Context faults = parse("--card", "c", "--drop", "2%", "--duplicate", "0.01", "--reorder",
            "5%", "--corrupt", "0.5%", "--fault-seed", "0x2a").faults();
        assertNotNull(faults);
        assertEquals(0.02, faults.dropProbability(), 1e-12);
        assertEquals(0.01, faults.duplicateProbability(), 1e-12);
        assertEquals(0.05, faults.reorderProbability(), 1e-12);
        assertEquals(0.005, faults.corruptProbability(), 1e-12);
        assertEquals(42, faults.seed());
        assertEquals(WireFaults.Context.DEFAULT_REORDER_DISTANCE, faults.reorderDistance());
        assertEquals(WireFaults.Context.DEFAULT_REORDER_TIMEOUT_NS, faults.reorderTimeoutNs());

        final WireFaults.Context bounded = parse("--card", "c", "--reorder", "0.1", "--reorder-distance", "4",
            "--reorder-timeout-us", "50").faults();
        assertEquals(4, bounded.reorderDistance());
        assertEquals(50_000, bounded.reorderTimeoutNs());
    }

    @Test
    void withoutAProbabilityThereAreNoFaultsAndTheSeedIsPickedWhenNotGiven()
    {
        assertNull(parse("--card", "c").faults());
        assertNull(parse("--card", "c", "--fault-seed", "7", "--drop", "0%").faults(), "a seed alone injects nothing");
        final WireFaults.Context random = parse("--card", "c", "--reorder", "0.05").faults().conclude();
        assertTrue(random.summary().endsWith("seed " + random.seed()), random.summary());
    }

    @Test
    void aBadValueIsAClearErrorAndNoCardStarts() throws Exception
    {
        final String[][] bad = {
            {"--drop", "2"}, {"--duplicate", "-1%"}, {"--reorder", "lots"}, {"--corrupt", "150%"},
            {"--fault-seed", "0xnothex"}, {"--reorder-distance", "0"}, {"--reorder-timeout-us", "2000000"}};
        final String[] expected = {"--drop '2' is above 1 (100%): for 2 percent write 2%",
            "--duplicate '-1%' is not a probability", "--reorder 'lots' is not a probability",
            "--corrupt '150%' is above 1", "--fault-seed '0xnothex' must be", "--reorder-distance 0 must be 1..1024",
            "--reorder-timeout-us 2000000 must be 1..1000000"};
        final PrintStream err = System.err;
        for (int i = 0; i < bad.length; i++)
        {
            final ByteArrayOutputStream captured = new ByteArrayOutputStream();
            final int exit;
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            try
            {
                exit = new CommandLine(new SimCommand()).execute("--card", "bad" + i, "--dir", dir.toString(),
                    bad[i][0], bad[i][1]);
            }
            finally
            {
                System.setErr(err);
            }
            assertEquals(1, exit, String.join(" ", bad[i]));
            final String message = captured.toString(StandardCharsets.UTF_8);
            assertTrue(message.startsWith("nicq sim: " + expected[i]), message);
            assertFalse(Files.exists(dir.resolve("bad" + i)), "no card was started for " + String.join(" ", bad[i]));
        }
    }

    @Test
    void theHelpNamesTheFaultOptions()
    {
        final String usage = new CommandLine(new SimCommand()).getUsageMessage();
        for (final String option : new String[] {"--drop", "--duplicate", "--reorder", "--corrupt", "--fault-seed"})
        {
            assertTrue(usage.contains(option), option + " in\n" + usage);
        }
        assertTrue(usage.contains("(2%)"), usage);
    }
}
