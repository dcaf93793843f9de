package io.nicq.ixgbe;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Where a simulated card keeps its state, and the layout of its {@code bar0} file: what a driver needs to reach a
 * simulated card, shared by the drivers ({@link Nic#open}) and the card itself (nic-sim).
 * <pre>
 *   /dev/shm/nicq-sim/&lt;card&gt;/
 *       bar0     the register file: BAR_SIZE bytes of registers, then one status page (below)
 *       iommu    the IOMMU table: which IOVA ranges map to which shared-memory files
 *       dma/     DMA memory allocated for this card by drivers that did not name a file
 *       card.pid the process playing the card, if it runs as its own process
 *
 *   status page at BAR_SIZE (each field 8 bytes, little endian):
 *     0  magic 'NICQSIM1'          40  driver reads of write-only registers
 *     8  pid of the device loop     48  DMA faults (address outside the IOMMU table)
 *    16  device heartbeat (ns)      56  malformed descriptors
 *    24  register write generation  64  device state: 0 stopped, 1 running
 *    32  driver writes to read-only registers
 * </pre>
 * The root moves with the system property {@code nicq.sim.dir} (tests use a private directory).
 */
public final class SimulatedCardFiles
{
    public static final String DIR_PROPERTY = "nicq.sim.dir";
    public static final String DEFAULT_DIR = "/dev/shm/nicq-sim";

    public static final long MAGIC = 0x314D49535143494EL; // "NICQSIM1" little endian
    public static final int STATUS_PAGE_OFFSET = Registers.BAR_SIZE;
    public static final int STATUS_PAGE_SIZE = 4096;
    public static final int BAR_FILE_SIZE = STATUS_PAGE_OFFSET + STATUS_PAGE_SIZE;

    public static final int MAGIC_OFFSET = STATUS_PAGE_OFFSET;
    public static final int DEVICE_PID_OFFSET = STATUS_PAGE_OFFSET + 8;
    public static final int DEVICE_HEARTBEAT_OFFSET = STATUS_PAGE_OFFSET + 16;
    public static final int WRITE_GENERATION_OFFSET = STATUS_PAGE_OFFSET + 24;
    public static final int READ_ONLY_WRITES_OFFSET = STATUS_PAGE_OFFSET + 32;
    public static final int WRITE_ONLY_READS_OFFSET = STATUS_PAGE_OFFSET + 40;
    public static final int DMA_FAULTS_OFFSET = STATUS_PAGE_OFFSET + 48;
    public static final int MALFORMED_DESCRIPTORS_OFFSET = STATUS_PAGE_OFFSET + 56;
    public static final int DEVICE_STATE_OFFSET = STATUS_PAGE_OFFSET + 64;

    public static final long DEVICE_STOPPED = 0;
    public static final long DEVICE_RUNNING = 1;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private final String card;
    private final Path root;

    private SimulatedCardFiles(final String card, final Path root)
    {
        this.card = card;
        this.root = root;
    }

    public static SimulatedCardFiles of(final String card)
    {
        return of(card, Path.of(System.getProperty(DIR_PROPERTY, DEFAULT_DIR)));
    }

    public static SimulatedCardFiles of(final String card, final Path baseDir)
    {
        if (card == null || !NAME.matcher(card).matches())
        {
            throw new IllegalArgumentException("card name '" + card +
                "' must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
        return new SimulatedCardFiles(card, baseDir.resolve(card));
    }

    public String card()
    {
        return card;
    }

    public Path root()
    {
        return root;
    }

    public Path barFile()
    {
        return root.resolve("bar0");
    }

    public Path iommuFile()
    {
        return root.resolve("iommu");
    }

    public Path dmaDir()
    {
        return root.resolve("dma");
    }

    public Path pidFile()
    {
        return root.resolve("card.pid");
    }

    public String toString()
    {
        return "sim:" + card;
    }
}
