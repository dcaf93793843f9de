package io.nicq.ixgbe;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The 82599's advanced receive descriptor (datasheet 7.1.6), 16 bytes, as static accessors over a descriptor ring.
 * <pre>
 *  Read format (driver to device):
 *    0                   8                   16
 *    +-------------------+-------------------+
 *    | packet buffer addr| header buffer addr|   writing 0 to the header address also clears DD
 *    +-------------------+-------------------+
 *
 *  Write-back format (device to driver):
 *    0         4         8              12        14       16
 *    +---------+---------+--------------+---------+--------+
 *    | pkt info| RSS hash| status/error | length  | VLAN   |
 *    +---------+---------+--------------+---------+--------+
 *    status: DD bit 0, EOP bit 1; errors from bit 20.
 * </pre>
 * The simulated card, whose RSS is off unless MRQC enables it, writes the low 32 bits of its {@code System.nanoTime()}
 * at write-back into the RSS hash field so that the device's own phase can be timed; see {@link #deviceTimestamp}.
 */
public final class RxDescriptor
{
    public static final int SIZE = 16;

    public static final int BUFFER_ADDRESS_OFFSET = 0;
    public static final int HEADER_ADDRESS_OFFSET = 8;
    public static final int PACKET_INFO_OFFSET = 0;
    public static final int RSS_HASH_OFFSET = 4;
    public static final int STATUS_ERROR_OFFSET = 8;
    public static final int LENGTH_OFFSET = 12;
    public static final int VLAN_OFFSET = 14;

    /** Descriptor done: the device has written this descriptor back. */
    public static final int STATUS_DD = 1 << 0;
    /** End of packet: the last descriptor of a frame. */
    public static final int STATUS_EOP = 1 << 1;
    /** Flow director match (FLM): set when FDIRCTRL.REPORT_STATUS is on and a flow director filter matched. */
    public static final int STATUS_FLM = 1 << 2;
    /** UDPCS: the L4 checksum the part computed was a UDP one (Linux's IXGBE_RXD_STAT_UDPCS). */
    public static final int STATUS_UDPCS = 1 << 4;
    /** L4CS (L4I): the part computed the TCP/UDP checksum, so TCPE is meaningful (IXGBE_RXD_STAT_L4CS). */
    public static final int STATUS_L4CS = 1 << 5;
    /** IPCS: the part computed the IPv4 header checksum, so IPE is meaningful (IXGBE_RXD_STAT_IPCS). */
    public static final int STATUS_IPCS = 1 << 6;
    /** Error bits of the extended error field (bits 20..31 of the status/error word). */
    public static final int ERROR_MASK = 0xFFF0_0000;
    /**
     * RX data error (RXE, "any MAC error": CRC, length, symbol, undersize...): the frame itself is bad. The simulated
     * card also sets it, with DD and EOP and length 0, on a descriptor whose buffer it could not reach (a DMA fault),
     * so that the driver sees the descriptor consumed and the frame lost.
     */
    public static final int ERROR_RXE = 1 << 29;
    /**
     * TCPE (L4E): the TCP or UDP checksum is wrong (only with {@link #STATUS_L4CS}). A checksum result, not a frame
     * error. Erratum of the 82599: a UDP frame whose checksum field is 0 (no checksum, RFC 768) is marked TCPE too;
     * Linux ignores TCPE on UDP for it (__IXGBE_RX_CSUM_UDP_ZERO_ERR).
     */
    public static final int ERROR_TCPE = 1 << 30;
    /** IPE: the IPv4 header checksum is wrong (only with {@link #STATUS_IPCS}). A checksum result too. */
    public static final int ERROR_IPE = 1 << 31;
    /**
     * The errors that make a frame one to drop on the 82599: RXE alone. This is DPDK's and Linux's
     * IXGBE_RXDADV_ERR_FRAME_ERR_MASK_82599; the wider IXGBE_RXDADV_ERR_FRAME_ERR_MASK (CE, LE, PE, OSE, USE) is the
     * 82598's, and bits 22:20 (flow director length, drop, collision) and 23 (header buffer overflow) report on the
     * classification and the header split, not on the frame.
     */
    public static final int FRAME_ERROR_MASK = ERROR_RXE;
    /** Packet type UDP in the packet-info field (Linux's IXGBE_RXDADV_PKTTYPE_UDP). */
    public static final int PACKET_INFO_TYPE_UDP = 0x0000_0200;
    /** Packet type TCP in the packet-info field (IXGBE_RXDADV_PKTTYPE_TCP). */
    public static final int PACKET_INFO_TYPE_TCP = 0x0000_0100;
    /** Packet type IPv4 in the packet-info field (IXGBE_RXDADV_PKTTYPE_IPV4). */
    public static final int PACKET_INFO_TYPE_IPV4 = 0x0000_0010;
    /** RSS type in the packet-info field [3:0] (1 TCP/IPv4, 2 IPv4, 7 UDP/IPv4; 0 none). */
    public static final int PACKET_INFO_RSS_TYPE_MASK = 0xF;

    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle SHORT = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private RxDescriptor()
    {
    }

