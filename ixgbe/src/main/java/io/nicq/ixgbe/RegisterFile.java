package io.nicq.ixgbe;

import java.util.function.IntConsumer;

import static io.nicq.ixgbe.Registers.*;

/**
 * How each register behaves: its access type and its value after reset. This is the other half of the one device
 * description ({@link Registers} gives offsets and fields): the simulated card resets to these values and its
 * {@link SimulatedBar} enforces the access types, so a driver that works against the simulation honours the same
 * rules the silicon does.
 */
public final class RegisterFile
{
    /** How software may access a register. */
    public enum Access
    {
        /** Read and written by software (the device may also update fields, e.g. RDH). */
        READ_WRITE,
        /** Written only by the device; software writes are ignored. */
        READ_ONLY,
        /** Statistics and causes: reading returns the value and clears it. */
        CLEAR_ON_READ,
        /** Software must not read it (L34T_IMIR: reads can raise an ECC error on real parts). */
        WRITE_ONLY
    }

    /** MAXFRS after reset (8.2.3.22.13): MFS is the standard frame size. */
    public static final int MAXFRS_RESET = STANDARD_MAX_FRAME_SIZE << MAXFRS_MFS_SHIFT;
    /** DTXMXSZRQ after reset (8.2.3.9.1): requests of up to 16 x 256 bytes. */
    public static final int DTXMXSZRQ_RESET = 0x10;
    /** RXPBSIZE(0) after reset (8.2.3.8.9): the whole 512 KiB RX packet buffer to traffic class 0. */
    public static final int RXPBSIZE_0_RESET = 0x00080000;
    /** TXPBSIZE(0) after reset (8.2.3.9.13): the whole 160 KiB TX packet buffer to traffic class 0. */
    public static final int TXPBSIZE_0_RESET = 0x00028000;
    /** TXPBTHRESH(0) after reset (8.2.3.9.16): "0x96 for TXPBSIZE0", room for a 10 KiB jumbo frame. */
    public static final int TXPBTHRESH_0_RESET = 0x96;
    /**
     * RDRXCTL.RSCFRSTSIZE after reset (8.2.3.8.8): non-zero ("set to 0x0 as opposed to its hardware default", 4.6.7);
     * nicq's references do not quote the default, the simulated card uses 0x8.
     */
    public static final int RDRXCTL_RSCFRSTSIZE_RESET = 0x8 << 17;
    /**
     * SRRCTL after reset (8.2.3.8.7): 2 KiB packet buffers, 256-byte header buffers, legacy descriptors (DESCTYPE 0),
     * no drop.
     */
    public static final int SRRCTL_RESET = (2 << SRRCTL_BSIZEPACKET_SHIFT) | (4 << SRRCTL_BSIZEHEADER_SHIFT);
    /**
     * DCA_RXCTRL after reset (8.2.3.11.1): reserved bit 12 set (software must clear it), relaxed ordering of data and
     * split-header writes on.
     */
    public static final int DCA_RXCTRL_RESET = DCA_RXCTRL_RESERVED_12 | DCA_RXCTRL_DATA_WRO_EN | DCA_RXCTRL_HEAD_WRO_EN;
    /** DCA_TXCTRL after reset (8.2.3.11.2): relaxed ordering of descriptor write-back on. */
    public static final int DCA_TXCTRL_RESET = DCA_TXCTRL_DESC_WRO_EN;

    /**
     * What a write does besides (or instead of) storing the value: the interrupt registers (8.2.3.5) write single
     * bits of EICR and EIMS, so that the device and a driver never undo each other's bits.
     */
    public enum WriteAction
    {
        /** The value replaces the register's. */
        STORE,
        /** EICR: each 1 clears that bit (8.2.3.5.1, RW1C). */
        ONE_CLEARS,
        /** EIMS: each 1 sets that bit; 0 leaves it (8.2.3.5.3, RWS). */
        ONE_SETS,
        /** EICS: each 1 sets that bit of EICR ({@link #writeTarget}); nothing is stored (8.2.3.5.2). */
        ONE_SETS_TARGET,
        /** EIMC: each 1 clears that bit of EIMS ({@link #writeTarget}); nothing is stored (8.2.3.5.4). */
        ONE_CLEARS_TARGET
    }

    private static final Access[] ACCESS_VALUES = Access.values();
    private static final byte[] ACCESS = new byte[BAR_SIZE / 4];
    private static final int[] RESET = new int[BAR_SIZE / 4];
    private static final int[] UNDEFINED = new int[BAR_SIZE / 4];
    /** For each register reached at two addresses: the other one + 1 (0: a register with one address). */
    private static final int[] ALIAS = new int[BAR_SIZE / 4];

