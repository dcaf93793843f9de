package io.nicq.ixgbe;

import org.junit.jupiter.api.Test;

import static io.nicq.ixgbe.Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Register offsets and fields the drivers use, each beside the value transcribed by hand from the references: Linux
 * and DPDK's {@code ixgbe_type.h} (the {@code IXGBE_*} name in each comment) and, where those have no name for a
 * field, Barrelfish's {@code e10k.dev} (written from datasheet rev. 2.6). A constant that drifts from the part fails
 * here by name, independently of every test that uses it.
 */
class RegisterConstantTableTest
{
    @Test
    void deviceStatusHasNoSpeedField()
    {
        assertEquals(0x00008, STATUS);                         // IXGBE_STATUS
        assertEquals(0x0000000C, STATUS_LAN_ID_MASK);          // IXGBE_STATUS_LAN_ID
        assertEquals(0x00000080, STATUS_LINK_UP);              // e10k.dev status.link_up, bit 7
        assertEquals(0x0003FC00, STATUS_NUM_VFS_MASK);         // e10k.dev status.num_vfs, bits 17:10
        assertEquals(0x00040000, STATUS_IOV_ACTIVE);           // e10k.dev status.iov_active, bit 18
        assertEquals(0x00080000, STATUS_PCIE_MASTER_ENABLE);   // IXGBE_STATUS_GIO
        assertEquals(0x042A4, LINKS);                          // IXGBE_LINKS: where the speed is
        assertEquals(0x30000000, LINKS_SPEED_MASK);            // IXGBE_LINKS_SPEED_82599
        assertEquals(0x30000000, LINKS_SPEED_10G);             // IXGBE_LINKS_SPEED_10G_82599
        assertEquals(0x40000000, LINKS_UP);                    // IXGBE_LINKS_UP
    }

    @Test
    void resetLinkSetUpAndTheSoftwareFirmwareSemaphore()
    {
        assertEquals(0x00000004, CTRL_PCIE_MASTER_DISABLE);    // IXGBE_CTRL_GIO_DIS
        assertEquals(0x00000008, CTRL_LNK_RST);                // IXGBE_CTRL_LNK_RST
        assertEquals(0x04000000, CTRL_RST);                    // IXGBE_CTRL_RST
        assertEquals(0x042A0, AUTOC);                          // IXGBE_AUTOC
        assertEquals(0x00001000, AUTOC_AN_RESTART);            // IXGBE_AUTOC_AN_RESTART
        assertEquals(0x0000E000, AUTOC_LMS_MASK);              // IXGBE_AUTOC_LMS_MASK (7 << IXGBE_AUTOC_LMS_SHIFT 13)
        assertEquals(0x00006000, AUTOC_LMS_10G_SERIAL);        // IXGBE_AUTOC_LMS_10G_SERIAL
        assertEquals(0x00008000, AUTOC_LMS_PIPELINE_TOGGLE);   // ixgbe_reset_pipeline_82599: 0x4 << LMS_SHIFT
        assertEquals(0x042A8, AUTOC2);                         // IXGBE_AUTOC2
        assertEquals(0x00030000, AUTOC2_10G_SERIAL_PMA_PMD_MASK); // IXGBE_AUTOC2_10G_SERIAL_PMA_PMD_MASK
        assertEquals(0x00020000, AUTOC2_10G_SFI);              // IXGBE_AUTOC2_10G_SFI
        assertEquals(0x70000000, AUTOC2_LINK_DISABLE_MASK);    // IXGBE_AUTOC2_LINK_DISABLE_MASK
        assertEquals(0x042B0, ANLP1);                          // IXGBE_ANLP1
        assertEquals(0x000F0000, ANLP1_AN_STATE_MASK);         // IXGBE_ANLP1_AN_STATE_MASK
        assertEquals(0x10140, SWSM);                           // IXGBE_SWSM
        assertEquals(0x00000001, SWSM_SMBI);                   // IXGBE_SWSM_SMBI
        assertEquals(0x00000002, SWSM_SWESMBI);                // IXGBE_SWSM_SWESMBI
        assertEquals(0x10160, SW_FW_SYNC);                     // IXGBE_GSSR (IXGBE_SWFW_SYNC)
        assertEquals(0x0008, SW_FW_SYNC_SW_MAC_CSR);           // IXGBE_GSSR_MAC_CSR_SM
        assertEquals(0x0100, SW_FW_SYNC_FW_MAC_CSR);           // ixgbe_acquire_swfw_sync: fwmask = mask << 5
    }

