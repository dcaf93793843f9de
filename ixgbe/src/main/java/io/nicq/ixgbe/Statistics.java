package io.nicq.ixgbe;

import java.util.function.IntConsumer;

import static io.nicq.ixgbe.Registers.*;

/**
 * The 82599's statistics registers (datasheet 8.2.3.23) as the groups they form, declared once for the drivers and
 * the simulated card: the card-wide counters ({@link CardCounter}) and the per-queue statistics set
 * ({@link QueueCounter}), of which the part has {@link Registers#QUEUE_STATS_COUNT}, mapped to queues by RQSMR/TQSM.
 * Every one of them is clear on read ({@link RegisterFile} marks them so). A 64-bit count lies in a low and a high
 * register, read low first.
 * <pre>
 *   driver:          Statistics.clearAll(bar);                    // init: everything counts from zero
 *                    long bytes = QueueCounter.QBRC.read(bar, set);
 *   simulated card:  for each counter: add to counter.low(n) / counter.high(n), carrying into the high half
 * </pre>
 */
public final class Statistics
{
    /** {@link CardCounter#high(int)} / {@link QueueCounter#high(int)} of a 32-bit counter: it has no high register. */
    public static final int NO_REGISTER = -1;

    /**
     * The 82599's two-register counts (GORC, GOTC, TOR, QBRC, QBTC) are 36 bits: the high register holds bits 35:32
     * in [3:0], the rest reserved (8.2.3.23). They wrap at 2^36 bytes, which a driver reading every second never sees.
     */
    public static final int HIGH_MASK = 0xF;
    public static final int COUNT_BITS = 36;

    /** The card-wide counters nicq uses (8.2.3.23), in datasheet order. */
    public enum CardCounter
    {
        /** CRC Error Count. */
        CRCERRS("rx CRC errors", Registers.CRCERRS),
        /** Illegal Byte Error Count. */
        ILLERRC("rx illegal byte errors", Registers.ILLERRC),
        /** Error Byte Count. */
        ERRBC("rx error bytes", Registers.ERRBC),
        /** MAC Short Packet Discard Count. */
        MSPDC("rx short frames discarded", Registers.MSPDC),
        /** Missed Packets Count of packet buffer n: no room in the RX packet buffer (one per traffic class). */
        MPC("rx missed, no packet buffer", mpc(0), NO_REGISTER, PACKET_BUFFER_COUNT, mpc(1) - mpc(0)),
        /** Receive Length Error Count. */
        RLEC("rx length errors", Registers.RLEC),
        /** Good Packets Received Count (erratum: also counts missed packets). */
        GPRC("rx good packets", Registers.GPRC),
        /** Broadcast Packets Received Count. */
        BPRC("rx broadcast packets", Registers.BPRC),
        /** Multicast Packets Received Count. */
        MPRC("rx multicast packets", Registers.MPRC),
        /** Good Packets Transmitted Count. */
        GPTC("tx good packets", Registers.GPTC),
        /** Good Octets Received Count. */
        GORC("rx good bytes", GORCL, GORCH, 1, 0),
        /** Good Octets Transmitted Count. */
        GOTC("tx good bytes", GOTCL, GOTCH, 1, 0),
        /** Receive Undersize Count. */
        RUC("rx undersize frames", Registers.RUC),
        /** Receive Oversize Count. */
        ROC("rx oversize frames", Registers.ROC),
        /** Total Octets Received. */
        TOR("rx total bytes", TORL, TORH, 1, 0),
        /** Total Packets Received. */
        TPR("rx total packets", Registers.TPR),
        /** Total Packets Transmitted. */
        TPT("tx total packets", Registers.TPT);

        /** How many there are; {@link #of(int)} gives them by ordinal without the copy {@code values()} makes. */
        public static final int COUNT = values().length;
        private static final CardCounter[] VALUES = values();

        private final String description;
        private final int low;
        private final int high;
        private final int instances;
        private final int stride;

        CardCounter(final String description, final int register)
        {
            this(description, register, NO_REGISTER, 1, 0);
        }

        CardCounter(final String description, final int low, final int high, final int instances, final int stride)
        {
            this.description = description;
            this.low = low;
            this.high = high;
            this.instances = instances;
            this.stride = stride;
        }

        public static CardCounter of(final int ordinal)
        {
            return VALUES[ordinal];
        }

        /** What it counts, for labels: "rx oversize frames". */
        public String description()
        {
            return description;
        }

        /** Instances of the counter: one, or one per packet buffer (MPC). */
        public int instances()
        {
            return instances;
        }

