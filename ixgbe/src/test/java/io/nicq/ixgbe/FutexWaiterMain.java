package io.nicq.ixgbe;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/** A waiter in a child JVM for {@link FutexInterruptVectorTest}: maps the file, reads the count, waits up to 20 s. */
public final class FutexWaiterMain
{
    static final String READY = "waiting on the futex word";

    private FutexWaiterMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        try (Arena arena = Arena.ofShared();
            FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final MemorySegment shared = channel.map(FileChannel.MapMode.READ_WRITE, 0, 4096, arena);
            try (FutexInterruptVector vector = new FutexInterruptVector(shared, Long.parseLong(args[1]), "child"))
            {
                final long seen = vector.interrupts();
                System.out.println(READY + " (count " + seen + ")");
                System.out.flush();
                final boolean woken = vector.await(seen, TimeUnit.SECONDS.toNanos(20));
                System.out.println(woken ? "woken" : "timed out");
                System.exit(woken ? 0 : 1);
            }
        }
    }
}
