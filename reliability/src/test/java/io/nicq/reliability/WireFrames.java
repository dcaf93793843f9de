package io.nicq.reliability;

import java.util.Arrays;
import java.util.List;

import io.nicq.client.DropReason;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Frames from the wire for the frame fuzzer, and an oracle written independently of the code under test (its own
 * byte parsing and one's complement sums) that says where each frame must end up: dropped by the card (too short,
 * too long, not for this MAC), steered to the default queue, or steered to the test's queue and there delivered to
 * the UDP socket or dropped by the client's stack for a given {@link DropReason}.
 * <p>
 * A frame starts as a valid UDP datagram from the peer to the card's port and then takes a list of mutations aimed
 * at every check of the path: MAC, EtherType (ARP, IPv6, VLAN, 802.3 lengths), IP version, IHL, total length, TTL,
 * fragments, protocol, addresses, UDP length and checksum, truncation, trailing bytes, bit flips, or wholly random
 * bytes; optionally the checksums are recomputed afterwards so that the checks behind them are reached too.
 */
final class WireFrames
{
    static final int PORT = 7777;
    static final long BROADCAST_MAC = 0xFFFF_FFFF_FFFFL;
    static final int SUBNET_BROADCAST = 0x0A0000FF;
    static final byte[] MAGIC = {'N', 'I', 'C', 'Q', 'F', 'U', 'Z', 'Z'};

    /** Largest frame the card takes without jumbo frames: 1518 with FCS, 1514 on the wire (+4 with a VLAN tag). */
    static final int MAX_FRAME = 1514;

    /** Where the card puts a frame. */
    enum Route
    {
        FRAGMENT, RUNT, OVERSIZE, MAC_FILTERED, DEFAULT_QUEUE, TEST_QUEUE
    }

    enum Kind
    {
        DST_MAC, ETHER_TYPE, VLAN_TAG, IP_VERSION, IHL, TOTAL_LENGTH, TTL, FRAGMENT, PROTOCOL, SRC_IP, DST_IP,
        UDP_LENGTH, UDP_CHECKSUM, DST_PORT, TRUNCATE, EXTEND, FLIP_BIT, RANDOM_FRAME
    }

    record Mutation(Kind kind, int value, double where)
    {
    }

    /** A frame to inject: how it is built; {@link #build} makes the bytes. */
    record Case(int payloadLength, List<Mutation> mutations, boolean fixIpChecksum, boolean fixUdpChecksum)
    {
    }

    private WireFrames()
    {
    }

    static Arbitrary<Case> cases()
    {
        final Arbitrary<Integer> payload = Arbitraries.frequencyOf(
            Tuple.of(6, Arbitraries.integers().between(16, 64)),
            Tuple.of(3, Arbitraries.integers().between(16, 1472)),
            Tuple.of(1, Arbitraries.of(16, 1472, 1473, 1476, 2000)));
        final Arbitrary<Mutation> mutation = Combinators.combine(Arbitraries.of(Kind.class),
            Arbitraries.integers(), Arbitraries.doubles().between(0, 1)).as(Mutation::new);
        final Arbitrary<List<Mutation>> mutations = Arbitraries.frequencyOf(
            Tuple.of(2, Arbitraries.just(List.<Mutation>of())),
            Tuple.of(8, mutation.list().ofMinSize(1).ofMaxSize(3)));
        return Combinators.combine(payload, mutations, Arbitraries.of(true, false), Arbitraries.of(true, false))
            .as(Case::new);
    }

