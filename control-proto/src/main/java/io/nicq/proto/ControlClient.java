package io.nicq.proto;

import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.exceptions.AeronException;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.nicq.runtime.WakeWord;
import io.nicq.proto.sbe.ErrorCode;
import io.nicq.proto.sbe.MessageHeaderEncoder;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The requesting side of the control protocol, as transport: sends a request on the request stream and waits for the
 * answer that carries its correlation id on the response stream. {@link CardDriverProxy} puts one typed method per
 * request on top of it (client-lib's {@code NicClient}, queue drivers attaching their rings, the tests);
 * {@link #requestRaw} sends bytes as they are, for tests of malformed input.
 * <p>
 * Every message of the schema starts with {@code correlationId} (int64) and {@code clientId} (int64), so answers are
 * matched without decoding them. Answers for other clients are skipped; an answer that arrives after its request
 * timed out is dropped and counted; an unasked message ({@code QueueRevoked}) goes to the {@link Listener}.
 * <p>
 * Thread safe: requests and {@link #poll()} from any thread are serialised by a lock. Allocates nothing per request
 * except when an answer is reassembled from fragments (messages over the IPC MTU).
 * <p>
 * Quiet when idle ({@link ControlWakeWords}, found beside the Aeron directory or named by
 * {@link Context#wakeFile}): every request rings the card driver's conductor, which sleeps until one comes; a waiting
 * request spins for {@link #ANSWER_SPIN_NS} and then sleeps until the conductor says it has published answers; before
 * this client's Aeron commands (connecting, adding its streams) it asks the conductor for attention, since those ring
 * nothing. This client's Aeron conductor thread wakes every {@link #AERON_IDLE_SLEEP_NS} (Aeron's default, 16 ms, is
 * 62 wake-ups a second for nothing), and at once when this client needs it: the media driver announces a new stream
 * image only to the conductor, so connecting wakes it until both streams are there.
 * <p>
 * Failures: {@link CardDriverUnavailableException} when there is no card driver to ask (no media driver, or the
 * connection has closed), {@link ControlTimeoutException} when it does not take a request or answer it in time.
 */
public final class ControlClient implements AutoCloseable
{
    /** Where in every message body the correlation id and the client id lie. */
    static final int CORRELATION_ID_OFFSET = MessageHeaderEncoder.ENCODED_LENGTH;
    static final int CLIENT_ID_OFFSET = MessageHeaderEncoder.ENCODED_LENGTH + 8;

    /** How long a waiting request spins (yielding) before it sleeps until answers are published. */
    public static final long ANSWER_SPIN_NS = TimeUnit.MICROSECONDS.toNanos(200);
    /** Longest sleep of a waiting request between looks at the stream: bounds a wait on a silent card driver. */
    static final long ANSWER_SLEEP_LIMIT_NS = TimeUnit.MILLISECONDS.toNanos(10);
    /** How long the conductor is asked to poll the media driver closely before each of this client's Aeron commands. */
    static final long ATTENTION_NS = TimeUnit.MILLISECONDS.toNanos(250);
    /**
     * How often this client's Aeron conductor thread runs: it sends keepalives (every 500 ms) and checks the media
     * driver's; the requests themselves never wait for it.
     */
    public static final long AERON_IDLE_SLEEP_NS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Most fragments {@link #awaitNotice} reads after a wake-up. */
    public static final int DRAIN_LIMIT = 1024;

    /** Receives the messages the card driver sends unasked (correlation id 0), e.g. {@code QueueRevoked}. */
    @FunctionalInterface
    public interface Listener
    {
        void onUnaskedMessage(ControlResponse message);
    }

    /** Configuration, with defaults. */
    public static final class Context
    {
        private String aeronDirectoryName;
        private Aeron aeron;
        private long requestTimeoutNs = TimeUnit.MILLISECONDS.toNanos(ControlProtocol.DEFAULT_REQUEST_TIMEOUT_MS);
        private long connectTimeoutNs = TimeUnit.SECONDS.toNanos(5);
        private long driverTimeoutMs = 5_000;
        private IdleStrategy idleStrategy;
        private Listener listener = message -> { };
        private String description = "card driver";
        private ErrorHandler errorHandler = ex -> { };
        private ThreadFactory conductorThreadFactory;
        private java.nio.file.Path wakeFile;

        /** The media driver directory of the instance ({@code InstancePaths.aeronDir()}). */
        public Context aeronDirectoryName(final String aeronDirectoryName)
        {
            this.aeronDirectoryName = aeronDirectoryName;
            return this;
        }

        /** Use an existing Aeron client instead of connecting one; it is not closed with this client. */
        public Context aeron(final Aeron aeron)
        {
            this.aeron = aeron;
            return this;
        }

        public Context requestTimeout(final long timeout, final TimeUnit unit)
        {
            this.requestTimeoutNs = unit.toNanos(timeout);
            return this;
        }

        public Context connectTimeout(final long timeout, final TimeUnit unit)
        {
            this.connectTimeoutNs = unit.toNanos(timeout);
            return this;
        }

        /** How long the Aeron client tolerates a silent media driver before it gives up. */
        public Context driverTimeoutMs(final long driverTimeoutMs)
        {
            this.driverTimeoutMs = driverTimeoutMs;
            return this;
        }

        /** How a waiting request idles; default backs off to 1 ms sleeps (control is not the data path). */
        public Context idleStrategy(final IdleStrategy idleStrategy)
        {
            this.idleStrategy = idleStrategy;
            return this;
        }

        public Context listener(final Listener listener)
        {
            this.listener = listener;
            return this;
        }

        /** Who is on the other end, for messages: "card driver of instance a". */
        public Context description(final String description)
        {
            this.description = description;
            return this;
        }

        /** Where the Aeron client this client connects reports its errors; default: nowhere. */
        public Context errorHandler(final ErrorHandler errorHandler)
        {
            this.errorHandler = errorHandler;
            return this;
        }

        /**
         * The instance's control wake file ({@link InstancePaths#controlWakeFile()}); default: the one beside the Aeron
         * directory ({@link InstancePaths#controlWakeFileOf}), when it is there.
         */
        public Context wakeFile(final java.nio.file.Path wakeFile)
        {
            this.wakeFile = wakeFile;
            return this;
        }

        /**
         * Makes the thread of the Aeron client this client connects (its conductor); default Aeron's. An application's
         * client wants a daemon thread, so that like a socket an unclosed client does not keep the process alive.
         */
        public Context conductorThreadFactory(final ThreadFactory conductorThreadFactory)
        {
            this.conductorThreadFactory = conductorThreadFactory;
            return this;
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Context ctx;
    private final Aeron aeron;
    private final boolean ownsAeron;
    private final ExclusivePublication publication;
    private final Subscription subscription;
    private final IdleStrategy idleStrategy;
    private final long clientId;
    private final UnsafeBuffer requestBuffer = new UnsafeBuffer(new byte[ControlProtocol.MAX_MESSAGE_LENGTH]);
    private final ControlMessageValidator validator = new ControlMessageValidator();
    private final ControlResponse response = new ControlResponse();
    private final ControlResponse unasked = new ControlResponse();
    private final FragmentAssembler assembler;
    /** The instance's wake words, or null (none found): then requests poll with {@link #idleStrategy}. */
    private final ControlWakeWords wakeWords;
    /** Null when the Aeron client is not this client's own. */
    private final AeronConductorIdle aeronConductorIdle;
    private final WakeWord requestsWord;
    private final WakeWord answersWord;
    /** Used by the one thread in {@link #awaitNotice} (under {@link #noticeLock}); closing signals with the other. */
    private final WakeWord noticesWord;
    private final WakeWord noticesSignal;
    private final Object noticeLock = new Object();
    private volatile boolean closed;

    private long awaitedCorrelationId;
    private boolean answered;
    private long lateAnswers;
    private long invalidMessages;
    private String lastInvalidMessage = "";

    private ControlClient(final Context ctx, final Aeron aeron, final boolean ownsAeron,
        final ControlWakeWords wakeWords, final AeronConductorIdle aeronConductorIdle)
    {
        this.ctx = ctx;
        this.aeron = aeron;
        this.ownsAeron = ownsAeron;
        this.aeronConductorIdle = aeronConductorIdle;
        this.idleStrategy = ctx.idleStrategy != null ? ctx.idleStrategy :
            new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(1));
        this.clientId = aeron.clientId();
        final FragmentHandler handler = this::onFragment;
        this.assembler = new FragmentAssembler(handler);
        this.wakeWords = wakeWords;
        this.requestsWord = wakeWords != null ? wakeWords.requests() : null;
        this.answersWord = wakeWords != null && ctx.idleStrategy == null ? wakeWords.answers() : null;
        this.noticesWord = wakeWords != null ? wakeWords.notices() : null;
        this.noticesSignal = wakeWords != null ? wakeWords.notices() : null;

        ExclusivePublication pub = null;
        Subscription sub = null;
        try
        {
            // Exclusive: a session of its own, which the card driver binds this client's id to at Connect.
            askForAttention();
            pub = aeron.addExclusivePublication(ControlProtocol.CHANNEL, ControlProtocol.REQUEST_STREAM_ID);
            askForAttention();
            sub = aeron.addSubscription(ControlProtocol.RESPONSE_SUBSCRIPTION_CHANNEL, ControlProtocol.RESPONSE_STREAM_ID);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(sub, pub);
            closeFlyweights();
            throw ex;
        }
        this.publication = pub;
        this.subscription = sub;
    }

    /**
     * Connects to the card driver: an Aeron client on its media driver, the two streams, and a wait until both ends
     * are there.
     *
     * @throws CardDriverUnavailableException when no card driver runs (no media driver) or it cannot be reached
     * @throws ControlTimeoutException         when its media driver runs but nobody serves the two streams in time
     */
    public static ControlClient connect(final Context ctx)
    {
        Aeron aeron = ctx.aeron;
        final boolean ownsAeron = aeron == null;
        final java.nio.file.Path wakeFile = ctx.wakeFile != null ? ctx.wakeFile :
            ctx.aeronDirectoryName != null ? InstancePaths.controlWakeFileOf(ctx.aeronDirectoryName) : null;
        final ControlWakeWords wakeWords = wakeFile != null ? ControlWakeWords.openIfPresent(wakeFile) : null;
        final AeronConductorIdle aeronConductorIdle = ownsAeron ? new AeronConductorIdle() : null;
        if (ownsAeron)
        {
            if (ctx.aeronDirectoryName == null)
            {
                throw new IllegalArgumentException("ControlClient needs an Aeron directory or an Aeron client");
            }
            if (!Files.exists(Path.of(ctx.aeronDirectoryName, "cnc.dat")))
            {
                CloseHelper.quietClose(wakeWords);
                throw new CardDriverUnavailableException("no " + ctx.description + " is running: no media driver at " +
                    ctx.aeronDirectoryName);
            }
            try
            {
                attendUntil(wakeWords, System.nanoTime() + ATTENTION_NS);
                final Aeron.Context aeronContext = new Aeron.Context()
                    .aeronDirectoryName(ctx.aeronDirectoryName)
                    .idleSleepDurationNs(AERON_IDLE_SLEEP_NS)
                    .idleStrategy(aeronConductorIdle)
                    .driverTimeoutMs(ctx.driverTimeoutMs)
                    .errorHandler(ctx.errorHandler)
                    .subscriberErrorHandler(ctx.errorHandler);
                if (ctx.conductorThreadFactory != null)
                {
                    aeronContext.threadFactory(ctx.conductorThreadFactory);
                }
                aeron = Aeron.connect(aeronContext);
            }
            catch (final AeronException | IllegalStateException ex)
            {
                CloseHelper.quietClose(wakeWords);
                throw new CardDriverUnavailableException("cannot reach the " + ctx.description + "'s media driver at " +
                    ctx.aeronDirectoryName + ": " + ex.getMessage(), ex);
            }
        }

        final ControlClient client;
        try
        {
            client = new ControlClient(ctx, aeron, ownsAeron, wakeWords, aeronConductorIdle);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(wakeWords);
            if (ownsAeron)
            {
                CloseHelper.quietClose(aeron);
            }
            throw ex;
        }

        try
        {
            client.awaitConnected();
        }
        catch (final RuntimeException ex)
        {
            client.close();
            throw ex;
        }
        return client;
    }

    private void awaitConnected()
    {
        final long deadline = System.nanoTime() + ctx.connectTimeoutNs;
        idleStrategy.reset();
        long attentionNs = System.nanoTime() + ATTENTION_NS / 2;
        while (!publication.isConnected() || !subscription.isConnected())
        {
            if (System.nanoTime() - attentionNs > 0)
            {
                askForAttention();
                attentionNs = System.nanoTime() + ATTENTION_NS / 2;
            }
            if (aeronConductorIdle != null)
            {
                aeronConductorIdle.wake();      // the answer stream's image reaches the client through its conductor
            }
            if (System.nanoTime() - deadline > 0)
            {
                throw new ControlTimeoutException("the " + ctx.description + " is not answering: " +
                    (publication.isConnected() ? "" : "nobody reads requests on " + ControlProtocol.CHANNEL +
                    " stream " + ControlProtocol.REQUEST_STREAM_ID + " ") +
                    (subscription.isConnected() ? "" : "nobody writes answers on stream " +
                    ControlProtocol.RESPONSE_STREAM_ID) + " within " +
                    TimeUnit.NANOSECONDS.toMillis(ctx.connectTimeoutNs) + " ms");
            }
            idleStrategy.idle();
        }
    }

    /** This client's id, unique within the instance (assigned by the media driver). */
    public long clientId()
    {
        return clientId;
    }

    /** The Aeron session of this client's requests: the card driver binds the client id to it at Connect. */
    public int sessionId()
    {
        return publication.sessionId();
    }

    /** A fresh correlation id, unique within the instance. */
    public long nextCorrelationId()
    {
        try
        {
            return aeron.nextCorrelationId();
        }
        catch (final AeronException | IllegalStateException ex)
        {
            throw unreachable(ex);
        }
    }

    /**
     * Sends {@code length} bytes of {@code message} as they are, with no check, and waits for the answer carrying
     * {@code correlationId} (which the bytes should carry at offset 8, after the header, for the card driver to answer
     * it): how tests send malformed, forged or otherwise unusual requests.
     *
     * @return the answer, valid until the next request of this client: hold {@link #lock()} around the call and the
     * reading when other threads share the client
     * @throws ControlTimeoutException when the request cannot be sent or no answer comes in time
     */
    public ControlResponse requestRaw(final DirectBuffer message, final int offset, final int length,
        final long correlationId)
    {
        if (length > requestBuffer.capacity())
        {
            throw new IllegalArgumentException("a request of " + length + " bytes is longer than the " +
                requestBuffer.capacity() + " this client sends");
        }
        lock.lock();
        try
        {
            requestBuffer.putBytes(0, message, offset, length);
            return request(correlationId, length);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * The lock that serialises requests: {@link CardDriverProxy} holds it from encoding into
     * {@link #requestBuffer()} until it has decoded the answer; a caller of {@link #requestRaw} holds it while it
     * reads the answer, if other threads share this client.
     */
    public ReentrantLock lock()
    {
        return lock;
    }

    /** The buffer a request is encoded into (at offset 0); only the thread holding {@link #lock()} may use it. */
    UnsafeBuffer requestBuffer()
    {
        return requestBuffer;
    }

    /**
     * Sends the request of {@code length} bytes in {@link #requestBuffer()} and waits for its answer.
     *
     * @param correlationId the correlation id encoded in the request
     * @return the answer, valid until the next request; check it with {@link ControlResponse#expect(int)}
     * @throws ControlTimeoutException when the request cannot be sent or no answer comes in time
     */
    ControlResponse request(final long correlationId, final int length)
    {
        lock.lock();
        try
        {
            if (closed || aeron.isClosed())
            {
                throw new CardDriverUnavailableException("the connection to the " + ctx.description + " is closed " +
                    "(its media driver has gone away)");
            }
            final long deadline = System.nanoTime() + ctx.requestTimeoutNs;
            offer(length, deadline);

            awaitedCorrelationId = correlationId;
            answered = false;
            idleStrategy.reset();
            long idleSinceNs = 0;
            try
            {
                while (!answered)
                {
                    final int fragments = subscription.poll(assembler, 16);
                    if (answered)
                    {
                        break;
                    }
                    final long nowNs = System.nanoTime();
                    if (nowNs - deadline > 0)
                    {
                        throw new ControlTimeoutException("no answer from the " + ctx.description + " within " +
                            TimeUnit.NANOSECONDS.toMillis(ctx.requestTimeoutNs) + " ms (request template " +
                            requestBuffer.getShort(2) + ", correlation id " + correlationId + ")" +
                            (subscription.isConnected() ? "" : ": it has gone away"));
                    }
                    if (fragments > 0 || idleSinceNs == 0)
                    {
                        idleSinceNs = nowNs;
                    }
                    if (answersWord == null)
                    {
                        idleStrategy.idle(fragments);
                    }
                    else if (nowNs - idleSinceNs < ANSWER_SPIN_NS)
                    {
                        Thread.yield();
                    }
                    else
                    {
                        sleepUntilAnswers(deadline - nowNs);
                    }
                }
            }
            finally
            {
                awaitedCorrelationId = 0;
            }
            return response;
        }
        catch (final AeronException | IllegalStateException ex)
        {
            throw unreachable(ex);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Delivers unasked messages that have arrived to the listener, without waiting.
     *
     * @return fragments read
     */
    public int poll()
    {
        if (!lock.tryLock())
        {
            return 0;
        }
        try
        {
            return closed ? 0 : subscription.poll(assembler, 16);
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Whether the card driver's answer stream is still there. */
    public boolean isConnected()
    {
        return !aeron.isClosed() && subscription.isConnected() && publication.isConnected();
    }

    /** Answers that arrived after their request had timed out. */
    public long lateAnswers()
    {
        return lateAnswers;
    }

    /** Messages on the answer stream that failed validation. */
    public long invalidMessages()
    {
        return invalidMessages;
    }

    /** Why the last invalid message was invalid. */
    public String lastInvalidMessage()
    {
        return lastInvalidMessage;
    }

    /**
     * Sleeps until the card driver publishes an unasked message (it signals the instance's notices word), a
     * {@link #wakeNoticeWaiter()}, or the timeout; then delivers what has arrived to the listener. For one thread (a
     * client's heartbeat thread between heartbeats). Without a wake file it just sleeps (interruptibly).
     *
     * @return fragments read (up to {@link #DRAIN_LIMIT}): many means the stream is busy with others' answers
     */
    public int awaitNotice(final long timeoutNs)
    {
        synchronized (noticeLock)
        {
            if (closed)
            {
                return 0;
            }
            if (noticesWord == null)
            {
                java.util.concurrent.locks.LockSupport.parkNanos(timeoutNs);
                return drain();
            }
            final int ticket = noticesWord.prepare();
            final int fragments = closed ? 0 : drain();
            if (fragments > 0 || closed)
            {
                noticesWord.cancel();
                return fragments;
            }
            noticesWord.await(ticket, timeoutNs);
            return drain();
        }
    }

    /** Reads what has arrived, up to {@link #DRAIN_LIMIT} fragments. */
    private int drain()
    {
        int total = 0;
        int fragments;
        do
        {
            fragments = poll();
            total += fragments;
        }
        while (fragments > 0 && total < DRAIN_LIMIT);
        return total;
    }

    /** Ends an {@link #awaitNotice} now (it also wakes other processes' heartbeat threads once: they look and sleep). */
    public void wakeNoticeWaiter()
    {
        lock.lock();
        try
        {
            if (!closed && noticesSignal != null)
            {
                noticesSignal.signal();
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    public void close()
    {
        lock.lock();
        try
        {
            if (closed)
            {
                return;
            }
            closed = true;
            if (noticesSignal != null)
            {
                noticesSignal.signal();     // a heartbeat thread in awaitNotice returns, and leaves the notice lock
            }
            if (ownsAeron)
            {
                CloseHelper.quietClose(aeron);
            }
            else
            {
                CloseHelper.quietCloseAll(subscription, publication);
            }
            // The Aeron client's close command rings nothing: tell the conductor (it frees the streams sooner).
            if (requestsWord != null)
            {
                requestsWord.signal();
            }
            synchronized (noticeLock)
            {
                closeFlyweights();
                CloseHelper.quietClose(wakeWords);
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    private void closeFlyweights()
    {
        CloseHelper.quietCloseAll(requestsWord, answersWord, noticesWord, noticesSignal);
    }

    /** The card driver's conductor is asked to serve the media driver closely for a while: Aeron commands follow. */
    private void askForAttention()
    {
        if (requestsWord != null)
        {
            wakeWords.attendUntil(System.nanoTime() + ATTENTION_NS);
            requestsWord.signal();
        }
    }

    /** Before this client's Aeron client exists (no requests flyweight yet): a flyweight just for the signal. */
    private static void attendUntil(final ControlWakeWords wakeWords, final long deadlineNs)
    {
        if (wakeWords != null)
        {
            wakeWords.attendUntil(deadlineNs);
            try (WakeWord requests = wakeWords.requests())
            {
                requests.signal();
            }
        }
    }

    /**
     * How the Aeron client's conductor thread idles: parked for {@link #AERON_IDLE_SLEEP_NS}, or until
     * {@link #wake()}. Its duty cycle sends keepalives and takes the media driver's news (a stream's image came or
     * went), which connecting waits for.
     */
    private static final class AeronConductorIdle implements IdleStrategy
    {
        private volatile Thread thread;

        public void idle(final int workCount)
        {
            if (workCount <= 0)
            {
                idle();
            }
        }

        public void idle()
        {
            thread = Thread.currentThread();
            java.util.concurrent.locks.LockSupport.parkNanos(this, AERON_IDLE_SLEEP_NS);
        }

        public void reset()
        {
        }

        void wake()
        {
            final Thread conductor = thread;
            if (conductor != null)
            {
                java.util.concurrent.locks.LockSupport.unpark(conductor);
            }
        }
    }

    /**
     * One sleep of a waiting request: announced on the answers word, the stream is read once more (the re-check),
     * then the wait lasts until the conductor publishes answers or {@link #ANSWER_SLEEP_LIMIT_NS}.
     */
    private void sleepUntilAnswers(final long remainingNs)
    {
        final int ticket = answersWord.prepare();
        final int fragments = subscription.poll(assembler, 16);
        if (fragments > 0 || answered)
        {
            answersWord.cancel();
            return;
        }
        answersWord.await(ticket, Math.max(1, Math.min(remainingNs, ANSWER_SLEEP_LIMIT_NS)));
    }

    private void offer(final int length, final long deadline)
    {
        idleStrategy.reset();
        while (true)
        {
            final long result = publication.offer(requestBuffer, 0, length);
            if (result > 0)
            {
                if (requestsWord != null)
                {
                    requestsWord.signal();
                }
                return;
            }
            if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED)
            {
                throw new CardDriverUnavailableException("cannot send to the " + ctx.description + ": publication " +
                    (result == Publication.CLOSED ? "closed" : "at its maximum position"));
            }
            if (System.nanoTime() - deadline > 0)
            {
                throw new ControlTimeoutException("cannot send to the " + ctx.description + " within " +
                    TimeUnit.NANOSECONDS.toMillis(ctx.requestTimeoutNs) + " ms: " +
                    (result == Publication.NOT_CONNECTED ? "nobody reads the request stream" : "back pressure"));
            }
            if (requestsWord != null)
            {
                requestsWord.signal();      // a full window: the conductor frees it by reading
            }
            idleStrategy.idle();
        }
    }

    private CardDriverUnavailableException unreachable(final RuntimeException ex)
    {
        return new CardDriverUnavailableException("the " + ctx.description + " cannot be reached: " + ex.getMessage(),
            ex);
    }

    private void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final ErrorCode invalid = validator.validate(buffer, offset, length);
        if (invalid != null)
        {
            invalidMessages++;
            lastInvalidMessage = validator.lastError();
            return;
        }
        if (length < CLIENT_ID_OFFSET + 8)
        {
            invalidMessages++;
            lastInvalidMessage = "message of " + length + " bytes has no client id";
            return;
        }

        final long messageClientId = buffer.getLong(offset + CLIENT_ID_OFFSET, ByteOrder.LITTLE_ENDIAN);
        if (messageClientId != clientId)
        {
            return;
        }

        final long correlationId = buffer.getLong(offset + CORRELATION_ID_OFFSET, ByteOrder.LITTLE_ENDIAN);
        if (correlationId == 0)
        {
            unasked.set(buffer, offset, length, validator);
            ctx.listener.onUnaskedMessage(unasked);
        }
        else if (correlationId == awaitedCorrelationId && !answered)
        {
            response.set(buffer, offset, length, validator);
            answered = true;
        }
        else
        {
            lateAnswers++;
        }
    }
}
