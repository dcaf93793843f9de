package io.nicq.bench.sim;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One 64-byte frame across the cable: from the TDT write on card A to DD in card B's RX descriptor, with both device
 * loops spinning. Sampled per operation, so the report has the percentiles (p0.50 is the figure of the issue).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC"})
public class CableLatencyBenchmark
{
    @Param({"shared", "separate"})
    String loops;

    private CablePair pair;

    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        CablePair.pinBenchmarkThread(loops);
        pair = new CablePair(loops, 1024, 1024);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        pair.close();
    }

    @Benchmark
    public int tdtWriteToDdOnTheOtherCard()
    {
        pair.transmit(1);
        final long deadline = System.nanoTime() + CablePair.TIMEOUT_NS;
        int spins = 0;
        while (!pair.rxReady())
        {
            if (++spins == 4096)
            {
                spins = 0;
                if (System.nanoTime() - deadline > 0)
                {
                    throw new IllegalStateException("the frame did not reach card B's RX ring within 10 s");
                }
            }
            Thread.onSpinWait();
        }
        return pair.receive();
    }
}
