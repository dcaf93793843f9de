package io.nicq.net;

import io.nicq.packet.Ipv4Header;

/**
 * The checks a received IPv4 packet passes before its payload reaches a protocol, in this order (the first that fails
 * is the verdict):
 * <pre>
 *   20 bytes there?  version 4?  IHL &gt;= 5?  header there?  total length in [IHL x 4, bytes there]?
 *   header checksum?  for this host ({@link Ipv4Link#acceptsDestination})?  TTL &gt; 0?  not a fragment?
 * </pre>
 * Lengths are checked before any field behind them is read: a packet is never read past what was received. Frames
 * under 60 bytes arrive padded, so the total length, not the frame length, says where the packet ends. TTL 1 is
 * accepted (a host must not drop a datagram for a TTL below 2, RFC 1122 3.2.1.7); TTL 0 is not, since no host may
 * send it.
 */
public final class Ipv4Input
{
    private Ipv4Input()
    {
    }

    /**
     * Checks the IPv4 packet under {@code ip}.
     *
     * @param ip        wrapped over the packet's first byte (nothing is read before the checks allow it).
     * @param available bytes received from that first byte on (the Ethernet payload, padding included).
     * @param link      this host's addressing: which destinations are its own.
     * @return {@link Ipv4Verdict#ACCEPTED} or the first failed check.
     */
    public static Ipv4Verdict check(final Ipv4Header ip, final int available, final Ipv4Link link)
    {
        if (available < Ipv4Header.MIN_HEADER_LENGTH)
        {
            return Ipv4Verdict.TRUNCATED;
        }
        if (ip.version() != Ipv4Header.VERSION)
        {
            return Ipv4Verdict.BAD_VERSION;
        }
        final int headerLength = ip.headerLength();
        if (headerLength < Ipv4Header.MIN_HEADER_LENGTH)
        {
            return Ipv4Verdict.BAD_IHL;
        }
        if (headerLength > available)
        {
            return Ipv4Verdict.TRUNCATED;
        }
        final int totalLength = ip.totalLength();
        if (totalLength < headerLength || totalLength > available)
        {
            return Ipv4Verdict.BAD_TOTAL_LENGTH;
        }
        if (!ip.verifyChecksum())
        {
            return Ipv4Verdict.BAD_CHECKSUM;
        }
        if (!link.acceptsDestination(ip.destination()))
        {
            return Ipv4Verdict.NOT_FOR_THIS_HOST;
        }
        if (ip.ttl() == 0)
        {
            return Ipv4Verdict.TTL_EXPIRED;
        }
        if (ip.isFragment())
        {
            return Ipv4Verdict.FRAGMENT;
        }
        return Ipv4Verdict.ACCEPTED;
    }
}
