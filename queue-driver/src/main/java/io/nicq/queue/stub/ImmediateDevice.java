package io.nicq.queue.stub;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.Registers;
import io.nicq.ixgbe.RxDescriptor;
import io.nicq.ixgbe.TxDescriptor;

import java.lang.foreign.MemorySegment;

/**
 * A device stub for one queue that completes every descriptor at once and allocates nothing: a TDT write sends up to
 * the tail (DD written back), and an RDT write "receives" a frame of {@link #frameLength(int)} bytes into every buffer just
 * posted (line-rate traffic that never runs out). Frame bytes are not touched: the driver never reads them either.
 * Used to measure the driver's own cost and allocation per packet. IOVAs are virtual addresses
 * ({@link IdentityDmaAllocator}).
 */
public final class ImmediateDevice implements Bar
{
    private static final MemorySegment ALL_MEMORY = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private final int[] registers = new int[Registers.BAR_SIZE / 4];
    private final int rdt;
    private final int tdt;
    private final int rxdctl;
    private final int txdctl;
    private final int queue;
    private MemorySegment rxRing;
    private MemorySegment txRing;
    private int ringMask;
    private int rxHead;
    private int txHead;
    private boolean receive = true;
    private int frameLength = 60;
    private long received;
    private long sent;

    public ImmediateDevice(final int queue)
    {
        this.queue = queue;
        this.rdt = Registers.rdt(queue);
        this.tdt = Registers.tdt(queue);
        this.rxdctl = Registers.rxdctl(queue);
        this.txdctl = Registers.txdctl(queue);
    }

    public int read(final int offset)
    {
        return registers[offset >> 2];
    }

    public void write(final int offset, final int value)
    {
        registers[offset >> 2] = value;
        if (offset == tdt)
        {
            int head = txHead;
            while (head != value)
            {
                TxDescriptor.writeBack(txRing, head, 0L);
                head = (head + 1) & ringMask;
                sent++;
            }
            txHead = head;
        }
        else if (offset == rdt)
        {
            if (receive)
            {
                int head = rxHead;
                while (head != value)
                {
                    RxDescriptor.writeBack(rxRing, head, frameLength, 0, RxDescriptor.STATUS_DD |
                        RxDescriptor.STATUS_EOP);
                    head = (head + 1) & ringMask;
                    received++;
                }
                rxHead = head;
            }
        }
        else if (offset == rxdctl && (value & Registers.DCTL_ENABLE) != 0)
        {
            final int length = registers[Registers.rdlen(queue) >> 2];
            rxRing = ALL_MEMORY.asSlice(address(Registers.rdbal(queue), Registers.rdbah(queue)), length);
            ringMask = length / RxDescriptor.SIZE - 1;
        }
        else if (offset == txdctl && (value & Registers.DCTL_ENABLE) != 0)
        {
            txRing = ALL_MEMORY.asSlice(address(Registers.tdbal(queue), Registers.tdbah(queue)),
                registers[Registers.tdlen(queue) >> 2]);
        }
    }

    /** Whether an RDT write fills the posted buffers with frames (false: a transmit-only benchmark). */
    public ImmediateDevice receive(final boolean receive)
    {
        this.receive = receive;
        return this;
    }

    /** Length of the frames "received". */
    public ImmediateDevice frameLength(final int frameLength)
    {
        this.frameLength = frameLength;
        return this;
    }

    /** Frames written back on the RX ring so far. */
    public long received()
    {
        return received;
    }

    /** TX descriptors completed so far. */
    public long sent()
    {
        return sent;
    }

    public String description()
    {
        return "immediate device stub";
    }

    public void close()
    {
    }

    private long address(final int lowOffset, final int highOffset)
    {
        return ((long)registers[highOffset >> 2] << 32) | (registers[lowOffset >> 2] & 0xFFFF_FFFFL);
    }
}
