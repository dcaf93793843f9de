package io.nicq.ixgbe.host;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One PCI function as sysfs shows it ({@code /sys/bus/pci/devices/ADDRESS}): ids, the driver bound, its IOMMU group,
 * NUMA node and, while a kernel network driver is bound, its interfaces. Read fresh on every call: the kernel is the
 * only source of truth and bindings change under us.
 */
public final class PciDevice
{
    private static final Pattern ADDRESS = Pattern.compile("[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]");

    private final HostRoots roots;
    private final String address;
    private final Path directory;

    private PciDevice(final HostRoots roots, final String address)
    {
        this.roots = roots;
        this.address = address;
        this.directory = roots.pciDevice(address);
    }

    /**
     * A device by address; refuses a malformed address and one sysfs does not list.
     *
     * @param spec what the user typed ("vfio:0000:03:00.0"), for messages
     */
    public static PciDevice of(final HostRoots roots, final String address, final String spec)
    {
        checkAddress(address);
        final PciDevice device = new PciDevice(roots, address);
        if (!Files.isDirectory(device.directory))
        {
            throw new IllegalStateException(spec + ": no such PCI device (no " + device.directory +
                "); 'nicq devices' lists the 82599 ports of this machine, 'lspci -D' every device");
        }
        return device;
    }

    /** "0000:03:00.0": domain, bus, device, function, as sysfs names them. */
    public static void checkAddress(final String address)
    {
        if (address == null || !ADDRESS.matcher(address).matches())
        {
            throw new IllegalArgumentException("PCI address '" + address + "' must look like 0000:03:00.0");
        }
    }

    /** Every PCI function sysfs lists, in address order. */
    public static List<PciDevice> all(final HostRoots roots)
    {
        final List<PciDevice> devices = new ArrayList<>();
        final Path dir = roots.pciDevices();
        if (!Files.isDirectory(dir))
        {
            return devices;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir))
        {
            for (final Path entry : entries)
            {
                final String name = entry.getFileName().toString();
                if (ADDRESS.matcher(name).matches())
                {
                    devices.add(new PciDevice(roots, name));
                }
            }
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot list " + dir + ": " + ex.getMessage(), ex);
        }
        devices.sort((a, b) -> a.address.compareTo(b.address));
        return devices;
    }

    public String address()
    {
        return address;
    }

    public Path directory()
    {
        return directory;
    }

    public int vendor()
    {
        return readHex("vendor");
    }

    public int device()
    {
        return readHex("device");
    }

    /** "8086:10fb". */
    public String ids()
    {
        return String.format("%04x:%04x", vendor(), device());
    }

    /** Null unless this is an 82599 nicq drives. */
    public String name()
    {
        return SupportedDevices.name(vendor(), device());
    }

    public boolean isSupported()
    {
        return SupportedDevices.isSupported(vendor(), device());
    }

    /** The name of the bound driver ("ixgbe", "vfio-pci"), or null when none is. */
    public String driver()
    {
        return linkName(directory.resolve("driver"));
    }

    /** The IOMMU group number, or -1 when the device has none (IOMMU off or absent). */
    public int iommuGroup()
    {
        final String name = linkName(directory.resolve("iommu_group"));
        if (name == null)
        {
            return -1;
        }
        try
        {
            return Integer.parseInt(name);
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }

    /**
     * The group's domain type from {@code /sys/kernel/iommu_groups/N/type}: "DMA", "DMA-FQ" (translated), "identity"
     * (pass-through: bus address = physical address), "unmanaged" (owned by VFIO), "blocked"; null if unknown.
     */
    public String iommuGroupType()
    {
        final int group = iommuGroup();
        return group < 0 ? null : readTrimmed(roots.iommuGroups().resolve(group + "/type"));
    }

    /** Addresses of every device in this device's IOMMU group (this one included). */
    public List<String> iommuGroupMembers()
    {
        final List<String> members = new ArrayList<>();
        final int group = iommuGroup();
        if (group < 0)
        {
            return members;
        }
        final Path dir = roots.iommuGroups().resolve(group + "/devices");
        if (Files.isDirectory(dir))
        {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir))
            {
                for (final Path entry : entries)
                {
                    members.add(entry.getFileName().toString());
                }
            }
            catch (final IOException ignore)
            {
                // An unreadable group lists no members; the viability check then speaks for itself.
            }
        }
        members.sort(String::compareTo);
        return members;
    }

    /** The NUMA node the device hangs off, or -1 (single node, or unknown). */
    public int numaNode()
    {
        final String value = readTrimmed(directory.resolve("numa_node"));
        try
        {
            return value == null ? -1 : Integer.parseInt(value);
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }

    /** The kernel network interfaces of this function ({@code net/}): present only while a net driver is bound. */
    public List<String> interfaces()
    {
        final List<String> names = new ArrayList<>();
        final Path dir = directory.resolve("net");
        if (Files.isDirectory(dir))
        {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir))
            {
                for (final Path entry : entries)
                {
                    names.add(entry.getFileName().toString());
                }
            }
            catch (final IOException ignore)
            {
                // No interfaces listed.
            }
        }
        names.sort(String::compareTo);
        return names;
    }

    /** {@code /sys/class/net/NAME/operstate} ("up", "down", ...), or null. */
    public String operstate(final String netdev)
    {
        return readTrimmed(roots.netClass().resolve(netdev).resolve("operstate"));
    }

    /** {@code /sys/class/net/NAME/speed} in Mb/s; -1 when unknown (link down reads -1 or fails). */
    public int speedMbps(final String netdev)
    {
        final String value = readTrimmed(roots.netClass().resolve(netdev).resolve("speed"));
        try
        {
            return value == null ? -1 : Integer.parseInt(value);
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }

    /** {@code /sys/class/net/NAME/flags} has IFF_UP (0x1): the administrator brought the interface up. */
    public boolean isAdministrativelyUp(final String netdev)
    {
        final String value = readTrimmed(roots.netClass().resolve(netdev).resolve("flags"));
        try
        {
            return value != null && (Integer.decode(value) & 0x1) != 0;
        }
        catch (final NumberFormatException ex)
        {
            return false;
        }
    }

    public String toString()
    {
        return address;
    }

    private int readHex(final String file)
    {
        final Path path = directory.resolve(file);
        final String value = readTrimmed(path);
        if (value == null)
        {
            throw new IllegalStateException("cannot read " + path);
        }
        try
        {
            return Integer.decode(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalStateException(path + " reads '" + value + "', not a number", ex);
        }
    }

    static String readTrimmed(final Path file)
    {
        try
        {
            return Files.readString(file).trim();
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    static String linkName(final Path link)
    {
        try
        {
            return Files.isSymbolicLink(link) ? Files.readSymbolicLink(link).getFileName().toString() : null;
        }
        catch (final IOException ex)
        {
            return null;
        }
    }
}
