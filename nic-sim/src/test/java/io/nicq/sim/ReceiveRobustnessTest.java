package io.nicq.sim;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.ixgbe.Bar;
import io.nicq.ixgbe.DmaBuffer;
import io.nicq.ixgbe.RxDescriptor;
import io.nicq.packet.MacAddress;

import static io.nicq.ixgbe.Registers.*;
import static io.nicq.ixgbe.SimulatedCardFiles.*;
import static org.junit.jupiter.api.Assertions.*;

/** Full rings, DMA faults, multi-buffer frames and hostile register values on the receive side. */
class ReceiveRobustnessTest
{
    private static final long PEER = MacAddress.parse("02:00:00:00:00:ee");

    @TempDir
    Path dir;

    /** What the checksum offload reports for a UDP/IPv4 frame it checked (IPCS, L4CS, UDPCS). */
    private static final int CHECKED_UDP = RxDescriptor.STATUS_IPCS | RxDescriptor.STATUS_L4CS |
        RxDescriptor.STATUS_UDPCS;

    private static byte[] frame(final long mac, final int payload)
    {
        return Frames.udp(mac, PEER, Frames.ip("10.0.0.2"), Frames.ip("10.0.0.1"), 1, 2, new byte[payload]);
    }

    @Test
    void aFullRingDropsAndCountsOnThatQueue()
    {
        try (CardFixture f = CardFixture.provoked(dir, "full"))
        {
            final TestDriver.RxQueue rx = f.driver.startRx(0, 8); // 7 descriptors given to the device
            for (int i = 0; i < 10; i++)
            {
                f.wire().inject(frame(f.card.mac(), 20));
            }
            f.settle();
            assertEquals(7, f.status(rxQueueFramesOffset(0)));
            assertEquals(3, f.status(rxQueueDropsOffset(0)));
            assertEquals(3, f.driver.bar.read(qprdc(0)), "SRRCTL.DROP_EN: counted in QPRDC");
            assertEquals(0, f.driver.bar.read(mpc(0)));
            assertEquals(10, f.driver.bar.read(GPRC));

            for (int i = 0; i < 7; i++)
            {
                assertNotNull(rx.poll());
            }
            f.wire().inject(frame(f.card.mac(), 20));
            f.settle();
            assertNotNull(rx.poll(), "descriptors given back are used again");
        }
    }

    @Test
    void withoutDropEnableAFullRingCountsMissedPackets()
    {
        try (CardFixture f = CardFixture.provoked(dir, "nodropen"))
        {
            final TestDriver.RxQueue queue = f.driver.new RxQueue(1, 8);
            f.driver.configureRx(queue, SRRCTL_DESCTYPE_ADV_ONEBUF | 2);
            f.driver.bar.setBits(rxdctl(1), DCTL_ENABLE);
            f.driver.awaitSet(rxdctl(1), DCTL_ENABLE, "queue 1 enabled");
            Filters.etherType(f.driver.bar, 0, Frames.ETHERTYPE_IPV4, true, 1);
            f.settle();
            f.wire().inject(frame(f.card.mac(), 20)); // no descriptor given: RDT = 0
            f.settle();
            assertEquals(1, f.driver.bar.read(mpc(0)));
            assertEquals(0, f.driver.bar.read(qprdc(0)));
            assertEquals(1, f.status(rxQueueDropsOffset(1)));
            assertEquals(1, f.driver.bar.read(GPRC), "erratum: GPRC counts missed packets too");
        }
    }

    @Test
    void framesForADisabledQueueAreDroppedAndCounted()
    {
        try (CardFixture f = CardFixture.provoked(dir, "disabled"))
        {
            f.driver.startRx(0, 8);
            Filters.etherType(f.driver.bar, 0, Frames.ETHERTYPE_IPV4, true, 50);
            f.settle();
            f.wire().inject(frame(f.card.mac(), 20));
            f.settle();
            assertEquals(1, f.status(rxQueueDropsOffset(50)));
            assertEquals(0, f.status(rxQueueFramesOffset(0)));
        }
    }

