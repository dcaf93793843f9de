package io.nicq.card;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.nicq.ixgbe.DeviceTimeoutException;
import io.nicq.ixgbe.DmaBuffer;
import io.nicq.ixgbe.RxDescriptor;
import io.nicq.ixgbe.TxDescriptor;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.ixgbe.SimulatedNic;
import io.nicq.proto.sbe.FilterKind;
import io.nicq.sim.SimulatedCard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.nicq.ixgbe.Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The init sequence and the filter manager against the simulated card embedded in this JVM: the card reads back what
 * the datasheet says, no write-only register is read and no read-only register written.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CardInitSimulatedCardTest
{
    @TempDir
    Path dir;

    private final CardLog log = new CardLog(new PrintStream(new ByteArrayOutputStream(), true,
        StandardCharsets.UTF_8), "sim-test");

    @Test
    void initBringsTheSimulatedCardUpAndFiltersReadBack()
    {
        try (SimulatedCard card = SimulatedCard.launch(new SimulatedCard.Context().cardName("init").baseDir(dir)
            .wireSpec("memory"));
            SimulatedNic nic = card.openNic())
        {
            final long mac = new CardInit(nic.bar(), new CardDriver.Context(), log).run();
            assertEquals(card.mac(), mac);
            assertNotEquals(0, nic.bar().read(LINKS) & LINKS_UP);
            assertNotEquals(0, nic.bar().read(RXCTRL) & RXCTRL_RXEN);

            final FilterManager filters = new FilterManager(nic.bar(), 0x0A000001,
                new FlowDirectorFilters(nic.bar(), new CardDriver.Context()), new SoftwareFilters(16));
            final FilterRegistration filter = filters.register(9, 4, FilterKind.TCP_CONNECTION, 6, 0, 443, 0x0A000002,
                50000);
            final int slot = filter.hardwareIndex();
            assertEquals(0x0100000A, nic.bar().read(daqf(slot)));
            assertEquals(0x0200000A, nic.bar().read(saqf(slot)));
            assertEquals(FilterManager.portsRegister(50000, 443), nic.bar().read(sdpqf(slot)));
            assertEquals(FilterManager.ftqfValue(filter), nic.bar().read(ftqf(slot)));
            filters.deregister(9, filter.id());
            assertEquals(0, nic.bar().read(ftqf(slot)));

            assertEquals(0, nic.bar().status(SimulatedCardFiles.WRITE_ONLY_READS_OFFSET), "L34T_IMIR never read");
            assertEquals(0, nic.bar().status(SimulatedCardFiles.DRIVER_ERRORS_OFFSET), "no driver error: SECRX " +
                "around RXEN, the TX packet buffer inside RTTDCS.ARBDIS, 16-byte head write-back, SRRCTL in range");
            assertEquals(0, nic.bar().status(SimulatedCardFiles.READ_ONLY_WRITES_OFFSET), "no read-only writes");
        }
    }

    @Test
    void queueEnableAndTeardownKeepTheDatasheetsOrderOnTheSimulatedCard()
    {
        try (SimulatedCard card = SimulatedCard.launch(new SimulatedCard.Context().cardName("queue").baseDir(dir)
            .wireSpec("memory"));
            SimulatedNic nic = card.openNic();
            DmaBuffer rx = nic.dma().allocate("rx", 64 * RxDescriptor.SIZE);
            DmaBuffer tx = nic.dma().allocate("tx", 64 * TxDescriptor.SIZE);
            DmaBuffer head = nic.dma().allocate("head", 64))
        {
            new CardInit(nic.bar(), new CardDriver.Context(), log).run();
            final QueueProgrammer programmer = new QueueProgrammer(nic.bar(), TimeUnit.SECONDS.toNanos(5));
            QueueProgrammer.validate(64, rx.iova(), tx.iova(), head.iova());
            programmer.enable(5, 64, rx.iova(), tx.iova(), head.iova());
            nic.bar().write(rdt(5), 0);                            // the queue driver's first doorbells
            nic.bar().write(tdt(5), 0);
            assertNull(programmer.disable(5));
            assertFalse(programmer.isEnabled(5));

            assertEquals(0, nic.bar().status(SimulatedCardFiles.DRIVER_ERRORS_OFFSET), "no head written to a " +
                "running queue, no tail bumped before ENABLE read back, an aligned head write-back address");
            assertEquals(0, nic.bar().status(SimulatedCardFiles.MALFORMED_DESCRIPTORS_OFFSET));
            assertEquals(0, nic.bar().status(SimulatedCardFiles.DMA_FAULTS_OFFSET));
        }
    }

    @Test
    void cardWithoutACableNeverGetsALink()
    {
        try (SimulatedCard card = SimulatedCard.launch(new SimulatedCard.Context().cardName("nolink").baseDir(dir)
            .wireSpec("none"));
            SimulatedNic nic = card.openNic())
        {
            final CardDriver.Context ctx = new CardDriver.Context().linkTimeoutNs(TimeUnit.MILLISECONDS.toNanos(300));
            final DeviceTimeoutException ex = assertThrows(DeviceTimeoutException.class,
                () -> new CardInit(nic.bar(), ctx, log).run());
            assertTrue(ex.getMessage().contains("link did not come up within 300 ms"), ex.getMessage());
        }
    }
}
