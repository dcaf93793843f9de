package io.nicq.proto;

import java.util.Arrays;

import picocli.CommandLine;

/**
 * Main class for child JVMs: {@code RunCommand <command class> args...} runs one picocli command of any module on the
 * class path (e.g. {@code io.nicq.queue.QueueDriverCommand}) exactly as the {@code nicq} launcher would, so that a
 * module can start another module's process without depending on the launcher. See {@link ChildJvm#command(Class,
 * java.util.List)}.
 */
public final class RunCommand
{
    private RunCommand()
    {
    }

    public static void main(final String[] args) throws ReflectiveOperationException
    {
        if (args.length == 0)
        {
            System.err.println("usage: RunCommand <picocli command class> [args...]");
            System.exit(2);
        }
        final Object command = Class.forName(args[0]).getDeclaredConstructor().newInstance();
        final CommandLine commandLine = new CommandLine(command);
        commandLine.setExecutionExceptionHandler((ex, cmd, parseResult) ->
        {
            cmd.getErr().println(cmd.getCommandName() + ": " + (ex.getMessage() != null ? ex.getMessage() : ex));
            if (Boolean.getBoolean("nicq.debug"))
            {
                ex.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        System.exit(commandLine.execute(Arrays.copyOfRange(args, 1, args.length)));
    }
}
