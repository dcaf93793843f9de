package io.nicq.ixgbe.vfio;

/**
 * The I/O virtual addresses nicq gives its DMA mappings under VFIO: bump-allocated from 4 GiB (above the x86 MSI
 * window at 0xFEE00000, and a truncated 32-bit address can never hit a mapping), aligned to 2 MiB so the IOMMU can
 * use large pages for hugepage memory, with an unmapped 2 MiB guard after each range, and never reused, so a stale
 * descriptor or a DMA that runs past its buffer is an IOMMU fault rather than a write into other memory. The top is
 * 512 GiB (39 bits, the narrowest address width Intel VT-d implementations offer).
 */
public final class IovaAllocator
{
    public static final long FIRST_IOVA = 1L << 32;
    public static final long LIMIT = 1L << 39;
    public static final long ALIGNMENT = 2L * 1024 * 1024;
    public static final long GUARD = ALIGNMENT;

    private final long limit;
    private long next;

    public IovaAllocator()
    {
        this(FIRST_IOVA, LIMIT);
    }

    public IovaAllocator(final long first, final long limit)
    {
        if (first % ALIGNMENT != 0 || limit <= first)
        {
            throw new IllegalArgumentException("IOVA range [0x" + Long.toHexString(first) + ", 0x" +
                Long.toHexString(limit) + ") must be 2 MiB aligned and not empty");
        }
        this.next = first;
        this.limit = limit;
    }

    /**
     * A fresh range of at least {@code length} bytes.
     *
     * @throws IllegalStateException when the IOVA space is used up (never reused, so only after ~500 GiB)
     */
    public synchronized long allocate(final long length)
    {
        if (length <= 0)
        {
            throw new IllegalArgumentException("IOVA length " + length + " must be positive");
        }
        final long rounded = (length + ALIGNMENT - 1) & -ALIGNMENT;
        if (rounded > limit - next)
        {
            throw new IllegalStateException(String.format("IOVA space exhausted: 0x%x + %d bytes passes 0x%x " +
                "(IOVAs are never reused; restart the card driver)", next, length, limit));
        }
        final long iova = next;
        next = Math.min(limit, next + rounded + GUARD);
        return iova;
    }

    /** The next IOVA that would be handed out. */
    public synchronized long next()
    {
        return next;
    }
}
