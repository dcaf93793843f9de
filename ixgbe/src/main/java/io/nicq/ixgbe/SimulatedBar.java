package io.nicq.ixgbe;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import static io.nicq.ixgbe.SimulatedCardFiles.*;

/**
 * BAR0 of a simulated card: the register part of its shared {@code bar0} file, accessed with the register semantics a
 * driver sees on the silicon, taken from {@link RegisterFile}:
 * <ul>
 *   <li>clear-on-read registers are read and zeroed in one atomic step (the device adds to them atomically); EICR
 *       with GPIE.OCD set loses only its other causes [29:16] ({@link RegisterFile#bitsClearedByRead});</li>
 *   <li>the interrupt registers write bits, not values ({@link RegisterFile#writeAction}): EICR write-1-clears,
 *       EIMS write-1-sets, EICS sets EICR bits and EIMC clears EIMS bits, each one atomic update, since the device
 *       sets causes and auto-clears and auto-masks them from its own process; EICS reads EICR without clearing;</li>
 *   <li>writes to read-only registers are dropped and counted;</li>
 *   <li>reads of write-only registers (L34T_IMIR) are counted and return 0, as a driver must never do them;</li>
 *   <li>every write except a queue tail bumps the write generation, so the device loop notices control writes
 *       with one load per iteration; tails (the doorbells) it polls directly;</li>
 *   <li>every write, tails included, rings the card's {@link Doorbell} last, so a device loop may sleep on it while
 *       idle (a wake-up system call only when one does);</li>
 *   <li>driver errors only the order of writes shows are counted at the write (status+536): the transmit packet
 *       buffer registers written while RTTDCS.ARBDIS is clear, RXCTRL.RXEN set without SECRXCTRL.RX_DIS and
 *       SECRXSTAT.SECRX_RDY, a head (RDH/TDH) written while its queue runs, a tail moved off 0 before ENABLE reads
 *       back, AUTOC written without SW_FW_SYNC.SW_MAC_CSR, SW_FW_SYNC written without SWSM.SWESMBI, CTRL.RST
 *       written while the master is enabled and CTRL.PCIE_MASTER_DISABLE was never set;</li>
 *   <li>a read of SWSM sets SMBI in the same atomic step (10.5.4), so of two drivers only one sees it clear;</li>
 *   <li>PFQDE is indirect, as on the part: a write with WE sets the indexed queue's QDE/HIDE_VLAN (kept in the
 *       status page), and the register then reads back that queue's bits;</li>
 *   <li>a write of FDIRCMD with CLEARHT is latched in the status page, so the device sees the pulse a driver gives
 *       (1 then 0) even when it looks only after both writes;</li>
 *   <li>RXDCTL.ENABLE and TXDCTL.ENABLE read back what the device has done, not what was written: the register
 *       holds the driver's request, the device keeps the queue's actual state in the enabled bitmaps of the status
 *       page, and a read merges the two. So ENABLE reads back set only once the device has enabled the queue (a
 *       driver must poll, as on silicon), and a read-modify-write before then withdraws the request, as it would on
 *       the real part.</li>
 * </ul>
 */
public final class SimulatedBar implements Bar
{
    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final MemorySegment file;
    private final Arena arena;
    private final String description;
    private final boolean[] tails = new boolean[Registers.BAR_SIZE / 4];
    /** For RDH/RDT/TDH/TDT slots: 1 + the queue's bit in the enabled bitmaps, as {@link #queueControl}; else 0. */
    private final short[] ringPointer = new short[Registers.BAR_SIZE / 4];
    /** DTXMXSZRQ, TXPBSIZE(n), TXPBTHRESH(n), MTQC: written only while RTTDCS.ARBDIS is set (4.6.8). */
    private final boolean[] arbiterOffOnly = new boolean[Registers.BAR_SIZE / 4];
    /** For RXDCTL/TXDCTL slots: 1 + the queue's bit in the enabled bitmaps (RX q = q, TX q = 128 + q); else 0. */
    private final short[] queueControl = new short[Registers.BAR_SIZE / 4];
    /** Rung on every write, so an idle device loop may sleep until a driver writes (SimulatedCardFiles+704). */
    private final Doorbell doorbell;

