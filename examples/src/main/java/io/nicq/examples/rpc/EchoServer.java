package io.nicq.examples.rpc;

import io.nicq.client.Frame;
import io.nicq.client.udp.UdpDatagram;
import io.nicq.client.udp.UdpHandler;
import io.nicq.client.udp.UdpSocket;
import org.agrona.concurrent.Agent;

/**
 * The UDP echo server's work as an Agrona {@link Agent}: every datagram goes back to its sender from the slot it arrived
 * in (zero copy). When the payload is an {@link RpcPayload}, the server writes its own phase timestamps into it, so
 * the RPC client can report the server's phases too. Optionally runs a duty with each poll (a simulated card's device
 * loop, when the application's thread also plays its card's hardware).
 */
public final class EchoServer implements Agent
{
    /** Made once: a method reference evaluated in the loop would be a new object per poll. */
    private final UdpHandler onDatagramHandler = this::onDatagram;

    private static final int HEADERS = 14 + 20 + 8;

    private final UdpSocket socket;
    private final RpcPayload payload = new RpcPayload();
    private volatile Agent duty;
    private long lastSequence = -1;
    private long lastTxApp;
    private long completedSequence = -1;
    private long completedTxClient;
    private long completedTxDriver;
    private long completedTxDoorbell;
    private long completedTxDevice;
    private long echoed;

    public EchoServer(final UdpSocket socket)
    {
        this.socket = socket;
        socket.queue().txCompletionHandler(this::onTxComplete);
    }

    /** Work done with every poll, e.g. a simulated card's device loop; null for none. */
    public EchoServer duty(final Agent duty)
    {
        this.duty = duty;
        return this;
    }

    public int doWork() throws Exception
    {
        final Agent work = duty;
        final int done = work != null ? work.doWork() : 0;
        return done + socket.receive(onDatagramHandler);
    }

    public String roleName()
    {
        return "udp-echo";
    }

    /** Datagrams answered. */
    public long echoed()
    {
        return echoed;
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
                frame.rxDeviceNs(), frame.rxDriverSawNs(), frame.rxRingNs(), frame.rxAppNs(), txApp,
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
        if (frame.length() >= HEADERS + RpcPayload.LENGTH)
        {
            payload.wrap(frame.buffer(), frame.offset() + HEADERS, RpcPayload.LENGTH);
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
