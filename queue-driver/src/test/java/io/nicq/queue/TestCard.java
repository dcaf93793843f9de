package io.nicq.queue;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.ReceiveFilterTables;
import io.nicq.ixgbe.SoftwareFirmwareSync;

import java.util.concurrent.TimeUnit;

import static io.nicq.ixgbe.Registers.*;

/**
 * The card driver's global initialisation (datasheet 4.6.3), reduced to what the queue driver tests need on a
 * simulated card: reset, link, CRC strip and padding, RX and TX enabled, promiscuous. And one ethertype filter, so a
 * test can steer its frames to a queue other than 0.
 */
final class TestCard
{
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    private TestCard()
    {
    }

    static void init(final Bar bar, final Runnable pump)
    {
        bar.write(EIMC, EIMC_ALL);
        bar.setBits(CTRL, CTRL_PCIE_MASTER_DISABLE);          // 5.2.5.3.2: no DMA in flight across the reset
        await(bar, pump, STATUS, STATUS_PCIE_MASTER_ENABLE, 0, "STATUS.PCIE_MASTER_ENABLE clears");
        bar.write(CTRL, CTRL_RST_MASK);
        await(bar, pump, CTRL, CTRL_RST_MASK, 0, "CTRL.RST self-clears");
        bar.write(EIMC, EIMC_ALL);
        await(bar, pump, EEC, EEC_ARD, EEC_ARD, "EEC.ARD");
        await(bar, pump, RDRXCTL, RDRXCTL_DMAIDONE, RDRXCTL_DMAIDONE, "RDRXCTL.DMAIDONE");
        final SoftwareFirmwareSync sync = new SoftwareFirmwareSync(bar); // 10.5.4: AUTOC under SW_FW_SYNC
        sync.acquire(SW_FW_SYNC_SW_MAC_CSR);
        bar.write(AUTOC, (bar.read(AUTOC) & ~AUTOC_LMS_MASK & ~AUTOC_10G_PMA_PMD_MASK) | AUTOC_LMS_10G_SERIAL);
        bar.setBits(AUTOC, AUTOC_AN_RESTART);
        sync.release(SW_FW_SYNC_SW_MAC_CSR);

        bar.clearBits(RXCTRL, RXCTRL_RXEN);
        bar.write(rxpbsize(0), RXPBSIZE_128KB);
        bar.setBits(HLREG0, HLREG0_RXCRCSTRP);
        bar.setBits(RDRXCTL, RDRXCTL_CRCSTRIP);
        bar.setBits(FCTRL, FCTRL_BAM | FCTRL_UPE | FCTRL_MPE);
        bar.setBits(CTRL_EXT, CTRL_EXT_NS_DIS);
        ReceiveFilterTables.clear(bar); // 4.6.7: no reset value; the simulated card powers on with random tables
        bar.setBits(HLREG0, HLREG0_TXCRCEN | HLREG0_TXPADEN);
        bar.write(txpbsize(0), TXPBSIZE_40KB);
        bar.write(DTXMXSZRQ, 0xFFFF);
        bar.clearBits(RTTDCS, RTTDCS_ARBDIS);
        bar.write(DMATXCTL, DMATXCTL_TE);
        // The 82599 erratum: RXEN only with the security Rx path stopped and idle.
        bar.setBits(SECRXCTRL, SECRXCTRL_RX_DIS);
        await(bar, pump, SECRXSTAT, SECRXSTAT_SECRX_RDY, SECRXSTAT_SECRX_RDY, "SECRXSTAT.SECRX_RDY");
        bar.setBits(RXCTRL, RXCTRL_RXEN);
        bar.clearBits(SECRXCTRL, SECRXCTRL_RX_DIS);
        await(bar, pump, LINKS, LINKS_UP, LINKS_UP, "LINKS.LINK_UP");
    }

    /** Frames of {@code etherType} go to RX queue {@code queue} (ETQF/ETQS filter {@code n}). */
    static void steer(final Bar bar, final int n, final int etherType, final int queue)
    {
        bar.write(etqs(n), ETQS_QUEUE_ENABLE | (queue << ETQS_RX_QUEUE_SHIFT));
        bar.write(etqf(n), ETQF_FILTER_ENABLE | etherType);
    }

    private static void await(final Bar bar, final Runnable pump, final int offset, final int mask, final int value,
        final String what)
    {
        final long deadline = System.nanoTime() + TIMEOUT_NS;
        while ((bar.read(offset) & mask) != value)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException(bar.description() + ": timed out waiting until " + what);
            }
            pump.run();
        }
    }
}
