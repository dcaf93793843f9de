package io.nicq.net;

/**
 * What {@link Ipv4Input#check} makes of a received IPv4 packet: accepted, or the first check it fails. Each receiver
 * counts the reasons under its own names (client-lib's {@code DropReason}, the card driver's default-queue counters).
 */
public enum Ipv4Verdict
{
    /** Well formed, for this host, not a fragment: its payload may be handed to the protocol. */
    ACCEPTED,
    /** Shorter than its header: 20 bytes, or IHL x 4. */
    TRUNCATED,
    /** Version other than 4. */
    BAD_VERSION,
    /** IHL below 5. */
    BAD_IHL,
    /** Total length below the header length or beyond the bytes received. */
    BAD_TOTAL_LENGTH,
    /** Header checksum does not verify. */
    BAD_CHECKSUM,
    /** Addressed to another host, or to a multicast group (no group is joined). */
    NOT_FOR_THIS_HOST,
    /** Time to live 0: no host may send it (RFC 1122, 3.2.1.7), so its sender is broken. */
    TTL_EXPIRED,
    /** A fragment (more-fragments flag or an offset): fragments are not reassembled. */
    FRAGMENT
}
