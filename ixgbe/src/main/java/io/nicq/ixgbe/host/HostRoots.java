package io.nicq.ixgbe.host;

import java.nio.file.Path;

/**
 * Where this host's kernel interfaces are: sysfs, devfs and procfs. Everything that reads or writes them takes a
 * {@code HostRoots}, so tests build a fake tree in a temporary directory and run the real code against it.
 */
public final class HostRoots
{
    private Path sysfs = Path.of("/sys");
    private Path dev = Path.of("/dev");
    private Path proc = Path.of("/proc");

    /** The real host: /sys, /dev, /proc. */
    public static HostRoots system()
    {
        return new HostRoots();
    }

    /** A fake tree: {@code root}/sys, {@code root}/dev, {@code root}/proc. */
    public static HostRoots under(final Path root)
    {
        return new HostRoots().sysfs(root.resolve("sys")).dev(root.resolve("dev")).proc(root.resolve("proc"));
    }

    public HostRoots sysfs(final Path sysfs)
    {
        this.sysfs = sysfs;
        return this;
    }

    public Path sysfs()
    {
        return sysfs;
    }

    public HostRoots dev(final Path dev)
    {
        this.dev = dev;
        return this;
    }

    public Path dev()
    {
        return dev;
    }

    public HostRoots proc(final Path proc)
    {
        this.proc = proc;
        return this;
    }

    public Path proc()
    {
        return proc;
    }

    /** /sys/bus/pci/devices/ADDRESS. */
    public Path pciDevice(final String address)
    {
        return pciDevices().resolve(address);
    }

    public Path pciDevices()
    {
        return sysfs.resolve("bus/pci/devices");
    }

    /** /sys/bus/pci/drivers/NAME. */
    public Path pciDriver(final String name)
    {
        return sysfs.resolve("bus/pci/drivers").resolve(name);
    }

    /** /sys/bus/pci/drivers_probe. */
    public Path driversProbe()
    {
        return sysfs.resolve("bus/pci/drivers_probe");
    }

    /** /sys/kernel/iommu_groups. */
    public Path iommuGroups()
    {
        return sysfs.resolve("kernel/iommu_groups");
    }

    /** /sys/class/net. */
    public Path netClass()
    {
        return sysfs.resolve("class/net");
    }

    /** /dev/vfio/vfio: the container. */
    public Path vfioContainer()
    {
        return dev.resolve("vfio/vfio");
    }

    /** /dev/vfio/N: an IOMMU group. */
    public Path vfioGroup(final int group)
    {
        return dev.resolve("vfio").resolve(Integer.toString(group));
    }

    public String toString()
    {
        return "sysfs " + sysfs + ", dev " + dev + ", proc " + proc;
    }
}
