package io.nicq.client;

import io.nicq.proto.channel.QueueChannelLayout;
import io.nicq.proto.channel.SlotMetadata;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LatencyRecorderTest
{
    private final SlotMetadata metadata = new SlotMetadata(
        new UnsafeBuffer(ByteBuffer.allocateDirect(4 * QueueChannelLayout.METADATA_RECORD_LENGTH)));
    private final LatencyRecorder recorder = new LatencyRecorder();

    @Test
    void recordsEachRxPhaseFromTheSlotTimestamps()
    {
        metadata.rxDeviceNs(1, 1_000);
        metadata.rxDriverSawNs(1, 1_500);
        metadata.rxPublishedNs(1, 1_700);
        metadata.rxAppNs(1, 2_700);
        recorder.recordRx(metadata, 1);
        assertEquals(500, recorder.histogram(Phase.RX_DD).getMaxValue(), 1);
        assertEquals(200, recorder.histogram(Phase.RX_RING).getMaxValue(), 1);
        assertEquals(1_000, recorder.histogram("rx-app").getMaxValue(), 1);
        assertEquals(0, recorder.histogram(Phase.TX_ENQUEUE).getTotalCount());
    }

    @Test
    void recordsTxPhasesAndTurnaroundSkippingAbsentTimestamps()
    {
        metadata.rxAppNs(2, 10_000);
        metadata.txAppSendNs(2, 12_000);
        metadata.txEnqueuedNs(2, 12_100);
        metadata.txDequeuedNs(2, 12_400);
        metadata.txDoorbellNs(2, 12_450);
        recorder.recordTx(metadata, 2);
        assertEquals(2_000, recorder.histogram(Phase.TURNAROUND).getMaxValue(), 2);
        assertEquals(100, recorder.histogram(Phase.TX_ENQUEUE).getMaxValue());
        assertEquals(300, recorder.histogram(Phase.TX_DEQUEUE).getMaxValue());
        assertEquals(50, recorder.histogram(Phase.TX_DOORBELL).getMaxValue());
        assertEquals(0, recorder.histogram(Phase.TX_WIRE).getTotalCount(), "no device timestamp: silicon");
    }

    @Test
    void clampsIntervalsOutOfRange()
    {
        recorder.record(Phase.RX_APP, 5_000, 4_000);
        recorder.record(Phase.RX_APP, 1, LatencyRecorder.HIGHEST_TRACKABLE_NS * 2);
        assertEquals(2, recorder.outOfRange());
        assertEquals(2, recorder.histogram(Phase.RX_APP).getTotalCount());
        recorder.reset();
        assertEquals(0, recorder.outOfRange());
        assertEquals(0, recorder.histogram(Phase.RX_APP).getTotalCount());
    }

    @Test
    void phasesByNameInDesignOrder()
    {
        assertEquals(List.of("tx-enqueue", "tx-dequeue", "tx-doorbell", "tx-wire", "rx-dd", "rx-ring", "rx-app",
            "turnaround"), List.copyOf(recorder.histograms().keySet()));
        assertSame(recorder.histogram(Phase.TX_WIRE), recorder.histograms().get("tx-wire"));
        assertThrows(IllegalArgumentException.class, () -> recorder.histogram("rx-nothing"));
    }

    @Test
    void recordersAdd()
    {
        final LatencyRecorder other = new LatencyRecorder();
        other.record(Phase.TX_WIRE, 1, 101);
        recorder.record(Phase.TX_WIRE, 1, 201);
        recorder.add(other);
        assertEquals(2, recorder.histogram(Phase.TX_WIRE).getTotalCount());
    }
}
