package io.nicq.proto.channel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

import static io.nicq.proto.channel.QueueChannelHeader.STATE_ACTIVE;
import static io.nicq.proto.channel.QueueChannelHeader.STATE_CLOSED;
import static io.nicq.proto.channel.QueueChannelHeader.STATE_INITIALISING;
import static io.nicq.proto.channel.QueueChannelLayout.*;
import static org.junit.jupiter.api.Assertions.*;

class QueueChannelTest
{
    @TempDir
    Path dir;

    @Test
    void layoutPutsThePoolOnA2MiBBoundaryAfterHeaderRingsAndMetadata()
    {
        final QueueChannelLayout layout = QueueChannelLayout.of(2048);
        assertEquals(2048, layout.ringCapacity());
        assertEquals(HEADER_LENGTH, layout.ringOffset(RX_READY));
        assertEquals(HEADER_LENGTH + 3L * layout.ringLength(), layout.ringOffset(TX_DONE));
        assertTrue(layout.metadataOffset() >= layout.ringOffset(TX_DONE) + layout.ringLength());
        assertEquals(0, layout.metadataOffset() % PAGE_SIZE);
        assertTrue(layout.poolOffset() >= layout.metadataOffset() + 2048L * METADATA_RECORD_LENGTH);
        assertEquals(0, layout.poolOffset() % POOL_ALIGNMENT);
        assertEquals(2048L * SLOT_SIZE, layout.poolLength());
        assertEquals(0, layout.fileLength() % POOL_ALIGNMENT);
        assertTrue(layout.fileLength() >= layout.poolOffset() + layout.poolLength());

        assertEquals(1024, QueueChannelLayout.of(1000).ringCapacity(), "rings round the slot count up");
        assertThrows(IllegalArgumentException.class, () -> QueueChannelLayout.of(1));
        assertThrows(IllegalArgumentException.class, () -> QueueChannelLayout.of(MAX_SLOT_COUNT + 1));
    }

    @Test
    void createMakesAnOwnerOnlyFileThatOpensWithTheSameLayout() throws IOException
    {
        final Path file = dir.resolve("queues").resolve("3");
        try (QueueChannel created = QueueChannel.create(file, 3, 256))
        {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
            assertEquals(created.layout().fileLength(), Files.size(file));
            assertEquals(QueueChannelHeader.STATE_INITIALISING, created.header().state());

            created.header().clientPid(42);
            created.metadata().frameLength(255, 1514);
            created.pool().putByte(QueueChannel.frameOffset(255) + 2047, (byte)7);
            assertTrue(created.txDone().offer(17));

            try (QueueChannel opened = QueueChannel.open(file))
            {
                assertEquals(3, opened.queueId());
                assertEquals(256, opened.slotCount());
                assertEquals(SLOT_SIZE, opened.slotSize());
                assertEquals(created.layout().poolOffset(), opened.poolOffset());
                assertEquals(256L * SLOT_SIZE, opened.poolSegment().byteSize());
                assertEquals(42, opened.header().clientPid());
                assertEquals(1514, opened.metadata().frameLength(255));
                assertEquals(7, opened.pool().getByte(QueueChannel.frameOffset(255) + 2047));
                assertEquals(17, opened.txDone().poll());
            }
        }
    }

    @Test
    void createRefusesAnExistingFile() throws IOException
    {
        final Path file = dir.resolve("0");
        Files.writeString(file, "stale");
        final QueueChannelException ex =
            assertThrows(QueueChannelException.class, () -> QueueChannel.create(file, 0, 16));
        assertTrue(ex.getMessage().contains("already exists"), ex.getMessage());
    }

    @Test
    void openNamesAMissingFile()
    {
        final QueueChannelException ex =
            assertThrows(QueueChannelException.class, () -> QueueChannel.open(dir.resolve("nope")));
        assertTrue(ex.getMessage().contains("does not exist"), ex.getMessage());
    }

    @Test
    void openRejectsAFileShorterThanAHeader() throws IOException
    {
        final Path file = dir.resolve("short");
        Files.write(file, new byte[100]);
        final QueueChannelException ex = assertThrows(QueueChannelException.class, () -> QueueChannel.open(file));
        assertTrue(ex.getMessage().contains("truncated: 100 bytes"), ex.getMessage());
    }

