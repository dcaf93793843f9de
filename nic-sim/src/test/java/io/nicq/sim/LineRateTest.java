package io.nicq.sim;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.ixgbe.TxDescriptor;

import static org.junit.jupiter.api.Assertions.*;

class LineRateTest
{
    @TempDir
    Path dir;

    @Test
    void sixtyFourByteFramesAtTenGigabitAreFourteenPointEightEightMpps()
    {
        final LineRatePacer pacer = new LineRatePacer(LineRatePacer.TEN_GIGABIT);
        assertEquals(84, LineRatePacer.wireBytes(60));
        assertEquals(84, LineRatePacer.wireBytes(20), "padded to the minimum");
        long now = 0;
        int frames = 0;
        while (now < 1_000_000_000L)
        {
            if (pacer.mayTransmit(now))
            {
                pacer.onTransmit(now, 60);
                frames++;
            }
            else
            {
                now += 10;
            }
        }
        assertEquals(14_880_952, frames, 400, "at most the 20 us credit more than the line rate");
    }

    @Test
    void ratesParse()
    {
        assertEquals(10_000_000_000L, LineRatePacer.parseRate("10g"));
        assertEquals(2_500_000_000L, LineRatePacer.parseRate("2.5G"));
        assertEquals(100_000_000L, LineRatePacer.parseRate("100m"));
        assertEquals(0, LineRatePacer.parseRate("0"));
        assertEquals(0, LineRatePacer.parseRate("none"));
        assertThrows(IllegalArgumentException.class, () -> LineRatePacer.parseRate("fast"));
        assertThrows(IllegalArgumentException.class, () -> LineRatePacer.parseRate("-1g"));
    }

    @Test
    void aPacedCardTransmitsNoFasterThanTheLineRate()
    {
        final long rate = 1_000_000_000L;
        try (CardFixture f = CardFixture.launch(new SimulatedCard.Context().cardName("paced").baseDir(dir)
            .wireSpec("memory").lineRate(rate)))
        {
            f.driver.init(false);
            final TestDriver.TxQueue tx = f.driver.startTx(0, 256);
            final byte[] frame = Frames.udp(1, f.card.mac(), 1, 2, 3, 4, new byte[18]);
            final int frames = 200;
            for (int i = 0; i < frames; i++)
            {
                tx.send(frame);
            }
            f.driver.await(() -> tx.done(frames - 1), "all frames sent");
            final long first = TxDescriptor.writeBackTimestamp(tx.ring.segment(), 0);
            final long last = TxDescriptor.writeBackTimestamp(tx.ring.segment(), frames - 1);
            final long expected = (frames - 1) * LineRatePacer.wireBytes(frame.length) * 8L * 1_000_000_000L / rate;
            assertTrue(last - first >= expected - LineRatePacer.CREDIT_NS, "took " + (last - first) +
                " ns, line rate needs " + expected);
            // No upper bound: on a loaded machine the test thread itself may be descheduled for milliseconds.
        }
    }
}
