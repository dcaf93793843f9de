package io.nicq.queue;

import io.nicq.proto.CardDriverProxy;
import io.nicq.proto.CardDriverUnavailableException;
import io.nicq.proto.ControlClient;
import io.nicq.proto.ControlException;
import io.nicq.proto.ControlTimeoutException;
import io.nicq.proto.sbe.ErrorCode;

/**
 * Attaches and detaches a queue driver's rings over the control protocol: {@code AttachQueueDriver} →
 * {@code QueueDriverAttached}, and before the rings are freed {@code DetachQueueDriver} → {@code QueueDriverDetached}
 * (the card driver disables the queue first, so the device never touches freed memory). Used by a queue driver
 * running as its own process, and by an application running its queue driver inline.
 */
public final class ControlQueueAttacher implements QueueAttacher
{
    private final CardDriverProxy shared;
    private final ControlClient.Context connectEachTime;
    private long pid;
    private long token;

    /** @param cardDriver connected to the card driver and kept open by its owner; not closed by this attacher */
    public ControlQueueAttacher(final CardDriverProxy cardDriver)
    {
        this(cardDriver, null);
    }

    private ControlQueueAttacher(final CardDriverProxy shared, final ControlClient.Context connectEachTime)
    {
        this.shared = shared;
        this.connectEachTime = connectEachTime;
    }

    /**
     * An attacher that connects for each request and closes the connection after it, for a queue driver process:
     * between attach and detach it holds no control connection that could hold back the card driver's answers.
     */
    public static ControlQueueAttacher connectingEachTime(final ControlClient.Context context)
    {
        return new ControlQueueAttacher(null, context);
    }

    public void attach(final int queueId, final long pid, final long token, final int ringSize,
        final long rxRingIova, final long txRingIova, final long txHeadWritebackIova)
    {
        this.pid = pid;
        this.token = token;
        final CardDriverProxy cardDriver = open();
        try
        {
            cardDriver.attachQueueDriver(queueId, pid, token, ringSize, rxRingIova, txRingIova, txHeadWritebackIova);
        }
        catch (final ControlException ex)
        {
            throw new IllegalStateException("the card driver refused AttachQueueDriver for queue " + queueId + ": " +
                ex.code() + ": " + ex.getMessage(), ex);
        }
        finally
        {
            close(cardDriver);
        }
    }

    /**
     * Asks the card driver to disable the queue before the rings are freed. Best effort: when the card driver cannot
     * be reached (it has gone, or is stopping this queue itself) the reason is printed and the queue driver goes on
     * closing; the card driver disables a queue whose driver has gone in any case.
     */
    public void detach(final int queueId)
    {
        CardDriverProxy cardDriver = null;
        try
        {
            cardDriver = open();
            cardDriver.detachQueueDriver(queueId, pid, token);
        }
        catch (final CardDriverUnavailableException ex)
        {
            System.err.println("queue " + queueId + ": DetachQueueDriver not sent (" + ex.getMessage() +
                "); the card driver disables the queue when it sees this driver go");
        }
        catch (final ControlTimeoutException ex)
        {
            System.err.println("queue " + queueId + ": DetachQueueDriver not answered (" + ex.getMessage() +
                "); the card driver disables the queue when it sees this driver go");
        }
        catch (final ControlException ex)
        {
            // NO_SUCH_QUEUE: the card driver took the queue down first (release, revocation): it is disabled already.
            if (ex.code() != ErrorCode.NO_SUCH_QUEUE)
            {
                System.err.println("queue " + queueId + ": DetachQueueDriver refused (" + ex.code() + ": " +
                    ex.getMessage() + ")");
            }
        }
        catch (final RuntimeException ex)
        {
            System.err.println("queue " + queueId + ": DetachQueueDriver failed (" + ex + "); the card driver " +
                "disables the queue when it sees this driver go");
        }
        finally
        {
            close(cardDriver);
        }
    }

    private CardDriverProxy open()
    {
        return shared != null ? shared : new CardDriverProxy(ControlClient.connect(connectEachTime));
    }

    private void close(final CardDriverProxy cardDriver)
    {
        if (cardDriver != null && cardDriver != shared)
        {
            cardDriver.client().close();
        }
    }
}
