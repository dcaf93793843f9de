package io.nicq.card;

import io.nicq.runtime.Durations;
import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.DeviceTimeoutException;
import io.nicq.ixgbe.ReceiveAddress;
import io.nicq.ixgbe.ReceiveFilterTables;
import io.nicq.ixgbe.SoftwareFirmwareSync;
import io.nicq.ixgbe.Statistics;
import io.nicq.packet.MacAddress;
import io.nicq.proto.channel.QueueChannelLayout;

import static io.nicq.ixgbe.Registers.*;

/**
 * Global initialisation of an 82599, in the order of the datasheet (82599 10 GbE Controller Datasheet rev. 3.3,
 * section 4.6.3 and following) and of ixy's reset-and-init: reset, wait for the EEPROM and DMA, set up the link, clear
 * the statistics, set up receive and transmit globally, steer ARP to the default queue, enable receive and wait for
 * the link. Every register write names its datasheet section; every wait has a timeout and names what did not happen.
 * The flow director is initialised before receive is enabled ({@link FlowDirectorFilters#initialise}).
 * <p>
 * Per-queue ring programming is not done here: it happens when a queue driver attaches ({@link QueueProgrammer}), so
 * queues stay disabled until someone services them. Unicast filtering stays on (not promiscuous): only frames for the
 * card's own MAC (RAL/RAH(0)) and broadcasts are received.
 */
public final class CardInit
{
    /** ETQF/ETQS entry used for ARP. */
    public static final int ARP_ETQF_INDEX = 0;

    /** Ethertype of ARP, 0x0806. */
    public static final int ETHERTYPE_ARP = 0x0806;

    /** The queue unfiltered traffic and ARP go to: the card driver's own. */
    public static final int DEFAULT_QUEUE = 0;

    /** RX buffer size programmed in SRRCTL.BSIZEPACKET, in KiB: one slot of the queue channel. */
    public static final int RX_BUFFER_KB = QueueChannelLayout.SLOT_SIZE / 1024;

    /**
     * SRRCTL of every queue (8.2.3.8.7): advanced one-buffer descriptors, one slot per buffer, and drop when the queue
     * has no descriptor, so one slow application cannot stall the shared packet buffer for everyone else.
     */
    public static final int SRRCTL_VALUE = SRRCTL_DESCTYPE_ADV_ONEBUF | SRRCTL_DROP_EN |
        (RX_BUFFER_KB << SRRCTL_BSIZEPACKET_SHIFT);

    /**
     * DTXMXSZRQ.MAX_BYTES_NUM_REQ (8.2.3.9.1): 4.6.11.3.1 asks for 0xFFF, "1 MB" of outstanding TCP segmentation
     * reads; the field is 12 bits (ixy writes 0xFFFF, whose top four bits land in reserved bits).
     */
    static final int DTXMXSZRQ_VALUE = DTXMXSZRQ_MAX_BYTES_NUM_REQ_MASK;

    /**
     * TXPBTHRESH(0).THRESH (8.2.3.9.16), in KiB: 4.6.11.3.4 asks for 0xA0 (the packet buffer) less the largest frame
     * expected in the traffic class. nicq's largest is one queue channel slot, 2 KiB: 0x9E (DPDK allows for 10 KiB
     * jumbo frames, 0x96, the reset value).
     */
    static final int TXPBTHRESH_VALUE = TX_PACKET_BUFFER_BYTES / 1024 - QueueChannelLayout.SLOT_SIZE / 1024;

    /** How long to poll SECRXSTAT.SECRX_RDY: Linux's IXGBE_MAX_SECRX_POLL of 40 polls 1 ms apart. */
    static final long SECRX_READY_TIMEOUT_NS = 40_000_000L;

    /** PCIe master disable: DPDK's IXGBE_PCI_MASTER_DISABLE_TIMEOUT, 800 polls of 100 us. */
    static final long MASTER_DISABLE_TIMEOUT_NS = 80_000_000L;

    /** Pipeline reset: AN out of state 0 within 10 polls 4 ms apart (ixgbe_reset_pipeline_82599). */
    static final int PIPELINE_RESET_POLLS = 10;
    static final long PIPELINE_RESET_POLL_MS = 4;

    /** The datasheet's pause after a global reset before touching the device again (4.6.3.2: at least 10 ms). */
    private static final long POST_RESET_PAUSE_MS = 10;

