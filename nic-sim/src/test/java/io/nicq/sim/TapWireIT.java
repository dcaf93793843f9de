package io.nicq.sim;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.nicq.packet.MacAddress;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The simulated card on a TAP device, the TAP device in a network namespace of its own: the Linux kernel is the peer.
 * A datagram sent by a kernel socket arrives in the card's RX ring, and an ICMP echo request the card transmits is
 * answered by the kernel (so it received it).
 */
@Timeout(60)
class TapWireIT
{
    @TempDir
    Path dir;
    private String ifname;
    private String namespace;
    private int subnet;
    private SimulatedCard card;
    private TestDriver driver;

    @BeforeEach
    void setUp()
    {
        assumeTrue(Commands.isRoot(), "TAP devices and network namespaces need root");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "no /dev/net/tun (tun module not loaded)");
        assumeTrue(Commands.hasIp(), "the ip command (iproute2) is not installed");
        final int id = ThreadLocalRandom.current().nextInt(100_000);
        ifname = "nqtap" + id;
        namespace = "nicq-tap-" + ProcessHandle.current().pid() + "-" + id;
        subnet = 100 + ThreadLocalRandom.current().nextInt(100);
    }

    @AfterEach
    void tearDown()
    {
        if (driver != null)
        {
            driver.close();
        }
        if (card != null)
        {
            card.close();
        }
        if (namespace != null)
        {
            Commands.runQuietly("ip", "netns", "del", namespace);
        }
        if (ifname != null)
        {
            Commands.runQuietly("ip", "link", "del", ifname);
        }
    }

    private int ip(final int host)
    {
        return Frames.ip("10.201." + subnet + "." + host);
    }

    private String dotted(final int host)
    {
        return "10.201." + subnet + "." + host;
    }

    @Test
    void theKernelAndTheCardExchangeFramesThroughTheTap()
    {
        card = SimulatedCard.launch(new SimulatedCard.Context().cardName("tap").baseDir(dir)
            .wireSpec("tap:" + ifname).manualDrive(true));
        driver = new TestDriver(card.openNic(), card::doWork);

        Commands.run("ip", "netns", "add", namespace);
        Commands.run("ip", "link", "set", ifname, "netns", namespace);
        Commands.run("ip", "-n", namespace, "addr", "add", dotted(1) + "/24", "dev", ifname);
        Commands.run("ip", "-n", namespace, "link", "set", ifname, "up");
        Commands.run("ip", "-n", namespace, "neigh", "add", dotted(2), "lladdr", card.macAddress(), "dev", ifname,
            "nud", "permanent");
        final long kernelMac = kernelMac();

        driver.init(false);
        final TestDriver.RxQueue rx = driver.startRx(0, 256);
        final TestDriver.TxQueue tx = driver.startTx(0, 64);

        // Kernel -> card: a datagram from a kernel UDP socket in the namespace.
        final String message = "from the kernel to nicq";
        Commands.run("ip", "netns", "exec", namespace, "bash", "-c",
            "echo -n '" + message + "' > /dev/udp/" + dotted(2) + "/9999");
        final byte[] datagram = awaitFrame(rx, frame -> isUdpTo(frame, 9999), "the kernel's UDP datagram");
        final String payload = new String(datagram, 42, datagram.length - 42).trim();
        assertEquals(message, payload);

        // Card -> kernel: an echo request; the kernel's echo reply proves it received it.
        tx.send(Frames.icmpEcho(kernelMac, card.mac(), ip(2), ip(1), 0x4E51, 7, "ping from the card".getBytes()));
        final byte[] reply = awaitFrame(rx, frame -> isEchoReply(frame, 0x4E51, 7), "the kernel's echo reply");
        assertEquals(ip(1), ByteBuffer.wrap(reply, 26, 4).getInt(), "from the kernel's address");
    }

    @Test
    void whatTheCardSendsToTheKernelMeetsTheInjectedFaults()
    {
        final WireFaults.Context faults = new WireFaults.Context().seed(11).dropProbability(0.2)
            .duplicateProbability(0.1).corruptProbability(0.1);
        card = SimulatedCard.launch(new SimulatedCard.Context().cardName("lossytap").baseDir(dir)
            .wireSpec("tap:" + ifname).wireFaults(faults).manualDrive(true));
        driver = new TestDriver(card.openNic(), card::doWork);
        Commands.run("ip", "netns", "add", namespace);
        Commands.run("ip", "link", "set", ifname, "netns", namespace);
        Commands.run("ip", "-n", namespace, "addr", "add", dotted(1) + "/24", "dev", ifname);
        Commands.run("ip", "-n", namespace, "link", "set", ifname, "up");
        Commands.run("ip", "-n", namespace, "neigh", "add", dotted(2), "lladdr", card.macAddress(), "dev", ifname,
            "nud", "permanent");
        final long kernelMac = kernelMac();
        driver.init(false);
        final TestDriver.RxQueue rx = driver.startRx(0, 1024);
        final TestDriver.TxQueue tx = driver.startTx(0, 512);
        final long checksumErrorsBefore = kernelChecksumErrors();

        final int requests = 300;
        for (int i = 0; i < requests; i++)
        {
            tx.send(Frames.icmpEcho(kernelMac, card.mac(), ip(2), ip(1), 0x4E52, i, "ping through faults".getBytes()));
        }
        final WireFaults injected = card.wireFaults();
        final int[] replies = new int[1];
        // The kernel answers every copy that reached it intact: what was sent, less the lost and the corrupted.
        driver.await(() ->
        {
            byte[] frame;
            while ((frame = rx.poll()) != null)
            {
                if (isEchoReplyOf(frame, 0x4E52))
                {
                    replies[0]++;
                }
            }
            return driver.bar.read(io.nicq.ixgbe.Registers.tdh(0)) == tx.tail &&
                replies[0] == requests - injected.dropped() + injected.duplicated() - injected.corrupted();
        }, "an echo reply for every intact request");
        assertTrue(injected.dropped() > 0 && injected.duplicated() > 0 && injected.corrupted() > 0,
            injected.dropped() + " dropped, " + injected.duplicated() + " duplicated, " + injected.corrupted() +
            " corrupted");
        assertEquals(injected.corrupted(), kernelChecksumErrors() - checksumErrorsBefore,
            "the kernel's checksums caught every corrupted frame");
    }

    /** IPv4 header and ICMP checksum errors the kernel in the namespace counted (/proc/net/snmp). */
    private long kernelChecksumErrors()
    {
        final String[] lines = Commands.run("ip", "netns", "exec", namespace, "cat", "/proc/net/snmp").split("\n");
        return snmp(lines, "Ip:", "InHdrErrors") + snmp(lines, "Icmp:", "InCsumErrors");
    }

    private static long snmp(final String[] lines, final String group, final String field)
    {
        for (int i = 0; i + 1 < lines.length; i++)
        {
            if (lines[i].startsWith(group) && lines[i + 1].startsWith(group))
            {
                final String[] names = lines[i].trim().split("\\s+");
                final String[] values = lines[i + 1].trim().split("\\s+");
                for (int f = 1; f < names.length && f < values.length; f++)
                {
                    if (names[f].equals(field))
                    {
                        return Long.parseLong(values[f]);
                    }
                }
            }
        }
        throw new AssertionError(group + " " + field + " not in /proc/net/snmp");
    }

    private static boolean isEchoReplyOf(final byte[] frame, final int id)
    {
        return frame.length >= 42 && (frame[12] & 0xFF) == 0x08 && frame[13] == 0 && frame[23] == 1 &&
            frame[34] == 0 && ((frame[38] & 0xFF) << 8 | (frame[39] & 0xFF)) == id;
    }

    private long kernelMac()
    {
        final String link = Commands.run("ip", "-n", namespace, "-o", "link", "show", ifname);
        final Matcher matcher = Pattern.compile("link/ether ([0-9a-f:]{17})").matcher(link);
        assertTrue(matcher.find(), link);
        return MacAddress.parse(matcher.group(1));
    }

    private byte[] awaitFrame(final TestDriver.RxQueue rx, final java.util.function.Predicate<byte[]> wanted,
        final String what)
    {
        final byte[][] found = new byte[1][];
        driver.await(() ->
        {
            final byte[] frame = rx.poll();
            if (frame != null && wanted.test(frame))
            {
                found[0] = frame;
            }
            return found[0] != null;
        }, what + " in RX queue 0");
        return found[0];
    }

    private static boolean isUdpTo(final byte[] frame, final int port)
    {
        return frame.length >= 42 && (frame[12] & 0xFF) == 0x08 && frame[13] == 0 && frame[23] == 17 &&
            ((frame[36] & 0xFF) << 8 | (frame[37] & 0xFF)) == port;
    }

    private static boolean isEchoReply(final byte[] frame, final int id, final int sequence)
    {
        return frame.length >= 42 && (frame[12] & 0xFF) == 0x08 && frame[13] == 0 && frame[23] == 1 &&
            frame[34] == 0 && ((frame[38] & 0xFF) << 8 | (frame[39] & 0xFF)) == id &&
            ((frame[40] & 0xFF) << 8 | (frame[41] & 0xFF)) == sequence;
    }
}
