package io.nicq.proto;

import java.util.List;

import io.nicq.proto.sbe.*;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every control message through the generated codecs: each field written with a distinct, non-default value, read back
 * and compared, and the validator accepts the result with its exact length.
 */
class ControlCodecRoundTripTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[ControlProtocol.MAX_MESSAGE_LENGTH]);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final ControlMessageValidator validator = new ControlMessageValidator();

    private int decodeHeader(final int length, final int expectedTemplate)
    {
        assertNull(validator.validate(buffer, 0, length), validator::lastError);
        assertEquals(length, validator.messageLength());
        headerDecoder.wrap(buffer, 0);
        assertEquals(expectedTemplate, headerDecoder.templateId());
        assertEquals(MessageHeaderDecoder.SCHEMA_ID, headerDecoder.schemaId());
        assertEquals(MessageHeaderDecoder.SCHEMA_VERSION, headerDecoder.version());
        return MessageHeaderDecoder.ENCODED_LENGTH;
    }

    @Test
    void connect()
    {
        final ConnectEncoder e = new ConnectEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder);
        e.correlationId(11).clientId(-22).pid(33).name("rpc-server ü");
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + e.encodedLength();

        final ConnectDecoder d = new ConnectDecoder();
        d.wrap(buffer, decodeHeader(length, ConnectDecoder.TEMPLATE_ID), headerDecoder.blockLength(), headerDecoder.version());
        assertEquals(11, d.correlationId());
        assertEquals(-22, d.clientId());
        assertEquals(33, d.pid());
        assertEquals("rpc-server ü", d.name());
    }

    @Test
    void disconnectAndDisconnected()
    {
        new DisconnectEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(5).clientId(6);
        final DisconnectDecoder d = new DisconnectDecoder();
        d.wrap(buffer, decodeHeader(8 + DisconnectEncoder.BLOCK_LENGTH, DisconnectDecoder.TEMPLATE_ID),
            DisconnectDecoder.BLOCK_LENGTH, 1);
        assertEquals(5, d.correlationId());
        assertEquals(6, d.clientId());

        new DisconnectedEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(7).clientId(8);
        final DisconnectedDecoder dd = new DisconnectedDecoder();
        dd.wrap(buffer, decodeHeader(8 + DisconnectedEncoder.BLOCK_LENGTH, DisconnectedDecoder.TEMPLATE_ID),
            DisconnectedDecoder.BLOCK_LENGTH, 1);
        assertEquals(7, dd.correlationId());
        assertEquals(8, dd.clientId());
    }

    @Test
    void requestQueue()
    {
        new RequestQueueEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(1).clientId(2).ringSize(512).slotCount(4096).service(RequestedService.INLINE);
        final RequestQueueDecoder d = new RequestQueueDecoder();
        d.wrap(buffer, decodeHeader(8 + RequestQueueEncoder.BLOCK_LENGTH, RequestQueueDecoder.TEMPLATE_ID),
            RequestQueueDecoder.BLOCK_LENGTH, 1);
        assertEquals(1, d.correlationId());
        assertEquals(2, d.clientId());
        assertEquals(512, d.ringSize());
        assertEquals(4096, d.slotCount());
        assertEquals(RequestedService.INLINE, d.service());
    }

    @Test
    void requestedServiceKeepsTheBytesOfTheFirstSchemasQueueMode()
    {
        // The field was "mode" of type QueueMode {PROCESS 0, THREAD 1, INLINE 2}; the card driver served PROCESS and
        // THREAD alike, by its own configuration. Same offset, same width, same values; the schema is at version 3
        // since Connected and Stats gained the free filter counts per placement (2) and FilterRegistered the local
        // port (3), RequestQueue unchanged.
        assertEquals(3, RequestQueueEncoder.SCHEMA_VERSION);
        assertEquals(24, RequestQueueEncoder.serviceEncodingOffset());
        assertEquals(1, RequestQueueEncoder.serviceEncodingLength());
        assertEquals(25, RequestQueueEncoder.BLOCK_LENGTH);
        assertEquals(0, RequestedService.SERVED.value());
        assertEquals(2, RequestedService.INLINE.value());
        assertEquals(QueueMode.INLINE.value(), RequestedService.INLINE.value());
    }

    @Test
    void releaseQueueAndReleased()
    {
        new ReleaseQueueEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(3).clientId(4).queueId(127);
        final ReleaseQueueDecoder d = new ReleaseQueueDecoder();
        d.wrap(buffer, decodeHeader(8 + ReleaseQueueEncoder.BLOCK_LENGTH, ReleaseQueueDecoder.TEMPLATE_ID),
            ReleaseQueueDecoder.BLOCK_LENGTH, 1);
        assertEquals(3, d.correlationId());
        assertEquals(4, d.clientId());
        assertEquals(127, d.queueId());

        new QueueReleasedEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(9).clientId(10).queueId(65535);
        final QueueReleasedDecoder r = new QueueReleasedDecoder();
        r.wrap(buffer, decodeHeader(8 + QueueReleasedEncoder.BLOCK_LENGTH, QueueReleasedDecoder.TEMPLATE_ID),
            QueueReleasedDecoder.BLOCK_LENGTH, 1);
        assertEquals(9, r.correlationId());
        assertEquals(10, r.clientId());
        assertEquals(65535, r.queueId());
    }

    @Test
    void registerFilter()
    {
        new RegisterFilterEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(100).clientId(200).queueId(3).kind(FilterKind.TCP_CONNECTION).priority((short)7)
            .localIp(0x0A000001L).localPort(65000).remoteIp(0xC0A80102L).remotePort(443);
        final RegisterFilterDecoder d = new RegisterFilterDecoder();
        d.wrap(buffer, decodeHeader(8 + RegisterFilterEncoder.BLOCK_LENGTH, RegisterFilterDecoder.TEMPLATE_ID),
            RegisterFilterDecoder.BLOCK_LENGTH, 1);
        assertEquals(100, d.correlationId());
        assertEquals(200, d.clientId());
        assertEquals(3, d.queueId());
        assertEquals(FilterKind.TCP_CONNECTION, d.kind());
        assertEquals(7, d.priority());
        assertEquals(0x0A000001L, d.localIp());
        assertEquals(65000, d.localPort());
        assertEquals(0xC0A80102L, d.remoteIp());
        assertEquals(443, d.remotePort());
    }

    @Test
    void deregisterFilterAndDeregistered()
    {
        new DeregisterFilterEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(1).clientId(2).filterId(99);
        final DeregisterFilterDecoder d = new DeregisterFilterDecoder();
        d.wrap(buffer, decodeHeader(8 + DeregisterFilterEncoder.BLOCK_LENGTH, DeregisterFilterDecoder.TEMPLATE_ID),
            DeregisterFilterDecoder.BLOCK_LENGTH, 1);
        assertEquals(1, d.correlationId());
        assertEquals(2, d.clientId());
        assertEquals(99, d.filterId());

        new FilterDeregisteredEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(3).clientId(4).filterId(-5);
        final FilterDeregisteredDecoder r = new FilterDeregisteredDecoder();
        r.wrap(buffer, decodeHeader(8 + FilterDeregisteredEncoder.BLOCK_LENGTH, FilterDeregisteredDecoder.TEMPLATE_ID),
            FilterDeregisteredDecoder.BLOCK_LENGTH, 1);
        assertEquals(3, r.correlationId());
        assertEquals(4, r.clientId());
        assertEquals(-5, r.filterId());
    }

    @Test
    void resolveNeighbourAndNeighbour()
    {
        new ResolveNeighbourEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(1).clientId(2).ipv4(0xFFFFFFFEL);
        final ResolveNeighbourDecoder d = new ResolveNeighbourDecoder();
        d.wrap(buffer, decodeHeader(8 + ResolveNeighbourEncoder.BLOCK_LENGTH, ResolveNeighbourDecoder.TEMPLATE_ID),
            ResolveNeighbourDecoder.BLOCK_LENGTH, 1);
        assertEquals(1, d.correlationId());
        assertEquals(2, d.clientId());
        assertEquals(0xFFFFFFFEL, d.ipv4());

        new NeighbourEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder)
            .correlationId(3).clientId(4).ipv4(0x0A000002L).mac(0x0200DEADBEEFL);
        final NeighbourDecoder n = new NeighbourDecoder();
        n.wrap(buffer, decodeHeader(8 + NeighbourEncoder.BLOCK_LENGTH, NeighbourDecoder.TEMPLATE_ID),
            NeighbourDecoder.BLOCK_LENGTH, 1);
        assertEquals(3, n.correlationId());
        assertEquals(4, n.clientId());
        assertEquals(0x0A000002L, n.ipv4());
        assertEquals(0x0200DEADBEEFL, n.mac());
    }

    @Test
    void heartbeatAndAck()
    {
        new HeartbeatEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(41).clientId(42);
        final HeartbeatDecoder d = new HeartbeatDecoder();
        d.wrap(buffer, decodeHeader(8 + HeartbeatEncoder.BLOCK_LENGTH, HeartbeatDecoder.TEMPLATE_ID),
            HeartbeatDecoder.BLOCK_LENGTH, 1);
        assertEquals(41, d.correlationId());
        assertEquals(42, d.clientId());

        new HeartbeatAckEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(43).clientId(44);
        final HeartbeatAckDecoder a = new HeartbeatAckDecoder();
        a.wrap(buffer, decodeHeader(8 + HeartbeatAckEncoder.BLOCK_LENGTH, HeartbeatAckDecoder.TEMPLATE_ID),
            HeartbeatAckDecoder.BLOCK_LENGTH, 1);
        assertEquals(43, a.correlationId());
        assertEquals(44, a.clientId());
    }

    @Test
    void queryStatsAndStats()
    {
        new QueryStatsEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(1).clientId(2);
        final QueryStatsDecoder q = new QueryStatsDecoder();
        q.wrap(buffer, decodeHeader(8 + QueryStatsEncoder.BLOCK_LENGTH, QueryStatsDecoder.TEMPLATE_ID),
            QueryStatsDecoder.BLOCK_LENGTH, 1);
        assertEquals(1, q.correlationId());
        assertEquals(2, q.clientId());

        new StatsEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(3).clientId(4)
            .clients(5).queuesInUse(6).queuesFree(121).filtersInUse(8).filtersFree(120)
            .rxPackets(10).rxBytes(11).rxDrops(12).txPackets(13).txBytes(14);
        final StatsDecoder s = new StatsDecoder();
        s.wrap(buffer, decodeHeader(8 + StatsEncoder.BLOCK_LENGTH, StatsDecoder.TEMPLATE_ID), StatsDecoder.BLOCK_LENGTH, 1);
        assertEquals(3, s.correlationId());
        assertEquals(4, s.clientId());
        assertEquals(5, s.clients());
        assertEquals(6, s.queuesInUse());
        assertEquals(121, s.queuesFree());
        assertEquals(8, s.filtersInUse());
        assertEquals(120, s.filtersFree());
        assertEquals(10, s.rxPackets());
        assertEquals(11, s.rxBytes());
        assertEquals(12, s.rxDrops());
        assertEquals(13, s.txPackets());
        assertEquals(14, s.txBytes());
    }

    @Test
    void attachQueueDriverAndAttached()
    {
        new AttachQueueDriverEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(1).clientId(2)
            .queueId(17).pid(4242).ringSize(1024).rxRingIova(0x1000_0000L).txRingIova(0x2000_0000L)
            .txHeadWritebackIova(0x3000_0040L);
        final AttachQueueDriverDecoder d = new AttachQueueDriverDecoder();
        d.wrap(buffer, decodeHeader(8 + AttachQueueDriverEncoder.BLOCK_LENGTH, AttachQueueDriverDecoder.TEMPLATE_ID),
            AttachQueueDriverDecoder.BLOCK_LENGTH, 1);
        assertEquals(1, d.correlationId());
        assertEquals(2, d.clientId());
        assertEquals(17, d.queueId());
        assertEquals(4242, d.pid());
        assertEquals(1024, d.ringSize());
        assertEquals(0x1000_0000L, d.rxRingIova());
        assertEquals(0x2000_0000L, d.txRingIova());
        assertEquals(0x3000_0040L, d.txHeadWritebackIova());

        new QueueDriverAttachedEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(5).clientId(6).queueId(17);
        final QueueDriverAttachedDecoder a = new QueueDriverAttachedDecoder();
        a.wrap(buffer, decodeHeader(8 + QueueDriverAttachedEncoder.BLOCK_LENGTH, QueueDriverAttachedDecoder.TEMPLATE_ID),
            QueueDriverAttachedDecoder.BLOCK_LENGTH, 1);
        assertEquals(5, a.correlationId());
        assertEquals(6, a.clientId());
        assertEquals(17, a.queueId());
    }

    @Test
    void detachQueueDriverAndDetached()
    {
        new DetachQueueDriverEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(7).clientId(8)
            .queueId(126).pid(99999);
        final DetachQueueDriverDecoder d = new DetachQueueDriverDecoder();
        d.wrap(buffer, decodeHeader(8 + DetachQueueDriverEncoder.BLOCK_LENGTH, DetachQueueDriverDecoder.TEMPLATE_ID),
            DetachQueueDriverDecoder.BLOCK_LENGTH, 1);
        assertEquals(7, d.correlationId());
        assertEquals(8, d.clientId());
        assertEquals(126, d.queueId());
        assertEquals(99999, d.pid());

        new QueueDriverDetachedEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(9).clientId(10)
            .queueId(126);
        final QueueDriverDetachedDecoder a = new QueueDriverDetachedDecoder();
        a.wrap(buffer, decodeHeader(8 + QueueDriverDetachedEncoder.BLOCK_LENGTH, QueueDriverDetachedDecoder.TEMPLATE_ID),
            QueueDriverDetachedDecoder.BLOCK_LENGTH, 1);
        assertEquals(9, a.correlationId());
        assertEquals(10, a.clientId());
        assertEquals(126, a.queueId());
    }

    @Test
    void connected()
    {
        new ConnectedEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(1).clientId(2)
            .mac(0x0211223344_55L).ipv4(0x0A000001L).prefixLength((short)24).gateway(0x0A0000FEL).mtu(1500)
            .queuesFree(127).filtersFree(128).heartbeatTimeoutMs(1000);
        final ConnectedDecoder d = new ConnectedDecoder();
        d.wrap(buffer, decodeHeader(8 + ConnectedEncoder.BLOCK_LENGTH, ConnectedDecoder.TEMPLATE_ID),
            ConnectedDecoder.BLOCK_LENGTH, 1);
        assertEquals(1, d.correlationId());
        assertEquals(2, d.clientId());
        assertEquals(0x021122334455L, d.mac());
        assertEquals(0x0A000001L, d.ipv4());
        assertEquals(24, d.prefixLength());
        assertEquals(0x0A0000FEL, d.gateway());
        assertEquals(1500, d.mtu());
        assertEquals(127, d.queuesFree());
        assertEquals(128, d.filtersFree());
        assertEquals(1000, d.heartbeatTimeoutMs());
    }

    @Test
    void queueGranted()
    {
        final QueueGrantedEncoder e = new QueueGrantedEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder);
        e.correlationId(1).clientId(2).queueId(5).mode(QueueMode.THREAD).ringSize(512).slotCount(2048).slotSize(2048)
            .channelPath("/dev/shm/nicq/a/queues/5").nic("sim:card0");
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + e.encodedLength();
        final QueueGrantedDecoder d = new QueueGrantedDecoder();
        d.wrap(buffer, decodeHeader(length, QueueGrantedDecoder.TEMPLATE_ID), QueueGrantedDecoder.BLOCK_LENGTH, 1);
        assertEquals(1, d.correlationId());
        assertEquals(2, d.clientId());
        assertEquals(5, d.queueId());
        assertEquals(QueueMode.THREAD, d.mode());
        assertEquals(512, d.ringSize());
        assertEquals(2048, d.slotCount());
        assertEquals(2048, d.slotSize());
        assertEquals("/dev/shm/nicq/a/queues/5", d.channelPath());
        assertEquals("sim:card0", d.nic());
    }

    @Test
    void filterRegistered()
    {
        new FilterRegisteredEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).correlationId(1).clientId(2)
            .filterId(77).queueId(9).placement(FilterPlacement.FIVE_TUPLE).hardwareIndex((short)127);
        final FilterRegisteredDecoder d = new FilterRegisteredDecoder();
        d.wrap(buffer, decodeHeader(8 + FilterRegisteredEncoder.BLOCK_LENGTH, FilterRegisteredDecoder.TEMPLATE_ID),
            FilterRegisteredDecoder.BLOCK_LENGTH, 1);
        assertEquals(1, d.correlationId());
        assertEquals(2, d.clientId());
        assertEquals(77, d.filterId());
        assertEquals(9, d.queueId());
        assertEquals(FilterPlacement.FIVE_TUPLE, d.placement());
        assertEquals(127, d.hardwareIndex());
    }

    @Test
    void error()
    {
        final ErrorEncoder e = new ErrorEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder);
        e.correlationId(1).clientId(2).code(ErrorCode.PORT_IN_USE).message("UDP port 7 is owned by client 9");
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + e.encodedLength();
        final ErrorDecoder d = new ErrorDecoder();
        d.wrap(buffer, decodeHeader(length, ErrorDecoder.TEMPLATE_ID), ErrorDecoder.BLOCK_LENGTH, 1);
        assertEquals(1, d.correlationId());
        assertEquals(2, d.clientId());
        assertEquals(ErrorCode.PORT_IN_USE, d.code());
        assertEquals("UDP port 7 is owned by client 9", d.message());
    }

    @Test
    void queueRevoked()
    {
        final QueueRevokedEncoder e = new QueueRevokedEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder);
        e.correlationId(0).clientId(2).queueId(3).reason(ErrorCode.QUEUE_DRIVER_FAILED).message("queue driver 3 exited with 137");
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + e.encodedLength();
        final QueueRevokedDecoder d = new QueueRevokedDecoder();
        d.wrap(buffer, decodeHeader(length, QueueRevokedDecoder.TEMPLATE_ID), QueueRevokedDecoder.BLOCK_LENGTH, 1);
        assertEquals(0, d.correlationId());
        assertEquals(2, d.clientId());
        assertEquals(3, d.queueId());
        assertEquals(ErrorCode.QUEUE_DRIVER_FAILED, d.reason());
        assertEquals("queue driver 3 exited with 137", d.message());
    }

    @Test
    void everyTemplateOfTheSchemaIsKnownToTheValidator()
    {
        // If a message is added to the schema, the validator must learn its block length and var fields.
        final List<Integer> templates = List.of(
            ConnectDecoder.TEMPLATE_ID, DisconnectDecoder.TEMPLATE_ID, RequestQueueDecoder.TEMPLATE_ID,
            ReleaseQueueDecoder.TEMPLATE_ID, RegisterFilterDecoder.TEMPLATE_ID, DeregisterFilterDecoder.TEMPLATE_ID,
            ResolveNeighbourDecoder.TEMPLATE_ID, HeartbeatDecoder.TEMPLATE_ID, QueryStatsDecoder.TEMPLATE_ID,
            AttachQueueDriverDecoder.TEMPLATE_ID, DetachQueueDriverDecoder.TEMPLATE_ID,
            QueueDriverDetachedDecoder.TEMPLATE_ID, ConnectedDecoder.TEMPLATE_ID, DisconnectedDecoder.TEMPLATE_ID,
            QueueGrantedDecoder.TEMPLATE_ID, QueueReleasedDecoder.TEMPLATE_ID, FilterRegisteredDecoder.TEMPLATE_ID,
            FilterDeregisteredDecoder.TEMPLATE_ID, NeighbourDecoder.TEMPLATE_ID, HeartbeatAckDecoder.TEMPLATE_ID,
            StatsDecoder.TEMPLATE_ID, QueueDriverAttachedDecoder.TEMPLATE_ID, ErrorDecoder.TEMPLATE_ID,
            QueueRevokedDecoder.TEMPLATE_ID);
        assertEquals(templates.size(), templates.stream().distinct().count());
        for (int id = 0; id < 256; id++)
        {
            assertEquals(templates.contains(id), ControlMessageValidator.minBlockLength(id) >= 0, "template " + id);
        }
    }
}
