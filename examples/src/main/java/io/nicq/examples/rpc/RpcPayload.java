package io.nicq.examples.rpc;

import java.nio.ByteOrder;

import org.agrona.MutableDirectBuffer;

/**
 * The UDP payload of an RPC round trip: the client's sequence number, and room where a nicq echo server reports its
 * own phase timestamps, so that one client sees every phase of the round trip. A plain echo server (the Linux kernel's,
 * say) sends the payload back unchanged and the client sees only its own phases.
 * <pre>
 *   0        4        8                16                24       28       32       36       40
 *   +--------+--------+----------------+----------------+--------+--------+--------+--------+
 *   | magic  | flags  | sequence       | srv rxDevice   | rxDrv  | rxRing | rxApp  | txApp  |
 *   +--------+--------+----------------+----------------+--------+--------+--------+--------+
 *   40               48       52       56       60       64
 *   +----------------+--------+--------+--------+--------+
 *   | prev sequence  | txClnt | txDrv  | txDbell| txDev  |
 *   +----------------+--------+--------+--------+--------+
 *
 *   magic 'NQRP'; flags bit 0: the server filled in its timestamps.
 *   srv rxDevice: the server card's RX timestamp (System.nanoTime, absolute; 0 if the card gives none).
 *   rxDrv, rxRing, rxApp, txApp: nanoseconds after the previous point (rxDevice, rxDrv, rxRing, rxApp); -1 = absent.
 *   The server's transmit phases are known only after its answer has left, so each answer carries those of the
 *   previous answer (prev sequence): txClient after txApp, txDriver, doorbell and device, each after the previous.
 * </pre>
 * Little endian. Payloads shorter than {@link #LENGTH} carry only what fits (the sequence needs 16 bytes).
 */
public final class RpcPayload
{
    public static final int MAGIC = 0x5052514E; // "NQRP" little endian
    public static final int FLAG_SERVER_TIMESTAMPS = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int FLAGS_OFFSET = 4;
    public static final int SEQUENCE_OFFSET = 8;
    public static final int SERVER_RX_DEVICE_OFFSET = 16;
    public static final int SERVER_RX_DELTAS_OFFSET = 24;
    public static final int PREVIOUS_SEQUENCE_OFFSET = 40;
    public static final int SERVER_TX_DELTAS_OFFSET = 48;

    /** Server RX deltas: driver saw DD, client ring, app, and the turnaround to the app's send. */
    public static final int SERVER_RX_DELTAS = 4;
    /** Server TX deltas of the previous answer: client enqueued, driver dequeued, doorbell, device. */
    public static final int SERVER_TX_DELTAS = 4;

    /** Bytes needed for the server's timestamps; the client's default 64-byte payload is exactly this. */
    public static final int LENGTH = 64;
    /** Bytes needed for magic, flags and sequence. */
    public static final int MIN_LENGTH = 16;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private MutableDirectBuffer buffer;
    private int offset;
    private int length;

    public RpcPayload wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        return this;
    }

    /** Whether the payload is ours: long enough and with the magic. */
    public boolean isValid()
    {
        return length >= MIN_LENGTH && buffer.getInt(offset + MAGIC_OFFSET, ORDER) == MAGIC;
    }

    /** Whether it has room for the server's timestamps. */
    public boolean hasRoomForTimestamps()
    {
        return length >= LENGTH;
    }

    /** Client: a fresh request; the rest of the payload (up to its length) is zeroed. */
    public RpcPayload initRequest(final long sequence)
    {
        buffer.setMemory(offset, length, (byte)0);
        buffer.putInt(offset + MAGIC_OFFSET, MAGIC, ORDER);
        buffer.putInt(offset + FLAGS_OFFSET, 0, ORDER);
        buffer.putLong(offset + SEQUENCE_OFFSET, sequence, ORDER);
        return this;
    }

    public long sequence()
    {
        return buffer.getLong(offset + SEQUENCE_OFFSET, ORDER);
    }

    public boolean hasServerTimestamps()
    {
        return hasRoomForTimestamps() && (buffer.getInt(offset + FLAGS_OFFSET, ORDER) & FLAG_SERVER_TIMESTAMPS) != 0;
    }

    /**
     * Server: fills in this answer's receive-side timestamps (absolute nanoTime, 0 = absent) and the transmit-side
     * timestamps of the previous answer.
     */
    public void putServerTimestamps(
        final long rxDevice, final long rxDriver, final long rxRing, final long rxApp, final long txApp,
        final long previousSequence, final long prevTxApp, final long prevTxClient, final long prevTxDriver,
        final long prevTxDoorbell, final long prevTxDevice)
    {
        buffer.putInt(offset + FLAGS_OFFSET, FLAG_SERVER_TIMESTAMPS, ORDER);
        buffer.putLong(offset + SERVER_RX_DEVICE_OFFSET, rxDevice, ORDER);
        int at = offset + SERVER_RX_DELTAS_OFFSET;
        buffer.putInt(at, delta(rxDevice, rxDriver), ORDER);
        buffer.putInt(at + 4, delta(rxDriver, rxRing), ORDER);
        buffer.putInt(at + 8, delta(rxRing, rxApp), ORDER);
        buffer.putInt(at + 12, delta(rxApp, txApp), ORDER);
        buffer.putLong(offset + PREVIOUS_SEQUENCE_OFFSET, previousSequence, ORDER);
        at = offset + SERVER_TX_DELTAS_OFFSET;
        buffer.putInt(at, delta(prevTxApp, prevTxClient), ORDER);
        buffer.putInt(at + 4, delta(prevTxClient, prevTxDriver), ORDER);
        buffer.putInt(at + 8, delta(prevTxDriver, prevTxDoorbell), ORDER);
        buffer.putInt(at + 12, delta(prevTxDoorbell, prevTxDevice), ORDER);
    }

    public long serverRxDevice()
    {
        return buffer.getLong(offset + SERVER_RX_DEVICE_OFFSET, ORDER);
    }

    /** Server RX delta i (0: driver saw DD, 1: client ring, 2: app, 3: turnaround), -1 = absent. */
    public int serverRxDelta(final int i)
    {
        return buffer.getInt(offset + SERVER_RX_DELTAS_OFFSET + 4 * i, ORDER);
    }

    public long previousSequence()
    {
        return buffer.getLong(offset + PREVIOUS_SEQUENCE_OFFSET, ORDER);
    }

    /** Server TX delta i of the previous answer (0: client enqueued, 1: driver, 2: doorbell, 3: device), -1 = absent. */
    public int serverTxDelta(final int i)
    {
        return buffer.getInt(offset + SERVER_TX_DELTAS_OFFSET + 4 * i, ORDER);
    }

    /** Nanoseconds from a to b, or -1 when either is absent or the difference does not fit. */
    static int delta(final long a, final long b)
    {
        if (a == 0 || b == 0 || b < a || b - a > Integer.MAX_VALUE)
        {
            return -1;
        }
        return (int)(b - a);
    }
}
