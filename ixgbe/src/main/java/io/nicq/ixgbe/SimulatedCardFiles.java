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
 *   status page at BAR_SIZE (each field 8 bytes, little endian; written by the device unless noted):
 *     0  magic 'NICQSIM1'                    72  frames dropped by the MAC address filter
 *     8  pid of the device loop              80  frames dropped: receiver disabled or link down
 *    16  device heartbeat (epoch ns)         88  frames the wire could not take (full, or no peer)
 *    24  register write generation (driver)  96  frames put on the wire
 *    32  driver writes to read-only regs    104  frames taken from the wire
 *    40  driver reads of write-only regs    112  last write generation the device has acted on
 *    48  DMA faults (outside the IOMMU)     120  IOMMU entries reclaimed from dead owners
 *    56  malformed descriptors / rings      128  RX queues enabled: bitmap of 128 bits (2 longs)
 *    64  device state: 0 stopped, 1 running 144  TX queues enabled: bitmap of 128 bits (2 longs)
 *
 *    256  frames the fault injector dropped      264  frames it duplicated      272  frames it reordered
 *    280  frames it corrupted (one bit flipped)  288  its seed                  296  1 when faults are injected
 *         (nic-sim's WireFaults, on the card's egress: injected on the wire, never counted as the MAC's errors)
 *
 *    512  RX packet buffer left to TC 0 by the flow director (bytes)   520  RXPBSIZE overlapping the filter table
 *    528  FDIRCMD.CLEARHT written since the device last looked (written by SimulatedBar)
 *    536  driver errors: what the datasheet forbids a driver and the part answers by misbehaving (a head write-back
 *         address not 16-byte aligned, ...); counted by the device and by SimulatedBar
 *    544  PFQDE's per-queue QDE bits (2 longs), 560 its HIDE_VLAN bits (2 longs): the indirect register's state,
 *         written by SimulatedBar
 *    576  interrupt latch (4 bytes, written by SimulatedBar): the EICS and EIMS bits written since the device last
 *         looked, so that it raises a cause set by software, or unmasked while set, exactly once
 *    640  interrupt vector v's futex word at 640 + 4v (v = 0..15, 4 bytes each): the interrupts delivered on it, a
 *         counter a waiter sleeps on with FUTEX_WAIT (FutexInterruptVector), bumped and woken by the device
 *    704  doorbell futex word (4 bytes): bumped by SimulatedBar on every register write, for an idle device loop
 *    708  doorbell sleepers (4 bytes): device loops asleep on it; a write makes the wake-up call only when non-zero
 *   1024  per RX queue q at 1024 + 8q: frames dropped for want of a descriptor (never cleared)
 *   2048  per RX queue q at 2048 + 8q: frames written to the queue's ring
 *   3072  per TX queue q at 3072 + 8q: frames transmitted from the queue's ring
 * </pre>
 * The per-queue counters exist because the 82599 has only 16 per-queue statistics sets (RQSMR/TQSM map queues to
 * them): these let every one of the 128 queues be observed. The enabled bitmaps are what {@link SimulatedBar} merges
 * into RXDCTL/TXDCTL.ENABLE on a read, so that ENABLE reads back set only once the device has enabled the queue.
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

    public static final int L2_FILTERED_OFFSET = STATUS_PAGE_OFFSET + 72;
    public static final int RX_DISABLED_DROPS_OFFSET = STATUS_PAGE_OFFSET + 80;
    public static final int WIRE_SEND_FAILURES_OFFSET = STATUS_PAGE_OFFSET + 88;
    public static final int WIRE_FRAMES_SENT_OFFSET = STATUS_PAGE_OFFSET + 96;
    public static final int WIRE_FRAMES_RECEIVED_OFFSET = STATUS_PAGE_OFFSET + 104;
    public static final int ACTED_GENERATION_OFFSET = STATUS_PAGE_OFFSET + 112;
    public static final int IOMMU_RECLAIMED_OFFSET = STATUS_PAGE_OFFSET + 120;
    public static final int RX_ENABLED_BITMAP_OFFSET = STATUS_PAGE_OFFSET + 128;
    public static final int TX_ENABLED_BITMAP_OFFSET = STATUS_PAGE_OFFSET + 144;
    /**
     * Fragments shorter than 12 bytes the MAC dropped: no statistics register counts them (82599 specification update,
     * clarification 18), so only the simulated card's status page does.
     */
    public static final int RX_FRAGMENTS_OFFSET = STATUS_PAGE_OFFSET + 160;
    /** Fault injection on the simulated card's wire (nic-sim's {@code WireFaults}): what it did to egress frames. */
    public static final int FAULT_DROPS_OFFSET = STATUS_PAGE_OFFSET + 256;
    public static final int FAULT_DUPLICATES_OFFSET = STATUS_PAGE_OFFSET + 264;
    public static final int FAULT_REORDERS_OFFSET = STATUS_PAGE_OFFSET + 272;
    public static final int FAULT_CORRUPTIONS_OFFSET = STATUS_PAGE_OFFSET + 280;
    public static final int FAULT_SEED_OFFSET = STATUS_PAGE_OFFSET + 288;
    public static final int FAULT_ENABLED_OFFSET = STATUS_PAGE_OFFSET + 296;
    /** The simulated card's flow director (7.1.2.7): the RX packet buffer left to traffic class 0 once the filter
     * table took its share (bytes), and how often the programmed RXPBSIZE overlapped the table's share. */
    public static final int RX_PACKET_BUFFER_BYTES_OFFSET = STATUS_PAGE_OFFSET + 512;
    public static final int FDIR_PACKET_BUFFER_OVERLAPS_OFFSET = STATUS_PAGE_OFFSET + 520;
    /** Set by {@link SimulatedBar} when a driver writes FDIRCMD with CLEARHT (a pulse the device must not miss). */
    public static final int FDIR_CLEAR_LATCH_OFFSET = STATUS_PAGE_OFFSET + 528;
    /**
     * Driver errors: programming the datasheet forbids, which the part answers by misbehaving as the datasheet allows
     * (the simulated card does the same and counts it here): see nic-sim's README for the list.
     */
    public static final int DRIVER_ERRORS_OFFSET = STATUS_PAGE_OFFSET + 536;
    /**
     * The per-queue state behind the indirect PFQDE register (8.2.3.27.9), kept by {@link SimulatedBar}: QDE of the
     * 128 queues (2 longs), then HIDE_VLAN (2 longs).
     */
    public static final int PFQDE_QDE_BITMAP_OFFSET = STATUS_PAGE_OFFSET + 544;
    public static final int PFQDE_HIDE_VLAN_BITMAP_OFFSET = STATUS_PAGE_OFFSET + 560;
    /**
     * The EICS and EIMS bits a driver wrote since the device last looked (4 bytes, OR-ed in by {@link SimulatedBar}):
     * a cause software sets, or unmasks while it is set, is a new interrupt to deliver (8.2.3.5.2/3).
     */
    public static final int INTERRUPT_LATCH_OFFSET = STATUS_PAGE_OFFSET + 576;
    /**
     * The wake words of interrupt vectors 0..15 ({@link io.nicq.runtime.WakeWord}, 8 bytes each): a count of the
     * interrupts the device delivered on the vector (wrapping), which a waiter in any process sleeps on, and the count
     * of waiters, so the device makes the wake-up call only when someone sleeps.
     */
    public static final int INTERRUPT_WORDS_OFFSET = STATUS_PAGE_OFFSET + 640;
    /**
     * The doorbell's wake word (8 bytes, {@link Doorbell}): {@link SimulatedBar} rings it on every register write
     * (tails included), so an idle device loop may sleep on it; nothing on silicon corresponds to it.
     */
    public static final int DOORBELL_WORD_OFFSET = STATUS_PAGE_OFFSET + 768;
    public static final int RX_QUEUE_DROPS_OFFSET = STATUS_PAGE_OFFSET + 1024;
    public static final int RX_QUEUE_FRAMES_OFFSET = STATUS_PAGE_OFFSET + 2048;
    public static final int TX_QUEUE_FRAMES_OFFSET = STATUS_PAGE_OFFSET + 3072;

    /** A heartbeat older than this means the device loop is gone (or hung). */
    public static final long HEARTBEAT_TIMEOUT_NS = 5_000_000_000L;
    /** How often a running device loop refreshes its heartbeat. */
    public static final long HEARTBEAT_INTERVAL_NS = 100_000_000L;

    public static final long DEVICE_STOPPED = 0;
    public static final long DEVICE_RUNNING = 1;

    /** Offset of interrupt vector v's futex word in the bar0 file (v < {@link Registers#QUEUE_VECTOR_COUNT}). */
    public static int interruptWordOffset(final int vector)
    {
        if (vector < 0 || vector >= Registers.QUEUE_VECTOR_COUNT)
        {
            throw new IllegalArgumentException("interrupt vector " + vector + " is outside 0.." +
                (Registers.QUEUE_VECTOR_COUNT - 1) + " (the simulated card raises only EICR's queue vectors)");
        }
        return INTERRUPT_WORDS_OFFSET + io.nicq.runtime.WakeWord.LENGTH * vector;
    }

    /** Offset of the per-queue drop counter of RX queue q in the bar0 file. */
    public static int rxQueueDropsOffset(final int queue)
    {
        return RX_QUEUE_DROPS_OFFSET + 8 * queue;
    }

    /** Offset of the per-queue received-frame counter of RX queue q in the bar0 file. */
    public static int rxQueueFramesOffset(final int queue)
    {
        return RX_QUEUE_FRAMES_OFFSET + 8 * queue;
    }

    /** Offset of the per-queue transmitted-frame counter of TX queue q in the bar0 file. */
    public static int txQueueFramesOffset(final int queue)
    {
        return TX_QUEUE_FRAMES_OFFSET + 8 * queue;
    }

    /** The current time in the heartbeat's unit (epoch ns), comparable across processes. */
    public static long heartbeatNow()
    {
        return System.currentTimeMillis() * 1_000_000L;
    }

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
        return of(card, defaultBaseDir());
    }

    public static SimulatedCardFiles of(final String card, final Path baseDir)
    {
        if (card == null || !NAME.matcher(card).matches())
        {
            throw new IllegalArgumentException("card name '" + card +
                "' must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
        return new SimulatedCardFiles(card, baseDir.toAbsolutePath().normalize().resolve(card));
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

    /** The directory all simulated cards of this base directory share (cables live under it). */
    public Path baseDir()
    {
        return root.getParent();
    }

    /**
     * The shared file of a cable between two cards of the same base directory. The directory name starts with '_',
     * which no card name may, so a cable can never collide with a card.
     */
    public static Path cableFile(final Path baseDir, final String cable)
    {
        if (cable == null || !NAME.matcher(cable).matches())
        {
            throw new IllegalArgumentException("cable name '" + cable +
                "' must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
        return baseDir.resolve("_cables").resolve(cable);
    }

    /** The base directory from the system property {@value #DIR_PROPERTY}, else {@value #DEFAULT_DIR}. */
    public static Path defaultBaseDir()
    {
        return Path.of(System.getProperty(DIR_PROPERTY, DEFAULT_DIR));
    }

    public String toString()
    {
        return "sim:" + card;
    }
}
