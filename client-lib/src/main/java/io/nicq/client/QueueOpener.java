package io.nicq.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.nicq.ixgbe.Nic;
import io.nicq.proto.CardDriverProxy;
import io.nicq.proto.channel.QueueChannel;
import io.nicq.proto.channel.QueueChannelHeader;
import io.nicq.proto.sbe.QueueMode;
import io.nicq.queue.ControlQueueAttacher;
import io.nicq.queue.QueueDriver;
import org.agrona.CloseHelper;

/**
 * The local side of a granted queue, for {@link NicClient}: an INLINE queue gets its queue driver started here, in the
 * application (on the card the grant names, attaching its rings through the client's own {@link CardDriverProxy});
 * a SERVED queue is waited for until the card driver's queue driver serves its channel. Either way the channel is
 * opened and a {@link NicQueue} made; on failure everything opened here is closed again (the caller releases the
 * grant).
 */
final class QueueOpener
{
    private final NicClient.Context ctx;
    private final ControlPlane plane;
    private final CardDriverProxy cardDriver;

    QueueOpener(final NicClient.Context ctx, final ControlPlane plane, final CardDriverProxy cardDriver)
    {
        this.ctx = ctx;
        this.plane = plane;
        this.cardDriver = cardDriver;
    }

    /**
     * @throws NicException QUEUE_DRIVER_FAILED if the queue driver does not start or stops first, TIMED_OUT if it
     *                      does not serve the channel within the activation timeout, CHANNEL_UNAVAILABLE, INTERRUPTED
     */
    NicQueue open(final CardDriverProxy.QueueGranted grant)
    {
        return grant.mode() == QueueMode.INLINE ? inline(grant) : served(grant);
    }

    private NicQueue inline(final CardDriverProxy.QueueGranted grant)
    {
        Nic nic = null;
        QueueDriver driver = null;
        QueueChannel channel = null;
        try
        {
            nic = Nic.open(grant.nic());
            driver = QueueDriver.start(new QueueDriver.Context()
                .nic(nic)
                .queueId(grant.queueId())
                .channelFile(Path.of(grant.channelPath()))
                .ringSize(grant.ringSize())
                .cardDriverPid(cardDriverPid())
                .queueAttacher(new ControlQueueAttacher(cardDriver)));
            channel = QueueChannel.open(Path.of(grant.channelPath()));
            return new NicQueue(plane, channel, QueueDriverPlacement.INLINE, driver, nic, ctx.txSlotReserve());
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(channel, driver, nic);
            if (ex instanceof NicException)
            {
                throw ex;
            }
            throw new NicException(NicException.Reason.QUEUE_DRIVER_FAILED, "cannot run queue " + grant.queueId() +
                " inline on " + grant.nic() + ": " + ex.getMessage(), ex);
        }
    }

    /** The card driver's pid from the instance's pid file, so an inline queue driver stops if it dies; 0 if unknown. */
    private long cardDriverPid()
    {
        try
        {
            return Long.parseLong(Files.readString(ctx.paths().pidFile(), StandardCharsets.US_ASCII).trim());
        }
        catch (final IOException | NumberFormatException | SecurityException ex)
        {
            return 0;
        }
    }

    private NicQueue served(final CardDriverProxy.QueueGranted grant)
    {
        final QueueChannel channel;
        try
        {
            channel = QueueChannel.open(Path.of(grant.channelPath()));
        }
        catch (final RuntimeException ex)
        {
            throw new NicException(NicException.Reason.CHANNEL_UNAVAILABLE, "cannot open the channel of queue " +
                grant.queueId() + ": " + ex.getMessage(), ex);
        }
        try
        {
            awaitActive(channel, grant.queueId());
            return new NicQueue(plane, channel, QueueDriverPlacement.of(grant.mode()), null, null,
                ctx.txSlotReserve());
        }
        catch (final RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
    }

    private void awaitActive(final QueueChannel channel, final int queueId)
    {
        final QueueChannelHeader header = channel.header();
        final long deadlineNs = System.nanoTime() + ctx.queueActivationTimeoutNs();
        while (true)
        {
            final int state = header.state();
            if (state == QueueChannelHeader.STATE_ACTIVE)
            {
                return;
            }
            if (state != QueueChannelHeader.STATE_INITIALISING)
            {
                throw new NicException(NicException.Reason.QUEUE_DRIVER_FAILED, "the queue driver of queue " +
                    queueId + " stopped before serving it: channel " + QueueChannelHeader.stateName(state));
            }
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new NicException(NicException.Reason.TIMED_OUT, "the queue driver of queue " + queueId +
                    " did not start serving " + channel.description() + " within " +
                    TimeUnit.NANOSECONDS.toMillis(ctx.queueActivationTimeoutNs()) + " ms (channel still " +
                    "INITIALISING, driver pid " + header.driverPid() + ")");
            }
            cardDriver.client().poll();
            try
            {
                Thread.sleep(1);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new NicException(NicException.Reason.INTERRUPTED, "interrupted while waiting for the queue " +
                    "driver of queue " + queueId, ex);
            }
        }
    }
}
