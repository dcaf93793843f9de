package io.nicq.ixgbe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import io.nicq.ixgbe.host.HostRoots;
import io.nicq.ixgbe.host.PciDevice;
import io.nicq.ixgbe.host.SupportedDevices;

/**
 * A real 82599 reached through sysfs ({@code pci:0000:03:00.0}): BAR0 is the device's {@code resource0} mapped into
 * this process, DMA memory comes from hugepages with physical addresses ({@link HugepageDmaAllocator}). Needs root,
 * a device unbound from its kernel driver, and no translating IOMMU in front of it (else use {@code vfio:}). The checks here are what can be checked without the card; the
 * register-level behaviour is shared with the simulated card.
 */
public final class PciNic implements Nic
{
    /** PCI configuration space: command register at 4, bus master enable bit 2 (PCI local bus spec 6.2.2). */
    private static final int PCI_COMMAND_OFFSET = 4;
    private static final int PCI_COMMAND_BUS_MASTER = 1 << 2;

    private final String address;
    private final MappedBar bar;
    private final HugepageDmaAllocator dma;

    private PciNic(final String address, final MappedBar bar, final HugepageDmaAllocator dma)
    {
        this.address = address;
        this.bar = bar;
        this.dma = dma;
    }

    /** Opens a card on this host. */
    public static PciNic open(final String address)
    {
        return open(address, HostRoots.system());
    }

    /**
     * Opens a card: an 82599 ({@link SupportedDevices}), bound to no driver, not behind an IOMMU that translates
     * (its bus addresses would not be physical addresses: every DMA would fault), BAR0 writable.
     */
    public static PciNic open(final String address, final HostRoots roots)
    {
        final String spec = "pci:" + address;
        final PciDevice device = PciDevice.of(roots, address, spec);
        SupportedDevices.require(spec, device.vendor(), device.device());
        final String driver = device.driver();
        if (driver != null)
        {
            throw new IllegalStateException(spec + " is bound to kernel driver '" + driver + "'; unbind it first " +
                "('nicq devices --unbind " + address + "')");
        }
        final int group = device.iommuGroup();
        final String groupType = device.iommuGroupType();
        if (group >= 0 && !"identity".equals(groupType))
        {
            throw new IllegalStateException(spec + " is behind an IOMMU in translation mode (IOMMU group " + group +
                ", domain type " + (groupType == null ? "unknown" : groupType) + "): the card's DMA addresses are " +
                "translated, so the physical addresses pci: programs would fault; use vfio:" + address +
                " ('nicq devices --bind vfio " + address + "', then --nic vfio:" + address + ")");
        }
        final Path resource0 = device.directory().resolve("resource0");
        if (!Files.isWritable(resource0))
        {
            throw new IllegalStateException(spec + ": " + resource0 +
                " is missing or not writable (mapping BAR0 needs root)");
        }
        final HugepageDmaAllocator dma = HugepageDmaAllocator.open();
        final Arena arena = Arena.ofShared();
        try
        {
            enableBusMastering(device.directory().resolve("config"));
            final MemorySegment registers;
            try (FileChannel channel = FileChannel.open(resource0, StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                registers = channel.map(FileChannel.MapMode.READ_WRITE, 0, channel.size(), arena);
            }
            return new PciNic(address, new MappedBar(registers, arena, spec), dma);
        }
        catch (final IOException ex)
        {
            arena.close();
            dma.close();
            throw new UncheckedIOException(spec + ": cannot map " + resource0, ex);
        }
        catch (final RuntimeException ex)
        {
            arena.close();
            dma.close();
            throw ex;
        }
    }

    /** A PCIe device that has gone (surprise removal, a hung link) reads all ones. */
    public String failure()
    {
        return bar().read(Registers.STATUS) == 0xFFFF_FFFF ?
            spec() + " reads all ones: removed from the bus or hung" : null;
    }

    public String spec()
    {
        return "pci:" + address;
    }

    public Bar bar()
    {
        return bar;
    }

    public DmaAllocator dma()
    {
        return dma;
    }

    public void close()
    {
        try
        {
            dma.close();
        }
        finally
        {
            bar.close();
        }
    }

    /** DMA needs the device's bus master bit; a device fresh from unbinding may have it clear. */
    private static void enableBusMastering(final Path config) throws IOException
    {
        try (FileChannel channel = FileChannel.open(config, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer command = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(command, PCI_COMMAND_OFFSET);
            final short value = command.getShort(0);
            if ((value & PCI_COMMAND_BUS_MASTER) == 0)
            {
                command.clear();
                command.putShort(0, (short)(value | PCI_COMMAND_BUS_MASTER));
                channel.write(command, PCI_COMMAND_OFFSET);
            }
        }
    }
}
