package io.nicq.client.tcp;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.nicq.client.ControlPlane;
import io.nicq.client.Filter;
import io.nicq.packet.TcpHeader;
import io.nicq.runtime.AdaptiveIdleStrategy;
import org.agrona.BitUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongArrayQueue;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * A listening port whose connections are handed over to workers, each worker with a queue of its own and each
 * connection steered to its worker's queue by a TCP connection filter of its own, registered at a higher priority than
 * the port's filter (the thesis's connection filter):
 * <pre>
 *   listener thread: queue L, port filter (priority 1)           worker thread k: queue W_k, no filter of its own
 *
 *   SYN of a new 4-tuple -&gt; least-loaded worker k ---inbox_k---&gt;  SYN-RECEIVED on W_k's layer, SYN-ACK from W_k
 *      (of equally loaded workers, the one after the last chosen)
 *      meanwhile, on the hand-over's control thread: its connection filter -&gt; W_k (priority 2)
 *   any later segment of the 4-tuple that still reaches L (its filter was not live yet) ---inbox_k---&gt;
 *   the connection gone from W_k's layer (closed and out of TIME_WAIT, reset, or its SYN dropped) &lt;---released_k---
 *      its filter deregistered, the 4-tuple forgotten
 * </pre>
 * The hand-over happens at the SYN because a connection has no state yet: the SYN is all that crosses threads. A
 * connection moved after its handshake would have to take its sequence space, windows, options, timers and buffered
 * bytes from one layer to another. Segments passed on are copied, in the order they reached L, into a worker's inbox
 * (a single-producer ring); the worker's TCP orders them with those that came to its queue directly as it orders any
 * reordering on a wire, so the application reads the stream as it was sent, none lost: a segment that finds the inbox
 * full is dropped and counted, and TCP sends it again. A SYN that finds its worker's inbox full stays on L: the
 * listener's own handler serves that connection, counted as kept. When the card driver can place no filter for a
 * connection (every 5-tuple, flow-director and software filter taken), the connection still goes to its worker and L
 * passes on each of its segments, counted as unsteered.
 * <p>
 * Threads: the listener thread polls L's interface and calls {@link #doWork}; each worker thread polls its own
 * interface and calls its {@link Worker#doWork}. Registering and deregistering filters take a control round trip
 * each, which the listener's queue must not wait for (every new connection's first segments would wait behind it):
 * they are requests of the hand-over's own control thread on the (thread-safe) client, one at a time, so a filter's
 * deregistration follows its registration. Nothing is allocated per segment; a connection costs a map entry and two
 * small objects.
 */
public final class TcpHandOver implements TcpSteering, AutoCloseable
{
    /** Bytes of a worker's inbox (a power of two): about 700 full-sized segments in flight to it. */
    public static final int DEFAULT_INBOX_CAPACITY = 1 << 20;

    /** Bytes of a worker's ring of released connections (a power of two): 4,096 notices. */
    private static final int RELEASED_CAPACITY = 64 * 1024;
    private static final int MESSAGE_SYN = 1;
    private static final int MESSAGE_SEGMENT = 2;
    private static final int MESSAGE_RELEASED = 3;

    /*
     * A message of an inbox: the segment as it reached the listener's queue, with its peer and when the listener took
     * its connection's SYN (the start of the hand-over).
     *
     *   0                   8         12
     *   +-------------------+---------+----------------------------------------+
     *   | SYN taken (ns)    | peer    | TCP segment: header, options, payload  |
     *   +-------------------+---------+----------------------------------------+
     */
    private static final int SYN_TAKEN_OFFSET = 0;
    private static final int PEER_OFFSET = 8;
    private static final int SEGMENT_OFFSET = 12;

    /** How long {@link #close} waits for the filter requests still queued. */
    private static final long CLOSE_TIMEOUT_MS = 10_000;

    /**
     * One connection the listener handed over: where it went, and the filter that steers it there. Written by the
     * listener thread only; the filter arrives from the control thread through {@link #registered}.
     */
    private static final class HandedOver
    {
        final long key;
        final Worker worker;
        final int workerIndex;
        Filter filter;
        boolean registrationPending = true;
        boolean released;

        HandedOver(final long key, final Worker worker, final int workerIndex)
        {
            this.key = key;
            this.worker = worker;
            this.workerIndex = workerIndex;
        }
    }

    /** A registration's outcome, from the control thread to the listener thread. */
    private record Registration(HandedOver connection, Filter filter, String refusal, long tookNs)
    {
    }

