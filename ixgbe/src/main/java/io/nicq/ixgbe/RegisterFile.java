package io.nicq.ixgbe;

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

    private static final Access[] ACCESS_VALUES = Access.values();
    private static final byte[] ACCESS = new byte[BAR_SIZE / 4];
    private static final int[] RESET = new int[BAR_SIZE / 4];

    static
    {
        readOnly(STATUS, 0);
        readOnly(LINKS, 0);
        clearOnRead(EICR);

        // Values after reset that drivers depend on; the datasheet's other defaults are 0 for the fields nicq uses.
        reset(EEC, 0);                 // ARD is set by the device when its post-reset EEPROM read is done
        reset(RDRXCTL, 0);             // DMAIDONE likewise
        reset(AUTOC, AUTOC_LMS_10G_SERIAL);
        reset(HLREG0, HLREG0_TXCRCEN | HLREG0_RXCRCSTRP | HLREG0_TXPADEN);
        reset(MAXFRS, 1518 << 16);
        reset(RTTDCS, RTTDCS_ARBDIS);
        reset(DTXMXSZRQ, 0x10);
        reset(rxpbsize(0), 0x00080000);
        reset(txpbsize(0), 0x00028000);
        for (int q = 0; q < QUEUE_COUNT; q++)
        {
            reset(srrctl(q), 2 | (4 << 8));   // 2 KiB packet buffer, 256-byte header buffer, legacy descriptors
            reset(dcaRxctrl(q), DCA_RXCTRL_DESC_WRO_EN);
            reset(dcaTxctrl(q), 1 << 11);
        }

        final int[] clearOnRead = {CRCERRS, ILLERRC, ERRBC, MSPDC, RLEC, GPRC, BPRC, MPRC, GPTC, GORCL, GORCH, GOTCL,
            GOTCH, RUC, ROC, TORL, TORH, TPR, TPT};
        for (final int offset : clearOnRead)
        {
            clearOnRead(offset);
        }
        for (int n = 0; n < 8; n++)
        {
            clearOnRead(mpc(n));
        }
        for (int i = 0; i < QUEUE_STATS_COUNT; i++)
        {
            clearOnRead(qprc(i));
            clearOnRead(qbrcL(i));
            clearOnRead(qbrcH(i));
            clearOnRead(qprdc(i));
            clearOnRead(qptc(i));
            clearOnRead(qbtcL(i));
            clearOnRead(qbtcH(i));
        }
        for (int n = 0; n < FIVE_TUPLE_FILTER_COUNT; n++)
        {
            ACCESS[l34tImir(n) >> 2] = (byte)Access.WRITE_ONLY.ordinal();
        }
    }

    private RegisterFile()
    {
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

    /** Whether an offset names a register slot of the BAR: in range and 4-byte aligned. */
    public static boolean isValidOffset(final int offset)
    {
        return offset >= 0 && offset < BAR_SIZE && (offset & 3) == 0;
    }

    private static void reset(final int offset, final int value)
    {
        RESET[offset >> 2] = value;
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
