package io.nicq.client;

import io.nicq.proto.CardDriverUnavailableException;
import io.nicq.proto.ControlException;
import io.nicq.proto.ControlTimeoutException;
import io.nicq.proto.sbe.ErrorCode;

/**
 * Something nicq was asked to do did not happen: the card driver refused it, there was no card driver to ask or it
 * did not answer, or it failed on this side (no route, a channel that cannot be opened). {@link #reason()} says
 * which; the message says what exactly. Malformed frames are never thrown: they are counted.
 */
public final class NicException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * Why. The first group is the card driver's own refusals (its protocol error codes, same names); the second are
     * failures on this side, where the card driver said nothing.
     */
    public enum Reason
    {
        /** The card driver found a request truncated or inconsistent (a bug on this side). */
        MALFORMED_MESSAGE,
        /** The card driver does not know the request (it is older than this client). */
        UNKNOWN_TEMPLATE,
        /** The request is of a newer protocol version than the card driver's. */
        UNSUPPORTED_VERSION,
        /** The request is not of nicq's protocol. */
        WRONG_SCHEMA,
        /** The card driver does not know this client: it never connected, or was reclaimed. */
        NOT_CONNECTED,
        /** This client id is connected from another process. */
        ALREADY_CONNECTED,
        /** A value is out of range (ring size, slot count, port, priority, address); the message says which. */
        INVALID_ARGUMENT,
        /** All hardware queues are in use. */
        NO_QUEUE,
        /** The queue is not granted (any more). */
        NO_SUCH_QUEUE,
        /** The queue or filter belongs to another client. */
        NOT_OWNER,
        /** The (protocol, local port) is taken: by another client's filter, or bound on this queue already. */
        PORT_IN_USE,
        /** All hardware filters are in use. */
        NO_FILTER_SLOT,
        /** The filter is not registered. */
        NO_SUCH_FILTER,
        /** Nobody answered ARP for the neighbour within the card driver's timeout. */
        NEIGHBOUR_TIMEOUT,
        /** A queue driver died or did not start: the card driver's, or an inline one on this side. */
        QUEUE_DRIVER_FAILED,
        /** The card driver stopped hearing this client's heartbeats and reclaimed it. */
        CLIENT_TIMED_OUT,
        /** The card driver is stopping. */
        SHUTTING_DOWN,
        /** A bug or a resource failure in the card driver, or an answer this side cannot make sense of. */
        INTERNAL_ERROR,
        /** The card stopped answering (removed, reset, or its simulation died). */
        CARD_FAILED,
        /** The card driver refused with a code this client does not know (it is newer); the message has the code. */
        UNKNOWN_CODE,

        /** No card driver runs for the instance, or it cannot be reached (its media driver has gone). */
        NO_CARD_DRIVER,
        /** The card driver (or a queue driver it started) did not answer or start within its timeout. */
        TIMED_OUT,
        /** The destination is off the subnet and there is no gateway. */
        NO_ROUTE,
        /** The queue's channel file cannot be opened or mapped. */
        CHANNEL_UNAVAILABLE,
        /** The calling thread was interrupted while it waited. */
        INTERRUPTED;

        /** The reason for one of the card driver's codes; {@code NULL_VAL} (a code unknown here) is UNKNOWN_CODE. */
        static Reason of(final ErrorCode code)
        {
            return switch (code)
            {
                case MALFORMED_MESSAGE -> MALFORMED_MESSAGE;
                case UNKNOWN_TEMPLATE -> UNKNOWN_TEMPLATE;
                case UNSUPPORTED_VERSION -> UNSUPPORTED_VERSION;
                case WRONG_SCHEMA -> WRONG_SCHEMA;
                case NOT_CONNECTED -> NOT_CONNECTED;
                case ALREADY_CONNECTED -> ALREADY_CONNECTED;
                case INVALID_ARGUMENT -> INVALID_ARGUMENT;
                case NO_QUEUE -> NO_QUEUE;
                case NO_SUCH_QUEUE -> NO_SUCH_QUEUE;
                case NOT_OWNER -> NOT_OWNER;
                case PORT_IN_USE -> PORT_IN_USE;
                case NO_FILTER_SLOT -> NO_FILTER_SLOT;
                case NO_SUCH_FILTER -> NO_SUCH_FILTER;
                case NEIGHBOUR_TIMEOUT -> NEIGHBOUR_TIMEOUT;
                case QUEUE_DRIVER_FAILED -> QUEUE_DRIVER_FAILED;
                case CLIENT_TIMED_OUT -> CLIENT_TIMED_OUT;
                case SHUTTING_DOWN -> SHUTTING_DOWN;
                case INTERNAL_ERROR -> INTERNAL_ERROR;
                case CARD_FAILED -> CARD_FAILED;
                case NULL_VAL -> UNKNOWN_CODE;
            };
        }
    }

    private final Reason reason;

    /**
     * A failure of the given reason; public for the layers in {@code io.nicq.client.iface} and
     * {@code io.nicq.client.udp}, which fail in this API's terms too.
     *
     * @param reason  why.
     * @param message what failed, for a person.
     */
    public NicException(final Reason reason, final String message)
    {
        super(message);
        this.reason = reason;
    }

    /**
     * A failure of the given reason, with the exception that caused it.
     *
     * @param reason  why.
     * @param message what failed, for a person.
     * @param cause   the failure underneath.
     */
    public NicException(final Reason reason, final String message, final Throwable cause)
    {
        super(message, cause);
        this.reason = reason;
    }

    /** A failed request to the card driver, in this API's terms (the protocol's exception is the cause). */
    static NicException of(final ControlException ex)
    {
        final Reason reason;
        if (ex instanceof CardDriverUnavailableException)
        {
            reason = Reason.NO_CARD_DRIVER;
        }
        else if (ex instanceof ControlTimeoutException)
        {
            reason = Reason.TIMED_OUT;
        }
        else
        {
            reason = Reason.of(ex.code());
        }
        return new NicException(reason, ex.getMessage(), ex);
    }

    public Reason reason()
    {
        return reason;
    }

    public String toString()
    {
        return "NicException{" + reason + ": " + getMessage() + "}";
    }
}
