package io.nicq.bench.control;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.nicq.card.CardDriver;
import io.nicq.card.QueueDriverMode;
import io.nicq.client.Filter;
import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.QueueService;
import io.nicq.ixgbe.SimulatedNic;
import io.nicq.sim.SimulatedCard;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Control requests back to back, as the fault suite's isolation test and the flow director's tests make them: a
 * {@code RegisterFilter} and its {@code DeregisterFilter} from a {@link NicClient} to an embedded card driver (its
 * conductor idling as configured by default: asleep between requests unless they come within its spin budget). Sampled
 * per cycle, so the report has the percentiles: the figure that must stay small while the control plane is quiet
 * when idle.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC"})
public class ControlRequestBenchmark
{
    private static final int PORT = 9000;

    private Path root;
    private SimulatedCard card;
    private SimulatedNic nic;
    private CardDriver driver;
    private NicClient client;
    private NicQueue queue;

    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        root = Files.createTempDirectory(Path.of("/dev/shm"), "nicq-bench-control-");
        card = SimulatedCard.launch(new SimulatedCard.Context().cardName("ctl").baseDir(root.resolve("sim"))
            .wireSpec("memory"));
        nic = card.openNic();
        driver = CardDriver.launch(new CardDriver.Context()
            .instance("ctl")
            .baseDir(root.resolve("nicq"))
            .nic(nic)
            .ipv4("10.0.0.1/24")
            .queueDriverMode(QueueDriverMode.THREAD)
            .logDir(root.resolve("logs"))
            .out(new PrintStream(OutputStream.nullOutputStream())));
        client = NicClient.connect(new NicClient.Context().instance("ctl").baseDir(root.resolve("nicq"))
            .name("bench").shutdownHook(false));
        queue = client.requestQueue(QueueService.SERVED, 64, 128);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        CloseHelper.quietCloseAll(client, driver, nic, card);
        IoUtil.delete(root.toFile(), true);
    }

    /** One RegisterFilter and one DeregisterFilter, each answered. */
    @Benchmark
    public int registerAndDeregisterAFilter()
    {
        final Filter filter = client.registerUdpPort(queue, PORT);
        client.deregister(filter);
        return filter.filterId();
    }
}
