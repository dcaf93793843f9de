package io.nicq.proto.channel;

import org.agrona.concurrent.AtomicBuffer;

import java.nio.charset.StandardCharsets;

/**
 * Flyweight over the header page of a queue channel. Fields are little endian (the byte order of every host nicq runs
 * on); each group of fields that one party writes has cache lines of its own.
 * <pre>
 *   identity, written once by the creator (card driver):
 *     0   magic 'NICQCHN1' (long)         32  rings offset (long)
 *     8   layout version (int)            40  metadata offset (long)
 *    12   queue id (int)                  48  pool offset (long)
 *    16   slot count (int)                56  file length (long)
 *    20   slot size (int)                 64  state (int): INITIALISING, ACTIVE, CLOSED, REVOKED
 *    24   ring capacity (int)
 *    28   metadata record length (int)   72  attach token (long): what a queue driver shows to attach
 *                                        80  software-forward ring offset (long)
 *   queue driver liveness (its own 128 bytes):
 *   128   driver pid (long)              136  driver heartbeat, System.nanoTime (long)
 *   client liveness (its own 128 bytes):
 *   256   client pid (long)              264  client heartbeat, System.nanoTime (long)
 *   queue driver counters (single writer: the queue driver), 8 bytes each:
 *   384   counters 0..15, see the COUNTER_* constants and {@link #counterName(int)}
 *  1024   counters 16.. (the first block is full)
 *   wake words (runtime's WakeWord: sequence int, sleepers int), each on its own 128 bytes:
 *   512   driver wake: signalled by the client (txReady, rxFree) and the card driver (forward ring)
 *   640   client wake: signalled by the queue driver (rxReady, txDone)
 *   read-only RX descriptor ring (since version 5; all 0 when the queue driver does not expose its ring):
 *   768   client: RX consumer position (long), descriptors taken from the ring so far (its own 128 bytes)
 *   896   queue driver, once before ACTIVE: ring size (int, 0 = not exposed), flags (int), path length (int)
 *  2048   queue driver, once before ACTIVE: the ring file's path, UTF-8, up to 2048 bytes
 *
 *   896 +0            +4            +8            2048 +0 ...
 *       +-------------+-------------+-------------+     +--------------------------+
 *       | ring size   | flags       | path length |     | path bytes               |
 *       +-------------+-------------+-------------+     +--------------------------+
 *
 *   512/640 +0                 +4                 +8
 *           +------------------+------------------+
 *           | sequence (futex) | sleepers         |
 *           +------------------+------------------+
 * </pre>
 * A side that runs out of work and wants to sleep announces itself on its own wake word (sleepers, the "I sleep"
 * flag), looks at its rings once more, and sleeps on the sequence; the other side signals the word after it publishes,
 * which costs one atomic add while nobody sleeps and a FUTEX_WAKE only when somebody does (check-after-arm; see
 * {@code io.nicq.runtime.WakeWord}).
 * Heartbeats are {@code System.nanoTime()} readings: the same clock in every process of one host. A client attaches
 * by writing its heartbeat, then its pid ({@link #attachClient}), and leaves in order by writing
 * {@link #CLIENT_PID_LEFT} ({@link #detachClient}). The client pid field alone tells the three states apart: 0 no
 * client yet, a pid a client attached, {@link #CLIENT_PID_LEFT} the client has left (even if the queue driver never saw
 * its pid). A heartbeat alone says nothing about attachment: a client writes it before its pid.
 */
public final class QueueChannelHeader
{
    /** "NICQCHN1" read as a little-endian long. */
    public static final long MAGIC = 0x314E48435143494EL;

