package io.nicq.sim;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs commands (ip, child JVMs) for the integration tests, always with a time limit. */
final class Commands
{
    private Commands()
    {
    }

    /** Runs a command to completion within 20 s; returns its output, or throws naming the command and its output. */
    static String run(final String... command)
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(20, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish within 20 s");
            }
            if (process.exitValue() != 0)
            {
                throw new AssertionError(String.join(" ", command) + " failed (" + process.exitValue() + "): " +
                    output);
            }
            return output;
        }
        catch (final IOException ex)
        {
            throw new AssertionError("cannot run " + String.join(" ", command), ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + String.join(" ", command), ex);
        }
    }

    /** Runs a command, ignoring failure (clean-up). */
    static void runQuietly(final String... command)
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!process.waitFor(20, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
            }
        }
        catch (final IOException ex)
        {
            // Clean-up of something that may not exist.
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    static boolean isRoot()
    {
        return "root".equals(System.getProperty("user.name"));
    }

    static boolean hasIp()
    {
        return Path.of("/usr/sbin/ip").toFile().canExecute() || Path.of("/sbin/ip").toFile().canExecute() ||
            Path.of("/usr/bin/ip").toFile().canExecute();
    }

    /** A JVM like this one (same java, class path and nicq flags) running {@code mainClass args}. */
    static ProcessBuilder jvm(final Class<?> mainClass, final Path log, final String... args)
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        final String flags = System.getProperty("nicq.jvm.flags",
            "--add-opens java.base/jdk.internal.misc=ALL-UNNAMED --enable-native-access=ALL-UNNAMED");
        command.addAll(Arrays.asList(flags.trim().split("\\s+")));
        command.add("-Xmx256m");
        command.add("-XX:+UseSerialGC");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(Arrays.asList(args));
        return new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    }
}
