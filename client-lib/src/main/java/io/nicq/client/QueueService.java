package io.nicq.client;

import io.nicq.proto.sbe.RequestedService;

/**
 * What an application chooses when it requests a queue ({@link NicClient#requestQueue(QueueService)}): who runs the
 * queue's queue driver, the loop between the descriptor rings and the queue channel.
 */
public enum QueueService
{
    /**
     * The card driver runs it: as a supervised process or as a thread of its own, as the card driver is configured
     * ({@code nicq card-driver --queue-driver-mode process|thread}). {@link NicQueue#driverPlacement()} says which.
     */
    SERVED(RequestedService.SERVED),

    /** The application runs it in its own thread: {@link NicQueue#poll} drives it, with no thread hop. */
    INLINE(RequestedService.INLINE);

    private final RequestedService requested;

    QueueService(final RequestedService requested)
    {
        this.requested = requested;
    }

    /** The protocol's value. */
    RequestedService requested()
    {
        return requested;
    }
}