    @Test
    void openRejectsAFileCutShortAfterItsHeader() throws IOException
    {
        final Path file = dir.resolve("cut");
        QueueChannel.create(file, 0, 64).close();
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            raf.setLength(raf.length() - POOL_ALIGNMENT);
        }
        final QueueChannelException ex = assertThrows(QueueChannelException.class, () -> QueueChannel.open(file));
        assertTrue(ex.getMessage().contains("truncated") && ex.getMessage().contains("header says"), ex.getMessage());
    }

    @Test
    void openRejectsAnUnformattedFileAndForeignMagic() throws IOException
    {
        final Path file = dir.resolve("zeros");
        Files.write(file, new byte[8192]);
        QueueChannelException ex = assertThrows(QueueChannelException.class, () -> QueueChannel.open(file));
        assertTrue(ex.getMessage().contains("not formatted"), ex.getMessage());

        final Path other = dir.resolve("other");
        QueueChannel.create(other, 0, 64).close();
        patchLong(other, QueueChannelHeader.MAGIC_OFFSET, 0x1122334455667788L);
        ex = assertThrows(QueueChannelException.class, () -> QueueChannel.open(other));
        assertTrue(ex.getMessage().contains("not a nicq queue channel (magic 0x1122334455667788"), ex.getMessage());
    }

    @Test
    void openRejectsAnotherLayoutVersion() throws IOException
    {
        final Path file = dir.resolve("v2");
        QueueChannel.create(file, 0, 64).close();
        patchInt(file, QueueChannelHeader.VERSION_OFFSET, QueueChannelHeader.VERSION + 1);
        final QueueChannelException ex = assertThrows(QueueChannelException.class, () -> QueueChannel.open(file));
        assertTrue(ex.getMessage().contains("layout version " + (QueueChannelHeader.VERSION + 1)), ex.getMessage());
    }

    @Test
    void openRejectsSizesThatDisagreeWithTheLayout() throws IOException
    {
        final Path file = dir.resolve("sizes");
        QueueChannel.create(file, 0, 64).close();

        patchInt(file, QueueChannelHeader.SLOT_SIZE_OFFSET, 4096);
        QueueChannelException ex = assertThrows(QueueChannelException.class, () -> QueueChannel.open(file));
        assertTrue(ex.getMessage().contains("slot size is 4096"), ex.getMessage());
        patchInt(file, QueueChannelHeader.SLOT_SIZE_OFFSET, SLOT_SIZE);

        patchLong(file, QueueChannelHeader.POOL_OFFSET_OFFSET, 4096);
        ex = assertThrows(QueueChannelException.class, () -> QueueChannel.open(file));
        assertTrue(ex.getMessage().contains("pool offset is 4096"), ex.getMessage());
        patchLong(file, QueueChannelHeader.POOL_OFFSET_OFFSET, QueueChannelLayout.of(64).poolOffset());

        patchInt(file, QueueChannelHeader.SLOT_COUNT_OFFSET, 1 << 30);
        ex = assertThrows(QueueChannelException.class, () -> QueueChannel.open(file));
        assertTrue(ex.getMessage().contains("slot count 1073741824 is outside"), ex.getMessage());

        patchInt(file, QueueChannelHeader.SLOT_COUNT_OFFSET, 128);
        ex = assertThrows(QueueChannelException.class, () -> QueueChannel.open(file));
        assertTrue(ex.getMessage().contains("ring capacity is 64"), ex.getMessage());
    }

    @Test
    void headerStateAndCounters() throws Exception
    {
        try (QueueChannel channel = QueueChannel.create(dir.resolve("q"), 1, 16))
        {
            final QueueChannelHeader header = channel.header();
            assertTrue(header.compareAndSetState(STATE_INITIALISING, STATE_ACTIVE));
            assertFalse(header.compareAndSetState(STATE_INITIALISING, STATE_CLOSED));
            assertEquals("ACTIVE", QueueChannelHeader.stateName(header.state()));
            header.counter(QueueChannelHeader.COUNTER_REJECTED_LENGTH, 5);
            assertEquals(5, header.counter(QueueChannelHeader.COUNTER_REJECTED_LENGTH));
            assertEquals("rejected-length", QueueChannelHeader.counterName(QueueChannelHeader.COUNTER_REJECTED_LENGTH));
            assertThrows(IndexOutOfBoundsException.class, () -> header.counter(QueueChannelHeader.COUNTER_COUNT));
            for (int i = 0; i < QueueChannelHeader.COUNTER_COUNT; i++)
            {
                assertNotNull(QueueChannelHeader.counterName(i));
            }
            assertTrue(QueueChannelHeader.COUNTERS_OFFSET + QueueChannelHeader.COUNTER_COUNT * 8 <= HEADER_LENGTH);
            // The counters of the second block land at +1024, clear of the wake words and the consumer position.
            header.counter(QueueChannelHeader.COUNTER_REJECTED_RX_CONSUMER, 7);
            final java.nio.ByteBuffer word = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            try (java.nio.channels.FileChannel file = java.nio.channels.FileChannel.open(dir.resolve("q")))
            {
                file.read(word, QueueChannelHeader.MORE_COUNTERS_OFFSET);
            }
            assertEquals(7, word.getLong(0));
            assertEquals("rejected-rx-consumer",
                QueueChannelHeader.counterName(QueueChannelHeader.COUNTER_REJECTED_RX_CONSUMER));

            assertEquals(0, header.rxRingSize(), "no read-only RX ring unless a queue driver exposes one");
            assertNull(header.rxRingPath());
            header.exposeRxRing(512, QueueChannelHeader.RX_RING_FLAG_DEVICE_TIMESTAMPS, "/dev/shm/x/dma/q1-rx-7-1");
            assertEquals(512, header.rxRingSize());
            assertEquals(QueueChannelHeader.RX_RING_FLAG_DEVICE_TIMESTAMPS, header.rxRingFlags());
            assertEquals("/dev/shm/x/dma/q1-rx-7-1", header.rxRingPath());
            header.rxConsumerPosition(1L << 40);
            assertEquals(1L << 40, header.rxConsumerPosition());
            assertThrows(IllegalArgumentException.class, () -> header.exposeRxRing(512, 0, ""));

            assertFalse(header.hasClientLeft(), "no client yet");
            header.attachClient(1234, 5678);
            assertEquals(1234, header.clientPid());
            assertEquals(5678, header.clientHeartbeatNs());
            assertFalse(header.hasClientLeft());
            header.detachClient();
            assertTrue(header.hasClientLeft());
        }
    }

    @Test
    void metadataRecordsDoNotOverlap()
    {
        try (QueueChannel channel = QueueChannel.create(dir.resolve("m"), 0, 4))
        {
            final SlotMetadata metadata = channel.metadata();
            for (int slot = 0; slot < 4; slot++)
            {
                metadata.frameLength(slot, 100 + slot);
                metadata.flags(slot, slot);
                metadata.rxDeviceNs(slot, 1000 + slot);
                metadata.rxDriverSawNs(slot, 2000 + slot);
                metadata.rxPublishedNs(slot, 3000 + slot);
                metadata.rxAppNs(slot, 4000 + slot);
                metadata.user(slot, 5000 + slot);
                metadata.txAppSendNs(slot, 6000 + slot);
                metadata.txEnqueuedNs(slot, 7000 + slot);
                metadata.txDequeuedNs(slot, 8000 + slot);
                metadata.txDoorbellNs(slot, 9000 + slot);
                metadata.txWireNs(slot, 10000 + slot);
            }
            for (int slot = 0; slot < 4; slot++)
            {
                assertEquals(100 + slot, metadata.frameLength(slot));
                assertEquals(slot, metadata.flags(slot));
                assertEquals(1000 + slot, metadata.rxDeviceNs(slot));
                assertEquals(2000 + slot, metadata.rxDriverSawNs(slot));
                assertEquals(3000 + slot, metadata.rxPublishedNs(slot));
                assertEquals(4000 + slot, metadata.rxAppNs(slot));
                assertEquals(5000 + slot, metadata.user(slot));
                assertEquals(6000 + slot, metadata.txAppSendNs(slot));
                assertEquals(7000 + slot, metadata.txEnqueuedNs(slot));
                assertEquals(8000 + slot, metadata.txDequeuedNs(slot));
                assertEquals(9000 + slot, metadata.txDoorbellNs(slot));
                assertEquals(10000 + slot, metadata.txWireNs(slot));
            }
            metadata.clearRx(1);
            metadata.clearTx(1);
            assertEquals(0, metadata.frameLength(1) + metadata.rxDriverSawNs(1) + metadata.txWireNs(1));
            assertEquals(5001, metadata.user(1), "the application's field survives");
            assertEquals(102, metadata.frameLength(2));
        }
    }

    private static void patchInt(final Path file, final int offset, final int value) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.write(bytes, offset);
        }
    }

    private static void patchLong(final Path file, final int offset, final long value) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.write(bytes, offset);
        }
    }
}
