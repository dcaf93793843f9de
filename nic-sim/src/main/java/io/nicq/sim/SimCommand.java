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

    @Option(names = "--idle", defaultValue = "backoff", paramLabel = "STRATEGY",
        description = "Device loop idle strategy: " + IdleStrategies.NAMES + ".")
    String idle;

    @Option(names = "--mac", paramLabel = "MAC",
        description = "The card's unicast MAC address, six hex octets like 02:00:00:00:00:01 (default: locally " +
            "administered, derived from the card name).")
    String mac;

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
            try (ShutdownSignalBarrier barrier = new ShutdownSignalBarrier();
                SimulatedCard simulated = SimulatedCard.launch(ctx))
            {
                System.out.println("nicq sim: card '" + card + "' running as " + simulated.files() + ": pid " +
                    ProcessHandle.current().pid() + ", wire " + simulated.wire().description() + ", mac " +
                    simulated.macAddress() + ", idle " + idle + ", line rate " +
                    (ctx.lineRate() == 0 ? "unpaced" : lineRate) + ", files " + simulated.files().root());
                System.out.flush();
                barrier.await();
                System.out.println("nicq sim: card '" + card + "' stopping");
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

    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new SimCommand()).execute(args));
    }
}
