package io.nicq.net;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NeighbourCacheTest
{
    private static final long LIFETIME = 1_000;
    private static final long T0 = Long.MAX_VALUE - 1_500;   // expiry holds across the nanoTime wrap

    @Test
    void anEntryLivesForItsLifetimeAndIsGoneAfter()
    {
        final NeighbourCache cache = new NeighbourCache(4, LIFETIME);
        assertTrue(cache.learn(1, 0xA1, T0));
        assertEquals(0xA1, cache.lookup(1, T0 + LIFETIME - 1));
        assertEquals(NeighbourCache.NO_MAC, cache.lookup(1, T0 + LIFETIME), "expired");
        assertFalse(cache.contains(1), "an expired entry found by a lookup is removed");
        assertEquals(0, cache.size());
    }

    @Test
    void learningAgainRefreshesAndReportsOnlyChanges()
    {
        final NeighbourCache cache = new NeighbourCache(4, LIFETIME);
        assertTrue(cache.learn(1, 0xA1, T0));
        assertFalse(cache.learn(1, 0xA1, T0 + 900), "same MAC: refreshed, not changed");
        assertEquals(0xA1, cache.lookup(1, T0 + 1_800), "the refresh moved the expiry");
        assertTrue(cache.learn(1, 0xB2, T0 + 1_800), "a new MAC is a change");
        assertEquals(0xB2, cache.lookup(1, T0 + 1_801));
        assertEquals(1, cache.size());
    }

    @Test
    void aFullCacheReplacesTheEntryClosestToExpiry()
    {
        final NeighbourCache cache = new NeighbourCache(3, LIFETIME);
        cache.learn(1, 0xA1, T0 + 20);
        cache.learn(2, 0xA2, T0);
        cache.learn(3, 0xA3, T0 + 10);
        cache.learn(4, 0xA4, T0 + 30);
        assertFalse(cache.contains(2));
        assertEquals(3, cache.size());
        for (final int address : new int[]{ 1, 3, 4 })
        {
            assertEquals(0xA0 + address, cache.lookup(address, T0 + 100), "address " + address);
        }
    }

    @Test
    void forgettingKeepsTheOthersReachable()
    {
        final NeighbourCache cache = new NeighbourCache(4, LIFETIME);
        for (int address = 1; address <= 4; address++)
        {
            cache.learn(address, 0xA0 + address, T0);
        }
        cache.forget(1);
        cache.forget(9);
        assertEquals(3, cache.size());
        assertEquals(NeighbourCache.NO_MAC, cache.lookup(1, T0));
        for (int address = 2; address <= 4; address++)
        {
            assertEquals(0xA0 + address, cache.lookup(address, T0), "address " + address);
        }
        cache.clear();
        assertEquals(NeighbourCache.NO_MAC, cache.lookup(4, T0));
    }

    @Test
    void anImpossibleCacheIsRefused()
    {
        assertThrows(IllegalArgumentException.class, () -> new NeighbourCache(0, LIFETIME));
        assertThrows(IllegalArgumentException.class, () -> new NeighbourCache(4, 0));
    }
}
