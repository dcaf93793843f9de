package io.nicq.ixgbe.host;

import java.io.IOException;
import java.nio.file.Files;

/** What {@code /proc/self/status} says of this process's privileges. */
public final class ProcessStatus
{
    /** CAP_IPC_LOCK: exempts a process from RLIMIT_MEMLOCK, also for VFIO's pinned pages. */
    public static final int CAP_IPC_LOCK = 14;

    private ProcessStatus()
    {
    }

    /** The effective capability set (CapEff) has {@code capability}. */
    public static boolean hasCapability(final HostRoots roots, final int capability)
    {
        final String value = field(roots, "CapEff:");
        try
        {
            return value != null && (Long.parseUnsignedLong(value, 16) & (1L << capability)) != 0;
        }
        catch (final NumberFormatException ex)
        {
            return false;
        }
    }

    /** The effective uid is 0. */
    public static boolean isRoot(final HostRoots roots)
    {
        final String value = field(roots, "Uid:");
        if (value == null)
        {
            return false;
        }
        final String[] ids = value.split("\\s+");
        return ids.length >= 2 && "0".equals(ids[1]);
    }

    private static String field(final HostRoots roots, final String name)
    {
        try
        {
            for (final String line : Files.readAllLines(roots.proc().resolve("self/status")))
            {
                if (line.startsWith(name))
                {
                    return line.substring(name.length()).trim();
                }
            }
        }
        catch (final IOException ex)
        {
            return null;
        }
        return null;
    }
}
