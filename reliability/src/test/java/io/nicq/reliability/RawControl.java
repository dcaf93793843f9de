package io.nicq.reliability;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.Header;
import io.nicq.card.ControlSession;
import io.nicq.proto.ControlMessageValidator;
import io.nicq.proto.ControlProtocol;
import io.nicq.proto.ControlWakeWords;
import io.nicq.proto.InstancePaths;
import io.nicq.runtime.WakeWord;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.ErrorDecoder;
import io.nicq.proto.sbe.FilterRegisteredDecoder;
import io.nicq.proto.sbe.MessageHeaderDecoder;
import io.nicq.proto.sbe.QueueGrantedDecoder;
import io.nicq.proto.sbe.QueueRevokedDecoder;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A control-protocol peer with no manners: its own Aeron client, a publication on the request stream and a
 * subscription on the answer stream, sending whatever bytes it is given under whatever client id they carry, and
 * collecting every answer on the stream (for any client id). Fuzzers and the spoofing tests use it; well-behaved
 * clients use {@link ControlSession}. Like every client it rings the card driver's conductor after each request (the
 * instance's control wake file), so that the conductor, asleep between requests, serves it at once.
 */
final class RawControl implements AutoCloseable
{
    /** What came back for one request. */
    record Answer(int templateId, long clientId, long correlationId, ErrorCode error, String message, int queueId,
        int filterId, int hardwareIndex, String channelPath)
    {
        boolean isError()
        {
            return templateId == ErrorDecoder.TEMPLATE_ID;
        }

        public String toString()
        {
            return isError() ? "Error{" + error + ": " + message + "}" : "template " + templateId;
        }
    }

