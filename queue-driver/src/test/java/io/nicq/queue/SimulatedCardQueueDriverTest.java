package io.nicq.queue;

import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.ixgbe.SimulatedNic;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.SlotMetadata;
import io.nicq.sim.Frames;
import io.nicq.sim.SimulatedCard;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.nicq.proto.channel.QueueChannelHeader.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The queue driver on the simulated 82599 (embedded, driven by the test thread so every step is deterministic): frames
 * injected on the card's wire reach the client through the real classifier and RX DMA engine, and the client's frames
 * leave on the wire through the TX DMA engine. Test code plays the card driver: global init, an ethertype filter to
 * steer the test's frames to queue 3, and the queue's ring registers ({@link RegisterQueueAttacher}).
 */
class SimulatedCardQueueDriverTest
{
    static final int QUEUE = 3;
    static final int ETHERTYPE = 0x88B5;

    @TempDir
    Path dir;

    SimulatedCard card;
    SimulatedNic nic;
    QueueChannel cardView;
    RegisterQueueAttacher attacher;
    QueueDriver driver;
    TestClient client;

    void start(final int slots, final int ringSize, final int batch, final TxWriteback writeback)
    {
        card = SimulatedCard.launch(new SimulatedCard.Context()
            .cardName("qd")
            .baseDir(dir.resolve("sim"))
            .wireSpec("memory")
            .manualDrive(true));
        nic = card.openNic();
        TestCard.init(nic.bar(), card::doWork);
        TestCard.steer(nic.bar(), 0, ETHERTYPE, QUEUE);

        final Path file = dir.resolve("queues").resolve(Integer.toString(QUEUE));
        cardView = QueueChannel.create(file, QUEUE, slots);
        attacher = new RegisterQueueAttacher(nic.bar(), card::doWork);
        driver = QueueDriver.start(new QueueDriver.Context()
            .nic(nic)
            .queueId(QUEUE)
            .channelFile(file)
            .ringSize(ringSize)
            .batchSize(batch)
            .txWriteback(writeback)
            .idleStrategyName("sleep")
            .queueAttacher(attacher)
            .clientAttachTimeoutNs(0));
        client = new TestClient(file);
    }

    @AfterEach
    void tearDown()
    {
        if (client != null)
        {
            client.close();
        }
        if (driver != null)
        {
            driver.close();
        }
        if (cardView != null)
        {
            cardView.close();
        }
        if (nic != null)
        {
            nic.close();
        }
        if (card != null)
        {
            card.close();
        }
    }

    /** Runs the card and the driver in turn. */
    void pump(final int rounds)
    {
        for (int i = 0; i < rounds; i++)
        {
            card.doWork();
            driver.doWork();
        }
    }

    static byte[] frame(final int seed, final int length)
    {
        final byte[] payload = new byte[length - 14];
        for (int i = 0; i < payload.length; i++)
        {
            payload[i] = (byte)(seed * 7 + i);
        }
        return Frames.ethernet(0x0200_0000_0002L, 0x0200_0000_0001L, ETHERTYPE, payload);
    }

    List<byte[]> wire()
    {
        final List<byte[]> frames = new ArrayList<>();
        byte[] frame;
        while ((frame = card.memoryWire().pollTransmitted()) != null)
        {
            frames.add(frame);
        }
        return frames;
    }

    void assertNoDeviceFaults()
    {
        assertEquals(0, card.status(SimulatedCardFiles.DMA_FAULTS_OFFSET), "DMA faults");
        assertEquals(0, card.status(SimulatedCardFiles.MALFORMED_DESCRIPTORS_OFFSET), "malformed descriptors");
        assertEquals(0, card.status(SimulatedCardFiles.DRIVER_ERRORS_OFFSET), "driver errors (tails bumped only " +
            "once ENABLE read back, heads never written to a running queue, ...)");
    }

