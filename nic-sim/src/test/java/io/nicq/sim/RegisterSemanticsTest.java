package io.nicq.sim;

import io.nicq.ixgbe.ReceiveAddress;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.RegisterFile;
import io.nicq.ixgbe.SoftwareFirmwareSync;

import static io.nicq.ixgbe.Registers.*;
import static io.nicq.ixgbe.SimulatedCardFiles.*;
import static org.junit.jupiter.api.Assertions.*;

/** The register side effects of the simulated card, driven through a driver's BAR exactly as a driver would. */
class RegisterSemanticsTest
{
    @TempDir
    Path dir;

    @Test
    void fullInitSequenceReachesLinkUp()
    {
        try (CardFixture f = CardFixture.provoked(dir, "init"))
        {
            final Bar bar = f.driver.bar;
            assertEquals(LINKS_UP | LINKS_SPEED_10G, bar.read(LINKS) & (LINKS_UP | LINKS_SPEED_MASK));
            assertNotEquals(0, bar.read(STATUS) & STATUS_LINK_UP);
            assertEquals(0, bar.read(STATUS) & STATUS_NUM_VFS_MASK, "STATUS has no speed: bits 17:10 are NumVFs");
            assertEquals(0, bar.read(AUTOC) & AUTOC_AN_RESTART, "AN_RESTART self-clears");
            assertEquals(0, f.status(DMA_FAULTS_OFFSET));
            assertEquals(0, f.status(MALFORMED_DESCRIPTORS_OFFSET));
        }
    }

    @Test
    void resetSelfClearsOnlyAfterTheDeviceNoticesAndRestoresDefaults()
    {
        try (CardFixture f = CardFixture.launch(new SimulatedCard.Context().strict(false).cardName("reset").baseDir(dir)
            .wireSpec("memory")))
        {
            final Bar bar = f.driver.bar;
            bar.write(FCTRL, FCTRL_UPE);
            bar.write(rdbal(3), 0x4000);
            bar.write(HLREG0, 0);
            bar.write(ral(5), 0x12345678);
            bar.write(rah(5), RAH_AV | 0x9ABC);
            bar.write(CTRL, CTRL_RST_MASK);
            assertEquals(CTRL_RST_MASK, bar.read(CTRL) & CTRL_RST_MASK, "nothing happens before the device looks");

            f.card.doWork();
            assertEquals(0, bar.read(CTRL) & CTRL_RST_MASK, "RST and LNK_RST self-clear");
            assertEquals(0, bar.read(FCTRL));
            assertEquals(0, bar.read(rdbal(3)));
            assertEquals(0x12345678, bar.read(ral(5)), "RAL(1..127) has no reset value: it keeps what it held");
            assertEquals(0x9ABC, bar.read(rah(5)), "RAH.AV does: 0 after a reset");
            assertEquals(RegisterFile.resetValue(HLREG0), bar.read(HLREG0));
            assertNotEquals(0, bar.read(EEC) & EEC_ARD, "EEPROM auto-read done after the reset");
            assertNotEquals(0, bar.read(RDRXCTL) & RDRXCTL_DMAIDONE, "DMA init done after the reset");
            assertEquals(0, bar.read(LINKS) & LINKS_UP, "link down until AUTOC restart");

            // The EEPROM's MAC address is in receive address 0 and its alias.
            assertEquals(ReceiveAddress.ral(f.card.mac()), bar.read(ral(0)));
            assertEquals(ReceiveAddress.rahAddress(f.card.mac()) | RAH_AV, bar.read(rah(0)));
            assertEquals(bar.read(ral(0)), bar.read(ralAlias(0)));
            assertEquals(bar.read(rah(0)), bar.read(rahAlias(0)));
        }
    }

