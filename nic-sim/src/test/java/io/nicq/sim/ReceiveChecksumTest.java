package io.nicq.sim;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.ixgbe.RxDescriptor;
import io.nicq.packet.MacAddress;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The receive checksum offload of the simulated card: IPCS/L4CS/UDPCS, IPE and TCPE in the EOP descriptor, the packet
 * type in the packet-info field, and the 82599's erratum that marks a UDP frame with a zero checksum TCPE.
 */
class ReceiveChecksumTest
{
    private static final long PEER = MacAddress.parse("02:00:00:00:00:ee");
    private static final int CLIENT = Frames.ip("10.0.0.2");
    private static final int HOST = Frames.ip("10.0.0.1");
    private static final int TYPE_MASK = 0xFFF0;

    @TempDir
    Path dir;

    @Test
    void goodAndBadChecksumsAreReportedNotDropped()
    {
        try (CardFixture f = CardFixture.memory(dir, "csum"))
        {
            final TestDriver.RxQueue queue = f.driver.startRx(0, 16);
            final int udpChecked = RxDescriptor.STATUS_IPCS | RxDescriptor.STATUS_L4CS | RxDescriptor.STATUS_UDPCS;
            final int done = RxDescriptor.STATUS_DD | RxDescriptor.STATUS_EOP;
            final int udpType = RxDescriptor.PACKET_INFO_TYPE_IPV4 | RxDescriptor.PACKET_INFO_TYPE_UDP;

            final byte[] good = Frames.udp(f.card.mac(), PEER, CLIENT, HOST, 1000, 7, new byte[33]);
            assertEquals(done | udpChecked, receive(f, queue, good));
            assertEquals(udpType, queue.lastPacketInfo & TYPE_MASK);

            final byte[] badUdp = good.clone();
            badUdp[good.length - 1] ^= 0x5A;                        // payload changed after the checksum
            assertEquals(done | udpChecked | RxDescriptor.ERROR_TCPE, receive(f, queue, badUdp));

            final byte[] badIp = good.clone();
            badIp[14 + 8] ^= 1;                                    // TTL changed, header checksum not
            final int status = receive(f, queue, badIp);
            assertEquals(RxDescriptor.STATUS_IPCS | RxDescriptor.ERROR_IPE,
                status & (RxDescriptor.STATUS_IPCS | RxDescriptor.ERROR_IPE));

            final byte[] noChecksum = good.clone();
            noChecksum[14 + 20 + 6] = 0;                            // "no checksum" (RFC 768)
            noChecksum[14 + 20 + 7] = 0;
            assertEquals(done | udpChecked | RxDescriptor.ERROR_TCPE, receive(f, queue, noChecksum),
                "the 82599 erratum: a zero UDP checksum is marked TCPE");

            final byte[] tcp = Frames.tcp(f.card.mac(), PEER, CLIENT, HOST, 1000, 80, 0x10, new byte[20]);
            assertEquals(done | RxDescriptor.STATUS_IPCS | RxDescriptor.STATUS_L4CS, receive(f, queue, tcp));
            assertEquals(RxDescriptor.PACKET_INFO_TYPE_IPV4 | RxDescriptor.PACKET_INFO_TYPE_TCP,
                queue.lastPacketInfo & TYPE_MASK);

            final byte[] arp = Frames.ethernet(f.card.mac(), PEER, 0x0806, new byte[46]);
            assertEquals(done, receive(f, queue, arp), "no IPv4: no checksum status");
            assertEquals(0, queue.lastPacketInfo & TYPE_MASK);
        }
    }

    private static int receive(final CardFixture f, final TestDriver.RxQueue queue, final byte[] frame)
    {
        f.wire().inject(frame);
        f.settle();
        assertArrayEquals(frame, queue.poll(), "delivered whatever its checksums");
        return queue.lastStatus;
    }
}
