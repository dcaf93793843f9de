package io.nicq.sim;

import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.packet.MacAddress;

import static org.junit.jupiter.api.Assertions.*;

class SimulatedCardSmokeTest
{
    @TempDir
    Path dir;

    @Test
    void frameInjectedArrivesAndFrameSentLeaves()
    {
        try (SimulatedCard card = SimulatedCard.launch(new SimulatedCard.Context()
            .cardName("smoke").baseDir(dir).wireSpec("memory").manualDrive(true));
            TestDriver driver = new TestDriver(card.openNic(), card::doWork))
        {
            driver.init(false);
            final TestDriver.RxQueue rx = driver.startRx(0, 64);
            final TestDriver.TxQueue tx = driver.startTx(0, 64);

            final long peer = MacAddress.parse("02:00:00:00:00:01");
            final byte[] in = Frames.udp(card.mac(), peer, Frames.ip("10.0.0.2"), Frames.ip("10.0.0.1"),
                1234, 5678, "hello".getBytes());
            assertTrue(card.memoryWire().inject(in));
            assertArrayEquals(Arrays.copyOf(in, 60), rx.await("frame in RX queue 0"), "padded by its sender to 60 bytes");

            final byte[] out = Frames.udp(peer, card.mac(), Frames.ip("10.0.0.1"), Frames.ip("10.0.0.2"),
                5678, 1234, "world".getBytes());
            final int d = tx.send(out);
            driver.await(() -> tx.done(d), "TX descriptor done");
            final byte[] sent = card.memoryWire().pollTransmitted();
            assertNotNull(sent);
            assertArrayEquals(out, Arrays.copyOf(sent, out.length));
            assertEquals(1, card.status(SimulatedCardFiles.rxQueueFramesOffset(0)));
        }
    }
}