    @Test
    void theTransmitPacketBufferWrittenWhileTheArbiterRunsIsADriverError()
    {
        try (CardFixture f = CardFixture.provoked(dir, "arbdis"))
        {
            final Bar bar = f.driver.bar;
            assertEquals(0, f.status(DRIVER_ERRORS_OFFSET), "the test driver's init keeps the order");
            assertEquals(0, bar.read(RTTDCS) & RTTDCS_ARBDIS, "the arbiter runs after init");
            bar.write(txpbsize(0), TX_PACKET_BUFFER_BYTES);
            bar.write(txpbthresh(0), 0x9E);
            bar.write(MTQC, 0);
            bar.write(DTXMXSZRQ, 0xFFF);
            assertEquals(4, f.status(DRIVER_ERRORS_OFFSET), "4.6.8: DTXMXSZRQ, TXPBSIZE, TXPBTHRESH, MTQC with ARBDIS");
            bar.setBits(RTTDCS, RTTDCS_ARBDIS);
            bar.write(txpbsize(0), TX_PACKET_BUFFER_BYTES);
            bar.write(txpbthresh(0), 0x9E);
            bar.clearBits(RTTDCS, RTTDCS_ARBDIS);
            assertEquals(4, f.status(DRIVER_ERRORS_OFFSET), "inside the window: no error");
        }
    }

    @Test
    void receiveEnabledWithoutStoppingTheSecurityRxPathIsADriverErrorAndRxDisStopsReceive()
    {
        try (CardFixture f = CardFixture.provoked(dir, "secrx"))
        {
            final Bar bar = f.driver.bar;
            assertEquals(0, f.status(DRIVER_ERRORS_OFFSET), "the test driver's init stops it around RXEN");
            f.settle();
            assertEquals(0, bar.read(SECRXSTAT) & SECRXSTAT_SECRX_RDY, "running again after init");
            bar.clearBits(RXCTRL, RXCTRL_RXEN);
            bar.setBits(RXCTRL, RXCTRL_RXEN);
            assertEquals(1, f.status(DRIVER_ERRORS_OFFSET), "RXEN without SECRXCTRL.RX_DIS");

            bar.clearBits(RXCTRL, RXCTRL_RXEN);
            bar.setBits(SECRXCTRL, SECRXCTRL_RX_DIS);
            bar.setBits(RXCTRL, RXCTRL_RXEN);
            assertEquals(2, f.status(DRIVER_ERRORS_OFFSET), "RX_DIS set but SECRX_RDY not yet seen: not polled");
            bar.clearBits(RXCTRL, RXCTRL_RXEN);
            f.driver.awaitSet(SECRXSTAT, SECRXSTAT_SECRX_RDY, "SECRX_RDY once the device has looked");
            bar.write(SECRXSTAT, 0);
            assertNotEquals(0, bar.read(SECRXSTAT) & SECRXSTAT_SECRX_RDY, "read only");

            final TestDriver.RxQueue queue = f.driver.startRx(0, 16);
            bar.setBits(RXCTRL, RXCTRL_RXEN);
            f.settle();
            final byte[] frame = Frames.udp(f.card.mac(), 0x0200000000EEL, Frames.ip("10.0.0.2"),
                Frames.ip("10.0.0.1"), 1000, 7, new byte[32]);
            f.wire().inject(frame);
            f.settle();
            assertNull(queue.poll(), "the security Rx path stopped: nothing received");
            assertEquals(1, f.status(RX_DISABLED_DROPS_OFFSET));

            bar.clearBits(SECRXCTRL, SECRXCTRL_RX_DIS);
            f.settle();
            assertEquals(0, bar.read(SECRXSTAT) & SECRXSTAT_SECRX_RDY);
            f.wire().inject(frame);
            f.settle();
            assertArrayEquals(frame, queue.poll());
            assertEquals(2, f.status(DRIVER_ERRORS_OFFSET), "the polled sequence is no error");
        }
    }

