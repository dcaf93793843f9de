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
        if (colon <= 0 || colon == spec.length() - 1)
        {
            throw new IllegalArgumentException("card spec '" + spec +
                "' must be sim:NAME, pci:ADDRESS or vfio:ADDRESS");
        }
        final String kind = spec.substring(0, colon);
        final String name = spec.substring(colon + 1);
        return switch (kind)
        {
            case "sim" -> SimulatedNic.open(SimulatedCardFiles.of(name));
            case "pci" -> PciNic.open(name);
            case "vfio" -> io.nicq.ixgbe.vfio.VfioNic.open(name);
            default -> throw new IllegalArgumentException("card kind '" + kind + "' of '" + spec +
                "' is unknown: use sim:NAME, pci:ADDRESS or vfio:ADDRESS");
        };
    }
}
