package io.nicq.sim;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.FutexInterruptVector;
import io.nicq.ixgbe.SimulatedNic;
import io.nicq.packet.MacAddress;
import org.agrona.concurrent.NanoClock;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.nicq.ixgbe.Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The simulated card raises interrupts as the 82599 does (7.3): causes from RX write-back and TX completion through
 * IVAR, masks, auto-clear, auto-mask, EITR throttling on a test clock, and delivery as a futex wake-up.
 */
class InterruptsTest
{
    private static final long PEER = MacAddress.parse("02:00:00:00:00:01");
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock();

    @Test
    void rxWriteBackRaisesTheVectorIvarNamesAndDeliversItWhenUnmasked()
    {
        try (Card c = new Card("rx"))
        {
            c.msix(0);
            c.bar.write(ivarOf(0), ivarEntry(3) << ivarRxShift(0));
            c.bar.write(EIMS, 1 << 3);
            final long before = c.count(3);
            c.receive();
            assertEquals(before + 1, c.count(3), "vector 3 delivered once");
            assertEquals(1 << 3, c.bar.read(EICS) & EICR_RTX_QUEUE, "its cause is set (no auto-clear)");
            assertEquals(0, c.count(0) - c.start[0], "no other vector");
        }
    }

    @Test
    void theSecondQueueOfAnIvarRegisterUsesItsUpperBytes()
    {
        try (Card c = new Card("rx1"))
        {
            c.msix(0);
            c.bar.write(ivarOf(1), (ivarEntry(6) << ivarRxShift(1)) | (ivarEntry(9) << ivarRxShift(0)));
            c.bar.write(EIMS, EICR_RTX_QUEUE);
            c.receiveOn(1);
            assertEquals(1, c.count(6) - c.start[6]);
            assertEquals(0, c.count(9) - c.start[9], "queue 0's entry is not queue 1's");
        }
    }

    @Test
    void anEntryWithoutTheValidBitRaisesNothing()
    {
        try (Card c = new Card("invalid"))
        {
            c.msix(0);
            c.bar.write(ivarOf(0), 3 << ivarRxShift(0)); // vector 3, INT_ALLOC_VAL clear
            c.bar.write(EIMS, EICR_RTX_QUEUE);
            c.receive();
            assertEquals(0, c.bar.read(EICS));
            assertEquals(0, c.count(3) - c.start[3]);
        }
    }

    @Test
    void txCompletionRaisesTheTxEntryNotTheRxOne()
    {
        try (Card c = new Card("tx"))
        {
            c.msix(0);
            c.bar.write(ivarOf(0), (ivarEntry(2) << ivarRxShift(0)) | (ivarEntry(5) << ivarTxShift(0)));
            c.bar.write(EIMS, EICR_RTX_QUEUE);
            final TestDriver.TxQueue tx = c.driver.startTx(0, 64);
            final int d = tx.send(Frames.udp(PEER, c.card.mac(), Frames.ip("10.0.0.2"), Frames.ip("10.0.0.1"), 1, 2,
                "out".getBytes()));
            c.driver.await(() -> tx.done(d), "TX descriptor done");
            c.fixture.settle();
            assertEquals(1, c.count(5) - c.start[5], "the TX cause's vector");
            assertEquals(0, c.count(2) - c.start[2], "not the RX cause's");
        }
    }

    @Test
    void aMaskedCauseStaysSetAndFiresOnceUnmasked()
    {
        try (Card c = new Card("masked"))
        {
            c.msix(0);
            c.bar.write(ivarOf(0), ivarEntry(1) << ivarRxShift(0));
            c.receive();
            assertEquals(1 << 1, c.bar.read(EICS), "cause set while masked");
            assertEquals(0, c.count(1) - c.start[1], "nothing delivered while masked");
            c.bar.write(EIMS, 1 << 1);
            c.fixture.settle();
            assertEquals(1, c.count(1) - c.start[1], "unmasking a set cause fires it");
            c.bar.write(EIMS, 1 << 1);
            c.fixture.settle();
            assertEquals(1, c.count(1) - c.start[1], "once: the cause is not new");
        }
    }

    @Test
    void aCauseClearedBeforeUnmaskingIsNotDelivered()
    {
        try (Card c = new Card("cleared"))
        {
            c.msix(0);
            c.bar.write(ivarOf(0), ivarEntry(1) << ivarRxShift(0));
            c.receive();
            c.bar.write(EICR, 1 << 1);
            c.bar.write(EIMS, 1 << 1);
            c.fixture.settle();
            assertEquals(0, c.count(1) - c.start[1]);
        }
    }