    /** The frame of a case, numbered {@code id} (the first payload bytes are a marker and the id). */
    static byte[] build(final Case c, final long id, final long cardMac, final int cardIp, final long peerMac,
        final int peerIp)
    {
        final int udpLength = 8 + c.payloadLength();
        byte[] f = new byte[14 + 20 + udpLength];
        putMac(f, 0, cardMac);
        putMac(f, 6, peerMac);
        be16(f, 12, 0x0800);
        f[14] = 0x45;
        be16(f, 16, 20 + udpLength);
        be16(f, 18, (int)id);
        be16(f, 20, 0x4000);
        f[22] = 64;
        f[23] = 17;
        be32(f, 26, peerIp);
        be32(f, 30, cardIp);
        be16(f, 34, 40000 + (int)(id & 0xFFF));
        be16(f, 36, PORT);
        be16(f, 38, udpLength);
        System.arraycopy(MAGIC, 0, f, 42, MAGIC.length);
        for (int i = 0; i < 8; i++)
        {
            f[50 + i] = (byte)(id >>> (8 * i));
        }
        for (int i = 58; i < f.length; i++)
        {
            f[i] = (byte)(i * 7 + id);
        }
        ipChecksum(f, 14);
        udpChecksum(f, 14);

        int l3 = 14;
        for (final Mutation m : c.mutations())
        {
            final int v = m.value();
            final int at = f.length == 0 ? 0 : Math.min(f.length - 1, (int)(m.where() * f.length));
            switch (m.kind())
            {
                case DST_MAC -> putMac(f, 0, switch (Math.floorMod(v, 4))
                {
                    case 0 -> BROADCAST_MAC;
                    case 1 -> 0x01_00_5E_00_00_01L;     // IPv4 multicast
                    case 2 -> peerMac;                  // some other host
                    default -> cardMac ^ 0x0100;
                });
                case ETHER_TYPE -> be16(f, 12, switch (Math.floorMod(v, 6))
                {
                    case 0 -> 0x0806;
                    case 1 -> 0x86DD;
                    case 2 -> 0x88F7;
                    case 3 -> v & 0x05FF;               // an 802.3 length
                    case 4 -> 0x8100;
                    default -> v & 0xFFFF;
                });
                case VLAN_TAG ->
                {
                    if (l3 == 14)
                    {
                        final byte[] tagged = new byte[f.length + 4];
                        System.arraycopy(f, 0, tagged, 0, 12);
                        be16(tagged, 12, 0x8100);
                        be16(tagged, 14, v & 0x0FFF);
                        System.arraycopy(f, 12, tagged, 16, f.length - 12);
                        f = tagged;
                        l3 = 18;
                    }
                }
                case IP_VERSION -> f[l3] = (byte)((f[l3] & 0x0F) | ((v & 0x0F) << 4));
                case IHL -> f[l3] = (byte)((f[l3] & 0xF0) | (v & 0x0F));
                case TOTAL_LENGTH -> be16(f, l3 + 2, Math.floorMod(v, 3) == 0 ? v & 0xFFFF :
                    (be16(f, l3 + 2) + (v % 64)) & 0xFFFF);
                case TTL -> f[l3 + 8] = (byte)(Math.floorMod(v, 3) == 0 ? 0 : v);
                case FRAGMENT -> be16(f, l3 + 6, switch (Math.floorMod(v, 4))
                {
                    case 0 -> 0x2000;                   // more fragments
                    case 1 -> 0x0001 + (v >>> 20 & 0x1FFF); // an offset
                    case 2 -> 0x8000;                   // the reserved bit only: not a fragment
                    default -> v & 0xFFFF;
                });
                case PROTOCOL -> f[l3 + 9] = (byte)(switch (Math.floorMod(v, 4))
                {
                    case 0 -> 1;
                    case 1 -> 6;
                    case 2 -> 132;
                    default -> v;
                });
                case SRC_IP -> be32(f, l3 + 12, Math.floorMod(v, 2) == 0 ? cardIp : v);
                case DST_IP -> be32(f, l3 + 16, switch (Math.floorMod(v, 4))
                {
                    case 0 -> 0xFFFF_FFFF;
                    case 1 -> SUBNET_BROADCAST;
                    case 2 -> peerIp;
                    default -> v;
                });
                case UDP_LENGTH -> be16(f, l3 + 20 + 4, Math.floorMod(v, 3) == 0 ? v & 0xFFFF :
                    (be16(f, l3 + 24) + (v % 16)) & 0xFFFF);
                case UDP_CHECKSUM -> be16(f, l3 + 20 + 6, Math.floorMod(v, 2) == 0 ? 0 : v & 0xFFFF);
                case DST_PORT -> be16(f, l3 + 20 + 2, Math.floorMod(v, 2) == 0 ? PORT + 1 : v & 0xFFFF);
                case TRUNCATE -> f = Arrays.copyOf(f, at);
                case EXTEND -> f = Arrays.copyOf(f, f.length + 1 + Math.floorMod(v, 1600));
                case FLIP_BIT ->
                {
                    if (f.length > 0)
                    {
                        f[at] ^= (byte)(1 << (v & 7));
                    }
                }
                case RANDOM_FRAME ->
                {
                    final java.util.Random random = new java.util.Random(v);
                    f = new byte[random.nextInt(1600)];
                    random.nextBytes(f);
                    if (random.nextBoolean() && f.length >= 6)
                    {
                        putMac(f, 0, cardMac);
                    }
                    l3 = -1;
                }
                default -> throw new IllegalStateException(m.kind().name());
            }
            if (l3 < 0)
            {
                break;
            }
            if (f.length < l3 + 28)
            {
                // Truncated below the headers: the remaining mutations would write past the end.
                break;
            }
        }
        if (l3 > 0 && f.length >= l3 + 20)
        {
            final int headerLength = (f[l3] & 0x0F) * 4;
            if (c.fixIpChecksum() && headerLength >= 20 && f.length >= l3 + headerLength)
            {
                ipChecksum(f, l3);
            }
            if (c.fixUdpChecksum() && headerLength == 20 && f.length >= l3 + 28)
            {
                final int udpLen = be16(f, l3 + 24);
                if (udpLen >= 8 && l3 + 20 + udpLen <= f.length)
                {
                    udpChecksum(f, l3);
                }
            }
        }
        return f;
    }

