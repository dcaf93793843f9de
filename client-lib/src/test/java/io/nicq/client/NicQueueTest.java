package io.nicq.client;

import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.proto.channel.SlotMetadata;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packet API over a real queue channel file, with test code playing the queue driver's side of the rings.
 */
class NicQueueTest
{
    private static final int SLOTS = 64;
    private static final int RX_BUFFERS = 16;
    private static final int RESERVE = 8;

    @TempDir
    Path dir;

    private FakeDriver driver;
    private NicQueue queue;
    private final List<Integer> received = new ArrayList<>();

    @BeforeEach
    void setUp()
    {
        driver = new FakeDriver(dir.resolve("queues/3"), SLOTS, RX_BUFFERS);
        queue = new NicQueue(new TestPlane(),
            QueueChannel.open(driver.file()), QueueDriverPlacement.THREAD, null, null, RESERVE);
    }

    @AfterEach
    void tearDown()
    {
        queue.close();
        driver.close();
    }

    @Test
    void attachesAndKeepsTheTxReserveGivingTheRestBackForReceive()
    {
        assertEquals(ProcessHandle.current().pid(), driver.channel.header().clientPid());
        assertEquals(0, queue.poll(frame -> { }));
        assertEquals(RESERVE, queue.freeSlots());
        assertEquals(SLOTS - RX_BUFFERS - RESERVE, driver.takeRxFree());
        assertConserved();
    }

    @Test
    void receivesABatchWithTimestampsAndGivesSlotsBack()
    {
        queue.poll(frame -> { });
        for (int i = 0; i < 5; i++)
        {
            driver.inject(text("frame-" + i));
        }
        final long before = System.nanoTime();
        final List<String> texts = new ArrayList<>();
        assertEquals(5, queue.poll(frame ->
        {
            texts.add(frame.buffer().getStringWithoutLengthAscii(frame.offset(), frame.length()));
            assertSame(queue.buffer(), frame.buffer());
            assertEquals(QueueChannel.frameOffset(frame.slot()), frame.offset());
            assertTrue(frame.rxDeviceNs() < frame.rxDriverSawNs());
            assertTrue(frame.rxDriverSawNs() < frame.rxPublishedNs());
            assertTrue(frame.rxAppNs() >= before);
        }));
        assertEquals(List.of("frame-0", "frame-1", "frame-2", "frame-3", "frame-4"), texts);
        assertEquals(5, queue.framesReceived());
        assertConserved();
    }

    @Test
    void pollLimitLeavesTheRestOnTheRing()
    {
        queue.poll(frame -> { });
        for (int i = 0; i < 5; i++)
        {
            driver.inject(text("f" + i));
        }
        assertEquals(2, queue.poll(frame -> { }, 2));
        assertEquals(3, queue.poll(frame -> { }, 10));
        assertEquals(0, queue.poll(frame -> { }, 10));
    }

    @Test
    void keptFrameStaysTheApplicationsUntilReleased()
    {
        queue.poll(frame -> { });
        driver.inject(text("keep me"));
        queue.poll(frame ->
        {
            frame.keep();
            received.add(frame.slot());
        });
        final int slot = received.get(0);
        assertEquals("keep me", queue.buffer().getStringWithoutLengthAscii(QueueChannel.frameOffset(slot), 7));
        queue.release(slot);
        assertThrows(IllegalStateException.class, () -> queue.release(slot));
        queue.flush();
        assertConserved();
    }

    @Test
    void zeroCopyEchoSendsTheReceivedSlotItself()
    {
        final LatencyRecorder recorder = new LatencyRecorder();
        queue.latencyRecorder(recorder);
        queue.poll(frame -> { });
        driver.inject(text("echo"));
        final long beforeReceive = System.nanoTime();
        queue.poll(frame ->
        {
            received.add(frame.slot());
            frame.send(frame.length());
        });
        final long afterEcho = System.nanoTime();
        final List<Integer> sentSlots = new ArrayList<>();
        assertEquals(1, driver.transmit((buffer, offset, length, slot) ->
        {
            sentSlots.add(slot);
            assertEquals("echo", buffer.getStringWithoutLengthAscii(offset, length));
        }));
        assertEquals(received, sentSlots);

        final List<long[]> stamps = new ArrayList<>();
        queue.txCompletionHandler(frame -> stamps.add(new long[]{ frame.rxAppNs(), frame.txAppSendNs() }));
        queue.poll(frame -> { });
        assertEquals(1, stamps.size());
        final long rxApp = stamps.get(0)[0];
        final long txAppSend = stamps.get(0)[1];
        // Both ends of the turnaround were stamped by the poll that echoed the frame: a missing stamp (0) or one
        // from another time fails here, however the difference comes out.
        assertTrue(rxApp >= beforeReceive && rxApp <= afterEcho,
            "app received " + rxApp + " outside the echoing poll [" + beforeReceive + ", " + afterEcho + "]");
        assertTrue(txAppSend >= rxApp && txAppSend <= afterEcho,
            "app send " + txAppSend + " outside [app received " + rxApp + ", " + afterEcho + "]");
        assertTrue(txAppSend - rxApp <= afterEcho - beforeReceive, "turnaround bounded by the poll that echoed");
        assertEquals(1, recorder.histogram(Phase.TURNAROUND).getTotalCount());
        assertEquals(1, recorder.histogram(Phase.RX_APP).getTotalCount());
        assertEquals(1, recorder.histogram(Phase.TX_WIRE).getTotalCount());
        assertConserved();
    }