    static
    {
        // 8.2.3.1.2: PCIe master enable status is 1 while the device may master the bus (CTRL.PCIE_MASTER_DISABLE 0).
        readOnly(STATUS, STATUS_PCIE_MASTER_ENABLE);
        readOnly(LINKS, 0);
        readOnly(ANLP1, 0);
        readOnly(SECRXSTAT, 0);
        clearOnRead(EICR);
        // 4.6.3.1: after reset every interrupt is masked (EIMS 0) and no cause is set; GPIE, IVAR, EITR, EIAC and
        // EIAM reset to 0 (legacy interrupt mode, no vector allocated, no throttling, no auto-clear or auto-mask).

        // Values after reset that drivers depend on; the datasheet's other defaults are 0 for the fields nicq uses.
        reset(EEC, 0);                 // ARD is set by the device when its post-reset EEPROM read is done
        reset(RDRXCTL, RDRXCTL_RSCFRSTSIZE_RESET); // DMAIDONE likewise; RSCFRSTSIZE non-zero
        reset(AUTOC, AUTOC_LMS_10G_SERIAL);
        reset(AUTOC2, AUTOC2_10G_SFI);  // the EEPROM's word for an SFP+ board, loaded at every reset
        reset(HLREG0, HLREG0_TXCRCEN | HLREG0_RXCRCSTRP | HLREG0_TXPADEN);
        reset(MAXFRS, MAXFRS_RESET);
        reset(RTTDCS, RTTDCS_ARBDIS);
        reset(DTXMXSZRQ, DTXMXSZRQ_RESET);
        reset(rxpbsize(0), RXPBSIZE_0_RESET);
        reset(txpbsize(0), TXPBSIZE_0_RESET);
        reset(txpbthresh(0), TXPBTHRESH_0_RESET);
        for (int q = 0; q < QUEUE_COUNT; q++)
        {
            reset(srrctl(q), SRRCTL_RESET);
            reset(dcaRxctrl(q), DCA_RXCTRL_RESET);
            reset(dcaTxctrl(q), DCA_TXCTRL_RESET);
        }

        // One register, two addresses (the 82598's and the 82599's own): the pair shares its reset value.
        for (int n = 0; n < RECEIVE_ADDRESS_ALIAS_COUNT; n++)
        {
            alias(ral(n), ralAlias(n));
            alias(rah(n), rahAlias(n));
        }
        for (int q = 0; q < RX_CONTROL_ALIAS_COUNT; q++)
        {
            alias(srrctl(q), srrctlAlias(q));
            alias(dcaRxctrl(q), dcaRxctrlAlias(q));
        }
        alias(MRQC, MRQC_ALIAS);
        for (int n = 0; n < RETA_REGISTER_COUNT; n++)
        {
            alias(reta(n), retaAlias(n));
        }
        for (int n = 0; n < RSSRK_REGISTER_COUNT; n++)
        {
            alias(rssrk(n), rssrkAlias(n));
        }

        Statistics.forEachRegister(RegisterFile::clearOnRead);
        // 8.2.3.21: the flow director's statistics are read to clear (Linux and DPDK read them so, and add them up);
        // FDIRFREE and FDIRCMD are the device's to update and software's to write, FDIRCTRL resets to "off".
        clearOnRead(FDIRLEN);
        clearOnRead(FDIRUSTAT);
        clearOnRead(FDIRFSTAT);
        clearOnRead(FDIRMATCH);
        clearOnRead(FDIRMISS);
        for (int n = 0; n < FIVE_TUPLE_FILTER_COUNT; n++)
        {
            ACCESS[l34tImir(n) >> 2] = (byte)Access.WRITE_ONLY.ordinal();
        }

        // Filter memories without a reset value (8.2.3.7.16-20, 8.2.3.5.13: "all bits have an unspecified default
        // value", as TinyNF quotes it; 8.2.3.7.7 and 8.2.3.7.11: MTA and VFTA "should be zeroed by software"): they
        // hold whatever they held, across a software reset too, until a driver writes them.
        for (int n = 0; n < FIVE_TUPLE_FILTER_COUNT; n++)
        {
            undefined(saqf(n), -1);
            undefined(daqf(n), -1);
            undefined(sdpqf(n), -1);
            undefined(ftqf(n), -1);
            undefined(l34tImir(n), -1);
        }
        undefined(SYNQF, -1);
        for (int n = 0; n < MTA_REGISTER_COUNT; n++)
        {
            undefined(mta(n), -1);
        }
        for (int n = 0; n < VFTA_REGISTER_COUNT; n++)
        {
            undefined(vfta(n), -1);
        }
        // 8.2.3.7.9/10: entries 1..127 of the receive address table have no defined address; only RAH.AV (0) and
        // the address select field (0) are defined. Entries 1..15 are the same registers at the 82598 alias.
        for (int n = 1; n < RECEIVE_ADDRESS_COUNT; n++)
        {
            undefined(ral(n), -1);
            undefined(rah(n), RAH_ADDRESS_MASK);
            if (n < RECEIVE_ADDRESS_ALIAS_COUNT)
            {
                undefined(ralAlias(n), -1);
                undefined(rahAlias(n), RAH_ADDRESS_MASK);
            }
        }
    }

