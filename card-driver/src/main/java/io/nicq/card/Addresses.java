package io.nicq.card;

import io.nicq.packet.Ipv4Address;

/**
 * The card's address as the command line gives it ({@code 10.0.0.1/24}). Addresses themselves are parsed and printed
 * by {@link Ipv4Address} and {@code io.nicq.packet.MacAddress}, in the control protocol's conventions.
 */
public final class Addresses
{
    private Addresses()
    {
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
            final int address = Ipv4Address.parse(slash < 0 ? text : text.substring(0, slash));
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
            return Ipv4Address.toString(address) + "/" + prefixLength;
        }
    }
}