    @Test
    void rxDcaControlNamesTheBitsOfThePart()
    {
        assertEquals(0x0100C + 0x40 * 16, dcaRxctrl(16));      // IXGBE_DCA_RXCTRL(16 <= i < 64)
        assertEquals(0x02200 + 4 * 15, dcaRxctrl(15));         // IXGBE_DCA_RXCTRL(i < 16): the 82598 layout, aliased
        assertEquals(0x0D00C + 0x40 * 63, dcaRxctrl(127));
        assertEquals(1 << 12, DCA_RXCTRL_RESERVED_12);         // ixy: "reserved and initialised as 1, must be 0"
        assertEquals(1 << 13, DCA_RXCTRL_DATA_WRO_EN);         // IXGBE_DCA_RXCTRL_DATA_WRO_EN
        assertEquals(1 << 15, DCA_RXCTRL_HEAD_WRO_EN);         // IXGBE_DCA_RXCTRL_HEAD_WRO_EN
        assertEquals(0x0600C, dcaTxctrl(0));                   // IXGBE_DCA_TXCTRL_82599(0)
        assertEquals(1 << 11, DCA_TXCTRL_DESC_WRO_EN);         // IXGBE_DCA_TXCTRL_DESC_WRO_EN
    }

    @Test
    void splitReceiveControlFields()
    {
        assertEquals(0x02100, srrctl(0));                      // IXGBE_SRRCTL(0)
        assertEquals(0x01014 + 0x40 * 16, srrctl(16));
        assertEquals(0x0000001F, SRRCTL_BSIZEPACKET_MASK);     // e10k.dev srrctl.bsz_pkt, 5 bits; 7:5 must be 0
        assertEquals(0x00003F00, SRRCTL_BSIZEHEADER_MASK);     // IXGBE_SRRCTL_BSIZEHDR_MASK
        assertEquals(16, SRRCTL_BSIZEPACKET_MAX_KB);           // 8.2.3.8.7: "from 1 KB to 16 KB"
        assertEquals(0x0E000000, SRRCTL_DESCTYPE_MASK);        // IXGBE_SRRCTL_DESCTYPE_MASK
        assertEquals(0x02000000, SRRCTL_DESCTYPE_ADV_ONEBUF);  // IXGBE_SRRCTL_DESCTYPE_ADV_ONEBUF
        assertEquals(0x10000000, SRRCTL_DROP_EN);              // IXGBE_SRRCTL_DROP_EN
    }

    @Test
    void receiveAndTransmitInitialisationRegisters()
    {
        assertEquals(0x02F00, RDRXCTL);                        // IXGBE_RDRXCTL
        assertEquals(0x00000002, RDRXCTL_CRCSTRIP);            // IXGBE_RDRXCTL_CRCSTRIP
        assertEquals(0x00000008, RDRXCTL_DMAIDONE);            // IXGBE_RDRXCTL_DMAIDONE
        assertEquals(0x003E0000, RDRXCTL_RSCFRSTSIZE_MASK);    // IXGBE_RDRXCTL_RSCFRSTSIZE
        assertEquals(0x02000000, RDRXCTL_RSCACKC);             // IXGBE_RDRXCTL_RSCACKC
        assertEquals(0x04000000, RDRXCTL_FCOE_WRFIX);          // IXGBE_RDRXCTL_FCOE_WRFIX
        assertEquals(0x08D00, SECRXCTRL);                      // IXGBE_SECRXCTRL
        assertEquals(0x00000001, SECRXCTRL_SECRX_DIS);         // IXGBE_SECRXCTRL_SECRX_DIS
        assertEquals(0x00000002, SECRXCTRL_RX_DIS);            // IXGBE_SECRXCTRL_RX_DIS
        assertEquals(0x08D04, SECRXSTAT);                      // IXGBE_SECRXSTAT
        assertEquals(0x00000001, SECRXSTAT_SECRX_RDY);         // IXGBE_SECRXSTAT_SECRX_RDY
        assertEquals(RegisterFile.Access.READ_ONLY, RegisterFile.access(SECRXSTAT));
        assertEquals(0x03C00 + 4 * 7, rxpbsize(7));            // IXGBE_RXPBSIZE(7)
        assertEquals(0x0CC00 + 4 * 7, txpbsize(7));            // IXGBE_TXPBSIZE(7)
        assertEquals(0x04950 + 4 * 7, txpbthresh(7));          // IXGBE_TXPBTHRESH(7)
        assertEquals(0x03260 + 4 * 7, fcrth(7));               // IXGBE_FCRTH_82599(7)
        assertEquals(0x80000000, FCRTH_FCEN);                  // IXGBE_FCRTH_FCEN
        assertEquals(0x0007FFE0, FCRTH_RTH_MASK);              // e10k.dev fcrth.rth, bits 18:5
        assertEquals(0x08100, DTXMXSZRQ);                      // IXGBE_DTXMXSZRQ
        assertEquals(0xFFF, DTXMXSZRQ_MAX_BYTES_NUM_REQ_MASK); // e10k.dev dtxmxszrq.max_bytes, 12 bits
        assertEquals(0x00028000, TX_PACKET_BUFFER_BYTES);      // IXGBE_TXPBSIZE_MAX
        assertEquals(0x00080000, RX_PACKET_BUFFER_BYTES);      // IXGBE_RXPBSIZE_MAX
        assertEquals(0x04900, RTTDCS);                         // IXGBE_RTTDCS
        assertEquals(0x00000040, RTTDCS_ARBDIS);               // IXGBE_RTTDCS_ARBDIS
        assertEquals(0x08120, MTQC);                           // IXGBE_MTQC
        assertEquals(0x04A80, DMATXCTL);                       // IXGBE_DMATXCTL
    }

