package io.nicq.sim;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * MAC addresses as a long holding the six octets with the first octet in bits 7:0: the layout of RAL (octets 1-4)
 * and RAH (octets 5-6), and of a little-endian load of the address from a frame.
 */
public final class MacAddress
{
    private MacAddress()
    {
    }

    /** Parses "02:00:00:aa:bb:cc" (or with '-'). */
    public static long parse(final String text)
    {
        final String[] parts = text.trim().split("[:-]");
        if (parts.length != 6)
        {
            throw new IllegalArgumentException("MAC address '" + text +
                "' must be six hex octets like 02:00:5e:00:00:01");
        }
        long value = 0;
        for (int i = 0; i < 6; i++)
        {
            final int octet;
            try
            {
                octet = Integer.parseInt(parts[i], 16);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("MAC address '" + text + "': '" + parts[i] + "' is not hex", ex);
            }
            if (octet < 0 || octet > 255 || parts[i].length() > 2)
            {
                throw new IllegalArgumentException("MAC address '" + text + "': '" + parts[i] + "' is not an octet");
            }
            value |= (long)octet << (8 * i);
        }
        return value;
    }

    public static String format(final long mac)
    {
        final StringBuilder text = new StringBuilder(17);
        for (int i = 0; i < 6; i++)
        {
            if (i > 0)
            {
                text.append(':');
            }
            final int octet = (int)(mac >>> (8 * i)) & 0xFF;
            text.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xF, 16));
        }
        return text.toString();
    }

    /** Octet i (0 = first on the wire). */
    public static int octet(final long mac, final int i)
    {
        return (int)(mac >>> (8 * i)) & 0xFF;
    }

    /** The address as six bytes in wire order. */
    public static byte[] toBytes(final long mac)
    {
        final byte[] bytes = new byte[6];
        for (int i = 0; i < 6; i++)
        {
            bytes[i] = (byte)octet(mac, i);
        }
        return bytes;
    }

    /** RAL's value for this address. */
    public static int ral(final long mac)
    {
        return (int)mac;
    }

    /** RAH's address bits for this address (without AV). */
    public static int rahAddress(final long mac)
    {
        return (int)(mac >>> 32) & 0xFFFF;
    }

    /**
     * A locally administered unicast address derived from a card name, stable across runs:
     * 02:xx:xx:xx:xx:xx with the other five octets from a checksum of the name.
     */
    public static long forCard(final String card)
    {
        final CRC32 crc = new CRC32();
        final byte[] name = card.getBytes(StandardCharsets.UTF_8);
        crc.update(name);
        final long first = crc.getValue();
        crc.update(name);
        final long second = crc.getValue();
        long mac = 0x02;
        mac |= (first & 0xFFFF_FFFFL) << 8;
        mac |= (second & 0xFFL) << 40;
        return mac;
    }
}
