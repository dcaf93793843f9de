package io.nicq.packet;

import java.nio.ByteOrder;

/**
 * Host/network byte order conversions (htons and friends) for values that travel as raw integers, e.g. a port read
 * with a native-order load. The flyweights of this package already read and write big-endian, so their accessors
 * return host values and need none of this.
 */
public final class NetworkOrder
{
    /** Whether host order is network order (big-endian); false on x86 and little-endian ARM. */
    public static final boolean HOST_IS_NETWORK_ORDER = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN;

    private NetworkOrder()
    {
    }

    /**
     * Host to network order, 16 bits.
     *
     * @param value host order, low 16 bits used.
     * @return network order, as an unsigned 16-bit value.
     */
    public static int htons(final int value)
    {
        return HOST_IS_NETWORK_ORDER ? value & 0xFFFF : Short.reverseBytes((short)value) & 0xFFFF;
    }

    /**
     * Network to host order, 16 bits.
     *
     * @param value network order, low 16 bits used.
     * @return host order, as an unsigned 16-bit value.
     */
    public static int ntohs(final int value)
    {
        return htons(value);
    }

    /**
     * Host to network order, 32 bits.
     *
     * @param value host order.
     * @return network order.
     */
    public static int htonl(final int value)
    {
        return HOST_IS_NETWORK_ORDER ? value : Integer.reverseBytes(value);
    }

    /**
     * Network to host order, 32 bits.
     *
     * @param value network order.
     * @return host order.
     */
    public static int ntohl(final int value)
    {
        return htonl(value);
    }
}
