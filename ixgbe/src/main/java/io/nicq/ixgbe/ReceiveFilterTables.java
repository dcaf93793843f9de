package io.nicq.ixgbe;

import static io.nicq.ixgbe.Registers.*;

/**
 * The receive filter tables a driver clears before it enables receive (datasheet 4.6.7: "initialize the following
 * register tables before receive and transmit is enabled"), because the part gives them no reset value
 * ({@link RegisterFile#undefinedBits}) and keeps them across a software reset: 5-tuple filters left by the last driver
 * (or by power-on) would steer frames to queues nobody serves. The card driver's init clears them this way, as Linux
 * ({@code ixgbe_init_rx_addrs}, {@code ixgbe_clear_vfta}) and Barrelfish ({@code e10k_qdriver}) do, and so does every
 * test driver of a simulated card, whose power-on tables hold random values.
 */
public final class ReceiveFilterTables
{
    private ReceiveFilterTables()
    {
    }

    /**
     * Disables and clears every 5-tuple filter, the SYN filter, the ethertype filters, the multicast and VLAN tables
     * and receive addresses 1..127. Receive address 0 (the card's own, from the EEPROM) is left alone.
     */
    public static void clear(final Bar bar)
    {
        for (int n = 0; n < FIVE_TUPLE_FILTER_COUNT; n++)
        {
            // 8.2.3.7.19 FTQF: queue enable off first, so no frame ever matches a half-cleared filter.
            bar.write(ftqf(n), 0);
            bar.write(saqf(n), 0);                             // 8.2.3.7.16 SAQF
            bar.write(daqf(n), 0);                             // 8.2.3.7.17 DAQF
            bar.write(sdpqf(n), 0);                            // 8.2.3.7.18 SDPQF
            // 8.2.3.5.13 L34T_IMIR: queue 0, no LLI; bit 19 is reserved and must be written 1.
            bar.write(l34tImir(n), L34T_IMIR_RESERVE);
        }
        bar.write(SYNQF, 0);                                   // 8.2.3.7.20 SYNQF: no SYN filter
        for (int n = 0; n < ETHERTYPE_FILTER_COUNT; n++)
        {
            bar.write(etqf(n), 0);                             // 8.2.3.7.21 ETQF: filter disabled first
            bar.write(etqs(n), 0);                             // 8.2.3.7.22 ETQS
        }
        for (int n = 0; n < MTA_REGISTER_COUNT; n++)
        {
            bar.write(mta(n), 0);                              // 8.2.3.7.7 MTA: "should be zeroed by software"
        }
        for (int n = 0; n < VFTA_REGISTER_COUNT; n++)
        {
            bar.write(vfta(n), 0);                             // 8.2.3.7.11 VFTA (VLNCTRL.VFE is off, but cleared)
        }
        for (int n = 1; n < RECEIVE_ADDRESS_COUNT; n++)
        {
            bar.write(rah(n), 0);                              // 8.2.3.7.10 RAH(n): address valid off first
            bar.write(ral(n), 0);                              // 8.2.3.7.9 RAL(n)
        }
    }
}