    /**
     * The one rule for a done descriptor: whether it ends a frame to deliver (EOP, no frame error, a length that fits
     * the buffer, and not the tail of a frame whose earlier descriptors were dropped). Only a frame error (RXE) drops a
     * frame: IPE and TCPE are checksum results. Everything else (an error, a frame spread over several buffers, never
     * with 2 KiB buffers and standard frames) is dropped up to and including the next EOP, and its buffer reused. The
     * queue driver applies it to what it hands over, and a client reading a served queue's ring read-only applies it
     * to what it takes, so both agree on which slots became the client's and which went back to the driver.
     *
     * @param statusError the descriptor's status/error word, DD set
     * @param length      the length it wrote back
     * @param discarding  whether an earlier descriptor of the same frame was dropped ({@link #continuesFrame} of it)
     * @param bufferSize  bytes of the buffer posted with it
     */
    public static boolean isDeliverable(final int statusError, final int length, final boolean discarding,
        final int bufferSize)
    {
        return (statusError & STATUS_EOP) != 0 && !discarding && (statusError & FRAME_ERROR_MASK) == 0 && length > 0 &&
            length <= bufferSize;
    }

    /** Whether the frame goes on in the next descriptor (no EOP): then the next is dropped if this one was. */
    public static boolean continuesFrame(final int statusError)
    {
        return (statusError & STATUS_EOP) == 0;
    }

    /** Gives a buffer to the device: packet buffer address, header address 0 (which clears DD). */
    public static void setBuffer(final MemorySegment ring, final int index, final long bufferAddress)
    {
        final long offset = (long)index * SIZE;
        LONG.set(ring, offset + BUFFER_ADDRESS_OFFSET, bufferAddress);
        LONG.setRelease(ring, offset + HEADER_ADDRESS_OFFSET, 0L);
    }

    /** Status/error word, read with acquire semantics: once DD is seen, the rest of the write-back is visible. */
    public static int statusError(final MemorySegment ring, final int index)
    {
        return (int)INT.getAcquire(ring, (long)index * SIZE + STATUS_ERROR_OFFSET);
    }

    /** Frame length the device wrote back. */
    public static int length(final MemorySegment ring, final int index)
    {
        return Short.toUnsignedInt((short)SHORT.get(ring, (long)index * SIZE + LENGTH_OFFSET));
    }

    /** Packet buffer address (read format). */
    public static long bufferAddress(final MemorySegment ring, final int index)
    {
        return (long)LONG.get(ring, (long)index * SIZE + BUFFER_ADDRESS_OFFSET);
    }

    /** Header buffer address (read format). */
    public static long headerAddress(final MemorySegment ring, final int index)
    {
        return (long)LONG.get(ring, (long)index * SIZE + HEADER_ADDRESS_OFFSET);
    }

    /** The RSS hash field: on the simulated card with RSS off, the low 32 bits of the device's nanoTime. */
    public static int rssHash(final MemorySegment ring, final int index)
    {
        return (int)INT.get(ring, (long)index * SIZE + RSS_HASH_OFFSET);
    }

    /** Packet-info field of the write-back (RSS type in [3:0]). */
    public static int packetInfo(final MemorySegment ring, final int index)
    {
        return (int)INT.get(ring, (long)index * SIZE + PACKET_INFO_OFFSET);
    }

    /** Device side: writes the write-back format, status last with release semantics. */
    public static void writeBack(final MemorySegment ring, final int index, final int length, final int rssHash,
        final int statusError)
    {
        writeBack(ring, index, 0, length, rssHash, statusError);
    }

    /** Device side: the write-back format with a packet-info field, status last with release semantics. */
    public static void writeBack(final MemorySegment ring, final int index, final int packetInfo, final int length,
        final int rssHash, final int statusError)
    {
        final long offset = (long)index * SIZE;
        INT.set(ring, offset + PACKET_INFO_OFFSET, packetInfo);
        INT.set(ring, offset + RSS_HASH_OFFSET, rssHash);
        SHORT.set(ring, offset + LENGTH_OFFSET, (short)length);
        SHORT.set(ring, offset + VLAN_OFFSET, (short)0);
        INT.setRelease(ring, offset + STATUS_ERROR_OFFSET, statusError);
    }

    /**
     * Rebuilds a full {@code System.nanoTime()} from its low 32 bits, given a later reading of the same clock, provided
     * less than about 4 s passed in between (a frame waits in a ring for microseconds, not seconds).
     */
    public static long deviceTimestamp(final int low32, final long now)
    {
        return now - (((int)now - low32) & 0xFFFF_FFFFL);
    }
}
