package io.nicq.queue;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.Registers;
import io.nicq.ixgbe.RxDescriptor;
import io.nicq.ixgbe.TxDescriptor;

import io.nicq.queue.stub.IdentityDmaAllocator;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * A device stub for queue driver tests, in the same process as the driver and playing BAR0: registers are plain
 * storage, a TDT write sends every descriptor up to the tail at once (unless TX is held), and frames are received
 * when a test injects them. DMA goes through {@link IdentityDmaAllocator}'s IOVAs (virtual addresses) and is checked
 * against what is registered: an address outside every mapping is a counted fault, never a memory access.
 */
final class StubDevice implements Bar
{
    /** A frame the stub put on the wire, with the IOVA it was read from. */
    record SentFrame(int queue, long address, byte[] bytes)
    {
    }

    private static final MemorySegment ALL_MEMORY = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private final int[] registers = new int[Registers.BAR_SIZE / 4];
    private final IdentityDmaAllocator dma;
    final List<SentFrame> sent = new ArrayList<>();
    boolean holdTx;
    boolean timestamps;
    long dmaFaults;
    long rxDropped;
    long rdtWrites;
    long tdtWrites;
    final List<Long> rxBuffersSeen = new ArrayList<>();

    StubDevice(final IdentityDmaAllocator dma)
    {
        this.dma = dma;
    }

    public int read(final int offset)
    {
        return registers[offset >> 2];
    }

    public void write(final int offset, final int value)
    {
        registers[offset >> 2] = value;
        for (int queue = 0; queue < 4; queue++)
        {
            if (offset == Registers.tdt(queue))
            {
                tdtWrites++;
                if (!holdTx)
                {
                    completeTx(queue);
                }
            }
            else if (offset == Registers.rdt(queue))
            {
                rdtWrites++;
            }
        }
    }

    public String description()
    {
        return "stub device";
    }

    public void close()
    {
    }

    /** Sends every descriptor from TDH to TDT of a queue: copies the frame out, writes back DD or the head. */
    int completeTx(final int queue)
    {
        final long base = address(Registers.tdbal(queue), Registers.tdbah(queue));
        final int size = registers[Registers.tdlen(queue) >> 2] / TxDescriptor.SIZE;
        if (base == 0 || size == 0)
        {
            return 0;
        }
        final MemorySegment ring = ALL_MEMORY.asSlice(base, (long)size * TxDescriptor.SIZE);
        int head = registers[Registers.tdh(queue) >> 2];
        final int tail = registers[Registers.tdt(queue) >> 2];
        int count = 0;
        while (head != tail)
        {
            final long address = TxDescriptor.bufferAddress(ring, head);
            final int cmd = TxDescriptor.cmdTypeLen(ring, head);
            final int length = cmd & TxDescriptor.LENGTH_MASK;
            if (dma.isRegistered(address, length))
            {
                final byte[] bytes = ALL_MEMORY.asSlice(address, length).toArray(ValueLayout.JAVA_BYTE);
                sent.add(new SentFrame(queue, address, bytes));
            }
            else
            {
                dmaFaults++;
            }
            if ((cmd & TxDescriptor.CMD_RS) != 0)
            {
                TxDescriptor.writeBack(ring, head, timestamps ? System.nanoTime() : 0L);
            }
            head = (head + 1) % size;
            count++;
        }
        registers[Registers.tdh(queue) >> 2] = head;
        final int wbLow = registers[Registers.tdwbal(queue) >> 2];
        if ((wbLow & Registers.TDWBAL_HEAD_WB_ENABLE) != 0)
        {
            final long wb = ((long)registers[Registers.tdwbah(queue) >> 2] << 32) | (wbLow & 0xFFFF_FFFCL);
            ALL_MEMORY.set(ValueLayout.JAVA_INT, wb, head);
        }
        return count;
    }

    /** Receives a frame into the next posted buffer of a queue, as the device would; false if none is posted. */
    boolean inject(final int queue, final byte[] frame)
    {
        return inject(queue, frame, frame.length, RxDescriptor.STATUS_DD | RxDescriptor.STATUS_EOP);
    }

    /** Writes back a descriptor with the given length and status (errors, missing EOP), copying {@code frame}. */
    boolean inject(final int queue, final byte[] frame, final int length, final int status)
    {
        return inject(queue, frame, length, 0, status);
    }

    /** Writes back a descriptor with a packet-info field (packet type, RSS type) too. */
    boolean inject(final int queue, final byte[] frame, final int length, final int packetInfo, final int status)
    {
        final long base = address(Registers.rdbal(queue), Registers.rdbah(queue));
        final int size = registers[Registers.rdlen(queue) >> 2] / RxDescriptor.SIZE;
        final int head = registers[Registers.rdh(queue) >> 2];
        if (base == 0 || size == 0 || head == registers[Registers.rdt(queue) >> 2])
        {
            rxDropped++;
            return false;
        }
        final MemorySegment ring = ALL_MEMORY.asSlice(base, (long)size * RxDescriptor.SIZE);
        final long address = RxDescriptor.bufferAddress(ring, head);
        rxBuffersSeen.add(address);
        if (!dma.isRegistered(address, 2048))
        {
            dmaFaults++;
            return false;
        }
        MemorySegment.copy(frame, 0, ALL_MEMORY, ValueLayout.JAVA_BYTE, address, frame.length);
        RxDescriptor.writeBack(ring, head, packetInfo, length, timestamps ? (int)System.nanoTime() : 0, status);
        registers[Registers.rdh(queue) >> 2] = (head + 1) % size;
        return true;
    }

    /** Buffer addresses of the RX descriptors from RDH up to RDT: what the device may write to next. */
    List<Long> postedRxBuffers(final int queue)
    {
        final List<Long> posted = new ArrayList<>();
        final long base = address(Registers.rdbal(queue), Registers.rdbah(queue));
        final int size = registers[Registers.rdlen(queue) >> 2] / RxDescriptor.SIZE;
        final MemorySegment ring = ALL_MEMORY.asSlice(base, (long)size * RxDescriptor.SIZE);
        final int tail = registers[Registers.rdt(queue) >> 2];
        for (int i = registers[Registers.rdh(queue) >> 2]; i != tail; i = (i + 1) % size)
        {
            posted.add(RxDescriptor.bufferAddress(ring, i));
        }
        return posted;
    }

    private long address(final int lowOffset, final int highOffset)
    {
        return ((long)registers[highOffset >> 2] << 32) | (registers[lowOffset >> 2] & 0xFFFF_FFFFL);
    }
}
