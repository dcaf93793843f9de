package io.nicq.ixgbe.vfio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.nicq.ixgbe.Errno;

/**
 * VFIO as a kernel would answer it, for the open sequence's tests: device files are the fake devfs's files, the
 * container answers the API version and extensions it is given, the group its viability, and the device fd is a real
 * fd of a "BAR0" file (so mmap and SCM_RIGHTS work for real). Every call is logged by name.
 */
final class FakeVfioCalls implements VfioCalls
{
    static final long BAR_SIZE = 128 * 1024;
    static final long CONFIG_OFFSET = 7L << 40;

    final List<String> log = new ArrayList<>();
    final Map<Path, Integer> openErrors = new HashMap<>();
    final List<long[]> dmaMaps = new ArrayList<>();
    final List<long[]> dmaUnmaps = new ArrayList<>();
    final byte[] config = new byte[256];
    int apiVersion = VfioApi.API_VERSION;
    boolean type1 = true;
    boolean type1v2 = true;
    boolean viable = true;
    long memlock = 1L << 30;
    int mapErrno;
    int[] irqEventfds;
    int irqCount = -1;

    private final Path barFile;
    private final Path groupPath;
    private final Path containerPath;
    private int nextFd = 1000;
    private final Map<Integer, String> fds = new HashMap<>();
    private int deviceFd = -1;

    FakeVfioCalls(final Path barFile, final Path containerPath, final Path groupPath)
    {
        this.barFile = barFile;
        this.containerPath = containerPath;
        this.groupPath = groupPath;
    }

    public int open(final Path path)
    {
        log.add("open " + path.getFileName());
        final Integer errno = openErrors.get(path);
        if (errno != null)
        {
            throw new LinuxException("open(" + path + ")", errno);
        }
        if (!Files.exists(path))
        {
            throw new LinuxException("open(" + path + ")", Errno.ENOENT);
        }
        final int fd = nextFd++;
        fds.put(fd, path.equals(containerPath) ? "container" : path.equals(groupPath) ? "group" : "other");
        return fd;
    }

    public void close(final int fd)
    {
        log.add("close " + fds.getOrDefault(fd, fd == deviceFd ? "device" : Integer.toString(fd)));
        if (fd == deviceFd || !fds.containsKey(fd))
        {
            NativeVfioCalls.INSTANCE.close(fd);
        }
        fds.remove(fd);
    }

    public int ioctl(final int fd, final long request, final long argument)
    {
        log.add(VfioApi.ioctlName(request) + (request == VfioApi.GET_API_VERSION ? "" : " " + argument));
        if (request == VfioApi.GET_API_VERSION)
        {
            return apiVersion;
        }
        if (request == VfioApi.CHECK_EXTENSION)
        {
            return (argument == VfioApi.TYPE1_IOMMU && type1) || (argument == VfioApi.TYPE1V2_IOMMU && type1v2) ? 1 : 0;
        }
        if (request == VfioApi.SET_IOMMU)
        {
            return 0;
        }
        throw new LinuxException("ioctl(" + VfioApi.ioctlName(request) + ")", Errno.ENOTTY);
    }

