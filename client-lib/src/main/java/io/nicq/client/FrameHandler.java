package io.nicq.client;

/**
 * Receives frames from {@link NicQueue#poll(FrameHandler, int)}: received frames, or sent frames whose slots came back
 * ({@link NicQueue#txCompletionHandler(FrameHandler)}).
 * <p>
 * The {@link Frame} is a reused view of a slot the application owns for the duration of the call. When the call
 * returns, the slot goes back to the queue, unless the handler has sent it ({@link Frame#send(int)}), given it back
 * itself ({@link Frame#release()}) or kept it ({@link Frame#keep()}: it must then be sent or released later). Create
 * the handler once: a lambda that captures variables allocates each time it is evaluated.
 */
@FunctionalInterface
public interface FrameHandler
{
    /**
     * One frame.
     *
     * @param frame view of the slot, valid until the call returns (or, if kept, until the slot is sent or released;
     *              the view itself is reused: keep {@link Frame#slot()}).
     */
    void onFrame(Frame frame);
}
