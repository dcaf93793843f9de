package io.nicq.queue;

import io.nicq.proto.ControlClient;
import io.nicq.proto.ControlException;
import io.nicq.proto.ControlResponse;
import io.nicq.proto.sbe.AttachQueueDriverEncoder;
import io.nicq.proto.sbe.MessageHeaderEncoder;
import io.nicq.proto.sbe.QueueDriverAttachedDecoder;

/**
 * Attaches a queue driver's rings over the control protocol: sends {@code AttachQueueDriver} to the card driver and
 * waits for {@code QueueDriverAttached} (or {@code Error}), within the control client's request timeout. Used by a
 * queue driver running as its own process, and by an application running its queue driver inline.
 */
public final class ControlQueueAttacher implements QueueAttacher
{
    private final ControlClient client;
    private final AttachQueueDriverEncoder encoder = new AttachQueueDriverEncoder();
    private final QueueDriverAttachedDecoder decoder = new QueueDriverAttachedDecoder();

    /** @param client connected to the card driver; not closed by this attacher */
    public ControlQueueAttacher(final ControlClient client)
    {
        this.client = client;
    }

    public void attach(final int queueId, final long pid, final int ringSize, final long rxRingIova,
        final long txRingIova, final long txHeadWritebackIova)
    {
        client.lock().lock();
        try
        {
            final long correlationId = client.nextCorrelationId();
            encoder.wrapAndApplyHeader(client.requestBuffer(), 0, client.headerEncoder())
                .correlationId(correlationId)
                .clientId(client.clientId())
                .queueId(queueId)
                .pid(pid)
                .ringSize(ringSize)
                .rxRingIova(rxRingIova)
                .txRingIova(txRingIova)
                .txHeadWritebackIova(txHeadWritebackIova);
            final ControlResponse response = client.request(correlationId,
                MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
            response.expect(QueueDriverAttachedDecoder.TEMPLATE_ID);
            decoder.wrap(response.buffer(), response.bodyOffset(), response.blockLength(), response.version());
            if (decoder.queueId() != queueId)
            {
                throw new IllegalStateException("the card driver attached queue " + decoder.queueId() +
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
        }
    }
}
