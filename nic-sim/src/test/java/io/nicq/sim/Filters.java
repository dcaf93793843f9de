package io.nicq.sim;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.FlowDirectorFields;
import io.nicq.ixgbe.FlowDirectorHash;

import static io.nicq.ixgbe.Registers.*;

/** Programs the 82599's filters as a driver does (DPDK's order for 5-tuple filters: DAQF, SAQF, SDPQF, FTQF, IMIR). */
final class Filters
{
    static final int MASK_ALL_BUT_PROTOCOL = FTQF_MASK_SOURCE_ADDRESS | FTQF_MASK_DESTINATION_ADDRESS |
        FTQF_MASK_SOURCE_PORT | FTQF_MASK_DESTINATION_PORT;

    private Filters()
    {
    }

    /** An IPv4 address (10.0.0.1 as 0x0A000001) as SAQF/DAQF hold it: network order seen by a little-endian load. */
    static int address(final int ip)
    {
        return Integer.reverseBytes(ip);
    }

    /** A port as one half of SDPQF holds it: network order seen by a little-endian load. */
    static int port(final int port)
    {
        return Short.toUnsignedInt(Short.reverseBytes((short)port));
    }

    static void fiveTuple(final Bar bar, final int n, final int protocol, final int sourceIp,
        final int destinationIp, final int sourcePort, final int destinationPort, final int masks, final int priority,
        final int queue)
    {
        fiveTupleRaw(bar, n, protocol, address(sourceIp), address(destinationIp),
            port(sourcePort) | (port(destinationPort) << 16), masks, priority, queue);
    }

    static void fiveTupleRaw(final Bar bar, final int n, final int protocol, final int saqf, final int daqf,
        final int sdpqf, final int masks, final int priority, final int queue)
    {
        bar.write(daqf(n), daqf);
        bar.write(saqf(n), saqf);
        bar.write(sdpqf(n), sdpqf);
        bar.write(ftqf(n), FTQF_QUEUE_ENABLE | FTQF_POOL_MASK_BIT | masks | (priority << FTQF_PRIORITY_SHIFT) |
            (protocol & FTQF_PROTOCOL_MASK));
        bar.write(l34tImir(n), L34T_IMIR_RESERVE | (queue << L34T_IMIR_RX_QUEUE_SHIFT));
    }

    static void etherType(final Bar bar, final int n, final int etherType, final boolean queueEnable,
        final int queue)
    {
        bar.write(etqf(n), ETQF_FILTER_ENABLE | etherType);
        bar.write(etqs(n), (queueEnable ? ETQS_QUEUE_ENABLE : 0) | (queue << ETQS_RX_QUEUE_SHIFT));
    }

    static void syn(final Bar bar, final int queue, final boolean beforeFiveTuple)
    {
        bar.write(SYNQF, SYNQF_QUEUE_ENABLE | (queue << SYNQF_RX_QUEUE_SHIFT) |
            (beforeFiveTuple ? SYNQF_PRIORITY_OVER_5TUPLE : 0));
    }

    /**
     * Flow director in perfect-match mode as DPDK's ixgbe_fdir_configure sets it up: RXPBSIZE(0) reduced by the table's
     * share, the global masks (VLAN, pool, flexible bytes and IPv6 not compared; the source address and port only if
     * {@code compareSource}), the hash keys, then FDIRCTRL (drop queue 127, chains of up to 10) and INIT_DONE.
     */
    static void flowDirectorInit(final Bar bar, final int pballoc, final boolean compareSource)
    {
        bar.write(rxpbsize(0), Math.min(bar.read(rxpbsize(0)), RX_PACKET_BUFFER_BYTES - fdirPacketBufferBytes(pballoc)));
        bar.write(FDIRM, FDIRM_VLANID | FDIRM_VLANP | FDIRM_POOL | FDIRM_FLEX | FDIRM_DIPV6);
        final int port = FlowDirectorFields.portMask(compareSource ? 0xFFFF : 0, 0xFFFF);
        bar.write(FDIRTCPM, port);
        bar.write(FDIRUDPM, port);
        bar.write(FDIRSIP4M, FlowDirectorFields.addressMask(compareSource ? 0xFFFFFFFF : 0));
        bar.write(FDIRDIP4M, FlowDirectorFields.addressMask(0xFFFFFFFF));
        bar.write(FDIRHKEY, FDIR_BUCKET_HASH_KEY);
        bar.write(FDIRSKEY, FDIR_SIGNATURE_HASH_KEY);
        bar.write(FDIRCTRL, pballoc | FDIRCTRL_PERFECT_MATCH | (127 << FDIRCTRL_DROP_QUEUE_SHIFT) |
            (0xA << FDIRCTRL_MAX_LENGTH_SHIFT));
    }

    /** The bucket a perfect-match filter for this flow goes in (source fields 0 when they are masked). */
    static int flowDirectorBucket(final int pballoc, final int flowType, final int sourceIp, final int destinationIp,
        final int sourcePort, final int destinationPort)
    {
        return FlowDirectorHash.perfectBucket(FDIR_BUCKET_HASH_KEY, pballoc, flowType, destinationIp, sourceIp,
            sourcePort, destinationPort);
    }

    /** Writes a perfect-match filter's fields and FDIRHASH, then FDIRCMD with {@code command}. */
    static void flowDirectorCommand(final Bar bar, final int bucket, final int swIndex, final int sourceIp,
        final int destinationIp, final int sourcePort, final int destinationPort, final int command)
    {
        bar.write(FDIRIPSA, FlowDirectorFields.address(sourceIp));
        bar.write(FDIRIPDA, FlowDirectorFields.address(destinationIp));
        bar.write(FDIRPORT, FlowDirectorFields.ports(sourcePort, destinationPort));
        bar.write(FDIRVLAN, 0);
        bar.write(FDIRHASH, FlowDirectorFields.hash(bucket, swIndex));
        bar.write(FDIRCMD, command);
    }

    /** The key of Microsoft's RSS verification suite. */
    static final byte[] RSS_KEY = hex("6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b4" +
        "77cb2da38030f20c6a42b73bbeac01fa");

    /** RSS over TCP/IPv4 and IPv4 with the verification key and RETA entry i = i % 16. */
    static void rss(final Bar bar, final int fields)
    {
        for (int n = 0; n < RSSRK_REGISTER_COUNT; n++)
        {
            int value = 0;
            for (int k = 0; k < 4; k++)
            {
                value |= (RSS_KEY[4 * n + k] & 0xFF) << (8 * k);
            }
            bar.write(rssrk(n), value);
        }
        for (int n = 0; n < RETA_REGISTER_COUNT; n++)
        {
            int value = 0;
            for (int k = 0; k < 4; k++)
            {
                value |= ((4 * n + k) % 16) << (8 * k);
            }
            bar.write(reta(n), value);
        }
        bar.write(MRQC, MRQC_RSS_ENABLED | fields);
    }

    private static byte[] hex(final String text)
    {
        final byte[] bytes = new byte[text.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(text.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }
}
