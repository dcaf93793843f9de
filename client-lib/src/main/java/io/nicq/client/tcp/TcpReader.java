package io.nicq.client.tcp;

import org.agrona.DirectBuffer;

/** Takes in-order received bytes from {@link TcpConnection#read}: a view, valid only during the call. */
@FunctionalInterface
public interface TcpReader
{
    /**
     * @param buffer holding the bytes: the received slot (zero copy) or the connection's receive ring.
     * @param offset of the first byte.
     * @param length bytes available in this view.
     * @return bytes consumed, 0..length; the rest stay readable.
     */
    int onData(DirectBuffer buffer, int offset, int length);
}
