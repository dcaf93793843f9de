package io.nicq.card;

/**
 * IPv4 to MAC mappings learned from ARP on the default queue, each valid for a lifetime. A small fixed table searched
 * linearly: the card driver resolves next hops for a handful of clients, not a routing table; when full, the entry
 * closest to expiry is replaced. Nothing allocated after construction. Conductor thread only.
 */
final class NeighbourCache
{
    static final long NO_MAC = -1;

    private final int[] addresses;
    private final long[] macs;
    private final long[] expiresNs;
    private final boolean[] used;
    private final long lifetimeNs;
    private int size;

    NeighbourCache(final int capacity, final long lifetimeNs)
    {
        this.addresses = new int[capacity];
        this.macs = new long[capacity];
        this.expiresNs = new long[capacity];
        this.used = new boolean[capacity];
        this.lifetimeNs = lifetimeNs;
    }

    /** The MAC of an address if known and not expired, else {@link #NO_MAC}. */
    long lookup(final int address, final long nowNs)
    {
        final int index = indexOf(address);
        if (index < 0)
        {
            return NO_MAC;
        }
        if (nowNs - expiresNs[index] > 0)
        {
            used[index] = false;
            size--;
            return NO_MAC;
        }
        return macs[index];
    }

    /** Whether the address has an entry (expired or not): ARP's merge rule updates only known senders. */
    boolean contains(final int address)
    {
        return indexOf(address) >= 0;
    }

    /**
     * Adds or refreshes an entry.
     *
     * @return true if the address was new or its MAC changed
     */
    boolean learn(final int address, final long mac, final long nowNs)
    {
        int index = indexOf(address);
        final boolean changed = index < 0 || macs[index] != mac;
        if (index < 0)
        {
            index = freeIndex(nowNs);
            if (!used[index])
            {
                size++;
            }
        }
        used[index] = true;
        addresses[index] = address;
        macs[index] = mac;
        expiresNs[index] = nowNs + lifetimeNs;
        return changed;
    }

    int size()
    {
        return size;
    }

    private int indexOf(final int address)
    {
        for (int i = 0; i < addresses.length; i++)
        {
            if (used[i] && addresses[i] == address)
            {
                return i;
            }
        }
        return -1;
    }

    private int freeIndex(final long nowNs)
    {
        int soonest = 0;
        for (int i = 0; i < addresses.length; i++)
        {
            if (!used[i])
            {
                return i;
            }
            if (expiresNs[i] - expiresNs[soonest] < 0)
            {
                soonest = i;
            }
        }
        return soonest;
    }
}
