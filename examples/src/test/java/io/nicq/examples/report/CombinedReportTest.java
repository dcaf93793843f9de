package io.nicq.examples.report;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

import io.nicq.examples.rpc.RoundTripRecorder;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.*;

/** Two reports as one: each section's table under its name, the facts, one JSON, one chart, prefixed .hgrm files. */
class CombinedReportTest
{
    @TempDir
    Path dir;

    private static Histogram constant(final long value, final int count)
    {
        final Histogram h = RoundTripRecorder.newHistogram();
        h.recordValueWithCount(value, count);
        return h;
    }

    private static LatencyReport section(final String protocol, final long nicqNs, final long kernelNs)
    {
        final LatencyReport.Run nicq = new LatencyReport.Run("nicq " + protocol, constant(nicqNs, 100), List.of(
            new LatencyReport.Phase("client TX: app send -> client ring", constant(nicqNs / 4, 100))));
        final LatencyReport.Run kernel = new LatencyReport.Run("kernel " + protocol, constant(kernelNs, 100),
            List.of());
        return new LatencyReport(protocol + " round trip", nicq, kernel).note(protocol + " note");
    }

    private static CombinedReport report()
    {
        return new CombinedReport("demo").section("udp", section("UDP", 4000, 8000))
            .section("tcp", section("TCP", 6000, 10000))
            .fact("tcpOverUdpP50NsNicq", 2000, "TCP over UDP at p50: nicq +2000 ns")
            .fact("unlined", 7, "")
            .note("the end");
    }

    @Test
    void tableHasEachSectionUnderItsNameThenTheFacts()
    {
        final String table = report().table();
        final int udp = table.indexOf("== udp ==\nUDP round trip");
        final int tcp = table.indexOf("== tcp ==\nTCP round trip");
        final int fact = table.indexOf("TCP over UDP at p50: nicq +2000 ns\nthe end\n");
        assertTrue(table.startsWith("demo\n") && udp > 0 && tcp > udp && fact > tcp, table);
        assertTrue(table.matches("(?s).*== udp ==.*ratio nicq / kernel\\s+0\\.50x.*== tcp ==.*ratio nicq / kernel" +
            "\\s+0\\.60x.*"), table);
        assertTrue(table.contains("UDP note") && table.contains("TCP note"), table);
        assertFalse(table.contains("\n\n\n"), "a fact without a line prints none:\n" + table);
    }

    @Test
    void writesOneJsonOneChartAndEachSectionsHgrmUnderItsName() throws Exception
    {
        final List<Path> files = report().write(dir);
        for (final String name : List.of("udp-round-trip-nicq", "udp-round-trip-kernel", "tcp-round-trip-nicq",
            "tcp-round-trip-kernel", "udp-phase-01-client-tx-app-send-client-ring"))
        {
            assertTrue(files.contains(dir.resolve("hgrm/" + name + ".hgrm")), name + " in " + files);
        }
        assertFalse(Files.exists(dir.resolve("hgrm/round-trip-nicq.hgrm")), "no unprefixed file");
        final String json = Files.readString(dir.resolve("report.json"));
        assertTrue(json.matches("(?s).*\"sections\"\\s*:\\s*\\{\\s*\"udp\"\\s*:\\s*\\{.*\"tcp\"\\s*:\\s*\\{.*"), json);
        assertTrue(json.matches("(?s).*\"tcpOverUdpP50NsNicq\"\\s*:\\s*2000\\.0.*"), json);
        assertTrue(json.matches("(?s).*\"ratioNicqToKernel\"\\s*:\\s*\\{\\s*\"p50\"\\s*:\\s*0\\.5.*"), json);
        final BufferedImage png = ImageIO.read(dir.resolve("report.png").toFile());
        assertEquals(1300, png.getHeight(), "a row of charts per section");
    }
}
