package io.nicq.ixgbe.vfio;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class IovaAllocatorTest
{
    @Test
    void alignedGuardedNeverReusedAndBounded()
    {
        final long mib = 1024 * 1024;
        final IovaAllocator iovas = new IovaAllocator(4096 * mib, 4096 * mib + 16 * mib);
        assertEquals(4096 * mib, iovas.allocate(1));
        assertEquals(4096 * mib + 4 * mib, iovas.allocate(2 * mib), "2 MiB for the range, 2 MiB guard");
        assertEquals(4096 * mib + 8 * mib, iovas.allocate(2 * mib + 1), "4 MiB for the range, then the guard");
        assertEquals(4096 * mib + 14 * mib, iovas.allocate(2 * mib), "the last range fits exactly");
        final IllegalStateException full = assertThrows(IllegalStateException.class, () -> iovas.allocate(2 * mib));
        assertTrue(full.getMessage().contains("IOVA space exhausted"), full.getMessage());
        assertThrows(IllegalArgumentException.class, () -> iovas.allocate(0));
        assertThrows(IllegalArgumentException.class, () -> new IovaAllocator(4097, 1L << 39));
        assertEquals(1L << 32, new IovaAllocator().allocate(4096), "above the 32-bit space and the MSI window");
    }
}
