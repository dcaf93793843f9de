package io.nicq.client;

import io.nicq.card.CardDriver;
import io.nicq.card.QueueDriverMode;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.udp.UdpDatagram;
import io.nicq.client.udp.UdpHandler;
import io.nicq.client.udp.UdpLayer;
import io.nicq.client.udp.UdpSocket;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.ixgbe.SimulatedNic;
import io.nicq.packet.Ipv4Address;
import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.sim.SimulatedCard;
import org.agrona.CloseHelper;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import static io.nicq.proto.channel.QueueChannelHeader.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A served queue (card driver "b", queue drivers as threads, {@code queueDriverReadOnlyRxRing}) that takes its frames
 * from its queue driver's read-only RX descriptor ring, fed by an inline client on card driver "a" over a simulated
 * cable: every frame of a long stream arrives once and in order with the ring wrapping many times, and none passed
 * through rxReady; zero-copy echoes of ring frames go out; the mapping is read-only; consumer positions that lie and
 * forged slots are refused and counted while the stream goes on; a client asleep on its wake word is woken. (The
 * receive path's allocation is AllocationTest's, where nothing else runs on the thread.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReadOnlyRxRingIT
{
    private static final int IP_A = Ipv4Address.parse("10.0.1.1");
    private static final int IP_B = Ipv4Address.parse("10.0.1.2");
    private static final int PORT = 9100;
    private static final int RING = 64;
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(10);

    private Path dir;
    private String previousSimDir;
    private SimulatedCard cardA;
    private SimulatedCard cardB;
    private SimulatedNic nicA;
    private SimulatedNic nicB;
    private CardDriver driverA;
    private CardDriver driverB;
    private final ByteArrayOutputStream logA = new ByteArrayOutputStream();
    private final ByteArrayOutputStream logB = new ByteArrayOutputStream();

    private NicClient sender;
    private NicClient receiver;
    private NicQueue senderQueue;
    private NicQueue queue;
    private UdpSocket out;
    private UdpSocket in;
    private UdpLayer udpB;
    private final UnsafeBuffer payload = new UnsafeBuffer(new byte[64]);
    private final IdleStrategy idle =
        new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100));
    private long sent;
    private long expected;
    private long received;
    private long outOfOrder;
    private final UdpHandler check = this::onDatagram;
    private final UdpHandler echo = UdpDatagram::reply;
    private final UdpHandler ignore = datagram -> { };

    @BeforeAll
    void launch(@TempDir final Path dir)
    {
        this.dir = dir;
        previousSimDir = System.getProperty(SimulatedCardFiles.DIR_PROPERTY);
        System.setProperty(SimulatedCardFiles.DIR_PROPERTY, dir.resolve("sim").toString());
        cardA = SimulatedCard.launch(new SimulatedCard.Context().cardName("roa").baseDir(dir.resolve("sim"))
            .wireSpec("cable:rocable:a").idleStrategy(backoff()));
        cardB = SimulatedCard.launch(new SimulatedCard.Context().cardName("rob").baseDir(dir.resolve("sim"))
            .wireSpec("cable:rocable:b").idleStrategy(backoff()));
        nicA = cardA.openNic();
        nicB = cardB.openNic();
        driverA = CardDriver.launch(cardDriver("a", nicA, "10.0.1.1/24", false, logA));
        driverB = CardDriver.launch(cardDriver("b", nicB, "10.0.1.2/24", true, logB));

        sender = connect("a", "stream-sender");
        receiver = connect("b", "stream-receiver");
        senderQueue = sender.requestQueue(QueueService.INLINE);
        queue = receiver.requestQueue(QueueService.SERVED);
        out = UdpSocket.open(new UdpLayer(new Ipv4Interface(senderQueue, sender))).bind(0);
        udpB = new UdpLayer(new Ipv4Interface(queue, receiver));
        in = UdpSocket.open(udpB).bind(PORT);
    }

    private CardDriver.Context cardDriver(final String instance, final SimulatedNic nic, final String address,
        final boolean readOnlyRxRing, final ByteArrayOutputStream log)
    {
        return new CardDriver.Context()
            .instance(instance)
            .baseDir(dir.resolve("nicq"))
            .nic(nic)
            .ipv4(address)
            .queueDriverMode(QueueDriverMode.THREAD)
            .queueDriverIdle("adaptive")
            .queueDriverReadOnlyRxRing(readOnlyRxRing)
            .logDir(dir.resolve("logs"))
            .neighbourTimeoutNs(TimeUnit.MILLISECONDS.toNanos(300))
            .neighbourRetries(2)
            .defaultRingSize(RING)
            .defaultSlotCount(256)
            .out(new PrintStream(log, true, StandardCharsets.UTF_8));
    }

    private static IdleStrategy backoff()
    {
        return new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(10), TimeUnit.MICROSECONDS.toNanos(200));
    }

    private NicClient connect(final String instance, final String name)
    {
        return NicClient.connect(new NicClient.Context()
            .instance(instance)
            .baseDir(dir.resolve("nicq"))
            .name(name)
            .requestTimeout(10, TimeUnit.SECONDS)
            .queueActivationTimeout(60, TimeUnit.SECONDS));
    }

    @AfterAll
    void shutDown()
    {
        CloseHelper.quietCloseAll(out, in, sender, receiver, driverA, driverB, nicA, nicB, cardA, cardB);
        if (previousSimDir == null)
        {
            System.clearProperty(SimulatedCardFiles.DIR_PROPERTY);
        }
        else
        {
            System.setProperty(SimulatedCardFiles.DIR_PROPERTY, previousSimDir);
        }
    }

    private void onDatagram(final UdpDatagram datagram)
    {
        final long sequence = datagram.buffer().getLong(datagram.offset());
        if (sequence != expected)
        {
            outOfOrder++;
        }
        expected = sequence + 1;
        received++;
    }

    /** Sends {@code count} numbered datagrams, windows of 16 (the ring holds 63), each window received before the next. */
    private void stream(final int count)
    {
        for (int i = 0; i < count; i += 16)
        {
            final int window = Math.min(16, count - i);
            // The receiver's flow control: the client takes frames from the ring without the queue driver, so on a
            // busy machine it can outrun the driver thread's refill, and a window sent into a ring with fewer armed
            // descriptors would be dropped by the card (SRRCTL.DROP_EN, QPRDC) as on any queue whose driver is late.
            // The sender waits for room, as a windowed protocol would.
            awaitValue(() -> queue.rxRingReader().armedAhead(), window, "room on the ring for datagram " + sent);
            for (int j = 0; j < window; j++)
            {
                payload.putLong(0, sent);
                // The sender's flow control, not the receiver's: a send finding no free slot (0) is retried.
                final long deadline = System.nanoTime() + WAIT_NS;
                while (out.send(IP_B, PORT, payload, 0, 32) == 0)
                {
                    if (System.nanoTime() - deadline > 0)
                    {
                        throw new AssertionError("no free slot to send " + sent + " within 10 s");
                    }
                    in.receive(check);
                    out.receive(ignore);
                }
                sent++;
            }
            awaitValue(() -> received, sent, "datagram " + (sent - 1));
        }
        assertEquals(0, outOfOrder, "frames out of order or duplicated");
    }

    /** Sends the payload, polling the sender's queue until a slot is free (its completions come back). */
    private void sendRetrying(final int port)
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        while (out.send(IP_B, port, payload, 0, 32) == 0)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("no free slot to send within 10 s");
            }
            out.receive(ignore);
        }
    }

    private void awaitValue(final LongSupplier value, final long target, final String what)
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        idle.reset();
        while (value.getAsLong() < target)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError(what + " not there within 10 s: received " + received + " of " + sent +
                    ", counters " + counters() + ", client protocol errors " + queue.driverProtocolErrors() +
                    ", sender no-slot " + senderQueue.noSlot() + ", ring " + queue.rxRingReader() + "\ncard driver a:\n" + logA + "\ncard driver b:\n" + logB);
            }
            idle.idle(in.receive(check) + out.receive(ignore));
        }
    }

    private long counter(final int counter)
    {
        return queue.channel().header().counter(counter);
    }

    private String counters()
    {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < COUNTER_COUNT; i++)
        {
            text.append(counterName(i)).append('=').append(counter(i)).append(' ');
        }
        return text.toString();
    }

    @Test
    void aLongStreamArrivesThroughTheRingOnceAndInOrderAndNeverThroughRxReady()
    {
        assertTrue(queue.readsRxRing(), "the served queue maps its queue driver's RX ring");
        assertEquals(QueueDriverPlacement.THREAD, queue.driverPlacement());
        final LatencyRecorder recorder = new LatencyRecorder();
        queue.latencyRecorder(recorder);
        final long before = received;
        final long directBefore = counter(COUNTER_RX_DIRECT);

        stream(10_000);

        assertEquals(before + 10_000, received);
        awaitValue(() -> counter(COUNTER_RX_DIRECT), directBefore + 10_000, "the driver's rx-direct count");
        assertEquals(0, queue.channel().rxReady().producerPosition(),
            "the queue driver's receive() handed over no frame: rxReady was never written");
        assertTrue(counter(COUNTER_RX_DIRECT) >= 10_000L, "the ring wrapped " + 10_000 / RING + " times at least");
        assertEquals(counter(COUNTER_RX_PACKETS), counter(COUNTER_RX_DIRECT));
        assertEquals(0, counter(COUNTER_REJECTED_INDEX) + counter(COUNTER_REJECTED_NOT_OWNED) +
            counter(COUNTER_REJECTED_RX_CONSUMER) + counter(COUNTER_RX_ERRORS), counters());
        assertEquals(0, queue.driverProtocolErrors());
        queue.latencyRecorder(null);

        assertEquals(0, recorder.histogram(Phase.RX_DD).getTotalCount(), "no queue driver saw DD: absent");
        assertEquals(0, recorder.histogram(Phase.RX_RING).getTotalCount(), "no rxReady hop: absent");
        assertEquals(10_000, recorder.histogram(Phase.RX_APP).getTotalCount(), "device write-back -> app");
    }

    @Test
    void zeroCopyEchoesOfRingFramesGoOut()
    {
        final UdpSocket echoSocket = UdpSocket.open(udpB).bind(PORT + 1);
        final long[] replied = {-1};
        final UdpHandler reply = datagram -> replied[0] = datagram.buffer().getLong(datagram.offset());
        try
        {
            for (long sequence = 1; sequence <= 1000; sequence++)
            {
                payload.putLong(0, sequence);
                sendRetrying(PORT + 1);
                final long deadline = System.nanoTime() + WAIT_NS;
                idle.reset();
                while (replied[0] != sequence)
                {
                    if (System.nanoTime() - deadline > 0)
                    {
                        throw new AssertionError("no echo of " + sequence + " within 10 s: " + counters());
                    }
                    idle.idle(echoSocket.receive(echo) + out.receive(reply));
                }
            }
            // The echo is the received slot itself, taken from the ring and sent on txReady: the driver knew it as the
            // client's (its consumer position first, else the catch-up), so nothing was refused.
            assertEquals(0, counter(COUNTER_REJECTED_NOT_OWNED) + counter(COUNTER_REJECTED_INDEX), counters());
            assertEquals(0, queue.channel().rxReady().producerPosition());
        }
        finally
        {
            echoSocket.close();
        }
    }

    @Test
    void theClientsMappingOfTheRingIsReadOnly() throws Exception
    {
        final String path = queue.channel().header().rxRingPath();
        assertNotNull(path);
        assertTrue(queue.rxRingReader().segment().isReadOnly());
        final String start = Long.toHexString(queue.rxRingReader().segment().address()) + "-";
        String line = null;
        for (final String candidate : Files.readAllLines(Path.of("/proc/self/maps")))
        {
            if (candidate.startsWith(start) && candidate.endsWith(path))
            {
                line = candidate;
            }
        }
        assertNotNull(line, "the client's mapping of " + path + " in /proc/self/maps");
        assertEquals("r--s", line.split(" ")[1], "shared, readable, not writable: " + line);
    }

    @Test
    void lyingConsumerPositionsAndForgedSlotsAreRefusedCountedAndTheStreamGoesOn()
    {
        stream(100);
        // The driver first takes the client's last position: a lie written before that could be a valid move.
        awaitValue(() -> counter(COUNTER_RX_DIRECT), queue.framesReceived(), "the driver's rx-direct count");
        final QueueChannelHeader header = queue.channel().header();
        final long refused = counter(COUNTER_REJECTED_RX_CONSUMER);
        final long position = queue.rxRingReader().position();

        header.rxConsumerPosition(position + 3);
        awaitValue(() -> counter(COUNTER_REJECTED_RX_CONSUMER), refused + 1, "a position past what is done refused");
        header.rxConsumerPosition(position - 1);
        awaitValue(() -> counter(COUNTER_REJECTED_RX_CONSUMER), refused + 2, "a position backwards refused");
        header.rxConsumerPosition(position);

        final long index = counter(COUNTER_REJECTED_INDEX);
        final long notOwned = counter(COUNTER_REJECTED_NOT_OWNED);
        assertTrue(queue.channel().rxFree().offer(queue.slotCount() + 3));
        // A slot posted on the ring (the next the client would take) and never consumed.
        assertTrue(queue.channel().rxFree().offer(queue.rxRingReader().slotAtConsumer()));
        queue.channel().driverWake().signal();
        stream(200);
        awaitValue(() -> counter(COUNTER_REJECTED_INDEX), index + 1, "a slot out of range refused");
        awaitValue(() -> counter(COUNTER_REJECTED_NOT_OWNED), notOwned + 1, "a slot still on the ring refused");
        assertEquals(refused + 2, counter(COUNTER_REJECTED_RX_CONSUMER));
    }

    @Test
    void aClientAsleepOnItsWakeWordIsWokenByAFrameOnTheRing() throws Exception
    {
        final NicClient sleeper = connect("b", "sleeper");
        final NicQueue sleeping = sleeper.requestQueue(QueueService.SERVED);
        assertTrue(sleeping.readsRxRing());
        final io.nicq.runtime.AdaptiveIdleStrategy adaptive =
            (io.nicq.runtime.AdaptiveIdleStrategy)io.nicq.runtime.IdleStrategies.of("adaptive");
        final IdleStrategy sleepOn = sleeping.sleepOn(adaptive);
        final UdpSocket socket = UdpSocket.open(new UdpLayer(new Ipv4Interface(sleeping, sleeper))).bind(PORT + 2);
        final AtomicLong arrivedNs = new AtomicLong();
        final AtomicLong count = new AtomicLong();
        final Thread loop = new Thread(() ->
        {
            final UdpHandler handler = datagram ->
            {
                arrivedNs.set(System.nanoTime());
                count.incrementAndGet();
            };
            while (!Thread.currentThread().isInterrupted())
            {
                try
                {
                    sleepOn.idle(socket.receive(handler));
                }
                catch (final RuntimeException ex)
                {
                    return;
                }
            }
        }, "sleeping-client");
        loop.start();
        try
        {
            long worstMs = 0;
            for (int i = 0; i < 10; i++)
            {
                Thread.sleep(30); // past the 50 us spin: the loop is asleep on its wake word (100 ms bound)
                final long before = count.get();
                payload.putLong(0, i);
                final long sentNs = System.nanoTime();
                sendRetrying(PORT + 2);
                final long deadline = sentNs + WAIT_NS;
                while (count.get() == before)
                {
                    assertTrue(System.nanoTime() - deadline < 0, "frame " + i + " reached the sleeping client");
                    out.receive(datagram -> { });
                    Thread.onSpinWait();
                }
                worstMs = Math.max(worstMs, TimeUnit.NANOSECONDS.toMillis(arrivedNs.get() - sentNs));
            }
            assertTrue(worstMs < 60, "woken by the frame, not by the 100 ms bound: worst " + worstMs + " ms");
        }
        finally
        {
            loop.interrupt();
            loop.join(5000);
            socket.close();
            sleeper.close();
        }
    }
}
