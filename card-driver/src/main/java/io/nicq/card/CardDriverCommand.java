package io.nicq.card;

import io.nicq.ixgbe.Registers;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.nicq.packet.Ipv4Address;
import io.nicq.runtime.IdleStrategies;
import org.agrona.concurrent.ShutdownSignalBarrier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code nicq card-driver}: runs a card driver until SIGTERM or SIGINT, then stops it in order (queues revoked and
 * disabled, filters cleared, queue drivers stopped, files removed).
 */
@Command(
    name = "card-driver",
    mixinStandardHelpOptions = true,
    description = {
        "Owns an 82599 (simulated or real): global init, hardware filters, queue drivers, the control server " +
            "(SBE on Aeron IPC), the default queue (ARP, ICMP echo, neighbour resolution) and counters.",
        "Stops in order on SIGTERM/SIGINT; a stale instance left by kill -9 is cleaned at the next start."})
public final class CardDriverCommand implements Callable<Integer>
{
    /** The control plane's default idle: sleep on the control wake file until rung or a timer is due. */
    static final String DOORBELL = "doorbell";

    @Option(names = "--instance", defaultValue = CardDriver.Context.DEFAULT_INSTANCE,
        description = "Instance name: the directory under the nicq root (default: ${DEFAULT-VALUE}).")
    String instance;

    @Option(names = "--nic", defaultValue = CardDriver.Context.DEFAULT_NIC,
        description = "The card: sim:NAME, pci:ADDRESS or vfio:ADDRESS (default: ${DEFAULT-VALUE}).")
    String nic;

    @Option(names = "--ip", required = true, description = "The card's address and prefix, e.g. 10.0.0.1/24.")
    String ip;

    @Option(names = "--gateway", description = "Default gateway for neighbour resolution off the subnet.")
    String gateway;

    @Option(names = "--queue-driver-mode", defaultValue = "process",
        description = "Where queue drivers run: process or thread (default: ${DEFAULT-VALUE}).")
    String queueDriverMode;

    @Option(names = "--read-only-rx-ring", negatable = true, fallbackValue = "true",
        defaultValue = "" + CardDriver.Context.DEFAULT_QUEUE_DRIVER_READ_ONLY_RX_RING,
        description = "Queue drivers of granted queues expose their RX descriptor ring read-only to the client, " +
            "which takes received frames from it itself; --no-read-only-rx-ring: they hand each frame over on the " +
            "channel's rxReady ring (default: ${DEFAULT-VALUE}).")
    boolean readOnlyRxRing;

    @Option(names = "--aeron-dir",
        description = "Use the media driver at this directory instead of embedding one in the instance directory.")
    String aeronDir;

    @Option(names = "--idle", defaultValue = "adaptive",
        description = "Idle strategy of queue drivers: " + IdleStrategies.NAMES + " (default: ${DEFAULT-VALUE}).")
    String idle;

    @Option(names = "--control-idle", defaultValue = DOORBELL,
        description = "How the control plane's thread (conductor and media driver) idles: " + DOORBELL + " (sleeps " +
        "until a client's request rings it or a timer is due) or a polling strategy: " + IdleStrategies.NAMES +
        " (default: ${DEFAULT-VALUE}).")
    String controlIdle;

    @Option(names = "--default-queue-idle", defaultValue = "adaptive",
        description = "Idle strategy of queue 0's driver thread (ARP, ping, unfiltered traffic): " +
        IdleStrategies.NAMES + " (default: ${DEFAULT-VALUE}).")
    String defaultQueueIdle;

    @Option(names = "--mtu", defaultValue = "1500", description = "IP MTU told to clients (default: ${DEFAULT-VALUE}).")
    int mtu;

    @Option(names = "--client-timeout-ms", defaultValue = "1000",
        description = "A client silent this long loses its queues and filters (default: ${DEFAULT-VALUE}).")
    long clientTimeoutMs;

    @Option(names = "--link-timeout-ms", defaultValue = "10000",
        description = "How long to wait for the link at start (default: ${DEFAULT-VALUE}).")
    long linkTimeoutMs;

