package io.nicq.ixgbe.vfio;

import java.nio.file.Path;

import io.nicq.ixgbe.DmaBuffer;

/**
 * A stand-in for a queue driver process: opens a VFIO card that another process holds, allocates a ring through the
 * holder, prints its IOVA and what it read from BAR0, then waits to be killed.
 * Arguments: address, service directory, DMA directory, DMA file system magic.
 */
public final class QueueDriverProcessMain
{
    private QueueDriverProcessMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final VfioNic nic = VfioNic.open(args[0], new VfioNic.Context().serviceDirectory(Path.of(args[1]))
            .dmaDirectory(Path.of(args[2])).dmaFileSystem(Long.parseLong(args[3])));
        final DmaBuffer ring = nic.dma().allocate("q5-rx", 8192);
        System.out.println("holder=" + nic.isHolder() + " iova=" + ring.iova() + " status=" +
            nic.bar().read(io.nicq.ixgbe.Registers.STATUS));
        System.out.flush();
        System.in.read(); // killed here, never closing: the holder must clean up after it
    }
}
