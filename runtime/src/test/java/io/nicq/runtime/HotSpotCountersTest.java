package io.nicq.runtime;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class HotSpotCountersTest
{
    @TempDir
    Path tmp;

    /** A perf data file as HotSpot lays it out, with the given long counters (and one byte-vector counter). */
    private static byte[] perfData(final ByteOrder order, final Map<String, Long> counters)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(4096);
        buffer.order(ByteOrder.BIG_ENDIAN).putInt(0, HotSpotCounters.MAGIC);
        buffer.put(4, (byte)(order == ByteOrder.LITTLE_ENDIAN ? 1 : 0)).put(5, (byte)2).put(6, (byte)0)
            .put(7, (byte)1);
        buffer.order(order);
        int entry = 32;
        int entries = 0;
        for (final Map.Entry<String, Long> counter : counters.entrySet())
        {
            final byte[] name = counter.getKey().getBytes(StandardCharsets.US_ASCII);
            final int dataOffset = (20 + name.length + 1 + 7) & ~7;
            final int length = dataOffset + 8;
            buffer.putInt(entry, length).putInt(entry + 4, 20).putInt(entry + 8, 0).put(entry + 12, (byte)'J');
            buffer.putInt(entry + 16, dataOffset);
            buffer.put(entry + 20, name);
            buffer.putLong(entry + dataOffset, counter.getValue());
            entry += length;
            entries++;
        }
        // A string counter ('B', a vector): skipped.
        final byte[] name = "sun.ci.lastMethod".getBytes(StandardCharsets.US_ASCII);
        buffer.putInt(entry, 64).putInt(entry + 4, 20).putInt(entry + 8, 16).put(entry + 12, (byte)'B')
            .putInt(entry + 16, 40).put(entry + 20, name);
        entry += 64;
        entries++;
        buffer.putInt(24, 32).putInt(28, entries).putInt(8, entry);
        final byte[] bytes = new byte[entry];
        buffer.get(0, bytes);
        return bytes;
    }

    @Test
    void readsLongCountersInEitherByteOrder() throws Exception
    {
        for (final ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN})
        {
            final Path dir = Files.createDirectories(tmp.resolve("hsperfdata_someone"));
            Files.write(dir.resolve("4242"), perfData(order, Map.of(HotSpotCounters.COMPILATIONS, 7458L,
                HotSpotCounters.COMPILATION_TICKS, 2_000_000L, HotSpotCounters.TICK_FREQUENCY, 1_000_000L)));
            final HotSpotCounters counters = HotSpotCounters.read(tmp, 4242);
            assertNotNull(counters, order.toString());
            assertEquals(7458, counters.compilations());
            assertEquals(TimeUnit.SECONDS.toNanos(2), counters.compilationNs(), "ticks at the JVM's frequency");
            assertEquals(3, counters.longs().size(), "the string counter is skipped");
            assertEquals(-1, counters.get("no.such.counter", -1));
        }
        assertNull(HotSpotCounters.read(tmp, 4243), "no file: no JVM there");
    }

    @Test
    void aFileThatIsNotPerfDataIsAClearError() throws Exception
    {
        final Path dir = Files.createDirectories(tmp.resolve("hsperfdata_x"));
        Files.write(dir.resolve("1"), new byte[64]);
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> HotSpotCounters.read(tmp, 1));
        assertTrue(ex.getMessage().contains("magic"), ex.getMessage());

        final byte[] truncated = perfData(ByteOrder.LITTLE_ENDIAN, Map.of(HotSpotCounters.COMPILATIONS, 1L));
        ByteBuffer.wrap(truncated).order(ByteOrder.LITTLE_ENDIAN).putInt(32, 100_000);
        Files.write(dir.resolve("2"), truncated);
        assertThrows(IllegalStateException.class, () -> HotSpotCounters.read(tmp, 2), "an entry beyond the file");
    }

    @Test
    void thisJvmsCountersAgreeWithItsCompilationBean()
    {
        final HotSpotCounters counters = HotSpotCounters.read(ProcessHandle.current().pid());
        assumeTrue(counters != null, "this JVM publishes no perf data (-XX:-UsePerfData)");
        assertTrue(counters.compilations() > 0, "a running JVM has compiled something: " + counters.compilations());
        final long beanMs = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
        final long countersMs = TimeUnit.NANOSECONDS.toMillis(HotSpotCounters.read(ProcessHandle.current().pid())
            .compilationNs());
        // Both are the same clock read a moment apart; compilations keep finishing in between.
        assertTrue(Math.abs(countersMs - beanMs) < 2_000, "perf data " + countersMs + " ms, bean " + beanMs + " ms");
    }

    @Test
    void jitWatchSeesThisJvmAndGoesQuiet() throws Exception
    {
        final JitWatch watch = JitWatch.ofThisProcessTree();
        final long start = System.nanoTime();
        assertEquals(0, watch.sample(start), "the first sample is a change");
        assertEquals(1, watch.jvms(), watch.describe());
        assertTrue(watch.describe().contains("pid " + ProcessHandle.current().pid()), watch.describe());
        // Nothing here compiles for long; a quiet window of 200 ms comes within a bound of 20 s.
        final long deadline = start + TimeUnit.SECONDS.toNanos(20);
        long quiet = 0;
        while (quiet < TimeUnit.MILLISECONDS.toNanos(200) && System.nanoTime() < deadline)
        {
            Thread.sleep(20);
            quiet = watch.sample(System.nanoTime());
        }
        assertTrue(quiet >= TimeUnit.MILLISECONDS.toNanos(200), "no quiet window: " + watch.describe());
    }
}
