package io.nicq.sim;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.FlowDirectorFields;
import io.nicq.ixgbe.RxDescriptor;
import io.nicq.packet.MacAddress;

import static io.nicq.ixgbe.Registers.*;
import static io.nicq.ixgbe.SimulatedCardFiles.DMA_FAULTS_OFFSET;
import static io.nicq.sim.Filters.*;
import static io.nicq.sim.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The simulated card's classification rate with 8K flow director filters beside none, as paired rounds: two manually
 * driven cards, one with 8,192 perfect-match filters (every frame a match), one with the flow director off, take turns
 * on the same frames, so load from elsewhere on the machine hits both alike; the figure is the median of the rounds'
 * ratios. Printed and written to target/fdir-rate.txt for docs/performance.md; it fails only if the flow director
 * costs more than five times the path without it (a linear search of the table would). {@code -Dnicq.fdir.rounds}
 * and {@code -Dnicq.fdir.frames} set the rounds (default 15) and frames per round (default 100,000).
 */
class FlowDirectorRateTest
{
    private static final int RING = 1024;
    private static final int FLOWS = 4096;
    private static final long PEER = MacAddress.parse("02:00:00:00:00:ee");
    private static final int HOST = ip("10.0.0.1");
    private static final int CLIENT = ip("10.0.0.2");

    @TempDir
    Path dir;

    @Test
    void eightThousandFiltersBesideNone() throws Exception
    {
        final int rounds = Integer.getInteger("nicq.fdir.rounds", 15);
        final int frames = Integer.getInteger("nicq.fdir.frames", 100_000);
        try (CardFixture off = card("rate-off", 0); CardFixture on = card("rate-on", 8192))
        {
            final byte[][] offFlows = flows(off);
            final byte[][] onFlows = flows(on);
            run(off, offFlows, frames / 10);
            run(on, onFlows, frames / 10);
            final double[] offRate = new double[rounds];
            final double[] onRate = new double[rounds];
            final double[] ratio = new double[rounds];
            for (int r = 0; r < rounds; r++)
            {
                offRate[r] = run(off, offFlows, frames);
                onRate[r] = run(on, onFlows, frames);
                ratio[r] = onRate[r] / offRate[r];
            }
            assertEquals(0, off.status(DMA_FAULTS_OFFSET) + on.status(DMA_FAULTS_OFFSET), "the measured path is RX");
            assertNotEquals(0, on.driver.bar.read(FDIRMATCH), "the frames matched");
            final String figures = String.format(Locale.ROOT,
                "simulated card classification, 64-byte TCP frames, %d paired rounds of %d frames:%n" +
                "  flow director off     %.2f M frames/s median (%.2f-%.2f)%n" +
                "  8,192 filters, hits   %.2f M frames/s median (%.2f-%.2f)%n" +
                "  ratio, median of the rounds' ratios: %.2f (%.2f-%.2f)%n", rounds, frames,
                median(offRate) / 1e6, min(offRate) / 1e6, max(offRate) / 1e6, median(onRate) / 1e6,
                min(onRate) / 1e6, max(onRate) / 1e6, median(ratio), min(ratio), max(ratio));
            System.out.print(figures);
            Files.createDirectories(Path.of("target"));
            Files.writeString(Path.of("target/fdir-rate.txt"), figures);
            assertTrue(median(ratio) > 0.2, figures);
        }
    }

    /** The same flows to each card's own address. */
    private static byte[][] flows(final CardFixture f)
    {
        final byte[][] flows = new byte[FLOWS][];
        for (int i = 0; i < FLOWS; i++)
        {
            flows[i] = Frames.tcp(f.card.mac(), PEER, CLIENT, HOST, 10_000 + i, 80, TCP_ACK, new byte[6]);
        }
        return flows;
    }

    private CardFixture card(final String name, final int filters)
    {
        final CardFixture f = CardFixture.memory(dir, name);
        final TestDriver.RxQueue queue = f.driver.startRx(0, RING);
        assertNotNull(queue);
        if (filters > 0)
        {
            final Bar bar = f.driver.bar;
            flowDirectorInit(bar, FDIRCTRL_PBALLOC_256K, true);
            f.driver.awaitSet(FDIRCTRL, FDIRCTRL_INIT_DONE, "INIT_DONE");
            for (int i = 0; i < filters; i++)
            {
                final int sourcePort = 10_000 + i;
                flowDirectorCommand(bar, flowDirectorBucket(FDIRCTRL_PBALLOC_256K, FDIR_FLOW_TYPE_TCPV4, CLIENT, HOST,
                    sourcePort, 80), i, CLIENT, HOST, sourcePort, 80,
                    FlowDirectorFields.addCommand(FDIR_FLOW_TYPE_TCPV4, 0, false));
                f.driver.awaitClear(FDIRCMD, FDIRCMD_CMD_MASK, "add " + i);
            }
            assertEquals(8192 - filters, bar.read(FDIRFREE) & FDIRFREE_FREE_MASK);
        }
        return f;
    }

    /** Frames per second the card takes from the wire into queue 0's ring, its descriptors re-armed as they come. */
    private static double run(final CardFixture f, final byte[][] flows, final int frames)
    {
        final TestDriver.RxQueue queue = f.driver.rx[0];
        final Bar bar = f.driver.bar;
        final MemorySegment ring = queue.ring.segment();
        final MemoryWire wire = f.wire();
        int tail = bar.read(rdt(0));
        int injected = 0;
        int done = 0;
        final long start = System.nanoTime();
        long progressNs = start;
        while (done < frames)
        {
            final long now = System.nanoTime();
            if (now - progressNs > 10_000_000_000L)
            {
                fail("no frame reached queue 0 for 10 s (" + done + " of " + frames + ")");
            }
            while (injected < frames && injected - done < 256 && wire.inject(flows[injected % FLOWS]))
            {
                injected++;
            }
            f.card.doWork();
            final int head = bar.read(rdh(0));
            final int consumed = (head - (tail + 1) + RING) % RING;
            if (consumed > 0)
            {
                for (int i = 1; i <= consumed; i++)
                {
                    final int index = (tail + i) % RING;
                    RxDescriptor.setBuffer(ring, index, queue.buffers.iova() + (long)index * TestDriver.BUFFER_SIZE);
                }
                tail = (tail + consumed) % RING;
                bar.write(rdt(0), tail);
                done += consumed;
                progressNs = now;
            }
        }
        return frames * 1e9 / (System.nanoTime() - start);
    }

    private static double median(final double[] values)
    {
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[(sorted.length - 1) / 2];
    }

    private static double min(final double[] values)
    {
        return Arrays.stream(values).min().orElse(0);
    }

    private static double max(final double[] values)
    {
        return Arrays.stream(values).max().orElse(0);
    }
}
