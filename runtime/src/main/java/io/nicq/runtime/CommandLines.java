package io.nicq.runtime;

import java.io.PrintWriter;
import java.util.List;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * How every nicq command line treats its user: the same handling of mistakes whether the command runs under the
 * {@code nicq} launcher or in a child JVM ({@link RunCommand}), and the checks of option values the commands share.
 * <p>
 * A mistake on the command line is one line on standard error, naming the command, and exit status 2 (picocli's
 * usage-error status); the full help is one {@code --help} away rather than printed over the error. A failure while
 * the command runs is one line and status 1, with the stack trace only under {@code -Dnicq.debug=true}.
 * <p>
 * picocli lets {@code --help} of a parent command win over an argument it did not recognise, so
 * {@code nicq example no-such-example --help} would print the parent's help and exit 0, as if the example existed;
 * {@link #configure} makes an unrecognised argument an error even when help was asked for.
 */
public final class CommandLines
{
    /** Exit status of a command line the command refused. */
    public static final int USAGE_ERROR = 2;

    /** Exit status of a command that failed while it ran. */
    public static final int FAILED = 1;

    private CommandLines()
    {
    }

    /**
     * Gives a command line nicq's handling of mistakes and failures.
     *
     * @param commandLine to configure, with its subcommands already added.
     * @return commandLine.
     */
    public static CommandLine configure(final CommandLine commandLine)
    {
        commandLine.setExecutionStrategy(parseResult ->
        {
            rejectUnmatched(parseResult);
            return new CommandLine.RunLast().execute(parseResult);
        });
        commandLine.setParameterExceptionHandler((ex, args) ->
        {
            final CommandLine cmd = ex.getCommandLine();
            final PrintWriter err = cmd.getErr();
            final String name = cmd.getCommandSpec().qualifiedName(" ");
            err.println(name + ": " + message(ex) + " (see '" + name + " --help')");
            err.flush();
            return USAGE_ERROR;
        });
        commandLine.setExecutionExceptionHandler((ex, cmd, parseResult) ->
        {
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName(" ") + ": " + describe(ex));
            if (Boolean.getBoolean("nicq.debug"))
            {
                ex.printStackTrace(cmd.getErr());
            }
            cmd.getErr().flush();
            return FAILED;
        });
        return commandLine;
    }

    /** One line for the user: the first message of its own along the cause chain, else the exception's type. */
    public static String describe(final Throwable ex)
    {
        Throwable cause = ex;
        // new RuntimeException(cause) takes cause.toString() as its message: a wrapper's, not a message of its own.
        while (cause.getCause() != null &&
            (cause.getMessage() == null || cause.getMessage().equals(cause.getCause().toString())))
        {
            cause = cause.getCause();
        }
        final String message = cause.getMessage();
        return message != null ? oneLine(message) : cause.getClass().getSimpleName();
    }

    /**
     * Refuses a count, a duration or a size that must be positive.
     *
     * @param spec   of the command, for the error's attribution.
     * @param option as the user wrote it, e.g. {@code --count}.
     * @param value  given.
     * @return value.
     * @throws ParameterException when value is zero or negative.
     */
    public static long requirePositive(final CommandSpec spec, final String option, final long value)
    {
        if (value <= 0)
        {
            throw new ParameterException(spec.commandLine(), option + " must be positive, not " + value);
        }
        return value;
    }

    /**
     * Refuses a count or a duration below a floor, e.g. a negative warm-up.
     *
     * @param spec   of the command, for the error's attribution.
     * @param option as the user wrote it, e.g. {@code --warmup}.
     * @param value  given.
     * @param min    smallest allowed.
     * @return value.
     * @throws ParameterException when value is below min.
     */
    public static long requireAtLeast(final CommandSpec spec, final String option, final long value, final long min)
    {
        if (value < min)
        {
            throw new ParameterException(spec.commandLine(), option + " must be at least " + min + ", not " + value);
        }
        return value;
    }

    /**
     * Refuses a port outside 1..65535.
     *
     * @param spec   of the command, for the error's attribution.
     * @param option the port came with, as the user wrote it, e.g. {@code --server}.
     * @param port   given.
     * @return port.
     * @throws ParameterException when port is not a usable port.
     */
    public static int requirePort(final CommandSpec spec, final String option, final int port)
    {
        if (port < 1 || port > 65_535)
        {
            throw new ParameterException(spec.commandLine(), option + ": port " + port + " is not in 1..65535");
        }
        return port;
    }

    /**
     * Refuses a value outside {@code [min, max]}.
     *
     * @param spec   of the command, for the error's attribution.
     * @param option as the user wrote it, e.g. {@code --size}.
     * @param value  given.
     * @param min    smallest allowed.
     * @param max    largest allowed.
     * @param why    what the bounds come from, said in the error, e.g. "one UDP datagram at MTU 1500".
     * @return value.
     * @throws ParameterException when value is out of range.
     */
    public static long requireRange(
        final CommandSpec spec, final String option, final long value, final long min, final long max,
        final String why)
    {
        if (value < min || value > max)
        {
            throw new ParameterException(spec.commandLine(),
                option + " " + value + " is outside " + min + ".." + max + " (" + why + ")");
        }
        return value;
    }

    private static void rejectUnmatched(final ParseResult parseResult)
    {
        for (ParseResult level = parseResult; level != null; level = level.subcommand())
        {
            final List<String> unmatched = level.unmatched();
            if (unmatched.isEmpty())
            {
                continue;
            }
            throw new CommandLine.UnmatchedArgumentException(level.commandSpec().commandLine(), unmatched);
        }
    }

    /** The error's message; an unknown subcommand is called that, with the commands there are. */
    private static String message(final ParameterException ex)
    {
        if (ex instanceof CommandLine.UnmatchedArgumentException unmatched)
        {
            final CommandLine cmd = ex.getCommandLine();
            final List<String> arguments = unmatched.getUnmatched();
            if (!cmd.getSubcommands().isEmpty() && !arguments.isEmpty() && !arguments.get(0).startsWith("-"))
            {
                return "no command '" + arguments.get(0) + "'; the commands are " +
                    String.join(", ", cmd.getSubcommands().keySet());
            }
            final List<String> suggestions = unmatched.getSuggestions();
            return "unknown argument" + (arguments.size() > 1 ? "s " : " ") + String.join(" ", arguments) +
                (suggestions.isEmpty() ? "" : "; did you mean " + String.join(" or ", suggestions) + "?");
        }
        return oneLine(ex.getMessage());
    }

    private static String oneLine(final String message)
    {
        return message.strip().replaceAll("\\s*\\R\\s*", "; ");
    }
}