    private final TcpLayer layer;
    private final int port;
    private final Worker[] workers;
    private final int[] load;
    private final TcpListener listener;
    private final ControlPlane plane;
    private final Long2ObjectHashMap<HandedOver> handedOver = new Long2ObjectHashMap<>();
    private final MessageHandler onReleased = this::onReleased;
    /** The control thread: filter requests block for a control round trip, and the listener's queue must not. */
    private final ExecutorService control;
    private final Queue<Registration> registered = new ConcurrentLinkedQueue<>();
    private long connectionsHandedOver;
    private long connectionsKept;
    private long connectionsUnsteered;
    private long connectionsReleased;
    private long segmentsPassedOn;
    private long segmentsDropped;
    private final AtomicLong deregistrationsRefused = new AtomicLong();
    private long registrations;
    private long registrationNsTotal;
    private long registrationNsMax;
    private String lastRefusal;
    private int lastChosen = -1;
    private boolean closed;

    /**
     * Listens on {@code port} of {@code layer}'s queue (the port filter) and hands its new connections to
     * {@code workers}, each made on the layer of its own queue with the same port.
     *
     * @param kept serves the connections the listener keeps (a worker's inbox was full when their SYN came).
     * @throws io.nicq.client.NicException the card driver's refusal of the port filter (PORT_IN_USE, ...).
     */
    public TcpHandOver(final TcpLayer layer, final int port, final List<Worker> workers, final TcpListenerHandler kept)
    {
        if (workers.isEmpty())
        {
            throw new IllegalArgumentException("a hand-over needs at least one worker");
        }
        for (final Worker worker : workers)
        {
            if (worker.port != port)
            {
                throw new IllegalArgumentException("a worker listens on port " + worker.port + ", not " + port);
            }
            if (worker.tcp == layer || worker.tcp.ip().queue() == layer.ip().queue())
            {
                throw new IllegalArgumentException("a worker needs a queue of its own, not the listener's");
            }
        }
        this.layer = layer;
        this.port = port;
        this.workers = workers.toArray(new Worker[0]);
        this.load = new int[this.workers.length];
        this.plane = layer.ip().controlPlane();
        this.control = Executors.newSingleThreadExecutor(runnable ->
        {
            final Thread thread = new Thread(runnable, "nicq-tcp-hand-over-" + port);
            thread.setDaemon(true);
            return thread;
        });
        // The workers' listeners exist already: the port filter is the last thing, so no SYN finds nobody.
        this.listener = TcpListener.open(layer, port, kept);
        layer.steering(this);
    }

    public boolean steer(
        final int sourceAddress, final TcpHeader header, final MutableDirectBuffer buffer, final int offset,
        final int length)
    {
        if (header.destinationPort() != port || closed)
        {
            return false;
        }
        final int remotePort = header.sourcePort();
        final long key = TcpLayer.key(sourceAddress, remotePort, port);
        final HandedOver connection = handedOver.get(key);
        if (connection != null)
        {
            if (passOn(connection.worker, MESSAGE_SEGMENT, 0, sourceAddress, buffer, offset, length))
            {
                segmentsPassedOn++;
            }
            else
            {
                segmentsDropped++;
            }
            return true;
        }
        if ((header.flags() & (TcpHeader.FLAG_SYN | TcpHeader.FLAG_ACK | TcpHeader.FLAG_RST)) != TcpHeader.FLAG_SYN)
        {
            // Not the start of a connection: the listener's layer answers it as a segment for nothing.
            return false;
        }
        final int chosen = leastLoaded();
        final Worker worker = workers[chosen];
        if (!passOn(worker, MESSAGE_SYN, System.nanoTime(), sourceAddress, buffer, offset, length))
        {
            connectionsKept++;
            return false;
        }
        final HandedOver entry = new HandedOver(key, worker, chosen);
        handedOver.put(key, entry);
        load[chosen]++;
        connectionsHandedOver++;
        segmentsPassedOn++;
        // The worker answers the SYN meanwhile; what reaches this queue before the filter is live is passed on.
        control.execute(() -> register(entry, sourceAddress, remotePort));
        return true;
    }

    /** On the control thread. */
    private void register(final HandedOver connection, final int remoteAddress, final int remotePort)
    {
        final long startNs = System.nanoTime();
        try
        {
            final Filter filter = plane.registerTcpConnection(connection.worker.tcp.ip().queue(), port, remoteAddress,
                remotePort);
            registered.offer(new Registration(connection, filter, null, System.nanoTime() - startNs));
        }
        catch (final RuntimeException ex)
        {
            registered.offer(new Registration(connection, null, ex.getMessage(), 0));
        }
    }

