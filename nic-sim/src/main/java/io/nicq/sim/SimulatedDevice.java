package io.nicq.sim;

import io.nicq.ixgbe.ReceiveAddress;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;

import io.nicq.ixgbe.DescriptorRing;
import io.nicq.ixgbe.IommuTable;
import io.nicq.ixgbe.RegisterFile;
import io.nicq.ixgbe.RxDescriptor;
import io.nicq.ixgbe.Statistics;
import io.nicq.ixgbe.Statistics.CardCounter;
import io.nicq.ixgbe.Statistics.QueueCounter;
import io.nicq.ixgbe.TxDescriptor;
import io.nicq.packet.EthernetHeader;

import static io.nicq.ixgbe.Registers.*;
import static io.nicq.ixgbe.SimulatedCardFiles.*;

/**
 * The device loop of a simulated 82599: what the silicon does, one {@link #doWork()} at a time.
 * <ul>
 *   <li>Control: when the register write generation moves (the driver wrote a register other than a tail), rereads
 *       the control registers and applies their side effects: reset, link, queue enable/disable, filters,
 *       statistics mapping. Self-clearing and "done" bits change here, after the device noticed, so a driver must
 *       poll for them as on silicon.</li>
 *   <li>TX: for each enabled queue, fetches descriptors from TDH to TDT, gathers each frame (several descriptors up to
 *       EOP) from DMA memory, puts it on the wire, writes back DD where RS is set (or the head, with head
 *       write-back) and advances TDH.</li>
 *   <li>RX: takes frames from the wire, filters by MAC address, classifies them to a queue, DMA-writes each into the
 *       buffers of the queue's next descriptors, writes back length, EOP and DD, advances RDH; drops and counts when
 *       the queue has no descriptor.</li>
 *   <li>Every DMA goes through the IOMMU table: an address outside it is a counted DMA fault.</li>
 * </ul>
 * Nothing is allocated on the packet path. Statistics are gathered locally, by the register groups of
 * {@link Statistics}, and added to the clear-on-read registers once per {@code doWork()}.
 */
final class SimulatedDevice implements Agent, FrameSink
{
    static final int TX_BURST = 64;
    static final int RX_BURST = 64;
    static final long IOMMU_RECLAIM_INTERVAL_NS = 1_000_000_000L;
    /** Mixed with the MAC address into the seed of the power-on filter memories. */
    private static final long POWER_ON_SEED = 0x82599_10FBL;

    /** Advanced TX descriptor types (DTYP in cmd_type_len [23:20]) with DEXT set: 2 context, 3 data. */
    private static final int DTYP_CONTEXT = 0x2 << 20;
    /**
     * The on-chip descriptor caches, per queue: the device works from copies it fetched, not from the ring. TX holds
     * 40, the most descriptors one 82599 packet may span (DPDK's IXGBE_TX_MAX_SEG); RX 32, enough for the largest
     * frame in 1 KiB buffers (the 82599's own RX cache size is not in the references at hand).
     */
    static final int TX_DESCRIPTOR_CACHE = 40;
    static final int RX_DESCRIPTOR_CACHE = 32;
    /** Frames shorter than this (no destination and source address) are counted by no statistics register. */
    private static final int MIN_COUNTED_FRAGMENT = 12;
    /** ANLP1.AN_STATE once auto-negotiation has been restarted: any state but 0 (the simulated port's is 1). */
    private static final int AN_STATE_STARTED = 1 << 16;
    /** Legacy RX write-back: status byte at 12 (DD, EOP), errors byte at 13 (RXE 0x80), length at 8. */
    private static final int LEGACY_RX_ERRORS_RXE = 0x80;

    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle SHORT = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final String roleName;
    private final MemorySegment bar;
    private final DeviceIommu iommu;
    private final Wire wire;
    private final LineRatePacer pacer;
    private final Classifier classifier = new Classifier();
    private final ReceiveChecksums checksums = new ReceiveChecksums();
    private final DeviceInterrupts interrupts;
    /** The EEPROM's address, first octet most significant; {@link ReceiveAddress} packs it into RAL/RAH. */
    private final long mac;
    private final long pid = ProcessHandle.current().pid();
    private final Arena scratchArena = Arena.ofShared();
    private final MemorySegment txFrame = scratchArena.allocate(Wire.MAX_FRAME_LENGTH + 64, 64);

    private final RxRing[] rx = new RxRing[QUEUE_COUNT];
    private final TxRing[] tx = new TxRing[QUEUE_COUNT];
    private final int[] enabledTx = new int[QUEUE_COUNT];
    private int enabledTxCount;
    private final int[] rxStatsSet = new int[QUEUE_COUNT];
    private final int[] txStatsSet = new int[QUEUE_COUNT];
    /** Registers the part reaches at two addresses ({@link RegisterFile#aliasOf}): both, and the value last synced. */
    private final int[] aliasMain;
    private final int[] aliasOther;
    private final int[] aliasShadow;

    // Control state
    private long lastGeneration = Long.MIN_VALUE;
    private boolean resetDonePending;
    private boolean resetDone;
    private boolean linkUpPending;
    private boolean linkUp;
    private boolean receiveEnabled;
    private boolean transmitEnabled;
    private boolean txPadEnabled;
    /** FCS bytes GORC and QBRC count per frame: 0 while HLREG0.RXCRCSTRP strips it, else 4. */
    private int receivedFcsLength;
    private int maxFrameLength;
    private long nextHousekeepingNs;
    private long nextReclaimNs;
    private long now;

    // Statistics gathered during one doWork(), added to the registers at its end: the card's counters by
    // CardCounter (instance 0: the one packet buffer the simulated card has), the sets' by set and QueueCounter.
    private boolean statsDirty;
    private final long[] cardCounts = new long[CardCounter.COUNT];
    private final long[] setCounts = new long[QUEUE_STATS_COUNT * QueueCounter.COUNT];
    private long wireSent;
    private long wireReceived;
    private long wireFailures;
    private long l2Filtered;
    private long rxDisabledDrops;
    private long fragments;

    SimulatedDevice(final String roleName, final MemorySegment bar, final IommuTable iommu, final Wire wire,
        final long lineRate, final long mac, final NanoClock interruptClock)
    {
        this.roleName = roleName;
        this.bar = bar;
        this.interrupts = new DeviceInterrupts(bar, interruptClock, roleName);
        this.iommu = new DeviceIommu(iommu);
        this.wire = wire;
        this.pacer = lineRate > 0 ? new LineRatePacer(lineRate) : null;
        this.mac = mac;
        for (int q = 0; q < QUEUE_COUNT; q++)
        {
            rx[q] = new RxRing(q);
            tx[q] = new TxRing(q);
        }
        int pairs = 0;
        for (int offset = 0; offset < BAR_SIZE; offset += 4)
        {
            pairs += RegisterFile.aliasOf(offset) > offset ? 1 : 0;
        }
        aliasMain = new int[pairs];
        aliasOther = new int[pairs];
        aliasShadow = new int[pairs];
        for (int offset = 0, k = 0; offset < BAR_SIZE; offset += 4)
        {
            final int other = RegisterFile.aliasOf(offset);
            if (other > offset)
            {
                // The address Registers names first (the one the device reads) is the main one.
                final boolean named = isNamedAddress(offset);
                aliasMain[k] = named ? offset : other;
                aliasOther[k] = named ? other : offset;
                k++;
            }
        }
        nextHousekeepingNs = System.nanoTime();
        nextReclaimNs = nextHousekeepingNs;
    }

