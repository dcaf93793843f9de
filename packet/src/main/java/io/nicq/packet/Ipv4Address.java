package io.nicq.packet;

/**
 * An IPv4 address held in an {@code int} in host order, the convention of the control protocol ({@code 10.0.0.1} is
 * {@code 0x0A000001}). The flyweights read and write addresses in this form, so no byte swapping is left to the
 * caller and no object exists per address.
 */
public final class Ipv4Address
{
    /** Length of an IPv4 address on the wire. */
    public static final int LENGTH = 4;

    /** 0.0.0.0: "any" or "unset". */
    public static final int ANY = 0;

    /** 255.255.255.255: limited broadcast. */
    public static final int BROADCAST = 0xFFFF_FFFF;

    private Ipv4Address()
    {
    }

    /**
     * The netmask of a prefix length: 24 is 255.255.255.0.
     *
     * @param prefixLength 0..32.
     * @return the mask, host order.
     */
    public static int netmask(final int prefixLength)
    {
        if (prefixLength < 0 || prefixLength > 32)
        {
            throw new IllegalArgumentException("prefix length must be 0..32: " + prefixLength);
        }
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    /**
     * Whether two addresses are on the same subnet.
     *
     * @param address      to test.
     * @param network      any address of the subnet.
     * @param prefixLength of the subnet, 0..32.
     * @return true if the network bits match.
     */
    public static boolean sameSubnet(final int address, final int network, final int prefixLength)
    {
        final int mask = netmask(prefixLength);
        return (address & mask) == (network & mask);
    }

    /**
     * Whether an address is multicast (224.0.0.0/4).
     *
     * @param address host order.
     * @return true for 224.0.0.0 to 239.255.255.255.
     */
    public static boolean isMulticast(final int address)
    {
        return (address >>> 28) == 0xE;
    }

    /**
     * Parses dotted-quad text ({@code "10.0.0.1"}).
     *
     * @param text four decimal octets 0..255 separated by '.'.
     * @return the address, host order.
     * @throws IllegalArgumentException if the text is not an IPv4 address.
     */
    public static int parse(final CharSequence text)
    {
        if (text == null || text.isEmpty())
        {
            throw new IllegalArgumentException("not an IPv4 address (a.b.c.d): " + text);
        }

        int address = 0;
        int octets = 0;
        int value = -1;
        int digits = 0;
        for (int i = 0, length = text.length(); i <= length; i++)
        {
            final char c = i < length ? text.charAt(i) : '.';
            if (c == '.')
            {
                if (value < 0 || ++octets > 4)
                {
                    throw new IllegalArgumentException("not an IPv4 address (a.b.c.d): " + text);
                }
                address = (address << 8) | value;
                value = -1;
                digits = 0;
            }
            else if (c >= '0' && c <= '9' && digits < 3)
            {
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                digits++;
                if (value > 255)
                {
                    throw new IllegalArgumentException("not an IPv4 address (a.b.c.d): " + text);
                }
            }
            else
            {
                throw new IllegalArgumentException("not an IPv4 address (a.b.c.d): " + text);
            }
        }
        if (octets != 4)
        {
            throw new IllegalArgumentException("not an IPv4 address (a.b.c.d): " + text);
        }
        return address;
    }

    /**
     * Appends dotted-quad text without allocating.
     *
     * @param address host order.
     * @param builder to append to.
     * @return the builder.
     */
    public static StringBuilder appendTo(final int address, final StringBuilder builder)
    {
        return builder.append(address >>> 24).append('.')
            .append((address >>> 16) & 0xFF).append('.')
            .append((address >>> 8) & 0xFF).append('.')
            .append(address & 0xFF);
    }

    /**
     * Dotted-quad text.
     *
     * @param address host order.
     * @return e.g. {@code "10.0.0.1"}.
     */
    public static String toString(final int address)
    {
        return appendTo(address, new StringBuilder(15)).toString();
    }
}
