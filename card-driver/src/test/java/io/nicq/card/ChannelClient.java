package io.nicq.card;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.nicq.proto.channel.ChannelEndpoint;
import io.nicq.proto.channel.QueueChannel;

/** The application's end of a queue channel, for tests: attaches (pid, heartbeat) and takes received frames. */
final class ChannelClient implements AutoCloseable
{
    private final QueueChannel channel;
    private final ChannelEndpoint endpoint;
    private final int[] received = new int[1];
    private final int[] completed = new int[64];

    ChannelClient(final String path)
    {
        channel = QueueChannel.open(Path.of(path));
        endpoint = new ChannelEndpoint(channel, 0);
    }

    QueueChannel channel()
    {
        return channel;
    }

    /** Waits for a received frame (keeping the heartbeat up), hands its slot back, returns a copy; null on timeout. */
    byte[] awaitFrame(final long timeoutMs) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() - deadline < 0)
        {
            heartbeat();
            reclaim();
            if (endpoint.receive(received, 1) == 1 && received[0] != ChannelEndpoint.NO_SLOT)
            {
                final int slot = received[0];
                final byte[] frame = new byte[channel.metadata().frameLength(slot)];
                channel.pool().getBytes(QueueChannel.frameOffset(slot), frame);
                endpoint.release(slot);
                endpoint.flush();
                return frame;
            }
            Thread.sleep(1);
        }
        return null;
    }

    /** Slots back from txDone (the ones the driver hands out at start among them) go back to the driver's RX side. */
    private void reclaim()
    {
        final int count = endpoint.takeCompleted(completed, completed.length);
        for (int i = 0; i < count; i++)
        {
            endpoint.giveBackIfLent(completed[i]);
        }
        if (count > 0)
        {
            endpoint.flush();
        }
    }

    /** The client heartbeat in the channel header (a plain write: callable from a heartbeat thread). */
    void heartbeat()
    {
        endpoint.heartbeat(System.nanoTime());
    }

    int state()
    {
        return channel.header().state();
    }

    public void close()
    {
        endpoint.detach();
        channel.close();
    }
}
