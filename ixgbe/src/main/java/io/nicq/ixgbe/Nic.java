package io.nicq.ixgbe;

/**
 * A card as the drivers reach it: its BAR0 and the DMA memory it can use. Opened from a spec:
 * <ul>
 *   <li>{@code sim:NAME} — a simulated card (its files under {@link SimulatedCardFiles});</li>
 *   <li>{@code pci:0000:03:00.0} — a real 82599 through sysfs {@code resource0} and hugepages (root);</li>
 *   <li>{@code vfio:0000:03:00.0} — a real 82599 through VFIO.</li>
 * </ul>
 */
public interface Nic extends AutoCloseable
{
    /** The spec this card was opened with. */
    String spec();

    Bar bar();

    DmaAllocator dma();

    /**
     * Null while the card answers, else why it does not: a simulated card whose process is gone or whose device loop
     * stopped, a real card that reads all ones (removed from the bus, or hung). Cheap enough to ask a few times a
     * second.
     */
    String failure();

    /** Releases the BAR mapping and every DMA mapping made through {@link #dma()}. */
    void close();

    /** Opens a card by spec; the implementations live in {@link Nics}. */
    static Nic open(final String spec)
    {
        return Nics.open(spec);
    }
}
