package io.nicq.card;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.nicq.proto.channel.IndexRing;
import io.nicq.proto.channel.QueueChannel;

/** The application's end of a queue channel, for tests: attaches (pid, heartbeat) and takes received frames. */
final class ChannelClient implements AutoCloseable
{
    private final QueueChannel channel;

    ChannelClient(final String path)
    {
        channel = QueueChannel.open(Path.of(path));
        channel.header().attachClient(ProcessHandle.current().pid(), System.nanoTime());
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
            channel.header().clientHeartbeatNs(System.nanoTime());
            final int slot = channel.rxReady().poll();
            if (slot != IndexRing.EMPTY)
            {
                final int length = channel.metadata().frameLength(slot);
                final byte[] frame = new byte[length];
                channel.pool().getBytes(QueueChannel.frameOffset(slot), frame);
                channel.rxFree().offer(slot);
                return frame;
            }
            Thread.sleep(1);
        }
        return null;
    }

    void heartbeat()
    {
        channel.header().clientHeartbeatNs(System.nanoTime());
    }

    int state()
    {
        return channel.header().state();
    }

    public void close()
    {
        channel.header().detachClient();
        channel.close();
    }
}
