package io.nicq.queue;

/** How the device reports completed TX descriptors (datasheet 7.2.3.5). */
public enum TxWriteback
{
    /**
     * The device sets DD in each descriptor sent with RS (every nicq descriptor has RS). On the simulated card the
     * write-back also carries the time the frame went on the wire.
     */
    DESCRIPTOR_DONE,

    /**
     * The device writes its head index to a separate word in memory (TDWBAL/TDWBAH): the driver reads one word instead
     * of a descriptor per frame, and the device never writes into the descriptor ring. No wire timestamps.
     */
    HEAD;

    /** From a command-line name: "dd" or "head". */
    public static TxWriteback of(final String name)
    {
        return switch (name)
        {
            case "dd" -> DESCRIPTOR_DONE;
            case "head" -> HEAD;
            default -> throw new IllegalArgumentException("TX write-back '" + name + "' is not one of dd, head");
        };
    }
}
