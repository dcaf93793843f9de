package io.nicq.examples;

import io.nicq.runtime.CommandLineRun;
import io.nicq.runtime.CommandLines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code nicq example rpc-latency} and {@code tcp-rpc-latency} refuse what a user gets wrong with one line naming the
 * limit and a usage error's status, before they measure or connect to anything (the instance named here does not
 * exist): the options they share ({@link RoundTripOptions}) alike, and each its own payload limit.
 */
class RoundTripOptionsTest
{
    private final CommandLineRun commandLine = new CommandLineRun(ExampleCommand::new);

    private int run(final String command, final String... options)
    {
        final String[] args = new String[options.length + 5];
        System.arraycopy(new String[] {command, "--instance", "no-such-instance", "--server", "10.0.0.2:7"}, 0, args, 0,
            5);
        System.arraycopy(options, 0, args, 5, options.length);
        return commandLine.run(args);
    }

    private String errorLine()
    {
        return commandLine.errorLine();
    }

    @ParameterizedTest
    @ValueSource(strings = {"rpc-latency", "tcp-rpc-latency"})
    void zeroAndNegativeCountsAreRefused(final String command)
    {
        assertEquals(CommandLines.USAGE_ERROR, run(command, "--count", "0"));
        assertTrue(errorLine().contains("example " + command + ": --count must be positive, not 0"),
            commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, run(command, "--count", "-3"));
        assertTrue(errorLine().contains("--count must be positive, not -3"), commandLine::errors);
    }

    @ParameterizedTest
    @ValueSource(strings = {"rpc-latency", "tcp-rpc-latency"})
    void aServerThatIsNoAddressAndPortIsRefused(final String command)
    {
        assertEquals(CommandLines.USAGE_ERROR, commandLine.run(command, "--instance", "x", "--server", "10.0.0.2"));
        assertTrue(errorLine().contains("--server '10.0.0.2' must be IP:PORT"), commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, commandLine.run(command, "--instance", "x", "--server", "10.0.0.2:0"));
        assertTrue(errorLine().contains("--server: port 0 is not in 1..65535"), commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, commandLine.run(command, "--instance", "x", "--server",
            "10.0.0.2:echo"));
        assertTrue(errorLine().contains("--server '10.0.0.2:echo' must be IP:PORT"), commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, commandLine.run(command, "--instance", "x", "--server", "10.0.2:7"));
        assertTrue(errorLine().contains("--server '10.0.2:7' must be IP:PORT"), commandLine::errors);
    }

    @ParameterizedTest
    @ValueSource(strings = {"rpc-latency", "tcp-rpc-latency"})
    void aZeroTimeoutAndANegativeWarmUpAreRefused(final String command)
    {
        assertEquals(CommandLines.USAGE_ERROR, run(command, "--timeout-ms", "0"));
        assertTrue(errorLine().contains("--timeout-ms must be positive, not 0"), commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, run(command, "--warmup", "-2"));
        assertTrue(errorLine().contains("--warmup"), commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, run(command, "--warmup-quiet-ms", "500", "--warmup-bound-ms", "100"));
        assertTrue(errorLine().contains("--warmup-bound-ms"), commandLine::errors);
    }

    @ParameterizedTest
    @ValueSource(strings = {"rpc-latency", "tcp-rpc-latency"})
    void anUnknownModeIsRefusedBeforeConnecting(final String command)
    {
        final int status = run(command, "--mode", "thread", "--kernel-baseline", "none");
        assertTrue(status != 0, "status " + status);
        assertTrue(errorLine().contains("--mode 'thread' is not one of served, inline"), commandLine::errors);
    }

    /** Before the shared options, rpc-latency took any word but "none" for auto and measured the kernel. */
    @ParameterizedTest
    @ValueSource(strings = {"rpc-latency", "tcp-rpc-latency"})
    void anUnknownKernelBaselineIsRefusedBeforeMeasuringAnything(final String command)
    {
        assertEquals(CommandLines.USAGE_ERROR, run(command, "--kernel-baseline", "veth"));
        assertTrue(errorLine().contains("example " + command + ": --kernel-baseline 'veth' is not auto or none"),
            commandLine::errors);
    }

    @Test
    void aTcpSizeBelowTheSequenceSaysTheMinimum()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("tcp-rpc-latency", "--size", "8"));
        assertTrue(errorLine().contains("--size 8 is outside 16..262144 (a request needs 16 bytes"),
            commandLine::errors);
    }

    @Test
    void aTcpSizeLargerThanTheSendBufferSaysTheLimit()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("tcp-rpc-latency", "--size", "300000"));
        assertTrue(errorLine().contains("--size 300000 is outside 16..262144") &&
            errorLine().contains("262144-byte TCP send buffer"), commandLine::errors);
    }

    @Test
    void aUdpSizeLargerThanOneDatagramSaysTheMtuLimit()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("rpc-latency", "--size", "100000"));
        assertTrue(errorLine().contains("--size 100000 is outside 16..1472") &&
            errorLine().contains("MTU 1500"), commandLine::errors);
    }
}
