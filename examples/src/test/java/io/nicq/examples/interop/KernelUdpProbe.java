package io.nicq.examples.interop;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;

/**
 * A UDP client on the Linux kernel's sockets, run in a child JVM inside a network namespace by {@link TapInteropIT}:
 * sends {@code count} datagrams one at a time to an echo server and checks that every answer is exactly its request
 * (length, every byte, the sequence in its first 8 bytes) and comes from the server's address and port, with nothing
 * else arriving. Payload lengths vary from 8 to 1472 bytes (a full 1500-byte IPv4 MTU), odd and even, so that
 * checksums and slot lengths are exercised, not just one size.
 * <p>
 * Prints {@code answered N of N} and exits 0 when every answer was right; otherwise prints what went wrong first and
 * exits non-zero. Usage: {@code KernelUdpProbe SERVER_IP SERVER_PORT COUNT TIMEOUT_MS FIRST_TIMEOUT_MS}; the first
 * round trip may take longer since the kernel resolves the server's MAC by ARP first.
 */
public final class KernelUdpProbe
{
    static final int MIN_PAYLOAD = 8;
    static final int MAX_PAYLOAD = 1472;

    static final int EXIT_OK = 0;
    static final int EXIT_USAGE = 1;
    static final int EXIT_TIMEOUT = 3;
    static final int EXIT_WRONG_ANSWER = 4;

    private KernelUdpProbe()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        if (args.length != 5)
        {
            System.out.println("usage: KernelUdpProbe SERVER_IP SERVER_PORT COUNT TIMEOUT_MS FIRST_TIMEOUT_MS");
            System.exit(EXIT_USAGE);
        }
        final InetSocketAddress server = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        final int count = Integer.parseInt(args[2]);
        final long timeoutNs = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(args[3]));
        final long firstTimeoutNs = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(args[4]));
        System.exit(run(server, count, timeoutNs, firstTimeoutNs));
    }

    /** Length of request {@code seq}: spread over 8..1472 bytes. */
    static int payloadLength(final long seq)
    {
        return MIN_PAYLOAD + (int)((seq * 97) % (MAX_PAYLOAD - MIN_PAYLOAD + 1));
    }

    private static int run(final InetSocketAddress server, final int count, final long timeoutNs,
        final long firstTimeoutNs) throws IOException
    {
        final ByteBuffer request = ByteBuffer.allocate(MAX_PAYLOAD);
        final ByteBuffer answer = ByteBuffer.allocate(65536);
        try (DatagramChannel channel = DatagramChannel.open(); Selector selector = Selector.open())
        {
            // Not connected: a connected socket would have the kernel drop answers from any other source, and checking
            // the source of every answer is part of the point.
            channel.bind(new InetSocketAddress(0));
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_READ);
            System.out.println("kernel-udp-probe: " + channel.getLocalAddress() + " -> " + server + ", " + count +
                " datagrams");

            long totalRoundTripNs = 0;
            long worstRoundTripNs = 0;
            for (long seq = 0; seq < count; seq++)
            {
                final int length = payloadLength(seq);
                fill(request, seq, length);
                final long start = System.nanoTime();
                final int sent = channel.send(request, server);
                if (sent != length)
                {
                    System.out.println("WRONG: request " + seq + ": the kernel sent " + sent + " of " + length +
                        " bytes");
                    return EXIT_WRONG_ANSWER;
                }

                final long waitNs = seq == 0 ? firstTimeoutNs : timeoutNs;
                final SocketAddress from = await(channel, selector, answer, start, waitNs);
                final long roundTripNs = System.nanoTime() - start;
                if (from == null)
                {
                    System.out.println("TIMEOUT: no answer to request " + seq + " (" + length + " bytes) within " +
                        TimeUnit.NANOSECONDS.toMillis(waitNs) + " ms");
                    return EXIT_TIMEOUT;
                }
                final String wrong = check(answer, seq, length, from, server);
                if (wrong != null)
                {
                    System.out.println("WRONG: answer to request " + seq + ": " + wrong);
                    return EXIT_WRONG_ANSWER;
                }
                totalRoundTripNs += roundTripNs;
                worstRoundTripNs = Math.max(worstRoundTripNs, roundTripNs);
            }

            // An echo server answers once: anything arriving after the last answer is a duplicate or a stray.
            final SocketAddress extra = await(channel, selector, answer, System.nanoTime(),
                TimeUnit.MILLISECONDS.toNanos(200));
            if (extra != null)
            {
                System.out.println("WRONG: an extra datagram of " + answer.remaining() + " bytes from " + extra +
                    " after the last answer");
                return EXIT_WRONG_ANSWER;
            }
            System.out.println("answered " + count + " of " + count + ", mean round trip " +
                (count > 0 ? totalRoundTripNs / count / 1000 : 0) + " us, worst " + worstRoundTripNs / 1000 + " us");
            return EXIT_OK;
        }
    }

    private static void fill(final ByteBuffer request, final long seq, final int length)
    {
        request.clear();
        request.putLong(0, seq);
        for (int i = 8; i < length; i++)
        {
            request.put(i, (byte)(seq * 31 + i * 7));
        }
        request.limit(length);
    }

    /** The next datagram's source, its bytes in {@code answer} (flipped), or null if none came in time. */
    private static SocketAddress await(final DatagramChannel channel, final Selector selector, final ByteBuffer answer,
        final long start, final long timeoutNs) throws IOException
    {
        while (true)
        {
            answer.clear();
            final SocketAddress from = channel.receive(answer);
            if (from != null)
            {
                answer.flip();
                return from;
            }
            final long leftNs = timeoutNs - (System.nanoTime() - start);
            if (leftNs <= 0)
            {
                return null;
            }
            selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(leftNs)));
            selector.selectedKeys().clear();
        }
    }

    private static String check(final ByteBuffer answer, final long seq, final int length, final SocketAddress from,
        final InetSocketAddress server)
    {
        if (!server.equals(from))
        {
            return "from " + from + ", not from the server " + server;
        }
        if (answer.remaining() != length)
        {
            return answer.remaining() + " bytes, the request had " + length;
        }
        if (answer.getLong(0) != seq)
        {
            return "sequence " + answer.getLong(0) + ", expected " + seq;
        }
        for (int i = 8; i < length; i++)
        {
            if (answer.get(i) != (byte)(seq * 31 + i * 7))
            {
                return "byte " + i + " is " + (answer.get(i) & 0xFF) + ", the request had " +
                    ((byte)(seq * 31 + i * 7) & 0xFF);
            }
        }
        return null;
    }
}