    private RegisterFile()
    {
    }

    /** What a write to the register at this offset does ({@link WriteAction}). */
    public static WriteAction writeAction(final int offset)
    {
        return switch (offset)
        {
            case EICR -> WriteAction.ONE_CLEARS;
            case EIMS -> WriteAction.ONE_SETS;
            case EICS -> WriteAction.ONE_SETS_TARGET;
            case EIMC -> WriteAction.ONE_CLEARS_TARGET;
            default -> WriteAction.STORE;
        };
    }

    /** The register a {@code *_TARGET} write changes (EICS: EICR, EIMC: EIMS); the offset itself otherwise. */
    public static int writeTarget(final int offset)
    {
        return switch (offset)
        {
            case EICS -> EICR;
            case EIMC -> EIMS;
            default -> offset;
        };
    }

    /**
     * The register a read of this offset returns: EICS reads EICR without clearing it (Linux's ixgbe reads the
     * causes there and clears them by writing EICR, its workaround for the read-to-clear race); every other offset
     * reads itself (EIMC, which stores nothing, reads 0).
     */
    public static int readSource(final int offset)
    {
        return offset == EICS ? EICR : offset;
    }

    /**
     * The bits a read clears of a clear-on-read register, given GPIE: all of them, except EICR with GPIE.OCD set,
     * of which a read clears only the other causes [29:16] (8.2.3.5.1, 8.2.3.5.18): in MSI-X mode only the Other
     * vector's handler reads EICR, and it must not clear the queue causes of vectors other handlers serve.
     */
    public static int bitsClearedByRead(final int offset, final int gpie)
    {
        return offset == EICR && (gpie & GPIE_OCD) != 0 ? EICR_OTHER_CAUSES : -1;
    }

    /** Access type of the register at a (4-byte aligned) offset. */
    public static Access access(final int offset)
    {
        return ACCESS_VALUES[ACCESS[offset >> 2]];
    }

    /** Whether reading the register at this offset clears it. */
    public static boolean isClearOnRead(final int offset)
    {
        return ACCESS[offset >> 2] == (byte)Access.CLEAR_ON_READ.ordinal();
    }

    /** Value of the register at this offset after a device reset. */
    public static int resetValue(final int offset)
    {
        return RESET[offset >> 2];
    }

    /**
     * Bits of the register at this offset that have no defined value after power-on or a reset: a driver must write
     * them before they mean anything (0 for a register whose every bit has a reset value).
     */
    public static int undefinedBits(final int offset)
    {
        return UNDEFINED[offset >> 2];
    }

    /** Every register with bits that have no reset value ({@link #undefinedBits}), in offset order. */
    public static void forEachUndefined(final IntConsumer consumer)
    {
        for (int index = 0; index < UNDEFINED.length; index++)
        {
            if (UNDEFINED[index] != 0)
            {
                consumer.accept(index << 2);
            }
        }
    }

    /**
     * The other address of a register the part reaches at two (RAL/RAH 0..15, SRRCTL and DCA_RXCTRL of queues 0..15,
     * MRQC, RETA, RSSRK), or -1: a write to either address is a write to the one register.
     */
    public static int aliasOf(final int offset)
    {
        return ALIAS[offset >> 2] - 1;
    }

    /** Whether an offset names a register slot of the BAR: in range and 4-byte aligned. */
    public static boolean isValidOffset(final int offset)
    {
        return offset >= 0 && offset < BAR_SIZE && (offset & 3) == 0;
    }

    private static void reset(final int offset, final int value)
    {
        RESET[offset >> 2] = value;
    }

    private static void alias(final int main, final int other)
    {
        ALIAS[main >> 2] = other + 1;
        ALIAS[other >> 2] = main + 1;
        RESET[other >> 2] = RESET[main >> 2];
        UNDEFINED[other >> 2] = UNDEFINED[main >> 2];
    }

    private static void undefined(final int offset, final int bits)
    {
        UNDEFINED[offset >> 2] = bits;
    }

    private static void readOnly(final int offset, final int value)
    {
        ACCESS[offset >> 2] = (byte)Access.READ_ONLY.ordinal();
        RESET[offset >> 2] = value;
    }

    private static void clearOnRead(final int offset)
    {
        ACCESS[offset >> 2] = (byte)Access.CLEAR_ON_READ.ordinal();
    }
}
