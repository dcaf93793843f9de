package io.nicq.client.tcp;

import java.security.SecureRandom;

/**
 * Initial sequence numbers per RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a clock
 * ticking every 4 microseconds and F SipHash-2-4 of the 4-tuple under a 128-bit secret drawn once per layer. An
 * observer outside cannot predict another connection's ISN, and a 4-tuple reused later starts beyond its old
 * sequence space (the clock moved on).
 */
final class IsnGenerator
{
    private final long k0;
    private final long k1;

    IsnGenerator(final SecureRandom random)
    {
        this.k0 = random.nextLong();
        this.k1 = random.nextLong();
    }

    int isn(final int localAddress, final int localPort, final int remoteAddress, final int remotePort,
        final long nowNs)
    {
        final long m0 = ((long)localAddress << 32) | (remoteAddress & 0xFFFFFFFFL);
        final long m1 = ((long)localPort << 16) | remotePort;
        return (int)(nowNs >>> 12) + (int)sipHash(m0, m1);
    }

    /** SipHash-2-4 of two 64-bit words (a 16-byte message); the state lives in fields, one thread. */
    long sipHash(final long m0, final long m1)
    {
        v0 = k0 ^ 0x736f6d6570736575L;
        v1 = k1 ^ 0x646f72616e646f6dL;
        v2 = k0 ^ 0x6c7967656e657261L;
        v3 = k1 ^ 0x7465646279746573L;
        compress(m0);
        compress(m1);
        compress(16L << 56);
        v2 ^= 0xFF;
        rounds(4);
        return v0 ^ v1 ^ v2 ^ v3;
    }

    private long v0;
    private long v1;
    private long v2;
    private long v3;

    private void compress(final long m)
    {
        v3 ^= m;
        rounds(2);
        v0 ^= m;
    }

    private void rounds(final int count)
    {
        for (int r = 0; r < count; r++)
        {
            v0 += v1;
            v1 = Long.rotateLeft(v1, 13);
            v1 ^= v0;
            v0 = Long.rotateLeft(v0, 32);
            v2 += v3;
            v3 = Long.rotateLeft(v3, 16);
            v3 ^= v2;
            v0 += v3;
            v3 = Long.rotateLeft(v3, 21);
            v3 ^= v0;
            v2 += v1;
            v1 = Long.rotateLeft(v1, 17);
            v1 ^= v2;
            v2 = Long.rotateLeft(v2, 32);
        }
    }
}
