package io.nicq.ixgbe.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Moves an 82599 port between the kernel's ixgbe driver and vfio-pci, the way dpdk-devbind.py does on kernels with
 * {@code driver_override} (3.15 and later):
 * <ol>
 *   <li>{@code /sys/bus/pci/devices/ADDR/driver_override} := the driver wanted, so that only it can claim the device;</li>
 *   <li>{@code /sys/bus/pci/devices/ADDR/driver/unbind} := ADDR, if a driver has it;</li>
 *   <li>{@code /sys/bus/pci/drivers_probe} := ADDR: the kernel binds the device to the override;</li>
 *   <li>the device's {@code driver} link is checked. Binding back to ixgbe clears the override afterwards (writing a
 *       newline), so the device is the kernel's as at boot; vfio-pci keeps it, so a rescan does not hand the port back
 *       to ixgbe under a running card driver.</li>
 * </ol>
 * A port whose kernel interface is up or carries routes is not taken from the kernel unless forced: unbinding takes the
 * interface away, and with it whatever traffic (an SSH session) uses it.
 */
public final class DeviceBinder
{
    public static final String VFIO_PCI = "vfio-pci";
    public static final String IXGBE = "ixgbe";

    /** How sysfs is written; tests record the order (and play the kernel). */
    @FunctionalInterface
    public interface SysfsWriter
    {
        void write(Path file, String value);
    }

    private final HostRoots roots;
    private final SysfsWriter writer;

    public DeviceBinder(final HostRoots roots)
    {
        this(roots, DeviceBinder::writeFile);
    }

    public DeviceBinder(final HostRoots roots, final SysfsWriter writer)
    {
        this.roots = roots;
        this.writer = writer;
    }

    /**
     * Binds a port to {@code driver} (vfio-pci or ixgbe).
     *
     * @param force unbind even if its kernel interface is up or carries routes
     * @return what was done, one line
     * @throws IllegalStateException saying why not and what to do
     */
    public String bind(final String address, final String driver, final boolean force)
    {
        if (!VFIO_PCI.equals(driver) && !IXGBE.equals(driver))
        {
            throw new IllegalArgumentException("driver '" + driver + "' must be " + VFIO_PCI + " or " + IXGBE);
        }
        final PciDevice device = supported(address);
        final String current = device.driver();
        if (driver.equals(current))
        {
            return address + " is already bound to " + driver;
        }
        if (!Files.isDirectory(roots.pciDriver(driver)))
        {
            throw new IllegalStateException("driver " + driver + " is not loaded (no " + roots.pciDriver(driver) +
                "): 'modprobe " + driver + "' first");
        }
        if (current != null)
        {
            checkUnbindable(device, current, force);
        }
        final Path override = device.directory().resolve("driver_override");
        writer.write(override, driver);
        if (current != null)
        {
            writer.write(device.directory().resolve("driver/unbind"), address);
        }
        writer.write(roots.driversProbe(), address);
        final String now = device.driver();
        if (IXGBE.equals(driver))
        {
            writer.write(override, "\n");
        }
        if (!driver.equals(now))
        {
            throw new IllegalStateException(address + " did not bind to " + driver + " (it is " +
                (now == null ? "bound to no driver" : "bound to " + now) + "); 'dmesg | tail' says why");
        }
        return address + " bound to " + driver + (current == null ? "" : " (was " + current + ")");
    }

    /**
     * Unbinds a port from whatever driver has it.
     *
     * @param force unbind even if its kernel interface is up or carries routes
     */
    public String unbind(final String address, final boolean force)
    {
        final PciDevice device = supported(address);
        final String current = device.driver();
        if (current == null)
        {
            return address + " is bound to no driver";
        }
        checkUnbindable(device, current, force);
        writer.write(device.directory().resolve("driver/unbind"), address);
        return address + " unbound from " + current;
    }

    private PciDevice supported(final String address)
    {
        final PciDevice device = PciDevice.of(roots, address, address);
        SupportedDevices.require(address, device.vendor(), device.device());
        return device;
    }

    /** Refuses to take a port from the kernel while its interface is up or routes through it, unless forced. */
    private void checkUnbindable(final PciDevice device, final String driver, final boolean force)
    {
        if (force)
        {
            return;
        }
        for (final String netdev : device.interfaces())
        {
            final List<String> routes = routesVia(netdev);
            final boolean up = device.isAdministrativelyUp(netdev);
            if (up || !routes.isEmpty())
            {
                throw new IllegalStateException(device.address() + " is " + netdev + " of " + driver + ", which " +
                    (up ? "is up" : "is down") + (routes.isEmpty() ? "" : " and carries routes (" +
                    String.join(", ", routes) + ")") + ": unbinding takes the interface and its traffic away; " +
                    "'ip link set " + netdev + " down' (and move its addresses) first, or add --force");
            }
        }
    }

    /** Destinations routed through {@code netdev}, from /proc/net/route and /proc/net/ipv6_route. */
    List<String> routesVia(final String netdev)
    {
        final List<String> routes = new ArrayList<>();
        final Path ipv4 = roots.proc().resolve("net/route");
        if (Files.isReadable(ipv4))
        {
            for (final String line : readLines(ipv4, 1))
            {
                final String[] fields = line.trim().split("\\s+");
                if (fields.length >= 8 && fields[0].equals(netdev))
                {
                    routes.add(ipv4Route(fields[1], fields[7]));
                }
            }
        }
        final Path ipv6 = roots.proc().resolve("net/ipv6_route");
        if (Files.isReadable(ipv6))
        {
            for (final String line : readLines(ipv6, 0))
            {
                final String[] fields = line.trim().split("\\s+");
                if (fields.length >= 10 && fields[9].equals(netdev) && !fields[0].startsWith("fe80") &&
                    !fields[0].startsWith("ff00"))
                {
                    routes.add("IPv6 " + fields[0] + "/" + Integer.parseInt(fields[1], 16));
                }
            }
        }
        return routes;
    }

    /** /proc/net/route holds addresses as little-endian hex: 0100000A is 10.0.0.1. */
    private static String ipv4Route(final String destination, final String mask)
    {
        try
        {
            final long address = Long.parseLong(destination, 16);
            final int bits = Long.bitCount(Long.parseLong(mask, 16));
            return (address & 0xFF) + "." + ((address >> 8) & 0xFF) + "." + ((address >> 16) & 0xFF) + "." +
                ((address >> 24) & 0xFF) + "/" + bits;
        }
        catch (final NumberFormatException ex)
        {
            return destination;
        }
    }

    /** The lines of a /proc table less its header lines (/proc/net/route has one, ipv6_route none). */
    private static List<String> readLines(final Path file, final int headerLines)
    {
        try
        {
            final List<String> lines = Files.readAllLines(file);
            return lines.subList(Math.min(headerLines, lines.size()), lines.size());
        }
        catch (final IOException ex)
        {
            return List.of();
        }
    }

    private static void writeFile(final Path file, final String value)
    {
        try
        {
            Files.writeString(file, value);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write '" + value.trim() + "' to " + file + ": " +
                ex.getMessage() + " (binding needs root)", ex);
        }
    }
}
