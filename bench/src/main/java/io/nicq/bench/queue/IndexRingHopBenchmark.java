package io.nicq.bench.queue;

import io.nicq.proto.channel.IndexRing;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Control;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * A slot index crossing between two threads through {@link IndexRing}s in shared memory, ping-pong: one thread offers
 * on ring A and waits for the echo on ring B, the other waits on A and echoes on B. The score is one round trip, i.e.
 * two ring hops (each hop: one entry write, a release of the tail, the other core seeing it, the head's release).
 * Both threads spin: run it on an otherwise idle machine with at least two cores.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED"})
public class IndexRingHopBenchmark
{
    private static final int CAPACITY = 1024;

    private Arena arena;
    private UnsafeBuffer ping;
    private UnsafeBuffer pong;

    /** Each thread wraps its own flyweights over the shared rings, as two processes would. */
    @State(Scope.Thread)
    public static class Side
    {
        IndexRing out;
        IndexRing in;
        int sequence;
    }

    @Setup(Level.Trial)
    public void setUp()
    {
        arena = Arena.ofShared();
        ping = ring();
        pong = ring();
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        arena.close();
    }

    private UnsafeBuffer ring()
    {
        final MemorySegment memory = arena.allocate(IndexRing.lengthFor(CAPACITY), 4096);
        return new UnsafeBuffer(memory.address(), (int)memory.byteSize());
    }

    @Benchmark
    @Group("hop")
    @GroupThreads(1)
    public int roundTrip(final Side side, final Control control)
    {
        if (side.out == null)
        {
            side.out = new IndexRing(ping, CAPACITY);
            side.in = new IndexRing(pong, CAPACITY);
        }
        // Each round trip waits for its own echo: one left over at an iteration's end (the echo side stopped
        // before answering) is skipped, so the two sides never drift into a pipeline that would hide the latency.
        final int sequence = side.sequence = (side.sequence + 1) & Integer.MAX_VALUE;
        side.out.offer(sequence);
        int value;
        while ((value = side.in.poll()) != sequence)
        {
            if (control.stopMeasurement)
            {
                return -1;
            }
        }
        return value;
    }

    @Benchmark
    @Group("hop")
    @GroupThreads(1)
    public int echo(final Side side, final Control control)
    {
        if (side.out == null)
        {
            side.out = new IndexRing(pong, CAPACITY);
            side.in = new IndexRing(ping, CAPACITY);
        }
        int value;
        while ((value = side.in.poll()) == IndexRing.EMPTY)
        {
            if (control.stopMeasurement)
            {
                return -1;
            }
        }
        side.out.offer(value);
        return value;
    }
}
