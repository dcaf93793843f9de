package io.nicq.ixgbe;

/**
 * The VFIO seam: where a real 82599 reached through {@code /dev/vfio} (IOMMU-protected DMA, unprivileged after
 * set-up) belongs. A VFIO implementation opens the container and group, maps BAR0 from the device region into a
 * {@link MappedBar}, and provides a {@link DmaAllocator} whose {@code map} calls VFIO_IOMMU_MAP_DMA and whose IOVAs are
 * the ones it chose. This version of nicq ships the sysfs + hugepages path ({@link PciNic}) instead.
 */
public final class VfioNic
{
    private VfioNic()
    {
    }

    /** Always refuses, with the way forward: this version reaches real cards through {@code pci:ADDRESS}. */
    public static Nic open(final String address)
    {
        PciNic.checkAddress(address);
        throw new IllegalStateException("vfio:" + address + ": VFIO is not supported in this version of nicq; " +
            "use pci:" + address + " (sysfs resource0 and hugepages, as root) or a simulated card (sim:NAME)");
    }
}