        /** The register of instance n, or of a 64-bit count's low half. */
        public int low(final int instance)
        {
            return low + stride * instance;
        }

        /** The high half of a 64-bit count, or {@link #NO_REGISTER}. */
        public int high(final int instance)
        {
            return high == NO_REGISTER ? NO_REGISTER : high + stride * instance;
        }

        /** Reads (and so clears) instance n: the count since the last read. */
        public long read(final Bar bar, final int instance)
        {
            return Statistics.read(bar, low(instance), high(instance));
        }

        /** Reads (and so clears) every instance: their sum since the last read. */
        public long readAll(final Bar bar)
        {
            long sum = 0;
            for (int n = 0; n < instances; n++)
            {
                sum += read(bar, n);
            }
            return sum;
        }
    }

    /**
     * One per-queue statistics set (8.2.3.23): the counters of every queue mapped to it (RQSMR for RX, TQSM for TX;
     * set 0 counts every unmapped queue). Instance n is set n.
     */
    public enum QueueCounter
    {
        /** Queue Packets Received Count. */
        QPRC("rx packets"),
        /** Queue Bytes Received Count, 64 bits. */
        QBRC("rx bytes"),
        /** Queue Packets Received Drop Count: no descriptor (SRRCTL.DROP_EN). */
        QPRDC("rx drops, no descriptor"),
        /** Queue Packets Transmitted Count. */
        QPTC("tx packets"),
        /** Queue Bytes Transmitted Count, 64 bits. */
        QBTC("tx bytes");

        /** How many there are; {@link #of(int)} gives them by ordinal without the copy {@code values()} makes. */
        public static final int COUNT = values().length;
        private static final QueueCounter[] VALUES = values();

        private final String description;

        QueueCounter(final String description)
        {
            this.description = description;
        }

        public static QueueCounter of(final int ordinal)
        {
            return VALUES[ordinal];
        }

        /** What it counts, for labels: "rx drops, no descriptor". */
        public String description()
        {
            return description;
        }

        /** The register of set n, or of a 64-bit count's low half. */
        public int low(final int set)
        {
            return switch (this)
            {
                case QPRC -> qprc(set);
                case QBRC -> qbrcL(set);
                case QPRDC -> qprdc(set);
                case QPTC -> qptc(set);
                case QBTC -> qbtcL(set);
            };
        }

        /** The high half of a 64-bit count, or {@link #NO_REGISTER}. */
        public int high(final int set)
        {
            return switch (this)
            {
                case QBRC -> qbrcH(set);
                case QBTC -> qbtcH(set);
                default -> NO_REGISTER;
            };
        }

        /** Reads (and so clears) the counter of set n: the count since the last read. */
        public long read(final Bar bar, final int set)
        {
            return Statistics.read(bar, low(set), high(set));
        }
    }

    private Statistics()
    {
    }

    /** Every statistics register, each once: the card-wide counters, then the sets in order. */
    public static void forEachRegister(final IntConsumer action)
    {
        for (int i = 0; i < CardCounter.COUNT; i++)
        {
            final CardCounter counter = CardCounter.of(i);
            for (int n = 0; n < counter.instances(); n++)
            {
                action.accept(counter.low(n));
                if (counter.high(n) != NO_REGISTER)
                {
                    action.accept(counter.high(n));
                }
            }
        }
        for (int set = 0; set < QUEUE_STATS_COUNT; set++)
        {
            forEachRegisterOfSet(set, action);
        }
    }

    /** The registers of one per-queue statistics set. */
    public static void forEachRegisterOfSet(final int set, final IntConsumer action)
    {
        for (int i = 0; i < QueueCounter.COUNT; i++)
        {
            final QueueCounter counter = QueueCounter.of(i);
            action.accept(counter.low(set));
            if (counter.high(set) != NO_REGISTER)
            {
                action.accept(counter.high(set));
            }
        }
    }

    /** Reads every statistics register once (8.2.3.23: clear on read), so that everything counts from zero. */
    public static void clearAll(final Bar bar)
    {
        forEachRegister(bar::read);
    }

    /** Reads every register of one set once, so that its counts start from zero (a set handed to another queue). */
    public static void clearSet(final Bar bar, final int set)
    {
        forEachRegisterOfSet(set, bar::read);
    }

    private static long read(final Bar bar, final int low, final int high)
    {
        final long lowValue = bar.read(low) & 0xFFFF_FFFFL;
        return high == NO_REGISTER ? lowValue : lowValue | ((long)(bar.read(high) & HIGH_MASK) << 32);
    }
}
