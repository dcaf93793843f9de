package io.nicq.net;

/**
 * IPv4 to MAC mappings of next hops, each trusted for a lifetime after it was learned: the card driver's from ARP on
 * the default queue, a client's from the card driver's answers. A small fixed table kept packed, so a lookup compares
 * as many addresses as there are entries (a host talks to a handful of next hops, not a routing table's worth); when
 * it is full, the entry closest to expiry makes room. Nothing allocated after construction. One thread.
 * <pre>
 *   learn(a, mac, now)   a -&gt; mac until now + lifetime (a new or refreshed entry)
 *   lookup(a, now)       mac, or NO_MAC if unknown or expired (an expired entry is removed)
 * </pre>
 */
public final class NeighbourCache
{
    /** What {@link #lookup} returns for an address without a valid entry. */
    public static final long NO_MAC = -1L;

    private final int[] addresses;
    private final long[] macs;
    private final long[] expiresNs;
    private final long lifetimeNs;
    private int size;

    /**
     * @param capacity   entries, at least 1.
     * @param lifetimeNs how long a learned entry is trusted, positive.
     */
    public NeighbourCache(final int capacity, final long lifetimeNs)
    {
        if (capacity < 1)
        {
            throw new IllegalArgumentException("neighbour cache capacity " + capacity + " is below 1");
        }
        if (lifetimeNs <= 0)
        {
            throw new IllegalArgumentException("neighbour lifetime " + lifetimeNs + " ns is not positive");
        }
        this.addresses = new int[capacity];
        this.macs = new long[capacity];
        this.expiresNs = new long[capacity];
        this.lifetimeNs = lifetimeNs;
    }

    /**
     * The MAC of an address if it is known and has not expired; an expired entry is removed.
     *
     * @param address IPv4, host order.
     * @param nowNs   now ({@code System.nanoTime()}).
     * @return the MAC, or {@link #NO_MAC}.
     */
    public long lookup(final int address, final long nowNs)
    {
        final int index = indexOf(address);
        if (index < 0)
        {
            return NO_MAC;
        }
        if (nowNs - expiresNs[index] >= 0)
        {
            remove(index);
            return NO_MAC;
        }
        return macs[index];
    }

    /** Whether the address has an entry, expired or not: ARP's merge rule (RFC 826) updates only known senders. */
    public boolean contains(final int address)
    {
        return indexOf(address) >= 0;
    }

    /**
     * Adds or refreshes an entry, valid until {@code nowNs} + the lifetime.
     *
     * @return true if the address was new or its MAC changed.
     */
    public boolean learn(final int address, final long mac, final long nowNs)
    {
        int index = indexOf(address);
        final boolean changed = index < 0 || macs[index] != mac;
        if (index < 0)
        {
            index = size < addresses.length ? size++ : soonestToExpire();
            addresses[index] = address;
        }
        macs[index] = mac;
        expiresNs[index] = nowNs + lifetimeNs;
        return changed;
    }

    /** Forgets one address: the next lookup misses. */
    public void forget(final int address)
    {
        final int index = indexOf(address);
        if (index >= 0)
        {
            remove(index);
        }
    }

    /** Forgets every entry. */
    public void clear()
    {
        size = 0;
    }

    /** Entries held, expired ones not yet looked up included. */
    public int size()
    {
        return size;
    }

    public int capacity()
    {
        return addresses.length;
    }

    /** How long a learned entry is trusted. */
    public long lifetimeNs()
    {
        return lifetimeNs;
    }

    private int indexOf(final int address)
    {
        final int[] addresses = this.addresses;
        for (int i = 0, size = this.size; i < size; i++)
        {
            if (addresses[i] == address)
            {
                return i;
            }
        }
        return -1;
    }

    /** Keeps the table packed: the last entry fills the hole. */
    private void remove(final int index)
    {
        final int last = --size;
        addresses[index] = addresses[last];
        macs[index] = macs[last];
        expiresNs[index] = expiresNs[last];
    }

    private int soonestToExpire()
    {
        int soonest = 0;
        for (int i = 1; i < size; i++)
        {
            if (expiresNs[i] - expiresNs[soonest] < 0)
            {
                soonest = i;
            }
        }
        return soonest;
    }
}
