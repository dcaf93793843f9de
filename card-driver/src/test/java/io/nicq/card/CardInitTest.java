package io.nicq.card;

import io.nicq.ixgbe.ReceiveAddress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import io.nicq.ixgbe.DeviceTimeoutException;
import io.nicq.ixgbe.RegisterFile;
import org.junit.jupiter.api.Test;

import static io.nicq.ixgbe.Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/** The global init sequence against an in-memory card: what it programs, and a named error for every wait. */
class CardInitTest
{
    private static final long MAC = 0x02_00_00_00_00_01L;

    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    private final CardLog log = new CardLog(new PrintStream(logBytes, true, StandardCharsets.UTF_8), "test");
    private final CardDriver.Context ctx = new CardDriver.Context()
        .resetTimeoutNs(TimeUnit.MILLISECONDS.toNanos(200))
        .eepromTimeoutNs(TimeUnit.MILLISECONDS.toNanos(200))
        .dmaInitTimeoutNs(TimeUnit.MILLISECONDS.toNanos(200))
        .linkTimeoutNs(TimeUnit.MILLISECONDS.toNanos(300));

    @Test
    void initialisesTheCardAndReadsItsMac()
    {
        final FakeCard card = new FakeCard(MAC);
        assertEquals(MAC, new CardInit(card, ctx, log).run());

        assertEquals(EIMC_ALL, card.register(EIMC));
        assertEquals(0, card.register(CTRL) & CTRL_RST_MASK);
        final int fctrl = card.register(FCTRL);
        assertNotEquals(0, fctrl & FCTRL_BAM, "broadcast accepted (ARP)");
        assertEquals(0, fctrl & (FCTRL_UPE | FCTRL_MPE), "not promiscuous");
        assertEquals(ReceiveAddress.ral(MAC), card.register(ral(0)));
        assertEquals(ReceiveAddress.rahAddress(MAC) | RAH_AV, card.register(rah(0)));
        assertNotEquals(0, card.register(HLREG0) & HLREG0_RXCRCSTRP);
        assertNotEquals(0, card.register(RDRXCTL) & RDRXCTL_CRCSTRIP);
        assertEquals(HLREG0_TXCRCEN | HLREG0_TXPADEN, card.register(HLREG0) & (HLREG0_TXCRCEN | HLREG0_TXPADEN));
        assertEquals(256 * 1024, card.register(rxpbsize(0)), "512 KiB less the flow director's 256 KiB table");
        assertEquals(0, card.register(RTTDCS) & RTTDCS_ARBDIS);
        assertNotEquals(0, card.register(DMATXCTL) & DMATXCTL_TE);
        assertNotEquals(0, card.register(CTRL_EXT) & CTRL_EXT_NS_DIS);
        for (int q = 0; q < QUEUE_COUNT; q++)
        {
            assertEquals(SRRCTL_DESCTYPE_ADV_ONEBUF | SRRCTL_DROP_EN | 2, card.register(srrctl(q)), "SRRCTL " + q);
            assertEquals(0, card.register(dcaRxctrl(q)) & DCA_RXCTRL_RESERVED_12, "DCA_RXCTRL bit 12 " + q);
            assertEquals(0, card.register(dcaRxctrl(q)) & (DCA_RXCTRL_DATA_WRO_EN | DCA_RXCTRL_HEAD_WRO_EN),
                "DCA_RXCTRL relaxed ordering " + q);
            assertEquals(0, card.register(dcaTxctrl(q)) & DCA_TXCTRL_DESC_WRO_EN, "DCA_TXCTRL " + q);
            assertEquals(0, card.register(rxdctl(q)) & DCTL_ENABLE, "queues stay disabled until attached");
        }
        assertEquals(ETQF_FILTER_ENABLE | 0x0806, card.register(etqf(CardInit.ARP_ETQF_INDEX)));
        assertEquals(ETQS_QUEUE_ENABLE, card.register(etqs(CardInit.ARP_ETQF_INDEX)), "ARP to queue 0");
        assertNotEquals(0, card.register(RXCTRL) & RXCTRL_RXEN);
        assertEquals(0, card.l34tImirReads);

        final String logged = logBytes.toString(StandardCharsets.UTF_8);
        assertTrue(logged.contains("MAC 02:00:00:00:00:01"), logged);
        assertTrue(logged.contains("link up"), logged);
        assertTrue(logged.lines().count() >= 8, "one line per step:\n" + logged);
    }

