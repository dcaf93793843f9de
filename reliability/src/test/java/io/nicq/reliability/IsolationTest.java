package io.nicq.reliability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.nicq.card.ControlSession;
import io.nicq.client.NicClient;
import io.nicq.client.NicException;
import io.nicq.client.NicQueue;
import io.nicq.client.QueueService;
import io.nicq.ixgbe.Registers;
import io.nicq.proto.CardDriverProxy;
import io.nicq.proto.ControlClient;
import io.nicq.proto.ControlException;
import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.FilterKind;
import io.nicq.proto.sbe.MessageHeaderEncoder;
import io.nicq.proto.sbe.QueueReleasedDecoder;
import io.nicq.proto.sbe.QueueRevokedEncoder;
import io.nicq.proto.sbe.RequestedService;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One client against another: it cannot register a filter on, release, attach or map another client's queue, take
 * its port or its filter, or touch the card driver's default queue; queue channel files are owner-only, and a process
 * of another user cannot open them. The tests after the divider each found a weakness, since fixed: what a hostile or
 * merely sluggish client could once do to others (docs/reliability.md, "Weaknesses found, and fixed").
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IsolationTest
{
    private static final int VICTIM_PORT = 7100;

    private Path root;
    private EmbeddedInstance instance;
    private ControlSession victim;
    private ControlSession other;
    private CardDriverProxy.QueueGranted victimQueue;
    private CardDriverProxy.FilterRegistered victimFilter;

    @BeforeEach
    void start()
    {
        root = TestDirs.create("isolation");
        instance = EmbeddedInstance.start(root, "iso", EmbeddedInstance::rxReadyClients);
        victim = new ControlSession(instance.aeronDir()).startHeartbeats(100);
        other = new ControlSession(instance.aeronDir()).startHeartbeats(100);
        victim.connect("victim");
        other.connect("other");
        victimQueue = victim.requestQueue(64, 128, RequestedService.SERVED);
        victimFilter = victim.registerUdp(victimQueue.queueId(), VICTIM_PORT);
    }

    @AfterEach
    void stop()
    {
        CloseHelper.quietCloseAll(victim, other, instance);
        TestDirs.delete(root);
    }

    @Test
    void anotherClientCannotUseReleaseAttachOrFilterMyQueueNorTakeMyPortOrFilter()
    {
        final int queue = victimQueue.queueId();
        final Map<String, String> refusals = new TreeMap<>();
        refusals.put("RegisterFilter on another's queue", ControlSession.refused(ErrorCode.NOT_OWNER,
            () -> other.registerUdp(queue, 7101)));
        refusals.put("ReleaseQueue of another's queue", ControlSession.refused(ErrorCode.NOT_OWNER,
            () -> other.releaseQueue(queue)));
        refusals.put("DeregisterFilter of another's filter", ControlSession.refused(ErrorCode.NOT_OWNER,
            () -> other.deregisterFilter(victimFilter.filterId())));
        refusals.put("AttachQueueDriver to another's queue", ControlSession.refused(ErrorCode.NOT_OWNER,
            () -> other.attachQueueDriver(queue, ProcessHandle.current().pid(), 64, 1L << 32, (1L << 32) + 4096)));
        refusals.put("RegisterFilter on the default queue", ControlSession.refused(ErrorCode.NOT_OWNER,
            () -> other.registerUdp(0, 7102)));
        refusals.put("ReleaseQueue of the default queue", ControlSession.refused(ErrorCode.NOT_OWNER,
            () -> other.releaseQueue(0)));
        final CardDriverProxy.QueueGranted own = other.requestQueue(64, 128, RequestedService.SERVED);
        refusals.put("the same port on one's own queue", ControlSession.refused(ErrorCode.PORT_IN_USE,
            () -> other.registerUdp(own.queueId(), VICTIM_PORT)));
        victim.registerFilter(queue, FilterKind.TCP_PORT, VICTIM_PORT + 1, 0, 0);
        refusals.put("a connection filter inside another's TCP port", ControlSession.refused(ErrorCode.PORT_IN_USE,
            () -> other.registerFilter(own.queueId(), FilterKind.TCP_CONNECTION, VICTIM_PORT + 1, 0x0A000002, 1234)));
        Figures.record(IsolationTest.class.getSimpleName(), "refusals", refusals.keySet() + " all refused");

        // The victim's queue and filter are untouched: its port still steers to its queue, and only there.
        assertNotEquals(0, instance.nic.bar().read(Registers.ftqf(victimFilter.hardwareIndex())), "filter in place");
        try (ChannelModel channel = new ChannelModel(victimQueue.channelPath()))
        {
            final byte[] frame = Traffic.udp(instance.cardMac(), EmbeddedInstance.CARD_IP, VICTIM_PORT, 1, 1);
            Await.until(() -> instance.wire().inject(frame), 5_000, "the card takes the frame");
            final int[] received = {0};
            Await.until(() ->
            {
                channel.drainRxReady(slot -> received[0]++);
                return received[0] == 1;
            }, 5_000, "the victim still receives on its port");
        }
        assertTrue(victim.revoked.isEmpty(), "the victim's queue was never revoked: " + victim.revoked);
    }

    @Test
    void queueChannelFilesAreOwnerOnly() throws IOException
    {
        final Path channel = Path.of(victimQueue.channelPath());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(channel)),
            "queue channel " + channel);
        final Map<String, String> modes = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(instance.paths().root()))
        {
            walk.filter(p -> !p.startsWith(instance.paths().aeronDir()) || p.equals(instance.paths().aeronDir()))
                .forEach(p -> modes.put(instance.paths().root().relativize(p).toString(), mode(p)));
        }
        try (Stream<Path> walk = Files.walk(instance.simFiles().root(), 1))
        {
            walk.forEach(p -> modes.put("sim/" + instance.simFiles().root().relativize(p), mode(p)));
        }
        for (final Map.Entry<String, String> entry : modes.entrySet())
        {
            if (entry.getKey().startsWith("queues/"))
            {
                assertEquals("rw-------", entry.getValue(), "queue channel " + entry.getKey());
            }
        }
        Figures.record(IsolationTest.class.getSimpleName(), "file modes", modes);
    }

    /**
     * A process of another user cannot open a queue channel for reading or writing, although it can reach the
     * directory (made traversable for the purpose); a world-readable file next to it shows the path is not what stops
     * it. Needs root (to run the probe as {@code nobody}) and {@code setpriv}.
     */
    @Test
    void anotherUserCannotOpenAQueueChannel() throws Exception
    {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to run a probe as nobody");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs /usr/bin/setpriv");
        final Path channel = Path.of(victimQueue.channelPath());
        for (Path dir = channel.getParent(); dir != null && dir.startsWith(root); dir = dir.getParent())
        {
            final Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(dir);
            permissions.add(PosixFilePermission.OTHERS_EXECUTE);
            Files.setPosixFilePermissions(dir, permissions);
        }
        final Path control = channel.resolveSibling("world-readable-control");
        Files.writeString(control, "readable\n");
        Files.setPosixFilePermissions(control, PosixFilePermissions.fromString("rw-r--r--"));
        try
        {
            final ProbeResult readable = probeAsNobody("cat " + control);
            assertEquals(0, readable.status, "the probe as nobody reaches the directory: " + readable.output);
            final ProbeResult read = probeAsNobody("cat " + channel + " > /dev/null");
            final ProbeResult write = probeAsNobody("exec 3<>" + channel);
            assertNotEquals(0, read.status, "another user cannot read the channel");
            assertTrue(read.output.contains("Permission denied"), read.output);
            assertNotEquals(0, write.status, "another user cannot open the channel for writing");
            Figures.record(IsolationTest.class.getSimpleName(), "another user (nobody) opening a queue channel",
                read.output.trim() + " / " + write.output.trim());
        }
        finally
        {
            Files.deleteIfExists(control);
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // Weaknesses found (and fixed): each test asserts the correct behaviour
    // -----------------------------------------------------------------------------------------------------------

    @Test
    void aRequestCarryingAnotherClientsIdIsRefused()
    {
        try (RawControl hostile = new RawControl(instance.aeronDir()))
        {
            final long correlationId = hostile.nextCorrelationId();
            final int length = Requests.ENCODER.releaseQueue(hostile.buffer(), correlationId, victim.clientId(),
                victimQueue.queueId());
            final RawControl.Answer answer = hostile.request(length, correlationId, victim.clientId(), 5_000);
            assertNotNull(answer, "answered");
            assertNotEquals(QueueReleasedDecoder.TEMPLATE_ID, answer.templateId(),
                "another process released the victim's queue by writing the victim's client id");
        }
    }

    /**
     * A busy client beside three slow ones: an idle NicClient (reads every 10 ms), the victim (reads only when it
     * heart-beats, every 100 ms) and a reader that never reads at all (a stopped process). Every answer reaches the busy
     * client: none dropped, and no request of it times out.
     */
    @Test
    void slowAndStoppedReadersDoNotBlockOtherClientsAnswers()
    {
        try (NicClient idle = NicClient.connect(new NicClient.Context().instance("iso").baseDir(root.resolve("nicq"))
            .name("idle").shutdownHook(false));
            ControlClient stopped = ControlClient.connect(new ControlClient.Context()
                .aeronDirectoryName(instance.aeronDir()).description("a reader that never reads")))
        {
            assertTrue(stopped.isConnected(), "the stopped reader is subscribed");
            final int queue = other.requestQueue(64, 128, RequestedService.SERVED).queueId();
            final long start = System.nanoTime();
            final long deadline = start + TimeUnit.SECONDS.toNanos(3);
            long cycles = 0;
            while (System.nanoTime() < deadline)
            {
                other.deregisterFilter(other.registerUdp(queue, 9000).filterId());
                cycles++;
            }
            final double seconds = (System.nanoTime() - start) / 1e9;
            final long dropped = instance.counter("answers dropped (nobody reading, or backlog full)");
            final long delayed = instance.counter("answers delayed (response stream blocked)");
            Figures.record(IsolationTest.class.getSimpleName(), "busy client beside slow and stopped readers",
                String.format("%d request cycles (%.0f answers/s), %d answers delayed, %d dropped", cycles,
                2 * cycles / seconds, delayed, dropped));
            assertEquals(0, dropped, "answers dropped during " + cycles + " request cycles of a busy client next to " +
                "slow and stopped readers");
            assertNull(idle.lostReason(), "the idle client is fine");
        }
    }

    @Test
    void bogusRingAddressesFromOneClientDoNotStallOrReclaimOthers()
    {
        try (RawControl hostile = new RawControl(instance.aeronDir()))
        {
            final long id = hostile.clientId();
            long correlationId = hostile.nextCorrelationId();
            int length =
                Requests.ENCODER.connect(hostile.buffer(), correlationId, id, ProcessHandle.current().pid(), "h");
            assertNotNull(hostile.request(length, correlationId, id, 5_000), "hostile connected");
            final List<Integer> queues = new ArrayList<>();
            for (int i = 0; i < 2; i++)
            {
                correlationId = hostile.nextCorrelationId();
                length = Requests.ENCODER.requestQueue(hostile.buffer(), correlationId, id, 64, 128,
                    RequestedService.INLINE);
                queues.add(hostile.request(length, correlationId, id, 5_000).queueId());
            }
            // Two attaches with aligned ring addresses no IOMMU entry covers, then 30 heartbeats: the conductor takes
            // 16 fragments per poll, so the victims' heartbeats wait behind two polls, the first one 2 s long.
            for (final int queue : queues)
            {
                length = Requests.ENCODER.attachQueueDriver(hostile.buffer(), hostile.nextCorrelationId(), id, queue,
                    ProcessHandle.current().pid(), 0, 64, 1L << 40, (1L << 40) + 4096, 0);
                hostile.offer(length);
            }
            for (int i = 0; i < 30; i++)
            {
                hostile.offer(Requests.ENCODER.heartbeat(hostile.buffer(), hostile.nextCorrelationId(), id));
            }
            final long start = System.nanoTime();
            other.heartbeat();
            final long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            Await.sleep(500);
            victim.poll();
            assertTrue(victim.revoked.isEmpty(), "the victim, heart-beating every 100 ms, lost its queue: " +
                victim.revoked);
            assertTrue(waitedMs < 500, "another client's heartbeat waited " + waitedMs + " ms behind the hostile " +
                "client's requests");
        }
    }

    @Test
    void anUnknownErrorCodeInANotificationIsNotAnException()
    {
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        try (NicClient client = NicClient.connect(new NicClient.Context().instance("iso")
            .baseDir(root.resolve("nicq")).name("decoder").shutdownHook(false).errorHandler(errors::add));
            RawControl forger = new RawControl(instance.aeronDir()))
        {
            final NicQueue queue = client.requestQueue(QueueService.SERVED, 64, 128);
            final QueueRevokedEncoder revoked = new QueueRevokedEncoder().wrapAndApplyHeader(forger.buffer(), 0,
                new MessageHeaderEncoder()).correlationId(0).clientId(client.clientId()).queueId(queue.queueId());
            forger.buffer().putShort(MessageHeaderEncoder.ENCODED_LENGTH + 18, (short)999,
                java.nio.ByteOrder.LITTLE_ENDIAN);   // reason: a code this client does not know
            revoked.message("from a newer card driver");
            assertTrue(forger.forgeAnswer(MessageHeaderEncoder.ENCODED_LENGTH + revoked.encodedLength()), "sent");
            Await.sleep(1_000);
            assertEquals(List.of(), errors.stream().filter(e -> e instanceof IllegalArgumentException).toList(),
                "no IllegalArgumentException reached the client's error handler");
            assertFalse(errors.stream().anyMatch(e -> e instanceof NicException ex &&
                ex.getMessage().contains("Unknown")), "no decoder failure");
            assertFalse(errors.stream().anyMatch(e -> e instanceof ControlException ex &&
                ex.code() == ErrorCode.NULL_VAL && ex.getMessage().contains("Unknown")), "no decoder failure");
            assertEquals(QueueChannelHeader.STATE_ACTIVE, queue.channel().header().state(), "the queue is served");
        }
    }

    // -----------------------------------------------------------------------------------------------------------

    private record ProbeResult(int status, String output)
    {
    }

    private static ProbeResult probeAsNobody(final String shell) throws Exception
    {
        final Process process = new ProcessBuilder("/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
            "--clear-groups", "/bin/sh", "-c", shell).redirectErrorStream(true).start();
        try
        {
            assertTrue(process.waitFor(10, TimeUnit.SECONDS), "the probe finished");
            return new ProbeResult(process.exitValue(),
                new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
        finally
        {
            process.destroyForcibly();
        }
    }

    private static String mode(final Path path)
    {
        try
        {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
        }
        catch (final IOException ex)
        {
            return "gone";
        }
    }
}
