package io.nicq.card;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The local ports the card driver hands out when a client connects (a TCP connection filter asking for local port 0),
 * as netd did for Barrelfish: one pool per card, so no two clients on a card ever get the same port, and a port
 * handed out is claimed in the {@link PortTable} like any other until its last filter goes.
 * <p>
 * The range is RFC 6335's dynamic ports, 49152..65535, unless the card driver's context says otherwise. The search
 * starts at a random offset and walks on from the last port handed out (RFC 6056's "simple port randomisation"
 * without its per-destination hash: the card driver serves few connections per second, and a port a peer could
 * guess gains an off-path attacker nothing the ISN does not already guard). Each step is a constant-time look-up in
 * the port table, and ports in use lie far apart in practice; when every port of the range is held, the request is
 * refused.
 * <p>
 * A bitmap (one bit per port of the range, 2 KiB for the default range) remembers which claims began as an
 * allocation, so that a TCP port filter (a listener) on a port handed out to a connection is refused even to the
 * client holding it: a listener there would take the connection's segments. The bit is cleared when the port's
 * last filter goes ({@link #released}).
 */
final class EphemeralPorts
{
    /** RFC 6335 section 6: the dynamic (private, ephemeral) ports. */
    static final int DEFAULT_LOW = 49152;
    static final int DEFAULT_HIGH = 65535;

    private final int low;
    private final int count;
    private final long[] allocated;
    private int cursor;

    EphemeralPorts(final int low, final int high)
    {
        if (low < 1 || high > 0xFFFF || low > high)
        {
            throw new IllegalArgumentException("ephemeral ports " + low + ".." + high + " are not a range within " +
                "1..65535");
        }
        this.low = low;
        this.count = high - low + 1;
        this.allocated = new long[(count + 63) >>> 6];
        this.cursor = ThreadLocalRandom.current().nextInt(count);
    }

    EphemeralPorts()
    {
        this(DEFAULT_LOW, DEFAULT_HIGH);
    }

    int low()
    {
        return low;
    }

    int high()
    {
        return low + count - 1;
    }

    /**
     * A port of the range nobody holds for {@code ipProtocol}, marked as allocated, or -1 when all are held. The
     * caller claims it in {@code ports}, or gives it back with {@link #released} if the registration fails.
     */
    int next(final PortTable ports, final int ipProtocol)
    {
        for (int i = 0; i < count; i++)
        {
            final int offset = (cursor + i) % count;
            final int port = low + offset;
            if (!ports.isClaimed(ipProtocol, port))
            {
                cursor = (offset + 1) % count;
                allocated[offset >>> 6] |= 1L << offset;
                return port;
            }
        }
        return -1;
    }

    /** Whether {@code port} was handed out and its claim has not yet gone. */
    boolean isAllocated(final int port)
    {
        final int offset = port - low;
        return offset >= 0 && offset < count && (allocated[offset >>> 6] & 1L << offset) != 0;
    }

    /** The claim on {@code port} has gone (its last filter removed, or the registration that asked for it failed). */
    void released(final int port)
    {
        final int offset = port - low;
        if (offset >= 0 && offset < count)
        {
            allocated[offset >>> 6] &= ~(1L << offset);
        }
    }
}