    @Test
    void everyStatisticsRegisterCountsFromZeroAfterInit()
    {
        final FakeCard card = new FakeCard(MAC);
        // A card that counted under an earlier driver: every clear-on-read register holds a count.
        int statistics = 0;
        for (int offset = 0; offset < BAR_SIZE; offset += 4)
        {
            if (RegisterFile.isClearOnRead(offset))
            {
                card.registers[offset >> 2] = 7;
                statistics++;
            }
        }
        assertTrue(statistics > 100, "the register file names the statistics: " + statistics);

        new CardInit(card, ctx, log).run();

        assertEquals(0, card.register(ROC), "ROC (receive oversize) is cleared like the rest");
        for (int offset = 0; offset < BAR_SIZE; offset += 4)
        {
            if (RegisterFile.isClearOnRead(offset))
            {
                assertEquals(0, card.register(offset),
                    String.format("register 0x%05X still counts after init", offset));
            }
        }
    }

    @Test
    void packetBuffersAreSizedAsTheDatasheetSaysWithTheTransmitSideInsideTheArbiterOffWindow()
    {
        final FakeCard card = new FakeCard(MAC);
        new CardInit(card, ctx, log).run();

        assertEquals(RX_PACKET_BUFFER_BYTES, card.writes.stream().filter(w -> w.offset() == rxpbsize(0)).findFirst()
            .orElseThrow().value(), "RXPBSIZE(0): all 512 KiB, before the flow director takes its share");
        assertEquals(160 * 1024, card.register(txpbsize(0)), "TXPBSIZE(0): 0xA0 KiB");
        assertEquals(0xA0 - 2, card.register(txpbthresh(0)), "TXPBTHRESH(0): 0xA0 less a 2 KiB frame");
        assertEquals(0xFFF, card.register(DTXMXSZRQ), "DTXMXSZRQ is 12 bits");
        for (int n = 1; n < PACKET_BUFFER_COUNT; n++)
        {
            assertEquals(0, card.register(rxpbsize(n)), "RXPBSIZE " + n);
            assertEquals(0, card.register(txpbsize(n)), "TXPBSIZE " + n);
            assertEquals(0, card.register(txpbthresh(n)), "TXPBTHRESH " + n);
        }
        assertEquals(card.register(rxpbsize(0)) - 0x6000, card.register(fcrth(0)) & FCRTH_RTH_MASK,
            "FCRTH(0).RTH = RXPBSIZE(0) - 0x6000 of the final RXPBSIZE(0)");
        assertEquals(0, card.register(fcrth(0)) & FCRTH_FCEN, "no flow control");
        assertTrue(indexOf(card, fcrth(0), 0) > lastIndexOf(card, FDIRCTRL), "FCRTH after the flow director's cut");

        int arbiterOff = -1;
        int arbiterOn = -1;
        for (int i = 0; i < card.writes.size(); i++)
        {
            final RecordingBar.Write write = card.writes.get(i);
            if (write.offset() == RTTDCS)
            {
                if ((write.value() & RTTDCS_ARBDIS) != 0 && arbiterOff < 0)
                {
                    arbiterOff = i;
                }
                else if ((write.value() & RTTDCS_ARBDIS) == 0 && arbiterOff >= 0)
                {
                    arbiterOn = i;
                }
            }
        }
        assertTrue(arbiterOff >= 0 && arbiterOn > arbiterOff, "RTTDCS.ARBDIS set, then cleared");
        for (int i = 0; i < card.writes.size(); i++)
        {
            final int offset = card.writes.get(i).offset();
            boolean windowed = offset == DTXMXSZRQ || offset == MTQC;
            for (int n = 0; n < PACKET_BUFFER_COUNT; n++)
            {
                windowed |= offset == txpbsize(n) || offset == txpbthresh(n);
            }
            if (windowed)
            {
                assertTrue(i > arbiterOff && i < arbiterOn, String.format("0x%05X written inside ARBDIS", offset));
            }
        }
        assertTrue(arbiterOn < indexOf(card, DMATXCTL, 0), "DMATXCTL.TE after the arbiter runs again");
    }

    @Test
    void rdrxctlClearsRscFirstSizeAndSetsRscAckcAndFcoeWrfix()
    {
        final FakeCard card = new FakeCard(MAC);
        assertNotEquals(0, card.register(RDRXCTL) & RDRXCTL_RSCFRSTSIZE_MASK, "non-zero after reset");
        new CardInit(card, ctx, log).run();
        final int rdrxctl = card.register(RDRXCTL);
        assertEquals(0, rdrxctl & RDRXCTL_RSCFRSTSIZE_MASK);
        assertEquals(RDRXCTL_RSCACKC | RDRXCTL_FCOE_WRFIX | RDRXCTL_CRCSTRIP,
            rdrxctl & (RDRXCTL_RSCACKC | RDRXCTL_FCOE_WRFIX | RDRXCTL_CRCSTRIP));
    }

