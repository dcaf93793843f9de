package io.nicq.bench.kernel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.TimeUnit;

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
 * The baseline the per-packet figures are held against, measured in the same run: one 18-byte UDP datagram (a 64-byte
 * frame on the wire) through the Linux kernel's UDP path on loopback, sent by one {@link DatagramChannel} and taken
 * by another on the same thread: a send and a receive system call and the kernel's stack in between, which is what
 * a queue driver and the shared-memory rings replace.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED"})
public class KernelUdpBenchmark
{
    static final int PAYLOAD = 18;

    private DatagramChannel sender;
    private DatagramChannel receiver;
    private ByteBuffer out;
    private ByteBuffer in;

    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        receiver = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        receiver.configureBlocking(true);
        sender = DatagramChannel.open();
        sender.connect(receiver.getLocalAddress());
        out = ByteBuffer.allocateDirect(PAYLOAD);
        in = ByteBuffer.allocateDirect(2048);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        sender.close();
        receiver.close();
    }

    /** One datagram sent and received: the kernel's cost per packet, both directions of a socket. */
    @Benchmark
    public int sendAndReceive() throws IOException
    {
        out.clear();
        out.putLong(0, System.nanoTime());
        sender.write(out);
        in.clear();
        receiver.receive(in);
        return in.position();
    }
}
