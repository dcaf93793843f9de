package io.nicq.card;

import java.util.EnumMap;
import java.util.Map;

import io.nicq.ixgbe.Registers;
import io.nicq.proto.CardDriverProxy;
import io.nicq.proto.sbe.FilterKind;
import io.nicq.proto.sbe.FilterPlacement;
import io.nicq.proto.sbe.RequestedService;

/**
 * A client process for the kill -9 test of placement: connects, takes a served queue and filters in all three
 * placements (128 UDP ports fill the 5-tuple filters, then connections go to the flow director and more UDP ports to
 * software), prints {@code READY <queue> FIVE_TUPLE=n FLOW_DIRECTOR=n SOFTWARE=n}, then heart-beats until killed.
 * <pre>
 *   FilterHolder AERON_DIR
 * </pre>
 */
public final class FilterHolder
{
    private FilterHolder()
    {
    }

    public static void main(final String[] args) throws InterruptedException
    {
        final ControlSession client = new ControlSession(args[0]);
        client.connect("holder");
        final CardDriverProxy.QueueGranted granted = client.requestQueue(64, 256, RequestedService.SERVED);
        final int queue = granted.queueId();
        final Map<FilterPlacement, Integer> placed = new EnumMap<>(FilterPlacement.class);
        for (int i = 0; i < Registers.FIVE_TUPLE_FILTER_COUNT + 3; i++)
        {
            placed.merge(client.registerFilter(queue, FilterKind.UDP_PORT, 11_000 + i).placement(), 1, Integer::sum);
        }
        for (int i = 0; i < 5; i++)
        {
            placed.merge(client.registerFilter(queue, FilterKind.TCP_CONNECTION, 443, 0x0A000002, 40_000 + i)
                .placement(), 1, Integer::sum);
        }
        final ChannelClient channel = new ChannelClient(granted.channelPath());
        final StringBuilder ready = new StringBuilder("READY ").append(queue);
        placed.forEach((placement, count) -> ready.append(' ').append(placement).append('=').append(count));
        System.out.println(ready);
        System.out.flush();
        while (true)
        {
            Thread.sleep(100);
            client.heartbeat();
            channel.heartbeat();
        }
    }
}
