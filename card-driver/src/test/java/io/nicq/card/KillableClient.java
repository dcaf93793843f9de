package io.nicq.card;

import io.nicq.proto.CardDriverProxy;
import io.nicq.proto.sbe.FilterKind;
import io.nicq.proto.sbe.RequestedService;

/**
 * A client process for the kill -9 test: connects, takes a served queue and a UDP port filter, prints
 * {@code READY <queue> <filter slot>}, then heart-beats until it is killed.
 * <pre>
 *   KillableClient AERON_DIR PORT
 * </pre>
 */
public final class KillableClient
{
    private KillableClient()
    {
    }

    public static void main(final String[] args) throws InterruptedException
    {
        final ControlSession client = new ControlSession(args[0]);
        client.connect("killable");
        final CardDriverProxy.QueueGranted granted = client.requestQueue(64, 256, RequestedService.SERVED);
        final CardDriverProxy.FilterRegistered filter = client.registerFilter(granted.queueId(), FilterKind.UDP_PORT,
            Integer.parseInt(args[1]));
        final ChannelClient channel = new ChannelClient(granted.channelPath());
        System.out.println("READY " + granted.queueId() + " " + filter.hardwareIndex());
        System.out.flush();
        while (true)
        {
            Thread.sleep(100);
            client.heartbeat();
            channel.heartbeat();
        }
    }
}
