package io.nicq.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * Pins the calling thread to CPUs with Linux's {@code sched_setaffinity} (through the FFM API). A spinning loop that
 * shares its core with another spinning loop waits for the scheduler's time slice; pinning lets a deployment give a
 * latency-critical loop a core of its own, or keep loops that take turns on one core together.
 */
public final class CpuAffinity
{
    /** Bytes of the CPU mask: 1024 CPUs, the kernel's default {@code cpu_set_t}. */
    private static final int MASK_BYTES = 128;

    private static final MethodHandle SCHED_SETAFFINITY;
    private static final MethodHandle SCHED_GETAFFINITY;

    static
    {
        final Linker linker = Linker.nativeLinker();
        final SymbolLookup libc = linker.defaultLookup();
        final FunctionDescriptor descriptor = FunctionDescriptor.of(
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS);
        SCHED_SETAFFINITY = libc.find("sched_setaffinity")
            .map(symbol -> linker.downcallHandle(symbol, descriptor, Linker.Option.captureCallState("errno")))
            .orElse(null);
        SCHED_GETAFFINITY = libc.find("sched_getaffinity")
            .map(symbol -> linker.downcallHandle(symbol, descriptor, Linker.Option.captureCallState("errno")))
            .orElse(null);
    }

    private CpuAffinity()
    {
    }

    /**
     * Parses "1", "0,2" or "0-3" into CPU numbers.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static int[] parse(final String cpus)
    {
        final List<Integer> list = new ArrayList<>();
        try
        {
            for (final String part : cpus.split(","))
            {
                final String trimmed = part.trim();
                final int dash = trimmed.indexOf('-');
                final int from = Integer.parseInt(dash < 0 ? trimmed : trimmed.substring(0, dash));
                final int to = dash < 0 ? from : Integer.parseInt(trimmed.substring(dash + 1));
                if (from < 0 || to < from || to >= MASK_BYTES * 8)
                {
                    throw new IllegalArgumentException("CPU range '" + trimmed + "' is out of order or range");
                }
                for (int cpu = from; cpu <= to; cpu++)
                {
                    list.add(cpu);
                }
            }
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("CPUs '" + cpus + "' must look like 1, 0,2 or 0-3", ex);
        }
        return list.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Pins the calling thread to {@code cpus}.
     *
     * @throws IllegalStateException naming the CPUs and errno when the kernel refuses (e.g. a CPU that does not exist)
     */
    public static void pinCurrentThread(final int... cpus)
    {
        if (SCHED_SETAFFINITY == null)
        {
            throw new IllegalStateException("sched_setaffinity is not available on this platform");
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment mask = arena.allocate(MASK_BYTES);
            for (final int cpu : cpus)
            {
                if (cpu < 0 || cpu >= MASK_BYTES * 8)
                {
                    throw new IllegalArgumentException("CPU " + cpu + " is out of range");
                }
                final long index = cpu / 8;
                mask.set(ValueLayout.JAVA_BYTE, index, (byte)(mask.get(ValueLayout.JAVA_BYTE, index) | (1 << (cpu % 8))));
            }
            final MemorySegment errno = arena.allocate(Linker.Option.captureStateLayout());
            final int rc = (int)SCHED_SETAFFINITY.invokeExact(errno, 0, (long)MASK_BYTES, mask);
            if (rc != 0)
            {
                throw new IllegalStateException("cannot pin thread '" + Thread.currentThread().getName() +
                    "' to CPUs " + java.util.Arrays.toString(cpus) + ": sched_setaffinity failed with errno " +
                    errno.get(ValueLayout.JAVA_INT, Linker.Option.captureStateLayout().byteOffset(
                    java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"))));
            }
        }
        catch (final IllegalStateException | IllegalArgumentException ex)
        {
            throw ex;
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("sched_setaffinity call failed", ex);
        }
    }

    /** The CPUs the calling thread may run on. */
    public static int[] currentThreadCpus()
    {
        if (SCHED_GETAFFINITY == null)
        {
            throw new IllegalStateException("sched_getaffinity is not available on this platform");
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment mask = arena.allocate(MASK_BYTES);
            final MemorySegment errno = arena.allocate(Linker.Option.captureStateLayout());
            final int rc = (int)SCHED_GETAFFINITY.invokeExact(errno, 0, (long)MASK_BYTES, mask);
            if (rc < 0)
            {
                throw new IllegalStateException("sched_getaffinity failed");
            }
            final List<Integer> cpus = new ArrayList<>();
            for (int cpu = 0; cpu < MASK_BYTES * 8; cpu++)
            {
                if ((mask.get(ValueLayout.JAVA_BYTE, cpu / 8) & (1 << (cpu % 8))) != 0)
                {
                    cpus.add(cpu);
                }
            }
            return cpus.stream().mapToInt(Integer::intValue).toArray();
        }
        catch (final IllegalStateException ex)
        {
            throw ex;
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("sched_getaffinity call failed", ex);
        }
    }
}
