package io.nicq.examples.tcp;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.agrona.MutableDirectBuffer;

/**
 * A reproducible pseudo-random byte stream and its SHA-256: what {@code tcp-send} sends, and what a peer on any host
 * (the kernel's sockets in a test, {@code sha256sum} behind {@code nc}) checks. Byte {@code i} of the stream for a seed
 * is a pure function of {@code (seed, i)}: the 64-bit word {@code i / 8} is SplitMix64 of the state {@code seed + (i / 8) * 0x9E3779B97F4A7C15}, stored
 * little-endian; so any chunking gives the same bytes, and sender and checker need share only the seed.
 * <p>
 * The digest is fed through a reused array: {@link #fill} allocates nothing.
 */
public final class SeededStream
{
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
    private static final int CHUNK = 64 * 1024;

    private final long seed;
    private final MessageDigest digest;
    private final byte[] chunk = new byte[CHUNK];
    private long position;

    public SeededStream(final long seed)
    {
        this.seed = seed;
        this.digest = sha256();
    }

    /** Bytes produced so far: the stream position of the next {@link #fill}. */
    public long position()
    {
        return position;
    }

    /**
     * Writes the next {@code length} bytes of the stream at {@code offset} and adds them to the digest.
     */
    public void fill(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        int done = 0;
        while (done < length)
        {
            final int n = Math.min(CHUNK, length - done);
            fill(chunk, 0, n, seed, position);
            buffer.putBytes(offset + done, chunk, 0, n);
            digest.update(chunk, 0, n);
            position += n;
            done += n;
        }
    }

    /** The SHA-256 of every byte filled so far, as lower-case hex. Ends the stream: the digest resets. */
    public String sha256Hex()
    {
        return HexFormat.of().formatHex(digest.digest());
    }

    /** {@code length} bytes of stream {@code seed} from {@code position} into {@code into[offset..]}. */
    public static void fill(final byte[] into, final int offset, final int length, final long seed, final long position)
    {
        long word = 0;
        long wordIndex = -1;
        for (int i = 0; i < length; i++)
        {
            final long at = position + i;
            final long index = at >>> 3;
            if (index != wordIndex)
            {
                word = mix(seed + index * GOLDEN_GAMMA);
                wordIndex = index;
            }
            into[offset + i] = (byte)(word >>> ((at & 7) << 3));
        }
    }

    /** The SHA-256 of the first {@code length} bytes of stream {@code seed}, as lower-case hex. */
    public static String sha256Hex(final long seed, final long length)
    {
        final MessageDigest digest = sha256();
        final byte[] chunk = new byte[CHUNK];
        long done = 0;
        while (done < length)
        {
            final int n = (int)Math.min(CHUNK, length - done);
            fill(chunk, 0, n, seed, done);
            digest.update(chunk, 0, n);
            done += n;
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** A SHA-256 digest: every JDK has one (a missing one is a broken JDK, not a condition to handle). */
    public static MessageDigest sha256()
    {
        try
        {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("this JDK has no SHA-256", ex);
        }
    }

    private static long mix(final long value)
    {
        long z = value;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
