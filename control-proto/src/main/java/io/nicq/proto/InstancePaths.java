package io.nicq.proto;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Where a nicq instance (one card driver and what hangs off it) keeps its files.
 * <pre>
 *   /dev/shm/nicq/&lt;instance&gt;/
 *       aeron/         media driver directory of the control plane
 *       control-wake   the control plane's wake-up words ({@link ControlWakeWords})
 *       counters       Agrona counters file, read by 'nicq stat'
 *       card-driver.pid
 *       queues/&lt;n&gt;     queue channel of hardware queue n (simulated card)
 *   &lt;hugetlbfs&gt;/nicq/&lt;instance&gt;/queues/&lt;n&gt;   queue channel of a real card ({@link #queueChannel(int, Path)})
 * </pre>
 * The root can be moved with the system property {@code nicq.dir} (tests use a private directory).
 */
public final class InstancePaths
{
    /** System property naming the directory that holds all instances. */
    public static final String DIR_PROPERTY = "nicq.dir";

    /** Default root: tmpfs, so that every file here is shared memory. */
    public static final String DEFAULT_DIR = "/dev/shm/nicq";

    /** File name of {@link #controlWakeFile()}, beside the instance's {@code aeron/} directory. */
    public static final String CONTROL_WAKE_FILE = "control-wake";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private final String instance;
    private final Path root;

    private InstancePaths(final String instance, final Path root)
    {
        this.instance = instance;
        this.root = root;
    }

    /** Paths of an instance under the default (or {@code nicq.dir}) root. */
    public static InstancePaths of(final String instance)
    {
        return of(instance, Path.of(System.getProperty(DIR_PROPERTY, DEFAULT_DIR)));
    }

    /** Paths of an instance under a given root. */
    public static InstancePaths of(final String instance, final Path baseDir)
    {
        return new InstancePaths(validateName("instance", instance), baseDir.resolve(instance));
    }

    /**
     * A name that becomes a path component (instance, card): letters, digits, '_', '.', '-', at most 64, not starting
     * with a separator, so that no name can climb out of its directory.
     */
    public static String validateName(final String what, final String name)
    {
        if (name == null || !NAME.matcher(name).matches())
        {
            throw new IllegalArgumentException(what + " name '" + name +
                "' must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
        return name;
    }

    public String instance()
    {
        return instance;
    }

    public Path root()
    {
        return root;
    }

    public Path aeronDir()
    {
        return root.resolve("aeron");
    }

    /** The control plane's wake-up words ({@link ControlWakeWords}). */
    public Path controlWakeFile()
    {
        return root.resolve(CONTROL_WAKE_FILE);
    }

    /**
     * The control wake file of the instance whose own media driver is at {@code aeronDirectoryName} (its sibling, as
     * {@link #aeronDir()} and {@link #controlWakeFile()} are): how a client that knows only the Aeron directory finds
     * it.
     */
    public static Path controlWakeFileOf(final String aeronDirectoryName)
    {
        return Path.of(aeronDirectoryName).toAbsolutePath().resolveSibling(CONTROL_WAKE_FILE);
    }

    public Path countersFile()
    {
        return root.resolve("counters");
    }

    public Path pidFile()
    {
        return root.resolve("card-driver.pid");
    }

    public Path queuesDir()
    {
        return root.resolve("queues");
    }

    public Path queueChannel(final int queueId)
    {
        return queuesDir().resolve(Integer.toString(queueId));
    }

    /**
     * Where the channel of queue {@code queueId} goes when the card's DMA allocator requires DMA-visible files under
     * {@code dmaFileRoot} (a hugetlbfs mount for a real card): {@code dmaFileRoot/nicq/<instance>/queues/<n>}. With
     * a null root (a simulated card) it is {@link #queueChannel(int)}.
     */
    public Path queueChannel(final int queueId, final Path dmaFileRoot)
    {
        return dmaFileRoot == null ? queueChannel(queueId) :
            dmaFileRoot.resolve("nicq").resolve(instance).resolve("queues").resolve(Integer.toString(queueId));
    }

    public String toString()
    {
        return root.toString();
    }
}