    @Test
    void claimWriteSendFlushStampsAndReportsCompletion()
    {
        queue.poll(frame -> { });
        final byte[] payload = "hello".getBytes(StandardCharsets.US_ASCII);
        final int[] slots = new int[3];
        final long before = System.nanoTime();
        for (int i = 0; i < slots.length; i++)
        {
            slots[i] = queue.tryClaim();
            assertNotEquals(NicQueue.NO_SLOT, slots[i]);
            queue.buffer().putBytes(NicQueue.frameOffset(slots[i]), payload);
            queue.send(slots[i], payload.length);
        }
        assertEquals(3, queue.pendingFrames());
        assertEquals(0, driver.txReady.size());
        assertEquals(3, queue.flush());
        assertEquals(3, queue.framesSent());

        final SlotMetadata metadata = driver.metadata;
        for (final int slot : slots)
        {
            assertTrue(metadata.txAppSendNs(slot) >= before);
            assertTrue(metadata.txEnqueuedNs(slot) >= metadata.txAppSendNs(slot));
            assertEquals(0, metadata.rxAppNs(slot));
        }

        final List<Frame> completions = new ArrayList<>();
        final List<long[]> times = new ArrayList<>();
        queue.txCompletionHandler(frame ->
        {
            completions.add(frame);
            times.add(new long[]{ frame.txAppSendNs(), frame.txEnqueuedNs(), frame.txDequeuedNs(),
                frame.txDoorbellNs(), frame.txWireNs() });
            assertFalse(frame.isTxRejected());
            assertEquals(5, frame.length());
        });
        final LatencyRecorder recorder = new LatencyRecorder();
        queue.latencyRecorder(recorder);
        driver.transmit(null);
        queue.poll(frame -> { });
        assertEquals(3, completions.size());
        for (final long[] t : times)
        {
            for (int i = 1; i < t.length; i++)
            {
                assertTrue(t[i] >= t[i - 1], "TX timestamps in phase order");
            }
        }
        assertEquals(3, queue.framesCompleted());
        assertEquals(3, recorder.histogram("tx-enqueue").getTotalCount());
        assertEquals(3, recorder.histogram("tx-wire").getTotalCount());
        assertEquals(0, recorder.histogram(Phase.TURNAROUND).getTotalCount(), "fresh TX slots have no turnaround");
        assertConserved();
    }

    @Test
    void completionHandlerMayResendTheSameSlot()
    {
        queue.poll(frame -> { });
        final int slot = queue.tryClaim();
        queue.buffer().putStringWithoutLengthAscii(NicQueue.frameOffset(slot), "again and again");
        queue.send(slot, 15);
        queue.flush();
        final int[] resends = new int[1];
        queue.txCompletionHandler(frame ->
        {
            if (resends[0]++ < 3)
            {
                frame.send(frame.length());
            }
        });
        for (int i = 0; i < 5; i++)
        {
            driver.transmit((buffer, offset, length, s) -> assertEquals(slot, s));
            queue.poll(frame -> { });
        }
        assertEquals(4, driver.transmitted);
        assertConserved();
    }

    @Test
    void noSlotIsCountedNotThrown()
    {
        queue.poll(frame -> { });
        final List<Integer> claimed = new ArrayList<>();
        int slot;
        while ((slot = queue.tryClaim()) != NicQueue.NO_SLOT)
        {
            claimed.add(slot);
        }
        assertEquals(RESERVE, claimed.size());
        assertEquals(1, queue.noSlot());
        for (final int s : claimed)
        {
            queue.release(s);
        }
        queue.flush();
        assertConserved();
    }

