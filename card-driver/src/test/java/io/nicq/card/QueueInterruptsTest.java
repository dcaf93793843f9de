package io.nicq.card;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.nicq.ixgbe.FutexInterruptVector;
import io.nicq.ixgbe.SimulatedNic;
import io.nicq.sim.SimulatedCard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.nicq.ixgbe.Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/** The card driver's interrupt set-up: each queue 0..15 on its own vector, masked until its driver sleeps. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class QueueInterruptsTest
{
    @TempDir
    Path dir;

    @Test
    void queuesZeroToFifteenEachGetTheirOwnVectorAutoClearedAndAutoMaskedAndAllStartMasked()
    {
        try (SimulatedCard card = SimulatedCard.launch(new SimulatedCard.Context().cardName("irq").baseDir(dir)
            .wireSpec("memory").manualDrive(true));
            SimulatedNic nic = card.openNic())
        {
            nic.bar().write(EIMS, 0xFFFF);
            QueueInterrupts.program(nic.bar());
            card.doWork();
            assertEquals(0, nic.bar().read(EIMS), "every vector masked");
            final int gpie = nic.bar().read(GPIE);
            assertEquals(GPIE_MSIX_MODE | GPIE_EIAME, gpie & (GPIE_MSIX_MODE | GPIE_EIAME));
            assertEquals(EICR_RTX_QUEUE, nic.bar().read(EIAC));
            assertEquals(EICR_RTX_QUEUE, nic.bar().read(EIAM));
            for (int queue = 0; queue < QueueInterrupts.QUEUES_WITH_VECTORS; queue++)
            {
                final int ivar = nic.bar().read(ivarOf(queue));
                assertEquals(ivarEntry(queue), (ivar >>> ivarRxShift(queue)) & 0xFF, "RX cause of queue " + queue);
                assertEquals(ivarEntry(queue), (ivar >>> ivarTxShift(queue)) & 0xFF, "TX cause of queue " + queue);
            }
            // Unmasked, queue 5's cause reaches vector 5 and masks it again (EIAM).
            try (FutexInterruptVector vector = nic.interruptVector(5))
            {
                final long before = vector.interrupts();
                nic.bar().write(EIMS, 1 << 5);
                nic.bar().write(EICS, 1 << 5);
                card.driveUntil(() -> vector.interrupts() != before, TimeUnit.SECONDS.toNanos(5), "vector 5 fires");
                assertEquals(0, nic.bar().read(EIMS) & (1 << 5), "auto-masked when it fired");
            }
        }
    }
}
