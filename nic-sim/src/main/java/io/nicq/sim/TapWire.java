package io.nicq.sim;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;

import io.nicq.packet.EthernetHeader;
import io.nicq.runtime.WakeWord;

/**
 * A wire to the Linux kernel ({@code tap:IFNAME}): a TAP device opened through {@code /dev/net/tun} with the FFM API,
 * non-blocking, without the packet-information header. Frames the card transmits are written to the TAP device and so
 * arrive in the kernel's network stack; frames the kernel sends out of the TAP interface are what the card receives.
 * Opening needs CAP_NET_ADMIN (root); the interface must be brought up and addressed by the caller (e.g.
 * {@code ip link set IFNAME up}). It can be moved into another network namespace after opening.
 */
@SuppressWarnings("restricted") // native calls are what this class is for; nicq runs with --enable-native-access
public final class TapWire implements Wire
{
    /** From linux/if_tun.h and linux/if.h. */
    private static final long TUNSETIFF = 0x400454caL;
    private static final short IFF_TAP = 0x0002;
    private static final short IFF_NO_PI = 0x1000;
    private static final int IFNAMSIZ = 16;
    private static final int IFREQ_SIZE = 40;
    private static final int O_RDWR = 2;
    private static final int O_NONBLOCK = 0x800;
    private static final int O_CLOEXEC = 0x80000;
    private static final int EAGAIN = 11;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final MethodHandle OPEN = LINKER.downcallHandle(LIBC.find("open").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), CAPTURE_ERRNO);
    private static final MethodHandle IOCTL = LINKER.downcallHandle(LIBC.find("ioctl").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
        CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle READ = LINKER.downcallHandle(LIBC.find("read").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
        CAPTURE_ERRNO);
    private static final MethodHandle WRITE = LINKER.downcallHandle(LIBC.find("write").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
        CAPTURE_ERRNO);
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LIBC.find("close").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LIBC.find("strerror").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private final String ifname;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment capture = arena.allocate(CAPTURE);
    private final MemorySegment receiveBuffer = arena.allocate(MAX_FRAME_LENGTH, 64);
    private final MemorySegment sendBuffer = arena.allocate(MAX_FRAME_LENGTH, 64);
    private final int fd;
    private final TapArrivalWatcher watcher;
    private long readErrors;
    private long writeErrors;

    private TapWire(final String ifname)
    {
        this.ifname = ifname;
        try
        {
            fd = (int)OPEN.invokeExact(capture, arena.allocateFrom("/dev/net/tun"), O_RDWR | O_NONBLOCK | O_CLOEXEC);
            if (fd < 0)
            {
                throw new IllegalStateException("tap:" + ifname + ": cannot open /dev/net/tun: " + lastError() +
                    " (TAP needs root or CAP_NET_ADMIN, and the tun module)");
            }
            final MemorySegment ifreq = arena.allocate(IFREQ_SIZE);
            final byte[] name = ifname.getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(name, 0, ifreq, ValueLayout.JAVA_BYTE, 0, name.length);
            ifreq.set(ValueLayout.JAVA_SHORT, IFNAMSIZ, (short)(IFF_TAP | IFF_NO_PI));
            final int result = (int)IOCTL.invokeExact(capture, fd, TUNSETIFF, ifreq);
            if (result < 0)
            {
                final String error = lastError();
                closeFd();
                throw new IllegalStateException("tap:" + ifname + ": ioctl TUNSETIFF failed: " + error +
                    " (needs root or CAP_NET_ADMIN; the name may belong to a non-TAP device)");
            }
            watcher = new TapArrivalWatcher(fd, "nicq-sim-tap-" + ifname);
        }
        catch (final RuntimeException ex)
        {
            arena.close();
            throw ex;
        }
        catch (final Throwable ex)
        {
            arena.close();
            throw new IllegalStateException("tap:" + ifname + ": native call failed", ex);
        }
    }

    /** Opens (creating if needed) the TAP interface {@code ifname}. */
    public static TapWire open(final String ifname)
    {
        if (ifname == null || ifname.isEmpty() || ifname.length() >= IFNAMSIZ || !ifname.matches("[A-Za-z0-9_.-]+"))
        {
            throw new IllegalArgumentException("TAP interface name '" + ifname +
                "' must be 1-15 letters, digits, '_', '.' or '-'");
        }
        return new TapWire(ifname);
    }

    public int send(final MemorySegment frame, final long offset, final int length)
    {
        if (length <= 0 || length > MAX_FRAME_LENGTH)
        {
            return DROPPED;
        }
        MemorySegment.copy(frame, offset, sendBuffer, 0, length);
        final long written;
        try
        {
            written = (long)WRITE.invokeExact(capture, fd, sendBuffer, (long)length);
        }
        catch (final Throwable ex)
        {
            writeErrors++;
            return DROPPED;
        }
        if (written == length)
        {
            return SENT;
        }
        if (written < 0 && errno() == EAGAIN)
        {
            return BUSY;
        }
        // The interface is down or the kernel refused the frame: like a frame on a cable nobody listens to.
        writeErrors++;
        return DROPPED;
    }

    public int poll(final FrameSink sink, final int limit)
    {
        int frames = 0;
        while (frames < limit)
        {
            final long length;
            try
            {
                length = (long)READ.invokeExact(capture, fd, receiveBuffer, (long)MAX_FRAME_LENGTH);
            }
            catch (final Throwable ex)
            {
                readErrors++;
                break;
            }
            if (length <= 0)
            {
                if (length < 0 && errno() != EAGAIN)
                {
                    readErrors++;
                }
                break;
            }
            int frameLength = (int)length;
            if (frameLength < EthernetHeader.MIN_FRAME_LENGTH)
            {
                // The kernel hands a TAP device its frames unpadded (an ARP request is 42 bytes); the NIC that would
                // send them pads them to 60 (64 with the FCS), so that is what the card's MAC sees on the wire.
                receiveBuffer.asSlice(frameLength, EthernetHeader.MIN_FRAME_LENGTH - frameLength).fill((byte)0);
                frameLength = EthernetHeader.MIN_FRAME_LENGTH;
            }
            sink.onFrame(receiveBuffer, 0, frameLength);
            frames++;
        }
        return frames;
    }

    public boolean isConnected()
    {
        return true;
    }

    /** Signalled by the watcher thread when the tun descriptor becomes readable while the device sleeps. */
    public WakeWord arrivals()
    {
        return watcher.arrivals();
    }

    public void armArrivals()
    {
        watcher.arm();
    }

    public String description()
    {
        return "tap:" + ifname;
    }

    public String interfaceName()
    {
        return ifname;
    }

    /** Reads that failed with something other than "nothing to read". */
    public long readErrors()
    {
        return readErrors;
    }

    /** Writes the kernel refused (interface down, no carrier). */
    public long writeErrors()
    {
        return writeErrors;
    }

    public void close()
    {
        if (arena.scope().isAlive())
        {
            watcher.close(); // before the descriptor it polls is closed (and its number reused)
            closeFd();
            arena.close();
        }
    }

    private void closeFd()
    {
        try
        {
            final int ignored = (int)CLOSE.invokeExact(fd);
        }
        catch (final Throwable ignore)
        {
            // Nothing more to do for a descriptor that will not close.
        }
    }

    private int errno()
    {
        return (int)ERRNO.get(capture, 0L);
    }

    private String lastError()
    {
        final int errno = errno();
        try
        {
            final MemorySegment message = (MemorySegment)STRERROR.invokeExact(errno);
            return message.reinterpret(256).getString(0) + " (errno " + errno + ")";
        }
        catch (final Throwable ex)
        {
            return "errno " + errno;
        }
    }
}