    @Test
    void receiveIsEnabledWithTheSecurityRxPathStopped()
    {
        final FakeCard card = new FakeCard(MAC);
        new CardInit(card, ctx, log).run();
        final int rxen = lastIndexOf(card, RXCTRL);
        int stop = -1;
        int restart = -1;
        for (int i = 0; i < card.writes.size(); i++)
        {
            final RecordingBar.Write write = card.writes.get(i);
            if (write.offset() == SECRXCTRL)
            {
                if ((write.value() & SECRXCTRL_RX_DIS) != 0)
                {
                    stop = i;
                }
                else if (stop >= 0)
                {
                    restart = i;
                }
            }
        }
        assertTrue(stop >= 0 && stop < rxen && rxen < restart, "SECRXCTRL.RX_DIS set, RXEN, RX_DIS cleared");
        assertNotEquals(0, card.writes.get(rxen).value() & RXCTRL_RXEN);
        assertEquals(0, card.register(SECRXCTRL) & SECRXCTRL_RX_DIS, "the security Rx path runs again");
    }

    @Test
    void aSecurityRxPathThatNeverIdlesIsLoggedAndInitGoesOnAsLinuxDoes()
    {
        final FakeCard card = new FakeCard(MAC);
        card.securityRxIdles = false;
        new CardInit(card, ctx, log).run();
        assertNotEquals(0, card.register(RXCTRL) & RXCTRL_RXEN);
        final String logged = logBytes.toString(StandardCharsets.UTF_8);
        assertTrue(logged.contains("security Rx path did not stop within 40 ms"), logged);
    }

    private static int indexOf(final FakeCard card, final int offset, final int from)
    {
        for (int i = from; i < card.writes.size(); i++)
        {
            if (card.writes.get(i).offset() == offset)
            {
                return i;
            }
        }
        return -1;
    }

    private static int lastIndexOf(final FakeCard card, final int offset)
    {
        for (int i = card.writes.size() - 1; i >= 0; i--)
        {
            if (card.writes.get(i).offset() == offset)
            {
                return i;
            }
        }
        return -1;
    }

    @Test
    void theFilterTablesWithoutAResetValueAreClearedBeforeReceiveIsEnabled()
    {
        final FakeCard card = new FakeCard(MAC);
        int enabled = 0;
        for (int n = 0; n < FIVE_TUPLE_FILTER_COUNT; n++)
        {
            enabled += (card.register(ftqf(n)) & FTQF_QUEUE_ENABLE) != 0 ? 1 : 0;
        }
        assertTrue(enabled > 0, "the fake card powers on with stray 5-tuple filters");

        new CardInit(card, ctx, log).run();

        final java.util.List<Integer> order = new java.util.ArrayList<>();
        for (int i = 0; i < card.writes.size(); i++)
        {
            order.add(card.writes.get(i).offset());
        }
        final int lastRxen = order.lastIndexOf(RXCTRL);
        assertTrue(lastRxen > 0, "RXEN written");
        for (int n = 0; n < FIVE_TUPLE_FILTER_COUNT; n++)
        {
            assertEquals(0, card.register(ftqf(n)), "FTQF " + n);
            assertEquals(0, card.register(saqf(n)), "SAQF " + n);
            assertEquals(0, card.register(daqf(n)), "DAQF " + n);
            assertEquals(0, card.register(sdpqf(n)), "SDPQF " + n);
            assertEquals(L34T_IMIR_RESERVE, card.register(l34tImir(n)), "L34T_IMIR " + n + ": reserved bit 19 is 1");
            assertTrue(order.indexOf(ftqf(n)) < order.indexOf(saqf(n)), "FTQF disabled before its tuple changes");
            assertTrue(order.lastIndexOf(ftqf(n)) < lastRxen, "before RXEN");
        }
        assertEquals(0, card.register(SYNQF));
        for (int n = 1; n < ETHERTYPE_FILTER_COUNT; n++)
        {
            assertEquals(0, card.register(etqf(n)), "ETQF " + n);
            assertEquals(0, card.register(etqs(n)), "ETQS " + n);
        }
        for (int n = 0; n < 128; n++)
        {
            assertEquals(0, card.register(mta(n)), "MTA " + n);
            assertEquals(0, card.register(vfta(n)), "VFTA " + n);
        }
        for (int n = 1; n < RECEIVE_ADDRESS_COUNT; n++)
        {
            assertEquals(0, card.register(ral(n)), "RAL " + n);
            assertEquals(0, card.register(rah(n)), "RAH " + n);
        }
        assertEquals(0, card.l34tImirReads);
    }