    /**
     * The listener thread's part besides polling its interface: the connections the workers released lose their
     * filters.
     *
     * @return connections released.
     */
    public int doWork()
    {
        int work = 0;
        if (!registered.isEmpty())
        {
            Registration registration;
            while ((registration = registered.poll()) != null)
            {
                onRegistered(registration);
                work++;
            }
        }
        for (final Worker worker : workers)
        {
            work += worker.released.read(onReleased);
        }
        return work;
    }

    private void onRegistered(final Registration registration)
    {
        final HandedOver connection = registration.connection();
        connection.registrationPending = false;
        connection.filter = registration.filter();
        if (registration.filter() == null)
        {
            // The worker has the connection: the listener passes its segments on for as long as it lives.
            connectionsUnsteered++;
            lastRefusal = registration.refusal();
            return;
        }
        registrations++;
        registrationNsTotal += registration.tookNs();
        registrationNsMax = Math.max(registrationNsMax, registration.tookNs());
        if (connection.released)
        {
            deregister(connection);
        }
    }

    private void onReleased(final int type, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final HandedOver connection = handedOver.remove(buffer.getLong(index));
        if (connection == null)
        {
            return;
        }
        connectionsReleased++;
        load[connection.workerIndex]--;
        connection.released = true;
        if (!connection.registrationPending)
        {
            deregister(connection);
        }
    }

    /** The connection's filter goes, on the control thread, after its registration (one thread keeps the order). */
    private void deregister(final HandedOver connection)
    {
        final Filter filter = connection.filter;
        if (filter == null)
        {
            return;
        }
        connection.filter = null;
        control.execute(() -> deregisterNow(filter, connection.worker));
    }

    /** The worker with the fewest connections; of equals, the one after the last chosen (round robin). */
    private int leastLoaded()
    {
        int chosen = -1;
        for (int n = 1; n <= load.length; n++)
        {
            final int i = (lastChosen + n) % load.length;
            if (chosen < 0 || load[i] < load[chosen])
            {
                chosen = i;
            }
        }
        lastChosen = chosen;
        return chosen;
    }

    private static boolean passOn(final Worker worker, final int type, final long synTakenNs, final int peer,
        final MutableDirectBuffer segment, final int offset, final int length)
    {
        final RingBuffer inbox = worker.inbox;
        if (SEGMENT_OFFSET + length > inbox.maxMsgLength())
        {
            // Larger than the worker's interface takes (its queue has a smaller MTU than the listener's).
            return false;
        }
        final int index = inbox.tryClaim(type, SEGMENT_OFFSET + length);
        if (index < 0)
        {
            return false;
        }
        final MutableDirectBuffer message = inbox.buffer();
        message.putLong(index + SYN_TAKEN_OFFSET, synTakenNs);
        message.putInt(index + PEER_OFFSET, peer);
        message.putBytes(index + SEGMENT_OFFSET, segment, offset, length);
        inbox.commit(index);
        // A worker asleep on its queue's wake-up (adaptive idle) has work that is not its queue's.
        worker.tcp.ip().queue().wakeUp();
        return true;
    }

    /** Stops listening (the port filter goes) and deregisters the filters of the connections still handed over. */
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        listener.close();
        layer.steering(null);
        for (final HandedOver connection : handedOver.values())
        {
            connection.released = true;
            deregister(connection);
        }
        handedOver.clear();
        control.shutdown();
        try
        {
            // Registrations still queued finish first; their filters are deregistered as they arrive.
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_TIMEOUT_MS);
            while (!control.awaitTermination(1, TimeUnit.MILLISECONDS) && System.nanoTime() - deadline < 0)
            {
                drainRegistrationsAfterClose();
            }
            drainRegistrationsAfterClose();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /** A connection's filter goes now, unless it went already or with its worker's queue (the card driver's). */
    private void deregisterNow(final Filter filter, final Worker worker)
    {
        if (filter.isRegistered() && !worker.tcp.ip().queue().isClosed())
        {
            try
            {
                plane.deregister(filter);
            }
            catch (final RuntimeException ex)
            {
                deregistrationsRefused.incrementAndGet();
            }
        }
    }

    /** After close: a filter registered for a connection the hand-over no longer holds goes at once. */
    private void drainRegistrationsAfterClose()
    {
        Registration registration;
        while ((registration = registered.poll()) != null)
        {
            if (registration.filter() != null)
            {
                deregisterNow(registration.filter(), registration.connection().worker);
            }
        }
    }

    /** The listener: its port and filter. */
    public TcpListener listener()
    {
        return listener;
    }

    /** Connections whose SYN went to a worker. */
    public long connectionsHandedOver()
    {
        return connectionsHandedOver;
    }

