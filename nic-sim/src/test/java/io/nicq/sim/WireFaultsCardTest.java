package io.nicq.sim;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.nicq.ixgbe.Registers.*;
import static io.nicq.ixgbe.SimulatedCardFiles.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Fault injection through launched cards: the card's egress on a memory wire (with its capture), and a cable whose
 * two cards each inject on their own egress, so both directions see loss; each receiver checks what arrived with the
 * frames' own checksums.
 */
class WireFaultsCardTest
{
    private static final long DEADLINE_NS = TimeUnit.SECONDS.toNanos(20);

    @TempDir
    Path dir;

    private static WireFaults.Context faults(final long seed)
    {
        return new WireFaults.Context().seed(seed).dropProbability(0.02).duplicateProbability(0.01)
            .reorderProbability(0.05).corruptProbability(0.01);
    }

    /** A UDP frame of 64 to 512 bytes whose payload starts with the sender's sequence number. */
    private static byte[] frame(final long to, final long from, final int sequence)
    {
        final byte[] payload = new byte[22 + (sequence * 37) % 450];
        ByteBuffer.wrap(payload).putInt(sequence);
        for (int i = 4; i < payload.length; i++)
        {
            payload[i] = (byte)(sequence + i * 13);
        }
        return Frames.udp(to, from, Frames.ip("10.7.0.1"), Frames.ip("10.7.0.2"), 7000, 7001, payload);
    }

    @Test
    void aCardOnAMemoryWireLosesDuplicatesReordersAndCorruptsWhatItTransmitsAndCountsIt() throws Exception
    {
        final Path pcap = dir.resolve("faulty.pcap");
        final int frames = 2000;
        final long peer = 0x02000000EEEEL;
        final Map<Integer, Integer> copies = new HashMap<>();
        int received = 0;
        int badChecksums = 0;
        final long dropped;
        final long duplicated;
        final long corrupted;
        try (CardFixture f = CardFixture.launch(new SimulatedCard.Context().cardName("faulty").baseDir(dir)
            .wireSpec("memory").pcapFile(pcap).wireFaults(faults(20261203))))
        {
            f.driver.init(false);
            final WireFaults faults = f.card.wireFaults();
            assertNotNull(faults);
            assertTrue(f.card.wire().description().contains("with faults drop 2% duplicate 1% reorder 5% corrupt 1% " +
                "seed 20261203"), f.card.wire().description());
            final TestDriver.TxQueue tx = f.driver.startTx(0, 256);
            for (int i = 0; i < frames; i++)
            {
                final int d = tx.send(frame(peer, f.card.mac(), i));
                f.driver.await(() -> tx.done(d), "frame " + i + " transmitted");
                byte[] onWire;
                while ((onWire = f.wire().pollTransmitted()) != null)
                {
                    received++;
                    if (!Checksums.udpInIpv4Intact(onWire))
                    {
                        badChecksums++;
                        continue;
                    }
                    copies.merge(Checksums.sequence(onWire), 1, Integer::sum);
                }
            }
            final long deadline = System.nanoTime() + DEADLINE_NS;
            while (faults.isHolding() && System.nanoTime() < deadline)
            {
                f.card.doWork(); // the held frame goes out at its timeout
            }
            byte[] onWire;
            while ((onWire = f.wire().pollTransmitted()) != null)
            {
                received++;
                if (Checksums.udpInIpv4Intact(onWire))
                {
                    copies.merge(Checksums.sequence(onWire), 1, Integer::sum);
                }
                else
                {
                    badChecksums++;
                }
            }
            dropped = faults.dropped();
            duplicated = faults.duplicated();
            corrupted = faults.corrupted();
            assertTrue(dropped > 0 && duplicated > 0 && corrupted > 0 && faults.reordered() > 0,
                "every fault happened at least once in " + frames + " frames");
            assertEquals(frames - dropped + duplicated, received, "frames on the wire");
            assertEquals(corrupted, badChecksums, "every corrupted frame fails its checksum, no other does");

            assertEquals(dropped, f.status(FAULT_DROPS_OFFSET));
            assertEquals(duplicated, f.status(FAULT_DUPLICATES_OFFSET));
            assertEquals(faults.reordered(), f.status(FAULT_REORDERS_OFFSET));
            assertEquals(corrupted, f.status(FAULT_CORRUPTIONS_OFFSET));
            assertEquals(20261203, f.status(FAULT_SEED_OFFSET));
            assertEquals(1, f.status(FAULT_ENABLED_OFFSET));
            // The MAC transmitted every frame: injected faults are the wire's, never the MAC's errors.
            f.settle();
            assertEquals(frames, f.driver.bar.read(GPTC), "GPTC counts every frame the MAC sent");
            assertEquals(frames, f.status(WIRE_FRAMES_SENT_OFFSET));
            assertEquals(0, f.status(WIRE_SEND_FAILURES_OFFSET));
        }
        int distinct = 0;
        int extra = 0;
        for (final int count : copies.values())
        {
            distinct++;
            extra += count - 1;
        }
        assertTrue(extra <= duplicated, extra + " duplicates arrived intact, " + duplicated + " made");
        assertTrue(distinct >= frames - dropped - corrupted && distinct <= frames - dropped,
            distinct + " distinct frames arrived intact");
        assertEquals(received, pcapRecords(pcap), "the capture shows the wire after the faults");
    }