    /** Layout version: raised whenever an offset or a field's meaning changes. */
    public static final int VERSION = 5;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int QUEUE_ID_OFFSET = 12;
    public static final int SLOT_COUNT_OFFSET = 16;
    public static final int SLOT_SIZE_OFFSET = 20;
    public static final int RING_CAPACITY_OFFSET = 24;
    public static final int METADATA_RECORD_LENGTH_OFFSET = 28;
    public static final int RINGS_OFFSET_OFFSET = 32;
    public static final int METADATA_OFFSET_OFFSET = 40;
    public static final int POOL_OFFSET_OFFSET = 48;
    public static final int FILE_LENGTH_OFFSET = 56;
    public static final int STATE_OFFSET = 64;
    public static final int ATTACH_TOKEN_OFFSET = 72;
    public static final int FORWARD_RING_OFFSET_OFFSET = 80;

    public static final int DRIVER_PID_OFFSET = 128;
    public static final int DRIVER_HEARTBEAT_OFFSET = 136;
    public static final int CLIENT_PID_OFFSET = 256;
    public static final int CLIENT_HEARTBEAT_OFFSET = 264;
    public static final int COUNTERS_OFFSET = 384;
    /** Where counters from {@link #COUNTERS_IN_FIRST_BLOCK} on lie: the block at 384 ends at the driver wake word. */
    public static final int MORE_COUNTERS_OFFSET = 1024;
    /** Counters in the block at {@link #COUNTERS_OFFSET}. */
    public static final int COUNTERS_IN_FIRST_BLOCK = 16;
    /**
     * The client's RX consumer position: how many descriptors of the read-only RX ring it has taken (a count, never
     * wrapped, so that "forward only" can be checked). The queue driver validates it and never trusts it further.
     */
    public static final int RX_CONSUMER_POSITION_OFFSET = 768;
    /** Descriptors of the RX ring the queue driver exposes read-only; 0 when it does not. */
    public static final int RX_RING_SIZE_OFFSET = 896;
    /** {@code RX_RING_FLAG_*} bits. */
    public static final int RX_RING_FLAGS_OFFSET = 900;
    public static final int RX_RING_PATH_LENGTH_OFFSET = 904;
    public static final int RX_RING_PATH_OFFSET = 2048;
    /** Most bytes of the ring file's path. */
    public static final int RX_RING_PATH_CAPACITY = 2048;
    /** The ring's RSS hash field holds the simulated card's device timestamp (as the queue driver reads it). */
    public static final int RX_RING_FLAG_DEVICE_TIMESTAMPS = 1;
    /** The queue driver's wake word: the client and the card driver signal it after publishing to the driver. */
    public static final int DRIVER_WAKE_OFFSET = 512;
    /** The client's wake word: the queue driver signals it after publishing on rxReady or txDone. */
    public static final int CLIENT_WAKE_OFFSET = 640;

    /** Client pid of a client that has left in order: no process has this pid. */
    public static final long CLIENT_PID_LEFT = -1;

    /** Created by the card driver; no queue driver serves it yet. */
    public static final int STATE_INITIALISING = 0;
    /** A queue driver has attached to the card and serves the rings. */
    public static final int STATE_ACTIVE = 1;
    /** The queue driver has stopped in order: nothing serves the rings any more. */
    public static final int STATE_CLOSED = 2;
    /** The card driver took the queue away (client or queue driver gone, shutdown): the queue driver must stop. */
    public static final int STATE_REVOKED = 3;