    /**
     * Power-on: registers to their reset values, the EEPROM's MAC address loaded, EEPROM and DMA initialisation
     * already done (a card that has just been plugged in has finished them before a driver looks), status page
     * written with the magic last so an opener never sees a half-made card.
     */
    void powerOn()
    {
        powerOnFilterMemories();
        resetRegisters();
        completeReset();
        LONG.setVolatile(bar, (long)DEVICE_PID_OFFSET, pid);
        LONG.setVolatile(bar, (long)DEVICE_HEARTBEAT_OFFSET, heartbeatNow());
        LONG.setVolatile(bar, (long)DEVICE_STATE_OFFSET, DEVICE_RUNNING);
        LONG.setRelease(bar, (long)MAGIC_OFFSET, MAGIC);
        lastGeneration = (long)LONG.getVolatile(bar, (long)WRITE_GENERATION_OFFSET);
        onControlWrites();
    }

    public String roleName()
    {
        return roleName;
    }

    public int doWork()
    {
        now = System.nanoTime();
        int work = 0;

        // The generation first, then the IOMMU: a driver registers memory before it writes the registers that point
        // at it, so a device that sees the new generation also sees the new table.
        final long generation = (long)LONG.getAcquire(bar, (long)WRITE_GENERATION_OFFSET);
        if (iommu.refreshIfChanged())
        {
            revalidateRings();
            iommu.releaseRetired();
            work++;
        }
        if (generation != lastGeneration)
        {
            lastGeneration = generation;
            onControlWrites();
            interrupts.onControlWrites();
            LONG.setRelease(bar, (long)ACTED_GENERATION_OFFSET, generation);
            work++;
        }
        if (resetDonePending || linkUpPending)
        {
            work += completePending();
        }

        if (transmitEnabled)
        {
            for (int i = 0; i < enabledTxCount; i++)
            {
                work += transmit(tx[enabledTx[i]]);
            }
        }
        work += wire.poll(this, RX_BURST);
        if (interrupts.hasPending())
        {
            // A throttled vector waits here for its EITR interval without counting as work.
            work += interrupts.deliver();
        }

        if (statsDirty)
        {
            flushStatistics();
        }
        if (now - nextHousekeepingNs >= 0)
        {
            housekeeping();
        }
        return work;
    }

    /**
     * Whether the device has work that time, not a doorbell or a frame, will make possible: a throttled interrupt, a
     * reset or link-up completing, TX descriptors the wire or the pacer could not take yet, a frame the wire holds
     * back. An idle loop with such work sleeps only briefly ({@link DeviceWakeSource}).
     */
    boolean hasTimedWork()
    {
        if (resetDonePending || linkUpPending || interrupts.hasPending() || wire.hasTimedWork())
        {
            return true;
        }
        if (transmitEnabled)
        {
            for (int i = 0; i < enabledTxCount; i++)
            {
                final TxRing t = tx[enabledTx[i]];
                final int tail = (int)INT.getVolatile(bar, (long)t.tdtOffset);
                if (tail != t.head && tail != t.badTail)
                {
                    return true;
                }
            }
        }
        return false;
    }

    public void onClose()
    {
        LONG.setVolatile(bar, (long)DEVICE_STATE_OFFSET, DEVICE_STOPPED);
        flushStatistics();
        iommu.close();
        interrupts.close();
        scratchArena.close();
    }