    @Test
    void bothEndsOfACableInjectOnTheirOwnEgress()
    {
        final int frames = 1500;
        try (SimulatedCard a = SimulatedCard.launch(new SimulatedCard.Context().cardName("a").baseDir(dir)
            .wireSpec("cable:lossy:a").wireFaults(faults(1)).manualDrive(true));
            SimulatedCard b = SimulatedCard.launch(new SimulatedCard.Context().cardName("b").baseDir(dir)
                .wireSpec("cable:lossy:b").wireFaults(faults(2)).manualDrive(true)))
        {
            final Runnable both = () ->
            {
                a.doWork();
                b.doWork();
            };
            try (TestDriver da = new TestDriver(a.openNic(), both);
                TestDriver db = new TestDriver(b.openNic(), both))
            {
                da.init(false);
                db.init(false);
                final TestDriver.TxQueue txA = da.startTx(0, 2048);
                final TestDriver.TxQueue txB = db.startTx(0, 2048);
                final TestDriver.RxQueue rxA = da.startRx(0, 2048);
                final TestDriver.RxQueue rxB = db.startRx(0, 2048);
                for (int i = 0; i < frames; i++)
                {
                    txA.send(frame(b.mac(), a.mac(), i));
                    txB.send(frame(a.mac(), b.mac(), i));
                }
                final Arrival atB = new Arrival();
                final Arrival atA = new Arrival();
                final WireFaults fa = a.wireFaults();
                final WireFaults fb = b.wireFaults();
                final long deadline = System.nanoTime() + DEADLINE_NS;
                while (System.nanoTime() < deadline && (atB.frames < frames - fa.dropped() + fa.duplicated() ||
                    atA.frames < frames - fb.dropped() + fb.duplicated() || da.bar.read(tdh(0)) != txA.tail ||
                    db.bar.read(tdh(0)) != txB.tail || fa.isHolding() || fb.isHolding()))
                {
                    both.run();
                    atB.take(rxB);
                    atA.take(rxA);
                }
                both.run();
                atB.take(rxB);
                atA.take(rxA);
                atB.check("a -> b", frames, fa);
                atA.check("b -> a", frames, fb);
                assertEquals(fa.dropped(), a.status(FAULT_DROPS_OFFSET));
                assertEquals(fb.dropped(), b.status(FAULT_DROPS_OFFSET));
                assertEquals(0, a.status(WIRE_SEND_FAILURES_OFFSET) + b.status(WIRE_SEND_FAILURES_OFFSET));
                assertEquals(frames - fa.dropped() + fa.duplicated(), b.status(WIRE_FRAMES_RECEIVED_OFFSET));
            }
        }
    }

