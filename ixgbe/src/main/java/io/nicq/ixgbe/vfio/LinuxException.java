package io.nicq.ixgbe.vfio;

import io.nicq.ixgbe.Errno;

/** A system call that failed, with its errno: the open sequence turns each into a sentence saying what to do. */
public final class LinuxException extends RuntimeException
{
    private final int errno;

    public LinuxException(final String call, final int errno)
    {
        super(call + " failed: " + Errno.describe(errno));
        this.errno = errno;
    }

    public int errno()
    {
        return errno;
    }
}
