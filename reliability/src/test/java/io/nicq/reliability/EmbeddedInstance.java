package io.nicq.reliability;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import io.nicq.card.CardDriver;
import io.nicq.card.CountersFile;
import io.nicq.card.QueueDriverMode;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.ixgbe.SimulatedNic;
import io.nicq.proto.InstancePaths;
import io.nicq.sim.MemoryWire;
import io.nicq.sim.SimulatedCard;
import org.agrona.CloseHelper;
import org.agrona.concurrent.status.CountersReader;

/**
 * One nicq instance in this JVM, in a private directory: a simulated card whose port is a memory wire (the test is
 * the far end: it injects frames and takes what the card sent), and a card driver on it with queue drivers as
 * threads. The card driver's log is captured, so tests can assert that nothing went wrong inside it.
 */
final class EmbeddedInstance implements AutoCloseable
{
    static final String CARD_ADDRESS = "10.0.0.1/24";
    static final int CARD_IP = 0x0A000001;
    static final int PEER_IP = 0x0A000002;
    static final long PEER_MAC = 0x02_00_00_00_00_99L;

    final Path root;
    final String name;
    final SimulatedCard card;
    final SimulatedNic nic;
    final CardDriver driver;
    private final BoundedLog log = new BoundedLog();
    private final AtomicLong agentErrors = new AtomicLong();
    private volatile Throwable firstAgentError;
    private CountersFile counters;

    private EmbeddedInstance(final Path root, final String name, final Consumer<CardDriver.Context> customise)
    {
        this.root = root;
        this.name = name;
        SimulatedCard startedCard = null;
        SimulatedNic openedNic = null;
        try
        {
            startedCard = SimulatedCard.launch(new SimulatedCard.Context().cardName(name)
                .baseDir(root.resolve("sim")).wireSpec("memory"));
            openedNic = startedCard.openNic();
            final CardDriver.Context ctx = new CardDriver.Context()
                .instance(name)
                .baseDir(root.resolve("nicq"))
                .nic(openedNic)
                .ipv4(CARD_ADDRESS)
                .queueDriverMode(QueueDriverMode.THREAD)
                .queueDriverIdle("backoff")
                .logDir(root.resolve("logs"))
                .out(new PrintStream(log, true, StandardCharsets.UTF_8))
                .errorHandler(this::onAgentError);
            customise.accept(ctx);
            this.driver = CardDriver.launch(ctx);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(openedNic, startedCard);
            throw ex;
        }
        this.card = startedCard;
        this.nic = openedNic;
    }

    static EmbeddedInstance start(final Path root, final String name)
    {
        return new EmbeddedInstance(root, name, ctx -> { });
    }

    static EmbeddedInstance start(final Path root, final String name, final Consumer<CardDriver.Context> customise)
    {
        return new EmbeddedInstance(root, name, customise);
    }

    /**
     * For tests whose clients are raw channel ends ({@link ChannelModel}, control-proto's ChannelEndpoint) that take
     * frames from rxReady: the queue drivers hand every frame over there, as with the read-only RX ring off. The
     * ring's own refusals (lying consumer positions, forged slots) are queue-driver's ReadOnlyRxRingTest and
     * client-lib's ReadOnlyRxRingIT.
     */
    static CardDriver.Context rxReadyClients(final CardDriver.Context ctx)
    {
        return ctx.queueDriverReadOnlyRxRing(false);
    }

    String aeronDir()
    {
        return driver.aeronDirectoryName();
    }

    InstancePaths paths()
    {
        return driver.context().paths();
    }

    SimulatedCardFiles simFiles()
    {
        return card.files();
    }

    MemoryWire wire()
    {
        return card.memoryWire();
    }

    /** The card's MAC in the protocol's form (first octet most significant), as frames carry it. */
    long cardMac()
    {
        return card.mac();
    }

    long status(final int statusOffset)
    {
        return card.status(statusOffset);
    }

    /** The last lines of the card driver's log. */
    String log()
    {
        return log.tail();
    }

    /**
     * What went wrong inside the card driver: exceptions that escaped its conductor agent, and the log lines of
     * requests or commands that failed internally. Empty when nothing did.
     */
    String internalErrors()
    {
        final StringBuilder errors = new StringBuilder();
        if (agentErrors.get() > 0)
        {
            errors.append(agentErrors.get()).append(" exceptions escaped the conductor, the first: ")
                .append(firstAgentError).append('\n');
        }
        for (final String line : log.errors())
        {
            errors.append(line).append('\n');
        }
        return errors.toString();
    }

    private void onAgentError(final Throwable throwable)
    {
        if (agentErrors.getAndIncrement() == 0)
        {
            firstAgentError = throwable;
        }
    }

    LeakSnapshot snapshot()
    {
        return LeakSnapshot.take(paths(), simFiles());
    }

    /** A counter of the card driver by its label, read live from its counters file (cheap: no GC, no file walk). */
    long counter(final String label)
    {
        final long value = find(label, false);
        if (value == Long.MIN_VALUE)
        {
            throw new IllegalStateException("the card driver has no counter '" + label + "'");
        }
        return value;
    }

    /** The counter whose label starts with {@code prefix} (labels of queue counters end with their stats set). */
    long counterStartingWith(final String prefix)
    {
        final long value = find(prefix, true);
        if (value == Long.MIN_VALUE)
        {
            throw new IllegalStateException("the card driver has no counter '" + prefix + "...'");
        }
        return value;
    }

    private long find(final String label, final boolean prefix)
    {
        if (counters == null)
        {
            counters = CountersFile.openReadOnly(paths().countersFile());
        }
        final CountersReader reader = counters.reader();
        final long[] value = {Long.MIN_VALUE};
        reader.forEach((counterId, typeId, keyBuffer, counterLabel) ->
        {
            if (prefix ? counterLabel.startsWith(label) : counterLabel.equals(label))
            {
                value[0] = reader.getCounterValue(counterId);
            }
        });
        return value[0];
    }

    public void close()
    {
        CloseHelper.quietCloseAll(counters, driver, nic, card);
    }
}