    @Test
    void aBufferOutsideTheIommuIsADmaFaultAndNothingIsWrittenElsewhere()
    {
        try (CardFixture f = CardFixture.provoked(dir, "rxfault"))
        {
            final TestDriver.RxQueue rx = f.driver.startRx(0, 8);
            final MemorySegment ring = rx.ring.segment();
            // Descriptor 0 points just past the end of the buffers' range (inside the guard gap); descriptor 1 at a
            // buffer whose end runs past the range.
            final long end = rx.buffers.iova() + rx.buffers.segment().byteSize();
            RxDescriptor.setBuffer(ring, 0, end);
            RxDescriptor.setBuffer(ring, 1, end - 16);
            final byte[] before = rx.buffers.segment().toArray(ValueLayout.JAVA_BYTE);

            f.wire().inject(frame(f.card.mac(), 40));
            f.wire().inject(frame(f.card.mac(), 40));
            f.wire().inject(frame(f.card.mac(), 40));
            f.settle();
            assertEquals(2, f.status(DMA_FAULTS_OFFSET));
            final byte[] after = rx.buffers.segment().toArray(ValueLayout.JAVA_BYTE);
            assertArrayEquals(java.util.Arrays.copyOf(before, 2 * TestDriver.BUFFER_SIZE),
                java.util.Arrays.copyOf(after, 2 * TestDriver.BUFFER_SIZE), "the faulting frames were written nowhere");
            assertArrayEquals(java.util.Arrays.copyOfRange(before, 3 * TestDriver.BUFFER_SIZE, before.length),
                java.util.Arrays.copyOfRange(after, 3 * TestDriver.BUFFER_SIZE, after.length));
            final int status = RxDescriptor.statusError(ring, 0);
            assertEquals(RxDescriptor.STATUS_DD | RxDescriptor.STATUS_EOP | RxDescriptor.ERROR_RXE, status,
                "consumed with an error so the driver can recover");
            assertEquals(0, RxDescriptor.length(ring, 0));
            assertEquals(RxDescriptor.STATUS_DD | RxDescriptor.STATUS_EOP | CHECKED_UDP,
                RxDescriptor.statusError(ring, 2), "the next descriptor works");
            assertEquals(1, f.status(rxQueueFramesOffset(0)));
        }
    }

    @Test
    void aStaleIovaFaultsAfterItsMemoryIsUnregistered()
    {
        try (CardFixture f = CardFixture.provoked(dir, "stale"))
        {
            final TestDriver.RxQueue rx = f.driver.startRx(0, 8);
            final DmaBuffer old = f.driver.nic.dma().allocate("old", 4096);
            final long staleIova = old.iova();
            old.close();
            final DmaBuffer fresh = f.driver.nic.dma().allocate("fresh", 4096);
            assertNotEquals(staleIova, fresh.iova(), "IOVAs are never reused");
            RxDescriptor.setBuffer(rx.ring.segment(), 0, staleIova);
            f.wire().inject(frame(f.card.mac(), 40));
            f.settle();
            assertEquals(1, f.status(DMA_FAULTS_OFFSET));
            assertEquals(0, fresh.segment().get(ValueLayout.JAVA_LONG, 0), "new memory untouched");
            fresh.close();
        }
    }

    @Test
    void unregisteringARingStopsItsQueueWithAFault()
    {
        try (CardFixture f = CardFixture.provoked(dir, "ringgone"))
        {
            final TestDriver.RxQueue rx = f.driver.startRx(3, 8);
            rx.ring.mapping().close();
            f.settle();
            assertEquals(1, f.status(DMA_FAULTS_OFFSET));
            assertEquals(0, f.driver.bar.read(rxdctl(3)) & DCTL_ENABLE, "the queue stopped");
        }
    }

