package io.nicq.proto.channel;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client's end of the slot ownership protocol over a real channel file; the test plays the queue driver with the
 * raw rings (rxReady and txDone in, rxFree and txReady out).
 */
class ChannelEndpointTest
{
    private static final int SLOTS = 32;
    private static final int POSTED = 8;
    private static final int RESERVE = 4;

    @TempDir
    Path dir;

    private QueueChannel driverSide;
    private QueueChannel clientSide;
    private ChannelEndpoint endpoint;
    private final int[] slots = new int[SLOTS];

    @BeforeEach
    void setUp()
    {
        driverSide = QueueChannel.create(dir.resolve("queues/5"), 5, SLOTS);
        // The driver's opening move: slots POSTED.. are handed to the client for sending.
        for (int slot = POSTED; slot < SLOTS; slot++)
        {
            driverSide.txDone().offer(slot);
        }
        clientSide = QueueChannel.open(dir.resolve("queues/5"));
        endpoint = new ChannelEndpoint(clientSide, RESERVE);
    }

    @AfterEach
    void tearDown()
    {
        clientSide.close();
        driverSide.close();
    }

    @Test
    void attachesAndSplitsTheHandedOutSlotsBetweenTheReserveAndReceiving()
    {
        assertEquals(ProcessHandle.current().pid(), driverSide.header().clientPid());
        assertEquals(SLOTS - POSTED, endpoint.takeCompleted(slots, SLOTS));
        for (int i = 0; i < SLOTS - POSTED; i++)
        {
            assertEquals(ChannelEndpoint.NO_SLOT, slots[i], "unsent slots are not completions");
        }
        assertEquals(RESERVE, endpoint.freeSlots());
        assertEquals(0, endpoint.flush());
        assertEquals(SLOTS - POSTED - RESERVE, driverSide.rxFree().size());
        endpoint.detach();
        assertTrue(driverSide.header().hasClientLeft());
    }

    @Test
    void aReceivedFrameIsLentStampedAndGivenBackToTheReserveFirst()
    {
        publishReceived(2, 60);
        publishReceived(3, 60);
        final long before = System.nanoTime();
        assertEquals(2, endpoint.receive(slots, SLOTS));
        assertEquals(2, slots[0]);
        assertEquals(3, slots[1]);
        assertTrue(endpoint.isLent(2));
        assertTrue(clientSide.metadata().rxAppNs(2) >= before);
        endpoint.giveBackIfLent(2);
        assertFalse(endpoint.isOwned(2));
        assertEquals(1, endpoint.freeSlots(), "an empty reserve takes it");

        endpoint.takeCompleted(slots, SLOTS);
        assertEquals(RESERVE, endpoint.freeSlots());
        endpoint.giveBackIfLent(3);
        endpoint.flush();
        final int[] givenBack = new int[SLOTS];
        final int count = driverSide.rxFree().poll(givenBack, 0, SLOTS);
        assertEquals(SLOTS - POSTED - (RESERVE - 1) + 1, count, "the rest of the handed-out slots, and slot 3");
        assertEquals(3, givenBack[count - 1]);
    }

    @Test
    void whatTheDriverHadNoRightToPublishIsCountedAndNeverLent()
    {
        publishReceived(3, 60);
        driverSide.rxReady().offer(3);                      // a duplicate
        driverSide.rxReady().offer(SLOTS + 1);              // out of range
        driverSide.rxReady().offer(-1);
        publishReceived(4, 0);                              // impossible lengths
        publishReceived(5, QueueChannelLayout.SLOT_SIZE + 1);
        assertEquals(6, endpoint.receive(slots, SLOTS), "every entry is taken off the ring");
        assertEquals(3, slots[0]);
        for (int i = 1; i < 6; i++)
        {
            assertEquals(ChannelEndpoint.NO_SLOT, slots[i], "entry " + i + " is not lent");
        }
        assertEquals(3, endpoint.driverProtocolErrors());
        assertEquals(2, endpoint.invalidRxLength());
        assertEquals(1, endpoint.framesReceived());
    }

    @Test
    void claimSendFlushCarriesTheFrameAndItsTimestampsToTheDriver()
    {
        endpoint.takeCompleted(slots, SLOTS);
        final int slot = endpoint.claim();
        assertNotEquals(ChannelEndpoint.NO_SLOT, slot);
        clientSide.metadata().rxAppNs(slot, 123);
        endpoint.release(slot);
        final int again = endpoint.claim();
        assertEquals(slot, again);
        assertEquals(0, clientSide.metadata().rxAppNs(again), "a claimed slot has no RX half");
        endpoint.send(again, 64);
        assertEquals(1, endpoint.queuedFrames());
        assertEquals(0, driverSide.txReady().size(), "nothing before the flush");
        assertEquals(1, endpoint.flush());
        assertEquals(again, driverSide.txReady().poll());
        final SlotMetadata metadata = driverSide.metadata();
        assertEquals(64, metadata.frameLength(again));
        assertTrue(metadata.txAppSendNs(again) > 0);
        assertTrue(metadata.txEnqueuedNs(again) >= metadata.txAppSendNs(again));
        assertEquals(1, endpoint.framesSent());

        // Back on txDone, sent: lent as a completion; rejected lengths counted.
        metadata.flags(again, SlotMetadata.FLAG_TX_REJECTED_LENGTH);
        driverSide.txDone().offer(again);
        assertEquals(1, endpoint.takeCompleted(slots, SLOTS));
        assertEquals(again, slots[0]);
        assertEquals(1, endpoint.txRejected());
        assertEquals(1, endpoint.framesCompleted());
        endpoint.send(again, 64);
        endpoint.flush();
        assertEquals(again, driverSide.txReady().poll(), "a completion may be sent again");
    }

    @Test
    void aKeptSlotOutlivesItsLookUntilReleased()
    {
        publishReceived(1, 60);
        endpoint.receive(slots, SLOTS);
        endpoint.keep(1);
        endpoint.giveBackIfLent(1);
        assertTrue(endpoint.isOwned(1), "kept, so not given back");
        endpoint.release(1);
        assertFalse(endpoint.isOwned(1));
    }

    @Test
    void anEmptyReserveIsCountedAndTheApplicationsMistakesRefused()
    {
        assertEquals(ChannelEndpoint.NO_SLOT, endpoint.claim());
        assertEquals(1, endpoint.noSlot());
        final IllegalStateException driverOwned = assertThrows(IllegalStateException.class, () -> endpoint.send(0, 60));
        assertTrue(driverOwned.getMessage().contains("the queue driver has it"), driverOwned.getMessage());
        assertThrows(IllegalStateException.class, () -> endpoint.release(SLOTS));
        endpoint.takeCompleted(slots, SLOTS);
        final int slot = endpoint.claim();
        assertThrows(IllegalArgumentException.class, () -> endpoint.send(slot, 0));
        assertThrows(IllegalArgumentException.class, () -> endpoint.send(slot, QueueChannelLayout.SLOT_SIZE + 1));
        endpoint.send(slot, 60);
        final IllegalStateException queued = assertThrows(IllegalStateException.class, () -> endpoint.send(slot, 60));
        assertTrue(queued.getMessage().contains("already queued"), queued.getMessage());
        endpoint.flush();
        assertThrows(IllegalStateException.class, () -> endpoint.release(slot));
        assertThrows(IllegalStateException.class, () -> endpoint.keep(slot));
    }

    private void publishReceived(final int slot, final int length)
    {
        driverSide.metadata().frameLength(slot, length);
        driverSide.rxReady().offer(slot);
    }
}
