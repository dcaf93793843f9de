package io.nicq.examples;

import io.nicq.runtime.CommandLines;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code nicq example tcp-rpc-latency} refuses what a user gets wrong with one line naming the limit and a usage
 * error's status, before it connects to anything (the instance named here does not exist).
 */
class TcpRpcLatencyOptionsTest
{
    private static final String COMMAND = "example tcp-rpc-latency: ";
    private final ExampleCommandLine commandLine = new ExampleCommandLine();

    private int run(final String... options)
    {
        final String[] args = new String[options.length + 5];
        System.arraycopy(new String[] {"tcp-rpc-latency", "--instance", "no-such-instance", "--server", "10.0.0.2:7"}, 0, args, 0, 5);
        System.arraycopy(options, 0, args, 5, options.length);
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
        assertTrue(errorLine().contains(COMMAND + "--count must be positive, not 0"), commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, run("--count", "-3"));
        assertTrue(errorLine().contains("--count must be positive, not -3"), commandLine::errors);
    }

    @Test
    void aSizeBelowTheSequenceSaysTheMinimum()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--size", "8"));
        assertTrue(errorLine().contains("--size 8 is outside 16..262144 (a request needs 16 bytes"), commandLine::errors);
    }

    @Test
    void aSizeLargerThanTheSendBufferSaysTheLimit()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--size", "300000"));
        assertTrue(errorLine().contains("--size 300000 is outside 16..262144") &&
            errorLine().contains("262144-byte TCP send buffer"), commandLine::errors);
    }

    @Test
    void aServerThatIsNoAddressAndPortIsRefused()
    {
        assertEquals(CommandLines.USAGE_ERROR, commandLine.run("tcp-rpc-latency", "--instance", "x", "--server",
            "10.0.0.2"));
        assertTrue(errorLine().contains("--server '10.0.0.2' must be IP:PORT"), commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, commandLine.run("tcp-rpc-latency", "--instance", "x", "--server",
            "10.0.0.2:0"));
        assertTrue(errorLine().contains("--server: port 0 is not in 1..65535"), commandLine::errors);
        assertEquals(CommandLines.USAGE_ERROR, commandLine.run("tcp-rpc-latency", "--instance", "x", "--server",
            "10.0.0.2:echo"));
        assertTrue(errorLine().contains("--server '10.0.0.2:echo' must be IP:PORT"), commandLine::errors);
    }

    @Test
    void aZeroTimeoutIsRefused()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--timeout-ms", "0"));
        assertTrue(errorLine().contains("--timeout-ms must be positive, not 0"), commandLine::errors);
    }

    @Test
    void anUnknownModeIsRefusedBeforeConnecting()
    {
        final int status = run("--mode", "thread");
        assertTrue(status != 0, "status " + status);
        assertTrue(errorLine().contains("--mode 'thread' is not one of served, inline"), commandLine::errors);
    }

    @Test
    void anUnknownKernelBaselineIsRefusedBeforeMeasuringAnything()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--kernel-baseline", "veth"));
        assertTrue(errorLine().contains(COMMAND + "--kernel-baseline 'veth' is not auto or none"), commandLine::errors);
    }
}