    private final Aeron aeron;
    private final ControlWakeWords wakeWords;
    private final WakeWord ring;
    private final Publication requests;
    private Publication forgedAnswers;
    private final Subscription answers;
    private final FragmentAssembler assembler = new FragmentAssembler(this::onFragment);
    private final ControlMessageValidator validator = new ControlMessageValidator();
    private final ErrorDecoder errorDecoder = new ErrorDecoder();
    private final QueueGrantedDecoder grantedDecoder = new QueueGrantedDecoder();
    private final FilterRegisteredDecoder filterDecoder = new FilterRegisteredDecoder();
    private final QueueRevokedDecoder revokedDecoder = new QueueRevokedDecoder();
    private final IdleStrategy idle = new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(1),
        TimeUnit.MICROSECONDS.toNanos(200));
    private final Map<Long, Answer> pending = new HashMap<>();
    private final List<Answer> unasked = new ArrayList<>();
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 * 1024]);
    private long answersSeen;
    private long invalidAnswers;

    RawControl(final String aeronDir)
    {
        wakeWords = ControlWakeWords.openIfPresent(InstancePaths.controlWakeFileOf(aeronDir));
        ring = wakeWords != null ? wakeWords.requests() : null;
        attend();
        aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(aeronDir).errorHandler(ex -> { }));
        requests = aeron.addPublication(ControlProtocol.CHANNEL, ControlProtocol.REQUEST_STREAM_ID);
        answers = aeron.addSubscription(ControlProtocol.CHANNEL, ControlProtocol.RESPONSE_STREAM_ID);
        Await.until(() -> requests.isConnected() && answers.isConnected(), 10_000,
            "the card driver's streams are connected to the raw client");
    }

    /** The scratch buffer messages are encoded into (64 KiB: longer than any legal message). */
    UnsafeBuffer buffer()
    {
        return buffer;
    }

    /** This peer's Aeron client id: what an honest client would send as its client id. */
    long clientId()
    {
        return aeron.clientId();
    }

    long nextCorrelationId()
    {
        return aeron.nextCorrelationId();
    }

    /** Longest message the request publication takes in one offer (fragmented and reassembled above the MTU). */
    int maxMessageLength()
    {
        return requests.maxMessageLength();
    }

    /** Offers {@code length} bytes of {@link #buffer()} as one message; retries back pressure for up to 5 s. */
    void offer(final int length)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        idle.reset();
        long result;
        while ((result = requests.offer(buffer, 0, length)) < 0)
        {
            if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED ||
                System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException("cannot offer a request of " + length + " bytes: " + result);
            }
            ring();
            poll();
            idle.idle();
        }
        ring();
    }

    /** Sends and waits for the answer carrying this correlation id for this client id; null after the timeout. */
    Answer request(final int length, final long correlationId, final long clientId, final long timeoutMs)
    {
        offer(length);
        return await(correlationId, clientId, timeoutMs);
    }

    Answer await(final long correlationId, final long clientId, final long timeoutMs)
    {
        final long key = key(correlationId, clientId);
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        idle.reset();
        while (true)
        {
            final Answer answer = pending.remove(key);
            if (answer != null)
            {
                return answer;
            }
            if (System.nanoTime() - deadline > 0)
            {
                return null;
            }
            idle.idle(poll());
        }
    }

    /**
     * Publishes {@code length} bytes of {@link #buffer()} on the answer stream, as if the card driver had sent them:
     * any process that can reach the media driver can.
     */
    boolean forgeAnswer(final int length)
    {
        if (forgedAnswers == null)
        {
            attend();
            forgedAnswers = aeron.addPublication(ControlProtocol.CHANNEL, ControlProtocol.RESPONSE_STREAM_ID);
            Await.until(forgedAnswers::isConnected, 5_000, "the forged answer stream has subscribers");
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (forgedAnswers.offer(buffer, 0, length) < 0)
        {
            if (System.nanoTime() - deadline > 0)
            {
                return false;
            }
            Await.sleep(1);
        }
        return true;
    }

    /** Reads what has arrived on the answer stream. */
    int poll()
    {
        return answers.poll(assembler, 64);
    }

    /** Forgets answers nobody waited for (answers to other clients, late ones). */
    void discardPending()
    {
        poll();
        pending.clear();
    }

    /** Unasked messages (QueueRevoked) seen so far, for any client. */
    List<Answer> unasked()
    {
        return unasked;
    }

    long answersSeen()
    {
        return answersSeen;
    }

    long invalidAnswers()
    {
        return invalidAnswers;
    }

    public void close()
    {
        CloseHelper.quietCloseAll(aeron, ring, wakeWords);
    }

    /** Aeron commands ring nothing: the conductor is asked to run the media driver closely meanwhile. */
    private void attend()
    {
        if (wakeWords != null)
        {
            wakeWords.attendUntil(System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
            ring.signal();
        }
    }

    private void ring()
    {
        if (ring != null)
        {
            ring.signal();
        }
    }

    private void onFragment(final DirectBuffer b, final int offset, final int length, final Header header)
    {
        answersSeen++;
        if (validator.validate(b, offset, length) != null || length < Requests.ANSWERABLE_LENGTH)
        {
            invalidAnswers++;
            return;
        }
        final int templateId = validator.templateId();
        final long correlationId = b.getLong(offset + Requests.CORRELATION_ID_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final long clientId = b.getLong(offset + Requests.CLIENT_ID_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final int body = offset + MessageHeaderDecoder.ENCODED_LENGTH;
        ErrorCode error = null;
        String message = null;
        int queueId = -1;
        int filterId = -1;
        int hardwareIndex = -1;
        String channelPath = null;
        switch (templateId)
        {
            case ErrorDecoder.TEMPLATE_ID ->
            {
                errorDecoder.wrap(b, body, validator.blockLength(), validator.version());
                error = errorDecoder.code();
                message = errorDecoder.message();
            }
            case QueueGrantedDecoder.TEMPLATE_ID ->
            {
                grantedDecoder.wrap(b, body, validator.blockLength(), validator.version());
                queueId = grantedDecoder.queueId();
                channelPath = grantedDecoder.channelPath();
            }
            case FilterRegisteredDecoder.TEMPLATE_ID ->
            {
                filterDecoder.wrap(b, body, validator.blockLength(), validator.version());
                filterId = filterDecoder.filterId();
                queueId = filterDecoder.queueId();
                hardwareIndex = filterDecoder.hardwareIndex();
            }
            case QueueRevokedDecoder.TEMPLATE_ID ->
            {
                revokedDecoder.wrap(b, body, validator.blockLength(), validator.version());
                queueId = revokedDecoder.queueId();
                error = revokedDecoder.reason();
                message = revokedDecoder.message();
            }
            default ->
            {
            }
        }
        final Answer answer = new Answer(templateId, clientId, correlationId, error, message, queueId, filterId,
            hardwareIndex, channelPath);
        if (correlationId == 0)
        {
            unasked.add(answer);
        }
        else
        {
            pending.put(key(correlationId, clientId), answer);
        }
    }

    private static long key(final long correlationId, final long clientId)
    {
        return correlationId * 31 + clientId;
    }
}
