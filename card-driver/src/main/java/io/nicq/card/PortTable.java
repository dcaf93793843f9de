package io.nicq.card;

/**
 * Port ownership as netd did it: one owner per (protocol, local port). The first filter a client registers on a port
 * claims it; further filters of the same client on that port (a TCP listener's connection filters) share the claim;
 * another client's filter there is refused with {@code PORT_IN_USE}. The claim goes when its last filter goes.
 * <p>
 * Flat arrays over both protocols and all 65536 ports: no allocation, constant time, 1.5 MiB.
 */
final class PortTable
{
    private static final int PORTS = 65536;

    private final long[] owners = new long[2 * PORTS];
    private final int[] filterCounts = new int[2 * PORTS];

    /** Whether anyone holds (protocol, port). */
    boolean isClaimed(final int ipProtocol, final int port)
    {
        return filterCounts[index(ipProtocol, port)] > 0;
    }

    /** The client holding (protocol, port); only meaningful when {@link #isClaimed}. */
    long owner(final int ipProtocol, final int port)
    {
        return owners[index(ipProtocol, port)];
    }

    /** Filters sharing the claim on (protocol, port). */
    int filterCount(final int ipProtocol, final int port)
    {
        return filterCounts[index(ipProtocol, port)];
    }

    /**
     * Adds one filter of {@code clientId} to the claim on (protocol, port).
     *
     * @throws IllegalStateException if another client holds it (callers check {@link #owner} first)
     */
    void claim(final int ipProtocol, final int port, final long clientId)
    {
        final int index = index(ipProtocol, port);
        if (filterCounts[index] > 0 && owners[index] != clientId)
        {
            throw new IllegalStateException("port " + port + " is held by client " + owners[index]);
        }
        owners[index] = clientId;
        filterCounts[index]++;
    }

    /** Removes one filter from the claim; the last one frees the port. */
    void release(final int ipProtocol, final int port)
    {
        final int index = index(ipProtocol, port);
        if (filterCounts[index] > 0 && --filterCounts[index] == 0)
        {
            owners[index] = 0;
        }
    }

    private static int index(final int ipProtocol, final int port)
    {
        return (ipProtocol == FilterRegistration.IP_PROTOCOL_UDP ? PORTS : 0) + (port & 0xFFFF);
    }
}
