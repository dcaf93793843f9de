package io.nicq.sim;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.ixgbe.RxDescriptor;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.ixgbe.TxDescriptor;

import static io.nicq.ixgbe.Registers.*;
import static io.nicq.ixgbe.SimulatedCardFiles.*;
import static org.junit.jupiter.api.Assertions.*;

/** Two simulated cards joined by a cable in one process, each driven at register level by its own driver. */
class CableTest
{
    @TempDir
    Path dir;

    private SimulatedCard card(final String name, final String wire)
    {
        return SimulatedCard.launch(new SimulatedCard.Context().cardName(name).baseDir(dir).wireSpec(wire)
            .manualDrive(true));
    }

    @Test
    void frameSentOnCardAArrivesInTheFilteredQueueOfCardB()
    {
        // End b first: either end may start first.
        try (SimulatedCard b = card("b", "cable:c1:b");
            SimulatedCard a = card("a", "cable:c1:a"))
        {
            final Runnable both = () ->
            {
                a.doWork();
                b.doWork();
            };
            try (TestDriver da = new TestDriver(a.openNic(), both);
                TestDriver db = new TestDriver(b.openNic(), both))
            {
                da.init(false);
                db.init(false);
                final TestDriver.TxQueue tx = da.startTx(2, 64);
                final TestDriver.RxQueue rx9 = db.startRx(9, 64);
                final TestDriver.RxQueue rx0 = db.startRx(0, 64);
                Filters.fiveTuple(db.bar, 3, FTQF_PROTOCOL_UDP, 0, 0, 0, 7777,
                    Filters.MASK_ALL_BUT_PROTOCOL & ~FTQF_MASK_DESTINATION_PORT, 1, 9);

                final byte[] frame = Frames.udp(b.mac(), a.mac(), Frames.ip("10.1.0.1"), Frames.ip("10.1.0.2"), 4000,
                    7777, "across the cable, long enough not to need padding".getBytes());
                final long before = System.nanoTime();
                final int d = tx.send(frame);
                final byte[] received = rx9.await("the frame in card B's queue 9");
                final long after = System.nanoTime();
                assertArrayEquals(frame, received);

                // The sim's phase timestamps: TX on the wire, then RX write-back, both within the test's window.
                assertTrue(tx.done(d));
                final long onWire = TxDescriptor.writeBackTimestamp(tx.ring.segment(), d);
                final long written = RxDescriptor.deviceTimestamp(rx9.lastRssOrTime, after);
                assertTrue(before <= onWire && onWire <= written && written <= after,
                    before + " <= " + onWire + " <= " + written + " <= " + after);

                final byte[] other = Frames.udp(b.mac(), a.mac(), Frames.ip("10.1.0.1"), Frames.ip("10.1.0.2"), 4000,
                    8888, new byte[30]);
                tx.send(other);
                assertArrayEquals(other, rx0.await("the unfiltered frame in queue 0"));
                assertEquals(2, a.status(WIRE_FRAMES_SENT_OFFSET));
                assertEquals(2, b.status(WIRE_FRAMES_RECEIVED_OFFSET));
            }
        }
        assertFalse(Files.exists(SimulatedCardFiles.cableFile(dir, "c1")), "the last end out removes the cable");
    }

    @Test
    void aFullCableHoldsFramesInTheTxRingInsteadOfDroppingThem()
    {
        try (SimulatedCard a = SimulatedCard.launch(new SimulatedCard.Context().cardName("a").baseDir(dir)
            .wireSpec("cable:small:a").cableCapacity(FrameRing.MIN_CAPACITY).manualDrive(true));
            SimulatedCard b = card("b", "cable:small:b"))
        {
            final Runnable both = () ->
            {
                a.doWork();
                b.doWork();
            };
            try (TestDriver da = new TestDriver(a.openNic(), a::doWork);
                TestDriver db = new TestDriver(b.openNic(), both))
            {
                db.init(false);
                da.init(false);
                final TestDriver.TxQueue tx = da.startTx(0, 2048);
                final TestDriver.RxQueue rx = db.startRx(0, 2048);
                final byte[] frame = Frames.udp(b.mac(), a.mac(), 1, 2, 3, 4, new byte[18]);
                final int frames = 1500;
                for (int i = 0; i < frames; i++)
                {
                    tx.send(frame);
                }
                for (int i = 0; i < 10; i++)
                {
                    a.doWork();
                }
                final int head = da.bar.read(tdh(0));
                assertTrue(head > 0 && head < frames, "card A stops at a full cable (TDH " + head + ")");
                assertEquals(0, a.status(WIRE_SEND_FAILURES_OFFSET));

                int received = 0;
                final long deadline = System.nanoTime() + TestDriver.TIMEOUT_NS;
                while (received < frames && System.nanoTime() < deadline)
                {
                    both.run();
                    while (rx.poll() != null)
                    {
                        received++;
                    }
                }
                assertEquals(frames, received, "every frame arrived");
                assertEquals(0, a.status(WIRE_SEND_FAILURES_OFFSET));
            }
        }
    }

    @Test
    void framesSentWithNobodyOnTheOtherEndAreLostAndCounted()
    {
        try (SimulatedCard a = card("alone", "cable:lonely:a");
            TestDriver da = new TestDriver(a.openNic(), a::doWork))
        {
            da.init(false);
            final TestDriver.TxQueue tx = da.startTx(0, 64);
            final byte[] frame = Frames.udp(1, a.mac(), 1, 2, 3, 4, new byte[18]);
            for (int i = 0; i < 10; i++)
            {
                final int d = tx.send(frame);
                da.await(() -> tx.done(d), "frame " + d + " consumed");
            }
            assertEquals(10, a.status(WIRE_SEND_FAILURES_OFFSET));
            assertEquals(0, a.status(WIRE_FRAMES_SENT_OFFSET));
            assertEquals(0, da.bar.read(GPTC), "a lost frame is not a good transmitted frame");
        }
    }

    @Test
    void anEndCannotBeAttachedTwice()
    {
        try (SimulatedCard a = card("one", "cable:c2:a"))
        {
            final IllegalStateException twice = assertThrows(IllegalStateException.class,
                () -> card("two", "cable:c2:a"));
            assertTrue(twice.getMessage().contains("already attached"), twice.getMessage());
            assertNotNull(a);
        }
    }
}
