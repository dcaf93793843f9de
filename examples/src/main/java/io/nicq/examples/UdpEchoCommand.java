package io.nicq.examples;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

import io.nicq.client.Frame;
import io.nicq.client.NicClient;
import io.nicq.client.NicQueue;
import io.nicq.client.UdpDatagram;
import io.nicq.client.UdpEndpoint;
import io.nicq.examples.rpc.RpcPayload;
import io.nicq.packet.Ipv4Address;
import org.agrona.concurrent.IdleStrategy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * UDP echo server on a dedicated queue: every datagram goes back to its sender from the slot it arrived in (zero
 * copy). When the payload is an {@link RpcPayload}, the server writes its own phase timestamps into it, so that the
 * RPC client can report the server's phases too.
 */
@Command(name = "udp-echo", mixinStandardHelpOptions = true,
    description = "UDP echo server on its own hardware queue (zero-copy replies, server phases reported in RPC payloads).")
public final class UdpEchoCommand implements Callable<Integer>
{
    @Mixin
    ClientOptions options;

    @Option(names = "--port", required = true, paramLabel = "PORT", description = "UDP port to answer on")
    int port;

    @Option(names = "--duration", defaultValue = "0", paramLabel = "SECONDS",
        description = "Stop after this long (default: run until interrupted)")
    long durationSeconds;

    private final RpcPayload payload = new RpcPayload();
    private final AtomicBoolean running = new AtomicBoolean(true);

    private long lastSequence = -1;
    private long lastTxApp;
    private long completedTxClient;
    private long completedTxDriver;
    private long completedTxDoorbell;
    private long completedTxDevice;
    private long completedSequence = -1;
    private long echoed;

    public Integer call()
    {
        options.pinLoopThread();
        final Thread main = Thread.currentThread();
        final Thread hook = new Thread(() ->
        {
            running.set(false);
            try
            {
                main.join(2000);
            }
            catch (final InterruptedException ignore)
            {
                Thread.currentThread().interrupt();
            }
        }, "udp-echo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        try (NicClient client = options.connect("udp-echo");
            NicQueue queue = options.requestQueue(client);
            UdpEndpoint endpoint = UdpEndpoint.open(queue).bind(port))
        {
            queue.txCompletionHandler(this::onTxComplete);
            System.out.println("udp-echo: listening on " + Ipv4Address.toString(client.ipv4()) + ":" + port +
                " (queue " + queue.queueId() + ", " + queue.mode().name().toLowerCase() + " mode)");
            System.out.flush();

            final IdleStrategy idle = options.idleStrategy();
            final long deadline = durationSeconds > 0 ? System.nanoTime() + durationSeconds * 1_000_000_000L : 0;
            int polls = 0;
            while (running.get())
            {
                idle.idle(endpoint.receive(this::onDatagram));
                if (deadline != 0 && (++polls & 0x3FF) == 0 && System.nanoTime() - deadline > 0)
                {
                    break;
                }
            }
            System.out.println("udp-echo: echoed " + echoed + " datagrams; stack drops: " + queue.stack().dropsToString());
        }
        return 0;
    }

    private void onDatagram(final UdpDatagram datagram)
    {
        payload.wrap(datagram.buffer(), datagram.offset(), datagram.length());
        if (payload.isValid() && payload.hasRoomForTimestamps())
        {
            final Frame frame = datagram.frame();
            final long txApp = System.nanoTime();
            // This answer carries the transmit side of the previous answer, if its transmission has completed.
            final boolean previousKnown = lastSequence >= 0 && completedSequence == lastSequence;
            payload.putServerTimestamps(
                frame.rxDeviceNs(), frame.rxDriverSawNs(), frame.rxPublishedNs(), frame.rxAppNs(), txApp,
                lastSequence, previousKnown ? lastTxApp : 0, previousKnown ? completedTxClient : 0,
                previousKnown ? completedTxDriver : 0, previousKnown ? completedTxDoorbell : 0,
                previousKnown ? completedTxDevice : 0);
            lastSequence = payload.sequence();
            lastTxApp = txApp;
            datagram.reply(datagram.length());   // payload rewritten in place: the UDP checksum is recomputed
        }
        else
        {
            datagram.reply();
        }
        echoed++;
    }

    private void onTxComplete(final Frame frame)
    {
        final int payloadOffset = frame.offset() + 14 + 20 + 8;
        if (frame.length() >= 14 + 20 + 8 + RpcPayload.LENGTH)
        {
            payload.wrap(frame.buffer(), payloadOffset, RpcPayload.LENGTH);
            if (payload.isValid())
            {
                completedSequence = payload.sequence();
                completedTxClient = frame.txEnqueuedNs();
                completedTxDriver = frame.txDequeuedNs();
                completedTxDoorbell = frame.txDoorbellNs();
                completedTxDevice = frame.txWireNs();
            }
        }
    }
}
