package io.nicq.ixgbe;

/**
 * The one conversion between a MAC address as nicq holds it (the low 48 bits of a {@code long}, first octet most
 * significant, as the control protocol and {@code io.nicq.packet.MacAddress} have it) and the receive address
 * registers, used by the card driver (writing RAL/RAH(0), reading the EEPROM's address) and the simulated card
 * (loading it at reset).
 * <p>
 * The 82599 packs an address the other way round (datasheet 8.2.3.7.9 and 8.2.3.7.10): RAL holds octets 1 to 4 with
 * the first octet in bits 7:0, RAH bits 15:0 octets 5 and 6 with the fifth in bits 7:0. That is what a little-endian
 * load of the address from a frame gives, which is why the simulated card's classifier keeps addresses in the
 * register packing and compares them with such loads.
 */
public final class ReceiveAddress
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
    public static int ral(final long mac)
    {
        return Integer.reverseBytes((int)(mac >>> 16));
    }

    /**
     * RAH's address bits for an address, without AV.
     *
     * @param mac address in the low 48 bits, first octet most significant.
     * @return octets 5 and 6 in bits 15:0, the fifth in bits 7:0.
     */
    public static int rahAddress(final long mac)
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
    public static long mac(final int ral, final int rah)
    {
        return ((Integer.reverseBytes(ral) & 0xFFFF_FFFFL) << 16) | (Short.reverseBytes((short)rah) & 0xFFFFL);
    }
}
