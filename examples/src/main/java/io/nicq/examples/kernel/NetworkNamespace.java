package io.nicq.examples.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Linux network namespace of our own, with one end of a veth pair in it and the other in the caller's namespace:
 * two hosts on one machine, joined by the kernel's own virtual link. Needs root and iproute2; {@link #unavailableReason()}
 * says why not when they are missing. Closing deletes the namespace (which takes the veth pair with it).
 */
public final class NetworkNamespace implements AutoCloseable
{
    private static final long COMMAND_TIMEOUT_S = 10;

    private final String name;
    private final String hostInterface;
    private final String namespaceInterface;
    private final String hostAddress;
    private final String namespaceAddress;
    private boolean closed;

    private NetworkNamespace(final String name, final String hostInterface, final String namespaceInterface,
        final String hostAddress, final String namespaceAddress)
    {
        this.name = name;
        this.hostInterface = hostInterface;
        this.namespaceInterface = namespaceInterface;
        this.hostAddress = hostAddress;
        this.namespaceAddress = namespaceAddress;
    }

    /** Null when namespaces can be made here, else why not (for messages and test skips). */
    public static String unavailableReason()
    {
        if (!"root".equals(System.getProperty("user.name")))
        {
            return "network namespaces need root (running as " + System.getProperty("user.name") + ")";
        }
        if (!Files.isExecutable(Path.of("/usr/sbin/ip")) && !Files.isExecutable(Path.of("/sbin/ip")) &&
            !Files.isExecutable(Path.of("/usr/bin/ip")) && !Files.isExecutable(Path.of("/bin/ip")))
        {
            return "iproute2's 'ip' is not installed";
        }
        return null;
    }

    /**
     * Creates namespace {@code name} with a veth pair: {@code hostAddress/30} on this side, {@code namespaceAddress/30}
     * inside, both up, loopback up inside.
     *
     * @param tag short unique tag (letters/digits, at most 8) used to name the interfaces
     */
    public static NetworkNamespace create(final String tag, final String hostAddress, final String namespaceAddress)
        throws IOException
    {
        final String reason = unavailableReason();
        if (reason != null)
        {
            throw new IOException("cannot create a network namespace: " + reason);
        }
        if (!tag.matches("[A-Za-z0-9]{1,8}"))
        {
            throw new IllegalArgumentException("namespace tag '" + tag + "' must be 1-8 letters or digits");
        }
        final String name = "nicq-" + tag;
        final NetworkNamespace ns = new NetworkNamespace(name, "nq" + tag + "h", "nq" + tag + "n", hostAddress,
            namespaceAddress);
        // Leftovers of a killed earlier run with the same tag would make every step below fail.
        runQuietly("ip", "netns", "del", name);
        runQuietly("ip", "link", "del", ns.hostInterface);
        try
        {
            run("ip", "netns", "add", name);
            run("ip", "link", "add", ns.hostInterface, "type", "veth", "peer", "name", ns.namespaceInterface);
            run("ip", "link", "set", ns.namespaceInterface, "netns", name);
            run("ip", "addr", "add", hostAddress + "/30", "dev", ns.hostInterface);
            run("ip", "link", "set", ns.hostInterface, "up");
            run("ip", "netns", "exec", name, "ip", "addr", "add", namespaceAddress + "/30", "dev", ns.namespaceInterface);
            run("ip", "netns", "exec", name, "ip", "link", "set", ns.namespaceInterface, "up");
            run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up");
        }
        catch (final IOException | RuntimeException ex)
        {
            ns.close();
            throw ex;
        }
        return ns;
    }

    public String name()
    {
        return name;
    }

    public String hostAddress()
    {
        return hostAddress;
    }

    public String namespaceAddress()
    {
        return namespaceAddress;
    }

    /** A command line that runs {@code command} inside this namespace. */
    public List<String> exec(final List<String> command)
    {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(command);
        return full;
    }

    /** Deletes the namespace and with it the veth pair. */
    public void close()
    {
        if (!closed)
        {
            closed = true;
            runQuietly("ip", "netns", "del", name);
            runQuietly("ip", "link", "del", hostInterface);
        }
    }

    /** Runs a command, failing with its output when it fails or takes over 10 s. */
    static void run(final String... command) throws IOException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try
        {
            if (!process.waitFor(COMMAND_TIMEOUT_S, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + ": no exit within " + COMMAND_TIMEOUT_S + " s");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + ": interrupted", ex);
        }
        if (process.exitValue() != 0)
        {
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            throw new IOException(String.join(" ", command) + " failed (" + process.exitValue() + "): " + output);
        }
    }

    private static void runQuietly(final String... command)
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!process.waitFor(COMMAND_TIMEOUT_S, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
            }
        }
        catch (final IOException ex)
        {
            // Best effort: the thing to remove may never have existed.
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