    @Test
    void pcieMasterIsDisabledAndItsStatusAwaitedBeforeTheReset()
    {
        final FakeCard card = new FakeCard(MAC);
        new CardInit(card, ctx, log).run();

        assertEquals(0, card.resetsWhileMastering, "CTRL.RST only once STATUS.PCIE_MASTER_ENABLE read 0");
        final int disable = firstWrite(card, CTRL, CTRL_PCIE_MASTER_DISABLE, 0);
        final int reset = firstWrite(card, CTRL, CTRL_RST, 0);
        assertTrue(disable >= 0 && disable < reset, "CTRL.PCIE_MASTER_DISABLE before CTRL.RST");
        assertEquals(1, card.writes.stream().filter(w -> w.offset() == CTRL && (w.value() & CTRL_RST) != 0).count(),
            "one reset when the master stops");
        assertNotEquals(0, card.register(STATUS) & STATUS_PCIE_MASTER_ENABLE, "the reset enabled the master again");
    }

    @Test
    void aMasterThatNeverStopsIsResetTwiceAsTheDatasheetAsks()
    {
        final FakeCard card = new FakeCard(MAC);
        card.masterStops = false;
        new CardInit(card, ctx, log).run();

        assertEquals(2, card.writes.stream().filter(w -> w.offset() == CTRL && (w.value() & CTRL_RST) != 0).count());
        assertEquals(0, card.resetsWithoutMasterDisable, "master disable set again before the second reset");
        assertTrue(logBytes.toString(StandardCharsets.UTF_8).contains("STATUS.PCIE_MASTER_ENABLE still set"),
            logBytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void autocIsWrittenOnlyUnderTheSoftwareFirmwareSemaphoreWithAPipelineReset()
    {
        final FakeCard card = new FakeCard(MAC);
        new CardInit(card, ctx, log).run();

        assertEquals(0, card.autocWritesWithoutSemaphore, "every AUTOC write holds SW_FW_SYNC.SW_MAC_CSR");
        assertEquals(0, card.register(SW_FW_SYNC) & SW_FW_SYNC_SW_MAC_CSR, "released afterwards");
        assertEquals(0, card.register(SWSM) & (SWSM_SMBI | SWSM_SWESMBI), "SWSM given back");
        final var autoc = card.writes.stream().filter(w -> w.offset() == AUTOC).map(RecordingBar.Write::value)
            .toList();
        assertEquals(3, autoc.size(), "LMS, then the pipeline reset's two writes: " + autoc);
        assertEquals(AUTOC_LMS_10G_SERIAL, autoc.get(0) & AUTOC_LMS_MASK);
        assertEquals(AUTOC_LMS_10G_SERIAL ^ AUTOC_LMS_PIPELINE_TOGGLE, autoc.get(1) & AUTOC_LMS_MASK,
            "LMS bit 2 toggled");
        assertNotEquals(0, autoc.get(1) & AUTOC_AN_RESTART);
        assertEquals(AUTOC_LMS_10G_SERIAL | AUTOC_AN_RESTART, autoc.get(2) & (AUTOC_LMS_MASK | AUTOC_AN_RESTART));
        final int taken = firstWrite(card, SW_FW_SYNC, SW_FW_SYNC_SW_MAC_CSR, 0);
        assertTrue(taken >= 0 && taken < firstWrite(card, AUTOC, 0, 0), "SW_FW_SYNC taken before AUTOC");
        assertEquals(AUTOC2_10G_SFI, card.register(AUTOC2) & AUTOC2_10G_SERIAL_PMA_PMD_MASK, "SFI");
    }

    @Test
    void aLinkTheNvmDisabledIsEnabledInAutoc2()
    {
        final FakeCard card = new FakeCard(MAC);
        card.nvmDisablesLink = true;
        new CardInit(card, ctx, log).run();
        assertEquals(0, card.register(AUTOC2) & AUTOC2_LINK_DISABLE_MASK);
        assertNotEquals(0, card.register(LINKS) & LINKS_UP);
    }

    @Test
    void aResourceFirmwareNeverGivesUpIsANamedError()
    {
        final FakeCard card = new FakeCard(MAC);
        card.firmwareHoldsMacCsr = true;
        final DeviceTimeoutException ex = assertThrows(DeviceTimeoutException.class,
            () -> new CardInit(card, ctx, log).run());
        assertTrue(ex.getMessage().contains("the manageability firmware"), ex.getMessage());
        assertEquals(0, card.autocWritesWithoutSemaphore);
    }

    /** Index of the first write of {@code offset} whose {@code bits} are set (any value with bits 0), or -1. */
    private static int firstWrite(final FakeCard card, final int offset, final int bits, final int from)
    {
        for (int i = from; i < card.writes.size(); i++)
        {
            final RecordingBar.Write w = card.writes.get(i);
            if (w.offset() == offset && (bits == 0 || (w.value() & bits) == bits))
            {
                return i;
            }
        }
        return -1;
    }

    @Test
    void resetThatNeverCompletesIsNamed()
    {
        final FakeCard card = new FakeCard(MAC);
        card.resetCompletes = false;
        assertTimeoutNamed(card, "device reset did not complete within 200 ms");
    }

    @Test
    void eepromThatNeverLoadsIsNamed()
    {
        final FakeCard card = new FakeCard(MAC);
        card.eepromReads = false;
        assertTimeoutNamed(card, "EEPROM auto-read did not complete within 200 ms");
    }

    @Test
    void dmaThatNeverInitialisesIsNamed()
    {
        final FakeCard card = new FakeCard(MAC);
        card.dmaInitialises = false;
        assertTimeoutNamed(card, "DMA initialisation did not complete within 200 ms");
    }

    @Test
    void linkThatNeverComesUpIsNamed()
    {
        final FakeCard card = new FakeCard(MAC);
        card.linkComesUp = false;
        final long start = System.nanoTime();
        assertTimeoutNamed(card, "link did not come up within 300 ms");
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(300));
    }

    @Test
    void cardWithoutMacIsRefused()
    {
        final FakeCard card = new FakeCard(0);
        final IllegalStateException ex = assertThrows(IllegalStateException.class,
            () -> new CardInit(card, ctx, log).run());
        assertTrue(ex.getMessage().contains("no valid MAC address"), ex.getMessage());
    }

    @Test
    void macRoundTripsThroughRalAndRah()
    {
        final long mac = 0x00_1B_21_3C_4D_5EL;
        assertEquals(0x3C211B00, ReceiveAddress.ral(mac), "first octet in RAL bits 7:0");
        assertEquals(0x5E4D, ReceiveAddress.rahAddress(mac));
        assertEquals(mac, ReceiveAddress.mac(ReceiveAddress.ral(mac), ReceiveAddress.rahAddress(mac) | RAH_AV));
    }


    @Test
    void flowDirectorThatNeverInitialisesIsANamedError()
    {
        final FakeCard card = new FakeCard(MAC);
        card.flowDirectorInitialises = false;
        final DeviceTimeoutException ex = assertThrows(DeviceTimeoutException.class,
            () -> new CardInit(card, new CardDriver.Context().ipv4(0x0A000001, 24)
                .flowDirectorInitTimeoutNs(TimeUnit.MILLISECONDS.toNanos(50)), log).run());
        assertTrue(ex.getMessage().contains("flow director table was not initialised within 50 ms"), ex.getMessage());
        assertTrue(ex.getMessage().contains("FDIRCTRL.INIT_DONE never set"), ex.getMessage());
    }

    @Test
    void flowDirectorInitReducesThePacketBufferSetsTheMasksAndEnablesBeforeReceive()
    {
        final FakeCard card = new FakeCard(MAC);
        card.registers[rxpbsize(0) >> 2] = 512 * 1024;
        new CardInit(card, new CardDriver.Context().ipv4(0x0A000001, 24), log).run();
        assertTrue(card.register(rxpbsize(0)) <= 256 * 1024, "RXPBSIZE(0) leaves the 256 KiB table room");
        assertEquals(FDIRCTRL_PBALLOC_256K, card.register(FDIRCTRL) & FDIRCTRL_PBALLOC_MASK);
        assertNotEquals(0, card.register(FDIRCTRL) & FDIRCTRL_PERFECT_MATCH);
        assertEquals(FDIR_BUCKET_HASH_KEY, card.register(FDIRHKEY));
        assertEquals(0, card.register(FDIRTCPM), "connections: every port bit compared");
        assertEquals(0, card.register(FDIRSIP4M), "connections: every source address bit compared");
        assertEquals(java.util.List.of(FDIRM, FDIRCTRL), card.writeOffsetsSince(0, FDIRM, FDIRCTRL),
            "the masks before FDIRCTRL");
        final java.util.List<Integer> order = card.writeOffsetsSince(0, FDIRCTRL, RXCTRL);
        assertEquals(RXCTRL, order.get(order.size() - 1), "RXEN after the flow director");
    }
    private void assertTimeoutNamed(final FakeCard card, final String expected)
    {
        final DeviceTimeoutException ex = assertThrows(DeviceTimeoutException.class,
            () -> new CardInit(card, ctx, log).run());
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
    }
}
