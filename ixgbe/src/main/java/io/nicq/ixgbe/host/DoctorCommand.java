package io.nicq.ixgbe.host;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import io.nicq.ixgbe.vfio.NativeVfioCalls;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nicq doctor}: is this host ready for a real 82599 ({@link Doctor})? Exits 1 when something required is missing. */
@Command(
    name = "doctor",
    mixinStandardHelpOptions = true,
    description = "Checks hugepages, the hugetlbfs mount, the IOMMU, vfio-pci, the memlock limit, CPU isolation, the " +
        "CPU frequency governor and the 82599 ports, and says for each what to change. Exits 1 when something the " +
        "mode needs is missing.")
public final class DoctorCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Option(names = "--mode", defaultValue = "vfio",
        description = "How the card will be reached: vfio (vfio:ADDRESS) or pci (pci:ADDRESS) (default: " +
            "${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--root", hidden = true, description = "A fake host tree with sys/, dev/, proc/ (tests).")
    Path root;

    @Option(names = "--memlock", hidden = true, description = "RLIMIT_MEMLOCK to judge, in bytes (tests).")
    Long memlock;

    public Integer call()
    {
        final Doctor.Mode chosen = switch (mode.toLowerCase(Locale.ROOT))
        {
            case "vfio" -> Doctor.Mode.VFIO;
            case "pci" -> Doctor.Mode.PCI;
            default -> throw new IllegalArgumentException("--mode " + mode + ": vfio or pci");
        };
        final HostRoots roots = root == null ? HostRoots.system() : HostRoots.under(root);
        final Doctor doctor = new Doctor(roots, chosen,
            () -> memlock != null ? memlock : NativeVfioCalls.INSTANCE.memlockLimit());
        final List<Doctor.Finding> findings = doctor.examine();
        final PrintWriter out = spec.commandLine().getOut();
        for (final Doctor.Finding finding : findings)
        {
            out.printf("[%-4s] %-14s %s%n", finding.level().name().toLowerCase(Locale.ROOT), finding.check(),
                finding.detail());
            if (finding.fix() != null)
            {
                out.printf("       %-14s fix: %s%n", "", finding.fix());
            }
        }
        final boolean failed = Doctor.failed(findings);
        out.println(failed ? "not ready for --nic " + mode + ":ADDRESS: fix the [fail] lines" :
            "ready for --nic " + mode + ":ADDRESS" + (findings.stream().anyMatch(
                f -> f.level() == Doctor.Level.WARN) ? " (the [warn] lines cost latency, not correctness)" : ""));
        return failed ? 1 : 0;
    }
}
