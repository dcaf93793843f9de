package io.nicq.ixgbe;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * BAR0 of a real 82599 mapped into this process (sysfs {@code resource0} or a VFIO region): plain volatile 32-bit
 * accesses, nothing else. The registers are little endian like the x86 hosts nicq runs on.
 */
public final class MappedBar implements Bar
{
    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final MemorySegment registers;
    private final Arena arena;
    private final String description;

    /**
     * @param registers the mapped register space
     * @param arena     the arena that owns the mapping, closed by {@link #close()}; null if the caller owns it
     */
    public MappedBar(final MemorySegment registers, final Arena arena, final String description)
    {
        this.registers = registers;
        this.arena = arena;
        this.description = description;
    }

    public int read(final int offset)
    {
        return (int)INT.getVolatile(registers, (long)offset);
    }

    public void write(final int offset, final int value)
    {
        INT.setVolatile(registers, (long)offset, value);
    }

    public String description()
    {
        return description;
    }

    public void close()
    {
        if (arena != null)
        {
            arena.close();
        }
    }
}