    @Test
    void framesLargerThanABufferSpanDescriptorsWithEopOnTheLast()
    {
        try (CardFixture f = CardFixture.provoked(dir, "jumbo"))
        {
            final Bar bar = f.driver.bar;
            bar.setBits(HLREG0, HLREG0_JUMBOEN);
            bar.write(MAXFRS, 9018 << 16);
            final TestDriver.RxQueue queue = f.driver.new RxQueue(0, 16);
            f.driver.configureRx(queue, SRRCTL_DESCTYPE_ADV_ONEBUF | SRRCTL_DROP_EN | 1); // 1 KiB buffers
            bar.setBits(rxdctl(0), DCTL_ENABLE);
            f.driver.awaitSet(rxdctl(0), DCTL_ENABLE, "queue 0 enabled");
            bar.write(rdt(0), 15);
            final byte[] big = frame(f.card.mac(), 2500);
            for (int i = 42; i < big.length; i++)
            {
                big[i] = (byte)i; // a payload whose every byte tells where it belongs
            }
            f.wire().inject(big);
            f.settle();
            final MemorySegment ring = queue.ring.segment();
            assertEquals(RxDescriptor.STATUS_DD, RxDescriptor.statusError(ring, 0));
            assertEquals(1024, RxDescriptor.length(ring, 0));
            assertEquals(RxDescriptor.STATUS_DD, RxDescriptor.statusError(ring, 1));
            assertEquals(RxDescriptor.STATUS_DD | RxDescriptor.STATUS_EOP | CHECKED_UDP | RxDescriptor.ERROR_TCPE,
                RxDescriptor.statusError(ring, 2), "the checksum verdict on the EOP descriptor: the payload was " +
                "rewritten after the UDP checksum was computed");
            assertEquals(big.length - 2048, RxDescriptor.length(ring, 2));
            final byte[] received = new byte[big.length];
            MemorySegment.copy(queue.buffers.segment(), ValueLayout.JAVA_BYTE, 0, received, 0, 1024);
            MemorySegment.copy(queue.buffers.segment(), ValueLayout.JAVA_BYTE, TestDriver.BUFFER_SIZE, received,
                1024, 1024);
            MemorySegment.copy(queue.buffers.segment(), ValueLayout.JAVA_BYTE, 2L * TestDriver.BUFFER_SIZE, received,
                2048, big.length - 2048);
            assertArrayEquals(big, received);
        }
    }

    @Test
    void oversizeAndRuntFramesAreCountedAndDropped()
    {
        try (CardFixture f = CardFixture.provoked(dir, "sizes"))
        {
            f.driver.startRx(0, 8);
            f.wire().inject(frame(f.card.mac(), 1600)); // 1642 bytes: over 1514 without jumbo frames
            f.wire().injectUnpadded(new byte[40]);     // an unpadded sender's runt
            f.wire().inject(frame(f.card.mac(), 1472)); // 1514: the largest standard frame
            f.settle();
            assertEquals(1, f.driver.bar.read(ROC));
            assertEquals(1, f.driver.bar.read(RUC));
            assertEquals(1, f.status(rxQueueFramesOffset(0)));
        }
    }

    @Test
    void aBufferAddressRewrittenAfterRdtHandedItOverIsADriverErrorAndTheFetchedOneIsUsed()
    {
        try (CardFixture f = CardFixture.provoked(dir, "rxrewrite"))
        {
            final TestDriver.RxQueue queue = f.driver.startRx(0, 8);
            final byte[] first = frame(f.card.mac(), 100);
            f.wire().inject(first);
            f.settle();                                        // the card fetched descriptors 0..6 with this frame
            assertArrayEquals(first, queue.await("first frame"));
            final DmaBuffer elsewhere = f.driver.allocate("elsewhere", TestDriver.BUFFER_SIZE);
            RxDescriptor.setBuffer(queue.ring.segment(), 1, elsewhere.iova()); // too late: descriptor 1 was given
            final byte[] second = frame(f.card.mac(), 200);
            f.wire().inject(second);
            f.settle();
            assertEquals(1, f.status(DRIVER_ERRORS_OFFSET), "the rewrite is counted");
            final byte[] landed = new byte[second.length];
            MemorySegment.copy(queue.buffers.segment(), ValueLayout.JAVA_BYTE, TestDriver.BUFFER_SIZE, landed, 0,
                landed.length);
            assertArrayEquals(second, landed, "the frame went to the buffer the card had fetched");
            assertEquals(0, elsewhere.segment().get(ValueLayout.JAVA_BYTE, 0), "not to the new one");
        }
    }

    @Test
    void legacyDescriptorsGetTheLegacyWriteBack()
    {
        try (CardFixture f = CardFixture.provoked(dir, "legacy"))
        {
            final TestDriver.RxQueue queue = f.driver.new RxQueue(0, 8);
            f.driver.configureRx(queue, 2); // DESCTYPE 0: legacy
            f.driver.bar.setBits(rxdctl(0), DCTL_ENABLE);
            f.driver.awaitSet(rxdctl(0), DCTL_ENABLE, "queue 0 enabled");
            f.driver.bar.write(rdt(0), 7);
            final byte[] in = frame(f.card.mac(), 40);
            f.wire().inject(in);
            f.settle();
            final MemorySegment ring = queue.ring.segment();
            assertEquals(in.length, Short.toUnsignedInt(ring.get(ValueLayout.JAVA_SHORT, 8)));
            assertEquals(RxDescriptor.STATUS_DD | RxDescriptor.STATUS_EOP, ring.get(ValueLayout.JAVA_BYTE, 12));
        }
    }

