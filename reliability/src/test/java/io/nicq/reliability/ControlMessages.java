package io.nicq.reliability;

import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

import io.nicq.proto.ControlMessageValidator;
import io.nicq.proto.ControlProtocol;
import io.nicq.proto.sbe.AttachQueueDriverDecoder;
import io.nicq.proto.sbe.ConnectDecoder;
import io.nicq.proto.sbe.ConnectedEncoder;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.ErrorDecoder;
import io.nicq.proto.sbe.ErrorEncoder;
import io.nicq.proto.sbe.FilterKind;
import io.nicq.proto.sbe.FilterPlacement;
import io.nicq.proto.sbe.FilterRegisteredDecoder;
import io.nicq.proto.sbe.FilterRegisteredEncoder;
import io.nicq.proto.sbe.MessageHeaderDecoder;
import io.nicq.proto.sbe.MessageHeaderEncoder;
import io.nicq.proto.sbe.NeighbourEncoder;
import io.nicq.proto.sbe.QueueGrantedDecoder;
import io.nicq.proto.sbe.QueueGrantedEncoder;
import io.nicq.proto.sbe.QueueMode;
import io.nicq.proto.sbe.QueueRevokedDecoder;
import io.nicq.proto.sbe.QueueRevokedEncoder;
import io.nicq.proto.sbe.RegisterFilterDecoder;
import io.nicq.proto.sbe.RequestQueueDecoder;
import io.nicq.proto.sbe.RequestedService;
import io.nicq.proto.sbe.StatsEncoder;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * jqwik generators for the control fuzzers: well-formed messages of every template (requests and answers, fields
 * drawn with jqwik's edge cases: 0, -1, MIN, MAX, ...), and mutations that break them the ways a hostile or broken
 * peer would: flipped bits, overwritten bytes, truncation, trailing garbage, hostile header fields (schema, version,
 * template, block length) and hostile var-field lengths.
 */
final class ControlMessages
{
    /** Every template id the schema (as built into control-proto) defines, found by asking the validator. */
    static final int[] TEMPLATES = knownTemplates();

    /** Values worth trying in a 16-bit header field or a var length. */
    private static final int[] HOSTILE_U16 = {0, 1, 2, 7, 8, 15, 16, 17, 24, 31, 32, 33, 64, 255, 256, 4095, 4096,
        4097, 7700, 7701, 7702, 8192, 8193, 32767, 32768, 65534, 65535};

    enum Kind
    {
        FLIP_BIT, SET_BYTE, TRUNCATE, EXTEND, HEADER_BLOCK_LENGTH, HEADER_TEMPLATE, HEADER_SCHEMA, HEADER_VERSION,
        VAR_LENGTH, SWAP_TEMPLATE_KEEP_BODY
    }

    /** One change to a message; positions are fractions of the current length, so they fit any message. */
    record Mutation(Kind kind, double where, int value)
    {
        byte[] apply(final byte[] message)
        {
            final int length = message.length;
            final int position = length == 0 ? 0 : Math.min(length - 1, (int)(where * length));
            final UnsafeBuffer b = new UnsafeBuffer(message);
            switch (kind)
            {
                case FLIP_BIT ->
                {
                    if (length > 0)
                    {
                        message[position] ^= (byte)(1 << (value & 7));
                    }
                    return message;
                }
                case SET_BYTE ->
                {
                    if (length > 0)
                    {
                        message[position] = (byte)value;
                    }
                    return message;
                }
                case TRUNCATE ->
                {
                    return Arrays.copyOf(message, (int)(where * length));
                }
                case EXTEND ->
                {
                    final byte[] longer = Arrays.copyOf(message, length + (value & 0x3FF) + 1);
                    for (int i = length; i < longer.length; i++)
                    {
                        longer[i] = (byte)(i * 31 + value);
                    }
                    return longer;
                }
                case HEADER_BLOCK_LENGTH, HEADER_TEMPLATE, HEADER_SCHEMA, HEADER_VERSION ->
                {
                    final int offset = switch (kind)
                    {
                        case HEADER_BLOCK_LENGTH -> 0;
                        case HEADER_TEMPLATE -> 2;
                        case HEADER_SCHEMA -> 4;
                        default -> 6;
                    };
                    if (length >= offset + 2)
                    {
                        b.putShort(offset, (short)value, ByteOrder.LITTLE_ENDIAN);
                    }
                    return message;
                }
                case VAR_LENGTH ->
                {
                    // The first var field follows the fixed block: hostile lengths there are the classic overread.
                    if (length >= MessageHeaderDecoder.ENCODED_LENGTH)
                    {
                        final int varAt = MessageHeaderDecoder.ENCODED_LENGTH +
                            (b.getShort(0, ByteOrder.LITTLE_ENDIAN) & 0xFFFF);
                        if (varAt + 2 <= length)
                        {
                            b.putShort(varAt, (short)value, ByteOrder.LITTLE_ENDIAN);
                        }
                    }
                    return message;
                }
                case SWAP_TEMPLATE_KEEP_BODY ->
                {
                    if (length >= 4)
                    {
                        b.putShort(2, (short)TEMPLATES[Math.floorMod(value, TEMPLATES.length)],
                            ByteOrder.LITTLE_ENDIAN);
                    }
                    return message;
                }
                default -> throw new IllegalStateException(kind.name());
            }
        }
    }

    private ControlMessages()
    {
    }

    /** A template the validator knows is refused for its block length, an unknown one as UNKNOWN_TEMPLATE. */
    private static int[] knownTemplates()
    {
        final ControlMessageValidator validator = new ControlMessageValidator();
        final UnsafeBuffer header = new UnsafeBuffer(new byte[MessageHeaderEncoder.ENCODED_LENGTH]);
        return java.util.stream.IntStream.range(0, 256).filter(template ->
        {
            new MessageHeaderEncoder().wrap(header, 0).blockLength(0).templateId(template)
                .schemaId(MessageHeaderEncoder.SCHEMA_ID).version(MessageHeaderEncoder.SCHEMA_VERSION);
            return validator.validate(header, 0, header.capacity()) != ErrorCode.UNKNOWN_TEMPLATE;
        }).toArray();
    }

    static Arbitrary<Mutation> mutation()
    {
        final Arbitrary<Integer> values = Arbitraries.oneOf(
            Arbitraries.of(Arrays.stream(HOSTILE_U16).boxed().toList()),
            Arbitraries.integers().between(0, 65535),
            Arbitraries.integers());
        return Combinators.combine(Arbitraries.of(Kind.class), Arbitraries.doubles().between(0, 1), values)
            .as(Mutation::new);
    }

    static Arbitrary<List<Mutation>> mutations()
    {
        return mutation().list().ofMinSize(1).ofMaxSize(6);
    }

    /** Requests of every template with fields from their whole range. */
    static Arbitrary<byte[]> request()
    {
        final Arbitrary<Long> longs = Arbitraries.longs();
        final Arbitrary<Integer> u16 = Arbitraries.integers().between(0, 65535);
        final Arbitrary<Integer> ints = Arbitraries.integers();
        // Biased towards values the card driver accepts, so that fuzzed requests also reach the code behind the
        // argument checks: pids of live processes, power-of-two sizes, the first queues, aligned ring addresses.
        final Arbitrary<Long> pids = Arbitraries.oneOf(longs, Arbitraries.of(ProcessHandle.current().pid(), 1L, 0L));
        final Arbitrary<Long> sizes = Arbitraries.oneOf(Arbitraries.longs().between(0, 0xFFFF_FFFFL),
            Arbitraries.of(0L, 8L, 16L, 64L, 128L, 256L, 512L, 2048L, 8192L, 65536L, 131072L));
        final Arbitrary<Integer> queues = Arbitraries.oneOf(u16, Arbitraries.integers().between(0, 5),
            Arbitraries.integers().between(120, 130));
        final Arbitrary<Integer> ports = Arbitraries.oneOf(u16, Arbitraries.of(0, 1, 7, 9, 53, 65535));
        final Arbitrary<Integer> ips = Arbitraries.oneOf(ints, Arbitraries.of(0, 0x0A000001, 0x0A000002, 0x0A0000FF,
            -1));
        final Arbitrary<Long> iovas = Arbitraries.oneOf(longs,
            Arbitraries.longs().between(0, 1L << 40).map(v -> v << 7), Arbitraries.of(0L, 1L << 32, (1L << 32) + 128));
        return Arbitraries.oneOf(
            Combinators.combine(longs, longs, pids, text()).as((c, id, pid, name) ->
                encode(b -> Requests.ENCODER.connect(b, c, id, pid, name))),
            Combinators.combine(longs, longs).as((c, id) -> encode(b -> Requests.ENCODER.disconnect(b, c, id))),
            // The service byte as clients of either schema edition send it: 0 SERVED (was PROCESS), 1 (was THREAD,
            // still served), 2 INLINE.
            Combinators.combine(longs, longs, sizes, sizes, Arbitraries.of((byte)0, (byte)1, (byte)2))
                .as((c, id, ring, slots, service) -> encode(b ->
                {
                    final int length = Requests.ENCODER.requestQueue(b, c, id, ring, slots, RequestedService.SERVED);
                    b.putByte(Requests.REQUEST_QUEUE_SERVICE_OFFSET, service);
                    return length;
                })),
            Combinators.combine(longs, longs, queues).as((c, id, q) ->
                encode(b -> Requests.ENCODER.releaseQueue(b, c, id, q))),
            Combinators.combine(Combinators.combine(longs, longs).as((c, id) -> new long[]{c, id}), queues,
                Arbitraries.of(FilterKind.UDP_PORT, FilterKind.TCP_PORT, FilterKind.TCP_CONNECTION),
                Arbitraries.integers().between(0, 255), ips, ports, ips, ports)
                .as((ids, q, kind, prio, lip, lport, rip, rport) ->
                    encode(b -> Requests.ENCODER.registerFilter(b,
                        ids[0], ids[1], q, kind, prio, lip, lport, rip, rport))),
            Combinators.combine(longs, longs, Arbitraries.oneOf(ints, Arbitraries.integers().between(0, 10)))
                .as((c, id, f) -> encode(b -> Requests.ENCODER.deregisterFilter(b, c, id, f))),
            Combinators.combine(longs, longs, ips).as((c, id, ip) ->
                encode(b -> Requests.ENCODER.resolveNeighbour(b, c, id, ip))),
            Combinators.combine(longs, longs).as((c, id) -> encode(b -> Requests.ENCODER.heartbeat(b, c, id))),
            Combinators.combine(longs, longs).as((c, id) -> encode(b -> Requests.ENCODER.queryStats(b, c, id))),
            Combinators.combine(longs, longs, queues, pids).as((c, id, q, pid) ->
                encode(b -> Requests.ENCODER.detachQueueDriver(b, c, id, q, pid, 0))),
            Combinators.combine(longs, longs, queues, pids, sizes, iovas, iovas, iovas)
                .as((c, id, q, pid, ring, rx, tx, head) ->
                    encode(b -> Requests.ENCODER.attachQueueDriver(b, c, id, q, pid, 0, ring, rx, tx, head))));
    }

    /** Answers (what a client receives) of the templates with var fields and enums, and a few fixed ones. */
    static Arbitrary<byte[]> answer()
    {
        final Arbitrary<Long> longs = Arbitraries.longs();
        final Arbitrary<Integer> u16 = Arbitraries.integers().between(0, 65535);
        final Arbitrary<ErrorCode> codes = Arbitraries.of(Arrays.stream(ErrorCode.values())
            .filter(code -> code != ErrorCode.NULL_VAL).toList());
        final MessageHeaderEncoder header = new MessageHeaderEncoder();
        return Arbitraries.oneOf(
            Combinators.combine(longs, longs, codes, text()).as((c, id, code, text) -> encode(b ->
                MessageHeaderEncoder.ENCODED_LENGTH + new ErrorEncoder().wrapAndApplyHeader(b, 0, header)
                    .correlationId(c).clientId(id).code(code).message(text).encodedLength())),
            Combinators.combine(longs, longs, u16, codes, text()).as((c, id, q, code, text) -> encode(b ->
                MessageHeaderEncoder.ENCODED_LENGTH + new QueueRevokedEncoder().wrapAndApplyHeader(b, 0, header)
                    .correlationId(c).clientId(id).queueId(q).reason(code).message(text).encodedLength())),
            Combinators.combine(longs, longs, u16, text(), text()).as((c, id, q, path, nic) -> encode(b ->
                MessageHeaderEncoder.ENCODED_LENGTH + new QueueGrantedEncoder().wrapAndApplyHeader(b, 0, header)
                    .correlationId(c).clientId(id).queueId(q).mode(QueueMode.THREAD).ringSize(512).slotCount(2048)
                    .slotSize(2048).channelPath(path).nic(nic).encodedLength())),
            Combinators.combine(longs, longs, longs).as((c, id, mac) -> encode(b ->
                MessageHeaderEncoder.ENCODED_LENGTH + new ConnectedEncoder().wrapAndApplyHeader(b, 0, header)
                    .correlationId(c).clientId(id).mac(mac).ipv4(0x0A000001).prefixLength((short)24).mtu(1500)
                    .queuesFree(127).filtersFree(128).heartbeatTimeoutMs(1000).encodedLength())),
            Combinators.combine(longs, longs, u16).as((c, id, f) -> encode(b ->
                MessageHeaderEncoder.ENCODED_LENGTH + new FilterRegisteredEncoder().wrapAndApplyHeader(b, 0, header)
                    .correlationId(c).clientId(id).filterId(f).queueId(1).placement(FilterPlacement.FIVE_TUPLE)
                    .hardwareIndex((short)3).encodedLength())),
            Combinators.combine(longs, longs).as((c, id) -> encode(b ->
                MessageHeaderEncoder.ENCODED_LENGTH + new NeighbourEncoder().wrapAndApplyHeader(b, 0, header)
                    .correlationId(c).clientId(id).ipv4(1).mac(2).encodedLength())),
            Combinators.combine(longs, longs).as((c, id) -> encode(b ->
                MessageHeaderEncoder.ENCODED_LENGTH + new StatsEncoder().wrapAndApplyHeader(b, 0, header)
                    .correlationId(c).clientId(id).encodedLength())));
    }

    /** Completely random bytes, of every length from nothing to beyond the protocol's limit. */
    static Arbitrary<byte[]> randomBytes()
    {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(ControlProtocol.MAX_MESSAGE_LENGTH + 512);
    }

    /**
     * Text for var fields: mostly short, sometimes exactly at the limit (4096), in any Unicode (malformed UTF-8 comes
     * from the byte mutations).
     */
    static Arbitrary<String> text()
    {
        return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(8, Arbitraries.strings().ofMaxLength(64)),
            net.jqwik.api.Tuple.of(2, Arbitraries.strings().ascii().ofMinLength(1000).ofMaxLength(1300)),
            net.jqwik.api.Tuple.of(1, Arbitraries.just("x".repeat(ControlProtocol.MAX_TEXT_LENGTH))))
            .filter(s -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= ControlProtocol.MAX_TEXT_LENGTH);
    }

    /**
     * Decodes a message the validator accepted, with a generated decoder over a buffer of exactly its length, so that
     * any read past the end throws: reads every field and every var field.
     *
     * @return the length the decoder says the message occupies, header included
     * @throws IndexOutOfBoundsException if decoding reaches outside the message
     * @throws IllegalArgumentException  if an enum field holds a value the schema does not define (see callers)
     */
    static int decodeFully(final byte[] bytes, final int length, final int templateId, final int blockLength,
        final int version)
    {
        final UnsafeBuffer b = new UnsafeBuffer(bytes, 0, length);
        final int body = MessageHeaderDecoder.ENCODED_LENGTH;
        final int decoded = switch (templateId)
        {
            case ConnectDecoder.TEMPLATE_ID ->
            {
                final ConnectDecoder d = new ConnectDecoder().wrap(b, body, blockLength, version);
                d.correlationId();
                d.pid();
                d.name();
                yield d.encodedLength();
            }
            case ErrorDecoder.TEMPLATE_ID ->
            {
                final ErrorDecoder d = new ErrorDecoder().wrap(b, body, blockLength, version);
                d.codeRaw();
                d.message();
                yield d.encodedLength();
            }
            case QueueRevokedDecoder.TEMPLATE_ID ->
            {
                final QueueRevokedDecoder d = new QueueRevokedDecoder().wrap(b, body, blockLength, version);
                d.queueId();
                d.reasonRaw();
                d.message();
                yield d.encodedLength();
            }
            case QueueGrantedDecoder.TEMPLATE_ID ->
            {
                final QueueGrantedDecoder d = new QueueGrantedDecoder().wrap(b, body, blockLength, version);
                d.queueId();
                d.modeRaw();
                d.slotSize();
                d.channelPath();
                d.nic();
                yield d.encodedLength();
            }
            case RequestQueueDecoder.TEMPLATE_ID ->
            {
                final RequestQueueDecoder d = new RequestQueueDecoder().wrap(b, body, blockLength, version);
                d.ringSize();
                d.slotCount();
                d.serviceRaw();
                yield d.encodedLength();
            }
            case RegisterFilterDecoder.TEMPLATE_ID ->
            {
                final RegisterFilterDecoder d = new RegisterFilterDecoder().wrap(b, body, blockLength, version);
                d.kindRaw();
                d.remotePort();
                yield d.encodedLength();
            }
            case FilterRegisteredDecoder.TEMPLATE_ID ->
            {
                final FilterRegisteredDecoder d = new FilterRegisteredDecoder().wrap(b, body, blockLength, version);
                d.placementRaw();
                d.hardwareIndex();
                yield d.encodedLength();
            }
            case AttachQueueDriverDecoder.TEMPLATE_ID ->
            {
                final AttachQueueDriverDecoder d = new AttachQueueDriverDecoder().wrap(b, body, blockLength, version);
                d.txHeadWritebackIova();
                yield d.encodedLength();
            }
            default ->
            {
                // Fixed-size templates: their last field lies within the schema's block length, which the validator
                // checked against the bytes received; reading the whole block proves it.
                b.getBytes(body, new byte[blockLength], 0, blockLength);
                yield blockLength;
            }
        };
        return MessageHeaderDecoder.ENCODED_LENGTH + decoded;
    }

    /**
     * Whether the enum fields of an accepted message hold values the schema defines: a generated decoder's typed
     * accessor throws {@link IllegalArgumentException} on any other value.
     */
    static boolean enumsInRange(final byte[] bytes, final int length, final int templateId, final int blockLength,
        final int version)
    {
        final UnsafeBuffer b = new UnsafeBuffer(bytes, 0, length);
        final int body = MessageHeaderDecoder.ENCODED_LENGTH;
        try
        {
            switch (templateId)
            {
                case ErrorDecoder.TEMPLATE_ID -> new ErrorDecoder().wrap(b, body, blockLength, version).code();
                case QueueRevokedDecoder.TEMPLATE_ID ->
                    new QueueRevokedDecoder().wrap(b, body, blockLength, version).reason();
                case QueueGrantedDecoder.TEMPLATE_ID ->
                    new QueueGrantedDecoder().wrap(b, body, blockLength, version).mode();
                case FilterRegisteredDecoder.TEMPLATE_ID ->
                    new FilterRegisteredDecoder().wrap(b, body, blockLength, version).placement();
                case RequestQueueDecoder.TEMPLATE_ID ->
                    new RequestQueueDecoder().wrap(b, body, blockLength, version).service();
                case RegisterFilterDecoder.TEMPLATE_ID ->
                    new RegisterFilterDecoder().wrap(b, body, blockLength, version).kind();
                default ->
                {
                }
            }
            return true;
        }
        catch (final IllegalArgumentException ex)
        {
            return false;
        }
    }

    @FunctionalInterface
    interface Encoder
    {
        int encode(UnsafeBuffer buffer);
    }

    static byte[] encode(final Encoder encoder)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[ControlProtocol.MAX_MESSAGE_LENGTH + 64]);
        final int length = encoder.encode(buffer);
        return Arrays.copyOf(buffer.byteArray(), length);
    }
}