    public int ioctl(final int fd, final long request, final MemorySegment argument)
    {
        log.add(VfioApi.ioctlName(request));
        final MemorySegment arg = argument.reinterpret(4096);
        if (request == VfioApi.GROUP_GET_STATUS)
        {
            arg.set(ValueLayout.JAVA_INT, VfioApi.GROUP_STATUS_FLAGS, viable ? VfioApi.GROUP_FLAGS_VIABLE : 0);
            return 0;
        }
        if (request == VfioApi.GROUP_SET_CONTAINER)
        {
            if (!"container".equals(fds.get(arg.get(ValueLayout.JAVA_INT, 0))))
            {
                throw new LinuxException("ioctl(VFIO_GROUP_SET_CONTAINER)", Errno.EBADF);
            }
            return 0;
        }
        if (request == VfioApi.GROUP_GET_DEVICE_FD)
        {
            log.add("device " + arg.getString(0));
            deviceFd = NativeVfioCalls.INSTANCE.open(barFile);
            return deviceFd;
        }
        if (request == VfioApi.DEVICE_GET_REGION_INFO)
        {
            final int index = arg.get(ValueLayout.JAVA_INT, VfioApi.REGION_INFO_INDEX);
            arg.set(ValueLayout.JAVA_INT, VfioApi.REGION_INFO_FLAGS, VfioApi.REGION_INFO_FLAG_READ |
                VfioApi.REGION_INFO_FLAG_WRITE | (index == 0 ? VfioApi.REGION_INFO_FLAG_MMAP : 0));
            arg.set(ValueLayout.JAVA_LONG, VfioApi.REGION_INFO_SIZE_FIELD, index == 0 ? BAR_SIZE : config.length);
            arg.set(ValueLayout.JAVA_LONG, VfioApi.REGION_INFO_OFFSET, index == 0 ? 0 : CONFIG_OFFSET);
            return 0;
        }
        if (request == VfioApi.IOMMU_MAP_DMA)
        {
            if (mapErrno != 0)
            {
                throw new LinuxException("ioctl(VFIO_IOMMU_MAP_DMA)", mapErrno);
            }
            dmaMaps.add(new long[] {arg.get(ValueLayout.JAVA_LONG, VfioApi.DMA_MAP_VADDR),
                arg.get(ValueLayout.JAVA_LONG, VfioApi.DMA_MAP_IOVA),
                arg.get(ValueLayout.JAVA_LONG, VfioApi.DMA_MAP_SIZE_FIELD),
                arg.get(ValueLayout.JAVA_INT, VfioApi.DMA_MAP_FLAGS)});
            return 0;
        }
        if (request == VfioApi.IOMMU_UNMAP_DMA)
        {
            dmaUnmaps.add(new long[] {arg.get(ValueLayout.JAVA_LONG, VfioApi.DMA_UNMAP_IOVA),
                arg.get(ValueLayout.JAVA_LONG, VfioApi.DMA_UNMAP_SIZE_FIELD)});
            return 0;
        }
        if (request == VfioApi.DEVICE_GET_IRQ_INFO)
        {
            arg.set(ValueLayout.JAVA_INT, VfioApi.IRQ_INFO_FLAGS, VfioApi.IRQ_INFO_EVENTFD);
            arg.set(ValueLayout.JAVA_INT, VfioApi.IRQ_INFO_COUNT, 64);
            return 0;
        }
        if (request == VfioApi.DEVICE_SET_IRQS)
        {
            irqCount = arg.get(ValueLayout.JAVA_INT, VfioApi.IRQ_SET_COUNT);
            irqEventfds = new int[irqCount];
            for (int i = 0; i < irqCount; i++)
            {
                irqEventfds[i] = arg.get(ValueLayout.JAVA_INT, VfioApi.IRQ_SET_DATA + 4L * i);
            }
            log.add("flags 0x" + Integer.toHexString(arg.get(ValueLayout.JAVA_INT, VfioApi.IRQ_SET_FLAGS)));
            return 0;
        }
        throw new LinuxException("ioctl(" + VfioApi.ioctlName(request) + ")", Errno.ENOTTY);
    }

    public MemorySegment mmap(final int fd, final long offset, final long length, final Arena arena)
    {
        log.add("mmap " + length);
        return NativeVfioCalls.INSTANCE.mmap(fd, offset, length, arena);
    }

    public long pread(final int fd, final MemorySegment buffer, final long offset)
    {
        final int at = (int)(offset - CONFIG_OFFSET);
        MemorySegment.copy(MemorySegment.ofArray(config), at, buffer, 0, buffer.byteSize());
        return buffer.byteSize();
    }

    public long pwrite(final int fd, final MemorySegment buffer, final long offset)
    {
        log.add("config write " + (offset - CONFIG_OFFSET));
        final int at = (int)(offset - CONFIG_OFFSET);
        MemorySegment.copy(buffer, 0, MemorySegment.ofArray(config), at, buffer.byteSize());
        return buffer.byteSize();
    }

    public long memlockLimit()
    {
        return memlock;
    }

    public int eventfd()
    {
        return NativeVfioCalls.INSTANCE.eventfd();
    }
}
