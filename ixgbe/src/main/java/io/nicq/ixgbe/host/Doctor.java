package io.nicq.ixgbe.host;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

import io.nicq.ixgbe.HugepageDmaAllocator;

/**
 * Checks a host for running nicq on a real 82599, in the manner of dpdk-hugepages.py and dpdk-devbind.py --status:
 * hugepages, a hugetlbfs mount, the IOMMU, vfio-pci, the memlock limit, CPU isolation and frequency governor, and the
 * 82599 ports. Each finding says what to change, as the exact command. What is required depends on the mode: VFIO
 * needs the IOMMU and vfio-pci; pci: needs root and no translating IOMMU.
 */
public final class Doctor
{
    /** 64 MiB: as VfioNic.Context.DEFAULT_MEMLOCK_REQUIRED, the card driver's own queue and a few more. */
    public static final long MEMLOCK_REQUIRED = 64L * 1024 * 1024;

    /** How a card will be reached. */
    public enum Mode
    {
        VFIO, PCI
    }

    /** How bad a finding is: FAIL is required for the mode and missing. */
    public enum Level
    {
        OK, NOTE, WARN, FAIL
    }

    /** One check's outcome: what, what was found, and the command that fixes it (null when nothing to do). */
    public record Finding(Level level, String check, String detail, String fix)
    {
    }

    private final HostRoots roots;
    private final Mode mode;
    private final LongSupplier memlockLimit;

    /**
     * @param memlockLimit this process's soft RLIMIT_MEMLOCK (Long.MAX_VALUE: unlimited); the card driver is
     *                     usually started from the same shell, with the same limit
     */
    public Doctor(final HostRoots roots, final Mode mode, final LongSupplier memlockLimit)
    {
        this.roots = roots;
        this.mode = mode;
        this.memlockLimit = memlockLimit;
    }

    /** Every check, in the order a user fixes them. */
    public List<Finding> examine()
    {
        final List<Finding> findings = new ArrayList<>();
        final String cmdline = read(roots.proc().resolve("cmdline"));
        findings.add(hugepages());
        findings.add(hugetlbfsMount());
        findings.add(iommu(cmdline));
        if (mode == Mode.VFIO)
        {
            findings.add(vfioModule());
        }
        findings.add(privileges());
        findings.add(cpuIsolation(cmdline));
        findings.add(governor());
        findings.addAll(ports());
        return findings;
    }

    /** True if any finding is a FAIL: something the mode requires is missing. */
    public static boolean failed(final List<Finding> findings)
    {
        return findings.stream().anyMatch(finding -> finding.level() == Level.FAIL);
    }

