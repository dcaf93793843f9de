package io.nicq.card;

import java.util.SplittableRandom;

import io.nicq.ixgbe.ReceiveAddress;
import io.nicq.ixgbe.RegisterFile;

import static io.nicq.ixgbe.Registers.*;

/**
 * An in-memory card with just enough behaviour for the init sequence, each part switchable off to provoke a timeout:
 * reset bits self-clear, EEC.ARD and RDRXCTL.DMAIDONE are set after reset, STATUS.PCIE_MASTER_ENABLE clears after
 * CTRL.PCIE_MASTER_DISABLE, a read of SWSM sets SMBI, ANLP1.AN_STATE leaves 0 at AUTOC.AN_RESTART and LINKS.LINK_UP
 * follows an AN_RESTART in 10G serial with AUTOC2's link-disable bits clear (the NVM may set them at reset), AUTOC
 * written without SW_FW_SYNC.SW_MAC_CSR and a reset while the master is enabled are counted,
 * RAL/RAH(0) hold a MAC, FDIRCTRL.INIT_DONE follows a write of FDIRCTRL with PBALLOC and FDIRCMD.CMD self-clears
 * (a query finds the filter), SECRXSTAT.SECRX_RDY follows SECRXCTRL.RX_DIS, clear-on-read registers
 * ({@link RegisterFile}) are zero once read. Like the 82599, a reset leaves the statistics alone: they count from
 * where they were until a driver reads them. Every other register holds its reset value
 * ({@link RegisterFile#resetValue}) from the start and again after a reset, so a bit the driver must clear
 * (DCA_RXCTRL, DCA_TXCTRL) is set until it does; bits without a reset value ({@link RegisterFile#undefinedBits}:
 * the filter tables) hold garbage from power-on, across resets, until the driver writes them.
 */
final class FakeCard extends RecordingBar
{
    boolean resetCompletes = true;
    boolean eepromReads = true;
    boolean dmaInitialises = true;
    boolean linkComesUp = true;
    boolean flowDirectorInitialises = true;
    boolean flowDirectorCompletesCommands = true;
    boolean securityRxIdles = true;
    boolean masterStops = true;
    boolean nvmDisablesLink;
    boolean firmwareHoldsMacCsr;
    int autocWritesWithoutSemaphore;
    int resetsWhileMastering;
    int resetsWithoutMasterDisable;

    FakeCard(final long mac)
    {
        // Power-on: the registers without a reset value (the filter tables) hold garbage.
        final SplittableRandom random = new SplittableRandom(mac);
        RegisterFile.forEachUndefined(offset -> registers[offset >> 2] = random.nextInt());
        applyResetValues();
        registers[ral(0) >> 2] = ReceiveAddress.ral(mac);
        registers[rah(0) >> 2] = ReceiveAddress.rahAddress(mac);
    }

    public int read(final int offset)
    {
        final int value = super.read(offset);
        if (offset == SWSM)
        {
            registers[SWSM >> 2] = value | SWSM_SMBI;
        }
        if (RegisterFile.isClearOnRead(offset))
        {
            registers[offset >> 2] = 0;
        }
        return value;
    }

    void onWrite(final int offset, final int value)
    {
        if (offset == AUTOC && (register(SW_FW_SYNC) & SW_FW_SYNC_SW_MAC_CSR) == 0)
        {
            autocWritesWithoutSemaphore++;
        }
        if (offset == CTRL && (value & CTRL_RST) != 0 && (register(STATUS) & STATUS_PCIE_MASTER_ENABLE) != 0)
        {
            resetsWhileMastering++;
        }
        if (offset == CTRL && (value & CTRL_RST) != 0 && (value & CTRL_PCIE_MASTER_DISABLE) == 0)
        {
            resetsWithoutMasterDisable++;
        }
        if (offset == CTRL && (value & CTRL_RST_MASK) == 0)
        {
            final int status = register(STATUS);
            registers[STATUS >> 2] = (value & CTRL_PCIE_MASTER_DISABLE) != 0 && masterStops ?
                status & ~STATUS_PCIE_MASTER_ENABLE : status | STATUS_PCIE_MASTER_ENABLE;
        }
        else if (offset == CTRL && resetCompletes)
        {
            applyResetValues();
            registers[CTRL >> 2] = RegisterFile.resetValue(CTRL);
            if (nvmDisablesLink)
            {
                registers[AUTOC2 >> 2] |= AUTOC2_LINK_DISABLE_MASK;
            }
            if (firmwareHoldsMacCsr)
            {
                registers[SW_FW_SYNC >> 2] |= SW_FW_SYNC_FW_MAC_CSR;
            }
            registers[EEC >> 2] = eepromReads ? EEC_ARD : 0;
            registers[RDRXCTL >> 2] = dmaInitialises ? RDRXCTL_DMAIDONE : 0;
            registers[LINKS >> 2] = 0;
        }
        else if (offset == FDIRCTRL && (value & FDIRCTRL_PBALLOC_MASK) != 0 && flowDirectorInitialises)
        {
            registers[FDIRCTRL >> 2] = value | FDIRCTRL_INIT_DONE;
        }
        else if (offset == FDIRCMD && (value & FDIRCMD_CMD_MASK) != 0 && flowDirectorCompletesCommands)
        {
            final boolean query = (value & FDIRCMD_CMD_MASK) == FDIRCMD_CMD_QUERY;
            registers[FDIRCMD >> 2] = (value & ~FDIRCMD_CMD_MASK) | (query ? FDIRCMD_FILTER_VALID : 0);
        }
        else if (offset == SECRXCTRL)
        {
            registers[SECRXSTAT >> 2] = (value & SECRXCTRL_RX_DIS) != 0 && securityRxIdles ? SECRXSTAT_SECRX_RDY : 0;
        }
        else if (offset == AUTOC && (value & AUTOC_AN_RESTART) != 0)
        {
            registers[AUTOC >> 2] = value & ~AUTOC_AN_RESTART;
            registers[ANLP1 >> 2] = 1 << 16;
            final boolean serial = (value & AUTOC_LMS_MASK) == AUTOC_LMS_10G_SERIAL &&
                (register(AUTOC2) & AUTOC2_LINK_DISABLE_MASK) == 0;
            registers[LINKS >> 2] = linkComesUp && serial ? LINKS_UP | LINKS_SPEED_10G : 0;
        }
    }

    private void applyResetValues()
    {
        for (int index = 0; index < registers.length; index++)
        {
            final int offset = index << 2;
            if (!RegisterFile.isClearOnRead(offset) && offset != ral(0) && offset != rah(0))
            {
                final int undefined = RegisterFile.undefinedBits(offset);
                registers[index] = (registers[index] & undefined) | (RegisterFile.resetValue(offset) & ~undefined);
            }
        }
    }

    int register(final int offset)
    {
        return registers[offset >> 2];
    }
}