    @Test
    void aTailBumpedBeforeEnableReadsBackOrAHeadWrittenWhileRunningIsADriverError()
    {
        try (CardFixture f = CardFixture.provoked(dir, "pointers"))
        {
            final Bar bar = f.driver.bar;
            final TestDriver.RxQueue rx = f.driver.new RxQueue(2, 16);
            f.driver.configureRx(rx, SRRCTL_DESCTYPE_ADV_ONEBUF | SRRCTL_DROP_EN | 2);
            assertEquals(0, f.status(DRIVER_ERRORS_OFFSET), "RDH = RDT = 0 before enabling is the datasheet's order");
            bar.setBits(rxdctl(2), DCTL_ENABLE);
            bar.write(rdt(2), 15);
            assertEquals(1, f.status(DRIVER_ERRORS_OFFSET), "RDT bumped before RXDCTL.ENABLE read back");
            f.driver.awaitSet(rxdctl(2), DCTL_ENABLE, "queue 2 enabled");
            bar.write(rdt(2), 14);
            assertEquals(1, f.status(DRIVER_ERRORS_OFFSET), "a doorbell once enabled is no error");
            bar.write(rdh(2), 3);
            assertEquals(2, f.status(DRIVER_ERRORS_OFFSET), "RDH is the device's while the queue runs");

            final TestDriver.TxQueue tx = f.driver.startTx(2, 16);
            bar.write(tdh(2), 1);
            assertEquals(3, f.status(DRIVER_ERRORS_OFFSET), "TDH likewise");
            bar.clearBits(txdctl(2), DCTL_ENABLE);
            f.driver.awaitClear(txdctl(2), DCTL_ENABLE, "queue 2 TX stopped");
            bar.write(tdh(2), 0);
            bar.write(tdt(2), 0);
            assertEquals(3, f.status(DRIVER_ERRORS_OFFSET), "zeroing a stopped queue's pointers is what teardown does");
            assertNotNull(tx);
        }
    }

    @Test
    void deviceOwnedDoneBitsCannotBeClearedByTheDriver()
    {
        try (CardFixture f = CardFixture.provoked(dir, "done"))
        {
            final Bar bar = f.driver.bar;
            bar.write(RDRXCTL, RDRXCTL_CRCSTRIP);
            bar.write(EEC, 0);
            f.card.doWork();
            assertEquals(RDRXCTL_CRCSTRIP | RDRXCTL_DMAIDONE, bar.read(RDRXCTL));
            assertNotEquals(0, bar.read(EEC) & EEC_ARD);
        }
    }

    @Test
    void linkResetTakesTheLinkDownUntilAutonegotiationRestarts()
    {
        try (CardFixture f = CardFixture.provoked(dir, "lnkrst"))
        {
            final Bar bar = f.driver.bar;
            bar.write(CTRL, CTRL_LNK_RST);
            f.card.doWork();
            assertEquals(0, bar.read(CTRL) & CTRL_LNK_RST);
            assertEquals(0, bar.read(LINKS) & LINKS_UP);
            bar.setBits(AUTOC, AUTOC_AN_RESTART);
            f.driver.awaitSet(LINKS, LINKS_UP, "link back up");
        }
    }

    @Test
    void aResetWhileThePcieMasterIsEnabledIsADriverErrorAndMasterDisableStopsDma()
    {
        try (CardFixture f = CardFixture.provoked(dir, "master"))
        {
            final Bar bar = f.driver.bar;
            assertEquals(0, f.status(DRIVER_ERRORS_OFFSET), "the test driver disables the master before its reset");
            assertNotEquals(0, bar.read(STATUS) & STATUS_PCIE_MASTER_ENABLE, "the reset enabled the master again");

            bar.write(CTRL, bar.read(CTRL) | CTRL_RST_MASK);
            assertEquals(1, f.status(DRIVER_ERRORS_OFFSET), "CTRL.RST with STATUS.PCIE_MASTER_ENABLE set");
            f.driver.awaitClear(CTRL, CTRL_RST_MASK, "reset done");

            bar.setBits(CTRL, CTRL_PCIE_MASTER_DISABLE);
            assertNotEquals(0, bar.read(STATUS) & STATUS_PCIE_MASTER_ENABLE, "clears once the device has looked");
            f.driver.awaitClear(STATUS, STATUS_PCIE_MASTER_ENABLE, "master enable status cleared");
            bar.write(CTRL, bar.read(CTRL) | CTRL_RST_MASK);
            assertEquals(1, f.status(DRIVER_ERRORS_OFFSET), "the datasheet's order is no error");
            f.driver.awaitClear(CTRL, CTRL_RST_MASK, "reset done");
            assertEquals(0, bar.read(CTRL) & CTRL_PCIE_MASTER_DISABLE, "a reset clears master disable");
            f.driver.awaitSet(STATUS, STATUS_PCIE_MASTER_ENABLE, "master enabled after the reset");
        }
    }

