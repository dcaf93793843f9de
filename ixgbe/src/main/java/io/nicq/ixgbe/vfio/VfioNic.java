package io.nicq.ixgbe.vfio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.DmaAllocator;
import io.nicq.ixgbe.Errno;
import io.nicq.ixgbe.FileSystemType;
import io.nicq.ixgbe.HugepageDmaAllocator;
import io.nicq.ixgbe.MappedBar;
import io.nicq.ixgbe.Nic;
import io.nicq.ixgbe.Registers;
import io.nicq.ixgbe.RemoteVfioDmaAllocator;
import io.nicq.ixgbe.VfioDmaAllocator;
import io.nicq.ixgbe.host.HostRoots;
import io.nicq.ixgbe.host.PciDevice;
import io.nicq.ixgbe.host.ProcessStatus;
import io.nicq.ixgbe.host.SupportedDevices;

/**
 * A real 82599 reached through VFIO ({@code vfio:0000:03:00.0}): DMA through the IOMMU at addresses nicq chooses, so
 * the card can reach only memory nicq mapped for it, and no root needed once the device files are the user's.
 * <p>
 * The process that opens the card first (the card driver) holds it: container, group, device and every DMA mapping
 * ({@link VfioDmaAllocator}), and serves the others ({@link VfioService}). A second process (a queue driver) that
 * opens the same spec finds that service's socket and gets the device fd (for its BAR0 mapping) and its mappings from
 * the card driver ({@link RemoteVfioDmaAllocator}).
 * <p>
 * The open sequence (Linux Documentation/driver-api/vfio.rst), each failure a sentence saying what to do:
 * <ol>
 *   <li>the device in sysfs: an 82599 ({@link SupportedDevices}), bound to vfio-pci, in an IOMMU group;</li>
 *   <li>RLIMIT_MEMLOCK at least {@link Context#memlockRequired()} unless the process has CAP_IPC_LOCK;</li>
 *   <li>the container /dev/vfio/vfio: VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION for type 1 (v2 preferred);</li>
 *   <li>the group /dev/vfio/N: VFIO_GROUP_GET_STATUS viable, VFIO_GROUP_SET_CONTAINER, VFIO_SET_IOMMU;</li>
 *   <li>the device: VFIO_GROUP_GET_DEVICE_FD, BAR0 by VFIO_DEVICE_GET_REGION_INFO and mmap, bus mastering set in
 *       the command register of the config region (PCI local bus spec 6.2.2, bit 2).</li>
 * </ol>
 */
public final class VfioNic implements Nic
{
    /** PCI configuration space: command register at 4, bus master enable bit 2 (PCI local bus spec 6.2.2). */
    static final int PCI_COMMAND_OFFSET = 4;
    static final int PCI_COMMAND_BUS_MASTER = 1 << 2;

    private final String spec;
    private final VfioCalls calls;
    private final MappedBar bar;
    private final DmaAllocator dma;
    private final VfioService service;
    private final int deviceFd;
    private final int groupFd;
    private final int containerFd;
    private final List<VfioInterrupts> interrupts = new ArrayList<>();
    private boolean closed;

    private VfioNic(final String spec, final VfioCalls calls, final MappedBar bar, final DmaAllocator dma,
        final VfioService service, final int deviceFd, final int groupFd, final int containerFd)
    {
        this.spec = spec;
        this.calls = calls;
        this.bar = bar;
        this.dma = dma;
        this.service = service;
        this.deviceFd = deviceFd;
        this.groupFd = groupFd;
        this.containerFd = containerFd;
    }

    /** Opens a card on this host with the defaults. */
    public static Nic open(final String address)
    {
        return open(address, new Context());
    }

    /**
     * Opens a card: as its holder, or, when a card driver already holds it and serves at {@link
     * Context#serviceSocket}, through that card driver.
     */
    public static VfioNic open(final String address, final Context ctx)
    {
        PciDevice.checkAddress(address);
        final String spec = "vfio:" + address;
        final Path socket = ctx.serviceSocket(address);
        if (Files.exists(socket))
        {
            final VfioService.DeviceGrant grant;
            try
            {
                grant = VfioService.requestDevice(socket);
            }
            catch (final IllegalStateException ex)
            {
                if (ex.getCause() instanceof LinuxException linux && linux.errno() == ECONNREFUSED)
                {
                    return openHolder(address, spec, ctx); // the socket of a card driver that died
                }
                throw new IllegalStateException(spec + ": " + ex.getMessage(), ex);
            }
            return openThroughHolder(spec, grant, socket, ctx);
        }
        return openHolder(address, spec, ctx);
    }