    private final Bar bar;
    private final CardDriver.Context ctx;
    private final CardLog log;

    public CardInit(final Bar bar, final CardDriver.Context ctx, final CardLog log)
    {
        this.bar = bar;
        this.ctx = ctx;
        this.log = log;
    }

    /**
     * Runs the whole sequence.
     *
     * @return the card's MAC address from RAL/RAH(0), first octet most significant
     * @throws DeviceTimeoutException naming the step that did not complete in time
     * @throws IllegalStateException  when the card has no valid MAC address
     */
    public long run()
    {
        resetAndMaskInterrupts();
        awaitEepromAndDma();
        final long mac = readMacAddress();
        setUpLink();
        clearStatistics();
        initReceive(mac);
        initTransmit();
        steerArpToDefaultQueue();
        FlowDirectorFilters.initialise(bar, ctx, log);             // 7.1.2.7: before receive is enabled
        setReceiveThreshold();
        enableReceive();
        awaitLink();
        return mac;
    }

    /**
     * 4.6.3.1 / 4.6.3.2: interrupts masked (nicq polls), PCIe master disabled, then a global device and link reset.
     * When the master enable status does not clear, 5.2.5.3.2 (and the specification update's "Master Disable Flow")
     * asks for two resets more than a microsecond apart: the first stops new requests, the second clears whatever
     * completions of the old ones arrived in between. DPDK's ixgbe_reset_hw_82599 does the same.
     */
    void resetAndMaskInterrupts()
    {
        bar.write(EIMC, EIMC_ALL);                         // 8.2.3.5.4 EIMC: mask every cause before reset
        final boolean quiet = disablePcieMaster();
        reset();
        if (!quiet)
        {
            reset();
        }
        bar.write(EIMC, EIMC_ALL);                         // 8.2.3.5.4 EIMC: reset unmasks; mask again (4.6.3.1)
        bar.read(EICR);                                    // 8.2.3.5.1 EICR: clear causes latched during reset
        log.info("reset: CTRL.RST|LNK_RST cleared" + (quiet ? "" : " twice") + ", interrupts masked (EIMC=0x7FFFFFFF)");
    }

    /**
     * 5.2.5.3.2: before a reset the device must stop mastering the bus, so no DMA of the old configuration lands
     * after it. Bounded as DPDK's ixgbe_disable_pcie_master: 800 polls 100 us apart.
     *
     * @return whether STATUS.PCIE_MASTER_ENABLE cleared in time (else two resets are needed)
     */
    boolean disablePcieMaster()
    {
        // 8.2.3.1.1 CTRL.PCIE_MASTER_DISABLE: no new master requests (a reset clears the bit again).
        bar.write(CTRL, bar.read(CTRL) | CTRL_PCIE_MASTER_DISABLE);
        try
        {
            bar.await(STATUS, STATUS_PCIE_MASTER_ENABLE, false, MASTER_DISABLE_TIMEOUT_NS,
                "PCIe master requests did not stop", "STATUS.PCIE_MASTER_ENABLE"); // 8.2.3.1.2 STATUS
            return true;
        }
        catch (final DeviceTimeoutException ex)
        {
            log.info(ex.getMessage() + "; resetting twice as 5.2.5.3.2 asks");
            return false;
        }
    }

    /**
     * 4.6.3.2: CTRL.RST with CTRL.LNK_RST, awaited, then the datasheet's pause. Master disable is set again first: a
     * reset clears it, and the second of two resets must not let new requests start either (DPDK sets it "to ensure
     * any future transactions are blocked").
     */
    private void reset()
    {
        bar.write(CTRL, bar.read(CTRL) | CTRL_PCIE_MASTER_DISABLE); // 8.2.3.1.1 CTRL.PCIE_MASTER_DISABLE
        bar.write(CTRL, bar.read(CTRL) | CTRL_RST_MASK);   // 8.2.3.1.1 CTRL.RST | CTRL.LNK_RST: global reset
        bar.await(CTRL, CTRL_RST_MASK, false, ctx.resetTimeoutNs(),
            "device reset did not complete", "CTRL.RST|LNK_RST");
        sleepMs(POST_RESET_PAUSE_MS);
    }