    private Finding hugepages()
    {
        final Map<String, long[]> sizes = new TreeMap<>();
        final Path dir = roots.sysfs().resolve("kernel/mm/hugepages");
        if (Files.isDirectory(dir))
        {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "hugepages-*"))
            {
                for (final Path entry : entries)
                {
                    final String size = entry.getFileName().toString().substring("hugepages-".length());
                    sizes.put(size, new long[] {number(entry.resolve("free_hugepages")),
                        number(entry.resolve("nr_hugepages"))});
                }
            }
            catch (final IOException ignore)
            {
                // Reported as no sizes below.
            }
        }
        final long[] meminfo = meminfo();
        final StringBuilder detail = new StringBuilder();
        for (final Map.Entry<String, long[]> size : sizes.entrySet())
        {
            detail.append(detail.isEmpty() ? "" : "; ").append(size.getKey()).append(": ")
                .append(size.getValue()[0]).append(" free of ").append(size.getValue()[1]);
        }
        if (meminfo != null)
        {
            detail.append(detail.isEmpty() ? "" : "; ").append("/proc/meminfo: HugePages_Free ").append(meminfo[0])
                .append(" of HugePages_Total ").append(meminfo[1]).append(", Hugepagesize ").append(meminfo[2])
                .append(" kB");
        }
        final long[] twoMiB = sizes.get("2048kB");
        final String fix = "echo 1024 > " + roots.sysfs().resolve("kernel/mm/hugepages/hugepages-2048kB/nr_hugepages") +
            " (2 GiB; at boot: 'hugepages=1024' on the kernel command line)";
        if (twoMiB == null || twoMiB[0] <= 0)
        {
            return new Finding(Level.FAIL, "hugepages", (twoMiB == null ? "no 2 MiB hugepages" :
                "no free 2 MiB hugepages") + (detail.isEmpty() ? "" : " (" + detail + ")") +
                ": descriptor rings and queue channels live on them", fix);
        }
        return new Finding(twoMiB[0] < 16 ? Level.WARN : Level.OK, "hugepages", detail +
            (twoMiB[0] < 16 ? ": few left; each queue takes about 3 pages at the default 2048 slots" : ""),
            twoMiB[0] < 16 ? fix : null);
    }

    private Finding hugetlbfsMount()
    {
        final Path mount = HugepageDmaAllocator.findMount(roots.proc().resolve("mounts"));
        return mount != null ? new Finding(Level.OK, "hugetlbfs", "2 MiB pages mounted at " + mount, null) :
            new Finding(Level.FAIL, "hugetlbfs", "no hugetlbfs with 2 MiB pages is mounted: DMA-visible files " +
                "must be on one", "mkdir -p /dev/hugepages && mount -t hugetlbfs -o pagesize=2M none /dev/hugepages " +
                "(to keep it: 'none /dev/hugepages hugetlbfs pagesize=2M 0 0' in /etc/fstab)");
    }

    private Finding iommu(final String cmdline)
    {
        final int groups = count(roots.iommuGroups());
        final List<String> flags = new ArrayList<>();
        for (final String word : cmdline == null ? new String[0] : cmdline.trim().split("\\s+"))
        {
            if (word.startsWith("intel_iommu=") || word.startsWith("amd_iommu=") || word.startsWith("iommu="))
            {
                flags.add(word);
            }
        }
        final String onCommandLine = flags.isEmpty() ? "nothing about the IOMMU on the kernel command line" :
            "kernel command line: " + String.join(" ", flags);
        final String fix = "enable VT-d (AMD-Vi) in the firmware, add 'intel_iommu=on iommu=pt' ('amd_iommu=on " +
            "iommu=pt' on AMD) to GRUB_CMDLINE_LINUX in /etc/default/grub, run 'update-grub' (or 'grub2-mkconfig -o " +
            "/boot/grub2/grub.cfg') and reboot";
        if (mode == Mode.VFIO)
        {
            return groups > 0 ?
                new Finding(Level.OK, "IOMMU", groups + " IOMMU groups; " + onCommandLine, null) :
                new Finding(Level.FAIL, "IOMMU", "no IOMMU groups in " + roots.iommuGroups() + " (the IOMMU is off); " +
                    onCommandLine + ": vfio: needs it", fix);
        }
        return groups > 0 ?
            new Finding(Level.WARN, "IOMMU", groups + " IOMMU groups; " + onCommandLine + ": a port behind a " +
                "translating IOMMU cannot use pci: (its DMA to physical addresses would fault); use vfio:",
                "nicq devices --bind vfio ADDRESS, then --nic vfio:ADDRESS") :
            new Finding(Level.OK, "IOMMU", "off: pci: programs physical addresses (no protection from a runaway DMA)",
                null);
    }

    private Finding vfioModule()
    {
        final boolean driver = Files.isDirectory(roots.pciDriver("vfio-pci"));
        final boolean container = Files.exists(roots.vfioContainer());
        if (driver && container)
        {
            return new Finding(Level.OK, "vfio-pci", "loaded; " + roots.vfioContainer() + " present", null);
        }
        return new Finding(Level.FAIL, "vfio-pci", (driver ? "" : "vfio-pci is not loaded") +
            (driver || container ? "" : "; ") + (container ? "" : "no " + roots.vfioContainer()),
            "modprobe vfio-pci (to load it at boot: echo vfio-pci > /etc/modules-load.d/vfio-pci.conf)");
    }

    private Finding privileges()
    {
        final boolean root = ProcessStatus.isRoot(roots);
        if (mode == Mode.PCI)
        {
            return root ? new Finding(Level.OK, "privileges", "root: sysfs resource0 and /proc/self/pagemap " +
                "physical addresses are available", null) :
                new Finding(Level.FAIL, "privileges", "not root: pci: maps BAR0 from sysfs and reads physical " +
                    "addresses from /proc/self/pagemap, both root only", "run the card driver as root (or use vfio:)");
        }
        if (ProcessStatus.hasCapability(roots, ProcessStatus.CAP_IPC_LOCK))
        {
            return new Finding(Level.OK, "memlock", "CAP_IPC_LOCK: VFIO's pinned pages are not limited", null);
        }
        final long limit = memlockLimit.getAsLong();
        final String shown = limit == Long.MAX_VALUE ? "unlimited" : (limit / 1024) + " KiB";
        return limit >= MEMLOCK_REQUIRED ?
            new Finding(Level.OK, "memlock", "RLIMIT_MEMLOCK " + shown, null) :
            new Finding(Level.FAIL, "memlock", "RLIMIT_MEMLOCK is " + shown + ", under " + MEMLOCK_REQUIRED / 1024 +
                " KiB: VFIO counts every page mapped for DMA as locked", "ulimit -l unlimited (in the card driver's " +
                "shell; for good: '<user> - memlock unlimited' in /etc/security/limits.conf, or LimitMEMLOCK=" +
                "infinity in its systemd unit)");
    }

    private static Finding cpuIsolation(final String cmdline)
    {
        final List<String> flags = new ArrayList<>();
        for (final String word : cmdline == null ? new String[0] : cmdline.trim().split("\\s+"))
        {
            if (word.startsWith("isolcpus=") || word.startsWith("nohz_full=") || word.startsWith("rcu_nocbs="))
            {
                flags.add(word);
            }
        }
        return !flags.isEmpty() ?
            new Finding(Level.OK, "CPU isolation", String.join(" ", flags) + ": pin nicq's loops there with --cpu",
                null) :
            new Finding(Level.WARN, "CPU isolation", "no isolcpus/nohz_full on the kernel command line: the " +
                "scheduler and timer ticks share the cores nicq's loops spin on (latency spikes)", "add " +
                "'isolcpus=2,3 nohz_full=2,3 rcu_nocbs=2,3' (your cores) to GRUB_CMDLINE_LINUX in /etc/default/grub, " +
                "'update-grub', reboot, and run the loops with --cpu 2 / --cpu 3");
    }

    private Finding governor()
    {
        final Map<String, String> governors = new TreeMap<>();
        final Path cpus = roots.sysfs().resolve("devices/system/cpu");
        if (Files.isDirectory(cpus))
        {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(cpus, "cpu[0-9]*"))
            {
                for (final Path cpu : entries)
                {
                    final String governor = read(cpu.resolve("cpufreq/scaling_governor"));
                    if (governor != null)
                    {
                        governors.put(cpu.getFileName().toString(), governor.trim());
                    }
                }
            }
            catch (final IOException ignore)
            {
                // Reported as no cpufreq.
            }
        }
        if (governors.isEmpty())
        {
            return new Finding(Level.NOTE, "CPU governor", "no cpufreq (a VM, or a fixed frequency): nothing to set",
                null);
        }
        final List<String> slow = new ArrayList<>();
        governors.forEach((cpu, governor) ->
        {
            if (!"performance".equals(governor))
            {
                slow.add(cpu + ": " + governor);
            }
        });
        return slow.isEmpty() ?
            new Finding(Level.OK, "CPU governor", "performance on all " + governors.size() + " CPUs", null) :
            new Finding(Level.WARN, "CPU governor", String.join(", ", slow) + ": frequency scaling adds " +
                "microseconds when a loop wakes", "cpupower frequency-set -g performance (or: for g in " +
                cpus + "/cpu*/cpufreq/scaling_governor; do echo performance > $g; done)");
    }

    private List<Finding> ports()
    {
        final List<Finding> findings = new ArrayList<>();
        for (final PciDevice device : PciDevice.all(roots))
        {
            if (!device.isSupported())
            {
                continue;
            }
            final String driver = device.driver();
            final String what = device.address() + " " + device.ids() + " " + device.name() + ", driver " +
                (driver == null ? "none" : driver) + ", IOMMU group " +
                (device.iommuGroup() < 0 ? "none" : device.iommuGroup());
            if (mode == Mode.VFIO)
            {
                findings.add("vfio-pci".equals(driver) ? new Finding(Level.OK, "port", what + ": ready for --nic vfio:" +
                    device.address(), null) :
                    new Finding(Level.NOTE, "port", what + ": bind it for nicq", "nicq devices --bind vfio " +
                        device.address()));
            }
            else
            {
                final boolean translated = device.iommuGroup() >= 0 && !"identity".equals(device.iommuGroupType());
                findings.add(translated ? new Finding(Level.WARN, "port", what + ": behind a translating IOMMU, " +
                    "pci: cannot drive it", "nicq devices --bind vfio " + device.address() + ", then --nic vfio:" +
                    device.address()) :
                    driver == null ? new Finding(Level.OK, "port", what + ": ready for --nic pci:" + device.address(),
                        null) :
                        new Finding(Level.NOTE, "port", what + ": unbind it for nicq", "nicq devices --unbind " +
                            device.address()));
            }
        }
        if (findings.isEmpty())
        {
            findings.add(new Finding(Level.WARN, "port", "no 82599 port in " + roots.pciDevices(),
                "lspci -nn | grep -i 82599 (is the card seated, and is it an 82599?)"));
        }
        return findings;
    }

    /** HugePages_Free, HugePages_Total, Hugepagesize (kB) from /proc/meminfo, or null. */
    private long[] meminfo()
    {
        final String text = read(roots.proc().resolve("meminfo"));
        if (text == null)
        {
            return null;
        }
        final long[] values = {-1, -1, -1};
        for (final String line : text.split("\n"))
        {
            final String[] fields = line.split(":\\s*");
            if (fields.length == 2)
            {
                final String value = fields[1].replace("kB", "").trim();
                switch (fields[0])
                {
                    case "HugePages_Free" -> values[0] = parse(value);
                    case "HugePages_Total" -> values[1] = parse(value);
                    case "Hugepagesize" -> values[2] = parse(value);
                    default ->
                    {
                    }
                }
            }
        }
        return values;
    }

    private static int count(final Path dir)
    {
        if (!Files.isDirectory(dir))
        {
            return 0;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir))
        {
            int n = 0;
            for (final Path ignored : entries)
            {
                n++;
            }
            return n;
        }
        catch (final IOException ex)
        {
            return 0;
        }
    }

    private static long number(final Path file)
    {
        final String text = read(file);
        return text == null ? -1 : parse(text.trim());
    }

    private static long parse(final String text)
    {
        try
        {
            return Long.parseLong(text);
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }

    private static String read(final Path file)
    {
        try
        {
            return Files.readString(file);
        }
        catch (final IOException ex)
        {
            return null;
        }
    }
}