    @Test
    void eiacClearsTheCauseWhenTheVectorFires()
    {
        try (Card c = new Card("eiac"))
        {
            c.msix(0);
            c.bar.write(EIAC, 1 << 4);
            c.bar.write(ivarOf(0), (ivarEntry(4) << ivarRxShift(0)) | (ivarEntry(7) << ivarRxShift(1)));
            c.bar.write(EIMS, (1 << 4) | (1 << 7));
            c.receive();
            c.receiveOn(1);
            assertEquals(1 << 7, c.bar.read(EICS), "vector 4 auto-cleared, vector 7 (not in EIAC) still set");
            assertEquals(1, c.count(4) - c.start[4]);
            assertEquals(1, c.count(7) - c.start[7]);
        }
    }

    @Test
    void eiamMasksTheVectorWhenItFiresOnlyWithEiame()
    {
        try (Card c = new Card("eiam"))
        {
            c.msix(GPIE_EIAME);
            c.bar.write(EIAC, EICR_RTX_QUEUE);
            c.bar.write(EIAM, 1 << 2);
            c.bar.write(ivarOf(0), ivarEntry(2) << ivarRxShift(0));
            c.bar.write(EIMS, 1 << 2);
            c.receive();
            assertEquals(1, c.count(2) - c.start[2]);
            assertEquals(0, c.bar.read(EIMS) & (1 << 2), "auto-masked");
            c.receive();
            assertEquals(1, c.count(2) - c.start[2], "quiet while masked");
            assertEquals(1 << 2, c.bar.read(EICS), "the new cause waits");
            c.bar.write(EIMS, 1 << 2);
            c.fixture.settle();
            assertEquals(2, c.count(2) - c.start[2], "the driver's unmask delivers it");

            assertEquals(0, c.bar.read(EIMS) & (1 << 2), "auto-masked again");
            c.msix(0); // EIAME off: EIAM no longer applies at assertion
            c.bar.write(EIMS, 1 << 2);
            c.receive();
            assertEquals(3, c.count(2) - c.start[2]);
            assertEquals(1 << 2, c.bar.read(EIMS) & (1 << 2), "still unmasked");
        }
    }

    @Test
    void eicsRaisesAnInterruptOnAnUnmaskedVector()
    {
        try (Card c = new Card("eics"))
        {
            c.msix(0);
            c.bar.write(EIMS, 1 << 8);
            c.bar.write(EICS, (1 << 8) | (1 << 9));
            c.fixture.settle();
            assertEquals(1, c.count(8) - c.start[8]);
            assertEquals(0, c.count(9) - c.start[9], "vector 9 is masked");
        }
    }

    @Test
    void eitrHoldsTheNextInterruptUntilTheIntervalSinceTheLastHasPassed()
    {
        try (Card c = new Card("eitr"))
        {
            c.msix(0);
            c.bar.write(EIAC, EICR_RTX_QUEUE);
            c.bar.write(eitr(3), eitrForMicros(100));
            c.bar.write(ivarOf(0), ivarEntry(3) << ivarRxShift(0));
            c.bar.write(EIMS, 1 << 3);
            c.receive();
            assertEquals(1, c.count(3) - c.start[3], "the first interrupt is not throttled");

            clock.advanceMicros(50);
            c.receive();
            assertEquals(1, c.count(3) - c.start[3], "50 us after the last: held");
            clock.advanceMicros(49);
            c.fixture.settle();
            assertEquals(1, c.count(3) - c.start[3], "99 us: still held");
            assertEquals(1 << 3, c.bar.read(EICS), "the cause waits in EICR");
            clock.advanceMicros(1);
            c.fixture.settle();
            assertEquals(2, c.count(3) - c.start[3], "100 us: delivered when the interval ends");
            assertEquals(0, c.bar.read(EICS), "and auto-cleared");

            c.bar.write(eitr(3), 0);
            c.receive();
            assertEquals(3, c.count(3) - c.start[3], "ITR 0: no throttling");
        }
    }

    @Test
    void withoutMsixModeEveryCauseIsTheOneMessageVectorZero()
    {
        try (Card c = new Card("legacy"))
        {
            c.bar.write(GPIE, 0);
            c.bar.write(ivarOf(0), ivarEntry(4) << ivarRxShift(0));
            c.bar.write(EIMS, 1 << 4);
            c.receive();
            assertEquals(1, c.count(0) - c.start[0]);
            assertEquals(0, c.count(4) - c.start[4]);
        }
    }

    @Test
    void aResetForgetsCausesAndMasks()
    {
        try (Card c = new Card("reset"))
        {
            c.msix(0);
            c.bar.write(ivarOf(0), ivarEntry(1) << ivarRxShift(0));
            c.receive();
            assertNotEquals(0, c.bar.read(EICS));
            c.driver.init(false);
            assertEquals(0, c.bar.read(EICS));
            assertEquals(0, c.bar.read(EIMS));
            assertEquals(0, c.bar.read(ivarOf(0)));
            c.bar.write(EIMS, 1 << 1);
            c.fixture.settle();
            assertEquals(0, c.count(1) - c.start[1], "the cause from before the reset is gone");
        }
    }

