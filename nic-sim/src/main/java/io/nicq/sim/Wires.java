package io.nicq.sim;

import java.nio.file.Path;

/** Makes a {@link Wire} from its spec: {@code none}, {@code memory}, {@code cable:NAME:a|b}, {@code tap:IFNAME}. */
public final class Wires
{
    public static final String SPEC_HELP = "none, memory, cable:NAME:a, cable:NAME:b or tap:IFNAME";

    private Wires()
    {
    }

    /**
     * @param baseDir       where cables live (the simulated cards' base directory)
     * @param cableCapacity bytes per direction of a cable this end creates
     */
    public static Wire open(final String spec, final Path baseDir, final int cableCapacity)
    {
        if (spec == null)
        {
            throw new IllegalArgumentException("wire spec missing: use " + SPEC_HELP);
        }
        if ("none".equals(spec))
        {
            return new NoneWire();
        }
        if ("memory".equals(spec))
        {
            return new MemoryWire();
        }
        final String[] parts = spec.split(":", -1);
        if ("cable".equals(parts[0]) && parts.length == 3)
        {
            return CableWire.open(baseDir, parts[1], parts[2], cableCapacity);
        }
        if ("tap".equals(parts[0]) && parts.length == 2)
        {
            return TapWire.open(parts[1]);
        }
        throw new IllegalArgumentException("wire '" + spec + "' is not one of " + SPEC_HELP);
    }
}