    @Test
    void framesInjectedOnTheWireArriveOnRxReadyWithTheirLengthContentAndDevicePhase()
    {
        start(256, 64, 32, TxWriteback.DESCRIPTOR_DONE);
        final int[] lengths = {60, 64, 128, 1000, 1514};
        for (int i = 0; i < lengths.length; i++)
        {
            assertTrue(card.memoryWire().inject(frame(i, lengths[i])));
        }
        pump(4);

        final List<Integer> slots = client.receive();
        assertEquals(lengths.length, slots.size());
        for (int i = 0; i < lengths.length; i++)
        {
            final int slot = slots.get(i);
            assertEquals(lengths[i], client.metadata.frameLength(slot));
            assertArrayEquals(frame(i, lengths[i]), client.frame(slot));
            final SlotMetadata m = client.metadata;
            assertNotEquals(0, m.rxDeviceNs(slot), "the simulated card's write-back time");
            assertTrue(m.rxDeviceNs(slot) <= m.rxDriverSawNs(slot));
            assertTrue(m.rxDriverSawNs(slot) <= m.rxPublishedNs(slot));
            assertTrue(m.rxPublishedNs(slot) <= m.rxAppNs(slot));
        }
        assertEquals(lengths.length, card.status(SimulatedCardFiles.rxQueueFramesOffset(QUEUE)));
        assertEquals(lengths.length, cardView.header().counter(COUNTER_RX_PACKETS));
        assertNoDeviceFaults();
    }

    @Test
    void checksumVerdictsOfTheCardAreCountedAndTheFramesDelivered()
    {
        start(256, 64, 32, TxWriteback.DESCRIPTOR_DONE);
        TestCard.steer(nic.bar(), 1, 0x0800, QUEUE);               // IPv4 to the test's queue as well
        pump(2);
        final byte[] good = Frames.udp(0x0200_0000_0002L, 0x0200_0000_0001L, Frames.ip("10.0.0.2"),
            Frames.ip("10.0.0.1"), 1000, 7, new byte[40]);
        final byte[] bad = good.clone();
        bad[bad.length - 1] ^= 0x11;                               // the UDP checksum no longer matches
        final byte[] none = good.clone();
        none[14 + 20 + 6] = 0;                                     // no UDP checksum: the card says TCPE anyway
        none[14 + 20 + 7] = 0;
        final byte[] badHeader = good.clone();
        badHeader[14 + 8] ^= 1;                                    // TTL changed, header checksum not
        for (final byte[] frame : new byte[][]{good, bad, none, badHeader})
        {
            assertTrue(card.memoryWire().inject(frame));
        }
        pump(4);

        final List<Integer> slots = client.receive();
        assertEquals(4, slots.size(), "every frame delivered: checksum errors are not frame errors");
        assertArrayEquals(bad, client.frame(slots.get(1)));
        assertEquals(0, cardView.header().counter(COUNTER_RX_ERRORS));
        assertEquals(1, cardView.header().counter(COUNTER_RX_IP_CHECKSUM_ERRORS));
        assertEquals(1, cardView.header().counter(COUNTER_RX_L4_CHECKSUM_ERRORS),
            "the bad UDP checksum, not the zero one (the 82599 erratum)");
        assertNoDeviceFaults();
    }

    @Test
    void clientFramesLeaveOnTheWireUnchangedAndTheirSlotsComeBack()
    {
        start(256, 64, 32, TxWriteback.DESCRIPTOR_DONE);
        client.collectTxDone();
        final int free = client.free.size();
        for (int i = 0; i < 50; i++)
        {
            assertTrue(client.send(frame(i, 60 + i * 29)) >= 0);
        }
        final List<Integer> sentSlots = new ArrayList<>();
        pump(6);

        final List<byte[]> wire = wire();
        assertEquals(50, wire.size());
        for (int i = 0; i < 50; i++)
        {
            assertArrayEquals(frame(i, 60 + i * 29), wire.get(i), "frame " + i);
        }
        client.collectTxDone();
        assertEquals(free, client.free.size(), "every slot came back");
        for (final int slot : client.free)
        {
            if (client.metadata.txDoorbellNs(slot) != 0)
            {
                sentSlots.add(slot);
                assertTrue(client.metadata.txWireNs(slot) >= client.metadata.txDoorbellNs(slot),
                    "the card's on-wire time follows the doorbell");
            }
        }
        assertEquals(50, sentSlots.size());
        assertEquals(50, cardView.header().counter(COUNTER_TX_PACKETS));
        assertEquals(50, card.status(SimulatedCardFiles.txQueueFramesOffset(QUEUE)));
        assertNoDeviceFaults();
    }

