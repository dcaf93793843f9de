package io.nicq.card;

/**
 * IPv4 and MAC addresses as the control protocol carries them: an IPv4 address is an int in host order (10.0.0.1 is
 * 0x0A000001), a MAC address the low 48 bits of a long with the first octet most significant. Parsing and printing
 * for options, logs and messages; nothing here is on a packet path.
 */
public final class Addresses
{
    private Addresses()
    {
    }

    /**
     * Parses a dotted quad.
     *
     * @throws IllegalArgumentException naming the text when it is not an IPv4 address
     */
    public static int parseIpv4(final String text)
    {
        final String[] parts = text == null ? new String[0] : text.trim().split("\\.", -1);
        if (parts.length != 4)
        {
            throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (a.b.c.d)");
        }
        int address = 0;
        for (final String part : parts)
        {
            final int octet;
            try
            {
                octet = part.isEmpty() || part.length() > 3 ? -1 : Integer.parseInt(part);
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (a.b.c.d)", ex);
            }
            if (octet < 0 || octet > 255)
            {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address: octet '" + part + "'");
            }
            address = (address << 8) | octet;
        }
        return address;
    }

    /** 10.0.0.1 for 0x0A000001. */
    public static String ipv4ToString(final int address)
    {
        return ((address >>> 24) & 0xFF) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." +
            (address & 0xFF);
    }

    /** 02:00:00:00:00:01 for 0x020000000001. */
    public static String macToString(final long mac)
    {
        final StringBuilder builder = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8)
        {
            final int octet = (int)(mac >>> shift) & 0xFF;
            builder.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xF, 16));
            if (shift > 0)
            {
                builder.append(':');
            }
        }
        return builder.toString();
    }

    /** The network mask of a prefix length: 24 gives 0xFFFFFF00. */
    public static int netmask(final int prefixLength)
    {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    /** An address with its prefix length, as given on the command line: {@code 10.0.0.1/24}. */
    public record Ipv4WithPrefix(int address, int prefixLength)
    {
        /**
         * Parses {@code a.b.c.d/n}; without {@code /n} the prefix is 24.
         *
         * @throws IllegalArgumentException naming the text when it is malformed
         */
        public static Ipv4WithPrefix parse(final String text)
        {
            if (text == null)
            {
                throw new IllegalArgumentException("no IPv4 address given");
            }
            final int slash = text.indexOf('/');
            final int address = parseIpv4(slash < 0 ? text : text.substring(0, slash));
            int prefixLength = 24;
            if (slash >= 0)
            {
                try
                {
                    prefixLength = Integer.parseInt(text.substring(slash + 1));
                }
                catch (final NumberFormatException ex)
                {
                    prefixLength = -1;
                }
                if (prefixLength < 1 || prefixLength > 32)
                {
                    throw new IllegalArgumentException("'" + text + "': prefix length must be 1..32");
                }
            }
            if (address == 0)
            {
                throw new IllegalArgumentException("'" + text + "': 0.0.0.0 cannot be the card's address");
            }
            return new Ipv4WithPrefix(address, prefixLength);
        }

        public String toString()
        {
            return ipv4ToString(address) + "/" + prefixLength;
        }
    }
}