    /** Connections the listener served itself: the chosen worker's inbox was full when their SYN came. */
    public long connectionsKept()
    {
        return connectionsKept;
    }

    /** Handed-over connections the card driver could place no filter for: the listener passes their segments on. */
    public long connectionsUnsteered()
    {
        return connectionsUnsteered;
    }

    /** Handed-over connections gone from their worker, their filters deregistered. */
    public long connectionsReleased()
    {
        return connectionsReleased;
    }

    /** Connections handed over and not yet released. */
    public int connectionsOpen()
    {
        return handedOver.size();
    }

    /** Segments copied to a worker (SYNs included). */
    public long segmentsPassedOn()
    {
        return segmentsPassedOn;
    }

    /** Segments of handed-over connections dropped because their worker's inbox was full (TCP resends them). */
    public long segmentsDropped()
    {
        return segmentsDropped;
    }

    /** Mean time the card driver took to register a connection filter, in nanoseconds (0 before the first). */
    public long meanRegistrationNs()
    {
        return registrations == 0 ? 0 : registrationNsTotal / registrations;
    }

    /** Longest time the card driver took to register a connection filter, in nanoseconds. */
    public long maxRegistrationNs()
    {
        return registrationNsMax;
    }

    public String toString()
    {
        return "TcpHandOver{port " + port + ", " + workers.length + " workers, handed over " + connectionsHandedOver +
            " (open " + handedOver.size() + ", released " + connectionsReleased + "), kept " + connectionsKept +
            ", unsteered " + connectionsUnsteered + ", segments passed on " + segmentsPassedOn + " (dropped " +
            segmentsDropped + "), filter registration mean " + meanRegistrationNs() / 1000 + " us max " +
            registrationNsMax / 1000 + " us" +
            (deregistrationsRefused.get() > 0 ? ", deregistrations refused " + deregistrationsRefused.get() : "") +
            (lastRefusal != null ? ", last refusal: " + lastRefusal : "") + "}";
    }

    /**
     * A worker of a hand-over: a listener on the same port of its own layer (whose queue serves it alone, polled by
     * its own thread) that takes new connections only from the hand-over, the inbox the listener passes segments into,
     * and the notices of released connections it sends back. Make it on the worker's layer before the
     * {@link TcpHandOver}, then call {@link #doWork} in the worker's loop beside polling its interface.
     */
    public static final class Worker
    {
        private final TcpLayer tcp;
        private final int port;
        private final TcpListener listener;
        private final OneToOneRingBuffer inbox;
        private final OneToOneRingBuffer released;
        private final LongArrayQueue releasedBacklog = new LongArrayQueue();
        private final Long2LongHashMap handOverStartNs = new Long2LongHashMap(-1);
        private final TcpHeader header = new TcpHeader();
        private final MessageHandler onMessage = this::onMessage;
        private long segmentsReceived;
        private long connectionsTaken;

        /** A worker with an inbox of {@link #DEFAULT_INBOX_CAPACITY} bytes. */
        public Worker(final TcpLayer tcp, final int port, final TcpListenerHandler handler)
        {
            this(tcp, port, handler, DEFAULT_INBOX_CAPACITY);
        }

        /**
         * @param tcp           the worker's layer, on a queue of its own.
         * @param handler       told of each connection the worker accepts.
         * @param inboxCapacity bytes of the inbox, a power of two.
         */
        public Worker(final TcpLayer tcp, final int port, final TcpListenerHandler handler, final int inboxCapacity)
        {
            if (!BitUtil.isPowerOfTwo(inboxCapacity))
            {
                throw new IllegalArgumentException("inbox capacity " + inboxCapacity + " is not a power of two");
            }
            // Agrona's one-to-one ring takes messages up to an eighth of its capacity: a whole segment must fit.
            final int largestMessage = SEGMENT_OFFSET + tcp.ip().maxPayload();
            if (inboxCapacity / 8 < largestMessage)
            {
                throw new IllegalArgumentException("inbox capacity " + inboxCapacity + " is too small: a message " +
                    "(a " + tcp.ip().maxPayload() + "-byte segment and " + SEGMENT_OFFSET + " bytes) must fit in an " +
                    "eighth of it; at least " + BitUtil.findNextPositivePowerOfTwo(8 * largestMessage));
            }
            this.tcp = tcp;
            this.port = port;
            this.inbox = ring(inboxCapacity);
            this.released = ring(RELEASED_CAPACITY);
            this.listener = TcpListener.openHandedOver(tcp, port, handler, this::onConnectionGone);
        }

