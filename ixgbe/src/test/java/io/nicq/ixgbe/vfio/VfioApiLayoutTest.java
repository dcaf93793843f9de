package io.nicq.ixgbe.vfio;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.nicq.ixgbe.FileSystemType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every ioctl number, flag, structure size and field offset nicq's VFIO code uses, against the kernel's uapi headers:
 * compiles a C program that prints them with gcc and compares. Skips, saying why, without gcc or without
 * linux/vfio.h (Debian: 'apt-get install gcc linux-libc-dev').
 */
class VfioApiLayoutTest
{
    @TempDir
    Path dir;

    @Test
    void javaConstantsMatchTheKernelHeaders() throws Exception
    {
        assumeTrue(Files.isRegularFile(Path.of("/usr/include/linux/vfio.h")),
            "no /usr/include/linux/vfio.h: install the kernel's uapi headers (apt-get install linux-libc-dev)");
        final Map<String, Long> expected = new LinkedHashMap<>();
        expected.put("VFIO_API_VERSION", (long)VfioApi.API_VERSION);
        expected.put("VFIO_GET_API_VERSION", VfioApi.GET_API_VERSION);
        expected.put("VFIO_CHECK_EXTENSION", VfioApi.CHECK_EXTENSION);
        expected.put("VFIO_SET_IOMMU", VfioApi.SET_IOMMU);
        expected.put("VFIO_GROUP_GET_STATUS", VfioApi.GROUP_GET_STATUS);
        expected.put("VFIO_GROUP_SET_CONTAINER", VfioApi.GROUP_SET_CONTAINER);
        expected.put("VFIO_GROUP_UNSET_CONTAINER", VfioApi.GROUP_UNSET_CONTAINER);
        expected.put("VFIO_GROUP_GET_DEVICE_FD", VfioApi.GROUP_GET_DEVICE_FD);
        expected.put("VFIO_DEVICE_GET_INFO", VfioApi.DEVICE_GET_INFO);
        expected.put("VFIO_DEVICE_GET_REGION_INFO", VfioApi.DEVICE_GET_REGION_INFO);
        expected.put("VFIO_DEVICE_GET_IRQ_INFO", VfioApi.DEVICE_GET_IRQ_INFO);
        expected.put("VFIO_DEVICE_SET_IRQS", VfioApi.DEVICE_SET_IRQS);
        expected.put("VFIO_DEVICE_RESET", VfioApi.DEVICE_RESET);
        expected.put("VFIO_IOMMU_GET_INFO", VfioApi.IOMMU_GET_INFO);
        expected.put("VFIO_IOMMU_MAP_DMA", VfioApi.IOMMU_MAP_DMA);
        expected.put("VFIO_IOMMU_UNMAP_DMA", VfioApi.IOMMU_UNMAP_DMA);
        expected.put("VFIO_TYPE1_IOMMU", (long)VfioApi.TYPE1_IOMMU);
        expected.put("VFIO_TYPE1v2_IOMMU", (long)VfioApi.TYPE1V2_IOMMU);
        expected.put("VFIO_GROUP_FLAGS_VIABLE", (long)VfioApi.GROUP_FLAGS_VIABLE);
        expected.put("VFIO_GROUP_FLAGS_CONTAINER_SET", (long)VfioApi.GROUP_FLAGS_CONTAINER_SET);
        expected.put("VFIO_REGION_INFO_FLAG_READ", (long)VfioApi.REGION_INFO_FLAG_READ);
        expected.put("VFIO_REGION_INFO_FLAG_WRITE", (long)VfioApi.REGION_INFO_FLAG_WRITE);
        expected.put("VFIO_REGION_INFO_FLAG_MMAP", (long)VfioApi.REGION_INFO_FLAG_MMAP);
        expected.put("VFIO_PCI_BAR0_REGION_INDEX", (long)VfioApi.PCI_BAR0_REGION_INDEX);
        expected.put("VFIO_PCI_CONFIG_REGION_INDEX", (long)VfioApi.PCI_CONFIG_REGION_INDEX);
        expected.put("VFIO_PCI_MSIX_IRQ_INDEX", (long)VfioApi.PCI_MSIX_IRQ_INDEX);
        expected.put("VFIO_DMA_MAP_FLAG_READ", (long)VfioApi.DMA_MAP_FLAG_READ);
        expected.put("VFIO_DMA_MAP_FLAG_WRITE", (long)VfioApi.DMA_MAP_FLAG_WRITE);
        expected.put("VFIO_IRQ_INFO_EVENTFD", (long)VfioApi.IRQ_INFO_EVENTFD);
        expected.put("VFIO_IRQ_SET_DATA_NONE", (long)VfioApi.IRQ_SET_DATA_NONE);
        expected.put("VFIO_IRQ_SET_DATA_EVENTFD", (long)VfioApi.IRQ_SET_DATA_EVENTFD);
        expected.put("VFIO_IRQ_SET_ACTION_TRIGGER", (long)VfioApi.IRQ_SET_ACTION_TRIGGER);
        struct(expected, "vfio_group_status", VfioApi.GROUP_STATUS_SIZE, "flags", VfioApi.GROUP_STATUS_FLAGS);
        struct(expected, "vfio_region_info", VfioApi.REGION_INFO_SIZE, "flags", VfioApi.REGION_INFO_FLAGS,
            "index", VfioApi.REGION_INFO_INDEX, "size", VfioApi.REGION_INFO_SIZE_FIELD, "offset",
            VfioApi.REGION_INFO_OFFSET);
        struct(expected, "vfio_iommu_type1_dma_map", VfioApi.DMA_MAP_SIZE, "flags", VfioApi.DMA_MAP_FLAGS, "vaddr",
            VfioApi.DMA_MAP_VADDR, "iova", VfioApi.DMA_MAP_IOVA, "size", VfioApi.DMA_MAP_SIZE_FIELD);
        struct(expected, "vfio_iommu_type1_dma_unmap", VfioApi.DMA_UNMAP_SIZE, "flags", VfioApi.DMA_UNMAP_FLAGS,
            "iova", VfioApi.DMA_UNMAP_IOVA, "size", VfioApi.DMA_UNMAP_SIZE_FIELD);
        struct(expected, "vfio_irq_info", VfioApi.IRQ_INFO_SIZE, "flags", VfioApi.IRQ_INFO_FLAGS, "index",
            VfioApi.IRQ_INFO_INDEX, "count", VfioApi.IRQ_INFO_COUNT);
        struct(expected, "vfio_irq_set", VfioApi.IRQ_SET_SIZE, "flags", VfioApi.IRQ_SET_FLAGS, "index",
            VfioApi.IRQ_SET_INDEX, "start", VfioApi.IRQ_SET_START, "count", VfioApi.IRQ_SET_COUNT, "data",
            VfioApi.IRQ_SET_DATA);
        // The other structures nicq reaches through FFM: sockets for the VFIO service, statfs for hugetlbfs.
        expected.put("sizeof(struct sockaddr_un)", (long)UnixSeqpacket.SOCKADDR_UN_SIZE);
        expected.put("sizeof(struct msghdr)", (long)UnixSeqpacket.MSGHDR_SIZE);
        expected.put("offsetof(struct msghdr, msg_iov)", (long)UnixSeqpacket.MSGHDR_IOV);
        expected.put("offsetof(struct msghdr, msg_iovlen)", (long)UnixSeqpacket.MSGHDR_IOVLEN);
        expected.put("offsetof(struct msghdr, msg_control)", (long)UnixSeqpacket.MSGHDR_CONTROL);
        expected.put("offsetof(struct msghdr, msg_controllen)", (long)UnixSeqpacket.MSGHDR_CONTROLLEN);
        expected.put("CMSG_LEN(sizeof(int))", (long)UnixSeqpacket.CMSG_LEN_ONE_FD);
        expected.put("CMSG_SPACE(sizeof(int))", (long)UnixSeqpacket.CMSG_SPACE_ONE_FD);
        expected.put("sizeof(struct cmsghdr)", (long)UnixSeqpacket.CMSG_DATA);
        expected.put("sizeof(struct ucred)", (long)UnixSeqpacket.UCRED_SIZE);
        expected.put("SO_PEERCRED", (long)UnixSeqpacket.SO_PEERCRED);
        expected.put("SOCK_SEQPACKET", (long)UnixSeqpacket.SOCK_SEQPACKET);
        expected.put("MSG_CMSG_CLOEXEC", (long)UnixSeqpacket.MSG_CMSG_CLOEXEC);
        expected.put("offsetof(struct statfs, f_type)", 0L);
        expected.put("sizeof(struct statfs) <= STATFS_SIZE", 1L);
        expected.put("HUGETLBFS_MAGIC", FileSystemType.HUGETLBFS_MAGIC);
        expected.put("TMPFS_MAGIC", FileSystemType.TMPFS_MAGIC);
        expected.put("O_CLOEXEC", (long)NativeVfioCalls.O_CLOEXEC);
        expected.put("EFD_CLOEXEC", (long)NativeVfioCalls.EFD_CLOEXEC);
        expected.put("RLIMIT_MEMLOCK", (long)NativeVfioCalls.RLIMIT_MEMLOCK);

        final StringBuilder c = new StringBuilder("""
            #define _GNU_SOURCE
            #include <stdio.h>
            #include <stddef.h>
            #include <fcntl.h>
            #include <sys/eventfd.h>
            #include <sys/resource.h>
            #include <sys/socket.h>
            #include <sys/un.h>
            #include <sys/vfs.h>
            #include <linux/magic.h>
            #include <linux/vfio.h>
            int main(void) {
            """);
        for (final String name : expected.keySet())
        {
            final String expression = name.equals("sizeof(struct statfs) <= STATFS_SIZE") ?
                "(sizeof(struct statfs) <= " + FileSystemType.STATFS_SIZE + ")" :
                name;
            c.append("  printf(\"%s=%llu\\n\", \"").append(name).append("\", (unsigned long long)(")
                .append(expression).append("));\n");
        }
        c.append("  return 0;\n}\n");
        final Path source = dir.resolve("layout.c");
        Files.writeString(source, c);
        final Path binary = dir.resolve("layout");
        final String compiled = run("gcc", "-o", binary.toString(), source.toString());
        assumeTrue(compiled != null, "gcc is not installed (apt-get install gcc): cannot compare with the headers");
        assertTrue(Files.isExecutable(binary), "gcc failed: " + compiled);
        final String output = run(binary.toString());
        assertNotNull(output);
        final Map<String, Long> actual = new LinkedHashMap<>();
        for (final String line : output.split("\n"))
        {
            final int eq = line.lastIndexOf('=');
            actual.put(line.substring(0, eq), Long.parseUnsignedLong(line.substring(eq + 1)));
        }
        for (final Map.Entry<String, Long> entry : expected.entrySet())
        {
            assertEquals(entry.getValue(), actual.get(entry.getKey()), entry.getKey());
        }
    }

    private static void struct(final Map<String, Long> expected, final String name, final int size,
        final Object... fields)
    {
        expected.put("sizeof(struct " + name + ")", (long)size);
        expected.put("offsetof(struct " + name + ", argsz)", 0L);
        for (int i = 0; i < fields.length; i += 2)
        {
            expected.put("offsetof(struct " + name + ", " + fields[i] + ")", (long)(int)fields[i + 1]);
        }
    }

    /** Output of a command, or null if it cannot be started. */
    private static String run(final String... command) throws Exception
    {
        final Process process;
        try
        {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        }
        catch (final java.io.IOException ex)
        {
            return null;
        }
        final String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        return output;
    }
}