    /** Frames handed to the client on rxReady. */
    public static final int COUNTER_RX_PACKETS = 0;
    /** Bytes of those frames. */
    public static final int COUNTER_RX_BYTES = 1;
    /** Descriptors written back with a frame error (RXE), or frames split over several buffers: recycled, not handed
     * on. Checksum errors are not frame errors: see {@link #COUNTER_RX_IP_CHECKSUM_ERRORS}. */
    public static final int COUNTER_RX_ERRORS = 2;
    /** Times the RX ring ran out of posted buffers for want of free slots (the card then drops and counts, QPRDC). */
    public static final int COUNTER_RX_STARVED = 3;
    /** Frames the device reported sent. */
    public static final int COUNTER_TX_PACKETS = 4;
    /** Bytes of those frames. */
    public static final int COUNTER_TX_BYTES = 5;
    /** Times frames waited on txReady because the TX descriptor ring was full. */
    public static final int COUNTER_TX_RING_FULL = 6;
    /** Slot indices from the client outside [0, slot count): ignored. */
    public static final int COUNTER_REJECTED_INDEX = 7;
    /** Slot indices from the client for slots the client does not own (duplicates, slots in flight): ignored. */
    public static final int COUNTER_REJECTED_NOT_OWNED = 8;
    /** TX frames whose length was outside [MIN_FRAME_LENGTH, slot size]: returned on txDone flagged, never sent. */
    public static final int COUNTER_REJECTED_LENGTH = 9;
    /** Times a client ring position was impossible (the client wrote over the ring's positions). */
    public static final int COUNTER_REJECTED_RING_POSITION = 10;
    /** Slots the driver could not hand back because rxReady or txDone was full (only a misbehaving client causes it):
     * received frames among them are dropped; the slots go back to the RX ring. */
    public static final int COUNTER_CLIENT_RING_FULL = 11;
    /** Frames among rx-packets that came through the software-forward ring (filters placed in software). */
    public static final int COUNTER_RX_FORWARDED = 12;
    /** Frames among rx-packets whose IPv4 header checksum the card found wrong (IPE): delivered, not dropped. */
    public static final int COUNTER_RX_IP_CHECKSUM_ERRORS = 13;
    /** Frames among rx-packets whose TCP or UDP checksum the card found wrong (TCPE; not a zero UDP checksum). */
    public static final int COUNTER_RX_L4_CHECKSUM_ERRORS = 14;
    /** Frames among rx-packets the client took itself from the read-only RX descriptor ring (none on rxReady). */
    public static final int COUNTER_RX_DIRECT = 15;
    /** Times the client's RX consumer position was impossible (backwards, past a descriptor not done): refused. */
    public static final int COUNTER_REJECTED_RX_CONSUMER = 16;
    /** Number of counters. */
    public static final int COUNTER_COUNT = 17;

    private static final String[] COUNTER_NAMES =
    {
        "rx-packets", "rx-bytes", "rx-errors", "rx-starved", "tx-packets", "tx-bytes", "tx-ring-full",
        "rejected-index", "rejected-not-owned", "rejected-length", "rejected-ring-position", "client-ring-full",
        "rx-forwarded", "rx-ip-checksum-errors", "rx-l4-checksum-errors", "rx-direct", "rejected-rx-consumer"
    };

    private final AtomicBuffer buffer;

    /** @param buffer the header page, {@link QueueChannelLayout#HEADER_LENGTH} bytes */
    public QueueChannelHeader(final AtomicBuffer buffer)
    {
        if (buffer.capacity() < QueueChannelLayout.HEADER_LENGTH)
        {
            throw new IllegalArgumentException("header needs " + QueueChannelLayout.HEADER_LENGTH +
                " bytes, buffer has " + buffer.capacity());
        }
        this.buffer = buffer;
    }

    /** Writes the identity of a new channel and resets liveness and counters; the state becomes INITIALISING. */
    public void format(final int queueId, final QueueChannelLayout layout)
    {
        buffer.setMemory(0, QueueChannelLayout.HEADER_LENGTH, (byte)0);
        buffer.putInt(VERSION_OFFSET, VERSION);
        buffer.putInt(QUEUE_ID_OFFSET, queueId);
        buffer.putInt(SLOT_COUNT_OFFSET, layout.slotCount());
        buffer.putInt(SLOT_SIZE_OFFSET, QueueChannelLayout.SLOT_SIZE);
        buffer.putInt(RING_CAPACITY_OFFSET, layout.ringCapacity());
        buffer.putInt(METADATA_RECORD_LENGTH_OFFSET, QueueChannelLayout.METADATA_RECORD_LENGTH);
        buffer.putLong(RINGS_OFFSET_OFFSET, layout.ringOffset(0));
        buffer.putLong(FORWARD_RING_OFFSET_OFFSET, layout.forwardRingOffset());
        buffer.putLong(METADATA_OFFSET_OFFSET, layout.metadataOffset());
        buffer.putLong(POOL_OFFSET_OFFSET, layout.poolOffset());
        buffer.putLong(FILE_LENGTH_OFFSET, layout.fileLength());
        buffer.putIntRelease(STATE_OFFSET, STATE_INITIALISING);
        // The magic goes last: a reader that sees it sees a complete header.
        buffer.putLongRelease(MAGIC_OFFSET, MAGIC);
    }

