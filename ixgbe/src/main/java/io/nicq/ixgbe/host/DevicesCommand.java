package io.nicq.ixgbe.host;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code nicq devices}: the 82599 ports of this machine (as dpdk-devbind.py --status), and moving one between the
 * kernel's ixgbe and vfio-pci ({@link DeviceBinder}).
 */
@Command(
    name = "devices",
    mixinStandardHelpOptions = true,
    description = {"Lists the 82599 ports: address, ids and name, driver, IOMMU group, NUMA node, link (while the " +
        "kernel has the port). With --bind or --unbind, moves a port between ixgbe and vfio-pci (needs root).",
        "  nicq devices",
        "  nicq devices --bind vfio 0000:03:00.0",
        "  nicq devices --bind ixgbe 0000:03:00.0",
        "  nicq devices --unbind 0000:03:00.0"})
public final class DevicesCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true)
    Action action;

    static final class Action
    {
        @Option(names = "--bind", paramLabel = "DRIVER",
            description = "Bind the port to vfio (vfio-pci: for --nic vfio:) or ixgbe (the kernel's driver).")
        String bind;

        @Option(names = "--unbind", description = "Unbind the port from its driver (for --nic pci:).")
        boolean unbind;
    }

    @Parameters(arity = "0..1", paramLabel = "ADDRESS", description = "The port, as 0000:03:00.0.")
    String address;

    @Option(names = "--force", description = "Unbind even if the port's kernel interface is up or carries routes.")
    boolean force;

    @Option(names = "--root", hidden = true, description = "A fake host tree with sys/, dev/, proc/ (tests).")
    Path root;

    public Integer call()
    {
        final PrintWriter out = spec.commandLine().getOut();
        final HostRoots roots = root == null ? HostRoots.system() : HostRoots.under(root);
        if (action == null)
        {
            if (address != null)
            {
                throw new IllegalArgumentException("an ADDRESS goes with --bind DRIVER or --unbind");
            }
            print(out, rows(roots));
            return 0;
        }
        if (address == null)
        {
            throw new IllegalArgumentException("--bind and --unbind need the port's ADDRESS ('nicq devices' lists " +
                "them)");
        }
        final DeviceBinder binder = new DeviceBinder(roots);
        out.println(action.unbind ? binder.unbind(address, force) : binder.bind(address, driver(action.bind), force));
        return 0;
    }

    static String driver(final String name)
    {
        return switch (name)
        {
            case "vfio", "vfio-pci" -> DeviceBinder.VFIO_PCI;
            case "ixgbe", "kernel" -> DeviceBinder.IXGBE;
            default -> throw new IllegalArgumentException("--bind " + name + ": the driver is vfio or ixgbe");
        };
    }

    /** One row per 82599 port: address, ids, name, driver, IOMMU group, NUMA node, link. */
    static List<String[]> rows(final HostRoots roots)
    {
        final List<String[]> rows = new ArrayList<>();
        for (final PciDevice device : PciDevice.all(roots))
        {
            if (!device.isSupported())
            {
                continue;
            }
            final String driver = device.driver();
            final int group = device.iommuGroup();
            final int node = device.numaNode();
            rows.add(new String[] {device.address(), device.ids(), device.name(), driver == null ? "-" : driver,
                group < 0 ? "-" : Integer.toString(group), node < 0 ? "-" : Integer.toString(node), link(device)});
        }
        return rows;
    }

    /** "eth2 up 10000 Mb/s" while a kernel driver has the port; "-" otherwise (nicq's card driver knows then). */
    private static String link(final PciDevice device)
    {
        final List<String> links = new ArrayList<>();
        for (final String netdev : device.interfaces())
        {
            final String state = device.operstate(netdev);
            final int speed = device.speedMbps(netdev);
            links.add(netdev + " " + (state == null ? "?" : state) + (speed > 0 ? " " + speed + " Mb/s" : ""));
        }
        return links.isEmpty() ? "-" : String.join(", ", links);
    }

    private static void print(final PrintWriter out, final List<String[]> rows)
    {
        if (rows.isEmpty())
        {
            out.println("no 82599 ports on this machine ('lspci -nn' lists every PCI device)");
            return;
        }
        final String[] header = {"ADDRESS", "ID", "NAME", "DRIVER", "IOMMU", "NUMA", "LINK"};
        final int[] widths = new int[header.length];
        for (int i = 0; i < header.length; i++)
        {
            widths[i] = header[i].length();
            for (final String[] row : rows)
            {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        final List<String[]> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (final String[] row : all)
        {
            final StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++)
            {
                line.append(i == row.length - 1 ? row[i] : String.format("%-" + (widths[i] + 2) + "s", row[i]));
            }
            out.println(line);
        }
        out.println();
        out.println("vfio-pci ports: --nic vfio:ADDRESS; give one to nicq: nicq devices --bind vfio ADDRESS; " +
            "back to the kernel: nicq devices --bind ixgbe ADDRESS");
    }
}