    static final int ECONNREFUSED = 111;

    private static VfioNic openHolder(final String address, final String spec, final Context ctx)
    {
        final VfioCalls calls = ctx.calls();
        final HostRoots roots = ctx.roots();
        final PciDevice device = PciDevice.of(roots, address, spec);
        SupportedDevices.require(spec, device.vendor(), device.device());
        final String driver = device.driver();
        if (!"vfio-pci".equals(driver))
        {
            throw new IllegalStateException(driver == null ?
                spec + " is bound to no driver; bind it to vfio-pci: 'nicq devices --bind vfio " + address + "'" :
                spec + " is bound to kernel driver '" + driver + "', not vfio-pci; bind it: 'nicq devices --bind " +
                    "vfio " + address + "' (its kernel interface goes away while nicq has it)");
        }
        final int group = device.iommuGroup();
        if (group < 0)
        {
            throw new IllegalStateException(spec + " has no IOMMU group (no " + device.directory().resolve(
                "iommu_group") + "): the IOMMU is off; enable VT-d (AMD-Vi) in the firmware, add 'intel_iommu=on " +
                "iommu=pt' ('amd_iommu=on iommu=pt' on AMD) to the kernel command line and reboot ('nicq doctor' " +
                "checks)");
        }
        final long memlock = calls.memlockLimit();
        final boolean ipcLock = ProcessStatus.hasCapability(roots, ProcessStatus.CAP_IPC_LOCK);
        if (!ipcLock && memlock < ctx.memlockRequired())
        {
            throw new IllegalStateException(String.format("%s: RLIMIT_MEMLOCK is %d KiB, and VFIO counts every " +
                "page mapped for DMA as locked memory: raise it to at least %d KiB ('ulimit -l unlimited' in the " +
                "card driver's shell, a 'memlock' line in /etc/security/limits.conf, LimitMEMLOCK=infinity in a " +
                "systemd unit) or run the card driver as root", spec, memlock / 1024, ctx.memlockRequired() / 1024));
        }

        final Path dmaDirectory = ctx.dmaDirectory();

        final List<Integer> opened = new ArrayList<>();
        final Arena barArena = Arena.ofShared();
        VfioDmaAllocator dma = null;
        try
        {
            final int container = openDevice(calls, roots.vfioContainer(), opened, spec,
                "the vfio modules are not loaded: 'modprobe vfio-pci'",
                "run the card driver as root");
            final int version = calls.ioctl(container, VfioApi.GET_API_VERSION, 0);
            if (version != VfioApi.API_VERSION)
            {
                throw new IllegalStateException(spec + ": the kernel's VFIO API version is " + version +
                    "; this nicq speaks version " + VfioApi.API_VERSION);
            }
            final int iommuType;
            if (calls.ioctl(container, VfioApi.CHECK_EXTENSION, VfioApi.TYPE1V2_IOMMU) > 0)
            {
                iommuType = VfioApi.TYPE1V2_IOMMU;
            }
            else if (calls.ioctl(container, VfioApi.CHECK_EXTENSION, VfioApi.TYPE1_IOMMU) > 0)
            {
                iommuType = VfioApi.TYPE1_IOMMU;
            }
            else
            {
                throw new IllegalStateException(spec + ": the kernel's VFIO offers no type 1 IOMMU " +
                    "(VFIO_CHECK_EXTENSION says no to VFIO_TYPE1_IOMMU): 'modprobe vfio_iommu_type1', and check " +
                    "that the IOMMU is on ('nicq doctor')");
            }

            final Path groupPath = roots.vfioGroup(group);
            final int groupFd;
            try
            {
                groupFd = openDevice(calls, groupPath, opened, spec,
                    "the devices of IOMMU group " + group + " are not bound to vfio-pci ('nicq devices --bind vfio " +
                        address + "')",
                    "run the card driver as root, or give its user the group: 'chown USER " + groupPath + "'");
            }
            catch (final LinuxException ex)
            {
                if (ex.errno() == Errno.EBUSY)
                {
                    throw new IllegalStateException(spec + ": " + groupPath + " is open in another process (VFIO " +
                        "lets one process hold a group): another card driver of this card, queue drivers of a card " +
                        "driver that just died (they exit within a second), or a VM; 'fuser -v " + groupPath +
                        "' names it", ex);
                }
                throw ex;
            }
            try (Arena arena = Arena.ofConfined())
            {
                final MemorySegment status = arena.allocate(VfioApi.GROUP_STATUS_SIZE, 4);
                status.set(ValueLayout.JAVA_INT, 0, VfioApi.GROUP_STATUS_SIZE);
                calls.ioctl(groupFd, VfioApi.GROUP_GET_STATUS, status);
                if ((status.get(ValueLayout.JAVA_INT, VfioApi.GROUP_STATUS_FLAGS) & VfioApi.GROUP_FLAGS_VIABLE) == 0)
                {
                    throw new IllegalStateException(notViable(spec, roots, device, group));
                }
                final MemorySegment containerArgument = arena.allocateFrom(ValueLayout.JAVA_INT, container);
                calls.ioctl(groupFd, VfioApi.GROUP_SET_CONTAINER, containerArgument);
            }
            calls.ioctl(container, VfioApi.SET_IOMMU, iommuType);

            final int deviceFd;
            try (Arena arena = Arena.ofConfined())
            {
                deviceFd = calls.ioctl(groupFd, VfioApi.GROUP_GET_DEVICE_FD, arena.allocateFrom(address));
                opened.add(deviceFd);
            }
            final Region bar0 = regionInfo(calls, deviceFd, VfioApi.PCI_BAR0_REGION_INDEX);
            if (bar0.size == 0 || (bar0.flags & VfioApi.REGION_INFO_FLAG_MMAP) == 0)
            {
                throw new IllegalStateException(String.format("%s: VFIO says BAR0 (%d bytes, flags 0x%x) cannot be " +
                    "mapped; an 82599's BAR0 is memory and mappable: is this the right device?", spec, bar0.size,
                    bar0.flags));
            }
            final MemorySegment registers = calls.mmap(deviceFd, bar0.offset, bar0.size, barArena);
            enableBusMastering(calls, deviceFd, regionInfo(calls, deviceFd, VfioApi.PCI_CONFIG_REGION_INDEX));

            dma = new VfioDmaAllocator(calls, container, dmaDirectory, memlock, ipcLock, spec,
                new IovaAllocator(), ctx.dmaFileSystem());
            final VfioService service = ctx.serve() ?
                VfioService.start(ctx.serviceSocket(address), deviceFd, bar0.offset, bar0.size, dma) : null;
            return new VfioNic(spec, calls, new MappedBar(registers, barArena, spec), dma, service, deviceFd,
                groupFd, container);
        }
        catch (final RuntimeException ex)
        {
            if (dma != null)
            {
                dma.close();
            }
            barArena.close();
            for (int i = opened.size() - 1; i >= 0; i--)
            {
                quietClose(calls, opened.get(i));
            }
            if (ex instanceof LinuxException)
            {
                throw new IllegalStateException(spec + ": " + ex.getMessage(), ex);
            }
            throw ex;
        }
    }