    @Test
    void applicationMisuseIsRefused()
    {
        queue.poll(frame -> { });
        assertThrows(IllegalStateException.class, () -> queue.send(0, 60), "slot 0 is the driver's");
        assertThrows(IllegalStateException.class, () -> queue.release(SLOTS + 1));
        final int slot = queue.tryClaim();
        assertThrows(IllegalArgumentException.class, () -> queue.send(slot, 0));
        assertThrows(IllegalArgumentException.class, () -> queue.send(slot, 2049));
        queue.send(slot, 60);
        assertThrows(IllegalStateException.class, () -> queue.send(slot, 60), "already queued");
        queue.flush();
        assertThrows(IllegalStateException.class, () -> queue.release(slot), "the driver has it now");
    }

    @Test
    void misbehavingDriverIsCountedNotTrusted()
    {
        queue.poll(frame -> { });
        driver.injectRawIndex(SLOTS + 5, 60);
        driver.injectRawIndex(-1, 60);
        final int free = queue.tryClaim();
        driver.injectRawIndex(free, 60);
        driver.inject(text("ok"));
        assertEquals(4, queue.poll(frame -> received.add(frame.slot())));
        assertEquals(1, received.size());
        assertEquals(3, queue.driverProtocolErrors());

        driver.takeRxFree();
        final int bad = driver.inject(text("x"));
        driver.metadata.frameLength(bad, 4000);
        queue.poll(frame -> received.add(frame.slot()));
        assertEquals(1, received.size());
        assertEquals(1, queue.invalidRxLength());
    }

    @Test
    void handlerExceptionLosesNoSlot()
    {
        queue.poll(frame -> { });
        for (int i = 0; i < 4; i++)
        {
            driver.inject(text("f" + i));
        }
        final RuntimeException boom = new RuntimeException("application bug");
        assertSame(boom, assertThrows(RuntimeException.class, () -> queue.poll(frame ->
        {
            if (received.size() == 1)
            {
                throw boom;
            }
            received.add(frame.slot());
        })));
        assertConserved();
    }

    @Test
    void revokedChannelStopsTheQueueWithATypedError()
    {
        queue.poll(frame -> { });
        driver.channel.header().state(QueueChannelHeader.STATE_REVOKED);
        queue.poll(frame -> { });
        assertTrue(queue.isRevoked());
        assertTrue(queue.isStopped());
        final NicException ex = assertThrows(NicException.class, () -> queue.poll(frame -> { }));
        assertEquals(NicException.Reason.QUEUE_DRIVER_FAILED, ex.reason());
        assertTrue(ex.getMessage().contains("REVOKED"), ex.getMessage());
    }

    @Test
    void aStoppedQueueDriverStopsTheQueueWithoutItBeingRevoked()
    {
        queue.poll(frame -> { });
        driver.channel.header().state(QueueChannelHeader.STATE_CLOSED);
        queue.poll(frame -> { });
        assertTrue(queue.isStopped());
        assertFalse(queue.isRevoked(), "the card driver still holds the queue for the client");
        assertTrue(queue.stopReason().contains("CLOSED"), queue.stopReason());
        final NicException ex = assertThrows(NicException.class, () -> queue.tryClaim());
        assertEquals(NicException.Reason.QUEUE_DRIVER_FAILED, ex.reason());
    }

    @Test
    void closeDetachesAndUnmaps()
    {
        queue.close();
        assertTrue(queue.isClosed());
        assertEquals(QueueChannelHeader.CLIENT_PID_LEFT, driver.channel.header().clientPid());
        assertTrue(driver.channel.header().hasClientLeft());
        assertThrows(IllegalStateException.class, () -> queue.poll(frame -> { }));
        queue.close();
    }

    /** Every slot is somewhere: with the driver, on a ring, or in the client's free list. */
    private void assertConserved()
    {
        queue.flush();
        driver.takeRxFree();
        final int onRings = driver.rxReady.size() + driver.txReady.size() + driver.txDone.size();
        assertEquals(SLOTS, driver.freeCount() + queue.freeSlots() + onRings,
            "driver " + driver.freeCount() + ", client " + queue.freeSlots() + ", rings " + onRings);
    }

    private static UnsafeBuffer text(final String text)
    {
        return new UnsafeBuffer(text.getBytes(StandardCharsets.US_ASCII));
    }
}
