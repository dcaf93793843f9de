package io.nicq.queue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * A child JVM for {@link ReadOnlyRxRingTest}: maps an RX ring file as a client does, then stores into the mapping
 * past Java's read-only check (a segment made from the raw address), as native code of the client could. The store
 * must fault: the JVM dies of SIGSEGV, and "stored" is never printed.
 */
public final class RingWriter
{
    private RingWriter()
    {
    }

    public static void main(final String[] args)
    {
        final RxRingFile ring = RxRingFile.openReadOnly(Path.of(args[0]), Integer.parseInt(args[1]));
        System.out.println("mapped " + ring.segment().isReadOnly());
        System.out.flush();
        final MemorySegment raw = MemorySegment.ofAddress(ring.segment().address()).reinterpret(16);
        raw.set(ValueLayout.JAVA_INT, 8, 0x0BAD_0BAD);
        System.out.println("stored");
        System.out.flush();
    }
}
