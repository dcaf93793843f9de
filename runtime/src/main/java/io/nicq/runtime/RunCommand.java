package io.nicq.runtime;

import java.util.Arrays;

import picocli.CommandLine;

/**
 * Main class for child JVMs: {@code RunCommand <command class> args...} runs one picocli command of any module on the
 * class path (e.g. {@code io.nicq.queue.QueueDriverCommand}) exactly as the {@code nicq} launcher would, so that a
 * module can start another module's process without depending on the launcher. See {@link ChildJvm#command(Class,
 * java.util.List)}.
 * <p>
 * With {@code -Dnicq.exitWithParent=true} the child exits (running its shutdown hooks, so it cleans up) when the
 * process that started it is gone, so that a parent killed without the chance to stop its children (kill -9) leaves
 * no orphans behind.
 */
public final class RunCommand
{
    /** System property: exit when the parent process is gone. */
    public static final String EXIT_WITH_PARENT_PROPERTY = "nicq.exitWithParent";

    /** How often the parent is checked. */
    private static final long PARENT_CHECK_INTERVAL_MS = 250;

    private RunCommand()
    {
    }

    private static void exitWithParent()
    {
        final ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
        if (parent == null)
        {
            return;
        }
        final Thread watchdog = new Thread(() ->
        {
            while (parent.isAlive())
            {
                try
                {
                    Thread.sleep(PARENT_CHECK_INTERVAL_MS);
                }
                catch (final InterruptedException ex)
                {
                    return;
                }
            }
            System.err.println("parent process " + parent.pid() + " is gone: exiting");
            System.exit(143);
        }, "nicq-parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    public static void main(final String[] args) throws ReflectiveOperationException
    {
        if (args.length == 0)
        {
            System.err.println("usage: RunCommand <picocli command class> [args...]");
            System.exit(2);
        }
        if (Boolean.getBoolean(EXIT_WITH_PARENT_PROPERTY))
        {
            exitWithParent();
        }
        final Object command = Class.forName(args[0]).getDeclaredConstructor().newInstance();
        final CommandLine commandLine = CommandLines.configure(new CommandLine(command));
        System.exit(commandLine.execute(Arrays.copyOfRange(args, 1, args.length)));
    }
}