    @Test
    void zeroCopyEchoOnTheSimulatedCard()
    {
        start(256, 64, 32, TxWriteback.HEAD);
        for (int i = 0; i < 20; i++)
        {
            assertTrue(card.memoryWire().inject(frame(i, 100 + i)));
        }
        pump(3);
        final List<Integer> slots = client.receive();
        assertEquals(20, slots.size());
        for (final int slot : slots)
        {
            client.sendIn(slot, new byte[0], client.metadata.frameLength(slot));
        }
        pump(4);
        final List<byte[]> wire = wire();
        assertEquals(20, wire.size());
        for (int i = 0; i < 20; i++)
        {
            assertArrayEquals(frame(i, 100 + i), wire.get(i));
        }
        client.collectTxDone();
        assertTrue(client.free.containsAll(slots), "echoed slots return on txDone (head write-back)");
        assertNoDeviceFaults();
    }

    @Test
    void corruptClientInputIsRejectedCountedAndNothingLeavesFromOutsideThePool()
    {
        start(64, 32, 8, TxWriteback.DESCRIPTOR_DONE);
        client.collectTxDone();
        final int good = client.free.poll();
        final int tooLong = client.free.poll();
        final int tooShort = client.free.poll();

        client.sendIn(-1, new byte[0], 60);
        client.sendIn(64, new byte[0], 60);
        client.sendIn(Integer.MAX_VALUE, new byte[0], 60);
        client.sendIn(0, new byte[0], 60);
        client.sendIn(tooLong, frame(1, 60), 4096);
        client.sendIn(tooShort, frame(2, 60), 0);
        client.sendIn(good, frame(3, 60), 60);
        client.sendIn(good, frame(3, 60), 60);
        client.release(-5);
        client.release(good);
        pump(4);

        final List<byte[]> wire = wire();
        assertEquals(1, wire.size(), "only the good frame left");
        assertArrayEquals(frame(3, 60), wire.get(0));
        assertEquals(3, cardView.header().counter(COUNTER_REJECTED_INDEX));
        assertEquals(2, cardView.header().counter(COUNTER_REJECTED_LENGTH));
        assertTrue(cardView.header().counter(COUNTER_REJECTED_NOT_OWNED) >= 2, "slot 0 (posted for RX), good twice");
        assertNoDeviceFaults();

        client.collectTxDone();
        assertEquals(SlotMetadata.FLAG_TX_REJECTED_LENGTH, client.metadata.flags(tooLong));
        assertEquals(SlotMetadata.FLAG_TX_REJECTED_LENGTH, client.metadata.flags(tooShort));
    }

    @Test
    void aFullRxRingAndAnExhaustedPoolDropAtTheCardAndRecover()
    {
        start(16, 32, 8, TxWriteback.DESCRIPTOR_DONE);
        assertEquals(8, driver.rxPosted());
        for (int i = 0; i < 12; i++)
        {
            assertTrue(card.memoryWire().inject(frame(i, 60)));
        }
        pump(4);
        final List<Integer> received = client.receive();
        assertEquals(8, received.size());
        assertEquals(4, card.status(SimulatedCardFiles.rxQueueDropsOffset(QUEUE)), "dropped at the card, counted");
        assertEquals(1, cardView.header().counter(COUNTER_RX_STARVED));

        received.forEach(client::release);
        pump(2);
        assertEquals(8, driver.rxPosted());
        assertTrue(card.memoryWire().inject(frame(99, 60)));
        pump(2);
        final List<Integer> again = client.receive();
        assertEquals(1, again.size());
        assertArrayEquals(frame(99, 60), client.frame(again.get(0)));
        assertNoDeviceFaults();
    }

    @Test
    void aFullTxRingKeepsFramesOnTxReadyInOrder()
    {
        start(128, 16, 32, TxWriteback.DESCRIPTOR_DONE);
        client.collectTxDone();
        for (int i = 0; i < 40; i++)
        {
            assertTrue(client.send(frame(i, 64)) >= 0);
        }
        for (int i = 0; i < 3; i++)
        {
            driver.doWork();
        }
        assertEquals(15, driver.txInFlight(), "the card has not run: the ring holds 15");
        assertTrue(cardView.header().counter(COUNTER_TX_RING_FULL) > 0);
        pump(12);
        final List<byte[]> wire = wire();
        assertEquals(40, wire.size());
        for (int i = 0; i < 40; i++)
        {
            assertArrayEquals(frame(i, 64), wire.get(i), "frame " + i + " in order");
        }
        assertNoDeviceFaults();
    }
}