    /** 4.6.3: after reset the device reads its EEPROM (EEC.ARD) and initialises DMA (RDRXCTL.DMAIDONE). */
    void awaitEepromAndDma()
    {
        bar.await(EEC, EEC_ARD, true, ctx.eepromTimeoutNs(),
            "EEPROM auto-read did not complete", "EEC.ARD");
        bar.await(RDRXCTL, RDRXCTL_DMAIDONE, true, ctx.dmaInitTimeoutNs(),
            "DMA initialisation did not complete", "RDRXCTL.DMAIDONE");
        log.info("EEPROM read (EEC.ARD), DMA initialised (RDRXCTL.DMAIDONE)");
    }

    /** 8.2.3.7.9: the EEPROM auto-read loaded the card's address into receive address entry 0. */
    long readMacAddress()
    {
        final int ral = bar.read(ral(0));
        final int rah = bar.read(rah(0));
        final long mac = ReceiveAddress.mac(ral, rah);
        if (mac == 0 || (mac & (1L << 40)) != 0)
        {
            throw new IllegalStateException(bar.description() + ": no valid MAC address in RAL/RAH(0) (" +
                String.format("RAL=0x%08X RAH=0x%08X", ral, rah) + ")");
        }
        log.info("MAC " + MacAddress.toString(mac) + " from RAL/RAH(0)");
        return mac;
    }

    /**
     * 4.6.4, for SFP+ (SFI) boards as DPDK's and Linux's 82599 code sets them up: the NVM's link-disable bits of AUTOC2
     * cleared and its serial PMA/PMD set to SFI, then AUTOC read, changed and written under the software/firmware
     * semaphore (10.5.4: the manageability firmware also writes AUTOC), followed by a pipeline reset
     * ({@link #resetPipeline}) while still holding it.
     */
    void setUpLink()
    {
        // 8.2.3.22.21 AUTOC2: link-disable bits cleared (ixgbe_reset_hw_82599 "Enable link if disabled in NVM"), and
        // the 10 GbE serial interface SFI. Firmware does not share AUTOC2: no semaphore (DPDK writes it without).
        bar.write(AUTOC2, (bar.read(AUTOC2) & ~(AUTOC2_LINK_DISABLE_MASK | AUTOC2_10G_SERIAL_PMA_PMD_MASK)) |
            AUTOC2_10G_SFI);
        final SoftwareFirmwareSync sync = new SoftwareFirmwareSync(bar);
        sync.acquire(SW_FW_SYNC_SW_MAC_CSR);
        try
        {
            int autoc = bar.read(AUTOC);
            autoc = (autoc & ~AUTOC_LMS_MASK) | AUTOC_LMS_10G_SERIAL;   // 8.2.3.22.19 AUTOC.LMS = 10G serial
            autoc &= ~AUTOC_10G_PMA_PMD_MASK;                           // 8.2.3.22.19 AUTOC.10G_PMA_PMD_PARALLEL 0
            bar.write(AUTOC, autoc);                                    // 8.2.3.22.19 AUTOC, under MAC_CSR
            resetPipeline(autoc);
        }
        finally
        {
            sync.release(SW_FW_SYNC_SW_MAC_CSR);
        }
        log.info("link: AUTOC2 SFI with link-disable cleared, AUTOC.LMS = 10G serial under SW_FW_SYNC.MAC_CSR, " +
            "pipeline reset");
    }

    /**
     * ixgbe_reset_pipeline_82599's steps: AUTOC written with LMS bit 2 toggled and AN_RESTART, the AN state machine
     * awaited out of state 0 (ANLP1.AN_STATE, 10 polls 4 ms apart), then AUTOC with the real LMS and AN_RESTART. A
     * write of AUTOC alone may leave the link pipeline in its old mode. DPDK and Linux report an AN state that stays
     * 0 and go on with the final write; so does nicq (the link wait that follows is the judge).
     */
    private void resetPipeline(final int autoc)
    {
        // 8.2.3.22.19 AUTOC: LMS[2] toggled with AN_RESTART restarts the whole pipeline.
        bar.write(AUTOC, (autoc | AUTOC_AN_RESTART) ^ AUTOC_LMS_PIPELINE_TOGGLE);
        int anlp1 = 0;
        for (int poll = 0; poll < PIPELINE_RESET_POLLS && (anlp1 & ANLP1_AN_STATE_MASK) == 0; poll++)
        {
            sleepMs(PIPELINE_RESET_POLL_MS);
            anlp1 = bar.read(ANLP1);                                     // 8.2.3.22.23 ANLP1.AN_STATE
        }
        if ((anlp1 & ANLP1_AN_STATE_MASK) == 0)
        {
            log.info(String.format("pipeline reset: auto-negotiation did not leave state 0 within %d ms (ANLP1 " +
                "reads 0x%08X); writing AUTOC back all the same, as DPDK does",
                PIPELINE_RESET_POLLS * PIPELINE_RESET_POLL_MS, anlp1));
        }
        bar.write(AUTOC, autoc | AUTOC_AN_RESTART);                      // 8.2.3.22.19 AUTOC: real LMS, AN_RESTART
    }

