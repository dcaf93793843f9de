package io.nicq.card;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import io.nicq.ixgbe.DmaBuffer;
import io.nicq.ixgbe.RegisterFile;
import io.nicq.ixgbe.RxDescriptor;
import io.nicq.ixgbe.SimulatedCardFiles;
import io.nicq.ixgbe.SimulatedNic;
import io.nicq.ixgbe.TxDescriptor;
import io.nicq.proto.sbe.FilterKind;
import io.nicq.sim.SimulatedCard;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.nicq.ixgbe.Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Every register access of init, queue enable, filter programming and teardown against the simulated card, recorded
 * at the BAR ({@link TracingBar}) and checked against the order the references ask for: ixy's reset_and_init,
 * datasheet 4.6.3 (master disable, reset, EEPROM and DMA done first), 4.6.4 and 10.5.4 (AUTOC only under the
 * software/firmware semaphore), 4.6.7 (filter tables cleared and the SECRX erratum sequence before RXEN; 4.6.7.1 tail
 * bumped only after ENABLE reads back; 4.6.7.1.2 teardown waits), 4.6.8 (packet buffer inside RTTDCS.ARBDIS,
 * DMATXCTL.TE before the first TXDCTL.ENABLE), and no read of a write-only or write of a read-only register.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CardWriteTraceTest
{
    private static final int QUEUE = 5;
    private static final int RING = 64;

    @TempDir
    Path dir;

    private List<TracingBar.Access> trace;

    private final CardLog log = new CardLog(new PrintStream(new ByteArrayOutputStream(), true,
        StandardCharsets.UTF_8), "trace-test");

    @BeforeEach
    void recordAWholeLife()
    {
        try (SimulatedCard card = SimulatedCard.launch(new SimulatedCard.Context().cardName("trace").baseDir(dir)
            .wireSpec("memory"));
            SimulatedNic nic = card.openNic();
            DmaBuffer rx = nic.dma().allocate("rx", RING * RxDescriptor.SIZE);
            DmaBuffer tx = nic.dma().allocate("tx", RING * TxDescriptor.SIZE);
            DmaBuffer head = nic.dma().allocate("head", 64);
            DmaBuffer packets = nic.dma().allocate("packets", RING * 2048))
        {
            final TracingBar bar = new TracingBar(nic.bar());
            final CardDriver.Context ctx = new CardDriver.Context();
            new CardInit(bar, ctx, log).run();

            final FilterManager filters = new FilterManager(bar, 0x0A000001, new FlowDirectorFilters(bar, ctx),
                new SoftwareFilters(16));
            final FilterRegistration filter = filters.register(9, QUEUE, FilterKind.UDP_PORT, 1, 0, 7, 0, 0);
            filters.deregister(9, filter.id());

            final QueueProgrammer programmer = new QueueProgrammer(bar, TimeUnit.SECONDS.toNanos(5));
            programmer.enable(QUEUE, RING, rx.iova(), tx.iova(), head.iova());
            for (int i = 0; i < RING; i++)
            {
                RxDescriptor.setBuffer(rx.segment(), i, packets.iova() + 2048L * i);
            }
            bar.write(rdt(QUEUE), RING - 1);                       // the queue driver's first doorbells
            bar.write(tdt(QUEUE), 0);
            assertNull(programmer.disable(QUEUE));
            trace = bar.trace;

            assertEquals(0, nic.bar().status(SimulatedCardFiles.DRIVER_ERRORS_OFFSET), "the card saw no error");
            assertEquals(0, nic.bar().status(SimulatedCardFiles.WRITE_ONLY_READS_OFFSET));
            assertEquals(0, nic.bar().status(SimulatedCardFiles.READ_ONLY_WRITES_OFFSET));
        }
    }

    @Test
    void thePcieMasterIsStoppedBeforeTheResetAndNothingElseIsTouchedBeforeIt()
    {
        final int disable = first(a -> a.isWrite(CTRL) && a.has(CTRL_PCIE_MASTER_DISABLE));
        final int stopped = first(disable, a -> a.isRead(STATUS) && (a.value() & STATUS_PCIE_MASTER_ENABLE) == 0);
        final int reset = first(a -> a.isWrite(CTRL) && a.has(CTRL_RST));
        assertTrue(disable >= 0 && stopped > disable && reset > stopped, "master disable, its status, then CTRL.RST");
        for (int i = 0; i < reset; i++)
        {
            final int offset = trace.get(i).offset();
            assertTrue(offset == CTRL || offset == STATUS || offset == EIMC, "before the reset only EIMC, CTRL and " +
                "STATUS: " + trace.get(i));
        }
        final int resetDone = first(reset, a -> a.isRead(CTRL) && (a.value() & CTRL_RST_MASK) == 0);
        final int eeprom = first(resetDone, a -> a.isRead(EEC) && a.has(EEC_ARD));
        final int dma = first(eeprom, a -> a.isRead(RDRXCTL) && a.has(RDRXCTL_DMAIDONE));
        assertTrue(resetDone > reset && eeprom > resetDone && dma > eeprom, "reset done, EEC.ARD, DMAIDONE");
        final int firstConfiguration = first(resetDone, a -> a.write() && a.offset() != EIMC && a.offset() != CTRL);
        assertTrue(firstConfiguration > dma, "nothing configured before the EEPROM and DMA are done: " +
            trace.get(firstConfiguration));
    }

    @Test
    void autocIsWrittenOnlyHoldingTheMacCsrSemaphoreWhichIsTakenUnderSwsm()
    {
        boolean macCsr = false;
        boolean swesmbi = false;
        int autocWrites = 0;
        for (final TracingBar.Access a : trace)
        {
            if (a.isRead(SWSM) && a.has(SWSM_SWESMBI))
            {
                swesmbi = true;
            }
            else if (a.isWrite(SWSM) && !a.has(SWSM_SWESMBI))
            {
                swesmbi = false;
            }
            else if (a.isWrite(SW_FW_SYNC))
            {
                assertTrue(swesmbi, "SW_FW_SYNC written only after SWSM.SWESMBI read back set: " + a);
                macCsr = a.has(SW_FW_SYNC_SW_MAC_CSR);
            }
            else if (a.isWrite(AUTOC))
            {
                assertTrue(macCsr, "AUTOC written holding SW_FW_SYNC.SW_MAC_CSR: " + a);
                autocWrites++;
            }
        }
        assertFalse(macCsr, "the semaphore is given back");
        assertEquals(3, autocWrites, "LMS, then the pipeline reset's toggled and final writes");
        final int linkUp = first(a -> a.isRead(LINKS) && a.has(LINKS_UP));
        assertTrue(linkUp > last(a -> a.isWrite(AUTOC)), "the link is awaited after the last AUTOC write");
    }

    @Test
    void filterTablesAreClearedAndTheSecurityRxPathIdleBeforeReceiveIsEnabled()
    {
        final int rxen = first(a -> a.isWrite(RXCTRL) && a.has(RXCTRL_RXEN));
        assertTrue(rxen > 0);
        for (int n = 0; n < FIVE_TUPLE_FILTER_COUNT; n++)
        {
            assertClearedBefore(ftqf(n), rxen);
            assertClearedBefore(saqf(n), rxen);
            assertClearedBefore(daqf(n), rxen);
            assertClearedBefore(sdpqf(n), rxen);
            assertWrittenBefore(l34tImir(n), rxen);
        }
        for (int n = 1; n < ETHERTYPE_FILTER_COUNT; n++)
        {
            assertClearedBefore(etqf(n), rxen);
        }
        assertClearedBefore(SYNQF, rxen);
        for (int n = 0; n < MTA_REGISTER_COUNT; n++)
        {
            assertClearedBefore(mta(n), rxen);
        }
        for (int n = 0; n < VFTA_REGISTER_COUNT; n++)
        {
            assertClearedBefore(vfta(n), rxen);
        }
        for (int n = 1; n < RECEIVE_ADDRESS_COUNT; n++)
        {
            assertClearedBefore(ral(n), rxen);
            assertClearedBefore(rah(n), rxen);
        }

        final int rxDis = last(rxen, a -> a.isWrite(SECRXCTRL) && a.has(SECRXCTRL_RX_DIS));
        final int ready = last(rxen, a -> a.isRead(SECRXSTAT) && a.has(SECRXSTAT_SECRX_RDY));
        assertTrue(rxDis >= 0 && ready > rxDis, "SECRXCTRL.RX_DIS, then SECRXSTAT.SECRX_RDY read, then RXEN");
        final int restart = first(rxen, a -> a.isWrite(SECRXCTRL) && (a.value() & SECRXCTRL_RX_DIS) == 0);
        assertTrue(restart > rxen, "RX_DIS cleared after RXEN");
        final int flowDirector = first(a -> a.isWrite(FDIRCTRL));
        assertTrue(flowDirector >= 0 && flowDirector < rxen, "the flow director is initialised before RXEN (7.1.2.7)");
    }

    @Test
    void theTransmitPacketBufferIsProgrammedWithTheArbiterOffAndTeBeforeTheFirstQueueEnable()
    {
        final int arbiterOff = first(a -> a.isWrite(RTTDCS) && a.has(RTTDCS_ARBDIS));
        final int arbiterOn = first(arbiterOff, a -> a.isWrite(RTTDCS) && (a.value() & RTTDCS_ARBDIS) == 0);
        for (final int register : new int[] {DTXMXSZRQ, txpbsize(0), txpbthresh(0), MTQC})
        {
            final int write = first(a -> a.isWrite(register));
            assertTrue(write > arbiterOff && write < arbiterOn, String.format("0x%05X inside RTTDCS.ARBDIS",
                register));
        }
        final int te = first(a -> a.isWrite(DMATXCTL) && a.has(DMATXCTL_TE));
        final int firstEnable = first(a -> a.write() && isTxdctl(a.offset()) && a.has(DCTL_ENABLE));
        assertTrue(te >= 0 && firstEnable > te, "DMATXCTL.TE before the first TXDCTL.ENABLE (4.6.8)");
    }

    @Test
    void aTailMovesOnlyOnceItsQueuesEnableReadsBack()
    {
        final int rxEnabled = first(a -> a.isRead(rxdctl(QUEUE)) && a.has(DCTL_ENABLE));
        final int txEnabled = first(a -> a.isRead(txdctl(QUEUE)) && a.has(DCTL_ENABLE));
        assertTrue(rxEnabled > first(a -> a.isWrite(rxdctl(QUEUE)) && a.has(DCTL_ENABLE)));
        assertTrue(txEnabled > first(a -> a.isWrite(txdctl(QUEUE)) && a.has(DCTL_ENABLE)));
        assertTrue(first(a -> a.isWrite(rdt(QUEUE)) && a.value() != 0) > rxEnabled, "RDT moved after ENABLE read");
        for (int i = 0; i < trace.size(); i++)
        {
            final TracingBar.Access a = trace.get(i);
            if (a.write() && (a.offset() == rdh(QUEUE) || a.offset() == tdh(QUEUE)))
            {
                assertEquals(0, a.value());
            }
        }
        final int ringBase = first(a -> a.isWrite(rdbal(QUEUE)) && a.value() != 0);
        assertTrue(first(a -> a.isWrite(rdh(QUEUE))) > ringBase && first(a -> a.isWrite(rxdctl(QUEUE))) > ringBase,
            "base, length, head and tail before ENABLE (4.6.7.1)");
    }

    @Test
    void filterProgrammingWritesTheImirBeforeTheEnableAndRemovalDisablesFirst()
    {
        final int enable = first(a -> isFtqf(a.offset()) && a.write() && a.has(FTQF_QUEUE_ENABLE));
        final int slot = (trace.get(enable).offset() - ftqf(0)) / 4;
        final int imir = last(enable, a -> a.isWrite(l34tImir(slot)));
        final int daqf = last(enable, a -> a.isWrite(daqf(slot)) && a.value() != 0);
        assertTrue(imir > daqf && daqf > 0, "DAQF, ..., L34T_IMIR, then FTQF's enable");
        final int disable = first(enable + 1, a -> a.isWrite(ftqf(slot)));
        assertEquals(0, trace.get(disable).value() & FTQF_QUEUE_ENABLE);
        assertTrue(first(enable + 1, a -> a.isWrite(l34tImir(slot))) > disable, "removal disables FTQF first");
    }

    @Test
    void teardownWaitsForTheQueueToStopAndDrainBeforeTheRingsAreForgotten()
    {
        final int rxOff = first(a -> a.isWrite(rxdctl(QUEUE)) && (a.value() & DCTL_ENABLE) == 0 &&
            a.nanos() > trace.get(first(b -> b.isRead(rxdctl(QUEUE)) && b.has(DCTL_ENABLE))).nanos());
        final int rxStopped = first(rxOff, a -> a.isRead(rxdctl(QUEUE)) && (a.value() & DCTL_ENABLE) == 0);
        final int txOff = first(rxOff, a -> a.isWrite(txdctl(QUEUE)) && (a.value() & DCTL_ENABLE) == 0);
        final int txStopped = first(txOff, a -> a.isRead(txdctl(QUEUE)) && (a.value() & DCTL_ENABLE) == 0);
        final int headRead = last(txOff, a -> a.isRead(tdh(QUEUE)));
        final int tailRead = last(txOff, a -> a.isRead(tdt(QUEUE)));
        assertTrue(rxStopped > rxOff && txStopped > txOff, "ENABLE polled until it reads 0");
        assertTrue(headRead > rxOff && tailRead > headRead, "TDH == TDT checked before TX is disabled");
        assertEquals(trace.get(headRead).value(), trace.get(tailRead).value(), "drained");
        final int forget = first(txStopped, a -> a.isWrite(rdbal(QUEUE)) && a.value() == 0);
        assertTrue(forget > txStopped, "rings zeroed only after both stopped");
        assertTrue(trace.get(forget).nanos() - trace.get(txStopped).nanos() >= QueueProgrammer.AFTER_DISABLE_WAIT_NS,
            "and after the further wait of 4.6.7.1.2");
    }

    @Test
    void noWriteOnlyRegisterIsReadAndNoReadOnlyRegisterWritten()
    {
        for (final TracingBar.Access a : trace)
        {
            if (a.write())
            {
                assertNotEquals(RegisterFile.Access.READ_ONLY, RegisterFile.access(a.offset()), a.toString());
            }
            else
            {
                assertNotEquals(RegisterFile.Access.WRITE_ONLY, RegisterFile.access(a.offset()), a.toString());
            }
        }
    }

    private void assertClearedBefore(final int offset, final int index)
    {
        final int write = last(index, a -> a.isWrite(offset));
        assertTrue(write >= 0, String.format("0x%05X written before RXEN", offset));
        assertEquals(0, trace.get(write).value(), String.format("0x%05X cleared before RXEN", offset));
    }

    private void assertWrittenBefore(final int offset, final int index)
    {
        assertTrue(last(index, a -> a.isWrite(offset)) >= 0, String.format("0x%05X written before RXEN", offset));
    }

    private static boolean isTxdctl(final int offset)
    {
        for (int q = 0; q < QUEUE_COUNT; q++)
        {
            if (txdctl(q) == offset)
            {
                return true;
            }
        }
        return false;
    }

    private static boolean isFtqf(final int offset)
    {
        return offset >= ftqf(0) && offset <= ftqf(FIVE_TUPLE_FILTER_COUNT - 1);
    }

    private int first(final Predicate<TracingBar.Access> p)
    {
        return first(0, p);
    }

    /** Index of the first access from {@code from} on that matches, or -1. */
    private int first(final int from, final Predicate<TracingBar.Access> p)
    {
        for (int i = Math.max(from, 0); i < trace.size(); i++)
        {
            if (p.test(trace.get(i)))
            {
                return i;
            }
        }
        return -1;
    }

    private int last(final Predicate<TracingBar.Access> p)
    {
        return last(trace.size(), p);
    }

    /** Index of the last access before {@code before} that matches, or -1. */
    private int last(final int before, final Predicate<TracingBar.Access> p)
    {
        for (int i = Math.min(before, trace.size()) - 1; i >= 0; i--)
        {
            if (p.test(trace.get(i)))
            {
                return i;
            }
        }
        return -1;
    }
}
