package io.nicq.ixgbe.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A fake sysfs/devfs/procfs tree in a temporary directory, shaped as the kernel lays it out: devices under
 * sys/bus/pci/devices with driver and iommu_group symbolic links, drivers under sys/bus/pci/drivers, groups under
 * sys/kernel/iommu_groups, interfaces under sys/class/net, /dev/vfio files and /proc/self/status.
 */
public final class FakeHost
{
    public final Path root;
    public final HostRoots roots;

    public FakeHost(final Path root)
    {
        this.root = root;
        this.roots = HostRoots.under(root);
        mkdirs(roots.pciDevices());
        mkdirs(roots.iommuGroups());
        mkdirs(roots.netClass());
        mkdirs(roots.dev().resolve("vfio"));
        mkdirs(roots.proc().resolve("self"));
        driver("ixgbe");
        driver("vfio-pci");
        write(roots.driversProbe(), "");
        write(roots.proc().resolve("self/status"), "Name:\tjava\nCapEff:\t0000000000000000\n");
    }

    /** A PCI function with its ids and NUMA node, bound to nothing, in no group. */
    public FakeHost device(final String address, final int vendor, final int device, final int numaNode)
    {
        final Path dir = roots.pciDevice(address);
        mkdirs(dir);
        write(dir.resolve("vendor"), String.format("0x%04x\n", vendor));
        write(dir.resolve("device"), String.format("0x%04x\n", device));
        write(dir.resolve("numa_node"), numaNode + "\n");
        write(dir.resolve("driver_override"), "(null)\n");
        return this;
    }

    /** A driver directory with its bind/unbind files. */
    public FakeHost driver(final String name)
    {
        final Path dir = roots.pciDriver(name);
        mkdirs(dir);
        write(dir.resolve("bind"), "");
        write(dir.resolve("unbind"), "");
        write(dir.resolve("new_id"), "");
        return this;
    }

    /** Binds a device to a driver as the kernel shows it (device/driver link, the driver's device link). */
    public FakeHost bind(final String address, final String driver)
    {
        final Path link = roots.pciDevice(address).resolve("driver");
        try
        {
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, roots.pciDriver(driver));
            final Path back = roots.pciDriver(driver).resolve(address);
            Files.deleteIfExists(back);
            Files.createSymbolicLink(back, roots.pciDevice(address));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return this;
    }

    /** Puts a device into IOMMU group {@code group} of domain type {@code type}; with vfio-pci, /dev/vfio/N too. */
    public FakeHost group(final String address, final int group, final String type)
    {
        final Path dir = roots.iommuGroups().resolve(Integer.toString(group));
        mkdirs(dir.resolve("devices"));
        write(dir.resolve("type"), type + "\n");
        try
        {
            final Path link = roots.pciDevice(address).resolve("iommu_group");
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, dir);
            final Path member = dir.resolve("devices").resolve(address);
            Files.deleteIfExists(member);
            Files.createSymbolicLink(member, roots.pciDevice(address));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return this;
    }

    /** A kernel interface of a device: sys/class/net/NAME and the device's net/NAME. */
    public FakeHost netdev(final String address, final String name, final String operstate, final int speed,
        final boolean up)
    {
        final Path dir = roots.netClass().resolve(name);
        mkdirs(dir);
        write(dir.resolve("operstate"), operstate + "\n");
        write(dir.resolve("speed"), speed + "\n");
        write(dir.resolve("flags"), (up ? "0x1003" : "0x1002") + "\n");
        mkdirs(roots.pciDevice(address).resolve("net").resolve(name));
        return this;
    }

    public FakeHost file(final String relative, final String content)
    {
        final Path file = root.resolve(relative);
        mkdirs(file.getParent());
        write(file, content);
        return this;
    }

    public static void mkdirs(final Path dir)
    {
        try
        {
            Files.createDirectories(dir);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    public static void write(final Path file, final String content)
    {
        try
        {
            Files.writeString(file, content);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