    @Test
    void autocWrittenWithoutTheSoftwareFirmwareSemaphoreIsADriverError()
    {
        try (CardFixture f = CardFixture.provoked(dir, "swfw"))
        {
            final Bar bar = f.driver.bar;
            assertEquals(0, f.status(DRIVER_ERRORS_OFFSET), "the test driver takes SW_FW_SYNC.SW_MAC_CSR");
            bar.setBits(AUTOC, AUTOC_AN_RESTART);
            assertEquals(1, f.status(DRIVER_ERRORS_OFFSET), "AUTOC without SW_FW_SYNC.SW_MAC_CSR");
            bar.write(SW_FW_SYNC, SW_FW_SYNC_SW_MAC_CSR);
            assertEquals(2, f.status(DRIVER_ERRORS_OFFSET), "SW_FW_SYNC without SWSM.SWESMBI");
            bar.write(SW_FW_SYNC, 0);
            assertEquals(3, f.status(DRIVER_ERRORS_OFFSET));

            assertEquals(0, bar.read(SWSM) & SWSM_SMBI, "the first reader finds SMBI clear ...");
            assertEquals(SWSM_SMBI, bar.read(SWSM) & SWSM_SMBI, "... and its read set it for everyone after");
            bar.write(SWSM, SWSM_SMBI | SWSM_SWESMBI);
            bar.write(SW_FW_SYNC, SW_FW_SYNC_SW_MAC_CSR);
            bar.write(SWSM, 0);
            bar.setBits(AUTOC, AUTOC_AN_RESTART);
            assertEquals(3, f.status(DRIVER_ERRORS_OFFSET), "the 10.5.4 sequence is no error");
        }
    }

    @Test
    void theLinkComesUpOnlyIn10GSerialWithTheNvmsLinkDisableBitsClear()
    {
        try (CardFixture f = CardFixture.provoked(dir, "lms"))
        {
            final Bar bar = f.driver.bar;
            final SoftwareFirmwareSync sync = new SoftwareFirmwareSync(bar);
            sync.acquire(SW_FW_SYNC_SW_MAC_CSR);
            assertEquals(AUTOC2_10G_SFI, bar.read(AUTOC2) & AUTOC2_10G_SERIAL_PMA_PMD_MASK, "an SFP+ board's NVM");
            bar.write(AUTOC, (bar.read(AUTOC) | AUTOC_AN_RESTART) ^ AUTOC_LMS_PIPELINE_TOGGLE);
            f.card.doWork();
            assertEquals(0, bar.read(LINKS) & LINKS_UP, "LMS 111b (KX4/KX/KR) is no SFI link");
            assertNotEquals(0, bar.read(ANLP1) & ANLP1_AN_STATE_MASK, "the AN state machine left state 0");

            bar.setBits(AUTOC2, AUTOC2_LINK_DISABLE_MASK);
            bar.write(AUTOC, (bar.read(AUTOC) & ~AUTOC_LMS_MASK) | AUTOC_LMS_10G_SERIAL | AUTOC_AN_RESTART);
            f.card.doWork();
            f.card.doWork();
            assertEquals(0, bar.read(LINKS) & LINKS_UP, "AUTOC2's link-disable bits keep it down");

            bar.clearBits(AUTOC2, AUTOC2_LINK_DISABLE_MASK);
            bar.setBits(AUTOC, AUTOC_AN_RESTART);
            f.driver.awaitSet(LINKS, LINKS_UP, "link up in 10G serial");
            sync.release(SW_FW_SYNC_SW_MAC_CSR);
            assertEquals(0, f.status(DRIVER_ERRORS_OFFSET));
        }
    }

    @Test
    void withoutAWireTheLinkNeverComesUp()
    {
        try (CardFixture f = CardFixture.launch(new SimulatedCard.Context().strict(false).cardName("nowire").baseDir(dir)))
        {
            final Bar bar = f.driver.bar;
            bar.setBits(AUTOC, AUTOC_AN_RESTART);
            for (int i = 0; i < 10; i++)
            {
                f.card.doWork();
            }
            assertEquals(0, bar.read(AUTOC) & AUTOC_AN_RESTART);
            assertEquals(0, bar.read(LINKS) & LINKS_UP);
        }
    }

