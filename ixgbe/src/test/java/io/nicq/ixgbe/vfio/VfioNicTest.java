package io.nicq.ixgbe.vfio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import io.nicq.ixgbe.DmaBuffer;
import io.nicq.ixgbe.Errno;
import io.nicq.ixgbe.FileSystemType;
import io.nicq.ixgbe.PciNic;
import io.nicq.ixgbe.Registers;
import io.nicq.ixgbe.host.FakeHost;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/** The VFIO open sequence against a fake sysfs/devfs tree and fake ioctls: the order of calls and every refusal. */
class VfioNicTest
{
    private static final String ADDRESS = "0000:03:00.0";
    private static final int GROUP = 7;

    @TempDir
    Path dir;
    private FakeHost host;
    private FakeVfioCalls calls;
    private Path barFile;

    @BeforeEach
    void setUp() throws Exception
    {
        host = new FakeHost(dir.resolve("host"));
        host.device(ADDRESS, 0x8086, 0x10FB, 0).bind(ADDRESS, "vfio-pci").group(ADDRESS, GROUP, "DMA");
        Files.writeString(host.roots.vfioContainer(), "");
        Files.writeString(host.roots.vfioGroup(GROUP), "");
        barFile = dir.resolve("bar0");
        try (FileChannel channel = FileChannel.open(barFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
        {
            channel.truncate(FakeVfioCalls.BAR_SIZE);
            channel.write(java.nio.ByteBuffer.wrap(new byte[1]), FakeVfioCalls.BAR_SIZE - 1);
        }
        Files.createDirectories(dir.resolve("dma"));
        calls = new FakeVfioCalls(barFile, host.roots.vfioContainer(), host.roots.vfioGroup(GROUP));
    }

    private VfioNic.Context context()
    {
        return new VfioNic.Context().roots(host.roots).calls(calls).dmaDirectory(dir.resolve("dma"))
            .dmaFileSystem(FileSystemType.of(dir)).serviceDirectory(dir.resolve("svc")).serve(false);
    }

    @Test
    void opensInTheDocumentedOrderMapsBarAndSetsBusMastering() throws Exception
    {
        try (VfioNic nic = VfioNic.open(ADDRESS, context()))
        {
            assertEquals("vfio:" + ADDRESS, nic.spec());
            assertTrue(nic.isHolder());
            assertEquals(List.of("open vfio", "VFIO_GET_API_VERSION", "VFIO_CHECK_EXTENSION 3", "open 7",
                "VFIO_GROUP_GET_STATUS", "VFIO_GROUP_SET_CONTAINER", "VFIO_SET_IOMMU 3", "VFIO_GROUP_GET_DEVICE_FD",
                "device " + ADDRESS, "VFIO_DEVICE_GET_REGION_INFO", "mmap " + FakeVfioCalls.BAR_SIZE,
                "VFIO_DEVICE_GET_REGION_INFO", "config write 4"), calls.log);
            assertEquals(VfioNic.PCI_COMMAND_BUS_MASTER, calls.config[4] & VfioNic.PCI_COMMAND_BUS_MASTER);

            nic.bar().write(Registers.STATUS, 0x1234_5678);
            final byte[] bar = Files.readAllBytes(barFile);
            assertEquals(0x78, bar[Registers.STATUS] & 0xFF, "BAR0 is the device region, mapped shared");
            assertNull(nic.failure());
        }
        assertTrue(calls.log.containsAll(List.of("close device", "close group", "close container")), calls.log.toString());
    }

    @Test
    void prefersType1v1WhenV2IsAbsent()
    {
        calls.type1v2 = false;
        try (VfioNic nic = VfioNic.open(ADDRESS, context()))
        {
            assertTrue(calls.log.contains("VFIO_SET_IOMMU 1"), calls.log.toString());
        }
    }

    @Test
    void mapsEveryBufferAtItsOwnGuardedIovaAndUnmapsOnClose()
    {
        try (VfioNic nic = VfioNic.open(ADDRESS, context()))
        {
            final DmaBuffer ring = nic.dma().allocate("ring", 8192);
            final DmaBuffer other = nic.dma().allocate("other", 3 * 1024 * 1024);
            assertEquals(2, calls.dmaMaps.size());
            final long[] first = calls.dmaMaps.get(0);
            final long[] second = calls.dmaMaps.get(1);
            assertEquals(ring.segment().address(), first[0], "vaddr of the buffer");
            assertEquals(ring.iova(), first[1]);
            assertEquals(VfioApi.DMA_MAP_FLAG_READ | VfioApi.DMA_MAP_FLAG_WRITE, first[3]);
            assertTrue(first[1] >= IovaAllocator.FIRST_IOVA && first[1] % IovaAllocator.ALIGNMENT == 0);
            assertTrue(second[1] >= first[1] + first[2] + IovaAllocator.GUARD, "a guard gap between ranges");
            assertEquals(other.iova() + 12345, other.mapping().iova(12345), "one range is IOVA contiguous");
            ring.close();
            assertEquals(1, calls.dmaUnmaps.size());
            assertArrayEquals(new long[] {first[1], first[2]}, calls.dmaUnmaps.get(0));
        }
        assertEquals(2, calls.dmaUnmaps.size(), "closing the card unmaps what is left");
    }

    @Test
    void anotherProcessReachesTheCardThroughTheHoldersService() throws Exception
    {
        try (VfioNic holder = VfioNic.open(ADDRESS, context().serve(true)))
        {
            assertTrue(Files.exists(dir.resolve("svc").resolve(ADDRESS + ".sock")));
            try (VfioNic queueDriver = VfioNic.open(ADDRESS, context().calls(NativeVfioCalls.INSTANCE)))
            {
                assertFalse(queueDriver.isHolder());
                queueDriver.bar().write(Registers.rdt(3), 77);
                assertEquals(77, holder.bar().read(Registers.rdt(3)), "the same BAR0, through the passed device fd");

                final DmaBuffer ring = queueDriver.dma().allocate("q3-rx", 4096);
                assertEquals(1, calls.dmaMaps.size(), "the holder mapped it");
                assertEquals(calls.dmaMaps.get(0)[1], ring.iova());
                assertEquals(2 << 20, calls.dmaMaps.get(0)[2], "the whole hugetlbfs file");
                ring.close();
                assertEquals(1, calls.dmaUnmaps.size(), "and unmapped it when the queue driver let go");

                try (Arena arena = Arena.ofShared())
                {
                    final Path channel = dir.resolve("dma").resolve("channel");
                    final MemorySegment memory = queueDriver.dma().createFile(channel, 4 << 20, arena);
                    final long iova = queueDriver.dma().map(memory.asSlice(2 << 20, 2 << 20), channel, 2 << 20).iova(0);
                    assertEquals(calls.dmaMaps.get(1)[1], iova);
                    assertEquals(2 << 20, calls.dmaMaps.get(1)[2], "the slice asked for, not the file");
                }

                final Path notDmaMemory = Path.of("/proc/self/status");
                final IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> queueDriver.dma().map(MemorySegment.ofArray(new byte[64]), notDmaMemory, 0));
                assertTrue(refused.getMessage().contains(notDmaMemory.toString()), refused.getMessage());
                final IllegalStateException holderRefused = assertThrows(IllegalStateException.class,
                    () -> VfioService.requestMap(dir.resolve("svc").resolve(ADDRESS + ".sock"), notDmaMemory, 0, 64));
                assertTrue(holderRefused.getMessage().contains("the card driver refused") &&
                    holderRefused.getMessage().contains(notDmaMemory.toString()), holderRefused.getMessage());
                assertEquals(2, calls.dmaMaps.size(), "nothing mapped for a refused request");
            }
        }
        assertFalse(Files.exists(dir.resolve("svc").resolve(ADDRESS + ".sock")), "the holder removes its socket");
    }

    @Test
    void staleServiceSocketOfADeadHolderIsReplaced() throws Exception
    {
        Files.createDirectories(dir.resolve("svc"));
        final int fd = UnixSeqpacket.listen(dir.resolve("svc").resolve(ADDRESS + ".sock"));
        UnixSeqpacket.close(fd); // the socket file stays, nobody listens: ECONNREFUSED
        try (VfioNic nic = VfioNic.open(ADDRESS, context().serve(true)))
        {
            assertTrue(nic.isHolder());
        }
    }

    @Test
    void msixVectorsAreDeliveredToEventfds()
    {
        try (VfioNic nic = VfioNic.open(ADDRESS, context().serve(true)))
        {
            final VfioInterrupts interrupts = nic.enableMsix(4);
            assertEquals(4, interrupts.vectors());
            assertEquals(4, calls.irqCount);
            for (int i = 0; i < 4; i++)
            {
                assertEquals(interrupts.eventfd(i), calls.irqEventfds[i]);
            }
            assertTrue(calls.log.contains("flags 0x24"), "DATA_EVENTFD | ACTION_TRIGGER: " + calls.log);
            assertThrows(IllegalStateException.class, () -> nic.enableMsix(65));
        }
        assertEquals(0, calls.irqCount, "closing disables the vectors");
    }

    @Test
    void noIommuGroup() throws Exception
    {
        Files.delete(host.roots.pciDevice(ADDRESS).resolve("iommu_group"));
        assertRefused("has no IOMMU group", "intel_iommu=on");
    }

    @Test
    void groupNotViableNamesTheDeviceInTheWay()
    {
        host.device("0000:03:00.1", 0x8086, 0x10FB, 0).bind("0000:03:00.1", "ixgbe").group("0000:03:00.1", GROUP, "DMA");
        calls.viable = false;
        assertRefused("IOMMU group 7 is not viable", "0000:03:00.1 is bound to ixgbe");
        assertEquals("close container", calls.log.get(calls.log.size() - 1), "everything opened is closed again");
        assertTrue(calls.log.contains("close group"));
    }

    @Test
    void groupDeviceMissing() throws Exception
    {
        Files.delete(host.roots.vfioGroup(GROUP));
        assertRefused("no " + host.roots.vfioGroup(GROUP), "nicq devices --bind vfio " + ADDRESS);
    }

    @Test
    void groupDeviceNotPermitted()
    {
        calls.openErrors.put(host.roots.vfioGroup(GROUP), Errno.EACCES);
        assertRefused("is not permitted to this user", "chown USER " + host.roots.vfioGroup(GROUP));
    }

    @Test
    void groupHeldByAnotherProcess()
    {
        calls.openErrors.put(host.roots.vfioGroup(GROUP), Errno.EBUSY);
        assertRefused("is open in another process", "fuser -v");
    }

    @Test
    void containerMissing() throws Exception
    {
        Files.delete(host.roots.vfioContainer());
        assertRefused("no " + host.roots.vfioContainer(), "modprobe vfio-pci");
    }

    @Test
    void apiVersionMismatch()
    {
        calls.apiVersion = 1;
        assertRefused("VFIO API version is 1", "speaks version 0");
    }

    @Test
    void noType1Iommu()
    {
        calls.type1 = false;
        calls.type1v2 = false;
        assertRefused("no type 1 IOMMU", "modprobe vfio_iommu_type1");
    }

    @Test
    void memlockTooLowSaysWhatToRaise()
    {
        calls.memlock = 64 * 1024;
        assertRefused("RLIMIT_MEMLOCK is 64 KiB", "ulimit -l unlimited");
        assertTrue(calls.log.isEmpty(), "refused before any device is opened: " + calls.log);
    }

    @Test
    void capIpcLockExemptsFromTheMemlockLimit()
    {
        calls.memlock = 64 * 1024;
        FakeHost.write(host.roots.proc().resolve("self/status"), "CapEff:\t0000000000004000\n");
        try (VfioNic nic = VfioNic.open(ADDRESS, context()))
        {
            nic.dma().allocate("big", 1 << 20).close();
        }
    }

    @Test
    void mappingOverTheMemlockLimitIsRefusedWithTheLimit()
    {
        calls.memlock = 65L * 1024 * 1024;
        try (VfioNic nic = VfioNic.open(ADDRESS, context()))
        {
            final IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> nic.dma().allocate("huge", 66L * 1024 * 1024));
            assertTrue(refused.getMessage().contains("over this process's RLIMIT_MEMLOCK"), refused.getMessage());
            calls.mapErrno = Errno.ENOMEM;
            final IllegalStateException enomem = assertThrows(IllegalStateException.class,
                () -> nic.dma().allocate("small", 4096));
            assertTrue(enomem.getMessage().contains("ENOMEM") && enomem.getMessage().contains("LimitMEMLOCK"),
                enomem.getMessage());
        }
    }

