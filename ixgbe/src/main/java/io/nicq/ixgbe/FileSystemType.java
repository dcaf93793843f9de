package io.nicq.ixgbe;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which file system a path lives on, by its magic number ({@code statfs(2)} f_type, the first field of
 * {@code struct statfs} on 64-bit Linux), and the one rule nicq needs of it: memory a real card DMAs into lives on
 * hugetlbfs. On tmpfs a file's 4 KiB pages are scattered in physical memory, so an address computed from the first
 * page of a 2 MiB window is wrong for every other page of it: the card would DMA into someone else's RAM.
 */
@SuppressWarnings("restricted") // statfs through the FFM API; nicq runs with --enable-native-access
public final class FileSystemType
{
    /** HUGETLBFS_MAGIC, include/uapi/linux/magic.h. */
    public static final long HUGETLBFS_MAGIC = 0x958458f6L;
    /** TMPFS_MAGIC, include/uapi/linux/magic.h. */
    public static final long TMPFS_MAGIC = 0x01021994L;
    /** Bytes reserved for {@code struct statfs} (120 on x86-64 and arm64, checked by the uapi layout test). */
    public static final int STATFS_SIZE = 128;

    private static final MethodHandle STATFS = Linker.nativeLinker().downcallHandle(
        Linker.nativeLinker().defaultLookup().find("statfs").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS),
        Linker.Option.captureCallState("errno"));
    private static final long ERRNO_OFFSET = Linker.Option.captureStateLayout()
        .byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));

    private FileSystemType()
    {
    }

    /**
     * The f_type of the file system holding {@code path}, or of its nearest existing ancestor when it does not exist
     * yet (directories created under it will be on the same file system).
     *
     * @throws IllegalStateException when even that cannot be asked
     */
    public static long of(final Path path)
    {
        Path existing = path.toAbsolutePath();
        while (existing != null && !Files.exists(existing))
        {
            existing = existing.getParent();
        }
        if (existing == null)
        {
            throw new IllegalStateException("no existing directory above " + path);
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = arena.allocate(STATFS_SIZE, 8);
            final MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            final int result = (int)STATFS.invokeExact(state, arena.allocateFrom(existing.toString()), buffer);
            if (result != 0)
            {
                throw new IllegalStateException("statfs(" + existing + ") failed: " +
                    Errno.describe(state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET)));
            }
            return buffer.get(ValueLayout.JAVA_LONG, 0) & 0xFFFF_FFFFL;
        }
        catch (final RuntimeException | Error ex)
        {
            throw ex;
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("statfs(" + existing + ") failed", ex);
        }
    }

    /** True if {@code path} (or its nearest existing ancestor) is on hugetlbfs. */
    public static boolean isHugetlbfs(final Path path)
    {
        return of(path) == HUGETLBFS_MAGIC;
    }

    /**
     * Refuses a DMA-visible file that is not on hugetlbfs.
     *
     * @param what what the file is, for the message ("queue channel", "DMA file")
     * @throws IllegalStateException naming the path, its file system and what to do
     */
    public static void requireHugetlbfs(final Path path, final String what)
    {
        require(path, what, HUGETLBFS_MAGIC);
    }

    /**
     * {@link #requireHugetlbfs} against another magic: VFIO's tests run the whole open sequence with DMA files in a
     * temporary directory and say which file system that is; production code always asks for hugetlbfs.
     */
    public static void require(final Path path, final String what, final long requiredType)
    {
        final long type = of(path);
        if (type != requiredType)
        {
            throw new IllegalStateException(String.format("%s %s is on %s (f_type 0x%08x), not hugetlbfs: memory a " +
                "real card DMAs into must be on hugetlbfs, where each 2 MiB page is physically contiguous (on any " +
                "other file system every 4 KiB page past the first of a window would get a wrong bus address); " +
                "create it under a hugetlbfs mount ('mount -t hugetlbfs -o pagesize=2M none /dev/hugepages', " +
                "'nicq doctor' checks)", what, path, name(type), type));
        }
    }

    /** A readable name for the magic numbers a user is likely to meet. */
    public static String name(final long type)
    {
        if (type == HUGETLBFS_MAGIC)
        {
            return "hugetlbfs";
        }
        if (type == TMPFS_MAGIC)
        {
            return "tmpfs";
        }
        if (type == 0xEF53L)
        {
            return "ext4";
        }
        if (type == 0x58465342L)
        {
            return "xfs";
        }
        if (type == 0x9123683EL)
        {
            return "btrfs";
        }
        if (type == 0x794C7630L)
        {
            return "overlayfs";
        }
        return "a file system that is not hugetlbfs";
    }
}
