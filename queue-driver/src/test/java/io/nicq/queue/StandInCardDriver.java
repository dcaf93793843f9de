package io.nicq.queue;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.FragmentHandler;
import io.nicq.proto.ControlProtocol;
import io.nicq.proto.sbe.AttachQueueDriverDecoder;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.ErrorEncoder;
import io.nicq.proto.sbe.MessageHeaderDecoder;
import io.nicq.proto.sbe.MessageHeaderEncoder;
import io.nicq.proto.sbe.QueueDriverAttachedEncoder;
import org.agrona.CloseHelper;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The control plane of a card driver, reduced to what a queue driver process talks to: an embedded media driver,
 * the request subscription and the answer publication, and an answer to {@code AttachQueueDriver} (the queue's
 * registers programmed by a {@link QueueAttacher}, then {@code QueueDriverAttached}, or {@code Error}).
 */
final class StandInCardDriver implements AutoCloseable
{
    private final MediaDriver mediaDriver;
    private final Aeron aeron;
    private final Subscription requests;
    private final Publication answers;
    private final QueueAttacher attacher;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final AttachQueueDriverDecoder attachDecoder = new AttachQueueDriverDecoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final QueueDriverAttachedEncoder attachedEncoder = new QueueDriverAttachedEncoder();
    private final ErrorEncoder errorEncoder = new ErrorEncoder();
    private final UnsafeBuffer answer = new UnsafeBuffer(new byte[ControlProtocol.MAX_MESSAGE_LENGTH]);
    private final FragmentHandler handler = (buffer, offset, length, header) -> onRequest(buffer, offset);
    long attachedPid;

    StandInCardDriver(final Path aeronDir, final QueueAttacher attacher)
    {
        this.attacher = attacher;
        mediaDriver = MediaDriver.launch(new MediaDriver.Context()
            .aeronDirectoryName(aeronDir.toString())
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(new SleepingMillisIdleStrategy(1))
            .ipcTermBufferLength(64 * 1024)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true));
        aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(aeronDir.toString()));
        requests = aeron.addSubscription(ControlProtocol.CHANNEL, ControlProtocol.REQUEST_STREAM_ID);
        answers = aeron.addPublication(ControlProtocol.CHANNEL, ControlProtocol.RESPONSE_STREAM_ID);
    }

    int poll()
    {
        return requests.poll(handler, 10);
    }

    private void onRequest(final org.agrona.DirectBuffer buffer, final int offset)
    {
        headerDecoder.wrap(buffer, offset);
        if (headerDecoder.templateId() != AttachQueueDriverDecoder.TEMPLATE_ID)
        {
            return;
        }
        attachDecoder.wrapAndApplyHeader(buffer, offset, headerDecoder);
        final long correlationId = attachDecoder.correlationId();
        final long clientId = attachDecoder.clientId();
        final int queueId = attachDecoder.queueId();
        int length;
        try
        {
            attacher.attach(queueId, attachDecoder.pid(), attachDecoder.token(), (int)attachDecoder.ringSize(),
                attachDecoder.rxRingIova(), attachDecoder.txRingIova(), attachDecoder.txHeadWritebackIova());
            attachedPid = attachDecoder.pid();
            attachedEncoder.wrapAndApplyHeader(answer, 0, headerEncoder)
                .correlationId(correlationId).clientId(clientId).queueId(queueId);
            length = MessageHeaderEncoder.ENCODED_LENGTH + attachedEncoder.encodedLength();
        }
        catch (final RuntimeException ex)
        {
            errorEncoder.wrapAndApplyHeader(answer, 0, headerEncoder)
                .correlationId(correlationId)
                .clientId(clientId)
                .code(ErrorCode.INTERNAL_ERROR)
                .message(ex.getMessage());
            length = MessageHeaderEncoder.ENCODED_LENGTH + errorEncoder.encodedLength();
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (answers.offer(answer, 0, length) < 0)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException("stand-in card driver could not send its answer");
            }
            Thread.onSpinWait();
        }
    }

    public void close()
    {
        CloseHelper.closeAll(aeron, mediaDriver);
    }
}
