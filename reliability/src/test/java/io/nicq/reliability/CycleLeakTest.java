package io.nicq.reliability;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.nicq.card.ControlSession;
import io.nicq.ixgbe.Registers;
import io.nicq.proto.CardDriverProxy;
import io.nicq.proto.sbe.RequestedService;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Register and deregister, over and over: {@code -Dnicq.cycles} (CI: 100,000) filter cycles, {@code
 * -Dnicq.queue.cycles} queue cycles (a THREAD queue, with its queue driver thread, channel file, DMA registrations and
 * statistics set, and an INLINE queue), and as many Connect/Disconnect cycles. After each run nothing has grown: the
 * filter slots and the card's filter registers, the card driver's counters, the files of the instance and of the card,
 * the IOMMU entries, and this process's file descriptors, memory mappings, threads and heap after a full GC.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class CycleLeakTest
{
    /** Heap a JVM may legitimately gain over a run (JIT-compiled code lives elsewhere; this is for caches). */
    private static final long HEAP_SLACK = 8L * 1024 * 1024;

    private Path root;
    private EmbeddedInstance instance;
    private ControlSession session;

    @BeforeEach
    void start()
    {
        root = TestDirs.create("cycles");
        instance = EmbeddedInstance.start(root, "cycles");
        session = new ControlSession(instance.aeronDir());
        session.connect("cycler");
        session.startHeartbeats(200);
    }

    @AfterEach
    void stop()
    {
        CloseHelper.quietCloseAll(session, instance);
        TestDirs.delete(root);
    }

    @Test
    void filterCyclesLeakNothing()
    {
        final long cycles = Figures.bound("nicq.cycles", 100_000);
        final int queueId = session.requestQueue(64, 128, RequestedService.SERVED).queueId();
        cycleFilters(queueId, Math.min(1000, cycles));
        final LeakSnapshot before = instance.snapshot();
        final long start = System.nanoTime();
        cycleFilters(queueId, cycles);
        final double seconds = (System.nanoTime() - start) / 1e9;
        final LeakSnapshot after = instance.snapshot();

        assertEquals(0, after.counter("filters in use"), "no filter left registered");
        assertEquals(128, after.counter("filters free: 5-tuple"), "every 5-tuple filter free");
        assertEquals(before.counter("filters free"), after.counter("filters free"), "every placement's filters free");
        for (int i = 0; i < Registers.FIVE_TUPLE_FILTER_COUNT; i++)
        {
            assertEquals(0, instance.nic.bar().read(Registers.ftqf(i)), "5-tuple filter " + i + " cleared in the card");
        }
        assertNoGrowth(before, after);
        Figures.record(CycleLeakTest.class.getSimpleName(), "filter register/deregister cycles", cycles + " in " +
            String.format("%.1f s (%.0f/s); before: %s; after: %s", seconds, cycles / seconds, before.describe(),
            after.describe()));
    }

    @Test
    void queueCyclesLeakNothing()
    {
        final long cycles = Figures.bound("nicq.queue.cycles", 300);
        cycleQueues(Math.min(20, cycles));
        final LeakSnapshot before = instance.snapshot();
        final long start = System.nanoTime();
        cycleQueues(cycles);
        final double seconds = (System.nanoTime() - start) / 1e9;
        final LeakSnapshot after = instance.snapshot();

        assertEquals(1, after.counter("queues in use (queue 0 included)"), "only queue 0 in use");
        assertNoGrowth(before, after);
        Figures.record(CycleLeakTest.class.getSimpleName(), "queue request/release cycles (THREAD + INLINE, with a " +
            "filter each)", cycles + " in " + String.format("%.1f s; before: %s; after: %s", seconds,
            before.describe(), after.describe()));
    }

    @Test
    void connectCyclesLeakNothing()
    {
        final long cycles = Figures.bound("nicq.cycles", 100_000) / 10;
        cycleConnects(Math.min(1000, cycles));
        final LeakSnapshot before = instance.snapshot();
        cycleConnects(cycles);
        final LeakSnapshot after = instance.snapshot();
        assertEquals(1, after.counter("clients connected"), "only the test's own client");
        assertNoGrowth(before, after);
        Figures.record(CycleLeakTest.class.getSimpleName(), "Connect/Disconnect cycles", cycles + "; after: " +
            after.describe());
    }

    private void cycleFilters(final int queueId, final long cycles)
    {
        for (long i = 0; i < cycles; i++)
        {
            final CardDriverProxy.FilterRegistered filter = session.registerUdp(queueId, 1 + (int)(i % 65535));
            session.deregisterFilter(filter.filterId());
        }
    }

    private void cycleQueues(final long cycles)
    {
        for (long i = 0; i < cycles; i++)
        {
            final CardDriverProxy.QueueGranted thread = session.requestQueue(64, 128, RequestedService.SERVED);
            final CardDriverProxy.QueueGranted inline = session.requestQueue(8, 8, RequestedService.INLINE);
            session.registerUdp(thread.queueId(), 5000);
            session.registerUdp(inline.queueId(), 5001);
            session.releaseQueue(inline.queueId());
            session.releaseQueue(thread.queueId());
        }
    }

    /**
     * Connect/Disconnect with the test's one client. (A second client idle meanwhile would have to read the shared
     * answer stream fast enough: see {@code IsolationTest.anIdleClientDoesNotBlockOtherClientsAnswers}.)
     */
    private void cycleConnects(final long cycles)
    {
        session.disconnect();
        for (long i = 0; i < cycles; i++)
        {
            try
            {
                session.connect("cycle");
                session.disconnect();
            }
            catch (final RuntimeException ex)
            {
                throw new AssertionError("cycle " + i + ": " + ex + "\ncard driver log:\n" + instance.log(), ex);
            }
        }
        session.connect("cycler");
    }

    private static void assertNoGrowth(final LeakSnapshot before, final LeakSnapshot after)
    {
        final String both = "\nbefore: " + before.describe() + "\nafter:  " + after.describe();
        assertEquals(before.allocatedCounters(), after.allocatedCounters(), "counters allocated" + both);
        assertEquals(before.instanceFiles(), after.instanceFiles(), "instance files" + both);
        assertEquals(before.dmaFiles(), after.dmaFiles(), "card DMA files" + both);
        assertEquals(before.iommuEntries(), after.iommuEntries(), "IOMMU entries" + both);
        assertEquals(before.fileDescriptors(), after.fileDescriptors(), "file descriptors" + both);
        // The JVM maps and unmaps memory of its own (thread stacks, code, malloc arenas): a few either way is noise;
        // a leak of the channels or DMA memory would be one or more per cycle.
        assertTrue(Math.abs(after.mappings() - before.mappings()) < 16, "memory mappings" + both);
        // JVM service threads (cleaner, pool workers) come and go; a leak would be a thread per queue cycle.
        assertTrue(after.threads() - before.threads() <= 2, "threads" + both);
        assertTrue(after.heapAfterGcBytes() - before.heapAfterGcBytes() < HEAP_SLACK, "heap after GC grew by " +
            (after.heapAfterGcBytes() - before.heapAfterGcBytes()) / 1024 + " KiB" + both);
    }
}
