package io.nicq.ixgbe.vfio;

/**
 * The VFIO user API as nicq uses it: ioctl numbers, flags and the layout of each structure, from the kernel's
 * {@code include/uapi/linux/vfio.h}. Every number here is compared with the installed header by a test that compiles
 * a C program (VfioApiLayoutTest). All structures are little endian with natural alignment.
 */
public final class VfioApi
{
    /** VFIO_API_VERSION: what VFIO_GET_API_VERSION returns for the interface this code speaks. */
    public static final int API_VERSION = 0;

    /** VFIO_TYPE ';' and VFIO_BASE 100: every VFIO ioctl is _IO(VFIO_TYPE, VFIO_BASE + n), no size or direction. */
    static final int TYPE = ';';
    static final int BASE = 100;

    public static final long GET_API_VERSION = io(0);
    public static final long CHECK_EXTENSION = io(1);
    public static final long SET_IOMMU = io(2);
    public static final long GROUP_GET_STATUS = io(3);
    public static final long GROUP_SET_CONTAINER = io(4);
    public static final long GROUP_UNSET_CONTAINER = io(5);
    public static final long GROUP_GET_DEVICE_FD = io(6);
    public static final long DEVICE_GET_INFO = io(7);
    public static final long DEVICE_GET_REGION_INFO = io(8);
    public static final long DEVICE_GET_IRQ_INFO = io(9);
    public static final long DEVICE_SET_IRQS = io(10);
    public static final long DEVICE_RESET = io(11);
    public static final long IOMMU_GET_INFO = io(12);
    public static final long IOMMU_MAP_DMA = io(13);
    public static final long IOMMU_UNMAP_DMA = io(14);

    /** VFIO_TYPE1_IOMMU and VFIO_TYPE1v2_IOMMU: the x86 IOMMU backends (v2 preferred: cleaner unmap semantics). */
    public static final int TYPE1_IOMMU = 1;
    public static final int TYPE1V2_IOMMU = 3;

    /** struct vfio_group_status { __u32 argsz; __u32 flags; }. */
    public static final int GROUP_STATUS_SIZE = 8;
    public static final int GROUP_STATUS_FLAGS = 4;
    /** VFIO_GROUP_FLAGS_VIABLE: every device of the group is bound to vfio-pci (or no driver). */
    public static final int GROUP_FLAGS_VIABLE = 1;
    /** VFIO_GROUP_FLAGS_CONTAINER_SET. */
    public static final int GROUP_FLAGS_CONTAINER_SET = 1 << 1;

    /** struct vfio_region_info { __u32 argsz, flags, index, cap_offset; __u64 size, offset; }. */
    public static final int REGION_INFO_SIZE = 32;
    public static final int REGION_INFO_FLAGS = 4;
    public static final int REGION_INFO_INDEX = 8;
    public static final int REGION_INFO_SIZE_FIELD = 16;
    public static final int REGION_INFO_OFFSET = 24;
    public static final int REGION_INFO_FLAG_READ = 1;
    public static final int REGION_INFO_FLAG_WRITE = 1 << 1;
    public static final int REGION_INFO_FLAG_MMAP = 1 << 2;
    /** VFIO_PCI_BAR0_REGION_INDEX and VFIO_PCI_CONFIG_REGION_INDEX. */
    public static final int PCI_BAR0_REGION_INDEX = 0;
    public static final int PCI_CONFIG_REGION_INDEX = 7;

    /** struct vfio_iommu_type1_dma_map { __u32 argsz, flags; __u64 vaddr, iova, size; }. */
    public static final int DMA_MAP_SIZE = 32;
    public static final int DMA_MAP_FLAGS = 4;
    public static final int DMA_MAP_VADDR = 8;
    public static final int DMA_MAP_IOVA = 16;
    public static final int DMA_MAP_SIZE_FIELD = 24;
    public static final int DMA_MAP_FLAG_READ = 1;
    public static final int DMA_MAP_FLAG_WRITE = 1 << 1;

    /** struct vfio_iommu_type1_dma_unmap { __u32 argsz, flags; __u64 iova, size; __u8 data[]; }. */
    public static final int DMA_UNMAP_SIZE = 24;
    public static final int DMA_UNMAP_FLAGS = 4;
    public static final int DMA_UNMAP_IOVA = 8;
    public static final int DMA_UNMAP_SIZE_FIELD = 16;

    /** struct vfio_irq_info { __u32 argsz, flags, index, count; }. */
    public static final int IRQ_INFO_SIZE = 16;
    public static final int IRQ_INFO_FLAGS = 4;
    public static final int IRQ_INFO_INDEX = 8;
    public static final int IRQ_INFO_COUNT = 12;
    public static final int IRQ_INFO_EVENTFD = 1;

    /** struct vfio_irq_set { __u32 argsz, flags, index, start, count; __u8 data[]; } (data: one int fd per vector). */
    public static final int IRQ_SET_SIZE = 20;
    public static final int IRQ_SET_FLAGS = 4;
    public static final int IRQ_SET_INDEX = 8;
    public static final int IRQ_SET_START = 12;
    public static final int IRQ_SET_COUNT = 16;
    public static final int IRQ_SET_DATA = 20;
    public static final int IRQ_SET_DATA_NONE = 1;
    public static final int IRQ_SET_DATA_EVENTFD = 1 << 2;
    public static final int IRQ_SET_ACTION_TRIGGER = 1 << 5;
    /** VFIO_PCI_MSIX_IRQ_INDEX. */
    public static final int PCI_MSIX_IRQ_INDEX = 2;

    private VfioApi()
    {
    }

    /** _IO(VFIO_TYPE, VFIO_BASE + n): direction and size bits are zero for every VFIO ioctl. */
    private static long io(final int n)
    {
        return ((long)TYPE << 8) | (BASE + n);
    }

    /** "VFIO_GROUP_GET_STATUS" for a request number, for messages. */
    public static String ioctlName(final long request)
    {
        final String[] names = {"VFIO_GET_API_VERSION", "VFIO_CHECK_EXTENSION", "VFIO_SET_IOMMU",
            "VFIO_GROUP_GET_STATUS", "VFIO_GROUP_SET_CONTAINER", "VFIO_GROUP_UNSET_CONTAINER",
            "VFIO_GROUP_GET_DEVICE_FD", "VFIO_DEVICE_GET_INFO", "VFIO_DEVICE_GET_REGION_INFO",
            "VFIO_DEVICE_GET_IRQ_INFO", "VFIO_DEVICE_SET_IRQS", "VFIO_DEVICE_RESET", "VFIO_IOMMU_GET_INFO",
            "VFIO_IOMMU_MAP_DMA", "VFIO_IOMMU_UNMAP_DMA"};
        final long n = request - io(0);
        return n >= 0 && n < names.length ? names[(int)n] : "0x" + Long.toHexString(request);
    }
}
