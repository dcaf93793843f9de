package io.nicq.ixgbe;

/** Opens a {@link Nic} from its spec. */
final class Nics
{
    private Nics()
    {
    }

    static Nic open(final String spec)
    {
        final int colon = spec == null ? -1 : spec.indexOf(':');
        if (colon <= 0)
        {
            throw new IllegalArgumentException("card spec '" + spec + "' must be sim:NAME, pci:ADDRESS or vfio:ADDRESS");
        }
        final String kind = spec.substring(0, colon);
        throw new IllegalArgumentException("card kind '" + kind + "' of '" + spec + "' is not available in this build");
    }
}