    public long forwardRingOffset()
    {
        return buffer.getLong(FORWARD_RING_OFFSET_OFFSET);
    }

    public long magic()
    {
        return buffer.getLongVolatile(MAGIC_OFFSET);
    }

    public int version()
    {
        return buffer.getInt(VERSION_OFFSET);
    }

    public int queueId()
    {
        return buffer.getInt(QUEUE_ID_OFFSET);
    }

    public int slotCount()
    {
        return buffer.getInt(SLOT_COUNT_OFFSET);
    }

    public int slotSize()
    {
        return buffer.getInt(SLOT_SIZE_OFFSET);
    }

    public int ringCapacity()
    {
        return buffer.getInt(RING_CAPACITY_OFFSET);
    }

    public int metadataRecordLength()
    {
        return buffer.getInt(METADATA_RECORD_LENGTH_OFFSET);
    }

    public long ringsOffset()
    {
        return buffer.getLong(RINGS_OFFSET_OFFSET);
    }

    public long metadataOffset()
    {
        return buffer.getLong(METADATA_OFFSET_OFFSET);
    }

    public long poolOffset()
    {
        return buffer.getLong(POOL_OFFSET_OFFSET);
    }

    public long fileLength()
    {
        return buffer.getLong(FILE_LENGTH_OFFSET);
    }

    /**
     * The queue's attach token: a random number the card driver writes when it creates the channel. A queue driver
     * shows it in {@code AttachQueueDriver} and {@code DetachQueueDriver}, so only a process that can read this
     * owner-only file can attach or detach the queue (a pid alone proves nothing).
     */
    public long attachToken()
    {
        return buffer.getLongVolatile(ATTACH_TOKEN_OFFSET);
    }

    /** Card driver: sets the attach token once, after formatting. */
    public void attachToken(final long token)
    {
        buffer.putLongVolatile(ATTACH_TOKEN_OFFSET, token);
    }

    public int state()
    {
        return buffer.getIntVolatile(STATE_OFFSET);
    }

    public void state(final int state)
    {
        buffer.putIntVolatile(STATE_OFFSET, state);
    }

    /** Moves the state only if it is still {@code expected}: a queue driver does not overwrite REVOKED with CLOSED. */
    public boolean compareAndSetState(final int expected, final int state)
    {
        return buffer.compareAndSetInt(STATE_OFFSET, expected, state);
    }

    public long driverPid()
    {
        return buffer.getLongVolatile(DRIVER_PID_OFFSET);
    }

    public void driverPid(final long pid)
    {
        buffer.putLongRelease(DRIVER_PID_OFFSET, pid);
    }

    public long driverHeartbeatNs()
    {
        return buffer.getLongVolatile(DRIVER_HEARTBEAT_OFFSET);
    }

    public void driverHeartbeatNs(final long nanoTime)
    {
        buffer.putLongRelease(DRIVER_HEARTBEAT_OFFSET, nanoTime);
    }

    public long clientPid()
    {
        return buffer.getLongVolatile(CLIENT_PID_OFFSET);
    }

    public void clientPid(final long pid)
    {
        buffer.putLongRelease(CLIENT_PID_OFFSET, pid);
    }

    public long clientHeartbeatNs()
    {
        return buffer.getLongVolatile(CLIENT_HEARTBEAT_OFFSET);
    }

    public void clientHeartbeatNs(final long nanoTime)
    {
        buffer.putLongRelease(CLIENT_HEARTBEAT_OFFSET, nanoTime);
    }

    /** Client side: announces the client, heartbeat first so that a queue driver that sees the pid sees it alive. */
    public void attachClient(final long pid, final long nowNs)
    {
        clientHeartbeatNs(nowNs);
        clientPid(pid);
    }

