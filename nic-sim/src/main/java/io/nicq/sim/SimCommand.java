package io.nicq.sim;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.agrona.concurrent.ShutdownSignalBarrier;

import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.runtime.IdleStrategies;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code nicq sim}: a simulated 82599 as its own process, the way a real card outlives the drivers that use it. Writes
 * {@code card.pid}, removes what a dead card of the same name left behind, refuses to start over a live one, logs one
 * line when it runs, and on SIGTERM or Ctrl-C stops its device loop and removes its files.
 */
@Command(
    name = "sim",
    mixinStandardHelpOptions = true,
    description = {
        "Runs a simulated Intel 82599 10 GbE card: registers in a shared bar0 file, DMA through an IOMMU table, " +
        "a port plugged into a cable (to another simulated card), a TAP device (to the Linux kernel) or nothing.",
        "Drivers attach with --nic sim:NAME. Stop it with Ctrl-C or SIGTERM."})
public final class SimCommand implements Callable<Integer>
{
    @Option(names = "--card", required = true, paramLabel = "NAME",
        description = "Card name: its files live in DIR/NAME and drivers open it as sim:NAME.")
    String card;

    @Option(names = "--wire", defaultValue = "none", paramLabel = "WIRE",
        description = "cable:NAME:a | cable:NAME:b (to the card on the other end), tap:IFNAME (to the kernel; " +
            "needs root), none (default: ${DEFAULT-VALUE}).")
    String wire;

    @Option(names = "--pcap", paramLabel = "FILE", description = "Capture every frame on the wire to a pcap file.")
    Path pcap;

    @Option(names = "--line-rate", defaultValue = "0", paramLabel = "RATE",
        description = "Pace transmission to a line rate such as 10g (64-byte frames: 14.88 Mpps); 0 = unpaced " +
            "(default).")
    String lineRate;

    @Option(names = "--idle", defaultValue = "adaptive", paramLabel = "STRATEGY",
        description = "Device loop idle strategy: " + IdleStrategies.NAMES + ".")
    String idle;

    @Option(names = "--mac", paramLabel = "MAC",
        description = "The card's unicast MAC address, six hex octets like 02:00:00:00:00:01 (default: locally " +
            "administered, derived from the card name).")
    String mac;

    @Option(names = "--drop", defaultValue = "0", paramLabel = "P",
        description = "Fault injection on what the card transmits: probability that a frame is lost, a fraction " +
            "0..1 (0.02) or a percentage (2%%). Default 0.")
    String drop;

    @Option(names = "--duplicate", defaultValue = "0", paramLabel = "P",
        description = "Probability that a transmitted frame goes out twice (0..1 or N%%). Default 0.")
    String duplicate;

    @Option(names = "--reorder", defaultValue = "0", paramLabel = "P",
        description = "Probability that a transmitted frame is held back until --reorder-distance later frames " +
            "have overtaken it, or --reorder-timeout-us has passed (0..1 or N%%). Default 0.")
    String reorder;

    @Option(names = "--reorder-distance", paramLabel = "FRAMES",
        defaultValue = "" + WireFaults.Context.DEFAULT_REORDER_DISTANCE,
        description = "Later frames that overtake a held one before it goes out, 1..1024 (default: " +
            "${DEFAULT-VALUE}).")
    int reorderDistance;

    @Option(names = "--reorder-timeout-us", paramLabel = "US",
        defaultValue = "" + WireFaults.Context.DEFAULT_REORDER_TIMEOUT_NS / 1000,
        description = "Longest a frame is held when too few follow it, in microseconds, up to 1000000 (default: " +
            "${DEFAULT-VALUE}).")
    long reorderTimeoutUs;

    @Option(names = "--corrupt", defaultValue = "0", paramLabel = "P",
        description = "Probability that a transmitted IPv4 frame has one bit of its datagram flipped, for the " +
            "checksums to catch (0..1 or N%%). Default 0.")
    String corrupt;

    @Option(names = "--fault-seed", paramLabel = "SEED",
        description = "Seed of the fault injection (a decimal long, or 0x and hex digits): the same seed and " +
            "traffic give the same faults. Default: random, printed when the card starts.")
    String faultSeed;

    /** Where the fault options apply. */
    enum FaultDirection
    {
        egress, ingress, both
    }

    @Option(names = "--faults-on", defaultValue = "egress", paramLabel = "DIRECTION",
        description = "Where the fault options apply: egress (what the card transmits), ingress (what it receives: " +
            "for a TAP wire on a kernel without tc netem), or both (ingress with the seed + 1). Default egress.")
    FaultDirection faultsOn;

