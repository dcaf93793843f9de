package io.nicq.examples;

import java.io.PrintWriter;
import java.io.StringWriter;

import io.nicq.runtime.CommandLines;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code nicq example tcp-rpc-latency} refuses what a user gets wrong with one line naming the limit and a usage
 * error's status, before it connects to anything (the instance named here does not exist).
 */
class TcpRpcLatencyOptionsTest
{
    private static final String COMMAND = "example tcp-rpc-latency: ";
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(final String... options)
    {
        final CommandLine commandLine = CommandLines.configure(new CommandLine(new ExampleCommand()));
        commandLine.setOut(new PrintWriter(out));
        commandLine.setErr(new PrintWriter(err));
        final String[] args = new String[options.length + 5];
        args[0] = "tcp-rpc-latency";
        args[1] = "--instance";
        args[2] = "no-such-instance";
        args[3] = "--server";
        args[4] = "10.0.0.2:7";
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
    void zeroAndNegativeCountsAreRefused()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--count", "0"));
        assertTrue(errorLine().contains(COMMAND + "--count must be positive, not 0"), err::toString);
        err.getBuffer().setLength(0);
        assertEquals(CommandLines.USAGE_ERROR, run("--count", "-3"));
        assertTrue(errorLine().contains("--count must be positive, not -3"), err::toString);
    }

    @Test
    void aSizeBelowTheSequenceSaysTheMinimum()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--size", "8"));
        assertTrue(errorLine().contains("--size 8 is outside 16..262144 (a request needs 16 bytes"), err::toString);
    }

    @Test
    void aSizeLargerThanTheSendBufferSaysTheLimit()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--size", "300000"));
        assertTrue(errorLine().contains("--size 300000 is outside 16..262144") &&
            errorLine().contains("262144-byte TCP send buffer"), err::toString);
    }

    @Test
    void aServerThatIsNoAddressAndPortIsRefused()
    {
        final CommandLine commandLine = CommandLines.configure(new CommandLine(new ExampleCommand()));
        commandLine.setErr(new PrintWriter(err));
        commandLine.setOut(new PrintWriter(out));
        assertEquals(CommandLines.USAGE_ERROR, commandLine.execute("tcp-rpc-latency", "--instance", "x", "--server",
            "10.0.0.2"));
        assertTrue(errorLine().contains("--server '10.0.0.2' must be IP:PORT"), err::toString);
        err.getBuffer().setLength(0);
        assertEquals(CommandLines.USAGE_ERROR, commandLine.execute("tcp-rpc-latency", "--instance", "x", "--server",
            "10.0.0.2:0"));
        assertTrue(errorLine().contains("--server: port 0 is not in 1..65535"), err::toString);
        err.getBuffer().setLength(0);
        assertEquals(CommandLines.USAGE_ERROR, commandLine.execute("tcp-rpc-latency", "--instance", "x", "--server",
            "10.0.0.2:echo"));
        assertTrue(errorLine().contains("--server '10.0.0.2:echo' must be IP:PORT"), err::toString);
    }

    @Test
    void aZeroTimeoutIsRefused()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--timeout-ms", "0"));
        assertTrue(errorLine().contains("--timeout-ms must be positive, not 0"), err::toString);
    }

    @Test
    void anUnknownModeIsRefusedBeforeConnecting()
    {
        final int status = run("--mode", "thread");
        assertTrue(status != 0, "status " + status);
        assertTrue(errorLine().contains("--mode 'thread' is not one of served, inline"), err::toString);
    }

    @Test
    void anUnknownKernelBaselineIsRefusedBeforeMeasuringAnything()
    {
        assertEquals(CommandLines.USAGE_ERROR, run("--kernel-baseline", "veth"));
        assertTrue(errorLine().contains(COMMAND + "--kernel-baseline 'veth' is not auto or none"), err::toString);
    }
}
