package io.nicq.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

import io.nicq.runtime.CommandLines;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code nicq} command: one entry point for every process nicq runs (simulated card, card driver, queue driver),
 * its tools (stat, bench, test) and the demo.
 * <p>
 * Subcommands live in the module that owns them and are found here by class name, so that a subcommand whose module
 * is not built (or not on the class path) says so in one line instead of failing with a stack trace.
 */
@Command(
    name = "nicq",
    mixinStandardHelpOptions = true,
    versionProvider = Nicq.Version.class,
    description = "Low-latency multi-queue NIC driver service for Java (Intel 82599, simulated or real).",
    synopsisSubcommandLabel = "COMMAND",
    commandListHeading = "%nCommands:%n",
    footer = {"", "Run 'nicq COMMAND --help' for the options of a command."})
public final class Nicq implements Runnable
{
    /** Subcommands in the order of the help text: name, implementing class, module that provides it. */
    static final String[][] SUBCOMMANDS = {
        {"demo", "io.nicq.cli.DemoCommand", "cli"},
        {"sim", "io.nicq.sim.SimCommand", "nic-sim"},
        {"card-driver", "io.nicq.card.CardDriverCommand", "card-driver"},
        {"queue-driver", "io.nicq.queue.QueueDriverCommand", "queue-driver"},
        {"example", "io.nicq.examples.ExampleCommand", "examples"},
        {"stat", "io.nicq.card.StatCommand", "card-driver"},
        {"devices", "io.nicq.ixgbe.host.DevicesCommand", "ixgbe"},
        {"doctor", "io.nicq.ixgbe.host.DoctorCommand", "ixgbe"},
        {"bench", "io.nicq.bench.BenchCommand", "bench"},
        {"test", "io.nicq.cli.TestCommand", "cli"},
    };

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public void run()
    {
        spec.commandLine().usage(System.out);
    }

    public static void main(final String[] args)
    {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine()
    {
        final CommandLine commandLine = new CommandLine(new Nicq());
        for (final String[] sub : SUBCOMMANDS)
        {
            commandLine.addSubcommand(sub[0], subcommand(sub[0], sub[1], sub[2]));
        }
        return CommandLines.configure(commandLine);
    }

    private static Object subcommand(final String name, final String className, final String module)
    {
        try
        {
            return CommandLine.Model.CommandSpec.forAnnotatedObject(
                Class.forName(className).getDeclaredConstructor().newInstance());
        }
        catch (final ClassNotFoundException ex)
        {
            return notBuilt(name, module);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new IllegalStateException("cannot create subcommand " + name + " (" + className + ")", ex);
        }
    }

    private static CommandLine.Model.CommandSpec notBuilt(final String name, final String module)
    {
        final CommandLine.Model.CommandSpec spec = CommandLine.Model.CommandSpec.wrapWithoutInspection(
            (java.util.concurrent.Callable<Integer>)() ->
            {
                System.err.println("nicq: '" + name + "' is not built yet (module " + module + ")");
                return 2;
            });
        spec.usageMessage().description("(not built yet: module " + module + ")");
        spec.parser().unmatchedArgumentsAllowed(true);
        spec.mixinStandardHelpOptions(true);
        return spec;
    }

    static final class Version implements CommandLine.IVersionProvider
    {
        public String[] getVersion()
        {
            final Properties properties = new Properties();
            try (InputStream in = Nicq.class.getResourceAsStream("version.properties"))
            {
                if (in != null)
                {
                    properties.load(in);
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
            return new String[] {
                "nicq " + properties.getProperty("version", "unknown"),
                "aeron " + properties.getProperty("aeron", "?") + ", agrona " + properties.getProperty("agrona", "?") +
                    ", sbe " + properties.getProperty("sbe", "?"),
                "JVM: " + Runtime.version() + " (" + System.getProperty("java.home") + ")"};
        }
    }
}
