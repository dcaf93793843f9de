package io.nicq.proto.channel;

import io.nicq.runtime.WakeWord;
import org.agrona.concurrent.AtomicBuffer;

/**
 * The software-forward ring of a queue channel: frames the card driver matched in software on the default queue
 * (filters with placement SOFTWARE) on their way to the owner's queue. The card driver is its one producer, the queue
 * driver of the channel its one consumer: the queue driver copies each frame into a free slot and publishes it on
 * rxReady like a frame from the card, so the client sees one stream of received slots and rxReady keeps its single
 * producer. Records are fixed size (a whole slot), so a position names a record and nothing needs padding.
 * <pre>
 *   0                  producer position (long, card driver)       its own 128 bytes
 *   128                consumer position (long, queue driver)      its own 128 bytes
 *   256 + i x 2048     record i = position % CAPACITY:
 *                        0   frame length (int)
 *                        8   device timestamp of the frame on queue 0, System.nanoTime (long; 0 if none)
 *                       64   frame bytes, up to RECORD_LENGTH - 64
 * </pre>
 * The producer writes a record, then its position with release; the consumer reads the producer position with
 * acquire, the record, then its own position with release. A full ring refuses the frame (the producer counts it, as
 * a full descriptor ring drops with SRRCTL.DROP_EN). Positions only grow; a consumer that finds an impossible
 * producer position (behind its own, or more than CAPACITY ahead) takes nothing.
 */
public final class ForwardRing
{
    /** Records in the ring. */
    public static final int CAPACITY = 128;
    /** Bytes of one record. */
    public static final int RECORD_LENGTH = QueueChannelLayout.SLOT_SIZE + 64;
    /** Bytes before a record's frame. */
    public static final int FRAME_OFFSET = 64;
    /** The longest frame a record holds. */
    public static final int MAX_FRAME_LENGTH = RECORD_LENGTH - FRAME_OFFSET;

    static final int PRODUCER_POSITION_OFFSET = 0;
    static final int CONSUMER_POSITION_OFFSET = 128;
    static final int RECORDS_OFFSET = 256;
    /** Bytes of the whole ring in the channel file. */
    public static final int LENGTH = RECORDS_OFFSET + CAPACITY * RECORD_LENGTH;

    private static final int LENGTH_FIELD = 0;
    private static final int TIMESTAMP_FIELD = 8;

    private final AtomicBuffer buffer;
    private final WakeWord consumerWake;

    /** @param buffer {@link #LENGTH} bytes of the channel file */
    public ForwardRing(final AtomicBuffer buffer)
    {
        this(buffer, null);
    }

    /**
     * @param buffer       {@link #LENGTH} bytes of the channel file
     * @param consumerWake signalled after every frame offered (the queue driver's wake word), or null
     */
    public ForwardRing(final AtomicBuffer buffer, final WakeWord consumerWake)
    {
        this.consumerWake = consumerWake;
        if (buffer.capacity() < LENGTH)
        {
            throw new IllegalArgumentException("a forward ring needs " + LENGTH + " bytes, got " + buffer.capacity());
        }
        this.buffer = buffer;
    }

    /**
     * Producer: copies a frame into the next record.
     *
     * @return false if the ring is full or the frame too long (nothing written)
     */
    public boolean offer(final AtomicBuffer source, final int offset, final int length, final long deviceNs)
    {
        if (length <= 0 || length > MAX_FRAME_LENGTH)
        {
            return false;
        }
        final long producer = buffer.getLong(PRODUCER_POSITION_OFFSET);
        if (producer - buffer.getLongVolatile(CONSUMER_POSITION_OFFSET) >= CAPACITY)
        {
            return false;
        }
        final int record = record(producer);
        buffer.putInt(record + LENGTH_FIELD, length);
        buffer.putLong(record + TIMESTAMP_FIELD, deviceNs);
        buffer.putBytes(record + FRAME_OFFSET, source, offset, length);
        buffer.putLongRelease(PRODUCER_POSITION_OFFSET, producer + 1);
        if (consumerWake != null)
        {
            consumerWake.signal(); // a queue driver asleep on its interrupt and wake word has a frame
        }
        return true;
    }

    /** Consumer: the producer's position as published now (records below it may be taken). */
    public long producerPosition()
    {
        return buffer.getLongAcquire(PRODUCER_POSITION_OFFSET);
    }

    /** Consumer: the next record to take. */
    public long consumerPosition()
    {
        return buffer.getLong(CONSUMER_POSITION_OFFSET);
    }

    /** Records waiting below {@code producerPosition}, 0 if that position is impossible. */
    public int available(final long producerPosition)
    {
        final long waiting = producerPosition - consumerPosition();
        return waiting < 0 || waiting > CAPACITY ? 0 : (int)waiting;
    }

    /** Frame length of the record at the consumer position (check {@link #available} first); 0 if impossible. */
    public int frameLength()
    {
        final int length = buffer.getInt(record(consumerPosition()) + LENGTH_FIELD);
        return length <= 0 || length > MAX_FRAME_LENGTH ? 0 : length;
    }

    /** Device timestamp of the record at the consumer position. */
    public long deviceNs()
    {
        return buffer.getLong(record(consumerPosition()) + TIMESTAMP_FIELD);
    }

    /** Copies the frame of the record at the consumer position into {@code destination}. */
    public void copyFrame(final AtomicBuffer destination, final int offset, final int length)
    {
        destination.putBytes(offset, buffer, record(consumerPosition()) + FRAME_OFFSET, length);
    }

    /** Consumer: the record at the consumer position is taken. */
    public void advance()
    {
        buffer.putLongRelease(CONSUMER_POSITION_OFFSET, consumerPosition() + 1);
    }

    private static int record(final long position)
    {
        return RECORDS_OFFSET + (int)(position % CAPACITY) * RECORD_LENGTH;
    }
}
