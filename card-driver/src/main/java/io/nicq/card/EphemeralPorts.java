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
 * guess gains an off-path attacker nothing the ISN does not already guard). It is a walk over claimed ports, which
 * the range leaves far apart in practice; when every port of the range is claimed, the request is refused.
 */
final class EphemeralPorts
{
    /** RFC 6335 section 6: the dynamic (private, ephemeral) ports. */
    static final int DEFAULT_LOW = 49152;
    static final int DEFAULT_HIGH = 65535;

    private final int low;
    private final int count;
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
     * A port of the range nobody holds for {@code ipProtocol}, or -1 when all are held. The caller claims it.
     */
    int next(final PortTable ports, final int ipProtocol)
    {
        for (int i = 0; i < count; i++)
        {
            final int port = low + (cursor + i) % count;
            if (!ports.isClaimed(ipProtocol, port))
            {
                cursor = (cursor + i + 1) % count;
                return port;
            }
        }
        return -1;
    }
}
