package io.nicq.examples.report;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.nicq.examples.rpc.RoundTripRecorder;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

class LatencyReportTest
{
    @TempDir
    Path dir;

    private static Histogram constant(final long value, final int count)
    {
        final Histogram h = RoundTripRecorder.newHistogram();
        h.recordValueWithCount(value, count);
        return h;
    }

    private LatencyReport report()
    {
        final LatencyReport.Run nicq = new LatencyReport.Run("inline, simulated cable", constant(4000, 1000), List.of(
            new LatencyReport.Phase("client TX: app send -> client ring", constant(1000, 1000)),
            new LatencyReport.Phase("wire: client card -> server card", constant(2000, 1000)),
            new LatencyReport.Phase("server: turnaround", RoundTripRecorder.newHistogram())));
        final LatencyReport.Run kernel = new LatencyReport.Run("kernel UDP, loopback", constant(16000, 1000), List.of());
        return new LatencyReport("RPC round trip, 64-byte UDP payload", nicq, kernel).note("a note");
    }

    @Test
    void tableHasEveryPhaseShareAndRatio()
    {
        final String table = report().table();
        assertTrue(table.startsWith("RPC round trip, 64-byte UDP payload\n"), table);
        assertTrue(table.contains("client TX: app send -> client ring"), table);
        assertTrue(table.matches("(?s).*client TX: app send -> client ring\\s+1\\.00 .* 25\\.0%.*"), table);
        assertTrue(table.matches("(?s).*wire: client card -> server card\\s+2\\.00 .* 50\\.0%.*"), table);
        assertTrue(table.contains("server: turnaround                           (no timestamps)"), table);
        assertTrue(table.matches("(?s).*not attributed \\(mean\\)\\s+1\\.00 .* 25\\.0%.*"), table);
        assertTrue(table.matches("(?s).*ratio nicq / kernel\\s+0\\.25x.*"), table);
        assertTrue(table.contains("a note"), table);
        assertEquals(0.25, report().p50Ratio(), 0.01);
        assertEquals(1.0, report().tailRatio(), 0.01);
    }

    @Test
    void writesTextJsonPngAndHgrm() throws Exception
    {
        final List<Path> files = report().write(dir);
        assertTrue(files.contains(dir.resolve("report.txt")));

        final BufferedImage png = ImageIO.read(dir.resolve("report.png").toFile());
        assertNotNull(png, "report.png must be a readable PNG");
        assertTrue(png.getWidth() >= 1000 && png.getHeight() >= 500, png.getWidth() + "x" + png.getHeight());

        final String hgrm = Files.readString(dir.resolve("hgrm/round-trip-nicq.hgrm"));
        assertTrue(hgrm.contains("Value     Percentile TotalCount"), hgrm);
        assertTrue(Files.exists(dir.resolve("hgrm/round-trip-kernel.hgrm")));
        assertTrue(Files.exists(dir.resolve("hgrm/phase-01-client-tx-app-send-client-ring.hgrm")));
        assertFalse(Files.exists(dir.resolve("hgrm/phase-03-server-turnaround.hgrm")), "empty phases get no file");

        try (JsonParser parser = new JsonFactory().createParser(dir.resolve("report.json").toFile()))
        {
            boolean sawRatio = false;
            boolean sawKernelTail = false;
            while (parser.nextToken() != null)
            {
                if (parser.currentToken() == JsonToken.FIELD_NAME && "p50RatioNicqToKernel".equals(parser.currentName()))
                {
                    parser.nextToken();
                    assertEquals(0.25, parser.getDoubleValue(), 0.01);
                    sawRatio = true;
                }
                if (parser.currentToken() == JsonToken.FIELD_NAME && "p9999ToP50Kernel".equals(parser.currentName()))
                {
                    parser.nextToken();
                    assertEquals(1.0, parser.getDoubleValue(), 0.01);
                    sawKernelTail = true;
                }
            }
            assertTrue(sawRatio);
            assertTrue(sawKernelTail, "the kernel's p99.99 / p50 beside nicq's");
        }
    }
    @Test
    void tailStretchOfBothRunsSideBySide()
    {
        // The kernel: 9,990 round trips of 10 us and 10 of 50 us, so its p99.99 is 5 times its p50; nicq's is flat.
        final Histogram kernelRoundTrip = constant(10_000, 9_990);
        kernelRoundTrip.recordValueWithCount(50_000, 10);
        final LatencyReport report = new LatencyReport("RPC round trip",
            new LatencyReport.Run("inline", constant(4000, 10_000), List.of()),
            new LatencyReport.Run("kernel UDP", kernelRoundTrip, List.of()));
        assertEquals(1.0, report.tailRatio(), 0.01);
        assertEquals(5.0, report.kernelTailRatio(), 0.05);
        assertTrue(report.table().contains("p99.99 / p50: nicq 1.00, kernel 5.00"), report.table());

        final LatencyReport alone = new LatencyReport("RPC round trip",
            new LatencyReport.Run("inline", constant(4000, 10_000), List.of()), null);
        assertTrue(Double.isNaN(alone.kernelTailRatio()));
        assertTrue(alone.table().contains("p99.99 / p50: nicq 1.00\n"), alone.table());
    }
}