    @Test
    void wrongDeviceIdIsRefusedWithTheIdFound()
    {
        host.device(ADDRESS, 0x8086, 0x1528, 0);
        assertRefused("8086:1528, not an Intel 82599", "nicq devices");
        host.device(ADDRESS, 0x8086, 0x10ED, 0);
        assertRefused("an 82599 virtual function", "physical function");
    }

    @Test
    void deviceStillBoundToIxgbe()
    {
        host.bind(ADDRESS, "ixgbe");
        assertRefused("bound to kernel driver 'ixgbe'", "nicq devices --bind vfio " + ADDRESS);
    }

    @Test
    void pciRefusesADeviceBehindATranslatingIommuAndSaysUseVfio() throws Exception
    {
        Files.delete(host.roots.pciDevice(ADDRESS).resolve("driver"));
        final IllegalStateException refused = assertThrows(IllegalStateException.class,
            () -> PciNic.open(ADDRESS, host.roots));
        assertTrue(refused.getMessage().contains("IOMMU in translation mode") &&
            refused.getMessage().contains("use vfio:" + ADDRESS) && refused.getMessage().contains("would fault"),
            refused.getMessage());

        host.group(ADDRESS, GROUP, "identity");
        final IllegalStateException passThrough = assertThrows(IllegalStateException.class,
            () -> PciNic.open(ADDRESS, host.roots));
        assertTrue(passThrough.getMessage().contains("resource0"), "identity domains pass: " + passThrough.getMessage());

        host.device(ADDRESS, 0x8086, 0x10D8, 0);
        assertTrue(assertThrows(IllegalStateException.class, () -> PciNic.open(ADDRESS, host.roots)).getMessage()
            .contains("8086:10d8"));
    }

    private void assertRefused(final String... expected)
    {
        final IllegalStateException refused = assertThrows(IllegalStateException.class,
            () -> VfioNic.open(ADDRESS, context()));
        for (final String text : expected)
        {
            assertTrue(refused.getMessage().contains(text), "'" + text + "' in: " + refused.getMessage());
        }
        assertTrue(refused.getMessage().startsWith("vfio:" + ADDRESS), refused.getMessage());
    }
}
