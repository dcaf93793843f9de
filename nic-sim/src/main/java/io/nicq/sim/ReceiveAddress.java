package io.nicq.sim;

/**
 * The one place nic-sim converts between a MAC address as the rest of nicq holds it (a {@code long}, first octet most
 * significant, {@link io.nicq.packet.MacAddress}) and the receive address registers.
 * <p>
 * The 82599 packs an address the other way round (datasheet 8.2.3.7.9 and 8.2.3.7.10): RAL holds octets 1 to 4 with
 * the first octet in bits 7:0, RAH bits 15:0 octets 5 and 6 with the fifth in bits 7:0. That is what a little-endian
 * load of the address from a frame gives, which is why the device's own {@link Classifier} keeps addresses in the
 * register packing and compares them with such loads; nothing outside the device sees that packing.
 */
final class ReceiveAddress
{
    private ReceiveAddress()
    {
    }

    /**
     * RAL's value for an address.
     *
     * @param mac address in the low 48 bits, first octet most significant.
     * @return octets 1 to 4, the first in bits 7:0.
     */
    static int ral(final long mac)
    {
        return Integer.reverseBytes((int)(mac >>> 16));
    }

    /**
     * RAH's address bits for an address, without AV.
     *
     * @param mac address in the low 48 bits, first octet most significant.
     * @return octets 5 and 6 in bits 15:0, the fifth in bits 7:0.
     */
    static int rahAddress(final long mac)
    {
        return Short.reverseBytes((short)mac) & 0xFFFF;
    }

    /**
     * The address a RAL/RAH pair holds.
     *
     * @param ral the RAL value.
     * @param rah the RAH value (bits above the address, AV among them, are ignored).
     * @return the address in the low 48 bits, first octet most significant.
     */
    static long mac(final int ral, final int rah)
    {
        return ((Integer.reverseBytes(ral) & 0xFFFF_FFFFL) << 16) | (Short.reverseBytes((short)rah) & 0xFFFFL);
    }
}
