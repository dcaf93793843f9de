package io.nicq.cli;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Runs the whole test suite: unit tests, integration tests with real processes, and (as root) the TAP, namespace
 * and hugepage tests. It is Maven's {@code verify} in the source tree the launcher was started from.
 */
@Command(name = "test", mixinStandardHelpOptions = true,
    description = {"Run the whole test suite (mvn verify in the nicq source tree).",
        "Tests that need root (TAP, network namespaces, hugepages) skip with a reason when not root."})
public final class TestCommand implements Callable<Integer>
{
    @Option(names = "--module", paramLabel = "DIR",
        description = "Only this module's tests (what it needs is built and installed first), e.g. nic-sim")
    String module;

    @Option(names = "--test", paramLabel = "PATTERN", description = "Only tests matching this pattern (surefire -Dtest)")
    String test;

    @Option(names = "--offline", description = "Do not reach Maven Central")
    boolean offline;

    @Parameters(paramLabel = "MAVEN_ARG", description = "Further arguments for Maven")
    List<String> mavenArgs = new ArrayList<>();

    public Integer call() throws Exception
    {
        final String home = System.getProperty("nicq.home");
        if (home == null || !Files.isRegularFile(Path.of(home, "pom.xml")))
        {
            System.err.println("nicq test: needs the nicq source tree; run it as ./nicq test from there");
            return 2;
        }

        if (module != null)
        {
            // Build and install what the module needs without running those modules' tests, then test the module.
            final List<String> prepare = new ArrayList<>(List.of("mvn", "-B", "-q", "install", "-DskipTests",
                "-pl", module, "-am"));
            if (offline)
            {
                prepare.add("-o");
            }
            final int rc = run(home, prepare);
            if (rc != 0)
            {
                return rc;
            }
        }

        final List<String> command = new ArrayList<>(List.of("mvn", "-B", "verify"));
        if (offline)
        {
            command.add("-o");
        }
        if (module != null)
        {
            command.addAll(List.of("-pl", module));
        }
        if (test != null)
        {
            command.addAll(List.of("-Dtest=" + test, "-Dit.test=" + test, "-Dsurefire.failIfNoSpecifiedTests=false"));
        }
        command.addAll(mavenArgs);
        return run(home, command);
    }

    private static int run(final String home, final List<String> command) throws Exception
    {
        final ProcessBuilder builder = new ProcessBuilder(command).directory(new File(home)).inheritIO();
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        System.err.println("nicq test: " + String.join(" ", command));
        return builder.start().waitFor();
    }
}
