package io.nicq.ixgbe.host;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.*;

/** nicq devices (listing, bind, unbind, refusals) and nicq doctor against a fake sysfs/devfs/procfs tree. */
class HostToolsTest
{
    private static final String KERNEL_PORT = "0000:03:00.0";
    private static final String NICQ_PORT = "0000:03:00.1";
    private static final String OTHER = "0000:00:1f.6";

    @TempDir
    Path dir;
    private FakeHost host;
    private final List<String> writes = new ArrayList<>();

    @BeforeEach
    void setUp()
    {
        host = new FakeHost(dir);
        host.device(KERNEL_PORT, 0x8086, 0x10FB, 0).bind(KERNEL_PORT, "ixgbe").group(KERNEL_PORT, 14, "DMA")
            .netdev(KERNEL_PORT, "eth2", "up", 10000, true);
        host.device(NICQ_PORT, 0x8086, 0x1557, 1).bind(NICQ_PORT, "vfio-pci").group(NICQ_PORT, 15, "DMA");
        host.driver("e1000e").device(OTHER, 0x8086, 0x15BC, 0).bind(OTHER, "e1000e");
        host.file("proc/net/route", "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n" +
            "eth2\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
    }

    /** Writes the file as the real writer would, logs it, and plays the kernel for unbind and drivers_probe. */
    private DeviceBinder binder()
    {
        return new DeviceBinder(host.roots, (file, value) ->
        {
            writes.add(host.root.relativize(file) + " <- " + value.replace("\n", "\\n"));
            FakeHost.write(file, value);
            final String name = file.getFileName().toString();
            try
            {
                if (name.equals("unbind"))
                {
                    Files.delete(host.roots.pciDevice(value).resolve("driver"));
                }
                else if (name.equals("drivers_probe"))
                {
                    final String override = Files.readString(host.roots.pciDevice(value).resolve("driver_override"))
                        .trim();
                    host.bind(value, override);
                }
            }
            catch (final java.io.IOException ex)
            {
                throw new java.io.UncheckedIOException(ex);
            }
        });
    }

    @Test
    void listsEvery82599PortWithEveryField()
    {
        final Map<String, String[]> rows = DevicesCommand.rows(host.roots).stream()
            .collect(Collectors.toMap(row -> row[0], row -> row));
        assertEquals(2, rows.size(), "the e1000e is not an 82599");
        assertArrayEquals(new String[] {KERNEL_PORT, "8086:10fb", "82599 SFI/SFP+", "ixgbe", "14", "0",
            "eth2 up 10000 Mb/s"}, rows.get(KERNEL_PORT));
        assertArrayEquals(new String[] {NICQ_PORT, "8086:1557", "82599EN SFP+", "vfio-pci", "15", "1", "-"},
            rows.get(NICQ_PORT));

        final StringWriter text = new StringWriter();
        final CommandLine command = new CommandLine(new DevicesCommand()).setOut(new PrintWriter(text));
        assertEquals(0, command.execute("--root", dir.toString()));
        assertTrue(text.toString().startsWith("ADDRESS"), text.toString());
        assertTrue(text.toString().contains("0000:03:00.1  8086:1557"), text.toString());

        final StringWriter bound = new StringWriter();
        assertEquals(0, new CommandLine(new DevicesCommand()).setOut(new PrintWriter(bound))
            .execute("--root", dir.toString(), "--bind", "vfio", NICQ_PORT));
        assertEquals(NICQ_PORT + " is already bound to vfio-pci", bound.toString().trim());
        final StringWriter refused = new StringWriter();
        assertEquals(1, new CommandLine(new DevicesCommand()).setErr(new PrintWriter(refused))
            .setExecutionExceptionHandler((ex, cmd, parsed) ->
            {
                cmd.getErr().println(ex.getMessage());
                return 1;
            }).execute("--root", dir.toString(), "--unbind", KERNEL_PORT));
        assertTrue(refused.toString().contains("which is up"), refused.toString());
    }

    @Test
    void bindsToVfioWithOverrideUnbindProbeInThatOrder() throws Exception
    {
        host.netdev(KERNEL_PORT, "eth2", "down", -1, false);
        Files.writeString(host.roots.proc().resolve("net/route"), "Iface\tDestination\n");
        assertEquals(KERNEL_PORT + " bound to vfio-pci (was ixgbe)", binder().bind(KERNEL_PORT, "vfio-pci", false));
        assertEquals(List.of(
            "sys/bus/pci/devices/" + KERNEL_PORT + "/driver_override <- vfio-pci",
            "sys/bus/pci/devices/" + KERNEL_PORT + "/driver/unbind <- " + KERNEL_PORT,
            "sys/bus/pci/drivers_probe <- " + KERNEL_PORT), writes);
        assertEquals("vfio-pci", PciDevice.of(host.roots, KERNEL_PORT, KERNEL_PORT).driver());
    }

    @Test
    void bindsBackToIxgbeAndClearsTheOverride()
    {
        assertEquals(NICQ_PORT + " bound to ixgbe (was vfio-pci)", binder().bind(NICQ_PORT, "ixgbe", false));
        assertEquals(List.of(
            "sys/bus/pci/devices/" + NICQ_PORT + "/driver_override <- ixgbe",
            "sys/bus/pci/devices/" + NICQ_PORT + "/driver/unbind <- " + NICQ_PORT,
            "sys/bus/pci/drivers_probe <- " + NICQ_PORT,
            "sys/bus/pci/devices/" + NICQ_PORT + "/driver_override <- \\n"), writes);
    }

    @Test
    void unbindsAndSaysWhenThereIsNothingToDo() throws Exception
    {
        assertEquals(NICQ_PORT + " unbound from vfio-pci", binder().unbind(NICQ_PORT, false));
        assertEquals(List.of("sys/bus/pci/devices/" + NICQ_PORT + "/driver/unbind <- " + NICQ_PORT), writes);
        assertEquals(NICQ_PORT + " is bound to no driver", binder().unbind(NICQ_PORT, false));
        assertEquals(NICQ_PORT + " bound to vfio-pci", binder().bind(NICQ_PORT, "vfio-pci", false));
        assertEquals("sys/bus/pci/drivers_probe <- " + NICQ_PORT, writes.get(writes.size() - 1),
            "an unbound port needs no unbind");
        writes.clear();
        assertEquals(NICQ_PORT + " is already bound to vfio-pci", binder().bind(NICQ_PORT, "vfio-pci", false));
        assertTrue(writes.isEmpty(), "binding again writes nothing: " + writes);
    }

    @Test
    void refusesToTakeAnInterfaceThatIsUpOrRoutedUnlessForced()
    {
        final IllegalStateException up = assertThrows(IllegalStateException.class,
            () -> binder().bind(KERNEL_PORT, "vfio-pci", false));
        assertTrue(up.getMessage().contains("is eth2 of ixgbe, which is up and carries routes (10.0.0.0/24)") &&
            up.getMessage().contains("ip link set eth2 down") && up.getMessage().contains("--force"), up.getMessage());
        assertTrue(writes.isEmpty(), "nothing written: " + writes);

        host.netdev(KERNEL_PORT, "eth2", "down", -1, false);
        final IllegalStateException routed = assertThrows(IllegalStateException.class,
            () -> binder().unbind(KERNEL_PORT, false));
        assertTrue(routed.getMessage().contains("which is down and carries routes"), routed.getMessage());

        assertEquals(KERNEL_PORT + " unbound from ixgbe", binder().unbind(KERNEL_PORT, true));
    }

    @Test
    void refusesOtherDevicesAndMissingDrivers() throws Exception
    {
        final IllegalStateException other = assertThrows(IllegalStateException.class,
            () -> binder().bind(OTHER, "vfio-pci", true));
        assertTrue(other.getMessage().contains("8086:15bc, not an Intel 82599"), other.getMessage());
        assertThrows(IllegalStateException.class, () -> binder().bind("0000:09:00.0", "vfio-pci", true));
        assertThrows(IllegalArgumentException.class, () -> binder().bind(NICQ_PORT, "uio_pci_generic", true));

        Files.walk(host.roots.pciDriver("ixgbe")).sorted(java.util.Comparator.reverseOrder())
            .forEach(p -> p.toFile().delete());
        final IllegalStateException notLoaded = assertThrows(IllegalStateException.class,
            () -> binder().bind(NICQ_PORT, "ixgbe", false));
        assertTrue(notLoaded.getMessage().contains("modprobe ixgbe"), notLoaded.getMessage());
    }

    @Test
    void bindThatTheKernelDoesNotHonourIsReported()
    {
        host.netdev(KERNEL_PORT, "eth2", "down", -1, false);
        FakeHost.write(host.roots.proc().resolve("net/route"), "Iface\n");
        final DeviceBinder stubborn = new DeviceBinder(host.roots, (file, value) -> writes.add(file.toString()));
        final IllegalStateException refused = assertThrows(IllegalStateException.class,
            () -> stubborn.bind(KERNEL_PORT, "vfio-pci", false));
        assertTrue(refused.getMessage().contains("did not bind to vfio-pci") &&
            refused.getMessage().contains("dmesg"), refused.getMessage());
    }

    @Test
    void doctorOnAReadyVfioHostPassesAndSaysSo()
    {
        readyHost();
        final List<Doctor.Finding> findings = new Doctor(host.roots, Doctor.Mode.VFIO, () -> Long.MAX_VALUE).examine();
        assertFalse(Doctor.failed(findings), findings.toString());
        final String text = run("doctor", "--root", dir.toString(), "--memlock", Long.toString(Long.MAX_VALUE));
        assertTrue(text.contains("[ok  ] hugepages      2048kB: 512 free of 512"), text);
        assertTrue(text.contains("hugetlbfs      2 MiB pages mounted at /dev/hugepages"), text);
        assertTrue(text.contains("2 IOMMU groups; kernel command line: intel_iommu=on iommu=pt"), text);
        assertTrue(text.contains("isolcpus=2,3"), text);
        assertTrue(text.contains("[warn] CPU governor   cpu1: powersave"), text);
        assertTrue(text.contains("fix: nicq devices --bind vfio " + KERNEL_PORT), text);
        assertTrue(text.contains("ready for --nic vfio:ADDRESS"), text);
    }

    @Test
    void doctorFailsWithTheCommandForEachMissingPiece()
    {
        FakeHost.write(host.roots.proc().resolve("cmdline"), "quiet\n");
        FakeHost.write(host.roots.proc().resolve("mounts"), "tmpfs /dev/shm tmpfs rw 0 0\n");
        FakeHost.write(host.roots.proc().resolve("meminfo"), "HugePages_Total:       0\nHugePages_Free:        0\n" +
            "Hugepagesize:       2048 kB\n");
        host.file("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "0\n")
            .file("sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "0\n");
        final List<Doctor.Finding> findings = new Doctor(host.roots, Doctor.Mode.VFIO, () -> 64 * 1024).examine();
        assertTrue(Doctor.failed(findings));
        assertFix(findings, "hugepages", "echo 1024 > ");
        assertFix(findings, "hugetlbfs", "mount -t hugetlbfs -o pagesize=2M none /dev/hugepages");
        assertFix(findings, "vfio-pci", "modprobe vfio-pci");
        assertFix(findings, "memlock", "ulimit -l unlimited");
        assertFix(findings, "CPU isolation", "isolcpus=");
        assertTrue(find(findings, "hugepages").detail().contains("HugePages_Free 0 of HugePages_Total 0"));

        Files.exists(host.roots.iommuGroups()); // groups exist in this tree; remove them for the IOMMU finding
        deleteTree(host.roots.iommuGroups());
        final List<Doctor.Finding> noIommu = new Doctor(host.roots, Doctor.Mode.VFIO, () -> 64 * 1024).examine();
        assertFix(noIommu, "IOMMU", "intel_iommu=on iommu=pt");
        assertEquals(Doctor.Level.FAIL, find(noIommu, "IOMMU").level());

        assertEquals(1, new CommandLine(new DoctorCommand()).setOut(new PrintWriter(new StringWriter()))
            .execute("--root", dir.toString(), "--memlock", "65536"), "exit status 1 when a required piece is missing");
    }

    @Test
    void doctorForPciWantsRootAndWarnsAboutTranslatingIommus()
    {
        readyHost();
        final List<Doctor.Finding> findings = new Doctor(host.roots, Doctor.Mode.PCI, () -> 0).examine();
        assertEquals(Doctor.Level.FAIL, find(findings, "privileges").level(), "not root in the fake status");
        assertEquals(Doctor.Level.WARN, find(findings, "IOMMU").level());
        assertTrue(findings.stream().anyMatch(f -> f.detail().contains("behind a translating IOMMU")), findings.toString());
        FakeHost.write(host.roots.proc().resolve("self/status"), "Uid:\t0\t0\t0\t0\nCapEff:\t000001ffffffffff\n");
        assertFalse(Doctor.failed(new Doctor(host.roots, Doctor.Mode.PCI, () -> 0).examine()));
    }

    private void readyHost()
    {
        FakeHost.write(host.roots.proc().resolve("cmdline"),
            "BOOT_IMAGE=/vmlinuz intel_iommu=on iommu=pt isolcpus=2,3 nohz_full=2,3\n");
        FakeHost.write(host.roots.proc().resolve("mounts"), "hugetlbfs /dev/hugepages hugetlbfs rw,relatime," +
            "pagesize=2M 0 0\n");
        FakeHost.write(host.roots.proc().resolve("meminfo"), "HugePages_Total:     512\nHugePages_Free:      512\n" +
            "Hugepagesize:       2048 kB\n");
        host.file("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "512\n")
            .file("sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "512\n")
            .file("sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "performance\n")
            .file("sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "powersave\n")
            .file("dev/vfio/vfio", "");
    }

    private String run(final String... args)
    {
        final StringWriter text = new StringWriter();
        final Object command = args[0].equals("doctor") ? new DoctorCommand() : new DevicesCommand();
        new CommandLine(command).setOut(new PrintWriter(text)).execute(java.util.Arrays.copyOfRange(args, 1,
            args.length));
        return text.toString();
    }

    private static Doctor.Finding find(final List<Doctor.Finding> findings, final String check)
    {
        return findings.stream().filter(f -> f.check().equals(check)).findFirst().orElseThrow(
            () -> new AssertionError("no " + check + " finding in " + findings));
    }

    private static void assertFix(final List<Doctor.Finding> findings, final String check, final String command)
    {
        final Doctor.Finding finding = find(findings, check);
        assertNotEquals(Doctor.Level.OK, finding.level(), finding.toString());
        assertNotNull(finding.fix(), finding.toString());
        assertTrue(finding.fix().contains(command), finding.toString());
    }

    private static void deleteTree(final Path root)
    {
        try (var paths = Files.walk(root))
        {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }
}