    @Option(names = "--dir", paramLabel = "DIR",
        description = "Base directory of simulated cards (default: -Dnicq.sim.dir or " +
            SimulatedCardFiles.DEFAULT_DIR + ").")
    Path dir;

    /** Picocli (and the nicq launcher) construct it by name. */
    public SimCommand()
    {
    }

    public Integer call()
    {
        final SimulatedCard.Context ctx = new SimulatedCard.Context()
            .cardName(card)
            .baseDir(dir != null ? dir : SimulatedCardFiles.defaultBaseDir())
            .wireSpec(wire)
            .pcapFile(pcap)
            .writePidFile(true);
        try
        {
            ctx.lineRate(LineRatePacer.parseRate(lineRate)).idleStrategy(IdleStrategies.of(idle));
            if (mac != null)
            {
                ctx.mac(mac);
            }
            final WireFaults.Context faults = faults();
            if (faults != null)
            {
                faults.conclude();
                if (faultsOn != FaultDirection.ingress)
                {
                    ctx.wireFaults(faults);
                }
                if (faultsOn != FaultDirection.egress)
                {
                    ctx.ingressFaults(faultsOn == FaultDirection.both ?
                        faults().seed(faults.seed() + 1).conclude() : faults);
                }
            }
            try (ShutdownSignalBarrier barrier = new ShutdownSignalBarrier();
                SimulatedCard simulated = SimulatedCard.launch(ctx))
            {
                System.out.println("nicq sim: card '" + card + "' running as " + simulated.files() + ": pid " +
                    ProcessHandle.current().pid() + ", wire " + simulated.wire().description() + ", mac " +
                    simulated.macAddress() + ", idle " + idle + ", line rate " +
                    (ctx.lineRate() == 0 ? "unpaced" : lineRate) + ", files " + simulated.files().root());
                System.out.flush();
                barrier.await();
                final WireFaults ingress = simulated.ingressFaults();
                System.out.println("nicq sim: card '" + card + "' stopping" +
                    (simulated.wireFaults() == null ? "" :
                    "; faults injected: dropped " + simulated.status(SimulatedCardFiles.FAULT_DROPS_OFFSET) +
                    ", duplicated " + simulated.status(SimulatedCardFiles.FAULT_DUPLICATES_OFFSET) +
                    ", reordered " + simulated.status(SimulatedCardFiles.FAULT_REORDERS_OFFSET) +
                    ", corrupted " + simulated.status(SimulatedCardFiles.FAULT_CORRUPTIONS_OFFSET) + " (seed " +
                    faults.seed() + ")") +
                    (ingress == null ? "" : "; ingress faults injected: dropped " + ingress.dropped() +
                    ", duplicated " + ingress.duplicated() + ", reordered " + ingress.reordered() + ", corrupted " +
                    ingress.corrupted() + " (seed " + ingress.context().seed() + ")"));
                System.out.flush();
            }
            return 0;
        }
        catch (final IllegalArgumentException | IllegalStateException | UncheckedIOException ex)
        {
            System.err.println("nicq sim: " + ex.getMessage());
            return 1;
        }
    }

    /**
     * The fault injection the options ask for, or null when every probability is 0 (a seed alone injects nothing).
     *
     * @throws IllegalArgumentException naming the option whose value is not a probability or a seed
     */
    WireFaults.Context faults()
    {
        final WireFaults.Context faults = new WireFaults.Context()
            .dropProbability(WireFaults.parseProbability("--drop", drop))
            .duplicateProbability(WireFaults.parseProbability("--duplicate", duplicate))
            .reorderProbability(WireFaults.parseProbability("--reorder", reorder))
            .corruptProbability(WireFaults.parseProbability("--corrupt", corrupt));
        if (reorderDistance < 1 || reorderDistance > WireFaults.Context.MAX_REORDER_DISTANCE)
        {
            throw new IllegalArgumentException("--reorder-distance " + reorderDistance + " must be 1.." +
                WireFaults.Context.MAX_REORDER_DISTANCE + " frames");
        }
        if (reorderTimeoutUs <= 0 || reorderTimeoutUs > WireFaults.Context.MAX_REORDER_TIMEOUT_NS / 1000)
        {
            throw new IllegalArgumentException("--reorder-timeout-us " + reorderTimeoutUs + " must be 1.." +
                WireFaults.Context.MAX_REORDER_TIMEOUT_NS / 1000 + " microseconds");
        }
        faults.reorderDistance(reorderDistance).reorderTimeoutNs(reorderTimeoutUs * 1000);
        if (faultSeed != null)
        {
            faults.seed(WireFaults.parseSeed(faultSeed));
        }
        return faults.isActive() ? faults : null;
    }

    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new SimCommand()).execute(args));
    }
}