    /**
     * @param file  the whole {@code bar0} file (registers and status page), {@link SimulatedCardFiles#BAR_FILE_SIZE}
     * @param arena owner of the mapping, closed by {@link #close()}; null if the caller owns it
     */
    public SimulatedBar(final MemorySegment file, final Arena arena, final String description)
    {
        if (file.byteSize() < BAR_FILE_SIZE)
        {
            throw new IllegalArgumentException(description + ": bar0 is " + file.byteSize() + " bytes, expected " +
                BAR_FILE_SIZE);
        }
        this.file = file;
        this.arena = arena;
        this.description = description;
        this.doorbell = new Doorbell(file, description + " doorbell");
        for (int q = 0; q < Registers.QUEUE_COUNT; q++)
        {
            tails[Registers.rdt(q) >> 2] = true;
            tails[Registers.tdt(q) >> 2] = true;
            queueControl[Registers.rxdctl(q) >> 2] = (short)(1 + q);
            queueControl[Registers.txdctl(q) >> 2] = (short)(1 + Registers.QUEUE_COUNT + q);
            ringPointer[Registers.rdh(q) >> 2] = (short)(1 + q);
            ringPointer[Registers.rdt(q) >> 2] = (short)(1 + q);
            ringPointer[Registers.tdh(q) >> 2] = (short)(1 + Registers.QUEUE_COUNT + q);
            ringPointer[Registers.tdt(q) >> 2] = (short)(1 + Registers.QUEUE_COUNT + q);
        }
        arbiterOffOnly[Registers.DTXMXSZRQ >> 2] = true;
        arbiterOffOnly[Registers.MTQC >> 2] = true;
        for (int n = 0; n < Registers.PACKET_BUFFER_COUNT; n++)
        {
            arbiterOffOnly[Registers.txpbsize(n) >> 2] = true;
            arbiterOffOnly[Registers.txpbthresh(n) >> 2] = true;
        }
    }

    public int read(final int offset)
    {
        checkOffset(offset);
        return switch (RegisterFile.access(offset))
        {
            case CLEAR_ON_READ -> readAndClear(offset);
            case WRITE_ONLY ->
            {
                LONG.getAndAdd(file, (long)WRITE_ONLY_READS_OFFSET, 1L);
                yield 0;
            }
            default ->
            {
                if (offset == Registers.SWSM)
                {
                    // 10.5.4: reading SWSM sets SMBI; the reader that saw it clear owns the semaphore among drivers.
                    yield (int)INT.getAndBitwiseOr(file, (long)offset, Registers.SWSM_SMBI);
                }
                final int value = (int)INT.getVolatile(file, (long)RegisterFile.readSource(offset));
                final int control = queueControl[offset >> 2];
                yield control == 0 ? value : mergeEnable(value, control - 1);
            }
        };
    }

    /** Whether the device has RX queue q enabled (its bit in the status page). */
    public boolean isRxQueueEnabled(final int queue)
    {
        return isEnabled(queue);
    }

    /** Whether the device has TX queue q enabled. */
    public boolean isTxQueueEnabled(final int queue)
    {
        return isEnabled(Registers.QUEUE_COUNT + queue);
    }

    private int mergeEnable(final int value, final int bit)
    {
        return isEnabled(bit) ? value | Registers.DCTL_ENABLE : value & ~Registers.DCTL_ENABLE;
    }

    private boolean isEnabled(final int bit)
    {
        // RX bits 0..127 then TX bits 128..255: the RX and TX bitmaps are adjacent in the status page.
        final long word = (long)LONG.getVolatile(file, (long)RX_ENABLED_BITMAP_OFFSET + 8L * (bit >>> 6));
        return ((word >>> (bit & 63)) & 1L) != 0;
    }