        private static OneToOneRingBuffer ring(final int capacity)
        {
            return new OneToOneRingBuffer(new UnsafeBuffer(
                ByteBuffer.allocateDirect(capacity + RingBufferDescriptor.TRAILER_LENGTH)));
        }

        /**
         * The worker thread's part besides polling its interface: the segments the listener passed on, received in
         * the order they came, and the notices of released connections the listener has not taken yet.
         *
         * @return segments received from the inbox.
         */
        public int doWork()
        {
            final int work = inbox.read(onMessage);
            while (!releasedBacklog.isEmpty() && offerReleased(releasedBacklog.peekLong()))
            {
                releasedBacklog.pollLong();
            }
            return work;
        }

        private void onMessage(final int type, final MutableDirectBuffer buffer, final int index, final int length)
        {
            final int peer = buffer.getInt(index + PEER_OFFSET);
            final int segment = index + SEGMENT_OFFSET;
            final long key = TcpLayer.key(peer, header.wrap(buffer, segment).sourcePort(), port);
            segmentsReceived++;
            tcp.receiveHandedOver(peer, buffer, segment, length - SEGMENT_OFFSET);
            if (type == MESSAGE_SYN)
            {
                if (tcp.hasConnection(key))
                {
                    connectionsTaken++;
                    handOverStartNs.put(key, buffer.getLong(index + SYN_TAKEN_OFFSET));
                }
                else
                {
                    // The layer dropped the SYN (its tables are full): the listener forgets the 4-tuple.
                    onConnectionGone(key);
                }
            }
        }

        private void onConnectionGone(final long key)
        {
            handOverStartNs.remove(key);
            if (!releasedBacklog.isEmpty() || !offerReleased(key))
            {
                // A notice is never lost (the filter would outlive its connection): it waits for room.
                releasedBacklog.addLong(key);
            }
        }

        private boolean offerReleased(final long key)
        {
            final int index = released.tryClaim(MESSAGE_RELEASED, Long.BYTES);
            if (index < 0)
            {
                return false;
            }
            released.buffer().putLong(index, key);
            released.commit(index);
            return true;
        }

        /**
         * Nanoseconds from the listener taking {@code connection}'s SYN to now, the first time it is asked for a
         * connection the hand-over brought; -1 afterwards and for other connections. The application calls it when it
         * first serves the connection: the hand-over's time to the first byte served.
         */
        public long sinceHandOver(final TcpConnection connection)
        {
            if (handOverStartNs.isEmpty())
            {
                return -1;
            }
            final long startNs = handOverStartNs.remove(
                TcpLayer.key(connection.remoteAddress(), connection.remotePort(), connection.localPort()));
            return startNs < 0 ? -1 : System.nanoTime() - startNs;
        }

        /**
         * Installs in {@code idle}, if it is the adaptive strategy, a wake-up for the worker's loop: its queue's, with
         * the inbox in the last look (the listener wakes the queue's wake-up after passing a segment on); returns
         * {@code idle}. Without a wake-up of the queue's (no vector to sleep on) the strategy parks, as it would.
         */
        public IdleStrategy sleepOn(final IdleStrategy idle)
        {
            if (idle instanceof AdaptiveIdleStrategy adaptive)
            {
                final AdaptiveIdleStrategy.WakeSource queue = tcp.ip().queue().wakeSource();
                adaptive.wakeSource(queue == null ? null : new AdaptiveIdleStrategy.WakeSource()
                {
                    public boolean arm()
                    {
                        if (queue.arm())
                        {
                            return true;
                        }
                        if (inbox.size() > 0)
                        {
                            // Armed already: a zero sleep disarms it, and the loop drains the inbox.
                            queue.sleep(0);
                            return true;
                        }
                        return false;
                    }

                    public void sleep(final long timeoutNs)
                    {
                        queue.sleep(timeoutNs);
                    }
                });
            }
            return idle;
        }

        /** The worker's layer. */
        public TcpLayer tcp()
        {
            return tcp;
        }

        /** The worker's listener (no filter of its own). */
        public TcpListener listener()
        {
            return listener;
        }

        /** Segments received from the inbox (the SYNs of its connections included). */
        public long segmentsReceived()
        {
            return segmentsReceived;
        }

        /** Connections whose SYN the worker took from the inbox. */
        public long connectionsTaken()
        {
            return connectionsTaken;
        }

        public String toString()
        {
            return "Worker{queue " + tcp.ip().queue().queueId() + ", connections taken " + connectionsTaken +
                ", segments from the listener " + segmentsReceived + ", direct SYNs refused " +
                tcp.synsNotHandedOver() + "}";
        }
    }
}
