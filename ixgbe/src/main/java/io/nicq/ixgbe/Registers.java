package io.nicq.ixgbe;

/**
 * The Intel 82599 register map: offsets into BAR0 and their bit fields, as the datasheet (82599 10 GbE Controller
 * Datasheet rev. 3.3) gives them. All registers are 32 bits, little endian. Both the drivers and the simulated card
 * use these constants, and {@link RegisterFile} describes each register's access type and reset value once for both.
 * <p>
 * Section numbers (e.g. "8.2.3.1.1") refer to the datasheet. Per-queue registers are methods taking the queue index.
 */
public final class Registers
{
    /** Size of the register space the drivers and the simulated card use (the 82599's BAR0 decodes 512 KiB; every
     * register nicq touches lies in the first 128 KiB). */
    public static final int BAR_SIZE = 0x20000;

    /** RX and TX queues of the 82599. */
    public static final int QUEUE_COUNT = 128;

    /** Per-queue statistics counter sets (QPRC and friends); queues are mapped to them by RQSMR/TQSM. */
    public static final int QUEUE_STATS_COUNT = 16;

    /** L3/L4 5-tuple filters (FTQF and friends). */
    public static final int FIVE_TUPLE_FILTER_COUNT = 128;

    /** L2 ethertype filters (ETQF/ETQS). */
    public static final int ETHERTYPE_FILTER_COUNT = 8;

    // ---------------------------------------------------------------------------------------------------------------
    // General control, 8.2.3.1
    // ---------------------------------------------------------------------------------------------------------------

    /** Device Control, 8.2.3.1.1. */
    public static final int CTRL = 0x00000;
    /**
     * PCIe Master Disable, bit 2 (Linux's IXGBE_CTRL_GIO_DIS): the device issues no new master requests; once the
     * ones in flight are done STATUS.PCIE_MASTER_ENABLE clears (5.2.5.3.2). Set before CTRL.RST; a reset clears it.
     */
    public static final int CTRL_PCIE_MASTER_DISABLE = 1 << 2;
    /** Link reset: resets the MAC/PHY link logic; self-clearing. */
    public static final int CTRL_LNK_RST = 1 << 3;
    /** Device reset: resets the whole device except PCI config; self-clearing. */
    public static final int CTRL_RST = 1 << 26;
    /** What ixy and the datasheet's software reset write: device and link reset together. */
    public static final int CTRL_RST_MASK = CTRL_LNK_RST | CTRL_RST;

    /**
     * Device Status, 8.2.3.1.2. It has no speed field on the 82599 (that is LINKS.LINK_SPEED, 8.2.3.22.20): bits 17:10
     * are NumVFs, so a driver that read a speed at [11:10] would read the count of virtual functions.
     */
    public static final int STATUS = 0x00008;
    /** LAN ID [3:2]: which port of the device this function is (Linux's IXGBE_STATUS_LAN_ID). */
    public static final int STATUS_LAN_ID_MASK = 0x3 << 2;
    /** Linkup Status Indication, bit 7. */
    public static final int STATUS_LINK_UP = 1 << 7;
    /** Num VFs [17:10]: virtual functions enabled in the SR-IOV capability (0 without SR-IOV). */
    public static final int STATUS_NUM_VFS_MASK = 0xFF << 10;
    /** IOV Active, bit 18. */
    public static final int STATUS_IOV_ACTIVE = 1 << 18;
    /** PCIe Master Enable Status, bit 19 (Linux's IXGBE_STATUS_GIO): clears once master disable has taken effect. */
    public static final int STATUS_PCIE_MASTER_ENABLE = 1 << 19;

    /** Extended Device Control, 8.2.3.1.3. */
    public static final int CTRL_EXT = 0x00018;
    /** No-snoop disable. */
    public static final int CTRL_EXT_NS_DIS = 1 << 16;
    /** Driver loaded: tells firmware a driver owns the device. */
    public static final int CTRL_EXT_DRV_LOAD = 1 << 28;

    /** EEPROM/Flash Control, 8.2.3.2.1. */
    public static final int EEC = 0x10010;
    /** Auto read done: the EEPROM has been read after reset. */
    public static final int EEC_ARD = 1 << 9;

    /**
     * Software Semaphore (0x10140; the flow is 10.5.4): SMBI, bit 0, is set by the device when software reads the
     * register, so the reader that saw it 0 owns it among drivers; software clears it by writing 0.
     */
    public static final int SWSM = 0x10140;
    /** Software semaphore between drivers, bit 0 (Linux's IXGBE_SWSM_SMBI): set by a read, cleared by software. */
    public static final int SWSM_SMBI = 1 << 0;
    /**
     * Software/firmware semaphore, bit 1 (IXGBE_SWSM_SWESMBI): software writes 1 and owns SW_FW_SYNC if it reads back
     * 1 (firmware holding it keeps the write from taking).
     */
    public static final int SWSM_SWESMBI = 1 << 1;

    /**
     * Software-Firmware Synchronization (0x10160, Linux's IXGBE_GSSR; the flow is 10.5.4): a bit per shared resource
     * for software in [4:0] and the same resources for firmware five bits up; written only while holding
     * SWSM.SWESMBI.
     */
    public static final int SW_FW_SYNC = 0x10160;
    /** Software owns the MAC CSRs (AUTOC among them), bit 3 (IXGBE_GSSR_MAC_CSR_SM). */
    public static final int SW_FW_SYNC_SW_MAC_CSR = 1 << 3;
    /** Firmware's bit for a software resource is five bits up (DPDK's and Linux's "mask << 5"). */
    public static final int SW_FW_SYNC_FIRMWARE_SHIFT = 5;
    /** Firmware owns the MAC CSRs, bit 8. */
    public static final int SW_FW_SYNC_FW_MAC_CSR = SW_FW_SYNC_SW_MAC_CSR << SW_FW_SYNC_FIRMWARE_SHIFT;

