package io.nicq.sim;

import io.nicq.ixgbe.ReceiveAddress;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.ixgbe.Bar;
import io.nicq.packet.MacAddress;

import static io.nicq.ixgbe.Registers.*;
import static io.nicq.ixgbe.SimulatedCardFiles.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The card's MAC address at each boundary: the API holds it first octet most significant, as all of nicq does; the
 * receive address registers pack it as the datasheet says; frames carry it in wire order.
 */
class CardAddressTest
{
    private static final long MAC = 0x0211_2233_4455L;
    private static final long PEER = MacAddress.parse("02:00:00:00:00:ee");

    @TempDir
    Path dir;

    @Test
    void registersPackTheAddressFirstOctetInRalBits7To0()
    {
        // 8.2.3.7.9/10: RAL holds octets 1-4 with the first in bits 7:0, RAH octets 5-6 with the fifth in bits 7:0.
        assertEquals(0x3322_1102, ReceiveAddress.ral(MAC));
        assertEquals(0x5544, ReceiveAddress.rahAddress(MAC));
        assertEquals(MAC, ReceiveAddress.mac(0x3322_1102, 0x5544 | RAH_AV));
        assertEquals(MacAddress.BROADCAST, ReceiveAddress.mac(ReceiveAddress.ral(MacAddress.BROADCAST),
            ReceiveAddress.rahAddress(MacAddress.BROADCAST)));
    }

    @Test
    void theRegisterPackingIsALittleEndianLoadOfTheAddressInTheFrame()
    {
        // What the classifier relies on: its entries compare with such loads of the destination address.
        final MemorySegment frame = MemorySegment.ofArray(Frames.udp(MAC, PEER, 1, 2, 3, 4, new byte[18]));
        assertEquals(ReceiveAddress.ral(MAC),
            frame.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
        assertEquals(ReceiveAddress.rahAddress(MAC),
            frame.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4) & 0xFFFF);
    }

    @Test
    void theEepromAddressIsLoadedIntoReceiveAddressZeroAndFramesToItPass()
    {
        try (CardFixture f = CardFixture.launch(new SimulatedCard.Context().cardName("address").baseDir(dir)
            .wireSpec("memory").mac(MAC)))
        {
            f.driver.init(false);
            assertEquals(MAC, f.card.mac());
            assertEquals("02:11:22:33:44:55", f.card.macAddress());
            final Bar bar = f.driver.bar;
            assertEquals(0x3322_1102, bar.read(ral(0)));
            assertEquals(0x5544 | RAH_AV, bar.read(rah(0)));

            f.driver.startRx(0, 16);
            bar.write(FCTRL, 0);
            f.settle();
            f.wire().inject(Frames.udp(f.card.mac(), PEER, 1, 2, 3, 4, new byte[18]));
            f.wire().inject(Frames.udp(Long.reverseBytes(MAC) >>> 16, PEER, 1, 2, 3, 4, new byte[18]));
            f.settle();
            assertEquals(1, f.status(rxQueueFramesOffset(0)), "the frame to the card's address");
            assertEquals(1, f.status(L2_FILTERED_OFFSET), "the frame to the address with its octets reversed");
        }
    }

    @Test
    void theTextFormIsTheSameAddress()
    {
        final SimulatedCard.Context ctx = new SimulatedCard.Context().baseDir(dir).mac("02:11:22:33:44:55");
        assertEquals(MAC, ctx.conclude().mac());
    }

    @Test
    void aCardAddressMustBeA48BitUnicastAddress()
    {
        assertThrows(IllegalArgumentException.class,
            () -> new SimulatedCard.Context().baseDir(dir).mac(MacAddress.parse("01:00:5e:00:00:01")).conclude());
        assertThrows(IllegalArgumentException.class,
            () -> new SimulatedCard.Context().baseDir(dir).mac(0x1_0211_2233_4455L).conclude());
        // 02:00:00:00:00:01 in the order nic-sim used to take (first octet in bits 7:0) is a multicast address now.
        assertThrows(IllegalArgumentException.class,
            () -> new SimulatedCard.Context().baseDir(dir).mac(0x0100_0000_0002L).conclude());
    }

    @Test
    void theDefaultAddressIsLocallyAdministeredUnicastAndStableAcrossVersions()
    {
        // The octets nic-sim has always derived for these names: captures and neighbour tables stay valid.
        assertEquals("02:d7:48:17:eb:9e", defaultMac("card0"));
        assertEquals("02:47:c5:b2:c2:6b", defaultMac("emb"));
        assertEquals("02:43:be:b7:e8:d7", defaultMac("a"));
    }

    private String defaultMac(final String card)
    {
        return MacAddress.toString(new SimulatedCard.Context().cardName(card).baseDir(dir).conclude().mac());
    }
}
