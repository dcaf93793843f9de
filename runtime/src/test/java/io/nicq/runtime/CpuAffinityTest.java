package io.nicq.runtime;

import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class CpuAffinityTest
{
    @Test
    void parsesListsAndRanges()
    {
        assertArrayEquals(new int[] {1}, CpuAffinity.parse("1"));
        assertArrayEquals(new int[] {0, 2}, CpuAffinity.parse("0,2"));
        assertArrayEquals(new int[] {0, 1, 2, 3}, CpuAffinity.parse("0-3"));
        assertThrows(IllegalArgumentException.class, () -> CpuAffinity.parse("x"));
        assertThrows(IllegalArgumentException.class, () -> CpuAffinity.parse("3-1"));
        assertThrows(IllegalArgumentException.class, () -> CpuAffinity.parse("5000"));
    }

    @Test
    void pinsOnlyTheCallingThread() throws Exception
    {
        final int[] before = CpuAffinity.currentThreadCpus();
        assertTrue(before.length >= 1);
        final int cpu = before[before.length - 1];
        final AtomicReference<int[]> pinned = new AtomicReference<>();
        final Thread thread = new Thread(() ->
        {
            CpuAffinity.pinCurrentThread(cpu);
            pinned.set(CpuAffinity.currentThreadCpus());
        });
        thread.start();
        thread.join();
        assertArrayEquals(new int[] {cpu}, pinned.get());
        assertArrayEquals(before, CpuAffinity.currentThreadCpus(), "other threads keep their CPUs");
    }

    @Test
    void aCpuThatDoesNotExistIsAClearError()
    {
        final Thread[] holder = new Thread[1];
        final AtomicReference<Throwable> error = new AtomicReference<>();
        holder[0] = new Thread(() ->
        {
            try
            {
                CpuAffinity.pinCurrentThread(1023);
            }
            catch (final Throwable ex)
            {
                error.set(ex);
            }
        });
        holder[0].start();
        assertDoesNotThrow(() -> holder[0].join());
        assertInstanceOf(IllegalStateException.class, error.get());
        assertTrue(error.get().getMessage().contains("sched_setaffinity failed with errno 22"), error.get().getMessage());
    }
}
