package io.nicq.sim;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.packet.MacAddress;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Capture of a card's wire in both directions to a pcap file in the standard format. */
class PcapTest
{
    @TempDir
    Path dir;

    private Path capture() throws Exception
    {
        final Path pcap = dir.resolve("wire.pcap");
        final long peer = MacAddress.parse("02:00:00:00:00:ee");
        try (CardFixture f = CardFixture.launch(new SimulatedCard.Context().cardName("pcap").baseDir(dir)
            .wireSpec("memory").pcapFile(pcap)))
        {
            f.driver.init(false);
            final TestDriver.RxQueue rx = f.driver.startRx(0, 16);
            final TestDriver.TxQueue tx = f.driver.startTx(0, 16);
            inbound = Frames.udp(f.card.mac(), peer, Frames.ip("10.0.0.2"), Frames.ip("10.0.0.1"), 1000, 53,
                "query".getBytes());
            f.wire().inject(inbound);
            inbound = Arrays.copyOf(inbound, Math.max(inbound.length, 60)); // on the wire: padded by its sender
            rx.await("the inbound frame");
            outbound = Frames.udp(peer, f.card.mac(), Frames.ip("10.0.0.1"), Frames.ip("10.0.0.2"), 53, 1000,
                "answer, long enough to need no padding at all".getBytes());
            final int d = tx.send(outbound);
            f.driver.await(() -> tx.done(d), "the outbound frame");
        }
        return pcap;
    }

    private byte[] inbound;
    private byte[] outbound;

    @Test
    void bothDirectionsAreWrittenInPcapFormat() throws Exception
    {
        final ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(capture())).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(PcapWriter.MAGIC_NANOSECONDS, file.getInt());
        assertEquals(2, file.getShort());
        assertEquals(4, file.getShort());
        file.getInt();
        file.getInt();
        assertEquals(PcapWriter.SNAPLEN, file.getInt());
        assertEquals(PcapWriter.LINKTYPE_ETHERNET, file.getInt());

        final long nowSeconds = System.currentTimeMillis() / 1000;
        final byte[][] expected = {inbound, outbound};
        for (final byte[] frame : expected)
        {
            final long seconds = file.getInt() & 0xFFFF_FFFFL;
            final int nanos = file.getInt();
            assertTrue(Math.abs(nowSeconds - seconds) < 60, "wall-clock timestamp");
            assertTrue(nanos >= 0 && nanos < 1_000_000_000);
            assertEquals(frame.length, file.getInt());
            assertEquals(frame.length, file.getInt());
            final byte[] data = new byte[frame.length];
            file.get(data);
            assertArrayEquals(frame, data);
        }
        assertFalse(file.hasRemaining());
    }

    @Test
    void tsharkReadsTheCapture() throws Exception
    {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/tshark")), "tshark is not installed (optional check)");
        final Path pcap = capture();
        final Process tshark = new ProcessBuilder("/usr/bin/tshark", "-r", pcap.toString(), "-T", "fields", "-e",
            "udp.dstport").redirectErrorStream(true).start();
        final String output = new String(tshark.getInputStream().readAllBytes());
        assertTrue(tshark.waitFor(30, TimeUnit.SECONDS), "tshark finished");
        assertEquals(0, tshark.exitValue(), output);
        assertEquals(Arrays.asList("53", "1000"), Arrays.stream(output.split("\n")).map(String::trim)
            .filter(s -> s.matches("\\d+")).toList(), output);
    }
}