    @Test
    void receiveFilterTables()
    {
        assertEquals(0x05200 + 4 * 127, mta(127));             // IXGBE_MTA(127)
        assertEquals(0x0A000 + 4 * 127, vfta(127));            // IXGBE_VFTA(127)
        assertEquals(0x0E000 + 4 * 127, saqf(127));            // IXGBE_SAQF(127)
        assertEquals(0x0E200 + 4 * 127, daqf(127));            // IXGBE_DAQF(127)
        assertEquals(0x0E400 + 4 * 127, sdpqf(127));           // IXGBE_SDPQF(127)
        assertEquals(0x0E600 + 4 * 127, ftqf(127));            // IXGBE_FTQF(127)
        assertEquals(0x0E800 + 4 * 127, l34tImir(127));        // IXGBE_L34T_IMIR(127)
        assertEquals(0x00080000, L34T_IMIR_RESERVE);           // e10k.dev l34timir bit 19: must be 1
        assertEquals(0x0EC30, SYNQF);                          // IXGBE_SYNQF
        assertEquals(0x05128 + 4 * 7, etqf(7));                // IXGBE_ETQF(7)
        assertEquals(0x0EC00 + 4 * 7, etqs(7));                // IXGBE_ETQS(7)
        assertEquals(0x0A200 + 8 * 127, ral(127));             // IXGBE_RAL(127)
        assertEquals(0x0A204 + 8 * 127, rah(127));             // IXGBE_RAH(127)
    }

    @Test
    void registersAtTwoAddressesAndTheIndirectQueueDropEnable()
    {
        assertEquals(0x05818, MRQC_ALIAS);                     // IXGBE_MRQC (the 82598 address Linux and DPDK use)
        assertEquals(0x05C00 + 4 * 31, retaAlias(31));         // IXGBE_RETA(31)
        assertEquals(0x05C80 + 4 * 9, rssrkAlias(9));          // IXGBE_RSSRK(9)
        assertEquals(0x01014 + 0x40 * 15, srrctlAlias(15));    // IXGBE_SRRCTL's per-queue block for i <= 15
        assertEquals(0x0100C + 0x40 * 15, dcaRxctrlAlias(15)); // IXGBE_DCA_RXCTRL's per-queue block for i <= 15
        assertEquals(0x05400 + 8 * 15, ralAlias(15));          // IXGBE_RAL(15)
        assertEquals(0x02F04, PFQDE);                          // IXGBE_QDE
        assertEquals(0x00000001, PFQDE_QDE);                   // IXGBE_QDE_ENABLE
        assertEquals(0x00000002, PFQDE_HIDE_VLAN);             // IXGBE_QDE_HIDE_VLAN
        assertEquals(0x00007F00, PFQDE_QUEUE_INDEX_MASK);      // IXGBE_QDE_IDX_MASK
        assertEquals(8, PFQDE_QUEUE_INDEX_SHIFT);              // IXGBE_QDE_IDX_SHIFT
        assertEquals(0x00010000, PFQDE_WRITE);                 // IXGBE_QDE_WRITE
        assertEquals(0x00020000, PFQDE_READ);                  // IXGBE_QDE_READ
    }
}