    /** Where the card must put a frame (the card driver programs only the ARP EtherType filter and our port). */
    static Route route(final byte[] f, final long cardMac, final int cardIp)
    {
        final int length = f.length;
        if (length < 12)
        {
            return Route.FRAGMENT;  // no addresses: no statistics register counts it (82599 spec update, 18)
        }
        if (length < 60)
        {
            return Route.RUNT;      // under 64 bytes with the FCS, unpadded (RUC, 8.2.3.23)
        }
        final boolean vlan = length >= 18 && (f[12] & 0xFF) == 0x81 && f[13] == 0;
        if (length > MAX_FRAME + (vlan ? 4 : 0))
        {
            return Route.OVERSIZE;
        }
        final long destination = mac(f, 0);
        if (destination != cardMac && destination != BROADCAST_MAC)
        {
            return Route.MAC_FILTERED;
        }
        int l3 = 14;
        int etherType = be16(f, 12);
        if (etherType == 0x8100 && length >= 18)
        {
            etherType = be16(f, 16);
            l3 = 18;
        }
        if (etherType != 0x0800 || length < l3 + 20)
        {
            return Route.DEFAULT_QUEUE;
        }
        final int headerLength = (f[l3] & 0x0F) * 4;
        if ((f[l3] & 0xF0) != 0x40 || headerLength < 20 || length < l3 + headerLength)
        {
            return Route.DEFAULT_QUEUE;
        }
        final int protocol = f[l3 + 9] & 0xFF;
        final boolean fragment = (be16(f, l3 + 6) & 0x3FFF) != 0;
        final boolean hasPorts = !fragment && length >= l3 + headerLength + 4;
        if (protocol == 17 && hasPorts && be32(f, l3 + 16) == cardIp && be16(f, l3 + headerLength + 2) == PORT)
        {
            return Route.TEST_QUEUE;
        }
        return Route.DEFAULT_QUEUE;
    }

