package io.nicq.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Linux futexes on shared memory, through the FFM API: a thread sleeps in the kernel until another thread, in this
 * process or any other that maps the same file, wakes the word it sleeps on. This is how nicq's loops sleep without
 * polling (an idle simulated card, a queue driver waiting for its interrupt vector, a client waiting for its queue).
 * <p>
 * The futexes are shared (no {@code FUTEX_PRIVATE_FLAG}): the kernel keys them by the page of the mapped file, so two
 * processes that map the same file at different addresses meet on the same word. The word must be a 4-byte aligned
 * int in memory that stays mapped while anyone sleeps on it.
 * <p>
 * Use {@link WakeWord} rather than these calls directly: the sleep-and-wake protocol is where lost wake-ups come
 * from, and it is written once there.
 * <p>
 * One instance belongs to one thread: it holds the timeout and errno memory of its calls, so waiting allocates
 * nothing.
 */
public final class Futex implements AutoCloseable
{
    /** The call returned because the word was woken (or a signal interrupted the sleep: callers re-check anyway). */
    public static final int WOKEN = 0;
    /** The word no longer held the expected value when the call was made (EAGAIN): there is news, do not sleep. */
    public static final int VALUE_CHANGED = 1;
    /** The timeout passed (ETIMEDOUT). */
    public static final int TIMED_OUT = 2;

    private static final int FUTEX_WAIT = 0;
    private static final int FUTEX_WAKE = 1;
    private static final int EAGAIN = 11;
    private static final int EINTR = 4;
    private static final int ETIMEDOUT = 110;
    private static final long SYS_FUTEX = sysFutex();
    /** futex_waitv(2), Linux 5.16 and later: the same number on x86-64 and aarch64. */
    private static final long SYS_FUTEX_WAITV = SYS_FUTEX < 0 ? -1 : 449;
    /** struct futex_waitv: u64 val, u64 uaddr, u32 flags, u32 reserved. */
    private static final long WAITV_SIZE = 24;
    /** FUTEX2_SIZE_U32, and no FUTEX2_PRIVATE: the words are shared between processes. */
    private static final int FUTEX2_SIZE_U32 = 0x02;
    private static final long CLOCK_MONOTONIC = 1;
    private static final int ENOSYS = 38;
    private static final MethodHandle SYSCALL;
    private static final long ERRNO_OFFSET =
        Linker.Option.captureStateLayout().byteOffset(MemoryLayout.PathElement.groupElement("errno"));