    /** 4.6.3: the statistics are clear-on-read; read them once so counting starts at zero. */
    void clearStatistics()
    {
        Statistics.clearAll(bar);                                   // 8.2.3.23 every statistics register, clear on read
        log.info("statistics cleared (read once)");
    }

    /** 4.6.7: receive set up globally; rings are programmed per queue when a queue driver attaches. */
    void initReceive(final long mac)
    {
        bar.write(RXCTRL, bar.read(RXCTRL) & ~RXCTRL_RXEN);       // 8.2.3.8.10 RXCTRL.RXEN off while configuring
        // 8.2.3.8.9 RXPBSIZE(0): 4.6.11.3.4 (DCB off, VT off) gives the whole 512 KiB to TC 0 ("RXPBSIZE[0].SIZE=
        // 0x200"); the flow director takes its table's share out of it later (FlowDirectorFilters.initialise).
        bar.write(rxpbsize(0), RX_PACKET_BUFFER_BYTES);
        for (int n = 1; n < PACKET_BUFFER_COUNT; n++)
        {
            bar.write(rxpbsize(n), 0);                             // 8.2.3.8.9 RXPBSIZE(1..7): no other TC
        }
        bar.write(HLREG0, bar.read(HLREG0) | HLREG0_RXCRCSTRP);    // 8.2.3.22.8 HLREG0.RXCRCSTRP
        // 8.2.3.8.8 RDRXCTL: CRCSTRIP must match HLREG0.RXCRCSTRP; 4.6.7 says RSCFRSTSIZE "should be set to 0x0 as
        // opposed to its hardware default", and the register's description that RSCACKC and FCOE_WRFIX "should be
        // set to 1b" (Linux's ixgbe_setup_rdrxctl, DPDK and TinyNF do all three, with RSC off or on).
        bar.write(RDRXCTL, (bar.read(RDRXCTL) | RDRXCTL_CRCSTRIP | RDRXCTL_RSCACKC | RDRXCTL_FCOE_WRFIX) &
            ~RDRXCTL_RSCFRSTSIZE_MASK);
        bar.write(MRQC, 0);                                        // 8.2.3.7.12 MRQC: no RSS, unmatched -> queue 0
        // 4.6.7: the filter tables have no reset value and survive a software reset: 5-tuple filters of an earlier
        // driver would steer frames to queues nobody serves. FTQF/SAQF/DAQF/SDPQF/L34T_IMIR (all 128), SYNQF,
        // ETQF/ETQS, MTA, VFTA and RAL/RAH(1..127) are cleared (each write's section is in ReceiveFilterTables).
        ReceiveFilterTables.clear(bar);

        // 8.2.3.7.1 FCTRL: broadcasts accepted (ARP requests are broadcast); unicast and multicast promiscuous off,
        // so the card receives only what is addressed to it (RAL/RAH(0)).
        bar.write(FCTRL, (bar.read(FCTRL) | FCTRL_BAM) & ~(FCTRL_UPE | FCTRL_MPE));
        bar.write(ral(0), ReceiveAddress.ral(mac));                // 8.2.3.7.9 RAL(0): the card's own address
        bar.write(rah(0), ReceiveAddress.rahAddress(mac) | RAH_AV); // 8.2.3.7.10 RAH(0): address valid

        for (int q = 0; q < QUEUE_COUNT; q++)
        {
            bar.write(srrctl(q), SRRCTL_VALUE);                   // 8.2.3.8.7 SRRCTL: one slot per buffer, DROP_EN
            // 8.2.3.11.1 DCA_RXCTRL: reserved bit 12 resets to 1 and must be 0 (ixy clears it too); relaxed ordering
            // of data and header writes off, as Linux's ixgbe_start_hw_gen2 does, so no write of a frame can be
            // reordered on the bus around the others.
            bar.write(dcaRxctrl(q), bar.read(dcaRxctrl(q)) &
                ~(DCA_RXCTRL_RESERVED_12 | DCA_RXCTRL_DATA_WRO_EN | DCA_RXCTRL_HEAD_WRO_EN));
        }
        bar.write(CTRL_EXT, bar.read(CTRL_EXT) | CTRL_EXT_NS_DIS); // 8.2.3.1.3 CTRL_EXT.NS_DIS: no-snoop off
        log.info("RX: filter tables cleared, RXPBSIZE(0)=512 KiB, CRC strip, RSCACKC|FCOE_WRFIX, broadcast accepted, " +
            "unicast filter " +
            MacAddress.toString(mac) + ", SRRCTL 2 KiB with DROP_EN on " + QUEUE_COUNT + " queues");
    }