    public void write(final int offset, final int value)
    {
        checkOffset(offset);
        if (RegisterFile.access(offset) == RegisterFile.Access.READ_ONLY)
        {
            LONG.getAndAdd(file, (long)READ_ONLY_WRITES_OFFSET, 1L);
            return;
        }
        final int pointer = ringPointer[offset >> 2];
        if (pointer != 0)
        {
            checkRingPointer(offset, value, pointer - 1);
        }
        else
        {
            checkOrder(offset, value);
        }
        switch (RegisterFile.writeAction(offset))
        {
            // The device sets EICR bits and clears EIMS bits (auto-clear, auto-mask) from its own process: only
            // atomic single-bit updates keep a driver's write from undoing the device's.
            case ONE_CLEARS -> INT.getAndBitwiseAnd(file, (long)offset, ~value);
            case ONE_SETS ->
            {
                // Only a bit this write unmasks is news for the device: it fires if its cause is set.
                final int unmasked = value & ~(int)INT.getAndBitwiseOr(file, (long)offset, value);
                if (unmasked != 0)
                {
                    INT.getAndBitwiseOr(file, (long)INTERRUPT_LATCH_OFFSET, unmasked);
                }
            }
            case ONE_SETS_TARGET ->
            {
                INT.getAndBitwiseOr(file, (long)RegisterFile.writeTarget(offset), value);
                INT.getAndBitwiseOr(file, (long)INTERRUPT_LATCH_OFFSET, value); // a cause software raised
            }
            case ONE_CLEARS_TARGET -> INT.getAndBitwiseAnd(file, (long)RegisterFile.writeTarget(offset), ~value);
            case STORE -> INT.setVolatile(file, (long)offset,
                offset == Registers.PFQDE ? queueDropEnable(value) : value);
        }
        if (offset == Registers.FDIRCMD && (value & Registers.FDIRCMD_CLEARHT) != 0)
        {
            // 8.2.3.21.20: drivers pulse CLEARHT (write 1, then 0); the device acts on the pulse, not on the level.
            LONG.setVolatile(file, (long)FDIR_CLEAR_LATCH_OFFSET, 1L);
        }
        if (!tails[offset >> 2])
        {
            LONG.getAndAdd(file, (long)WRITE_GENERATION_OFFSET, 1L);
        }
        // Last: a device loop the doorbell wakes sees the write (and the generation) already made.
        doorbell.ring();
    }

    /** Clear-on-read: all bits at once, or (EICR with GPIE.OCD) only some, atomically against the device's sets. */
    private int readAndClear(final int offset)
    {
        final int clears = RegisterFile.bitsClearedByRead(offset, registerValue(Registers.GPIE));
        return clears == -1 ? (int)INT.getAndSet(file, (long)offset, 0) :
            (int)INT.getAndBitwiseAnd(file, (long)offset, ~clears);
    }

    /**
     * Driver errors only the order of writes shows, so counted here, at the write, in the driver's own thread (the
     * device sees only where the registers ended up): the transmit packet buffer programmed while the arbiter runs
     * (4.6.8 asks for RTTDCS.ARBDIS around it), and RXCTRL.RXEN set while the security Rx path is not stopped and idle
     * (the 82599 erratum Linux and DPDK work around with SECRXCTRL.RX_DIS and SECRXSTAT.SECRX_RDY).
     */
    private void checkOrder(final int offset, final int value)
    {
        if (arbiterOffOnly[offset >> 2] && (registerValue(Registers.RTTDCS) & Registers.RTTDCS_ARBDIS) == 0)
        {
            LONG.getAndAdd(file, (long)DRIVER_ERRORS_OFFSET, 1L);
        }
        else if (offset == Registers.AUTOC && (registerValue(Registers.SW_FW_SYNC) &
            Registers.SW_FW_SYNC_SW_MAC_CSR) == 0)
        {
            // 10.5.4: AUTOC is shared with the manageability firmware; software writes it only holding MAC_CSR.
            LONG.getAndAdd(file, (long)DRIVER_ERRORS_OFFSET, 1L);
        }
        else if (offset == Registers.SW_FW_SYNC && (registerValue(Registers.SWSM) & Registers.SWSM_SWESMBI) == 0)
        {
            // 10.5.4: SW_FW_SYNC itself is written only under SWSM.SWESMBI.
            LONG.getAndAdd(file, (long)DRIVER_ERRORS_OFFSET, 1L);
        }
        else if (offset == Registers.CTRL && (value & Registers.CTRL_RST) != 0 &&
            (registerValue(Registers.CTRL) & Registers.CTRL_PCIE_MASTER_DISABLE) == 0 &&
            (registerValue(Registers.STATUS) & Registers.STATUS_PCIE_MASTER_ENABLE) != 0)
        {
            // 4.6.3.2 / 5.2.5.3.2: a reset while the device may still master the bus can drop DMA completions on
            // the floor; software sets CTRL.PCIE_MASTER_DISABLE first and waits for STATUS.PCIE_MASTER_ENABLE to
            // clear. A driver that asked but gave up waiting resets twice, as 5.2.5.3.2 allows: no error.
            LONG.getAndAdd(file, (long)DRIVER_ERRORS_OFFSET, 1L);
        }
        else if (offset == Registers.RXCTRL && (value & Registers.RXCTRL_RXEN) != 0 &&
            (registerValue(Registers.RXCTRL) & Registers.RXCTRL_RXEN) == 0 &&
            ((registerValue(Registers.SECRXCTRL) & Registers.SECRXCTRL_RX_DIS) == 0 ||
            (registerValue(Registers.SECRXSTAT) & Registers.SECRXSTAT_SECRX_RDY) == 0))
        {
            LONG.getAndAdd(file, (long)DRIVER_ERRORS_OFFSET, 1L);
        }
    }

