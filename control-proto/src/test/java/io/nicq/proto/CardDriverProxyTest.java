package io.nicq.proto;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.nicq.proto.sbe.*;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/**
 * CardDriverProxy against a scripted card driver on a real media driver: every request arrives with the fields it was
 * given (the responder decodes each one and records its fields), every answer comes back decoded, refusals and
 * inconsistent answers are typed, QueueRevoked reaches its handler, and the raw path sends bytes as they are.
 */
class CardDriverProxyTest
{
    private static final long MAC = 0x02_00_00_00_00_01L;

    @TempDir
    Path dir;

    private ScriptedCardDriver cardDriver;
    private ControlClient client;
    private CardDriverProxy proxy;
    private final AtomicReference<List<Object>> lastRequest = new AtomicReference<>();
    private final List<String> revoked = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start()
    {
        final Responder script = new Responder();
        cardDriver = ScriptedCardDriver.launch(dir, (buffer, offset, length, answers) ->
            script.onRequest(buffer, offset, answers));
        client = ControlClient.connect(new ControlClient.Context()
            .aeronDirectoryName(cardDriver.aeronDirectoryName())
            .requestTimeout(2, TimeUnit.SECONDS)
            .listener(CardDriverProxy.queueRevokedListener((queueId, reason, message) ->
                revoked.add(queueId + " " + reason + " " + message))));
        proxy = new CardDriverProxy(client);
    }

    @AfterEach
    void stop()
    {
        CloseHelper.quietCloseAll(client, cardDriver);
    }

    @Test
    void connectSendsPidAndNameAndReturnsWhatTheCardDriverSaid()
    {
        final CardDriverProxy.Connected connected = proxy.connect(4242, "rpc");
        assertEquals(List.of(ConnectDecoder.TEMPLATE_ID, client.clientId(), 4242L, "rpc"), lastRequest.get());
        assertEquals(new CardDriverProxy.Connected(MAC, 0x0A000001, 24, 0x0A0000FE, 1500, 127, 128, 1000,
            new CardDriverProxy.FiltersFree(100, 8000, 16000)), connected);
    }

    @Test
    void queueRequestsCarryTheirFieldsAndAnswersAreDecoded()
    {
        final CardDriverProxy.QueueGranted served = proxy.requestQueue(512, 4096, RequestedService.SERVED);
        assertEquals(List.of(RequestQueueDecoder.TEMPLATE_ID, client.clientId(), 512L, 4096L, RequestedService.SERVED),
            lastRequest.get());
        assertEquals(new CardDriverProxy.QueueGranted(3, QueueMode.THREAD, 512, 4096, 2048, "/queues/3", "sim:x"),
            served);
        assertEquals(QueueMode.INLINE, proxy.requestQueue(0, 0, RequestedService.INLINE).mode());

        proxy.releaseQueue(3);
        assertEquals(List.of(ReleaseQueueDecoder.TEMPLATE_ID, client.clientId(), 3), lastRequest.get());

        proxy.attachQueueDriver(3, 77, 0xABCDL, 512, 1L << 32, 2L << 32, 3L << 32);
        assertEquals(List.of(AttachQueueDriverDecoder.TEMPLATE_ID, client.clientId(), 3, 77L, 0xABCDL, 512L,
            1L << 32, 2L << 32, 3L << 32), lastRequest.get());
        proxy.detachQueueDriver(3, 77, 0xABCDL);
        assertEquals(List.of(DetachQueueDriverDecoder.TEMPLATE_ID, client.clientId(), 3, 77L, 0xABCDL),
            lastRequest.get());
    }