    /** What one receiver got: counts, checksum failures, descents in the intact sequence numbers. */
    private static final class Arrival
    {
        long frames;
        long bad;
        long descents;
        int last = -1;
        final Map<Integer, Integer> copies = new HashMap<>();

        void take(final TestDriver.RxQueue rx)
        {
            byte[] frame;
            while ((frame = rx.poll()) != null)
            {
                frames++;
                if (!Checksums.udpInIpv4Intact(frame))
                {
                    bad++;
                    continue;
                }
                final int sequence = Checksums.sequence(frame);
                if (sequence < last)
                {
                    descents++;
                }
                last = sequence;
                copies.merge(sequence, 1, Integer::sum);
            }
        }

        void check(final String direction, final int sent, final WireFaults faults)
        {
            assertEquals(sent - faults.dropped() + faults.duplicated(), frames, direction + ": frames received");
            assertEquals(faults.corrupted(), bad, direction + ": frames failing their checksum");
            assertTrue(faults.dropped() > 0 && faults.reordered() > 0, direction + ": loss and reordering");
            assertTrue(descents > 0 && descents <= faults.reordered(),
                direction + ": " + descents + " frames arrived after a later one");
            assertTrue(copies.size() >= sent - faults.dropped() - faults.corrupted() &&
                copies.size() <= sent - faults.dropped(), direction + ": " + copies.size() + " distinct frames");
        }
    }

    /** Records in a pcap file (24-byte header, then 16-byte record headers each followed by its bytes). */
    private static long pcapRecords(final Path pcap) throws Exception
    {
        final ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(pcap)).order(ByteOrder.LITTLE_ENDIAN);
        file.position(24);
        long records = 0;
        while (file.remaining() >= 16)
        {
            file.position(file.position() + 8);
            final int included = file.getInt();
            file.getInt();
            file.position(file.position() + included);
            records++;
        }
        assertEquals(0, file.remaining(), "the capture ends with a whole record");
        return records;
    }

    /** An independent check of a received UDP-in-IPv4 frame (no VLAN), as a receiving stack would do it. */
    static final class Checksums
    {
        private Checksums()
        {
        }

        static int sequence(final byte[] frame)
        {
            return ByteBuffer.wrap(frame, 42, 4).getInt();
        }

        static boolean udpInIpv4Intact(final byte[] frame)
        {
            if (frame.length < 42 || (frame[12] & 0xFF) != 0x08 || frame[13] != 0 || (frame[14] & 0xFF) != 0x45 ||
                frame[23] != 17)
            {
                return false;
            }
            if (sum(frame, 14, 20, 0) != 0xFFFF)
            {
                return false;
            }
            final int total = u16(frame, 16);
            final int udpLength = u16(frame, 38);
            if (total < 28 || 14 + total > frame.length || udpLength != total - 20)
            {
                return false;
            }
            if (u16(frame, 40) == 0)
            {
                return true; // no UDP checksum: nothing more to check
            }
            int pseudo = 0;
            for (int i = 26; i < 34; i += 2)
            {
                pseudo += u16(frame, i);
            }
            pseudo += 17 + udpLength;
            return sum(frame, 34, udpLength, pseudo) == 0xFFFF;
        }

        private static int u16(final byte[] data, final int at)
        {
            return ((data[at] & 0xFF) << 8) | (data[at + 1] & 0xFF);
        }

        /** The ones' complement sum (RFC 1071), folded to 16 bits; 0xFFFF when the checksum in it is right. */
        private static int sum(final byte[] data, final int offset, final int length, final int initial)
        {
            long sum = initial;
            for (int i = 0; i + 1 < length; i += 2)
            {
                sum += u16(data, offset + i);
            }
            if ((length & 1) != 0)
            {
                sum += (data[offset + length - 1] & 0xFF) << 8;
            }
            while ((sum >>> 16) != 0)
            {
                sum = (sum & 0xFFFF) + (sum >>> 16);
            }
            return (int)sum;
        }
    }
}
