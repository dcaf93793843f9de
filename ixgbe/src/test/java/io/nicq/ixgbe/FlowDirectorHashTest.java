package io.nicq.ixgbe;

import org.junit.jupiter.api.Test;

import static io.nicq.ixgbe.Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The perfect-match bucket hash against the values DPDK computes for the same flows: {@code ixgbe_atr_compute_hash_82599}
 * (drivers/net/intel/ixgbe/ixgbe_fdir.c) with IXGBE_ATR_BUCKET_HASH_KEY, run over an {@code ixgbe_atr_input} holding
 * the flow; Linux's {@code ixgbe_atr_compute_perfect_hash_82599} gives the same low 13 bits. The register encodings
 * against what DPDK's {@code fdir_write_perfect_filter_82599} and {@code fdir_set_input_mask_82599} write.
 */
class FlowDirectorHashTest
{
    private static final int HOST = 0x0A000001;   // 10.0.0.1

    @Test
    void hashMatchesDpdkForTcpAndUdpFlows()
    {
        // flow type, destination, source, source port, destination port -> DPDK's 32-bit hash
        assertEquals(0xAD8E1E48, hash(FDIR_FLOW_TYPE_TCPV4, HOST, 0x0A000002, 40000, 80));
        assertEquals(0xEA91252C, hash(FDIR_FLOW_TYPE_TCPV4, HOST, 0xC0A80105, 1234, 5000));
        assertEquals(0x0997C639, hash(FDIR_FLOW_TYPE_UDPV4, HOST, 0, 0, 53));
        assertEquals(0x04A63380, hash(FDIR_FLOW_TYPE_UDPV4, HOST, 0, 0, 7000));
        assertEquals(0x09A50021, hash(FDIR_FLOW_TYPE_TCPV4, HOST, 0, 0, 80));
        assertEquals(0x39FCE302, hash(FDIR_FLOW_TYPE_TCPV4, 0xC0A80001, 0x08080808, 65535, 1));
    }

    @Test
    void perfectBucketIsTheLowBitsByPacketBufferAllocation()
    {
        assertEquals(0x1E48, FlowDirectorHash.perfectBucket(FDIR_BUCKET_HASH_KEY, FDIRCTRL_PBALLOC_256K,
            FDIR_FLOW_TYPE_TCPV4, HOST, 0x0A000002, 40000, 80));
        assertEquals(0x0E48, FlowDirectorHash.perfectBucket(FDIR_BUCKET_HASH_KEY, FDIRCTRL_PBALLOC_128K,
            FDIR_FLOW_TYPE_TCPV4, HOST, 0x0A000002, 40000, 80));
        assertEquals(0x0648, FlowDirectorHash.perfectBucket(FDIR_BUCKET_HASH_KEY, FDIRCTRL_PBALLOC_64K,
            FDIR_FLOW_TYPE_TCPV4, HOST, 0x0A000002, 40000, 80));
        assertEquals(8192, fdirPerfectCapacity(FDIRCTRL_PBALLOC_256K));
        assertEquals(2048, fdirPerfectCapacity(FDIRCTRL_PBALLOC_64K));
        assertEquals(0, fdirPerfectCapacity(FDIRCTRL_PBALLOC_NONE));
        assertEquals(256 * 1024, fdirPacketBufferBytes(FDIRCTRL_PBALLOC_256K));
    }

    @Test
    void registerEncodingsAreDpdks()
    {
        // fdir_write_perfect_filter_82599: addresses as stored in network order, ports host order, dst high.
        assertEquals(0x0200000A, FlowDirectorFields.address(0x0A000002));
        assertEquals(0x00509C40, FlowDirectorFields.ports(40000, 80));
        assertEquals(0x00071E48, FlowDirectorFields.hash(0x1E48, 7));
        // ADD | LAST | QUEUE_EN | flow type TCPv4 << 5 | queue 5 << 16
        assertEquals(0x00058841, FlowDirectorFields.addCommand(FDIR_FLOW_TYPE_TCPV4, 5, false));
        assertEquals(0x00058849, FlowDirectorFields.addCommand(FDIR_FLOW_TYPE_TCPV4, 5, true));
        // fdir_set_input_mask_82599: ~mask, each port half bit reversed; all compared -> 0, source masked -> 0xFFFF.
        assertEquals(0, FlowDirectorFields.portMask(0xFFFF, 0xFFFF));
        assertEquals(0x0000FFFF, FlowDirectorFields.portMask(0, 0xFFFF));
        assertEquals(0x00007FFF, FlowDirectorFields.portMask(0x0001, 0xFFFF), "the port's bit 0 is the register's bit 15");
        assertEquals(0, FlowDirectorFields.addressMask(0xFFFFFFFF));
        assertEquals(0xFFFFFFFF, FlowDirectorFields.addressMask(0));
        assertEquals(0xFFFFFF00, FlowDirectorFields.addressMask(0xFF000000), "the first octet is the low byte");
    }

    @Test
    void flowDirectorStatisticsAreClearOnReadAndTheRestReadWrite()
    {
        for (final int offset : new int[]{FDIRLEN, FDIRUSTAT, FDIRFSTAT, FDIRMATCH, FDIRMISS})
        {
            assertEquals(RegisterFile.Access.CLEAR_ON_READ, RegisterFile.access(offset));
        }
        for (final int offset : new int[]{FDIRCTRL, FDIRHKEY, FDIRSKEY, FDIRM, FDIRTCPM, FDIRUDPM, FDIRSIP4M,
            FDIRDIP4M, FDIRIPSA, FDIRIPDA, FDIRPORT, FDIRVLAN, FDIRHASH, FDIRCMD, FDIRFREE})
        {
            assertEquals(RegisterFile.Access.READ_WRITE, RegisterFile.access(offset));
            assertEquals(0, RegisterFile.resetValue(offset), "the flow director is off after reset");
        }
    }

    private static int hash(final int flowType, final int destination, final int source, final int sourcePort,
        final int destinationPort)
    {
        return FlowDirectorHash.hash(FDIR_BUCKET_HASH_KEY, FlowDirectorHash.flowPoolVlan(0, flowType, 0), destination,
            source, sourcePort, destinationPort, 0);
    }
}
