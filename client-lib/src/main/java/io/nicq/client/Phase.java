package io.nicq.client;

/**
 * The latency phases of one frame, in the order of the reference design ("Phases"), each between two timestamps of
 * the slot metadata ({@link io.nicq.proto.channel.SlotMetadata}). An RPC round trip is the client's TX phases, the
 * server's RX phases, the server's {@link #TURNAROUND}, the server's TX phases and the client's RX phases.
 * <pre>
 *   TX  app send -> client enqueued -> queue driver dequeued -> descriptor written + doorbell -> device on the wire
 *         TX_ENQUEUE          TX_DEQUEUE                TX_DOORBELL                          TX_WIRE
 *   RX  device wrote descriptor -> queue driver saw DD -> client ring -> app
 *                     RX_DD                    RX_RING         RX_APP
 *   TURNAROUND  app received -> app send, of a received slot reused for the answer (zero-copy reply)
 * </pre>
 * The device phases (TX_WIRE, RX_DD) exist on the simulated card only: silicon has no timestamps there. A frame the
 * client took itself from a served queue's read-only RX ring has no RX_DD nor RX_RING (no queue driver saw it: they
 * are absent, not 0), and its RX_APP runs from the device's write-back, the publication of that ring.
 */
public enum Phase
{
    TX_ENQUEUE("tx-enqueue", "TX app send -> client enqueued"),
    TX_DEQUEUE("tx-dequeue", "TX client enqueued -> queue driver dequeued"),
    TX_DOORBELL("tx-doorbell", "TX queue driver dequeued -> descriptor written + doorbell"),
    TX_WIRE("tx-wire", "TX doorbell -> device on the wire"),
    RX_DD("rx-dd", "RX device wrote descriptor -> queue driver saw DD"),
    RX_RING("rx-ring", "RX queue driver saw DD -> client ring"),
    RX_APP("rx-app", "RX client ring -> app"),
    TURNAROUND("turnaround", "app received -> app send (same slot)");

    private static final Phase[] PHASES = values();

    /** Number of phases. */
    public static final int COUNT = PHASES.length;

    private final String phaseName;
    private final String description;

    Phase(final String phaseName, final String description)
    {
        this.phaseName = phaseName;
        this.description = description;
    }

    /**
     * Short stable name, for file names and JSON keys: "tx-enqueue", "rx-app", ...
     *
     * @return the phase's name.
     */
    public String phaseName()
    {
        return phaseName;
    }

    /**
     * What the phase measures, for report tables.
     *
     * @return e.g. "TX app send -> client enqueued".
     */
    public String description()
    {
        return description;
    }

    /**
     * The phase of a short name.
     *
     * @param phaseName as {@link #phaseName()} returns it.
     * @return the phase.
     * @throws IllegalArgumentException if no phase has that name.
     */
    public static Phase byName(final String phaseName)
    {
        for (final Phase phase : PHASES)
        {
            if (phase.phaseName.equals(phaseName))
            {
                return phase;
            }
        }
        throw new IllegalArgumentException("no latency phase named '" + phaseName + "'");
    }

    static Phase get(final int ordinal)
    {
        return PHASES[ordinal];
    }
}