    @Test
    void queueEnableReadsBackOnlyOnceTheDeviceHasEnabledTheQueue()
    {
        try (CardFixture f = CardFixture.provoked(dir, "enable"))
        {
            final TestDriver d = f.driver;
            final TestDriver.RxQueue queue = d.new RxQueue(100, 32);
            d.configureRx(queue, SRRCTL_DESCTYPE_ADV_ONEBUF | 2);
            d.bar.setBits(rxdctl(100), DCTL_ENABLE);
            assertEquals(0, d.bar.read(rxdctl(100)) & DCTL_ENABLE, "not yet: the device has not looked");
            f.card.doWork();
            assertEquals(DCTL_ENABLE, d.bar.read(rxdctl(100)) & DCTL_ENABLE);

            d.bar.clearBits(rxdctl(100), DCTL_ENABLE);
            assertEquals(DCTL_ENABLE, d.bar.read(rxdctl(100)) & DCTL_ENABLE, "still running until the device stops it");
            f.card.doWork();
            assertEquals(0, d.bar.read(rxdctl(100)) & DCTL_ENABLE);

            // A read-modify-write before the device enabled the queue withdraws the request, as on silicon.
            d.bar.setBits(rxdctl(100), DCTL_ENABLE);
            d.bar.setBits(rxdctl(100), 1 << 5);
            f.card.doWork();
            assertEquals(0, d.bar.read(rxdctl(100)) & DCTL_ENABLE);

            final TestDriver.TxQueue tx = d.startTx(127, 64);
            assertNotNull(tx);
            assertEquals(DCTL_ENABLE, d.bar.read(txdctl(127)) & DCTL_ENABLE);
        }
    }

    @Test
    void allQueuesOfBothRegisterBanksWork()
    {
        try (CardFixture f = CardFixture.provoked(dir, "banks"))
        {
            for (final int q : new int[]{0, 63, 64, 127})
            {
                f.driver.startRx(q, 8);
                f.driver.startTx(q, 8);
            }
            assertEquals(0, f.status(MALFORMED_DESCRIPTORS_OFFSET));
            assertEquals(0, f.status(DMA_FAULTS_OFFSET));
        }
    }

    @Test
    void writesToReadOnlyRegistersAndReadsOfWriteOnlyOnesAreCounted()
    {
        try (CardFixture f = CardFixture.provoked(dir, "access"))
        {
            final Bar bar = f.driver.bar;
            bar.write(LINKS, 0);
            f.card.doWork();
            assertNotEquals(0, bar.read(LINKS) & LINKS_UP, "the write was dropped");
            assertEquals(1, f.status(READ_ONLY_WRITES_OFFSET));
            bar.read(l34tImir(0));
            assertEquals(1, f.status(WRITE_ONLY_READS_OFFSET));
        }
    }

    @Test
    void actedGenerationFollowsDriverWrites()
    {
        try (CardFixture f = CardFixture.provoked(dir, "gen"))
        {
            f.driver.bar.write(EIMC, EIMC_ALL);
            final long written = f.status(WRITE_GENERATION_OFFSET);
            assertNotEquals(written, f.status(ACTED_GENERATION_OFFSET));
            f.card.doWork();
            assertEquals(written, f.status(ACTED_GENERATION_OFFSET));
        }
    }

    @Test
    void statusPageTellsWhoAndWhether()
    {
        try (CardFixture f = CardFixture.provoked(dir, "status"))
        {
            assertEquals(MAGIC, f.status(MAGIC_OFFSET));
            assertEquals(ProcessHandle.current().pid(), f.status(DEVICE_PID_OFFSET));
            assertEquals(DEVICE_RUNNING, f.status(DEVICE_STATE_OFFSET));
            assertTrue(heartbeatNow() - f.status(DEVICE_HEARTBEAT_OFFSET) < HEARTBEAT_TIMEOUT_NS);
        }
    }
}