    @Test
    void aWaiterInAnotherThreadIsWokenByAnRxWriteBack() throws Exception
    {
        try (SimulatedCard card = SimulatedCard.launch(new SimulatedCard.Context().cardName("woken").baseDir(dir)
            .wireSpec("memory"));
            TestDriver driver = new TestDriver(card.openNic(), TestDriver.pause()))
        {
            driver.init(false);
            final TestDriver.RxQueue rx = driver.startRx(0, 64);
            final Bar bar = driver.bar;
            bar.write(GPIE, GPIE_MSIX_MODE | GPIE_PBA_SUPPORT | GPIE_OCD | GPIE_EIAME);
            bar.write(EIAC, EICR_RTX_QUEUE);
            bar.write(EIAM, EICR_RTX_QUEUE);
            bar.write(ivarOf(0), ivarEntry(0) << ivarRxShift(0));
            try (FutexInterruptVector vector = ((SimulatedNic)driver.nic).interruptVector(0))
            {
                final long seen = vector.interrupts();
                bar.write(EIMS, 1);
                final CompletableFuture<Boolean> woken = CompletableFuture.supplyAsync(
                    () -> vector.await(seen, TIMEOUT_NS));
                assertTrue(card.memoryWire().inject(Frames.udp(card.mac(), PEER, Frames.ip("10.0.0.2"),
                    Frames.ip("10.0.0.1"), 1, 2, "wake".getBytes())));
                assertTrue(woken.get(TIMEOUT_NS, TimeUnit.NANOSECONDS), "woken by the frame");
                assertNotNull(rx.poll(), "the frame is in the ring when the waiter wakes");
                assertEquals(0, bar.read(EIMS) & 1, "auto-masked until the driver asks again");
            }
        }
    }

    private static final class ManualClock implements NanoClock
    {
        private long now = 1_000_000_000L;

        public long nanoTime()
        {
            return now;
        }

        void advanceMicros(final long micros)
        {
            now += micros * 1_000L;
        }
    }

    /** A manually driven card on the test clock, initialised, with RX queues 0 and 1 running. */
    private final class Card implements AutoCloseable
    {
        final CardFixture fixture;
        final SimulatedCard card;
        final TestDriver driver;
        final Bar bar;
        final TestDriver.RxQueue[] rx = new TestDriver.RxQueue[2];
        final FutexInterruptVector[] vectors = new FutexInterruptVector[QUEUE_VECTOR_COUNT];
        final long[] start = new long[QUEUE_VECTOR_COUNT];

        Card(final String name)
        {
            fixture = CardFixture.launch(new SimulatedCard.Context().cardName(name).baseDir(dir).wireSpec("memory")
                .interruptClock(clock));
            card = fixture.card;
            driver = fixture.driver;
            bar = driver.bar;
            driver.init(false);
            rx[0] = driver.startRx(0, 64);
            rx[1] = driver.startRx(1, 64);
            // Queue 1 by an ethertype filter: frames of ethertype 0x88B5 go there.
            bar.write(etqf(0), ETQF_FILTER_ENABLE | 0x88B5);
            bar.write(etqs(0), ETQS_QUEUE_ENABLE | (1 << ETQS_RX_QUEUE_SHIFT));
            for (int v = 0; v < QUEUE_VECTOR_COUNT; v++)
            {
                vectors[v] = ((SimulatedNic)driver.nic).interruptVector(v);
                start[v] = vectors[v].interrupts();
            }
        }

        void msix(final int more)
        {
            bar.write(GPIE, GPIE_MSIX_MODE | GPIE_PBA_SUPPORT | GPIE_OCD | more);
        }

        long count(final int vector)
        {
            return vectors[vector].interrupts();
        }

        void receive()
        {
            assertTrue(card.memoryWire().inject(Frames.udp(card.mac(), PEER, Frames.ip("10.0.0.2"),
                Frames.ip("10.0.0.1"), 1, 2, "in".getBytes())));
            rx[0].await("frame on RX queue 0");
            fixture.settle();
        }

        void receiveOn(final int queue)
        {
            assertEquals(1, queue);
            assertTrue(card.memoryWire().inject(Frames.ethernet(card.mac(), PEER, 0x88B5, new byte[46])));
            rx[1].await("frame on RX queue 1");
            fixture.settle();
        }

        public void close()
        {
            for (final FutexInterruptVector vector : vectors)
            {
                vector.close();
            }
            fixture.close();
        }
    }
}