    /** Client side: leaves in order ({@link #CLIENT_PID_LEFT}); the queue driver stops. */
    public void detachClient()
    {
        clientPid(CLIENT_PID_LEFT);
    }

    /** Whether a client attached and has left in order. */
    public boolean hasClientLeft()
    {
        return clientPid() == CLIENT_PID_LEFT;
    }

    /**
     * Queue driver, before the channel goes ACTIVE: exposes its RX descriptor ring read-only in {@code path} (the
     * layout is queue-driver's {@code RxRingFile}); the client then takes received frames from it itself.
     */
    public void exposeRxRing(final int ringSize, final int flags, final String path)
    {
        final byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
        if (ringSize <= 0 || bytes.length == 0 || bytes.length > RX_RING_PATH_CAPACITY)
        {
            throw new IllegalArgumentException("RX ring of " + ringSize + " descriptors in '" + path + "': the path " +
                "must be 1.." + RX_RING_PATH_CAPACITY + " bytes and the ring not empty");
        }
        buffer.putBytes(RX_RING_PATH_OFFSET, bytes);
        buffer.putInt(RX_RING_PATH_LENGTH_OFFSET, bytes.length);
        buffer.putInt(RX_RING_FLAGS_OFFSET, flags);
        buffer.putIntRelease(RX_RING_SIZE_OFFSET, ringSize);
    }

    /** Descriptors of the RX ring the queue driver exposes read-only, 0 if it does not. */
    public int rxRingSize()
    {
        return buffer.getIntVolatile(RX_RING_SIZE_OFFSET);
    }

    public int rxRingFlags()
    {
        return buffer.getInt(RX_RING_FLAGS_OFFSET);
    }

    /** The exposed ring's file (read once, when the client opens the queue), null if none is exposed. */
    public String rxRingPath()
    {
        final int length = buffer.getInt(RX_RING_PATH_LENGTH_OFFSET);
        if (rxRingSize() == 0 || length <= 0 || length > RX_RING_PATH_CAPACITY)
        {
            return null;
        }
        return buffer.getStringWithoutLengthUtf8(RX_RING_PATH_OFFSET, length);
    }

    /** Client: how many descriptors of the exposed RX ring it has taken, published after it read them. */
    public void rxConsumerPosition(final long position)
    {
        buffer.putLongRelease(RX_CONSUMER_POSITION_OFFSET, position);
    }

    public long rxConsumerPosition()
    {
        return buffer.getLongVolatile(RX_CONSUMER_POSITION_OFFSET);
    }

    /** Counter {@code counter} (a COUNTER_* constant). */
    public long counter(final int counter)
    {
        return buffer.getLongVolatile(counterOffset(counter));
    }

    /** Queue driver only (the single writer): publishes a counter's new value. */
    public void counter(final int counter, final long value)
    {
        buffer.putLongRelease(counterOffset(counter), value);
    }

    /** A counter's name for reports: "rx-packets", "rejected-not-owned", ... */
    public static String counterName(final int counter)
    {
        return COUNTER_NAMES[counter];
    }

    /** A state's name for messages. */
    public static String stateName(final int state)
    {
        return switch (state)
        {
            case STATE_INITIALISING -> "INITIALISING";
            case STATE_ACTIVE -> "ACTIVE";
            case STATE_CLOSED -> "CLOSED";
            case STATE_REVOKED -> "REVOKED";
            default -> "UNKNOWN(" + state + ")";
        };
    }

    private static int counterOffset(final int counter)
    {
        if (counter < 0 || counter >= COUNTER_COUNT)
        {
            throw new IndexOutOfBoundsException("counter " + counter + " is outside [0, " + COUNTER_COUNT + ")");
        }
        return counter < COUNTERS_IN_FIRST_BLOCK ? COUNTERS_OFFSET + counter * Long.BYTES :
            MORE_COUNTERS_OFFSET + (counter - COUNTERS_IN_FIRST_BLOCK) * Long.BYTES;
    }
}
