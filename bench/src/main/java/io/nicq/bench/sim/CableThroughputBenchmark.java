package io.nicq.bench.sim;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Frames per second card A -> cable -> card B, 64-byte frames (60 + FCS), one direction: the benchmark thread keeps
 * card A's TX ring full and gives card B's RX descriptors back as fast as they are written; the device loops spin.
 * One operation is one frame received in card B's RX ring, so the figure is frames per second (nanoseconds per frame
 * is its inverse).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC"})
public class CableThroughputBenchmark
{
    static final int FRAMES_PER_INVOCATION = 4096;

    @Param({"shared", "separate"})
    String loops;

    private CablePair pair;

    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        CablePair.pinBenchmarkThread(loops);
        pair = new CablePair(loops, 4096, 4096);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        pair.close();
    }

    @Benchmark
    @OperationsPerInvocation(FRAMES_PER_INVOCATION)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public int framesCardToCableToCard()
    {
        int received = 0;
        long idleSince = 0;
        while (received < FRAMES_PER_INVOCATION)
        {
            pair.transmit(256);
            final int got = pair.receive();
            received += got;
            if (got == 0)
            {
                final long now = System.nanoTime();
                if (idleSince == 0)
                {
                    idleSince = now;
                }
                else if (now - idleSince > CablePair.TIMEOUT_NS)
                {
                    throw new IllegalStateException("no frame arrived at card B for 10 s (" + received + " of " +
                        FRAMES_PER_INVOCATION + ")");
                }
                Thread.onSpinWait();
            }
            else
            {
                idleSince = 0;
            }
        }
        return received;
    }
}