    @Test
    void hostileRingRegistersNeverEnableAQueue()
    {
        try (CardFixture f = CardFixture.provoked(dir, "hostile"))
        {
            final Bar bar = f.driver.bar;
            final TestDriver.RxQueue queue = f.driver.new RxQueue(4, 8);

            f.driver.configureRx(queue, SRRCTL_DESCTYPE_ADV_ONEBUF | 2);
            bar.write(rdlen(4), 100); // not a multiple of 128
            bar.setBits(rxdctl(4), DCTL_ENABLE);
            f.settle();
            assertEquals(0, bar.read(rxdctl(4)) & DCTL_ENABLE);
            assertEquals(1, f.status(MALFORMED_DESCRIPTORS_OFFSET));
            f.settle();
            assertEquals(1, f.status(MALFORMED_DESCRIPTORS_OFFSET), "counted once, not on every look");

            bar.write(rdlen(4), 128);
            bar.write(rdbal(4), 0x1000); // no memory there
            bar.write(rdbah(4), 0);
            f.settle();
            assertEquals(0, bar.read(rxdctl(4)) & DCTL_ENABLE);
            assertEquals(1, f.status(DMA_FAULTS_OFFSET));

            bar.write(rdbal(4), (int)queue.ring.iova() + 8); // misaligned base
            bar.write(rdbah(4), (int)(queue.ring.iova() >>> 32));
            f.settle();
            assertEquals(2, f.status(MALFORMED_DESCRIPTORS_OFFSET));

            bar.write(rdbal(4), (int)queue.ring.iova());
            bar.write(rdh(4), 9); // head outside the ring
            f.settle();
            assertEquals(3, f.status(MALFORMED_DESCRIPTORS_OFFSET));
            assertEquals(0, bar.read(rxdctl(4)) & DCTL_ENABLE);

            bar.write(rdh(4), 0);
            f.driver.awaitSet(rxdctl(4), DCTL_ENABLE, "queue 4 enabled once the registers make sense");
            Filters.etherType(bar, 0, Frames.ETHERTYPE_IPV4, true, 4);
            bar.write(rdt(4), 1000); // tail outside the ring
            f.settle();
            f.wire().inject(frame(f.card.mac(), 20));
            f.settle();
            assertEquals(4, f.status(MALFORMED_DESCRIPTORS_OFFSET));
            assertEquals(1, f.status(rxQueueDropsOffset(4)));

            bar.write(srrctl(4), SRRCTL_DESCTYPE_ADV_ONEBUF); // zero-size buffers
            bar.write(rdt(4), 7);
            f.settle();
            f.wire().inject(frame(f.card.mac(), 20));
            f.settle();
            assertEquals(5, f.status(MALFORMED_DESCRIPTORS_OFFSET));
            assertEquals(0, f.status(rxQueueFramesOffset(4)));
            assertEquals(1, f.status(DRIVER_ERRORS_OFFSET), "BSIZEPACKET 0 is outside 1..16 KiB");

            bar.write(srrctl(4), SRRCTL_DESCTYPE_ADV_ONEBUF | 17); // 17 KiB: beyond what the part takes
            f.settle();
            f.wire().inject(frame(f.card.mac(), 20));
            f.settle();
            assertEquals(2, f.status(DRIVER_ERRORS_OFFSET), "BSIZEPACKET 17 KiB is a driver error, counted once");
            assertEquals(0, f.status(rxQueueFramesOffset(4)), "and the frame is not written anywhere");
            f.settle();
            assertEquals(2, f.status(DRIVER_ERRORS_OFFSET));

            bar.write(srrctl(4), SRRCTL_DESCTYPE_ADV_ONEBUF | SRRCTL_BSIZEPACKET_MAX_KB);
            f.settle();
            f.wire().inject(frame(f.card.mac(), 20));
            f.settle();
            assertEquals(1, f.status(rxQueueFramesOffset(4)), "16 KiB buffers are the part's largest");
        }
    }
}
