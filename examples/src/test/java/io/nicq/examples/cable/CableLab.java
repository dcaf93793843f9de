package io.nicq.examples.cable;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import io.nicq.card.CardDriver;
import io.nicq.card.QueueDriverMode;
import io.nicq.client.NicClient;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.sim.SimulatedCard;
import org.agrona.CloseHelper;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * Two nicq hosts in this JVM joined by a simulated cable: on each a simulated 82599 (its device loop on a thread of
 * its own, backing off when idle: two cores are shared by everything), a card driver with thread-mode queue drivers,
 * and a client. Host a is 10.0.0.1, host b 10.0.0.2. Closing closes clients, card drivers and cards in that order.
 */
final class CableLab implements AutoCloseable
{
    static final String IP_A = "10.0.0.1";
    static final String IP_B = "10.0.0.2";

    final String id = UUID.randomUUID().toString().substring(0, 6);
    private final Path dir;
    private final String previousSimDir;
    private final ByteArrayOutputStream logA = new ByteArrayOutputStream();
    private final ByteArrayOutputStream logB = new ByteArrayOutputStream();
    SimulatedCard cardA;
    SimulatedCard cardB;
    CardDriver driverA;
    CardDriver driverB;
    NicClient clientA;
    NicClient clientB;

    private CableLab(final Path dir)
    {
        this.dir = dir;
        this.previousSimDir = System.getProperty(SimulatedCardFiles.DIR_PROPERTY);
    }

    /** Two hosts; {@code cardOptions} configures both cards (e.g. faults on their wires). */
    static CableLab open(final Path dir, final UnaryOperator<SimulatedCard.Context> cardOptions)
    {
        final CableLab lab = new CableLab(dir);
        try
        {
            // Inline queue drivers open a card by its spec (sim:NAME), which resolves under nicq.sim.dir.
            System.setProperty(SimulatedCardFiles.DIR_PROPERTY, dir.resolve("sim").toString());
            lab.cardA = card(dir, cardOptions, "a-" + lab.id, "cable:" + lab.id + ":a");
            lab.cardB = card(dir, cardOptions, "b-" + lab.id, "cable:" + lab.id + ":b");
            lab.driverA = driver(dir, lab.cardA, "a-" + lab.id, IP_A, lab.logA);
            lab.driverB = driver(dir, lab.cardB, "b-" + lab.id, IP_B, lab.logB);
            lab.clientA = client(dir, "a-" + lab.id);
            lab.clientB = client(dir, "b-" + lab.id);
            return lab;
        }
        catch (final RuntimeException ex)
        {
            lab.close();
            throw ex;
        }
    }

    private static SimulatedCard card(
        final Path dir, final UnaryOperator<SimulatedCard.Context> options, final String name, final String wire)
    {
        return SimulatedCard.launch(options.apply(new SimulatedCard.Context()
            .cardName(name)
            .baseDir(dir.resolve("sim"))
            .wireSpec(wire)
            .idleStrategy(idle())));
    }

    private static CardDriver driver(
        final Path dir, final SimulatedCard card, final String instance, final String ip,
        final ByteArrayOutputStream log)
    {
        return CardDriver.launch(new CardDriver.Context()
            .instance(instance)
            .baseDir(dir.resolve("nicq"))
            .nicSpec(card.files().toString())
            .ipv4(ip + "/24")
            .queueDriverMode(QueueDriverMode.THREAD)
            .queueDriverIdle("backoff")
            .logDir(dir.resolve("logs"))
            .out(new PrintStream(log, true, StandardCharsets.UTF_8)));
    }

    private static NicClient client(final Path dir, final String instance)
    {
        return NicClient.connect(new NicClient.Context()
            .instance(instance)
            .baseDir(dir.resolve("nicq"))
            .name("cable-" + instance)
            .requestTimeout(10, TimeUnit.SECONDS)
            .queueActivationTimeout(10, TimeUnit.SECONDS));
    }

    /** The application loops' idle strategy: park soon, two cores are shared by six loops here. */
    static IdleStrategy idle()
    {
        return new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100));
    }

    String logs()
    {
        return "\ncard driver a:\n" + logA.toString(StandardCharsets.UTF_8) + "\ncard driver b:\n" +
            logB.toString(StandardCharsets.UTF_8);
    }

    public void close()
    {
        CloseHelper.quietCloseAll(clientA, clientB, driverA, driverB, cardA, cardB);
        if (previousSimDir == null)
        {
            System.clearProperty(SimulatedCardFiles.DIR_PROPERTY);
        }
        else
        {
            System.setProperty(SimulatedCardFiles.DIR_PROPERTY, previousSimDir);
        }
    }
}