    static
    {
        final Linker linker = Linker.nativeLinker();
        // long syscall(long number, ...): every variadic argument is passed as a 64-bit word.
        final FunctionDescriptor descriptor = FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG);
        SYSCALL = linker.defaultLookup().find("syscall")
            .map(symbol -> linker.downcallHandle(symbol, descriptor, Linker.Option.firstVariadicArg(1),
                Linker.Option.captureCallState("errno")))
            .orElse(null);
    }

    private final Arena arena = Arena.ofShared();
    private final MemorySegment timespec = arena.allocate(16, 8);
    private final MemorySegment errno = arena.allocate(Linker.Option.captureStateLayout());
    private final MemorySegment waiters = arena.allocate(2 * WAITV_SIZE, 8);

    /**
     * @throws IllegalStateException on a platform without futexes (only Linux on x86-64 and aarch64 is supported)
     */
    public Futex()
    {
        if (SYSCALL == null || SYS_FUTEX < 0)
        {
            throw new IllegalStateException("futexes need Linux on x86-64 or aarch64 (os.name=" +
                System.getProperty("os.name") + ", os.arch=" + System.getProperty("os.arch") + ")");
        }
    }

    /**
     * Sleeps while the int at {@code address} holds {@code expected}, at most {@code timeoutNs}.
     *
     * @param address   absolute address of a 4-byte aligned int in shared memory
     * @param expected  the value seen before deciding to sleep: if the word changed since, the call returns at once
     * @param timeoutNs at most this long; {@code Long.MAX_VALUE} or less than 0 waits without a timeout
     * @return {@link #WOKEN}, {@link #VALUE_CHANGED} or {@link #TIMED_OUT}
     */
    public int await(final long address, final int expected, final long timeoutNs)
    {
        checkAligned(address);
        long timeoutAddress = 0;
        if (timeoutNs >= 0 && timeoutNs != Long.MAX_VALUE)
        {
            timespec.set(ValueLayout.JAVA_LONG, 0, timeoutNs / 1_000_000_000L);
            timespec.set(ValueLayout.JAVA_LONG, 8, timeoutNs % 1_000_000_000L);
            timeoutAddress = timespec.address();
        }
        final long rc = call(address, FUTEX_WAIT, expected, timeoutAddress);
        if (rc == 0)
        {
            return WOKEN;
        }
        final int error = errno.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
        return switch (error)
        {
            case EAGAIN -> VALUE_CHANGED;
            case ETIMEDOUT -> TIMED_OUT;
            case EINTR -> WOKEN;
            default -> throw new IllegalStateException("futex wait on 0x" + Long.toHexString(address) +
                " failed with errno " + error);
        };
    }

    /**
     * Sleeps while the int at {@code first} holds {@code firstExpected} and the int at {@code second} holds
     * {@code secondExpected}, at most {@code timeoutNs} (futex_waitv(2)): a wake-up or a change of either word ends
     * the sleep. This is how one loop sleeps on two wake-ups from different senders at once (a simulated card's
     * doorbell and its cable), which a plain futex cannot do and poll(2) cannot watch.
     *
     * @param timeoutNs at most this long; {@code Long.MAX_VALUE} or less than 0 waits without a timeout
     * @return {@link #WOKEN}, {@link #VALUE_CHANGED} or {@link #TIMED_OUT}
     * @throws IllegalStateException on a kernel without futex_waitv (before 5.16)
     */
    public int awaitEither(final long first, final int firstExpected, final long second, final int secondExpected,
        final long timeoutNs)
    {
        checkAligned(first);
        checkAligned(second);
        waiters.set(ValueLayout.JAVA_LONG, 0, firstExpected & 0xFFFF_FFFFL);
        waiters.set(ValueLayout.JAVA_LONG, 8, first);
        waiters.set(ValueLayout.JAVA_INT, 16, FUTEX2_SIZE_U32);
        waiters.set(ValueLayout.JAVA_INT, 20, 0);
        waiters.set(ValueLayout.JAVA_LONG, WAITV_SIZE, secondExpected & 0xFFFF_FFFFL);
        waiters.set(ValueLayout.JAVA_LONG, WAITV_SIZE + 8, second);
        waiters.set(ValueLayout.JAVA_INT, WAITV_SIZE + 16, FUTEX2_SIZE_U32);
        waiters.set(ValueLayout.JAVA_INT, WAITV_SIZE + 20, 0);
        long timeoutAddress = 0;
        if (timeoutNs >= 0 && timeoutNs != Long.MAX_VALUE)
        {
            // futex_waitv takes an absolute time on the given clock; nanoTime is CLOCK_MONOTONIC on Linux.
            final long deadline = System.nanoTime() + timeoutNs;
            timespec.set(ValueLayout.JAVA_LONG, 0, deadline / 1_000_000_000L);
            timespec.set(ValueLayout.JAVA_LONG, 8, deadline % 1_000_000_000L);
            timeoutAddress = timespec.address();
        }
        final long rc;
        try
        {
            rc = (long)SYSCALL.invokeExact(errno, SYS_FUTEX_WAITV, waiters.address(), 2L, 0L, timeoutAddress,
                CLOCK_MONOTONIC, 0L);
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("futex_waitv system call failed", ex);
        }
        if (rc >= 0)
        {
            return WOKEN;
        }
        final int error = errno.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
        return switch (error)
        {
            case EAGAIN -> VALUE_CHANGED;
            case ETIMEDOUT -> TIMED_OUT;
            case EINTR -> WOKEN;
            case ENOSYS -> throw new IllegalStateException("futex_waitv needs Linux 5.16 or later");
            default -> throw new IllegalStateException("futex_waitv on 0x" + Long.toHexString(first) + " and 0x" +
                Long.toHexString(second) + " failed with errno " + error);
        };
    }

    /**
     * Wakes up to {@code count} threads sleeping on the int at {@code address}.
     *
     * @return how many were woken
     */
    public int wake(final long address, final int count)
    {
        checkAligned(address);
        final long rc = call(address, FUTEX_WAKE, count, 0);
        if (rc < 0)
        {
            throw new IllegalStateException("futex wake on 0x" + Long.toHexString(address) + " failed with errno " +
                errno.get(ValueLayout.JAVA_INT, ERRNO_OFFSET));
        }
        return (int)rc;
    }

    public void close()
    {
        arena.close();
    }

    private long call(final long address, final int op, final int value, final long timeoutAddress)
    {
        try
        {
            return (long)SYSCALL.invokeExact(errno, SYS_FUTEX, address, (long)op, (long)value, timeoutAddress, 0L, 0L);
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("futex system call failed", ex);
        }
    }

    private static void checkAligned(final long address)
    {
        if (address == 0 || (address & 3) != 0)
        {
            throw new IllegalArgumentException("a futex word needs a 4-byte aligned address, not 0x" +
                Long.toHexString(address));
        }
    }

    private static long sysFutex()
    {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux"))
        {
            return -1;
        }
        return switch (System.getProperty("os.arch", ""))
        {
            case "amd64", "x86_64" -> 202;
            case "aarch64" -> 98;
            default -> -1;
        };
    }
}