    @Test
    void filterNeighbourHeartbeatStatsAndDisconnect()
    {
        final CardDriverProxy.FilterRegistered filter = proxy.registerFilter(3, FilterKind.TCP_CONNECTION, 5,
            0x0A000001, 9090, 0xC0A80002, 40000);
        assertEquals(List.of(RegisterFilterDecoder.TEMPLATE_ID, client.clientId(), 3, FilterKind.TCP_CONNECTION,
            (short)5, 0x0A000001L, 9090, 0xC0A80002L, 40000), lastRequest.get());
        assertEquals(new CardDriverProxy.FilterRegistered(42, 3, FilterPlacement.FIVE_TUPLE, 7, 9090), filter);
        assertEquals(49_153, proxy.registerFilter(3, FilterKind.TCP_CONNECTION, 0, 0, 0, 0xC0A80002, 40000)
            .localPort(), "the port the card driver allocated for local port 0");
        assertEquals(65_535, proxy.registerFilter(3, FilterKind.TCP_CONNECTION, 0, 0, 65_535, 0xC0A80002, 40000)
            .localPort(), "the top of the ephemeral range is a port, not uint16's null value");

        proxy.deregisterFilter(42);
        assertEquals(List.of(DeregisterFilterDecoder.TEMPLATE_ID, client.clientId(), 42), lastRequest.get());

        assertEquals(0x02_00_C0_A8_00_02L, proxy.resolveNeighbour(0xC0A80002), "an address above 2^31 as uint32");
        assertEquals(List.of(ResolveNeighbourDecoder.TEMPLATE_ID, client.clientId(), 0xC0A80002L), lastRequest.get());

        proxy.heartbeat();
        assertEquals(List.of(HeartbeatDecoder.TEMPLATE_ID, client.clientId()), lastRequest.get());

        assertEquals(new CardDriverProxy.Stats(1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
            new CardDriverProxy.FiltersFree(11, 12, 13)), proxy.queryStats());
        assertEquals(List.of(QueryStatsDecoder.TEMPLATE_ID, client.clientId()), lastRequest.get());

        proxy.disconnect();
        assertEquals(List.of(DisconnectDecoder.TEMPLATE_ID, client.clientId()), lastRequest.get());
    }

    @Test
    void refusalsAndInconsistentAnswersAreControlExceptions()
    {
        final ControlException taken = assertThrows(ControlException.class,
            () -> proxy.registerFilter(3, FilterKind.TCP_PORT, 0, 0, 80, 0, 0));
        assertEquals(ErrorCode.PORT_IN_USE, taken.code());
        assertEquals("TCP port 80 is taken", taken.getMessage());

        final ControlException wrongQueue = assertThrows(ControlException.class, () -> proxy.releaseQueue(99));
        assertEquals(ErrorCode.INTERNAL_ERROR, wrongQueue.code());
        assertEquals("the card driver released queue 100 when asked for queue 99", wrongQueue.getMessage());

        final ControlException wrongAnswer = assertThrows(ControlException.class, () -> proxy.resolveNeighbour(0));
        assertEquals(ErrorCode.INTERNAL_ERROR, wrongAnswer.code(), "a HeartbeatAck is no Neighbour");
    }

    @Test
    void queueRevokedReachesItsHandlerWithUnknownCodesAsNullVal()
    {
        // The scripted card driver sends two notices before it answers Disconnect; reading the answer delivers them.
        proxy.disconnect();
        assertEquals(List.of("5 SHUTTING_DOWN stopping", "6 NULL_VAL from a newer card driver"), revoked);
    }

