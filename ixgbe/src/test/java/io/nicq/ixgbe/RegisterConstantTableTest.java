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
}