    /**
     * What the client's stack must do with a frame in the test's queue: null to deliver it to the socket bound
     * to {@link #PORT}, else the drop reason.
     */
    static DropReason verdict(final byte[] f, final int cardIp)
    {
        final int length = f.length;
        if (length < 14)
        {
            return DropReason.TRUNCATED_ETHERNET;
        }
        final int etherType = be16(f, 12);
        if (etherType != 0x0800)
        {
            return etherType == 0x0806 ? DropReason.ARP : DropReason.ETHER_TYPE;
        }
        final int available = length - 14;
        if (available < 20)
        {
            return DropReason.TRUNCATED_IPV4;
        }
        if ((f[14] & 0xF0) != 0x40)
        {
            return DropReason.BAD_IP_VERSION;
        }
        final int headerLength = (f[14] & 0x0F) * 4;
        if (headerLength < 20)
        {
            return DropReason.BAD_IHL;
        }
        if (headerLength > available)
        {
            return DropReason.TRUNCATED_IPV4;
        }
        final int totalLength = be16(f, 16);
        if (totalLength < headerLength || totalLength > available)
        {
            return DropReason.BAD_TOTAL_LENGTH;
        }
        if (sum(f, 14, headerLength, 0) != 0xFFFF)
        {
            return DropReason.BAD_IP_CHECKSUM;
        }
        final int destination = be32(f, 30);
        if (destination != cardIp && destination != 0xFFFF_FFFF && destination != SUBNET_BROADCAST)
        {
            return DropReason.WRONG_DESTINATION;
        }
        if ((f[22] & 0xFF) == 0)
        {
            return DropReason.TTL_EXPIRED;
        }
        if ((be16(f, 20) & 0x3FFF) != 0)
        {
            return DropReason.FRAGMENT;
        }
        if ((f[23] & 0xFF) != 17)
        {
            return DropReason.PROTOCOL;     // only UDP reaches a client queue through a UDP port filter
        }
        final int ipPayload = totalLength - headerLength;
        if (ipPayload < 8)
        {
            return DropReason.TRUNCATED_UDP;
        }
        final int l4 = 14 + headerLength;
        final int udpLength = be16(f, l4 + 4);
        if (udpLength < 8 || udpLength > ipPayload)
        {
            return DropReason.BAD_UDP_LENGTH;
        }
        if (be16(f, l4 + 6) != 0)
        {
            final int pseudo = pseudoSum(be32(f, 26), destination, 17, udpLength);
            if (sum(f, l4, udpLength, pseudo) != 0xFFFF)
            {
                return DropReason.BAD_UDP_CHECKSUM;
            }
        }
        if (be16(f, l4 + 2) != PORT)
        {
            return DropReason.NO_SOCKET;
        }
        return null;
    }

    /** The payload the socket must be handed for a frame the stack delivers. */
    static byte[] payload(final byte[] f)
    {
        final int l4 = 14 + (f[14] & 0x0F) * 4;
        return Arrays.copyOfRange(f, l4 + 8, l4 + be16(f, l4 + 4));
    }

    // -----------------------------------------------------------------------------------------------------------
    // Bytes, written here rather than with the packet module, so the oracle does not share the code it checks
    // -----------------------------------------------------------------------------------------------------------

    static int be16(final byte[] f, final int at)
    {
        return ((f[at] & 0xFF) << 8) | (f[at + 1] & 0xFF);
    }

    static void be16(final byte[] f, final int at, final int v)
    {
        f[at] = (byte)(v >>> 8);
        f[at + 1] = (byte)v;
    }

    static int be32(final byte[] f, final int at)
    {
        return (be16(f, at) << 16) | be16(f, at + 2);
    }

    static void be32(final byte[] f, final int at, final int v)
    {
        be16(f, at, v >>> 16);
        be16(f, at + 2, v);
    }

    static long mac(final byte[] f, final int at)
    {
        long mac = 0;
        for (int i = 0; i < 6; i++)
        {
            mac = (mac << 8) | (f[at + i] & 0xFF);
        }
        return mac;
    }

    static void putMac(final byte[] f, final int at, final long mac)
    {
        for (int i = 0; i < 6; i++)
        {
            f[at + i] = (byte)(mac >>> (8 * (5 - i)));
        }
    }

    /** One's complement sum of {@code length} bytes (odd length padded with a zero), folded, plus {@code initial}. */
    static int sum(final byte[] f, final int at, final int length, final int initial)
    {
        long sum = initial;
        for (int i = 0; i + 1 < length; i += 2)
        {
            sum += be16(f, at + i);
        }
        if ((length & 1) != 0)
        {
            sum += (f[at + length - 1] & 0xFF) << 8;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)sum;
    }

    static int pseudoSum(final int source, final int destination, final int protocol, final int length)
    {
        long sum = (source >>> 16) + (source & 0xFFFF) + (destination >>> 16) + (destination & 0xFFFF) + protocol +
            length;
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)sum;
    }

    static void ipChecksum(final byte[] f, final int l3)
    {
        final int headerLength = (f[l3] & 0x0F) * 4;
        be16(f, l3 + 10, 0);
        be16(f, l3 + 10, ~sum(f, l3, headerLength, 0) & 0xFFFF);
    }

    static void udpChecksum(final byte[] f, final int l3)
    {
        final int l4 = l3 + 20;
        final int udpLength = be16(f, l4 + 4);
        be16(f, l4 + 6, 0);
        final int checksum = ~sum(f, l4, udpLength, pseudoSum(be32(f, l3 + 12), be32(f, l3 + 16), 17, udpLength)) &
            0xFFFF;
        be16(f, l4 + 6, checksum == 0 ? 0xFFFF : checksum);
    }
}