    // ---------------------------------------------------------------------------------------------------------------
    // Interrupts, 8.2.3.5
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * Extended Interrupt Cause (8.2.3.5.1, RW1C): bits 15:0 are the queue causes (RTxQ; in MSI-X mode bit v is MSI-X
     * vector v, raised by the queues IVAR maps to it), 29:16 the "other" causes, 30 the TCP timer, 31 the Other
     * cause. Writing 1 clears a bit; reading clears every bit, or with GPIE.OCD only the other causes (bits 29:16), so
     * that the Other vector's handler cannot clear the queue vectors' causes; EIAC clears bits at interrupt assertion.
     */
    public static final int EICR = 0x00800;
    /** EICR's queue causes [15:0] (RTxQ): the interrupt vectors 0..15 in MSI-X mode. */
    public static final int EICR_RTX_QUEUE = 0x0000FFFF;
    /** EICR's other causes [29:16] (flow director, RX miss, PCI, mailbox, LSC, ...): still read-to-clear with OCD. */
    public static final int EICR_OTHER_CAUSES = 0x3FFF0000;
    /** EICR's TCP timer cause [30]. */
    public static final int EICR_TCP_TIMER = 1 << 30;
    /** EICR's Other cause [31], set while any of the other causes is. */
    public static final int EICR_OTHER = 1 << 31;
    /**
     * Extended Interrupt Cause Set (8.2.3.5.2, WO): writing 1 sets the cause in EICR (and raises its interrupt if
     * unmasked). Linux reads it to see EICR without clearing it (its workaround for a read-to-clear race); the
     * simulated card answers such a read with EICR.
     */
    public static final int EICS = 0x00808;
    /** Extended Interrupt Auto Clear (8.2.3.5.5, RW): EICR bits cleared when their MSI-X vector is asserted. */
    public static final int EIAC = 0x00810;
    /** Extended Interrupt Mask Set/Read (8.2.3.5.3, RWS): writing 1 enables (unmasks) a cause; a read is the mask. */
    public static final int EIMS = 0x00880;
    /** Extended Interrupt Mask Clear (8.2.3.5.4, WO): writing 1 clears the EIMS bit (masks the cause). */
    public static final int EIMC = 0x00888;
    /** Masks every interrupt cause. */
    public static final int EIMC_ALL = 0x7FFFFFFF;
    /**
     * Extended Interrupt Auto Mask Enable (8.2.3.5.6, RW): with GPIE.EIAME, a set bit clears its EIMS bit when the
     * vector's MSI-X message is sent, so the vector stays quiet until the driver unmasks it again.
     */
    public static final int EIAM = 0x00890;
    /** General Purpose Interrupt Enable (8.2.3.5.18). */
    public static final int GPIE = 0x00898;
    /** GPIE: MSI-X mode (multiple vectors; IVAR maps causes to EICR bits and vectors) [4]. */
    public static final int GPIE_MSIX_MODE = 1 << 4;
    /** GPIE: Other Clear Disable [5]: a read of EICR clears only the other causes [29:16]. */
    public static final int GPIE_OCD = 1 << 5;
    /** GPIE: Extended Interrupt Auto Mask Enable [30]: EIAM applies when a vector's message is sent. */
    public static final int GPIE_EIAME = 1 << 30;
    /** GPIE: PBA support [31]: the pending bit array of MSI-X is used (Linux, FreeBSD and DPDK set it). */
    public static final int GPIE_PBA_SUPPORT = 1 << 31;

    /** Interrupt vectors the queue causes reach through EICR[15:0] (the _EX registers for 16..63 are not used). */
    public static final int QUEUE_VECTOR_COUNT = 16;

    /**
     * Extended Interrupt Throttle register of vector n (8.2.3.5.12): the minimum interval between two interrupts of
     * the vector in ITR [11:3], in 2 us units on the 82599 (0: no throttling).
     */
    public static int eitr(final int n)
    {
        return n < 24 ? 0x00820 + 4 * n : 0x12300 + 4 * (n - 24);
    }

    /** EITR's interval field ITR [11:3]. */
    public static final int EITR_ITR_MASK = 0x00000FF8;
    public static final int EITR_ITR_SHIFT = 3;
    /** One unit of EITR.ITR on the 82599 at 10 Gb/s, in ns. */
    public static final long EITR_ITR_UNIT_NS = 2_000L;
    /** EITR: counter write disable [31] (write only): the write leaves the ITR counter and LLI credit alone. */
    public static final int EITR_CNT_WDIS = 1 << 31;

    /** EITR's throttling interval in ns: ITR x 2 us. */
    public static long eitrIntervalNs(final int eitr)
    {
        return ((eitr & EITR_ITR_MASK) >>> EITR_ITR_SHIFT) * EITR_ITR_UNIT_NS;
    }

    /** The EITR value whose interval is the given number of microseconds (rounded down to 2 us). */
    public static int eitrForMicros(final int micros)
    {
        if (micros < 0 || micros / 2 > (EITR_ITR_MASK >>> EITR_ITR_SHIFT))
        {
            throw new IllegalArgumentException("EITR interval " + micros + " us is outside 0..1022 us");
        }
        return (micros / 2) << EITR_ITR_SHIFT;
    }

    /**
     * Interrupt Vector Allocation register n (8.2.3.5.16), n = 0..63: the vectors of RX and TX queues 2n and 2n+1,
     * one byte each: [7:0] RX 2n, [15:8] TX 2n, [23:16] RX 2n+1, [31:24] TX 2n+1; each byte is INT_ALLOC [5:0] and
     * INT_ALLOC_VAL [7].
     */
    public static int ivar(final int n)
    {
        return 0x00900 + 4 * n;
    }

    /** IVAR registers: two queues each. */
    public static final int IVAR_COUNT = 64;
    /** An IVAR entry's vector INT_ALLOC [5:0]. */
    public static final int IVAR_VECTOR_MASK = 0x3F;
    /** An IVAR entry's valid bit INT_ALLOC_VAL [7]: without it the queue raises no cause. */
    public static final int IVAR_ALLOC_VAL = 0x80;

    /** The IVAR register holding the entries of queue q. */
    public static int ivarOf(final int queue)
    {
        return ivar(queue >>> 1);
    }

    /** The shift of RX queue q's entry in {@link #ivarOf}(q). */
    public static int ivarRxShift(final int queue)
    {
        return (queue & 1) << 4;
    }

    /** The shift of TX queue q's entry in {@link #ivarOf}(q). */
    public static int ivarTxShift(final int queue)
    {
        return ((queue & 1) << 4) + 8;
    }