    private static VfioNic openThroughHolder(final String spec, final VfioService.DeviceGrant grant,
        final Path socket, final Context ctx)
    {
        final VfioCalls calls = ctx.calls();
        final Arena barArena = Arena.ofShared();
        try
        {
            final MemorySegment registers = calls.mmap(grant.deviceFd(), grant.barOffset(), grant.barSize(),
                barArena);
            final DmaAllocator dma = new RemoteVfioDmaAllocator(socket, ctx.dmaDirectory(), spec,
                ctx.dmaFileSystem());
            return new VfioNic(spec, calls, new MappedBar(registers, barArena, spec + " (through the card driver)"),
                dma, null, grant.deviceFd(), -1, -1);
        }
        catch (final RuntimeException ex)
        {
            barArena.close();
            quietClose(calls, grant.deviceFd());
            throw ex;
        }
    }

    /**
     * MSI-X vectors 0..count-1 delivered to eventfds ({@link VfioInterrupts}); closed with the card. Only the
     * process holding the card can set them.
     */
    public synchronized VfioInterrupts enableMsix(final int count)
    {
        if (!isHolder())
        {
            throw new IllegalStateException(spec + ": interrupts are set by the process that holds the card");
        }
        final VfioInterrupts enabled = VfioInterrupts.enableMsix(calls, deviceFd, count, spec);
        interrupts.add(enabled);
        return enabled;
    }