    @Option(names = "--flow-director", defaultValue = "8k",
        description = "Flow director perfect-match filters beyond the 128 5-tuple filters: 8k, 4k, 2k (256, 128, 64 " +
        "KiB of the RX packet buffer) or off (default: ${DEFAULT-VALUE}).")
    String flowDirector;

    @Option(names = "--flow-director-match", defaultValue = "connections",
        description = "What the flow director holds (its masks are global): connections (TCP connection filters) " +
        "or ports (UDP and TCP port filters) (default: ${DEFAULT-VALUE}).")
    String flowDirectorMatch;

    @Option(names = "--software-filters", defaultValue = "16384",
        description = "Filters the default queue matches in software once the hardware is full, copying their " +
        "frames to the owner's queue; 0 for none (default: ${DEFAULT-VALUE}).")
    int softwareFilters;

    @Option(names = "--dir", description = "Root of the instances (default: /dev/shm/nicq or -Dnicq.dir).")
    Path baseDir;

    @Option(names = "--log-dir",
        description = "Where queue driver processes log (default: $TMPDIR/nicq-logs/<instance>).")
    Path logDir;

    public Integer call()
    {
        final CardDriver.Context ctx = new CardDriver.Context()
            .instance(instance)
            .nicSpec(nic)
            .ipv4(ip)
            .queueDriverMode(parseMode(queueDriverMode))
            .queueDriverReadOnlyRxRing(readOnlyRxRing)
            .aeronDirectoryName(aeronDir)
            .queueDriverIdle(checkIdle(idle))
            .conductorIdleStrategy(DOORBELL.equals(controlIdle) ? null : IdleStrategies.of(controlIdle))
            .defaultQueueIdle(checkIdle(defaultQueueIdle))
            .mtu(mtu)
            .clientTimeoutNs(TimeUnit.MILLISECONDS.toNanos(clientTimeoutMs))
            .linkTimeoutNs(TimeUnit.MILLISECONDS.toNanos(linkTimeoutMs))
            .flowDirectorAllocation(parseFlowDirector(flowDirector))
            .flowDirectorMatch(parseFlowDirectorMatch(flowDirectorMatch))
            .softwareFilterLimit(softwareFilters)
            .baseDir(baseDir)
            .logDir(logDir);
        if (gateway != null)
        {
            ctx.gateway(Ipv4Address.parse(gateway));
        }

        final AtomicReference<String> cardFailure = new AtomicReference<>();
        try (ShutdownSignalBarrier barrier = new ShutdownSignalBarrier())
        {
            ctx.cardFailureHandler(failure ->
            {
                cardFailure.set(failure);
                barrier.signal();
            });
            try (CardDriver ignore = CardDriver.launch(ctx))
            {
                barrier.await();
            }
        }
        if (cardFailure.get() != null)
        {
            System.err.println("nicq card-driver: stopped because the card failed: " + cardFailure.get());
            return 1;
        }
        return 0;
    }

    private static QueueDriverMode parseMode(final String mode)
    {
        return switch (mode.toLowerCase())
        {
            case "process" -> QueueDriverMode.PROCESS;
            case "thread" -> QueueDriverMode.THREAD;
            default -> throw new IllegalArgumentException("--queue-driver-mode must be process or thread, not '" +
                mode + "'");
        };
    }

    private static int parseFlowDirector(final String size)
    {
        return switch (size.toLowerCase())
        {
            case "8k" -> Registers.FDIRCTRL_PBALLOC_256K;
            case "4k" -> Registers.FDIRCTRL_PBALLOC_128K;
            case "2k" -> Registers.FDIRCTRL_PBALLOC_64K;
            case "off" -> Registers.FDIRCTRL_PBALLOC_NONE;
            default -> throw new IllegalArgumentException("--flow-director must be 8k, 4k, 2k or off, not '" + size +
                "'");
        };
    }

    private static FlowDirectorMatch parseFlowDirectorMatch(final String match)
    {
        return switch (match.toLowerCase())
        {
            case "connections" -> FlowDirectorMatch.CONNECTIONS;
            case "ports" -> FlowDirectorMatch.PORTS;
            default -> throw new IllegalArgumentException("--flow-director-match must be connections or ports, not '" +
                match + "'");
        };
    }

    private static String checkIdle(final String idle)
    {
        IdleStrategies.of(idle);
        return idle;
    }
}