    @Test
    void theRawPathSendsBytesAsTheyAre()
    {
        // A Heartbeat that claims a newer schema version: the proxy could not send it, the raw path does.
        final UnsafeBuffer bytes = new UnsafeBuffer(new byte[MessageHeaderEncoder.ENCODED_LENGTH +
            HeartbeatEncoder.BLOCK_LENGTH]);
        final long correlationId = client.nextCorrelationId();
        new HeartbeatEncoder().wrapAndApplyHeader(bytes, 0, new MessageHeaderEncoder())
            .correlationId(correlationId).clientId(client.clientId());
        bytes.putShort(6, (short)(HeartbeatEncoder.SCHEMA_VERSION + 1), ByteOrder.LITTLE_ENDIAN);
        final ControlResponse answer = client.requestRaw(bytes, 0, bytes.capacity(), correlationId);
        final ControlException ex = assertThrows(ControlException.class,
            () -> answer.expect(HeartbeatAckDecoder.TEMPLATE_ID));
        assertEquals(ErrorCode.UNSUPPORTED_VERSION, ex.code());
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** Decodes each request, records its fields, answers as a card driver would (with a few scripted twists). */
    private final class Responder
    {
        private final UnsafeBuffer out = new UnsafeBuffer(new byte[1024]);
        private final MessageHeaderEncoder header = new MessageHeaderEncoder();
        private final MessageHeaderDecoder inHeader = new MessageHeaderDecoder();
        private ScriptedCardDriver answers;

        void onRequest(final DirectBuffer buffer, final int offset, final ScriptedCardDriver answers)
        {
            this.answers = answers;
            inHeader.wrap(buffer, offset);
            final int body = offset + MessageHeaderDecoder.ENCODED_LENGTH;
            final int blockLength = inHeader.blockLength();
            final int version = inHeader.version();
            final long correlationId = buffer.getLong(body, ByteOrder.LITTLE_ENDIAN);
            final long clientId = buffer.getLong(body + 8, ByteOrder.LITTLE_ENDIAN);
            if (version != MessageHeaderDecoder.SCHEMA_VERSION)
            {
                error(correlationId, clientId, ErrorCode.UNSUPPORTED_VERSION, "version " + version);
                return;
            }
            switch (inHeader.templateId())
            {
                case ConnectDecoder.TEMPLATE_ID ->
                {
                    final ConnectDecoder d = new ConnectDecoder().wrap(buffer, body, blockLength, version);
                    record(List.of(ConnectDecoder.TEMPLATE_ID, d.clientId(), d.pid(), d.name()));
                    send(new ConnectedEncoder().wrapAndApplyHeader(out, 0, header).correlationId(correlationId)
                        .clientId(clientId).mac(MAC).ipv4(0x0A000001).prefixLength((short)24).gateway(0x0A0000FE)
                        .mtu(1500).queuesFree(127).filtersFree(128).heartbeatTimeoutMs(1000).fiveTupleFree(100)
                        .flowDirectorFree(8000).softwareFree(16000).encodedLength());
                }
                case RequestQueueDecoder.TEMPLATE_ID ->
                {
                    final RequestQueueDecoder d = new RequestQueueDecoder().wrap(buffer, body, blockLength, version);
                    record(List.of(RequestQueueDecoder.TEMPLATE_ID, d.clientId(), d.ringSize(), d.slotCount(),
                        d.service()));
                    send(new QueueGrantedEncoder().wrapAndApplyHeader(out, 0, header).correlationId(correlationId)
                        .clientId(clientId).queueId(3)
                        .mode(d.service() == RequestedService.INLINE ? QueueMode.INLINE : QueueMode.THREAD)
                        .ringSize(d.ringSize()).slotCount(d.slotCount()).slotSize(2048).channelPath("/queues/3")
                        .nic("sim:x").encodedLength());
                }
                case ReleaseQueueDecoder.TEMPLATE_ID ->
                {
                    final ReleaseQueueDecoder d = new ReleaseQueueDecoder().wrap(buffer, body, blockLength, version);
                    record(List.of(ReleaseQueueDecoder.TEMPLATE_ID, d.clientId(), d.queueId()));
                    send(new QueueReleasedEncoder().wrapAndApplyHeader(out, 0, header).correlationId(correlationId)
                        .clientId(clientId).queueId(d.queueId() == 99 ? 100 : d.queueId()).encodedLength());
                }
                case RegisterFilterDecoder.TEMPLATE_ID ->
                {
                    final RegisterFilterDecoder d = new RegisterFilterDecoder().wrap(buffer, body, blockLength,
                        version);
                    record(List.of(RegisterFilterDecoder.TEMPLATE_ID, d.clientId(), d.queueId(), d.kind(),
                        d.priority(), d.localIp(), d.localPort(), d.remoteIp(), d.remotePort()));
                    if (d.kind() == FilterKind.TCP_PORT)
                    {
                        error(correlationId, clientId, ErrorCode.PORT_IN_USE, "TCP port " + d.localPort() +
                            " is taken");
                        return;
                    }
                    send(new FilterRegisteredEncoder().wrapAndApplyHeader(out, 0, header)
                        .correlationId(correlationId).clientId(clientId).filterId(42).queueId(d.queueId())
                        .placement(FilterPlacement.FIVE_TUPLE).hardwareIndex((short)7)
                        .localPort(d.localPort() != 0 ? d.localPort() : 49_153).encodedLength());
                }
                case DeregisterFilterDecoder.TEMPLATE_ID ->
                {
                    final DeregisterFilterDecoder d = new DeregisterFilterDecoder().wrap(buffer, body, blockLength,
                        version);
                    record(List.of(DeregisterFilterDecoder.TEMPLATE_ID, d.clientId(), d.filterId()));
                    send(new FilterDeregisteredEncoder().wrapAndApplyHeader(out, 0, header)
                        .correlationId(correlationId).clientId(clientId).filterId(d.filterId()).encodedLength());
                }
                case ResolveNeighbourDecoder.TEMPLATE_ID ->
                {
                    final ResolveNeighbourDecoder d = new ResolveNeighbourDecoder().wrap(buffer, body, blockLength,
                        version);
                    record(List.of(ResolveNeighbourDecoder.TEMPLATE_ID, d.clientId(), d.ipv4()));
                    if (d.ipv4() == 0)
                    {
                        heartbeatAck(correlationId, clientId);
                        return;
                    }
                    send(new NeighbourEncoder().wrapAndApplyHeader(out, 0, header).correlationId(correlationId)
                        .clientId(clientId).ipv4(d.ipv4()).mac(0x02_00_00_00_00_00L | d.ipv4()).encodedLength());
                }
                case HeartbeatDecoder.TEMPLATE_ID ->
                {
                    record(List.of(HeartbeatDecoder.TEMPLATE_ID, clientId));
                    heartbeatAck(correlationId, clientId);
                }
                case QueryStatsDecoder.TEMPLATE_ID ->
                {
                    record(List.of(QueryStatsDecoder.TEMPLATE_ID, clientId));
                    send(new StatsEncoder().wrapAndApplyHeader(out, 0, header).correlationId(correlationId)
                        .clientId(clientId).clients(1).queuesInUse(2).queuesFree(3).filtersInUse(4).filtersFree(5)
                        .rxPackets(6).rxBytes(7).rxDrops(8).txPackets(9).txBytes(10).fiveTupleFree(11)
                        .flowDirectorFree(12).softwareFree(13).encodedLength());
                }
                case AttachQueueDriverDecoder.TEMPLATE_ID ->
                {
                    final AttachQueueDriverDecoder d = new AttachQueueDriverDecoder().wrap(buffer, body, blockLength,
                        version);
                    record(List.of(AttachQueueDriverDecoder.TEMPLATE_ID, d.clientId(), d.queueId(), d.pid(),
                        d.token(), d.ringSize(), d.rxRingIova(), d.txRingIova(), d.txHeadWritebackIova()));
                    send(new QueueDriverAttachedEncoder().wrapAndApplyHeader(out, 0, header)
                        .correlationId(correlationId).clientId(clientId).queueId(d.queueId()).encodedLength());
                }
                case DetachQueueDriverDecoder.TEMPLATE_ID ->
                {
                    final DetachQueueDriverDecoder d = new DetachQueueDriverDecoder().wrap(buffer, body, blockLength,
                        version);
                    record(List.of(DetachQueueDriverDecoder.TEMPLATE_ID, d.clientId(), d.queueId(), d.pid(),
                        d.token()));
                    send(new QueueDriverDetachedEncoder().wrapAndApplyHeader(out, 0, header)
                        .correlationId(correlationId).clientId(clientId).queueId(d.queueId()).encodedLength());
                }
                case DisconnectDecoder.TEMPLATE_ID ->
                {
                    record(List.of(DisconnectDecoder.TEMPLATE_ID, clientId));
                    send(new QueueRevokedEncoder().wrapAndApplyHeader(out, 0, header).correlationId(0)
                        .clientId(clientId).queueId(5).reason(ErrorCode.SHUTTING_DOWN).message("stopping")
                        .encodedLength());
                    final QueueRevokedEncoder newer = new QueueRevokedEncoder().wrapAndApplyHeader(out, 0, header)
                        .correlationId(0).clientId(clientId).queueId(6);
                    out.putShort(MessageHeaderEncoder.ENCODED_LENGTH + QueueRevokedEncoder.reasonEncodingOffset(),
                        (short)999, ByteOrder.LITTLE_ENDIAN);
                    send(newer.message("from a newer card driver").encodedLength());
                    send(new DisconnectedEncoder().wrapAndApplyHeader(out, 0, header).correlationId(correlationId)
                        .clientId(clientId).encodedLength());
                }
                default -> error(correlationId, clientId, ErrorCode.UNKNOWN_TEMPLATE, "template " +
                    inHeader.templateId());
            }
        }

        private void record(final List<Object> fields)
        {
            lastRequest.set(fields);
        }

        private void heartbeatAck(final long correlationId, final long clientId)
        {
            send(new HeartbeatAckEncoder().wrapAndApplyHeader(out, 0, header).correlationId(correlationId)
                .clientId(clientId).encodedLength());
        }

        private void error(final long correlationId, final long clientId, final ErrorCode code, final String message)
        {
            send(new ErrorEncoder().wrapAndApplyHeader(out, 0, header).correlationId(correlationId).clientId(clientId)
                .code(code).message(message).encodedLength());
        }

        private void send(final int bodyLength)
        {
            answers.answer(out, MessageHeaderEncoder.ENCODED_LENGTH + bodyLength);
        }
    }
}