    /** True in the process holding container and group; false in one reaching the card through it. */
    public boolean isHolder()
    {
        return groupFd >= 0;
    }

    public String spec()
    {
        return spec;
    }

    public Bar bar()
    {
        return bar;
    }

    public DmaAllocator dma()
    {
        return dma;
    }

    /** A PCIe device that has gone (surprise removal, a hung link) reads all ones. */
    public String failure()
    {
        return bar.read(Registers.STATUS) == 0xFFFF_FFFF ? spec + " reads all ones: removed from the bus or hung" :
            null;
    }

    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (final VfioInterrupts enabled : interrupts)
        {
            enabled.close();
        }
        if (service != null)
        {
            service.close();
        }
        try
        {
            dma.close();
        }
        finally
        {
            bar.close();
            quietClose(calls, deviceFd);
            if (groupFd >= 0)
            {
                quietClose(calls, groupFd);
            }
            if (containerFd >= 0)
            {
                quietClose(calls, containerFd);
            }
        }
    }

    /** Opens a VFIO device file, turning the two usual failures into what to do. */
    private static int openDevice(final VfioCalls calls, final Path path, final List<Integer> opened,
        final String spec, final String whenMissing, final String whenRefused)
    {
        try
        {
            final int fd = calls.open(path);
            opened.add(fd);
            return fd;
        }
        catch (final LinuxException ex)
        {
            if (ex.errno() == Errno.ENOENT || ex.errno() == Errno.ENODEV)
            {
                throw new IllegalStateException(spec + ": no " + path + ": " + whenMissing, ex);
            }
            if (ex.errno() == Errno.EACCES || ex.errno() == Errno.EPERM)
            {
                throw new IllegalStateException(spec + ": " + path + " is not permitted to this user: " + whenRefused,
                    ex);
            }
            throw ex;
        }
    }

    /** Which devices keep a group from being viable, and what to do about each. */
    private static String notViable(final String spec, final HostRoots roots, final PciDevice device, final int group)
    {
        final StringBuilder others = new StringBuilder();
        for (final String member : device.iommuGroupMembers())
        {
            if (member.equals(device.address()))
            {
                continue;
            }
            final String driver = PciDevice.of(roots, member, member).driver();
            if (driver != null && !"vfio-pci".equals(driver))
            {
                others.append(others.isEmpty() ? "" : ", ").append(member).append(" is bound to ").append(driver);
            }
        }
        return spec + ": IOMMU group " + group + " is not viable: every device in it must be bound to vfio-pci or to " +
            "no driver" + (others.isEmpty() ? "" : ", and " + others) + " (bind each with 'nicq devices --bind " +
            "vfio ADDRESS', or put the card in a slot whose group it has to itself; 'nicq devices' shows groups)";
    }

    private record Region(int flags, long size, long offset)
    {
    }

    private static Region regionInfo(final VfioCalls calls, final int deviceFd, final int index)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment info = arena.allocate(VfioApi.REGION_INFO_SIZE, 8);
            info.set(ValueLayout.JAVA_INT, 0, VfioApi.REGION_INFO_SIZE);
            info.set(ValueLayout.JAVA_INT, VfioApi.REGION_INFO_INDEX, index);
            calls.ioctl(deviceFd, VfioApi.DEVICE_GET_REGION_INFO, info);
            return new Region(info.get(ValueLayout.JAVA_INT, VfioApi.REGION_INFO_FLAGS),
                info.get(ValueLayout.JAVA_LONG, VfioApi.REGION_INFO_SIZE_FIELD),
                info.get(ValueLayout.JAVA_LONG, VfioApi.REGION_INFO_OFFSET));
        }
    }

    /** DMA needs the bus master bit; a device fresh from a driver change may have it clear. */
    private static void enableBusMastering(final VfioCalls calls, final int deviceFd, final Region config)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment command = arena.allocate(2, 2);
            if (calls.pread(deviceFd, command, config.offset + PCI_COMMAND_OFFSET) != 2)
            {
                throw new IllegalStateException("short read of the PCI command register");
            }
            final short value = command.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0);
            if ((value & PCI_COMMAND_BUS_MASTER) == 0)
            {
                command.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short)(value | PCI_COMMAND_BUS_MASTER));
                if (calls.pwrite(deviceFd, command, config.offset + PCI_COMMAND_OFFSET) != 2)
                {
                    throw new IllegalStateException("short write of the PCI command register");
                }
            }
        }
    }

    private static void quietClose(final VfioCalls calls, final int fd)
    {
        try
        {
            calls.close(fd);
        }
        catch (final RuntimeException ignore)
        {
            // Closing is best effort on the way out of a failure.
        }
    }

    /** Where and how a VFIO card is opened; every property has the production default. */
    public static final class Context
    {
        /** System property moving the directory of the card drivers' VFIO service sockets. */
        public static final String SERVICE_DIR_PROPERTY = "nicq.vfio.dir";
        public static final String DEFAULT_SERVICE_DIR = "/dev/shm/nicq-vfio";
        /** Enough for the card driver's own queue and a handful of application queues at the default sizes. */
        public static final long DEFAULT_MEMLOCK_REQUIRED = 64L * 1024 * 1024;

        private HostRoots roots = HostRoots.system();
        private VfioCalls calls = NativeVfioCalls.INSTANCE;
        private Path dmaDirectory;
        private long dmaFileSystem = FileSystemType.HUGETLBFS_MAGIC;
        private Path serviceDirectory = Path.of(System.getProperty(SERVICE_DIR_PROPERTY, DEFAULT_SERVICE_DIR));
        private long memlockRequired = DEFAULT_MEMLOCK_REQUIRED;
        private boolean serve = true;

        /** sysfs, devfs and procfs; default the host's. */
        public Context roots(final HostRoots roots)
        {
            this.roots = roots;
            return this;
        }

        public HostRoots roots()
        {
            return roots;
        }

        /** The system calls; default {@link NativeVfioCalls}. */
        public Context calls(final VfioCalls calls)
        {
            this.calls = calls;
            return this;
        }

        public VfioCalls calls()
        {
            return calls;
        }

        /** Where DMA-visible files go; default the hugetlbfs mount with 2 MiB pages from /proc/mounts. */
        public Context dmaDirectory(final Path dmaDirectory)
        {
            this.dmaDirectory = dmaDirectory;
            return this;
        }

        public Path dmaDirectory()
        {
            if (dmaDirectory == null)
            {
                dmaDirectory = HugepageDmaAllocator.findMount();
                if (dmaDirectory == null)
                {
                    throw new IllegalStateException("no hugetlbfs with 2 MiB pages is mounted for DMA memory: as " +
                        "root, 'mkdir -p /dev/hugepages && mount -t hugetlbfs -o pagesize=2M none /dev/hugepages' " +
                        "and reserve pages with 'echo 512 > /proc/sys/vm/nr_hugepages' ('nicq doctor' checks)");
                }
            }
            return dmaDirectory;
        }

        /** The f_type DMA files must be on: hugetlbfs (tests name their temporary directory's). */
        public Context dmaFileSystem(final long magic)
        {
            this.dmaFileSystem = magic;
            return this;
        }

        public long dmaFileSystem()
        {
            return dmaFileSystem;
        }

        /** Where card drivers put their VFIO service sockets; default /dev/shm/nicq-vfio or -Dnicq.vfio.dir. */
        public Context serviceDirectory(final Path serviceDirectory)
        {
            this.serviceDirectory = serviceDirectory;
            return this;
        }

        public Path serviceDirectory()
        {
            return serviceDirectory;
        }

        /** The socket of the card at {@code address}. */
        public Path serviceSocket(final String address)
        {
            return serviceDirectory.resolve(address + ".sock");
        }

        /** RLIMIT_MEMLOCK below which the holder refuses to start (without CAP_IPC_LOCK). */
        public Context memlockRequired(final long bytes)
        {
            this.memlockRequired = bytes;
            return this;
        }

        public long memlockRequired()
        {
            return memlockRequired;
        }

        /** Whether the holder serves other processes (default true; false: this process only). */
        public Context serve(final boolean serve)
        {
            this.serve = serve;
            return this;
        }

        public boolean serve()
        {
            return serve;
        }
    }
}