    /** An IVAR entry mapping a queue's cause to a vector (valid bit set). */
    public static int ivarEntry(final int vector)
    {
        if (vector < 0 || vector > IVAR_VECTOR_MASK)
        {
            throw new IllegalArgumentException("interrupt vector " + vector + " is outside 0..63");
        }
        return vector | IVAR_ALLOC_VAL;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Receive, 8.2.3.8
    // ---------------------------------------------------------------------------------------------------------------

    /** Receive DMA Control, 8.2.3.8.8. */
    public static final int RDRXCTL = 0x02F00;
    /** Strip the Ethernet CRC before DMA; must match HLREG0.RXCRCSTRP. */
    public static final int RDRXCTL_CRCSTRIP = 1 << 1;
    /** DMA initialisation done after reset. */
    public static final int RDRXCTL_DMAIDONE = 1 << 3;
    /** RSCFRSTSIZE [21:17], the minimum size of a first RSC packet: to be 0 "as opposed to its hardware default". */
    public static final int RDRXCTL_RSCFRSTSIZE_MASK = 0x1F << 17;
    /** RSCACKC, bit 25: RSC coalescing on ACK change; "software should set this bit to 1b". */
    public static final int RDRXCTL_RSCACKC = 1 << 25;
    /** FCOE_WRFIX, bit 26: the FCoE write exchange fix; "software should set this bit to 1b". */
    public static final int RDRXCTL_FCOE_WRFIX = 1 << 26;

    /** Receive Control, 8.2.3.8.10. */
    public static final int RXCTRL = 0x03000;
    /** Receive enable. */
    public static final int RXCTRL_RXEN = 1 << 0;

    /**
     * PF Queue Drop Enable, 8.2.3.27.9 (Linux's IXGBE_QDE): an indirect register. A write with WE sets QDE (and
     * HIDE_VLAN) of the queue named in QUEUE_INDEX; a write with RE loads that queue's QDE into the register for the
     * next read. It is not a bitmap of queues.
     */
    public static final int PFQDE = 0x02F04;
    /** QDE, bit 0: drop when the queue has no descriptor (as SRRCTL.DROP_EN). */
    public static final int PFQDE_QDE = 1 << 0;
    public static final int PFQDE_HIDE_VLAN = 1 << 1;
    public static final int PFQDE_QUEUE_INDEX_SHIFT = 8;
    public static final int PFQDE_QUEUE_INDEX_MASK = 0x7F << PFQDE_QUEUE_INDEX_SHIFT;
    /** WE, bit 16: write QDE/HIDE_VLAN of the indexed queue. */
    public static final int PFQDE_WRITE = 1 << 16;
    /** RE, bit 17: read QDE/HIDE_VLAN of the indexed queue into the register. */
    public static final int PFQDE_READ = 1 << 17;

    /** Receive Packet Buffer Size of traffic class n, 8.2.3.8.9. */
    public static int rxpbsize(final int n)
    {
        return 0x03C00 + 4 * n;
    }

    /** RX packet buffer for traffic class 0 as ixy sets it: 128 KiB. */
    public static final int RXPBSIZE_128KB = 0x00020000;

    /** Flow Control Receive Threshold High of packet buffer n, 8.2.3.3.4 (the 82599's layout, 4 bytes apart). */
    public static int fcrth(final int n)
    {
        return 0x03260 + 4 * n;
    }

    /** RTH [18:5]: the high water mark in bytes, 32-byte granularity ("must be set ... regardless" of flow control). */
    public static final int FCRTH_RTH_MASK = 0x3FFF << 5;
    /** FCEN, bit 31: transmit flow control for the packet buffer. */
    public static final int FCRTH_FCEN = 1 << 31;
    /** What FCRTH(n).RTH should be below RXPBSIZE(n): "RXPBSIZE[n]-0x6000" (4.6.3.2; Linux's ixgbe_fc_enable too). */
    public static final int FCRTH_HEADROOM_BYTES = 0x6000;

    /** Security Rx Control, 8.2.3.12.5. */
    public static final int SECRXCTRL = 0x08D00;
    /** SECRX_DIS, bit 0: security offload off. */
    public static final int SECRXCTRL_SECRX_DIS = 1 << 0;
    /** RX_DIS, bit 1: the security Rx path stopped, which the 82599 needs around RXCTRL.RXEN (see CardInit). */
    public static final int SECRXCTRL_RX_DIS = 1 << 1;

    /** Security Rx Status, 8.2.3.12.6 (read only). */
    public static final int SECRXSTAT = 0x08D04;
    /** SECRX_RDY, bit 0: the security Rx block is idle, ready for a mode change. */
    public static final int SECRXSTAT_SECRX_RDY = 1 << 0;

    /** Filter Control, 8.2.3.7.1. */
    public static final int FCTRL = 0x05080;
    /** Multicast promiscuous. */
    public static final int FCTRL_MPE = 1 << 8;
    /** Unicast promiscuous. */
    public static final int FCTRL_UPE = 1 << 9;
    /** Accept broadcast. */
    public static final int FCTRL_BAM = 1 << 10;

    /** MAC Core Control 0, 8.2.3.22.8. */
    public static final int HLREG0 = 0x04240;
    /** Append the CRC to transmitted frames. */
    public static final int HLREG0_TXCRCEN = 1 << 0;
    /** Strip the CRC of received frames. */
    public static final int HLREG0_RXCRCSTRP = 1 << 1;
    /** Jumbo frames. */
    public static final int HLREG0_JUMBOEN = 1 << 2;
    /** Pad short transmitted frames to 64 bytes. */
    public static final int HLREG0_TXPADEN = 1 << 10;

    /** Max Frame Size, 8.2.3.22.13: MFS [31:16], the largest frame with its FCS when HLREG0.JUMBOEN is set. */
    public static final int MAXFRS = 0x04268;
    public static final int MAXFRS_MFS_SHIFT = 16;
    /** The largest frame, FCS included, without HLREG0.JUMBOEN (8.2.3.22.13); also what MAXFRS.MFS resets to. */
    public static final int STANDARD_MAX_FRAME_SIZE = 1518;

    /** Receive Address Low of entry n (8.2.3.7.9): the MAC's first four octets, first octet in bits 7:0. */
    public static int ral(final int n)
    {
        return 0x0A200 + 8 * n;
    }

    /** Receive Address High of entry n: octets 5 and 6 in [15:0], address valid in bit 31. */
    public static int rah(final int n)
    {
        return 0x0A204 + 8 * n;
    }

    /** Address valid in RAH. */
    public static final int RAH_AV = 1 << 31;

    /** Multicast Table Array register n, 8.2.3.7.7: 128 registers, a 4096-bit table of multicast hashes. */
    public static int mta(final int n)
    {
        return 0x05200 + 4 * n;
    }

    public static final int MTA_REGISTER_COUNT = 128;

    /** VLAN Filter Table Array register n, 8.2.3.7.11: 128 registers, one bit per VLAN id. */
    public static int vfta(final int n)
    {
        return 0x0A000 + 4 * n;
    }

    public static final int VFTA_REGISTER_COUNT = 128;

    /** Multiple Receive Queues Command, 8.2.3.7.12: MRQE [3:0]; 0 = no RSS, 1 = RSS. */
    public static final int MRQC = 0x0EC80;
    public static final int MRQC_MRQE_MASK = 0xF;
    public static final int MRQC_RSS_ENABLED = 0x1;
    /** RSS field enables in MRQC [31:16]: which headers the hash covers. */
    public static final int MRQC_RSS_FIELD_IPV4_TCP = 1 << 16;
    public static final int MRQC_RSS_FIELD_IPV4 = 1 << 17;
    public static final int MRQC_RSS_FIELD_IPV6_EX_TCP = 1 << 18;
    public static final int MRQC_RSS_FIELD_IPV6_EX = 1 << 19;
    public static final int MRQC_RSS_FIELD_IPV6 = 1 << 20;
    public static final int MRQC_RSS_FIELD_IPV6_TCP = 1 << 21;
    public static final int MRQC_RSS_FIELD_IPV4_UDP = 1 << 22;
    public static final int MRQC_RSS_FIELD_IPV6_UDP = 1 << 23;
    public static final int MRQC_RSS_FIELD_IPV6_EX_UDP = 1 << 24;

    /** RSS Random Key register n (8.2.3.7.14): 10 registers, 40 key bytes, key byte 4n in bits 7:0. */
    public static int rssrk(final int n)
    {
        return 0x0EB80 + 4 * n;
    }

    public static final int RSSRK_REGISTER_COUNT = 10;

    /** Receive Checksum Control, 8.2.3.7.5 (RSS on the 82599 requires PCSD: no checksum in the RSS field). */
    public static final int RXCSUM = 0x05000;
    public static final int RXCSUM_PCSD = 1 << 13;

    /**
     * RSS redirection table register n (8.2.3.7.13), 32 registers of four 8-bit entries: entry 4n+k in bits
     * [8k+7:8k]. The 82599 uses the low 4 bits of an entry as the RSS output index (RSS spreads over at most 16
     * queues); the simulated card does the same.
     */
    public static int reta(final int n)
    {
        return 0x0EB00 + 4 * n;
    }

    public static final int RETA_REGISTER_COUNT = 32;
    /** Entries in the redirection table, indexed by the low 7 bits of the RSS hash. */
    public static final int RETA_ENTRY_COUNT = 128;
    /** Bits of a RETA entry the 82599 uses as the queue. */
    public static final int RETA_ENTRY_QUEUE_MASK = 0xF;

    /**
     * Receive Address Low of entry n at its 82598-compatible alias (0x05400 + 8n, n &lt; 16), which ixy uses; the
     * simulated card keeps the alias and the main register equal.
     */
    public static int ralAlias(final int n)
    {
        return 0x05400 + 8 * n;
    }

    /** Receive Address High of entry n at its alias. */
    public static int rahAlias(final int n)
    {
        return 0x05404 + 8 * n;
    }

    /**
     * The 82599 answers some receive registers at a second, 82598-compatible address as well (Linux's and DPDK's
     * ixgbe_type.h use these for MRQC, RETA, RSSRK): one register, two addresses. {@link RegisterFile#aliasOf}.
     */
    public static final int MRQC_ALIAS = 0x05818;

    /** RETA register n at its 82598 address (IXGBE_RETA). */
    public static int retaAlias(final int n)
    {
        return 0x05C00 + 4 * n;
    }

    /** RSSRK register n at its 82598 address (IXGBE_RSSRK). */
    public static int rssrkAlias(final int n)
    {
        return 0x05C80 + 4 * n;
    }

    /** SRRCTL of queue q &lt; 16 in the per-queue block (0x01014 + 0x40q): the same register as {@link #srrctl}. */
    public static int srrctlAlias(final int queue)
    {
        return rxQueueBase(queue) + 0x14;
    }

    /** DCA_RXCTRL of queue q &lt; 16 in the per-queue block: the same register as {@link #dcaRxctrl}. */
    public static int dcaRxctrlAlias(final int queue)
    {
        return rxQueueBase(queue) + 0x0C;
    }

    /** Queues whose SRRCTL and DCA_RXCTRL also appear at the 82598 block (0x02100, 0x02200). */
    public static final int RX_CONTROL_ALIAS_COUNT = 16;

    /** Receive address entries (RAL/RAH pairs): the unicast MAC filter. */
    public static final int RECEIVE_ADDRESS_COUNT = 128;
    /** Receive address entries that also appear at the 82598 alias. */
    public static final int RECEIVE_ADDRESS_ALIAS_COUNT = 16;
    /** The two address octets in RAH [15:0]. */
    public static final int RAH_ADDRESS_MASK = 0xFFFF;

    // ---------------------------------------------------------------------------------------------------------------
    // Per-queue receive registers, 8.2.3.8.1 - 8.2.3.8.7. Queues 0..63 at 0x01000, 64..127 at 0x0D000, stride 0x40.
    // ---------------------------------------------------------------------------------------------------------------

    private static int rxQueueBase(final int queue)
    {
        return queue < 64 ? 0x01000 + 0x40 * queue : 0x0D000 + 0x40 * (queue - 64);
    }

    /** RX descriptor ring base address, low 32 bits (128-byte aligned). */
    public static int rdbal(final int queue)
    {
        return rxQueueBase(queue);
    }

    /** RX descriptor ring base address, high 32 bits. */
    public static int rdbah(final int queue)
    {
        return rxQueueBase(queue) + 0x04;
    }

    /** RX descriptor ring length in bytes (a multiple of 128). */
    public static int rdlen(final int queue)
    {
        return rxQueueBase(queue) + 0x08;
    }

    /** RX descriptor head: written by the device. */
    public static int rdh(final int queue)
    {
        return rxQueueBase(queue) + 0x10;
    }

    /** RX descriptor tail: written by the driver to give descriptors to the device. */
    public static int rdt(final int queue)
    {
        return rxQueueBase(queue) + 0x18;
    }

    /** RX descriptor control. */
    public static int rxdctl(final int queue)
    {
        return rxQueueBase(queue) + 0x28;
    }

    /** Queue enable in RXDCTL and TXDCTL: reads back set once the queue is running. */
    public static final int DCTL_ENABLE = 1 << 25;
    /** RXDCTL VLAN mode (strip the VLAN tag), bit 30. */
    public static final int RXDCTL_VME = 1 << 30;

    /** Split and Replication Receive Control of a queue, 8.2.3.8.7. */
    public static int srrctl(final int queue)
    {
        return queue < 16 ? 0x02100 + 4 * queue : rxQueueBase(queue) + 0x14;
    }

    /**
     * BSIZEPACKET [4:0], the receive buffer size for packet buffers in KiB: "from 1 KB to 16 KB", never 0. Bits 7:5
     * are reserved, must be 0 (Linux's IXGBE_SRRCTL_BSIZEPKT_MASK of 0x7F covers them; the field does not).
     */
    public static final int SRRCTL_BSIZEPACKET_SHIFT = 0;
    public static final int SRRCTL_BSIZEPACKET_MASK = 0x1F;
    /** The largest BSIZEPACKET the part takes, in KiB (8.2.3.8.7). */
    public static final int SRRCTL_BSIZEPACKET_MAX_KB = 16;
    /** BSIZEHEADER [13:8], the header buffer size in 64-byte units (used only by header-split descriptor types). */
    public static final int SRRCTL_BSIZEHEADER_SHIFT = 8;
    public static final int SRRCTL_BSIZEHEADER_MASK = 0x3F << SRRCTL_BSIZEHEADER_SHIFT;
    /** Descriptor type [27:25]. */
    public static final int SRRCTL_DESCTYPE_MASK = 0x7 << 25;
    /** Advanced descriptors, one buffer. */
    public static final int SRRCTL_DESCTYPE_ADV_ONEBUF = 0x1 << 25;
    /** Drop frames when the queue has no free descriptor instead of stalling the packet buffer. */
    public static final int SRRCTL_DROP_EN = 1 << 28;

    /** RX DCA control of a queue, 8.2.3.11.1. */
    public static int dcaRxctrl(final int queue)
    {
        return queue < 16 ? 0x02200 + 4 * queue : rxQueueBase(queue) + 0x0C;
    }

    /**
     * Bit 12 of DCA_RXCTRL is reserved: it resets to 1 and must be written 0 (ixy clears it; the datasheet gives it no
     * name). It was once called "DESC_WRO_EN" here, a relaxed-ordering name that belongs to no bit 12.
     */
    public static final int DCA_RXCTRL_RESERVED_12 = 1 << 12;
    /** Rx data Write Relax Order Enable, bit 13 (Linux's IXGBE_DCA_RXCTRL_DATA_WRO_EN); 1 after reset. */
    public static final int DCA_RXCTRL_DATA_WRO_EN = 1 << 13;
    /** Rx Split Header Relax Order Enable, bit 15 (Linux's IXGBE_DCA_RXCTRL_HEAD_WRO_EN); 1 after reset. */
    public static final int DCA_RXCTRL_HEAD_WRO_EN = 1 << 15;

    // ---------------------------------------------------------------------------------------------------------------
    // Transmit, 8.2.3.9. Per-queue registers at 0x06000, stride 0x40, queues 0..127.
    // ---------------------------------------------------------------------------------------------------------------

    private static int txQueueBase(final int queue)
    {
        return 0x06000 + 0x40 * queue;
    }

    /** TX descriptor ring base address, low 32 bits. */
    public static int tdbal(final int queue)
    {
        return txQueueBase(queue);
    }

    /** TX descriptor ring base address, high 32 bits. */
    public static int tdbah(final int queue)
    {
        return txQueueBase(queue) + 0x04;
    }

    /** TX descriptor ring length in bytes. */
    public static int tdlen(final int queue)
    {
        return txQueueBase(queue) + 0x08;
    }

    /** TX DCA control, 8.2.3.11.2. */
    public static int dcaTxctrl(final int queue)
    {
        return txQueueBase(queue) + 0x0C;
    }

    /** Relax Order Enable of Tx descriptor and head pointer write-back, bit 11 (TXdescWBROen); set after reset. */
    public static final int DCA_TXCTRL_DESC_WRO_EN = 1 << 11;

    /** TX descriptor head: written by the device. */
    public static int tdh(final int queue)
    {
        return txQueueBase(queue) + 0x10;
    }

    /** TX descriptor tail: the driver's doorbell. */
    public static int tdt(final int queue)
    {
        return txQueueBase(queue) + 0x18;
    }

    /** TX descriptor control: PTHRESH [6:0], HTHRESH [14:8], WTHRESH [22:16], ENABLE 25, SWFLSH 26. */
    public static int txdctl(final int queue)
    {
        return txQueueBase(queue) + 0x28;
    }

    public static final int TXDCTL_PTHRESH_SHIFT = 0;
    public static final int TXDCTL_PTHRESH_MASK = 0x7F;
    public static final int TXDCTL_HTHRESH_SHIFT = 8;
    public static final int TXDCTL_HTHRESH_MASK = 0x7F << 8;
    public static final int TXDCTL_WTHRESH_SHIFT = 16;
    public static final int TXDCTL_WTHRESH_MASK = 0x7F << 16;
    public static final int TXDCTL_SWFLSH = 1 << 26;

    /** TX head write-back address low: enable in bit 0, address [31:2]. */
    public static int tdwbal(final int queue)
    {
        return txQueueBase(queue) + 0x38;
    }

    /** TX head write-back address high. */
    public static int tdwbah(final int queue)
    {
        return txQueueBase(queue) + 0x3C;
    }

    public static final int TDWBAL_HEAD_WB_ENABLE = 1 << 0;
    /** Head write-back address bits [31:2] in TDWBAL (the address is 4-byte aligned). */
    public static final int TDWBAL_ADDRESS_MASK = 0xFFFFFFFC;

    /** Transmit Packet Buffer Size of traffic class n, 8.2.3.9.13. */
    public static int txpbsize(final int n)
    {
        return 0x0CC00 + 4 * n;
    }

    /** ixy's TX packet buffer for TC0: 40 KiB. */
    public static final int TXPBSIZE_40KB = 0x0000A000;

    /** The TX packet buffer of the 82599, 160 KiB, all to TC 0 without DCB (4.6.11.3.4: TXPBSIZE[0].SIZE=0xA0). */
    public static final int TX_PACKET_BUFFER_BYTES = 160 * 1024;

    /** Tx Packet Buffer Threshold of traffic class n, 8.2.3.9.16: THRESH [9:0] in KiB. */
    public static int txpbthresh(final int n)
    {
        return 0x04950 + 4 * n;
    }

    public static final int TXPBTHRESH_THRESH_MASK = 0x3FF;

    /** DMA TX TCP max allowed size requests, 8.2.3.9.1: MAX_BYTES_NUM_REQ [11:0] in units of 256 bytes. */
    public static final int DTXMXSZRQ = 0x08100;
    public static final int DTXMXSZRQ_MAX_BYTES_NUM_REQ_MASK = 0xFFF;

    /** DCB Transmit Descriptor Plane Control and Status, 8.2.3.10.2. */
    public static final int RTTDCS = 0x04900;
    /** Arbiter disable: must be cleared before transmitting. */
    public static final int RTTDCS_ARBDIS = 1 << 6;

    /** DMA Tx Control, 8.2.3.9.2. */
    public static final int DMATXCTL = 0x04A80;
    /** Transmit enable. */
    public static final int DMATXCTL_TE = 1 << 0;

    /** Multiple Transmit Queues Command, 8.2.3.9.15. */
    public static final int MTQC = 0x08120;

    // ---------------------------------------------------------------------------------------------------------------
    // Link, 8.2.3.22
    // ---------------------------------------------------------------------------------------------------------------

    /** Auto-Negotiation Control, 8.2.3.22.19. */
    public static final int AUTOC = 0x042A0;
    /** 10G_PMA_PMD_PARALLEL [8:7]. */
    public static final int AUTOC_10G_PMA_PMD_MASK = 0x3 << 7;
    /** Restart auto-negotiation; self-clearing. */
    public static final int AUTOC_AN_RESTART = 1 << 12;
    /** Link mode select [15:13]. */
    public static final int AUTOC_LMS_MASK = 0x7 << 13;
    /** 10 GbE serial link, no auto-negotiation. */
    public static final int AUTOC_LMS_10G_SERIAL = 0x3 << 13;
    /**
     * LMS bit 2 ([15]): the pipeline reset (DPDK's and Linux's ixgbe_reset_pipeline_82599) writes AUTOC with it
     * toggled and AN_RESTART, then the real LMS with AN_RESTART again, so the whole link pipeline restarts.
     */
    public static final int AUTOC_LMS_PIPELINE_TOGGLE = 0x4 << 13;

    /** Auto-Negotiation Control 2, 8.2.3.22.21 (0x042A8). */
    public static final int AUTOC2 = 0x042A8;
    /** 10G_PMA_PMD_Serial [17:16]: the serial 10 GbE interface, loaded from the EEPROM. */
    public static final int AUTOC2_10G_SERIAL_PMA_PMD_MASK = 0x3 << 16;
    /** 10G_PMA_PMD_Serial = 10b: SFI, the SFP+ boards nicq is for (01b XFI, 00b KR). */
    public static final int AUTOC2_10G_SFI = 0x2 << 16;
    /**
     * The link-disable bits [30:28] the NVM may set (Linux's and DPDK's IXGBE_AUTOC2_LINK_DISABLE_MASK): with any of
     * them set the link never comes up; both clear them before they touch AUTOC.
     */
    public static final int AUTOC2_LINK_DISABLE_MASK = 0x7 << 28;

    /** Auto-Negotiation Link Partner Link Control Word 1, 8.2.3.22.23 (0x042B0). */
    public static final int ANLP1 = 0x042B0;
    /** AN state machine [19:16]: 0 until auto-negotiation has started after AN_RESTART. */
    public static final int ANLP1_AN_STATE_MASK = 0xF << 16;

    /** Link Status, 8.2.3.22.20. */
    public static final int LINKS = 0x042A4;
    /** Link speed [29:28]. */
    public static final int LINKS_SPEED_MASK = 0x3 << 28;
    public static final int LINKS_SPEED_10G = 0x3 << 28;
    /** Link is up. */
    public static final int LINKS_UP = 1 << 30;

    // ---------------------------------------------------------------------------------------------------------------
    // Filters, 7.1.2 and 8.2.3.7
    // ---------------------------------------------------------------------------------------------------------------

    /** EType Queue Filter n: ethertype [15:0], POOL [25:20], POOL_EN 26, 1588 time stamp 30, filter enable 31. */
    public static int etqf(final int n)
    {
        return 0x05128 + 4 * n;
    }

    public static final int ETQF_ETHERTYPE_MASK = 0xFFFF;
    public static final int ETQF_POOL_SHIFT = 20;
    public static final int ETQF_POOL_MASK = 0x3F << ETQF_POOL_SHIFT;
    public static final int ETQF_POOL_ENABLE = 1 << 26;
    public static final int ETQF_1588 = 1 << 30;
    public static final int ETQF_FILTER_ENABLE = 1 << 31;

    /** EType Queue Select n: RX_QUEUE [22:16], LLI 29, QUEUE_ENABLE 31. */
    public static int etqs(final int n)
    {
        return 0x0EC00 + 4 * n;
    }

    public static final int ETQS_RX_QUEUE_SHIFT = 16;
    public static final int ETQS_RX_QUEUE_MASK = 0x7F << ETQS_RX_QUEUE_SHIFT;
    public static final int ETQS_LLI = 1 << 29;
    public static final int ETQS_QUEUE_ENABLE = 1 << 31;

    /** Source Address Queue Filter n: IPv4 address in network order as a little-endian load sees it. */
    public static int saqf(final int n)
    {
        return 0x0E000 + 4 * n;
    }

    /** Destination Address Queue Filter n: same byte order as SAQF. */
    public static int daqf(final int n)
    {
        return 0x0E200 + 4 * n;
    }

    /** Source Destination Port Queue Filter n: source port [15:0], destination port [31:16], each big endian. */
    public static int sdpqf(final int n)
    {
        return 0x0E400 + 4 * n;
    }

    /** Five-Tuple Queue Filter n, 8.2.3.7.19. */
    public static int ftqf(final int n)
    {
        return 0x0E600 + 4 * n;
    }

    public static final int FTQF_PROTOCOL_MASK = 0x3;
    public static final int FTQF_PROTOCOL_TCP = 0;
    public static final int FTQF_PROTOCOL_UDP = 1;
    public static final int FTQF_PROTOCOL_SCTP = 2;
    public static final int FTQF_PROTOCOL_OTHER = 3;
    public static final int FTQF_PRIORITY_SHIFT = 2;
    public static final int FTQF_PRIORITY_MASK = 0x7 << FTQF_PRIORITY_SHIFT;
    public static final int FTQF_POOL_SHIFT = 8;
    public static final int FTQF_POOL_MASK = 0x3F << FTQF_POOL_SHIFT;
    /** Do not compare the source address. */
    public static final int FTQF_MASK_SOURCE_ADDRESS = 1 << 25;
    /** Do not compare the destination address. */
    public static final int FTQF_MASK_DESTINATION_ADDRESS = 1 << 26;
    /** Do not compare the source port. */
    public static final int FTQF_MASK_SOURCE_PORT = 1 << 27;
    /** Do not compare the destination port. */
    public static final int FTQF_MASK_DESTINATION_PORT = 1 << 28;
    /** Do not compare the protocol. */
    public static final int FTQF_MASK_PROTOCOL = 1 << 29;
    /** Do not compare the pool (always set without virtualisation). */
    public static final int FTQF_POOL_MASK_BIT = 1 << 30;
    /** The filter is enabled. */
    public static final int FTQF_QUEUE_ENABLE = 1 << 31;

    /** L3/L4 Tuples Immediate Interrupt Rx n: write-only in practice (reads can raise ECC errors on real parts). */
    public static int l34tImir(final int n)
    {
        return 0x0E800 + 4 * n;
    }

    public static final int L34T_IMIR_SIZE_BP = 1 << 12;
    /** Reserved bit the datasheet requires to be written as 1. */
    public static final int L34T_IMIR_RESERVE = 1 << 19;
    public static final int L34T_IMIR_LLI = 1 << 20;
    public static final int L34T_IMIR_RX_QUEUE_SHIFT = 21;
    public static final int L34T_IMIR_RX_QUEUE_MASK = 0x7F << L34T_IMIR_RX_QUEUE_SHIFT;

    /** SYN Packet Queue Filter: QUEUE_EN 0, RX_QUEUE [7:1], SYNQFP 31 (checked before the 5-tuple filters). */
    public static final int SYNQF = 0x0EC30;
    public static final int SYNQF_QUEUE_ENABLE = 1 << 0;
    public static final int SYNQF_RX_QUEUE_SHIFT = 1;
    public static final int SYNQF_RX_QUEUE_MASK = 0x7F << SYNQF_RX_QUEUE_SHIFT;
    public static final int SYNQF_PRIORITY_OVER_5TUPLE = 1 << 31;

    // ---------------------------------------------------------------------------------------------------------------
    // Flow director, 7.1.2.7 and 8.2.3.21. One global set of masks (FDIRM and friends) applies to every filter; a
    // filter is written field by field (FDIRIPSA ... FDIRVLAN, FDIRHASH) and then committed by FDIRCMD. The perfect
    // match hash of FDIRHASH is FlowDirectorHash's.
    // ---------------------------------------------------------------------------------------------------------------

    /** Flow Director Filters Control, 8.2.3.21.1. Writing it (re)initialises the filter table; INIT_DONE follows. */
    public static final int FDIRCTRL = 0x0EE00;
    /** Packet buffer given to the filter table [1:0]: 0 none (flow director off), 1 64 KiB, 2 128 KiB, 3 256 KiB. */
    public static final int FDIRCTRL_PBALLOC_MASK = 0x3;
    public static final int FDIRCTRL_PBALLOC_NONE = 0;
    public static final int FDIRCTRL_PBALLOC_64K = 1;
    public static final int FDIRCTRL_PBALLOC_128K = 2;
    public static final int FDIRCTRL_PBALLOC_256K = 3;
    /** Set by the device once the table is initialised; software polls it after writing FDIRCTRL. */
    public static final int FDIRCTRL_INIT_DONE = 1 << 3;
    /** Perfect-match filters (else signature filters). */
    public static final int FDIRCTRL_PERFECT_MATCH = 1 << 4;
    /** Report the matched filter's hash and SW index in the RSS field of the write-back (and FLM in its status). */
    public static final int FDIRCTRL_REPORT_STATUS = 1 << 5;
    /** Report status for every packet the flow director looked at, matched or not. */
    public static final int FDIRCTRL_REPORT_STATUS_ALWAYS = 1 << 7;
    /** Queue of perfect-match filters whose action is drop [14:8]. */
    public static final int FDIRCTRL_DROP_QUEUE_SHIFT = 8;
    public static final int FDIRCTRL_DROP_QUEUE_MASK = 0x7F << FDIRCTRL_DROP_QUEUE_SHIFT;
    /** Offset of the flexible bytes in 16-bit words from the start of the frame [20:16]. */
    public static final int FDIRCTRL_FLEX_OFFSET_SHIFT = 16;
    public static final int FDIRCTRL_FLEX_OFFSET_MASK = 0x1F << FDIRCTRL_FLEX_OFFSET_SHIFT;
    /** Longest bucket chain before a match reports a length error [27:24]. */
    public static final int FDIRCTRL_MAX_LENGTH_SHIFT = 24;
    public static final int FDIRCTRL_MAX_LENGTH_MASK = 0xF << FDIRCTRL_MAX_LENGTH_SHIFT;
    /** Free-filter count (in units of 16) under which the flow director raises its interrupt [31:28]. */
    public static final int FDIRCTRL_FULL_THRESH_SHIFT = 28;
    public static final int FDIRCTRL_FULL_THRESH_MASK = 0xF << FDIRCTRL_FULL_THRESH_SHIFT;

    /**
     * Perfect-match filters the table holds for a PBALLOC value: 2K, 4K or 8K (DPDK's guaranteed space for perfect
     * mode, {@code 1 << (10 + PBALLOC)}); 0 with the flow director off.
     */
    public static int fdirPerfectCapacity(final int pballoc)
    {
        final int field = pballoc & FDIRCTRL_PBALLOC_MASK;
        return field == FDIRCTRL_PBALLOC_NONE ? 0 : 1 << (10 + field);
    }

    /** Bytes of the RX packet buffer the filter table takes for a PBALLOC value: 64, 128 or 256 KiB. */
    public static int fdirPacketBufferBytes(final int pballoc)
    {
        final int field = pballoc & FDIRCTRL_PBALLOC_MASK;
        return field == FDIRCTRL_PBALLOC_NONE ? 0 : 1 << (15 + field);
    }

    /** Bits of the perfect-match bucket hash a PBALLOC value uses: 11, 12 or 13 (2K, 4K, 8K buckets). */
    public static int fdirBucketMask(final int pballoc)
    {
        final int field = pballoc & FDIRCTRL_PBALLOC_MASK;
        return field == FDIRCTRL_PBALLOC_NONE ? 0 : (1 << (10 + field)) - 1;
    }

    /** The RX packet buffer of the 82599, shared by RXPBSIZE(0..7) and the flow director table (8.2.3.8.9). */
    public static final int RX_PACKET_BUFFER_BYTES = 512 * 1024;

    /** Flow Director Filters Lookup Table Hash Key, 8.2.3.21.2: the key of the bucket hash. */
    public static final int FDIRHKEY = 0x0EE68;
    /** Flow Director Filters Signature Hash Key, 8.2.3.21.3 (signature filters only). */
    public static final int FDIRSKEY = 0x0EE6C;
    /** The bucket hash key Linux and DPDK program (IXGBE_ATR_BUCKET_HASH_KEY). */
    public static final int FDIR_BUCKET_HASH_KEY = 0x3DAD14E2;
    /** The signature hash key Linux and DPDK program (IXGBE_ATR_SIGNATURE_HASH_KEY). */
    public static final int FDIR_SIGNATURE_HASH_KEY = 0x174D3614;

    /** Flow Director Filters Other Mask, 8.2.3.21.9: a set bit means the field is not compared. */
    public static final int FDIRM = 0x0EE70;
    public static final int FDIRM_VLANID = 1 << 0;
    public static final int FDIRM_VLANP = 1 << 1;
    public static final int FDIRM_POOL = 1 << 2;
    /** L4 protocol: set, the filter's L4 type is not compared. */
    public static final int FDIRM_L4P = 1 << 3;
    public static final int FDIRM_FLEX = 1 << 4;
    public static final int FDIRM_DIPV6 = 1 << 5;

    /**
     * TCP and UDP port masks, 8.2.3.21.10/11: source port [15:0], destination port [31:16], each bit reversed (bit 0
     * masks the port's most significant bit); a set bit means that port bit is not compared.
     */
    public static final int FDIRTCPM = 0x0EE44;
    public static final int FDIRUDPM = 0x0EE48;
    public static final int FDIRTCPM_DESTINATION_SHIFT = 16;

    /**
     * IPv4 source and destination address masks, 8.2.3.21.7/8: in network order as a little-endian load sees it (like
     * SAQF); a set bit means that address bit is not compared.
     */
    public static final int FDIRSIP4M = 0x0EE40;
    public static final int FDIRDIP4M = 0x0EE3C;

    /** Filter fields, 8.2.3.21.14-18: IPv4 source and destination address, in SAQF's byte order. */
    public static final int FDIRIPSA = 0x0EE18;
    public static final int FDIRIPDA = 0x0EE1C;
    /** Source port [15:0] and destination port [31:16], each in host order: not SDPQF's byte order. */
    public static final int FDIRPORT = 0x0EE20;
    public static final int FDIRPORT_DESTINATION_SHIFT = 16;
    /** VLAN tag [15:0] and flexible bytes [31:16]. */
    public static final int FDIRVLAN = 0x0EE24;
    public static final int FDIRVLAN_FLEX_SHIFT = 16;

    /** Flow Director Filters Hash, 8.2.3.21.19: bucket hash [14:0] (perfect match: its low 11..13 bits), valid 15,
     * SW index [31:16]: with the bucket, what identifies a perfect-match filter for remove and query. */
    public static final int FDIRHASH = 0x0EE28;
    public static final int FDIRHASH_BUCKET_MASK = 0x7FFF;
    public static final int FDIRHASH_BUCKET_VALID = 1 << 15;
    public static final int FDIRHASH_SW_INDEX_SHIFT = 16;

    /** Flow Director Filters Command, 8.2.3.21.20. CMD self-clears when the device has carried the command out. */
    public static final int FDIRCMD = 0x0EE2C;
    public static final int FDIRCMD_CMD_MASK = 0x3;
    public static final int FDIRCMD_CMD_ADD = 0x1;
    public static final int FDIRCMD_CMD_REMOVE = 0x2;
    public static final int FDIRCMD_CMD_QUERY = 0x3;
    /** Query result: a filter with this bucket and SW index exists. */
    public static final int FDIRCMD_FILTER_VALID = 1 << 2;
    /** Add: an existing filter for the same flow is updated instead of the add failing. */
    public static final int FDIRCMD_FILTER_UPDATE = 1 << 3;
    public static final int FDIRCMD_IPV6_DMATCH = 1 << 4;
    /** L4 type [6:5] (1 UDP, 2 TCP, 3 SCTP) and IPv6 bit 7: the flow type of ixgbe's ATR input, shifted by 5. */
    public static final int FDIRCMD_FLOW_TYPE_SHIFT = 5;
    public static final int FDIRCMD_FLOW_TYPE_MASK = 0x7 << FDIRCMD_FLOW_TYPE_SHIFT;
    public static final int FDIR_FLOW_TYPE_UDPV4 = 1;
    public static final int FDIR_FLOW_TYPE_TCPV4 = 2;
    public static final int FDIR_FLOW_TYPE_SCTPV4 = 3;
    /** Clear the whole table (with FDIRCTRL rewritten after it: the 82599 erratum workaround for re-initialising). */
    public static final int FDIRCMD_CLEARHT = 1 << 8;
    /** Action: drop (to FDIRCTRL.DROP_QUEUE) instead of the queue. */
    public static final int FDIRCMD_DROP = 1 << 9;
    public static final int FDIRCMD_INT = 1 << 10;
    public static final int FDIRCMD_LAST = 1 << 11;
    public static final int FDIRCMD_COLLISION = 1 << 12;
    /** Action: steer to RX_QUEUE. */
    public static final int FDIRCMD_QUEUE_EN = 1 << 15;
    public static final int FDIRCMD_RX_QUEUE_SHIFT = 16;
    public static final int FDIRCMD_RX_QUEUE_MASK = 0x7F << FDIRCMD_RX_QUEUE_SHIFT;
    public static final int FDIRCMD_VT_POOL_SHIFT = 24;

    /** Free filters, 8.2.3.21.4: FREE [15:0] filters that can still be added, COLL [30:16] filters in a bucket that
     * already held one (hash collisions). Maintained by the device; software writes 0 before re-initialising. */
    public static final int FDIRFREE = 0x0EE38;
    public static final int FDIRFREE_FREE_MASK = 0xFFFF;
    public static final int FDIRFREE_COLL_SHIFT = 16;
    public static final int FDIRFREE_COLL_MASK = 0x7FFF << FDIRFREE_COLL_SHIFT;

    /** Longest chain since last read, 8.2.3.21.5: MAXLEN [5:0] and its bucket MAXHASH [30:16]; clear on read. */
    public static final int FDIRLEN = 0x0EE4C;
    public static final int FDIRLEN_MAXLEN_MASK = 0x3F;
    public static final int FDIRLEN_MAXHASH_SHIFT = 16;
    public static final int FDIRLEN_MAXHASH_MASK = 0x7FFF << FDIRLEN_MAXHASH_SHIFT;

    /** Filters added [15:0] and removed [31:16] since last read, 8.2.3.21.6; clear on read. */
    public static final int FDIRUSTAT = 0x0EE50;
    public static final int FDIRUSTAT_REMOVE_SHIFT = 16;
    /** Failed adds [7:0] (duplicate without FILTER_UPDATE, or table full) and failed removes [15:8]; clear on read. */
    public static final int FDIRFSTAT = 0x0EE54;
    public static final int FDIRFSTAT_FADD_MASK = 0xFF;
    public static final int FDIRFSTAT_FREMOVE_SHIFT = 8;
    public static final int FDIRFSTAT_FREMOVE_MASK = 0xFF << FDIRFSTAT_FREMOVE_SHIFT;
    /** Packets that matched a filter, 8.2.3.21.12; clear on read. */
    public static final int FDIRMATCH = 0x0EE58;
    /** Packets the flow director looked up and found no filter for, 8.2.3.21.13; clear on read. */
    public static final int FDIRMISS = 0x0EE5C;

    // ---------------------------------------------------------------------------------------------------------------
    // Statistics, 8.2.3.23. All clear on read. The offsets are here; the groups they form (card-wide counters, the
    // per-queue statistics set) are declared once in Statistics, which drivers, the simulated card and the register
    // file all use.
    // ---------------------------------------------------------------------------------------------------------------

    public static final int CRCERRS = 0x04000;
    public static final int ILLERRC = 0x04004;
    public static final int ERRBC = 0x04008;
    public static final int MSPDC = 0x04010;
    public static final int RLEC = 0x04040;
    /** Good packets received (erratum: also counts missed packets). */
    public static final int GPRC = 0x04074;
    public static final int BPRC = 0x04078;
    public static final int MPRC = 0x0407C;
    /** Good packets transmitted. */
    public static final int GPTC = 0x04080;
    /** Good octets received, low and high. */
    public static final int GORCL = 0x04088;
    public static final int GORCH = 0x0408C;
    /** Good octets transmitted, low and high. */
    public static final int GOTCL = 0x04090;
    public static final int GOTCH = 0x04094;
    /** Receive undersize count: frames shorter than the minimum (simulated card: shorter than an Ethernet header). */
    public static final int RUC = 0x040A4;
    /** Receive oversize count: frames longer than the maximum frame size (MAXFRS with HLREG0.JUMBOEN, else 1518). */
    public static final int ROC = 0x040AC;
    public static final int TORL = 0x040C0;
    public static final int TORH = 0x040C4;
    public static final int TPR = 0x040D0;
    public static final int TPT = 0x040D4;

    /** Packet buffers (traffic classes): MPC(n), RXPBSIZE(n), TXPBSIZE(n). */
    public static final int PACKET_BUFFER_COUNT = 8;

    /** Missed packets of packet buffer n (no room in the RX packet buffer). */
    public static int mpc(final int n)
    {
        return 0x03FA0 + 4 * n;
    }

    /**
     * Receive Queue Statistic Mapping n: four queues per register, stat set index in [3:0], [11:8], [19:16], [27:24].
     */
    public static int rqsmr(final int n)
    {
        return 0x02300 + 4 * n;
    }

    /** RQSMR and TQSM registers: 32 of them cover the 128 queues. */
    public static final int QUEUE_STATS_MAPPING_COUNT = 32;

    /** The statistics set a queue maps to, from the value of its RQSMR/TQSM register (register = queue / 4). */
    public static int queueStatsSet(final int mappingRegisterValue, final int queue)
    {
        return (mappingRegisterValue >>> (8 * (queue & 3))) & 0xF;
    }

    /** Transmit Queue Statistic Mapping n: same layout as RQSMR. */
    public static int tqsm(final int n)
    {
        return 0x08600 + 4 * n;
    }

    /** Packets received in queue-statistics set i (0..15). */
    public static int qprc(final int i)
    {
        return 0x01030 + 0x40 * i;
    }

    /** Bytes received in set i, low 32 bits. */
    public static int qbrcL(final int i)
    {
        return 0x01034 + 0x40 * i;
    }

    /** Bytes received in set i, high bits. */
    public static int qbrcH(final int i)
    {
        return 0x01038 + 0x40 * i;
    }

    /** Packets dropped for want of a descriptor in set i. */
    public static int qprdc(final int i)
    {
        return 0x01430 + 0x40 * i;
    }

    /** Packets transmitted in set i. */
    public static int qptc(final int i)
    {
        return 0x06030 + 0x40 * i;
    }

    /** Bytes transmitted in set i, low 32 bits. */
    public static int qbtcL(final int i)
    {
        return 0x08700 + 8 * i;
    }

    /** Bytes transmitted in set i, high bits. */
    public static int qbtcH(final int i)
    {
        return 0x08704 + 8 * i;
    }

    private Registers()
    {
    }
}