    /** Register write generation the device has acted on (tests wait for it). */
    long actedGeneration()
    {
        return (long)LONG.getVolatile(bar, (long)ACTED_GENERATION_OFFSET);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Control path
    // ---------------------------------------------------------------------------------------------------------------

    private void onControlWrites()
    {
        final int ctrl = reg(CTRL);
        if ((ctrl & CTRL_RST) != 0)
        {
            deviceReset();
            return;
        }
        if ((ctrl & CTRL_LNK_RST) != 0)
        {
            // 8.2.3.1.1: link reset takes the link down and self-clears; AUTOC restart brings it back.
            setLink(false);
            writeReg(CTRL, ctrl & ~CTRL_LNK_RST);
        }

        // 5.2.5.3.2: with PCIe master disable the device issues no new requests (no descriptor fetch, no frame DMA)
        // and says so in STATUS.PCIE_MASTER_ENABLE; the simulated card has nothing in flight, so it clears at once.
        final boolean masterDisabled = (ctrl & CTRL_PCIE_MASTER_DISABLE) != 0;
        final int status = reg(STATUS);
        writeReg(STATUS, masterDisabled ? status & ~STATUS_PCIE_MASTER_ENABLE : status | STATUS_PCIE_MASTER_ENABLE);

        final int autoc = reg(AUTOC);
        if ((autoc & AUTOC_AN_RESTART) != 0)
        {
            // 8.2.3.22.19: AN restart self-clears and the AN state machine leaves state 0 (ANLP1, 8.2.3.22.23, what
            // a pipeline reset waits for). The link comes up only in 10G serial with the NVM's link-disable bits of
            // AUTOC2 cleared (8.2.3.22.21) and something plugged in; any other link mode takes it down.
            writeReg(AUTOC, autoc & ~AUTOC_AN_RESTART);
            writeReg(ANLP1, (reg(ANLP1) & ~ANLP1_AN_STATE_MASK) | AN_STATE_STARTED);
            final boolean serial = (autoc & AUTOC_LMS_MASK) == AUTOC_LMS_10G_SERIAL &&
                (reg(AUTOC2) & AUTOC2_LINK_DISABLE_MASK) == 0;
            if (serial && wire.isConnected())
            {
                linkUpPending = true;
            }
            else
            {
                linkUpPending = false;
                setLink(false);
            }
        }

        if (resetDone)
        {
            // EEC.ARD (8.2.3.2.1) and RDRXCTL.DMAIDONE (8.2.3.8.8) are the device's: a driver write cannot clear them.
            final int eec = reg(EEC);
            if ((eec & EEC_ARD) == 0)
            {
                writeReg(EEC, eec | EEC_ARD);
            }
            final int rdrxctl = reg(RDRXCTL);
            if ((rdrxctl & RDRXCTL_DMAIDONE) == 0)
            {
                writeReg(RDRXCTL, rdrxctl | RDRXCTL_DMAIDONE);
            }
        }

        syncAliases();

        // 8.2.3.12.5/6: with SECRXCTRL.RX_DIS the security Rx path, and so receive, is stopped; SECRXSTAT.SECRX_RDY
        // says so once the device has looked (a driver polls it before it sets RXEN, see SimulatedBar).
        final boolean securityRxStopped = (reg(SECRXCTRL) & SECRXCTRL_RX_DIS) != 0;
        writeReg(SECRXSTAT, securityRxStopped ? SECRXSTAT_SECRX_RDY : 0);
        receiveEnabled = (reg(RXCTRL) & RXCTRL_RXEN) != 0 && !securityRxStopped && !masterDisabled;
        transmitEnabled = (reg(DMATXCTL) & DMATXCTL_TE) != 0 && !masterDisabled;
        final int hlreg0 = reg(HLREG0);
        txPadEnabled = (hlreg0 & HLREG0_TXPADEN) != 0;
        receivedFcsLength = (hlreg0 & HLREG0_RXCRCSTRP) != 0 ? 0 : EthernetHeader.FCS_LENGTH;
        // 8.2.3.22.13: without jumbo frames the limit is 1518 bytes with FCS; with them, MAXFRS.MFS. A limit below a
        // minimum frame still lets minimum frames through.
        final int limitWithFcs = (hlreg0 & HLREG0_JUMBOEN) != 0 ? reg(MAXFRS) >>> MAXFRS_MFS_SHIFT :
            STANDARD_MAX_FRAME_SIZE;
        maxFrameLength = Math.min(Wire.MAX_FRAME_LENGTH,
            Math.max(limitWithFcs - EthernetHeader.FCS_LENGTH, EthernetHeader.MIN_FRAME_LENGTH));

        for (int n = 0; n < QUEUE_STATS_MAPPING_COUNT; n++)
        {
            final int rqsmr = reg(rqsmr(n));
            final int tqsm = reg(tqsm(n));
            for (int k = 0; k < 4; k++)
            {
                rxStatsSet[4 * n + k] = queueStatsSet(rqsmr, k);
                txStatsSet[4 * n + k] = queueStatsSet(tqsm, k);
            }
        }

        for (int q = 0; q < QUEUE_COUNT; q++)
        {
            controlRx(rx[q]);
            controlTx(tx[q]);
        }
        rebuildEnabledTx();
        classifier.compile(bar);
    }

    /**
     * Power-on contents of the registers without a reset value ({@link RegisterFile#undefinedBits}: the 5-tuple, SYN,
     * multicast and VLAN tables, receive addresses 1..127): random, from a seed of the card's MAC address, so a card
     * of the same name powers on the same way every time. A driver that does not clear them gets stray filters, as it
     * would on the part.
     */
    private void powerOnFilterMemories()
    {
        final SplittableRandom random = new SplittableRandom(mac ^ POWER_ON_SEED);
        RegisterFile.forEachUndefined(offset ->
            writeReg(offset, random.nextInt() & RegisterFile.undefinedBits(offset)));
        for (int n = 1; n < RECEIVE_ADDRESS_ALIAS_COUNT; n++)
        {
            // The 82598 alias of entries 1..15 is the same register on the part.
            writeReg(ralAlias(n), reg(ral(n)));
            writeReg(rahAlias(n), reg(rah(n)));
        }
    }

    /** 8.2.3.1.1 / 4.6.3.2: device reset restores every register's default; the done bits come back next cycle. */
    private void deviceReset()
    {
        resetRegisters();
        resetDone = false;
        resetDonePending = true;
        classifier.compile(bar);
    }

    private void resetRegisters()
    {
        // Every register except CTRL first, CTRL last: a driver polling CTRL.RST sees it clear only when the rest of
        // the register file already holds its defaults. Bits without a reset value keep what they held.
        for (int offset = 4; offset < BAR_SIZE; offset += 4)
        {
            final int undefined = RegisterFile.undefinedBits(offset);
            final int reset = RegisterFile.resetValue(offset);
            INT.setVolatile(bar, (long)offset,
                undefined == 0 ? reset : (reg(offset) & undefined) | (reset & ~undefined));
        }
        // The EEPROM's receive address 0 (8.2.3.7.9), at both its locations, in the registers' packing.
        final int eepromRal = ReceiveAddress.ral(mac);
        final int eepromRah = ReceiveAddress.rahAddress(mac) | RAH_AV;
        writeReg(ral(0), eepromRal);
        writeReg(rah(0), eepromRah);
        writeReg(ralAlias(0), eepromRal);
        writeReg(rahAlias(0), eepromRah);
        for (int k = 0; k < aliasMain.length; k++)
        {
            aliasShadow[k] = reg(aliasMain[k]);
        }
        for (int q = 0; q < QUEUE_COUNT; q++)
        {
            rx[q].disable();
            tx[q].disable();
            rxStatsSet[q] = 0;
            txStatsSet[q] = 0;
        }
        for (int i = 0; i < 4; i++)
        {
            LONG.setVolatile(bar, (long)RX_ENABLED_BITMAP_OFFSET + 8L * i, 0L);
            LONG.setVolatile(bar, (long)PFQDE_QDE_BITMAP_OFFSET + 8L * i, 0L); // QDE and HIDE_VLAN reset to 0
        }
        enabledTxCount = 0;
        receiveEnabled = false;
        transmitEnabled = false;
        linkUpPending = false;
        setLink(false);
        clearPendingStatistics();
        interrupts.reset();
        INT.setVolatile(bar, (long)CTRL, RegisterFile.resetValue(CTRL));
    }

    private int completePending()
    {
        int work = 0;
        if (resetDonePending)
        {
            completeReset();
            work++;
        }
        if (linkUpPending)
        {
            linkUpPending = false;
            setLink(true);
            work++;
        }
        return work;
    }

    private void completeReset()
    {
        resetDonePending = false;
        resetDone = true;
        // 8.2.3.2.1: EEPROM auto-read done; 8.2.3.8.8: DMA initialisation done.
        writeReg(EEC, reg(EEC) | EEC_ARD);
        writeReg(RDRXCTL, reg(RDRXCTL) | RDRXCTL_DMAIDONE);
    }

    private void setLink(final boolean up)
    {
        linkUp = up;
        // 8.2.3.22.20 LINKS reports the link and its speed (the simulated port only ever runs at 10 Gb/s); 8.2.3.1.2
        // STATUS only whether it is up: its bits 17:10 are NumVFs, 0 without SR-IOV.
        writeReg(LINKS, up ? LINKS_UP | LINKS_SPEED_10G : 0);
        final int status = reg(STATUS) & ~STATUS_LINK_UP;
        writeReg(STATUS, up ? status | STATUS_LINK_UP : status);
    }

    /**
     * Registers the part reaches at two addresses (RAL/RAH 0..15 at 0x05400, SRRCTL and DCA_RXCTRL of queues 0..15 in
     * both blocks, MRQC, RETA and RSSRK at their 82598 addresses) are one register: whichever copy the driver wrote
     * since the last look wins and is copied to the other, so a driver may use either address, as on the part.
     */
    private void syncAliases()
    {
        for (int k = 0; k < aliasMain.length; k++)
        {
            aliasShadow[k] = syncAlias(aliasMain[k], aliasOther[k], aliasShadow[k]);
        }
    }

    /** Whether an offset is the address {@link io.nicq.ixgbe.Registers} gives for its register (not the alias). */
    private static boolean isNamedAddress(final int offset)
    {
        if (offset == MRQC)
        {
            return true;
        }
        for (int n = 0; n < RECEIVE_ADDRESS_ALIAS_COUNT; n++)
        {
            if (offset == ral(n) || offset == rah(n))
            {
                return true;
            }
        }
        for (int q = 0; q < RX_CONTROL_ALIAS_COUNT; q++)
        {
            if (offset == srrctl(q) || offset == dcaRxctrl(q))
            {
                return true;
            }
        }
        for (int n = 0; n < RETA_REGISTER_COUNT; n++)
        {
            if (offset == reta(n) || (n < RSSRK_REGISTER_COUNT && offset == rssrk(n)))
            {
                return true;
            }
        }
        return false;
    }

    private int syncAlias(final int main, final int alias, final int shadow)
    {
        final int mainValue = reg(main);
        final int aliasValue = reg(alias);
        if (aliasValue != shadow && mainValue == shadow)
        {
            writeReg(main, aliasValue);
            return aliasValue;
        }
        if (mainValue != aliasValue)
        {
            writeReg(alias, mainValue);
        }
        return mainValue;
    }

    private void controlRx(final RxRing ring)
    {
        final int q = ring.queue;
        final boolean requested = (reg(rxdctl(q)) & DCTL_ENABLE) != 0;
        if (requested && !ring.enabled)
        {
            enableRx(ring);
        }
        else if (!requested && ring.enabled)
        {
            ring.disable();
            setEnabledBit(RX_ENABLED_BITMAP_OFFSET, q, false);
        }
        else if (!requested)
        {
            ring.failed.clear();
        }
        if (ring.enabled)
        {
            readSrrctl(ring);
            final int rxdctl = reg(rxdctl(q));
            ring.prefetchThreshold = rxdctl & TXDCTL_PTHRESH_MASK;         // same fields in RXDCTL (8.2.3.8.6)
            ring.hostThreshold = (rxdctl & TXDCTL_HTHRESH_MASK) >>> TXDCTL_HTHRESH_SHIFT;
        }
    }

    private void enableRx(final RxRing ring)
    {
        final int q = ring.queue;
        final long base = (reg(rdbal(q)) & 0xFFFF_FFFFL) | ((long)reg(rdbah(q)) << 32);
        final int length = reg(rdlen(q));
        final int head = reg(rdh(q));
        final int tail = reg(rdt(q));
        final MemorySegment memory = ringMemory(ring.failed, base, length, head, tail, RxDescriptor.SIZE);
        if (memory == null)
        {
            return;
        }
        ring.ring = memory;
        ring.ringIova = base;
        ring.count = length / RxDescriptor.SIZE;
        ring.head = head;
        ring.tail = tail;
        ring.enabled = true;
        readSrrctl(ring);
        setEnabledBit(RX_ENABLED_BITMAP_OFFSET, q, true);
    }

    /**
     * The memory of a ring a queue is being enabled with, RX (8.2.3.8.1-3) and TX (8.2.3.9.5-7) alike: base and
     * length as {@link DescriptorRing} says, head and tail inside the ring, registered in the IOMMU and descriptors
     * aligned in memory. Null when refused; a refusal is counted once for the same register values.
     */
    private MemorySegment ringMemory(final ConfigurationAttempt attempt, final long base, final int length,
        final int head, final int tail, final int descriptorSize)
    {
        if (attempt.matches(base, length, head, tail))
        {
            return null; // refused before and nothing changed: count it once, not on every look
        }
        final int count = length / descriptorSize;
        if (!DescriptorRing.isValidLength(length) || !DescriptorRing.isAligned(base) ||
            head < 0 || head >= count || tail < 0 || tail >= count)
        {
            attempt.fail(base, length, head, tail);
            countStatus(MALFORMED_DESCRIPTORS_OFFSET);
            return null;
        }
        final int index = iommu.find(base, length);
        if (index < 0)
        {
            attempt.fail(base, length, head, tail);
            countStatus(DMA_FAULTS_OFFSET);
            return null;
        }
        final MemorySegment memory = iommu.segment(index).asSlice(iommu.offset(index, base), length);
        if ((memory.address() & (descriptorSize - 1)) != 0)
        {
            // Registered at a file offset that leaves descriptors misaligned in memory: unusable as a ring.
            attempt.fail(base, length, head, tail);
            countStatus(MALFORMED_DESCRIPTORS_OFFSET);
            return null;
        }
        attempt.clear();
        return memory;
    }

    private void readSrrctl(final RxRing ring)
    {
        final int srrctl = reg(srrctl(ring.queue));
        // 8.2.3.8.7: BSIZEPACKET is 1..16 KiB. Another value is a driver error (counted once per SRRCTL value) and no
        // buffer size at all: every frame for the queue is dropped, since the part's behaviour is undefined.
        final int kilobytes = srrctl & SRRCTL_BSIZEPACKET_MASK;
        final boolean valid = kilobytes >= 1 && kilobytes <= SRRCTL_BSIZEPACKET_MAX_KB;
        if (!valid && (!ring.srrctlRefused || ring.refusedSrrctl != srrctl))
        {
            countStatus(DRIVER_ERRORS_OFFSET);
        }
        ring.srrctlRefused = !valid;
        ring.refusedSrrctl = srrctl;
        ring.bufferSize = valid ? kilobytes * 1024 : 0;
        ring.legacy = (srrctl & SRRCTL_DESCTYPE_MASK) == 0;
        // 8.2.3.27.9 PFQDE is indirect: SimulatedBar keeps each queue's QDE bit in the status page.
        final long qde = (long)LONG.getVolatile(bar, (long)PFQDE_QDE_BITMAP_OFFSET + 8L * (ring.queue >>> 6));
        ring.dropEnabled = (srrctl & SRRCTL_DROP_EN) != 0 || ((qde >>> (ring.queue & 63)) & 1L) != 0;
    }

    private void controlTx(final TxRing ring)
    {
        final int q = ring.queue;
        final boolean requested = (reg(txdctl(q)) & DCTL_ENABLE) != 0;
        if (requested && !ring.enabled)
        {
            enableTx(ring);
        }
        else if (!requested && ring.enabled)
        {
            ring.disable();
            setEnabledBit(TX_ENABLED_BITMAP_OFFSET, q, false);
        }
        else if (!requested)
        {
            ring.failed.clear();
        }
        if (ring.enabled)
        {
            final int txdctl = reg(txdctl(q));
            ring.prefetchThreshold = txdctl & TXDCTL_PTHRESH_MASK;
            ring.hostThreshold = (txdctl & TXDCTL_HTHRESH_MASK) >>> TXDCTL_HTHRESH_SHIFT;
            ring.writeBackThreshold = (txdctl & TXDCTL_WTHRESH_MASK) >>> TXDCTL_WTHRESH_SHIFT;
            if ((txdctl & TXDCTL_SWFLSH) != 0)
            {
                // 8.2.3.9.10 TXDCTL.SWFLSH: write back what WTHRESH holds now; the bit self-clears.
                writeReg(txdctl(q), txdctl & ~TXDCTL_SWFLSH);
                if (flushTxWriteBacks(ring))
                {
                    interrupts.txCompleted(q);
                }
            }
            final int tdwbal = reg(tdwbal(q));
            ring.headWriteBack = (tdwbal & TDWBAL_HEAD_WB_ENABLE) != 0;
            ring.headWriteBackAddress = (tdwbal & TDWBAL_ADDRESS_MASK & 0xFFFF_FFFFL) | ((long)reg(tdwbah(q)) << 32);
            // 7.2.3.5.2: with head write-back on, the part writes no DD; at an address not 16-byte aligned it writes
            // no head either (TinyNF's finding), so the driver never learns of a completion. A driver error, counted
            // once per address.
            final boolean misaligned = ring.headWriteBack &&
                !DescriptorRing.isHeadWriteBackAligned(ring.headWriteBackAddress);
            if (misaligned && ring.headWriteBackAddress != ring.badHeadWriteBackAddress)
            {
                countStatus(DRIVER_ERRORS_OFFSET);
            }
            ring.badHeadWriteBackAddress = misaligned ? ring.headWriteBackAddress : -1;
        }
    }

    private void enableTx(final TxRing ring)
    {
        final int q = ring.queue;
        final long base = (reg(tdbal(q)) & 0xFFFF_FFFFL) | ((long)reg(tdbah(q)) << 32);
        final int length = reg(tdlen(q));
        final int head = reg(tdh(q));
        // TDT is the driver's doorbell, checked when it rings; only the head must lie inside the ring now.
        final MemorySegment memory = ringMemory(ring.failed, base, length, head, 0, TxDescriptor.SIZE);
        if (memory == null)
        {
            return;
        }
        ring.ring = memory;
        ring.ringIova = base;
        ring.count = length / TxDescriptor.SIZE;
        ring.head = head;
        ring.writeBackFrom = head;
        ring.badTail = -1;
        ring.enabled = true;
        setEnabledBit(TX_ENABLED_BITMAP_OFFSET, q, true);
    }

    private void rebuildEnabledTx()
    {
        enabledTxCount = 0;
        for (int q = 0; q < QUEUE_COUNT; q++)
        {
            if (tx[q].enabled)
            {
                enabledTx[enabledTxCount++] = q;
            }
        }
    }

    /** After the IOMMU table changed: a ring whose memory was unregistered faults and its queue stops. */
    private void revalidateRings()
    {
        for (int q = 0; q < QUEUE_COUNT; q++)
        {
            final RxRing r = rx[q];
            if (r.enabled)
            {
                final int index = iommu.find(r.ringIova, (long)r.count * RxDescriptor.SIZE);
                if (index < 0)
                {
                    countStatus(DMA_FAULTS_OFFSET);
                    r.disable();
                    setEnabledBit(RX_ENABLED_BITMAP_OFFSET, q, false);
                }
                else
                {
                    r.ring = iommu.segment(index).asSlice(iommu.offset(index, r.ringIova),
                        (long)r.count * RxDescriptor.SIZE);
                }
            }
            final TxRing t = tx[q];
            if (t.enabled)
            {
                final int index = iommu.find(t.ringIova, (long)t.count * TxDescriptor.SIZE);
                if (index < 0)
                {
                    countStatus(DMA_FAULTS_OFFSET);
                    t.disable();
                    setEnabledBit(TX_ENABLED_BITMAP_OFFSET, q, false);
                }
                else
                {
                    t.ring = iommu.segment(index).asSlice(iommu.offset(index, t.ringIova),
                        (long)t.count * TxDescriptor.SIZE);
                }
            }
        }
        rebuildEnabledTx();
    }

    private void setEnabledBit(final int bitmapOffset, final int queue, final boolean enabled)
    {
        final long offset = bitmapOffset + 8L * (queue >>> 6);
        final long word = (long)LONG.getVolatile(bar, offset);
        final long bit = 1L << (queue & 63);
        LONG.setRelease(bar, offset, enabled ? word | bit : word & ~bit);
    }

    private void housekeeping()
    {
        nextHousekeepingNs = now + HEARTBEAT_INTERVAL_NS;
        LONG.setRelease(bar, (long)DEVICE_HEARTBEAT_OFFSET, heartbeatNow());
        wire.housekeeping();
        if (now - nextReclaimNs >= 0)
        {
            nextReclaimNs = now + IOMMU_RECLAIM_INTERVAL_NS;
            final int reclaimed = iommu.table().reclaimDead();
            if (reclaimed > 0)
            {
                LONG.getAndAdd(bar, (long)IOMMU_RECLAIMED_OFFSET, (long)reclaimed);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Transmit path
    // ---------------------------------------------------------------------------------------------------------------

    private int transmit(final TxRing t)
    {
        final int tail = (int)INT.getVolatile(bar, (long)t.tdtOffset);
        if (tail == t.head)
        {
            return 0;
        }
        if (tail < 0 || tail >= t.count)
        {
            // A tail outside the ring is a driver bug: counted once per bad value, ignored until a valid tail.
            if (tail != t.badTail)
            {
                t.badTail = tail;
                countStatus(MALFORMED_DESCRIPTORS_OFFSET);
            }
            return 0;
        }

        final MemorySegment ring = t.ring;
        final int count = t.count;
        int frames = 0;
        boolean reportHead = false;
        boolean completed = false;
        while (t.head != tail && frames < TX_BURST)
        {
            if (pacer != null && !pacer.mayTransmit(now))
            {
                now = System.nanoTime();
                if (!pacer.mayTransmit(now))
                {
                    break;
                }
            }

            // Gather one frame: descriptors from head up to EOP, as fetched into the descriptor cache.
            int index = t.head;
            int length = 0;
            int descriptors = 0;
            boolean endOfPacket = false;
            int fault = 0;
            while (index != tail)
            {
                if (descriptors == t.cached && !prefetchTx(t, tail, descriptors))
                {
                    if (descriptors == TX_DESCRIPTOR_CACHE)
                    {
                        // More descriptors than the cache holds without an EOP: more than one packet may span.
                        fault = MALFORMED_DESCRIPTORS_OFFSET;
                        endOfPacket = true;
                    }
                    break;
                }
                final int slot = t.slot(descriptors);
                final int cmdTypeLen = (int)t.cachedCommand[slot];
                if (TxDescriptor.bufferAddress(ring, index) != t.cachedAddress[slot] ||
                    (long)LONG.get(ring, (long)index * TxDescriptor.SIZE + TxDescriptor.CMD_TYPE_LEN_OFFSET) !=
                    t.cachedCommand[slot])
                {
                    // Rewritten after TDT handed it over (7.2.3.4): the device uses the copy it fetched.
                    countStatus(DRIVER_ERRORS_OFFSET);
                }
                descriptors++;
                final boolean advanced = (cmdTypeLen & TxDescriptor.CMD_DEXT) != 0;
                final int type = cmdTypeLen & TxDescriptor.DTYP_MASK;
                if (advanced && type == DTYP_CONTEXT)
                {
                    // A context descriptor (offload parameters) carries no data.
                    index = next(index, count);
                    continue;
                }
                final int bufferLength = cmdTypeLen & TxDescriptor.LENGTH_MASK;
                if (fault == 0)
                {
                    if ((advanced && type != TxDescriptor.DTYP_DATA) || bufferLength == 0 ||
                        length + bufferLength > Wire.MAX_FRAME_LENGTH)
                    {
                        fault = MALFORMED_DESCRIPTORS_OFFSET;
                    }
                    else
                    {
                        final long address = t.cachedAddress[slot];
                        final int range = iommu.find(address, bufferLength);
                        if (range < 0)
                        {
                            fault = DMA_FAULTS_OFFSET;
                        }
                        else
                        {
                            MemorySegment.copy(iommu.segment(range), iommu.offset(range, address), txFrame, length,
                                bufferLength);
                            length += bufferLength;
                        }
                    }
                }
                index = next(index, count);
                if ((cmdTypeLen & TxDescriptor.CMD_EOP) != 0)
                {
                    endOfPacket = true;
                    break;
                }
                if (descriptors >= count - 1)
                {
                    // No EOP within everything a driver can post (count - 1 descriptors): it never ends.
                    fault = MALFORMED_DESCRIPTORS_OFFSET;
                    endOfPacket = true;
                    break;
                }
            }
            if (!endOfPacket)
            {
                break; // the driver has not posted the rest of the frame yet
            }

            if (fault == 0)
            {
                if (txPadEnabled && length < EthernetHeader.MIN_FRAME_LENGTH)
                {
                    // HLREG0.TXPADEN: short frames are padded with zeros to 60 bytes (64 with the FCS).
                    txFrame.asSlice(length, EthernetHeader.MIN_FRAME_LENGTH - length).fill((byte)0);
                    length = EthernetHeader.MIN_FRAME_LENGTH;
                }
                final int result = wire.send(txFrame, 0, length);
                if (result == Wire.BUSY)
                {
                    break; // the peer is behind: leave the frame in the ring and try again next time
                }
                if (result == Wire.SENT)
                {
                    wireSent++;
                    count(CardCounter.GPTC, 1);
                    count(CardCounter.GOTC, length + EthernetHeader.FCS_LENGTH);
                    count(CardCounter.TPT, 1);
                    final int set = txStatsSet[t.queue];
                    count(QueueCounter.QPTC, set, 1);
                    count(QueueCounter.QBTC, set, length);
                    incrementStatus(txQueueFramesOffset(t.queue));
                    if (pacer != null)
                    {
                        pacer.onTransmit(now, length);
                    }
                }
                else
                {
                    wireFailures++;
                }
                statsDirty = true;
            }
            else
            {
                countStatus(fault);
            }

            // Write back every descriptor of the frame whose RS was set (7.2.3.5); with head write-back, none. With
            // TXDCTL.WTHRESH above 0 the write-backs wait in the cache until WTHRESH of them are ready (or SWFLSH).
            final long wireTime = System.nanoTime();
            for (int i = t.head, k = 0; i != index; i = next(i, count), k++)
            {
                if (((int)t.cachedCommand[t.slot(k)] & TxDescriptor.CMD_RS) != 0)
                {
                    if (t.headWriteBack)
                    {
                        completed = true;
                        reportHead = true;
                    }
                    else if (t.writeBackThreshold == 0)
                    {
                        completed = true;
                        TxDescriptor.writeBack(ring, i, wireTime);
                    }
                    else
                    {
                        t.pendingWriteBacks++;
                    }
                }
            }
            t.consume(index, descriptors);
            if (t.writeBackThreshold == 0 || t.headWriteBack)
            {
                t.writeBackFrom = index;
            }
            frames++;
        }
        if (t.pendingWriteBacks > 0 && t.pendingWriteBacks >= t.writeBackThreshold)
        {
            completed |= flushTxWriteBacks(t);
        }

        if (frames > 0)
        {
            // 8.2.3.9.8: TDH is the device's.
            INT.setRelease(bar, (long)t.tdhOffset, t.head);
            if (reportHead)
            {
                writeHeadBack(t);
            }
            if (completed)
            {
                // 7.3: a TX descriptor with RS done is the queue's TX cause, after its write-back is visible.
                interrupts.txCompleted(t.queue);
            }
        }
        return frames;
    }

    /**
     * 8.2.3.9.10 TXDCTL PTHRESH/HTHRESH: descriptors the driver has given (up to TDT, never beyond) are copied into the
     * queue's cache when the gather has used up what it holds, or when it holds fewer than PTHRESH while at least
     * HTHRESH wait in host memory; as many as fit.
     *
     * @param inUse descriptors of the cache the current gather has already used
     * @return whether the cache now holds more than {@code inUse}
     */
    private static boolean prefetchTx(final TxRing t, final int tail, final int inUse)
    {
        final int waiting = free(tail, t.head, t.count) - t.cached;
        if (waiting <= 0 || (t.cached > inUse && (t.cached >= t.prefetchThreshold || waiting < t.hostThreshold)))
        {
            return t.cached > inUse;
        }
        final int fetch = Math.min(waiting, TX_DESCRIPTOR_CACHE - t.cached);
        int index = t.head + t.cached;
        for (int k = 0; k < fetch; k++)
        {
            index = index >= t.count ? index - t.count : index;
            final int slot = t.slot(t.cached + k);
            t.cachedAddress[slot] = TxDescriptor.bufferAddress(t.ring, index);
            t.cachedCommand[slot] = (long)LONG.get(t.ring, (long)index * TxDescriptor.SIZE +
                TxDescriptor.CMD_TYPE_LEN_OFFSET);
            index++;
        }
        t.cached += fetch;
        return t.cached > inUse;
    }

    /**
     * The write-backs WTHRESH held back: DD of every RS descriptor from the last write-back up to TDH (their RS as
     * the ring holds it: the driver may not touch a descriptor before its DD). A driver that waits for DD per
     * descriptor with WTHRESH above 0 waits until WTHRESH are done.
     *
     * @return whether anything was written back
     */
    private boolean flushTxWriteBacks(final TxRing t)
    {
        final long wireTime = System.nanoTime();
        boolean written = false;
        for (int i = t.writeBackFrom; i != t.head; i = next(i, t.count))
        {
            if ((TxDescriptor.cmdTypeLen(t.ring, i) & TxDescriptor.CMD_RS) != 0)
            {
                TxDescriptor.writeBack(t.ring, i, wireTime);
                written = true;
            }
        }
        t.writeBackFrom = t.head;
        t.pendingWriteBacks = 0;
        return written;
    }

    /** 7.2.3.5.2: the head index, written to the TDWBAL/TDWBAH address instead of descriptor write-backs. */
    private void writeHeadBack(final TxRing t)
    {
        if (t.badHeadWriteBackAddress != -1)
        {
            return; // not 16-byte aligned: the part writes nothing (counted when programmed)
        }
        final int range = iommu.find(t.headWriteBackAddress, 4);
        if (range < 0 || ((iommu.segment(range).address() + iommu.offset(range, t.headWriteBackAddress)) & 3) != 0)
        {
            countStatus(DMA_FAULTS_OFFSET);
            return;
        }
        INT.setRelease(iommu.segment(range), iommu.offset(range, t.headWriteBackAddress), t.head);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Receive path
    // ---------------------------------------------------------------------------------------------------------------

    /** A frame from the wire. */
    public void onFrame(final MemorySegment frame, final long offset, final int length)
    {
        wireReceived++;
        statsDirty = true;
        if (length < MIN_COUNTED_FRAGMENT)
        {
            // Specification update, clarification 18: "Rx statistics counters do not count runt frames or fragments
            // smaller than 12 bytes" (no destination and source address): dropped, in no statistics register.
            fragments++;
            return;
        }
        // 8.2.3.23 TPR/TOR: every frame the MAC receives, its bytes with the FCS (DPDK takes 4 per TPR off TOR).
        count(CardCounter.TPR, 1);
        count(CardCounter.TOR, length + EthernetHeader.FCS_LENGTH);

        if (!linkUp || !receiveEnabled)
        {
            rxDisabledDrops++;
            return;
        }
        if (length < EthernetHeader.MIN_FRAME_LENGTH)
        {
            // 8.2.3.23 RUC: shorter than 64 bytes with the FCS and a valid CRC (the wire's frames all have one).
            // Senders pad (MemoryWire.inject, TapWire for the kernel's frames), so only an unpadded sender gets here.
            count(CardCounter.RUC, 1);
            return;
        }
        final boolean vlanTagged = length >= 18 && (frame.get(ValueLayout.JAVA_BYTE, offset + 12) & 0xFF) == 0x81 &&
            frame.get(ValueLayout.JAVA_BYTE, offset + 13) == 0;
        if (length > maxFrameLength + (vlanTagged ? 4 : 0))
        {
            count(CardCounter.ROC, 1);
            return;
        }
        if (!classifier.acceptsDestination(frame, offset))
        {
            l2Filtered++;
            return;
        }

        final int queue = classifier.classify(frame, offset, length);
        count(CardCounter.GPRC, 1);
        // 8.2.3.23 GORC counts the frame as it goes to memory: without the FCS when HLREG0.RXCRCSTRP strips it
        // (DPDK's ixgbe_read_stats_registers: "RX byte count not including CRC bytes when CRC strip is enabled"; it
        // takes 4 bytes per frame off GORC and QBRC only with stripping off).
        count(CardCounter.GORC, length + receivedFcsLength);
        if (Classifier.isBroadcast(frame, offset))
        {
            count(CardCounter.BPRC, 1);
        }
        else if (Classifier.isMulticast(frame, offset))
        {
            // 8.2.3.23 MPRC: multicast without broadcasts on the 82599. Linux's ixgbe_update_stats_counters and
            // DPDK subtract BPRC from MPRC only for the 82598 ("mprc hardware is incorrectly counting broadcasts").
            count(CardCounter.MPRC, 1);
        }

        final RxRing r = rx[queue];
        final int set = rxStatsSet[queue];
        if (!r.enabled)
        {
            drop(r, set);
            return;
        }
        if (r.bufferSize == 0)
        {
            // SRRCTL.BSIZEPACKET of 0 or beyond 16 KiB: no buffer the part takes.
            countStatus(MALFORMED_DESCRIPTORS_OFFSET);
            drop(r, set);
            return;
        }
        final int needed = (length + r.bufferSize - 1) / r.bufferSize;
        if (!hasDescriptors(r, needed))
        {
            drop(r, set);
            return;
        }
        prefetchRx(r, needed);

        final MemorySegment ring = r.ring;
        final int count = r.count;
        // 7.1.2.7: a flow director match reported (FDIRCTRL.REPORT_STATUS) takes the RSS field and sets FLM.
        final boolean flowDirectorReport = classifier.reportsFlowDirectorMatch();
        final int rssOrTime = flowDirectorReport ? classifier.flowDirectorId() :
            classifier.isRssEnabled() ? classifier.rssHash() : (int)System.nanoTime();
        final int matchStatus = flowDirectorReport ? RxDescriptor.STATUS_FLM : 0;
        // 7.1.11 receive checksum offload, advanced write-back only: the verdict goes into the EOP descriptor.
        int packetInfo = classifier.rssType();
        int checksumStatus = 0;
        if (!r.legacy)
        {
            checksums.evaluate(frame, offset, length);
            packetInfo |= checksums.packetType();
            checksumStatus = checksums.statusError();
        }
        int written = 0;
        int index = r.head;
        while (written < length)
        {
            final int chunk = Math.min(r.bufferSize, length - written);
            final boolean last = written + chunk == length;
            // The copy fetched into the descriptor cache is what the device uses; a ring that now says otherwise was
            // rewritten after the driver handed the descriptor over with RDT (7.1.4): a driver error.
            final int slot = r.slot(index);
            final long address = r.cachedBuffer[slot];
            if (RxDescriptor.bufferAddress(ring, index) != address)
            {
                countStatus(DRIVER_ERRORS_OFFSET);
            }
            final int range = iommu.find(address, chunk);
            if (range < 0)
            {
                // The rest of the frame is lost; the driver sees this descriptor consumed with an error.
                countStatus(DMA_FAULTS_OFFSET);
                writeBackRx(r, ring, index, 0, 0, 0, RxDescriptor.STATUS_DD | RxDescriptor.STATUS_EOP |
                    RxDescriptor.ERROR_RXE);
                index = next(index, count);
                written = -1;
                break;
            }
            MemorySegment.copy(frame, offset + written, iommu.segment(range), iommu.offset(range, address), chunk);
            writeBackRx(r, ring, index, packetInfo, chunk, rssOrTime,
                RxDescriptor.STATUS_DD | matchStatus | (last ? RxDescriptor.STATUS_EOP | checksumStatus : 0));
            index = next(index, count);
            written += chunk;
        }
        r.consume(index);
        // 8.2.3.8.4: RDH is the device's.
        INT.setRelease(bar, (long)r.rdhOffset, index);
        // 7.3: the write-back (DD) is the queue's RX cause; raised after the descriptors and RDH are visible.
        interrupts.rxWrittenBack(queue);
        if (written == length)
        {
            count(QueueCounter.QPRC, set, 1);
            count(QueueCounter.QBRC, set, length + receivedFcsLength); // 8.2.3.23 QBRC: as GORC
            incrementStatus(rxQueueFramesOffset(queue));
        }
    }

    /**
     * Whether the driver has given the device at least {@code needed} descriptors (from RDH up to, not including,
     * RDT). The tail is reread only when the cached one does not show enough: one volatile load per batch, not per
     * frame.
     */
    private boolean hasDescriptors(final RxRing r, final int needed)
    {
        if (free(r.tail, r.head, r.count) >= needed)
        {
            return true;
        }
        final int tail = (int)INT.getVolatile(bar, (long)r.rdtOffset);
        if (tail < 0 || tail >= r.count)
        {
            // A tail outside the ring is a driver bug: counted once per bad value, the queue starves until fixed.
            if (tail != r.badTail)
            {
                r.badTail = tail;
                countStatus(MALFORMED_DESCRIPTORS_OFFSET);
            }
            return false;
        }
        r.tail = tail;
        return free(tail, r.head, r.count) >= needed;
    }

    /**
     * 8.2.3.8.6 RXDCTL PTHRESH/HTHRESH: descriptors the driver has given (up to RDT, never beyond) are copied into the
     * queue's cache when the cache holds fewer than a frame needs, or fewer than PTHRESH while at least HTHRESH wait in
     * host memory (the 82598's and 82583's datasheets describe the same thresholds), as many as fit.
     */
    private static void prefetchRx(final RxRing r, final int needed)
    {
        final int waiting = free(r.tail, r.head, r.count) - r.cached;
        if (waiting <= 0 || (r.cached >= needed && (r.cached >= r.prefetchThreshold || waiting < r.hostThreshold)))
        {
            return;
        }
        final int fetch = Math.min(waiting, RX_DESCRIPTOR_CACHE - r.cached);
        int index = r.head + r.cached;
        for (int k = 0; k < fetch; k++)
        {
            index = index >= r.count ? index - r.count : index;
            r.cachedBuffer[r.slot(index)] = RxDescriptor.bufferAddress(r.ring, index);
            index++;
        }
        r.cached += fetch;
    }

    private static int free(final int tail, final int head, final int count)
    {
        final int free = tail - head;
        return free < 0 ? free + count : free;
    }

    private void writeBackRx(final RxRing r, final MemorySegment ring, final int index, final int packetInfo,
        final int length, final int rssOrTime, final int statusError)
    {
        if (!r.legacy)
        {
            RxDescriptor.writeBack(ring, index, packetInfo, length, rssOrTime, statusError);
        }
        else
        {
            // Legacy write-back (7.1.5): length at 8, checksum at 10, status at 12, errors at 13, VLAN at 14.
            final long base = (long)index * RxDescriptor.SIZE;
            SHORT.set(ring, base + 8, (short)length);
            SHORT.set(ring, base + 10, (short)0);
            SHORT.set(ring, base + 14, (short)0);
            final int errors = (statusError & RxDescriptor.ERROR_RXE) != 0 ? LEGACY_RX_ERRORS_RXE : 0;
            final int status = statusError & (RxDescriptor.STATUS_DD | RxDescriptor.STATUS_EOP);
            SHORT.setRelease(ring, base + 12, (short)(status | (errors << 8)));
        }
    }

    /**
     * No descriptor: with SRRCTL.DROP_EN (or PFQDE.QDE) the frame is dropped and counted in QPRDC of the queue's
     * statistics set; without it the 82599 would hold it in the packet buffer until that overflows, which the
     * simulated card models as an immediate overflow counted in MPC(0) (and, per the erratum, in GPRC, already done).
     * Either way the sim's per-queue drop counter in the status page counts it.
     */
    private void drop(final RxRing r, final int set)
    {
        if (r.dropEnabled || !r.enabled)
        {
            count(QueueCounter.QPRDC, set, 1);
        }
        else
        {
            count(CardCounter.MPC, 1);
        }
        incrementStatus(rxQueueDropsOffset(r.queue));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Statistics
    // ---------------------------------------------------------------------------------------------------------------

    /** Counts for a card-wide counter (instance 0), added to its register at the end of this {@code doWork()}. */
    private void count(final CardCounter counter, final long amount)
    {
        cardCounts[counter.ordinal()] += amount;
    }

    /** Counts for a counter of a per-queue statistics set. */
    private void count(final QueueCounter counter, final int set, final long amount)
    {
        setCounts[set * QueueCounter.COUNT + counter.ordinal()] += amount;
    }

    private void flushStatistics()
    {
        statsDirty = false;
        classifier.flowDirector().flush(bar);
        for (int i = 0; i < CardCounter.COUNT; i++)
        {
            final CardCounter counter = CardCounter.of(i);
            addCounter(counter.low(0), counter.high(0), cardCounts[i]);
        }
        for (int set = 0; set < QUEUE_STATS_COUNT; set++)
        {
            for (int i = 0; i < QueueCounter.COUNT; i++)
            {
                final QueueCounter counter = QueueCounter.of(i);
                addCounter(counter.low(set), counter.high(set), setCounts[set * QueueCounter.COUNT + i]);
            }
        }
        addStatus(WIRE_FRAMES_SENT_OFFSET, wireSent);
        addStatus(WIRE_FRAMES_RECEIVED_OFFSET, wireReceived);
        addStatus(WIRE_SEND_FAILURES_OFFSET, wireFailures);
        addStatus(L2_FILTERED_OFFSET, l2Filtered);
        addStatus(RX_DISABLED_DROPS_OFFSET, rxDisabledDrops);
        addStatus(RX_FRAGMENTS_OFFSET, fragments);
        clearPendingStatistics();
    }

    private void clearPendingStatistics()
    {
        Arrays.fill(cardCounts, 0);
        Arrays.fill(setCounts, 0);
        wireSent = 0;
        wireReceived = 0;
        wireFailures = 0;
        l2Filtered = 0;
        rxDisabledDrops = 0;
        fragments = 0;
    }

    /**
     * Adds to a clear-on-read counter atomically (the driver's read-and-clear is atomic too); a count split over a low
     * and a high register carries into the high one, which holds bits 35:32 only: the part's counts are 36 bits and
     * wrap there ({@link Statistics#HIGH_MASK}).
     */
    private void addCounter(final int low, final int high, final long value)
    {
        if (value == 0)
        {
            return;
        }
        final int before = (int)INT.getAndAdd(bar, (long)low, (int)value);
        if (high != Statistics.NO_REGISTER)
        {
            final long carry = ((before & 0xFFFF_FFFFL) + (value & 0xFFFF_FFFFL)) >>> 32;
            final long highAdd = (value >>> 32) + carry;
            if (highAdd != 0)
            {
                int old;
                do
                {
                    old = (int)INT.getVolatile(bar, (long)high);
                }
                while (!INT.compareAndSet(bar, (long)high, old, (int)((old + highAdd) & Statistics.HIGH_MASK)));
            }
        }
    }

    private void addStatus(final int offset, final long value)
    {
        if (value != 0)
        {
            LONG.getAndAdd(bar, (long)offset, value);
        }
    }

    private void countStatus(final int offset)
    {
        LONG.getAndAdd(bar, (long)offset, 1L);
    }

    /** Per-queue counters have one writer, the device: a plain increment published with release is enough. */
    private void incrementStatus(final int offset)
    {
        LONG.setRelease(bar, (long)offset, (long)LONG.get(bar, (long)offset) + 1);
    }

    // ---------------------------------------------------------------------------------------------------------------

    private int reg(final int offset)
    {
        return (int)INT.getVolatile(bar, (long)offset);
    }

    /** A device-side register write: never bumps the write generation (that is for driver writes). */
    private void writeReg(final int offset, final int value)
    {
        INT.setVolatile(bar, (long)offset, value);
    }

    private static int next(final int index, final int count)
    {
        final int next = index + 1;
        return next == count ? 0 : next;
    }

    /** Ring registers a queue enable was refused for, so that the refusal is counted once, not on every look. */
    private static final class ConfigurationAttempt
    {
        boolean failed;
        long base;
        int length;
        int head;
        int tail;

        boolean matches(final long base, final int length, final int head, final int tail)
        {
            return failed && this.base == base && this.length == length && this.head == head && this.tail == tail;
        }

        void fail(final long base, final int length, final int head, final int tail)
        {
            this.failed = true;
            this.base = base;
            this.length = length;
            this.head = head;
            this.tail = tail;
        }

        void clear()
        {
            failed = false;
        }
    }

    /** State of one RX queue as the device sees it. */
    private static final class RxRing
    {
        final int queue;
        final int rdhOffset;
        final int rdtOffset;
        boolean enabled;
        MemorySegment ring;
        long ringIova;
        int count;
        int head;
        int tail;
        int badTail = -1;
        int bufferSize;
        /** SRRCTL's BSIZEPACKET was outside 1..16 KiB at the last look (counted once per value). */
        boolean srrctlRefused;
        int refusedSrrctl;
        boolean legacy;
        boolean dropEnabled;
        /** RXDCTL.PTHRESH and HTHRESH at the last look. */
        int prefetchThreshold;
        int hostThreshold;
        /** Buffer addresses of the descriptors from RDH on that the device has fetched: {@link #cached} of them. */
        final long[] cachedBuffer = new long[RX_DESCRIPTOR_CACHE];
        int cached;
        /** The cache slot of the descriptor at RDH. */
        int cacheStart;
        final ConfigurationAttempt failed = new ConfigurationAttempt();

        RxRing(final int queue)
        {
            this.queue = queue;
            this.rdhOffset = rdh(queue);
            this.rdtOffset = rdt(queue);
        }

        void disable()
        {
            enabled = false;
            ring = null;
            failed.clear();
            badTail = -1;
            cached = 0;
            cacheStart = 0;
        }

        /** The cache slot of a descriptor index within the fetched window (RDH up to RDH + cached). */
        int slot(final int index)
        {
            final int distance = index >= head ? index - head : index + count - head;
            final int slot = cacheStart + distance;
            return slot >= RX_DESCRIPTOR_CACHE ? slot - RX_DESCRIPTOR_CACHE : slot;
        }

        /** The device has used the descriptors from RDH up to {@code newHead}: they leave the cache. */
        void consume(final int newHead)
        {
            final int used = newHead >= head ? newHead - head : newHead + count - head;
            cached = Math.max(0, cached - used);
            cacheStart = (cacheStart + used) % RX_DESCRIPTOR_CACHE;
            head = newHead;
        }
    }

    /** State of one TX queue as the device sees it. */
    private static final class TxRing
    {
        final int queue;
        final int tdhOffset;
        final int tdtOffset;
        boolean enabled;
        MemorySegment ring;
        long ringIova;
        int count;
        int head;
        int badTail = -1;
        boolean headWriteBack;
        long headWriteBackAddress;
        /** A misaligned head write-back address already counted as a driver error, -1 if none. */
        long badHeadWriteBackAddress = -1;
        /** TXDCTL.PTHRESH, HTHRESH and WTHRESH at the last look. */
        int prefetchThreshold;
        int hostThreshold;
        int writeBackThreshold;
        /** The descriptors from TDH on that the device has fetched: {@link #cached} of them, words 0 and 1. */
        final long[] cachedAddress = new long[TX_DESCRIPTOR_CACHE];
        final long[] cachedCommand = new long[TX_DESCRIPTOR_CACHE];
        int cached;
        /** The cache slot of the descriptor at TDH. */
        int cacheStart;
        /** First processed descriptor not yet written back, and how many RS descriptors wait for WTHRESH. */
        int writeBackFrom;
        int pendingWriteBacks;
        final ConfigurationAttempt failed = new ConfigurationAttempt();

        TxRing(final int queue)
        {
            this.queue = queue;
            this.tdhOffset = tdh(queue);
            this.tdtOffset = tdt(queue);
        }

        void disable()
        {
            enabled = false;
            ring = null;
            failed.clear();
            badTail = -1;
            badHeadWriteBackAddress = -1;
            cached = 0;
            cacheStart = 0;
            pendingWriteBacks = 0;
        }

        /** The cache slot of the descriptor {@code k} places after TDH. */
        int slot(final int k)
        {
            final int slot = cacheStart + k;
            return slot >= TX_DESCRIPTOR_CACHE ? slot - TX_DESCRIPTOR_CACHE : slot;
        }

        /** The device has processed {@code used} descriptors: TDH moves to {@code newHead}, they leave the cache. */
        void consume(final int newHead, final int used)
        {
            cached -= used;
            cacheStart = slot(used);
            head = newHead;
        }
    }
}
