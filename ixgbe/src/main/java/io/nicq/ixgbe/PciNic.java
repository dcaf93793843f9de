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
import java.util.regex.Pattern;

/**
 * A real 82599 reached through sysfs ({@code pci:0000:03:00.0}): BAR0 is the device's {@code resource0} mapped into
 * this process, DMA memory comes from hugepages with physical addresses ({@link HugepageDmaAllocator}). Needs root
 * and a device unbound from its kernel driver. The checks here are what can be checked without the card; the
 * register-level behaviour is shared with the simulated card.
 */
public final class PciNic implements Nic
{
    private static final Pattern ADDRESS = Pattern.compile("[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]");
    private static final Path DEVICES = Path.of("/sys/bus/pci/devices");
    private static final int INTEL_VENDOR_ID = 0x8086;
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

    static void checkAddress(final String address)
    {
        if (address == null || !ADDRESS.matcher(address).matches())
        {
            throw new IllegalArgumentException("PCI address '" + address + "' must look like 0000:03:00.0");
        }
    }

    public static PciNic open(final String address)
    {
        checkAddress(address);
        final Path device = DEVICES.resolve(address);
        if (!Files.isDirectory(device))
        {
            throw new IllegalStateException("pci:" + address + ": no such PCI device (no " + device +
                "); 'lspci -D' lists the devices of this machine");
        }
        final int vendor = readHex(device.resolve("vendor"));
        if (vendor != INTEL_VENDOR_ID)
        {
            throw new IllegalStateException(String.format("pci:%s: vendor 0x%04x is not Intel (0x8086): not an 82599",
                address, vendor));
        }
        final Path driver = device.resolve("driver");
        if (Files.exists(driver))
        {
            throw new IllegalStateException("pci:" + address + " is bound to kernel driver '" +
                readLink(driver) + "'; unbind it first (nicq bind " + address + ")");
        }
        final Path resource0 = device.resolve("resource0");
        if (!Files.isWritable(resource0))
        {
            throw new IllegalStateException("pci:" + address + ": " + resource0 +
                " is missing or not writable (mapping BAR0 needs root)");
        }
        final HugepageDmaAllocator dma = HugepageDmaAllocator.open();
        final Arena arena = Arena.ofShared();
        try
        {
            enableBusMastering(device.resolve("config"));
            final MemorySegment registers;
            try (FileChannel channel = FileChannel.open(resource0, StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                registers = channel.map(FileChannel.MapMode.READ_WRITE, 0, channel.size(), arena);
            }
            return new PciNic(address, new MappedBar(registers, arena, "pci:" + address), dma);
        }
        catch (final IOException ex)
        {
            arena.close();
            dma.close();
            throw new UncheckedIOException("pci:" + address + ": cannot map " + resource0, ex);
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

    private static int readHex(final Path file)
    {
        try
        {
            return Integer.decode(Files.readString(file).trim());
        }
        catch (final IOException | NumberFormatException ex)
        {
            throw new IllegalStateException("cannot read " + file + ": " + ex.getMessage(), ex);
        }
    }

    private static String readLink(final Path link)
    {
        try
        {
            return Files.readSymbolicLink(link).getFileName().toString();
        }
        catch (final IOException ex)
        {
            return "?";
        }
    }
}
