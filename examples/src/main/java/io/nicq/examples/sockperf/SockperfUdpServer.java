package io.nicq.examples.sockperf;

import io.nicq.client.udp.UdpDatagram;
import io.nicq.client.udp.UdpHandler;
import io.nicq.client.udp.UdpSocket;
import org.agrona.concurrent.Agent;

/**
 * A sockperf server over UDP as an Agrona {@link Agent}: answers what sockperf's ping-pong and under-load clients ask
 * to be answered, as {@code sockperf server} does, from the slot the message arrived in (zero copy: the CLIENT flag is
 * cleared in place and the datagram goes back to its sender).
 * <p>
 * Which messages are answered is {@link SockperfMessage#disposition}'s decision, shared with the TCP server. The
 * header's length must be the datagram's length, else it is counted malformed and dropped (sockperf would have sent
 * neither a short header nor a length that disagrees with the datagram).
 */
public final class SockperfUdpServer implements Agent
{
    /** Made once: a method reference evaluated in the loop would be a new object per poll. */
    private final UdpHandler onDatagramHandler = this::onDatagram;

    private final UdpSocket socket;
    private final SockperfMessage message = new SockperfMessage();
    private long received;
    private long answered;
    private long warmups;
    private long notAnswered;
    private long malformed;

    public SockperfUdpServer(final UdpSocket socket)
    {
        this.socket = socket;
    }

    public int doWork()
    {
        return socket.receive(onDatagramHandler);
    }

    public String roleName()
    {
        return "sockperf-server-udp";
    }

    /** Datagrams received, whatever they were. */
    public long received()
    {
        return received;
    }

    /** Pong requests answered. */
    public long answered()
    {
        return answered;
    }

    /** Warm-up messages (never answered). */
    public long warmups()
    {
        return warmups;
    }

    /** Well-formed messages that asked for no answer: under-load traffic between pong requests, or a server's. */
    public long notAnswered()
    {
        return notAnswered;
    }

    /** Datagrams that are not sockperf messages: shorter than a header, or a length that is not the datagram's. */
    public long malformed()
    {
        return malformed;
    }

    private void onDatagram(final UdpDatagram datagram)
    {
        received++;
        final int length = datagram.length();
        if (length < SockperfMessage.HEADER_LENGTH)
        {
            malformed++;
            return;
        }
        message.wrap(datagram.buffer(), datagram.offset());
        if (message.length() != length)
        {
            malformed++;
        }
        else
        {
            switch (message.disposition())
            {
                case WARMUP -> warmups++;
                case NOT_ASKING -> notAnswered++;
                case ANSWER ->
                {
                    message.markAnswer();
                    datagram.reply(length);  // the flags changed in place: the UDP checksum is recomputed
                    answered++;
                }
            }
        }
    }

    public String toString()
    {
        return "received " + received + ", answered " + answered + ", warm-up " + warmups + ", not asking " +
            notAnswered + ", malformed " + malformed;
    }
}