    /**
     * 4.6.8: transmit set up globally. The packet buffer and request sizes are programmed inside the RTTDCS.ARBDIS
     * window, as 4.6.8 orders it: "Set RTTDCS.ARBDIS to 1b. Program DTXMXSZRQ, TXPBSIZE, TXPBTHRESH, MTQC ... Clear
     * RTTDCS.ARBDIS to 0b": the arbiter must not run on a half-configured packet buffer.
     */
    void initTransmit()
    {
        bar.write(HLREG0, bar.read(HLREG0) | HLREG0_TXCRCEN | HLREG0_TXPADEN); // 8.2.3.22.8 CRC append, pad
        for (int q = 0; q < QUEUE_COUNT; q++)
        {
            // 8.2.3.11.2 DCA_TXCTRL: bit 11 (relaxed ordering of descriptor write-back) is 1 after reset. With it the
            // head write-back may overtake the data and descriptor writes it covers, so the queue driver could
            // reclaim slots still under DMA; Linux's ixgbe_start_hw_gen2 clears it too.
            bar.write(dcaTxctrl(q), bar.read(dcaTxctrl(q)) & ~DCA_TXCTRL_DESC_WRO_EN);
        }
        bar.write(RTTDCS, bar.read(RTTDCS) | RTTDCS_ARBDIS);       // 8.2.3.10.2 RTTDCS.ARBDIS: arbiter off
        bar.write(DTXMXSZRQ, DTXMXSZRQ_VALUE);                     // 8.2.3.9.1 DTXMXSZRQ: 0xFFF (4.6.11.3.1)
        // 8.2.3.9.13 TXPBSIZE(0): 4.6.11.3.4 gives TC 0 the whole 160 KiB ("TXPBSIZE[0].SIZE=0xA0"), none to 1..7.
        bar.write(txpbsize(0), TX_PACKET_BUFFER_BYTES);
        // 8.2.3.9.16 TXPBTHRESH(0): the packet buffer less the largest frame nicq sends, in KiB (0x9E).
        bar.write(txpbthresh(0), TXPBTHRESH_VALUE);
        for (int n = 1; n < PACKET_BUFFER_COUNT; n++)
        {
            bar.write(txpbsize(n), 0);                             // 8.2.3.9.13 TXPBSIZE(1..7): no other TC
            bar.write(txpbthresh(n), 0);                           // 8.2.3.9.16 TXPBTHRESH(1..7): 0 (4.6.11.3.4)
        }
        bar.write(MTQC, 0);                                        // 8.2.3.9.15 MTQC: one TC, no VT
        bar.write(RTTDCS, bar.read(RTTDCS) & ~RTTDCS_ARBDIS);      // 8.2.3.10.2 RTTDCS.ARBDIS cleared for TX
        // 8.2.3.9.2 DMATXCTL.TE: before any TXDCTL.ENABLE (4.6.8: "for the first enabled transmit queue").
        bar.write(DMATXCTL, bar.read(DMATXCTL) | DMATXCTL_TE);
        log.info("TX: CRC append and padding, DCA_TXCTRL relaxed write-back off; with the arbiter off " +
            "DTXMXSZRQ=0xFFF, TXPBSIZE(0)=160 KiB, TXPBTHRESH(0)=" + TXPBTHRESH_VALUE + " KiB, MTQC=0; DMATXCTL.TE");
    }

