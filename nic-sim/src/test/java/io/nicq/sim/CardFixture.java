package io.nicq.sim;

import java.nio.file.Path;

/** A manually driven card on a memory wire, with a test driver attached: the usual start of a test. */
final class CardFixture implements AutoCloseable
{
    final SimulatedCard card;
    final TestDriver driver;

    private CardFixture(final SimulatedCard card)
    {
        this.card = card;
        this.driver = new TestDriver(card.openNic(), card::doWork);
    }

    static CardFixture launch(final SimulatedCard.Context ctx)
    {
        return new CardFixture(SimulatedCard.launch(ctx.manualDrive(true)));
    }

    /** A manually driven card on a memory wire, initialised by the driver (not promiscuous). */
    static CardFixture memory(final Path dir, final String name)
    {
        return memory(new SimulatedCard.Context(), dir, name);
    }

    /**
     * The same, not {@link SimulatedCard.Context#strict strict}: for tests that misprogram the card on purpose and
     * assert what it counted.
     */
    static CardFixture provoked(final Path dir, final String name)
    {
        return memory(new SimulatedCard.Context().strict(false), dir, name);
    }

    private static CardFixture memory(final SimulatedCard.Context ctx, final Path dir, final String name)
    {
        final CardFixture fixture = launch(ctx.cardName(name).baseDir(dir).wireSpec("memory"));
        fixture.driver.init(false);
        return fixture;
    }

    MemoryWire wire()
    {
        return card.memoryWire();
    }

    /** Runs the device loop until it has nothing left to do (bounded). */
    void settle()
    {
        for (int i = 0; i < 1000; i++)
        {
            if (card.doWork() == 0 && card.doWork() == 0)
            {
                return;
            }
        }
        throw new AssertionError("the device loop kept finding work for 1000 iterations");
    }

    long status(final int offset)
    {
        return card.status(offset);
    }

    public void close()
    {
        try
        {
            driver.close();
        }
        finally
        {
            card.close();
        }
    }
}
