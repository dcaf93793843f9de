package io.nicq.ixgbe;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static io.nicq.ixgbe.Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/** The register map against the facts of the datasheet, and against itself: no two registers share an offset. */
class RegistersTest
{
    @Test
    void queueRegistersFollowTheDatasheetLayout()
    {
        assertEquals(0x01000, rdbal(0));
        assertEquals(0x01040 + 0x18, rdt(1));
        assertEquals(0x0D000, rdbal(64));
        assertEquals(0x0D000 + 0x40 * 63 + 0x28, rxdctl(127));
        assertEquals(0x02100 + 4 * 15, srrctl(15));
        assertEquals(0x01014 + 0x40 * 16, srrctl(16));
        assertEquals(0x0D014, srrctl(64));
        assertEquals(0x06000 + 0x40 * 127 + 0x18, tdt(127));
        assertEquals(0x06038, tdwbal(0));
        assertEquals(0x08700 + 8 * 15, qbtcL(15));
        assertEquals(0x01430 + 0x40 * 15, qprdc(15));
        assertEquals(0x12300, eitr(24));
        assertEquals(0x0A200 + 8 * 127, ral(127));
        assertEquals(0x05400, ralAlias(0));
    }

    @Test
    void noTwoRegistersShareAnOffset()
    {
        final Map<Integer, String> seen = new HashMap<>();
        final int[] globals = {CTRL, STATUS, CTRL_EXT, EEC, EICR, EICS, EIMS, EIMC, EIAM, GPIE, RDRXCTL, RXCTRL, PFQDE,
            FCTRL, HLREG0, MAXFRS, MRQC, RXCSUM, DTXMXSZRQ, RTTDCS, DMATXCTL, MTQC, AUTOC, LINKS, SYNQF, FDIRCTRL};
        for (final int offset : globals)
        {
            put(seen, offset, "global");
        }
        Statistics.forEachRegister(offset -> put(seen, offset, "statistics"));
        for (int q = 0; q < QUEUE_COUNT; q++)
        {
            put(seen, rdbal(q), "RDBAL" + q);
            put(seen, rdbah(q), "RDBAH" + q);
            put(seen, rdlen(q), "RDLEN" + q);
            put(seen, rdh(q), "RDH" + q);
            put(seen, rdt(q), "RDT" + q);
            put(seen, rxdctl(q), "RXDCTL" + q);
            put(seen, srrctl(q), "SRRCTL" + q);
            put(seen, dcaRxctrl(q), "DCA_RXCTRL" + q);
            put(seen, tdbal(q), "TDBAL" + q);
            put(seen, tdbah(q), "TDBAH" + q);
            put(seen, tdlen(q), "TDLEN" + q);
            put(seen, tdh(q), "TDH" + q);
            put(seen, tdt(q), "TDT" + q);
            put(seen, txdctl(q), "TXDCTL" + q);
            put(seen, tdwbal(q), "TDWBAL" + q);
            put(seen, tdwbah(q), "TDWBAH" + q);
            put(seen, dcaTxctrl(q), "DCA_TXCTRL" + q);
            put(seen, ral(q), "RAL" + q);
            put(seen, rah(q), "RAH" + q);
            put(seen, saqf(q), "SAQF" + q);
            put(seen, daqf(q), "DAQF" + q);
            put(seen, sdpqf(q), "SDPQF" + q);
            put(seen, ftqf(q), "FTQF" + q);
            put(seen, l34tImir(q), "L34T_IMIR" + q);
        }
        for (int i = 0; i < RECEIVE_ADDRESS_ALIAS_COUNT; i++)
        {
            put(seen, ralAlias(i), "RAL alias" + i);
            put(seen, rahAlias(i), "RAH alias" + i);
        }
        for (int n = 0; n < ETHERTYPE_FILTER_COUNT; n++)
        {
            put(seen, etqf(n), "ETQF" + n);
            put(seen, etqs(n), "ETQS" + n);
            put(seen, rxpbsize(n), "RXPBSIZE" + n);
            put(seen, txpbsize(n), "TXPBSIZE" + n);
        }
        for (int n = 0; n < RETA_REGISTER_COUNT; n++)
        {
            put(seen, reta(n), "RETA" + n);
            put(seen, rqsmr(n), "RQSMR" + n);
            put(seen, tqsm(n), "TQSM" + n);
        }
        for (int n = 0; n < RSSRK_REGISTER_COUNT; n++)
        {
            put(seen, rssrk(n), "RSSRK" + n);
        }
        for (int n = 0; n < 64; n++)
        {
            put(seen, eitr(n), "EITR" + n);
        }
        for (final int offset : seen.keySet())
        {
            assertTrue(RegisterFile.isValidOffset(offset), String.format("0x%X outside BAR0", offset));
        }
    }

    @Test
    void registerFileKnowsAccessTypesAndDefaults()
    {
        assertEquals(RegisterFile.Access.READ_ONLY, RegisterFile.access(LINKS));
        assertEquals(RegisterFile.Access.CLEAR_ON_READ, RegisterFile.access(qbtcH(15)));
        assertEquals(RegisterFile.Access.CLEAR_ON_READ, RegisterFile.access(ROC));
        assertEquals(RegisterFile.Access.WRITE_ONLY, RegisterFile.access(l34tImir(127)));
        assertEquals(RegisterFile.Access.READ_WRITE, RegisterFile.access(rdt(100)));
        assertEquals(AUTOC_LMS_10G_SERIAL, RegisterFile.resetValue(AUTOC));
        assertEquals(RTTDCS_ARBDIS, RegisterFile.resetValue(RTTDCS));
        assertEquals(0, RegisterFile.resetValue(EEC) & EEC_ARD, "ARD is the device's to set after reset");
        assertEquals(1518 << 16, RegisterFile.resetValue(MAXFRS));
        assertEquals(0x0402, RegisterFile.resetValue(srrctl(127)), "2 KiB packet and 256-byte header buffers");
        assertEquals(1 << 11, RegisterFile.resetValue(dcaTxctrl(5)));
        assertEquals(DCA_RXCTRL_RESERVED_12 | DCA_RXCTRL_DATA_WRO_EN | DCA_RXCTRL_HEAD_WRO_EN,
            RegisterFile.resetValue(dcaRxctrl(70)), "bit 12 and relaxed ordering of data and header writes set");
    }

    @Test
    void statisticsMappingPicksTheNibbleOfTheQueue()
    {
        assertEquals(0x3, queueStatsSet(0x0F0E0D03, 4));
        assertEquals(0xD, queueStatsSet(0x0F0E0D03, 5));
        assertEquals(0xF, queueStatsSet(0x0F0E0D03, 127));
    }

    private static void put(final Map<Integer, String> seen, final int offset, final String name)
    {
        final String previous = seen.put(offset, name);
        assertNull(previous, String.format("0x%05X is both %s and %s", offset, previous, name));
    }
}