    /**
     * 8.2.3.8.4/5 and 8.2.3.9.8/9: a head is the device's once its queue runs (software writes it only while the queue
     * is disabled), and a tail is a doorbell only once ENABLE reads back: 4.6.7.1 and 4.6.8.1 bump it after the poll.
     * A head written to a running queue, or a tail moved off 0 before the device enabled the queue, is a driver error.
     */
    private void checkRingPointer(final int offset, final int value, final int bit)
    {
        final boolean running = isEnabled(bit);
        if (tails[offset >> 2] ? !running && value != 0 : running)
        {
            LONG.getAndAdd(file, (long)DRIVER_ERRORS_OFFSET, 1L);
        }
    }

    /**
     * 8.2.3.27.9 PFQDE, an indirect register: WE writes QDE and HIDE_VLAN of the queue in QUEUE_INDEX, RE loads them
     * into the register; what a read then returns is the index and that queue's bits. At once, in the writer's thread,
     * as the part answers the next read.
     *
     * @return the register's value after the write
     */
    private int queueDropEnable(final int value)
    {
        final int queue = (value & Registers.PFQDE_QUEUE_INDEX_MASK) >>> Registers.PFQDE_QUEUE_INDEX_SHIFT;
        final long word = 8L * (queue >>> 6);
        final long bit = 1L << (queue & 63);
        if ((value & Registers.PFQDE_WRITE) != 0)
        {
            setBit(PFQDE_QDE_BITMAP_OFFSET + word, bit, (value & Registers.PFQDE_QDE) != 0);
            setBit(PFQDE_HIDE_VLAN_BITMAP_OFFSET + word, bit, (value & Registers.PFQDE_HIDE_VLAN) != 0);
        }
        final boolean qde = ((long)LONG.getVolatile(file, PFQDE_QDE_BITMAP_OFFSET + word) & bit) != 0;
        final boolean hide = ((long)LONG.getVolatile(file, PFQDE_HIDE_VLAN_BITMAP_OFFSET + word) & bit) != 0;
        return (value & Registers.PFQDE_QUEUE_INDEX_MASK) | (qde ? Registers.PFQDE_QDE : 0) |
            (hide ? Registers.PFQDE_HIDE_VLAN : 0);
    }

    private void setBit(final long offset, final long bit, final boolean set)
    {
        long word;
        do
        {
            word = (long)LONG.getVolatile(file, offset);
        }
        while (!LONG.compareAndSet(file, offset, word, set ? word | bit : word & ~bit));
    }

    private int registerValue(final int offset)
    {
        return (int)INT.getVolatile(file, (long)offset);
    }

    public String description()
    {
        return description;
    }

    /** The whole bar0 file: registers and status page. */
    MemorySegment file()
    {
        return file;
    }

    /** The status page counter at an offset of {@link SimulatedCardFiles} (DMA faults, read-only writes, ...). */
    public long status(final int statusOffset)
    {
        return (long)LONG.getVolatile(file, (long)statusOffset);
    }

    public void close()
    {
        doorbell.close();
        if (arena != null)
        {
            arena.close();
        }
    }

    private void checkOffset(final int offset)
    {
        if (!RegisterFile.isValidOffset(offset))
        {
            throw new IllegalArgumentException(String.format("%s: register offset 0x%X is outside BAR0 or unaligned",
                description, offset));
        }
    }
}
