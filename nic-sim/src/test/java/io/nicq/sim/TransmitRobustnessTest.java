package io.nicq.sim;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.ixgbe.DmaBuffer;
import io.nicq.ixgbe.TxDescriptor;

import static io.nicq.ixgbe.Registers.*;
import static io.nicq.ixgbe.SimulatedCardFiles.*;
import static io.nicq.ixgbe.TxDescriptor.*;
import static org.junit.jupiter.api.Assertions.*;

/** Multi-descriptor frames, write-back modes and malformed descriptors on the transmit side. */
class TransmitRobustnessTest
{
    private static final int DATA = DTYP_DATA | CMD_DEXT | CMD_IFCS;

    @TempDir
    Path dir;

    private static byte[] payload(final int length, final int seed)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(seed + i);
        }
        return bytes;
    }

    private static void fill(final TestDriver.TxQueue tx, final int i, final byte[] bytes)
    {
        MemorySegment.copy(bytes, 0, tx.buffers.segment(), ValueLayout.JAVA_BYTE, (long)i * TestDriver.BUFFER_SIZE,
            bytes.length);
    }

    @Test
    void aFrameSpanningDescriptorsGoesOutWholeAndOnlyRsDescriptorsAreWrittenBack()
    {
        try (CardFixture f = CardFixture.provoked(dir, "gather"))
        {
            final TestDriver.TxQueue tx = f.driver.startTx(0, 16);
            final byte[] a = payload(100, 1);
            final byte[] b = payload(200, 2);
            final byte[] c = payload(50, 3);
            fill(tx, 0, a);
            fill(tx, 1, b);
            fill(tx, 2, c);
            tx.post(0, tx.bufferIova(0), DATA | a.length);
            tx.post(1, tx.bufferIova(1), DATA | b.length);
            tx.post(2, tx.bufferIova(2), DATA | CMD_EOP | CMD_RS | c.length);
            f.driver.bar.write(tdt(0), 3);
            f.settle();

            final byte[] sent = f.wire().pollTransmitted();
            final byte[] expected = new byte[350];
            System.arraycopy(a, 0, expected, 0, 100);
            System.arraycopy(b, 0, expected, 100, 200);
            System.arraycopy(c, 0, expected, 300, 50);
            assertArrayEquals(expected, sent);
            assertNull(f.wire().pollTransmitted(), "one frame");
            assertFalse(tx.done(0));
            assertFalse(tx.done(1));
            assertTrue(tx.done(2));
            assertEquals(3, f.driver.bar.read(tdh(0)));
        }
    }

    @Test
    void aFrameWaitsUntilItsEopDescriptorIsPosted()
    {
        try (CardFixture f = CardFixture.provoked(dir, "partial"))
        {
            final TestDriver.TxQueue tx = f.driver.startTx(0, 16);
            fill(tx, 0, payload(100, 1));
            fill(tx, 1, payload(100, 2));
            tx.post(0, tx.bufferIova(0), DATA | 100);
            f.driver.bar.write(tdt(0), 1);
            f.settle();
            assertNull(f.wire().pollTransmitted());
            assertEquals(0, f.driver.bar.read(tdh(0)));
            tx.post(1, tx.bufferIova(1), DATA | CMD_EOP | CMD_RS | 100);
            f.driver.bar.write(tdt(0), 2);
            f.settle();
            assertEquals(200, f.wire().pollTransmitted().length);
        }
    }

    @Test
    void aDescriptorRewrittenAfterTheTailHandedItOverIsADriverErrorAndTheFetchedCopyIsSent()
    {
        try (CardFixture f = CardFixture.provoked(dir, "rewrite"))
        {
            final TestDriver.TxQueue tx = f.driver.startTx(0, 16);
            fill(tx, 0, payload(100, 1));
            fill(tx, 1, payload(100, 2));
            tx.post(0, tx.bufferIova(0), DATA | 100);
            f.driver.bar.write(tdt(0), 1);
            f.settle();                                        // descriptor 0 is in the card's cache now
            tx.post(0, tx.bufferIova(0), DATA | 60);           // a driver that changes its mind too late
            tx.post(1, tx.bufferIova(1), DATA | CMD_EOP | CMD_RS | 100);
            f.driver.bar.write(tdt(0), 2);
            f.settle();
            assertEquals(200, f.wire().pollTransmitted().length, "the card used the copy it had fetched");
            assertEquals(1, f.status(DRIVER_ERRORS_OFFSET), "and counted the rewrite");
        }
    }

    @Test
    void withAWriteBackThresholdDdComesInBatchesOrOnASoftwareFlush()
    {
        try (CardFixture f = CardFixture.provoked(dir, "wthresh"))
        {
            final TestDriver.TxQueue tx = f.driver.startTx(0, 16, 4);
            final byte[] frame = payload(100, 7);
            for (int i = 0; i < 3; i++)
            {
                tx.send(frame);
            }
            f.settle();
            assertEquals(3, f.driver.bar.read(tdh(0)), "sent");
            for (int i = 0; i < 3; i++)
            {
                assertFalse(tx.done(i), "DD held back: 3 of WTHRESH 4 ready");
            }
            tx.send(frame);
            f.settle();
            for (int i = 0; i < 4; i++)
            {
                assertTrue(tx.done(i), "the fourth releases all four");
            }

            tx.send(frame);
            f.settle();
            assertFalse(tx.done(4));
            f.driver.bar.setBits(txdctl(0), TXDCTL_SWFLSH);
            f.settle();
            assertTrue(tx.done(4), "TXDCTL.SWFLSH writes back what WTHRESH holds");
            assertEquals(0, f.driver.bar.read(txdctl(0)) & TXDCTL_SWFLSH, "and self-clears");
            assertEquals(0, f.status(DRIVER_ERRORS_OFFSET));
        }
    }

    @Test
    void headWriteBackReportsTheHeadInsteadOfDescriptorDd()
    {
        try (CardFixture f = CardFixture.provoked(dir, "headwb"))
        {
            final TestDriver.TxQueue tx = f.driver.startTx(0, 16);
            final DmaBuffer head = f.driver.allocate("head", 64);
            f.driver.bar.write(tdwbal(0), (int)head.iova() | TDWBAL_HEAD_WB_ENABLE);
            f.driver.bar.write(tdwbah(0), (int)(head.iova() >>> 32));
            f.settle();
            tx.send(payload(80, 0));
            tx.send(payload(80, 1));
            f.settle();
            assertEquals(2, head.segment().get(ValueLayout.JAVA_INT, 0));
            assertFalse(tx.done(0), "no descriptor write-back with head write-back");
            assertFalse(tx.done(1));
        }
    }

    @Test
    void aHeadWriteBackAddressNotSixteenByteAlignedIsADriverErrorAndNothingIsWrittenBack()
    {
        try (CardFixture f = CardFixture.provoked(dir, "headwb8"))
        {
            final TestDriver.TxQueue tx = f.driver.startTx(0, 16);
            final DmaBuffer head = f.driver.allocate("head", 64);
            head.segment().set(ValueLayout.JAVA_INT, 8, -1);
            // Dword and even qword aligned, as the datasheet's two sections say; the part wants 16 bytes.
            f.driver.bar.write(tdwbal(0), (int)(head.iova() + 8) | TDWBAL_HEAD_WB_ENABLE);
            f.driver.bar.write(tdwbah(0), (int)(head.iova() >>> 32));
            f.settle();
            tx.send(payload(80, 0));
            f.settle();
            assertEquals(1, f.status(DRIVER_ERRORS_OFFSET), "counted once");
            assertEquals(-1, head.segment().get(ValueLayout.JAVA_INT, 8), "no head written");
            assertFalse(tx.done(0), "and no descriptor write-back either");
            assertEquals(80, f.wire().pollTransmitted().length, "the frame still goes out");

            f.driver.bar.write(tdwbal(0), (int)(head.iova() + 16) | TDWBAL_HEAD_WB_ENABLE);
            f.settle();
            tx.send(payload(80, 1));
            f.settle();
            assertEquals(2, head.segment().get(ValueLayout.JAVA_INT, 16), "an aligned address gets the head");
            assertEquals(1, f.status(DRIVER_ERRORS_OFFSET));
        }
    }

    @Test
    void zeroLengthDescriptorsAreMalformedButStillCompleted()
    {
        try (CardFixture f = CardFixture.provoked(dir, "zerolen"))
        {
            final TestDriver.TxQueue tx = f.driver.startTx(0, 16);
            tx.post(0, tx.bufferIova(0), DATA | CMD_EOP | CMD_RS);
            f.driver.bar.write(tdt(0), 1);
            f.settle();
            assertEquals(1, f.status(MALFORMED_DESCRIPTORS_OFFSET));
            assertTrue(tx.done(0), "the driver gets its descriptor back");
            assertNull(f.wire().pollTransmitted());
            assertEquals(0, f.driver.bar.read(GPTC));
        }
    }

    @Test
    void aBufferRunningPastItsMappingIsADmaFault()
    {
        try (CardFixture f = CardFixture.provoked(dir, "txfault"))
        {
            final TestDriver.TxQueue tx = f.driver.startTx(0, 16);
            final long end = tx.buffers.iova() + tx.buffers.segment().byteSize();
            tx.post(0, end - 100, DATA | CMD_EOP | CMD_RS | 200);
            tx.post(1, 0x1234, DATA | CMD_EOP | CMD_RS | 60);
            tx.post(2, tx.bufferIova(2), DATA | CMD_EOP | CMD_RS | 60);
            f.driver.bar.write(tdt(0), 3);
            f.settle();
            assertEquals(2, f.status(DMA_FAULTS_OFFSET));
            assertTrue(tx.done(0) && tx.done(1) && tx.done(2));
            assertNotNull(f.wire().pollTransmitted(), "the good frame");
            assertNull(f.wire().pollTransmitted(), "only the good frame");
        }
    }

    @Test
    void noEopWithinTheRingIsMalformed()
    {
        try (CardFixture f = CardFixture.provoked(dir, "noeop"))
        {
            final TestDriver.TxQueue tx = f.driver.startTx(0, 8);
            for (int i = 0; i < 7; i++)
            {
                tx.post(i, tx.bufferIova(i), DATA | CMD_RS | 64);
            }
            f.driver.bar.write(tdt(0), 7);
            f.settle();
            assertEquals(1, f.status(MALFORMED_DESCRIPTORS_OFFSET));
            assertEquals(7, f.driver.bar.read(tdh(0)), "all of it consumed");
            assertNull(f.wire().pollTransmitted());
        }
    }

    @Test
    void framesOverTheMaximumAreMalformed()
    {
        try (CardFixture f = CardFixture.provoked(dir, "toolong"))
        {
            final TestDriver.TxQueue tx = f.driver.startTx(0, 16);
            final DmaBuffer big = f.driver.allocate("big", 64 * 1024);
            tx.post(0, big.iova(), DATA | 0xF000);
            tx.post(1, big.iova(), DATA | CMD_EOP | CMD_RS | 0x2000);
            f.driver.bar.write(tdt(0), 2);
            f.settle();
            assertEquals(1, f.status(MALFORMED_DESCRIPTORS_OFFSET));
            assertNull(f.wire().pollTransmitted());
        }
    }

    @Test
    void aTailOutsideTheRingIsCountedOnceAndIgnored()
    {
        try (CardFixture f = CardFixture.provoked(dir, "badtail"))
        {
            final TestDriver.TxQueue tx = f.driver.startTx(0, 16);
            f.driver.bar.write(tdt(0), 99);
            f.settle();
            f.settle();
            assertEquals(1, f.status(MALFORMED_DESCRIPTORS_OFFSET));
            assertEquals(0, f.driver.bar.read(tdh(0)));
            tx.tail = 0;
            final int d = tx.send(payload(64, 9));
            f.driver.await(() -> tx.done(d), "a valid tail works again");
        }
    }

    @Test
    void contextDescriptorsCarryNoData()
    {
        try (CardFixture f = CardFixture.provoked(dir, "context"))
        {
            final TestDriver.TxQueue tx = f.driver.startTx(0, 16);
            final byte[] bytes = payload(90, 4);
            fill(tx, 1, bytes);
            tx.post(0, 0, (0x2 << 20) | CMD_DEXT); // an advanced context descriptor
            tx.post(1, tx.bufferIova(1), DATA | CMD_EOP | CMD_RS | bytes.length);
            f.driver.bar.write(tdt(0), 2);
            f.settle();
            assertArrayEquals(bytes, f.wire().pollTransmitted());
            assertEquals(0, f.status(MALFORMED_DESCRIPTORS_OFFSET));
        }
    }

    @Test
    void shortFramesArePaddedToSixtyBytes()
    {
        try (CardFixture f = CardFixture.provoked(dir, "pad"))
        {
            final TestDriver.TxQueue tx = f.driver.startTx(0, 16);
            tx.send(payload(20, 5));
            f.settle();
            final byte[] sent = f.wire().pollTransmitted();
            assertEquals(60, sent.length);
            assertArrayEquals(payload(20, 5), Arrays.copyOf(sent, 20));
            assertArrayEquals(new byte[40], Arrays.copyOfRange(sent, 20, 60));
        }
    }

    @Test
    void unregisteringATxRingStopsItsQueueWithAFault()
    {
        try (CardFixture f = CardFixture.provoked(dir, "txringgone"))
        {
            final TestDriver.TxQueue tx = f.driver.startTx(1, 16);
            tx.ring.mapping().close();
            f.settle();
            assertEquals(1, f.status(DMA_FAULTS_OFFSET));
            assertEquals(0, f.driver.bar.read(txdctl(1)) & DCTL_ENABLE);
            f.driver.bar.write(tdt(1), 3);
            f.settle();
            assertEquals(1, f.status(DMA_FAULTS_OFFSET), "a stopped queue is not fetched from");
        }
    }

    @Test
    void wireTimestampIsWrittenBackWithDd()
    {
        try (CardFixture f = CardFixture.provoked(dir, "txtime"))
        {
            final TestDriver.TxQueue tx = f.driver.startTx(0, 16);
            final long before = System.nanoTime();
            final int d = tx.send(payload(64, 1));
            f.settle();
            final long after = System.nanoTime();
            final long stamp = TxDescriptor.writeBackTimestamp(tx.ring.segment(), d);
            assertTrue(before <= stamp && stamp <= after);
        }
    }
}