    /**
     * 4.6.3.2: "FCRTH[n].RTH fields must be set by default regardless if flow control is enabled or not. Typically,
     * FCRTH[n] default value should be equal to RXPBSIZE[n]-0x6000" (TinyNF quotes it; Linux's ixgbe_fc_enable
     * computes the same). Written once the flow director has taken its share of RXPBSIZE(0); FCEN stays 0.
     */
    void setReceiveThreshold()
    {
        final int rxpbsize = bar.read(rxpbsize(0));
        // 8.2.3.3.4 FCRTH(0).RTH: RXPBSIZE(0) - 0x6000, in bytes, 32-byte granularity; no flow control (FCEN 0).
        bar.write(fcrth(0), (rxpbsize - FCRTH_HEADROOM_BYTES) & FCRTH_RTH_MASK);
        log.info("FCRTH(0).RTH = RXPBSIZE(0) - 24 KiB = " + (rxpbsize - FCRTH_HEADROOM_BYTES) / 1024 + " KiB");
    }

    /**
     * 7.1.2.3: an ethertype filter sends every ARP frame to the default queue, where the card driver answers and
     * learns (the netd role), whatever the 5-tuple filters say.
     */
    void steerArpToDefaultQueue()
    {
        bar.write(etqs(ARP_ETQF_INDEX),                            // 8.2.3.7 ETQS: queue 0, queue enable
            ETQS_QUEUE_ENABLE | (DEFAULT_QUEUE << ETQS_RX_QUEUE_SHIFT));
        bar.write(etqf(ARP_ETQF_INDEX),                            // 8.2.3.7 ETQF: ethertype 0x0806, enable
            ETQF_FILTER_ENABLE | ETHERTYPE_ARP);
        log.info("ARP (ethertype 0x0806) -> queue 0 by ETQF/ETQS(" + ARP_ETQF_INDEX + ")");
    }

    /**
     * 4.6.7: receive on; queues without an enabled ring drop (SRRCTL.DROP_EN) until a queue driver attaches. RXEN is
     * set with the security Rx path stopped: an 82599 erratum (Linux's and DPDK's ixgbe_enable_rx_dma_82599) says
     * frames arriving while the Rx unit is enabled can hang its DMA unless the security block is idle. Linux goes on
     * when SECRX_RDY does not come within 40 ms, and so does nicq (logged).
     */
    void enableReceive()
    {
        bar.write(SECRXCTRL, bar.read(SECRXCTRL) | SECRXCTRL_RX_DIS); // 8.2.3.12.5 SECRXCTRL.RX_DIS: stop sec Rx
        try
        {
            bar.await(SECRXSTAT, SECRXSTAT_SECRX_RDY, true, SECRX_READY_TIMEOUT_NS,
                "security Rx path did not stop", "SECRXSTAT.SECRX_RDY");   // 8.2.3.12.6 SECRXSTAT.SECRX_RDY
        }
        catch (final DeviceTimeoutException ex)
        {
            log.info("RX enabled before the security Rx path was idle (" + ex.getMessage() + "); continuing, as " +
                "Linux does");
        }
        bar.write(RXCTRL, bar.read(RXCTRL) | RXCTRL_RXEN);         // 8.2.3.8.10 RXCTRL.RXEN
        bar.write(SECRXCTRL, bar.read(SECRXCTRL) & ~SECRXCTRL_RX_DIS); // 8.2.3.12.5 SECRXCTRL.RX_DIS: restart
        bar.write(CTRL_EXT, bar.read(CTRL_EXT) | CTRL_EXT_DRV_LOAD); // 8.2.3.1.3 CTRL_EXT.DRV_LOAD: a driver owns it
        log.info("RX enabled (RXCTRL.RXEN, inside SECRXCTRL.RX_DIS), driver loaded (CTRL_EXT.DRV_LOAD)");
    }

    /** 4.6.4: the link comes up some time after AN_RESTART (ixy allows 10 s). */
    void awaitLink()
    {
        final long start = System.nanoTime();
        bar.await(LINKS, LINKS_UP, true, ctx.linkTimeoutNs(), "link did not come up", "LINKS.LINK_UP");
        final int links = bar.read(LINKS);
        final String speed = (links & LINKS_SPEED_MASK) == LINKS_SPEED_10G ? "10 Gb/s" :
            "speed code " + ((links & LINKS_SPEED_MASK) >>> 28);
        log.info("link up at " + speed + " after " + Durations.format(System.nanoTime() - start));
    }

    private static void sleepMs(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during card initialisation", ex);
        }
    }
}
