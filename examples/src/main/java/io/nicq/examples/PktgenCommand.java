package io.nicq.examples;

import java.util.Locale;
import java.util.concurrent.Callable;

import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.iface.Ipv4Interface;
import io.nicq.client.udp.UdpLayer;
import io.nicq.client.udp.UdpSocket;
import io.nicq.packet.Ipv4Address;
import io.nicq.runtime.CommandLines;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Packet generator: UDP datagrams to one destination from a dedicated queue, as fast as the queue takes them or at a
 * given rate, then what was sent, completed and refused for want of a slot.
 */
@Command(name = "pktgen", mixinStandardHelpOptions = true,
    description = "UDP packet generator on its own hardware queue: rate, completions and drops.")
public final class PktgenCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Option(names = "--dest", required = true, paramLabel = "IP:PORT", description = "Where the datagrams go")
    String dest;

    @Option(names = "--size", defaultValue = "18", paramLabel = "BYTES",
        description = "UDP payload bytes; 18 makes 64-byte frames with the CRC (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--count", defaultValue = "1000000", paramLabel = "N", description = "Datagrams to send (default: ${DEFAULT-VALUE})")
    long count;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "PPS", description = "Datagrams per second, 0 = as fast as possible (default: ${DEFAULT-VALUE})")
    long rate;

    public Integer call()
    {
        options.pinLoopThread();
        final String[] hostPort = dest.split(":");
        if (hostPort.length != 2)
        {
            throw new IllegalArgumentException("--dest '" + dest + "' must be IP:PORT");
        }
        final int ip = Ipv4Address.parse(hostPort[0]);
        final int port = Integer.parseInt(hostPort[1]);
        CommandLines.requirePort(spec, "--dest", port);
        CommandLines.requirePositive(spec, "--count", count);
        CommandLines.requireRange(spec, "--rate", rate, 0, 1_000_000_000L, "datagrams per second, 0 = unlimited");
        CommandLines.requireRange(spec, "--size", size, 0, UdpLayer.maxPayloadAtMtu(0),
            "one UDP datagram at MTU 1500, and nicq does not fragment");
        try (StopOnShutdown signal = new StopOnShutdown("pktgen-shutdown", 2000);
            NicClient client = options.connect("pktgen");
            NicQueue queue = options.requestQueue(client);
            UdpSocket socket = UdpSocket.open(new UdpLayer(new Ipv4Interface(queue, client))).bind(0))
        {
            final UnsafeBuffer payload = new UnsafeBuffer(new byte[Math.max(size, 8)]);
            final IdleStrategy idle = options.idleStrategy(queue);
            final long intervalNs = rate > 0 ? 1_000_000_000L / rate : 0;
            System.err.println("pktgen: " + count + " datagrams of " + size + " bytes to " + dest +
                (rate > 0 ? " at " + rate + "/s" : " as fast as possible") + " from queue " + queue.queueId() +
                " (" + queue.driverPlacement().name().toLowerCase(Locale.ROOT) + " mode)");

            long sent = 0;
            long noSlot = 0;
            final long start = System.nanoTime();
            long next = start;
            while (sent < count && !signal.isStopped())
            {
                if (intervalNs > 0)
                {
                    final long now = System.nanoTime();
                    if (now - next < 0)
                    {
                        idle.idle(0);
                        continue;
                    }
                    next += intervalNs;
                }
                payload.putLong(0, sent);
                if (socket.send(ip, port, payload, 0, size) > 0)
                {
                    sent++;
                }
                else
                {
                    noSlot++;
                    queue.flush();
                    idle.idle(0);
                }
            }
            queue.flush();
            final long elapsedNs = System.nanoTime() - start;
            final long drainDeadline = System.nanoTime() + 2_000_000_000L;
            while (queue.framesCompleted() < sent && System.nanoTime() - drainDeadline < 0)
            {
                queue.poll(frame -> { });
                idle.idle(0);
            }
            System.out.printf(Locale.ROOT,
                "pktgen: sent %d in %.3f s = %.3f Mpps (%.1f ns/datagram); completed %d; no free slot %d times%n",
                sent, elapsedNs / 1e9, sent * 1e3 / elapsedNs, (double)elapsedNs / Math.max(1, sent),
                queue.framesCompleted(), noSlot);
        }
        return 0;
    }
}
