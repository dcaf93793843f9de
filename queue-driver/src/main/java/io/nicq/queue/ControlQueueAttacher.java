package io.nicq.queue;

import java.util.function.Supplier;

import io.nicq.proto.ControlClient;
import io.nicq.proto.ControlException;
import io.nicq.proto.ControlResponse;
import io.nicq.proto.sbe.AttachQueueDriverEncoder;
import io.nicq.proto.sbe.DetachQueueDriverEncoder;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.MessageHeaderEncoder;
import io.nicq.proto.sbe.QueueDriverAttachedDecoder;
import io.nicq.proto.sbe.QueueDriverDetachedDecoder;

/**
 * Attaches and detaches a queue driver's rings over the control protocol: {@code AttachQueueDriver} →
 * {@code QueueDriverAttached}, and before the rings are freed {@code DetachQueueDriver} → {@code QueueDriverDetached}
 * (the card driver disables the queue first, so the device never touches freed memory). Used by a queue driver
 * running as its own process, and by an application running its queue driver inline.
 */
public final class ControlQueueAttacher implements QueueAttacher
{
    private final Supplier<ControlClient> connect;
    private final boolean closeAfterUse;
    private final AttachQueueDriverEncoder attachEncoder = new AttachQueueDriverEncoder();
    private final DetachQueueDriverEncoder detachEncoder = new DetachQueueDriverEncoder();
    private final QueueDriverAttachedDecoder attachedDecoder = new QueueDriverAttachedDecoder();
    private final QueueDriverDetachedDecoder detachedDecoder = new QueueDriverDetachedDecoder();
    private long pid;
    private long token;

    /** @param client connected to the card driver and kept open by its owner; not closed by this attacher */
    public ControlQueueAttacher(final ControlClient client)
    {
        this(() -> client, false);
    }

    private ControlQueueAttacher(final Supplier<ControlClient> connect, final boolean closeAfterUse)
    {
        this.connect = connect;
        this.closeAfterUse = closeAfterUse;
    }

    /**
     * An attacher that connects for each request and closes the connection after it, for a queue driver process:
     * between attach and detach it holds no control connection that could hold back the card driver's answers.
     */
    public static ControlQueueAttacher connectingEachTime(final ControlClient.Context context)
    {
        return new ControlQueueAttacher(() -> ControlClient.connect(context), true);
    }

    public void attach(final int queueId, final long pid, final long token, final int ringSize,
        final long rxRingIova, final long txRingIova, final long txHeadWritebackIova)
    {
        this.pid = pid;
        this.token = token;
        final ControlClient client = connect.get();
        client.lock().lock();
        try
        {
            final long correlationId = client.nextCorrelationId();
            attachEncoder.wrapAndApplyHeader(client.requestBuffer(), 0, client.headerEncoder())
                .correlationId(correlationId)
                .clientId(client.clientId())
                .queueId(queueId)
                .pid(pid)
                .ringSize(ringSize)
                .rxRingIova(rxRingIova)
                .txRingIova(txRingIova)
                .txHeadWritebackIova(txHeadWritebackIova)
                .token(token);
            final ControlResponse response = client.request(correlationId,
                MessageHeaderEncoder.ENCODED_LENGTH + attachEncoder.encodedLength());
            response.expect(QueueDriverAttachedDecoder.TEMPLATE_ID);
            attachedDecoder.wrap(response.buffer(), response.bodyOffset(), response.blockLength(), response.version());
            if (attachedDecoder.queueId() != queueId)
            {
                throw new IllegalStateException("the card driver attached queue " + attachedDecoder.queueId() +
                    " when asked for queue " + queueId);
            }
        }
        catch (final ControlException ex)
        {
            throw new IllegalStateException("the card driver refused AttachQueueDriver for queue " + queueId + ": " +
                ex.code() + ": " + ex.getMessage(), ex);
        }
        finally
        {
            client.lock().unlock();
            if (closeAfterUse)
            {
                client.close();
            }
        }
    }

    /**
     * Asks the card driver to disable the queue before the rings are freed. Best effort: when the card driver cannot
     * be reached (it has gone, or is stopping this queue itself) the reason is printed and the queue driver goes on
     * closing; the card driver disables a queue whose driver has gone in any case.
     */
    public void detach(final int queueId)
    {
        ControlClient client = null;
        try
        {
            client = connect.get();
            client.lock().lock();
            try
            {
                final long correlationId = client.nextCorrelationId();
                detachEncoder.wrapAndApplyHeader(client.requestBuffer(), 0, client.headerEncoder())
                    .correlationId(correlationId)
                    .clientId(client.clientId())
                    .queueId(queueId)
                    .pid(pid)
                    .token(token);
                final ControlResponse response = client.request(correlationId,
                    MessageHeaderEncoder.ENCODED_LENGTH + detachEncoder.encodedLength());
                response.expect(QueueDriverDetachedDecoder.TEMPLATE_ID);
                detachedDecoder.wrap(response.buffer(), response.bodyOffset(), response.blockLength(),
                    response.version());
            }
            finally
            {
                client.lock().unlock();
            }
        }
        catch (final ControlException ex)
        {
            if (ex.code() == ErrorCode.NULL_VAL)
            {
                System.err.println("queue " + queueId + ": DetachQueueDriver not sent (" + ex.getMessage() +
                    "); the card driver disables the queue when it sees this driver go");
            }
            else if (ex.code() != ErrorCode.NO_SUCH_QUEUE)
            {
                System.err.println("queue " + queueId + ": DetachQueueDriver refused (" + ex.code() + ": " +
                    ex.getMessage() + ")");
            }
            // NO_SUCH_QUEUE: the card driver took the queue down first (release, revocation): it is disabled already.
        }
        catch (final RuntimeException ex)
        {
            System.err.println("queue " + queueId + ": DetachQueueDriver not answered (" + ex.getMessage() +
                "); the card driver disables the queue when it sees this driver go");
        }
        finally
        {
            if (closeAfterUse && client != null)
            {
                client.close();
            }
        }
    }
}
