package io.nicq.packet;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * An Ethernet MAC address held in a {@code long}: the low 48 bits, first octet most significant, the convention of
 * the control protocol ({@code 02:00:00:00:00:01} is {@code 0x020000000001L}). No object per address.
 */
public final class MacAddress
{
    /** Length of a MAC address on the wire. */
    public static final int LENGTH = 6;

    /** ff:ff:ff:ff:ff:ff. */
    public static final long BROADCAST = 0xFFFF_FFFF_FFFFL;

    /** 00:00:00:00:00:00, also "unknown" (an ARP request's target hardware address). */
    public static final long ZERO = 0L;

    private static final long MASK = 0xFFFF_FFFF_FFFFL;
    private static final long IPV4_MULTICAST_PREFIX = 0x01_00_5E_00_00_00L;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private MacAddress()
    {
    }

    /**
     * Reads six bytes in wire order.
     *
     * @param buffer holding the address.
     * @param index  of its first octet.
     * @return the address in the low 48 bits.
     */
    public static long get(final DirectBuffer buffer, final int index)
    {
        return ((buffer.getShort(index, ByteOrder.BIG_ENDIAN) & 0xFFFFL) << 32) |
            (buffer.getInt(index + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL);
    }

    /**
     * Writes six bytes in wire order.
     *
     * @param buffer to write to.
     * @param index  of the first octet.
     * @param mac    address in the low 48 bits.
     */
    public static void put(final MutableDirectBuffer buffer, final int index, final long mac)
    {
        buffer.putShort(index, (short)(mac >>> 32), ByteOrder.BIG_ENDIAN);
        buffer.putInt(index + 2, (int)mac, ByteOrder.BIG_ENDIAN);
    }

    /**
     * Whether the address is a group (multicast or broadcast) address: the least significant bit of the first octet.
     *
     * @param mac address.
     * @return true for multicast and broadcast.
     */
    public static boolean isMulticast(final long mac)
    {
        return (mac & 0x0100_0000_0000L) != 0;
    }

    /**
     * The Ethernet group address an IPv4 multicast group is sent to (RFC 1112, 6.4): 01:00:5e followed by the low 23
     * bits of the group address.
     *
     * @param group IPv4 multicast address (224.0.0.0/4), host order.
     * @return the MAC address in the low 48 bits.
     */
    public static long ofIpv4Multicast(final int group)
    {
        return IPV4_MULTICAST_PREFIX | (group & 0x7F_FFFF);
    }

    /**
     * Parses {@code "02:00:00:00:00:01"} (also with '-' separators, either case).
     *
     * @param text six hex octets separated by ':' or '-'.
     * @return the address in the low 48 bits.
     * @throws IllegalArgumentException if the text is not a MAC address.
     */
    public static long parse(final CharSequence text)
    {
        if (text == null || text.length() != 17)
        {
            throw new IllegalArgumentException("not a MAC address (xx:xx:xx:xx:xx:xx): " + text);
        }

        long mac = 0;
        for (int octet = 0; octet < LENGTH; octet++)
        {
            final int at = octet * 3;
            if (octet > 0)
            {
                final char separator = text.charAt(at - 1);
                if (separator != ':' && separator != '-')
                {
                    throw new IllegalArgumentException("not a MAC address (xx:xx:xx:xx:xx:xx): " + text);
                }
            }
            final int hi = Character.digit(text.charAt(at), 16);
            final int lo = Character.digit(text.charAt(at + 1), 16);
            if (hi < 0 || lo < 0)
            {
                throw new IllegalArgumentException("not a MAC address (xx:xx:xx:xx:xx:xx): " + text);
            }
            mac = (mac << 8) | (hi << 4) | lo;
        }
        return mac;
    }

    /**
     * Appends the address as {@code 02:00:00:00:00:01}, without allocating.
     *
     * @param mac     address in the low 48 bits.
     * @param builder to append to.
     * @return the builder.
     */
    public static StringBuilder appendTo(final long mac, final StringBuilder builder)
    {
        for (int shift = 40; shift >= 0; shift -= 8)
        {
            final int octet = (int)(mac >>> shift) & 0xFF;
            builder.append(HEX[octet >>> 4]).append(HEX[octet & 0xF]);
            if (shift > 0)
            {
                builder.append(':');
            }
        }
        return builder;
    }

    /**
     * The address as {@code 02:00:00:00:00:01}.
     *
     * @param mac address in the low 48 bits (higher bits ignored).
     * @return the text form.
     */
    public static String toString(final long mac)
    {
        return appendTo(mac & MASK, new StringBuilder(17)).toString();
    }
}
