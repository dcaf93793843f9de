package io.nicq.proto;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.SleepingMillisIdleStrategy;

/**
 * A stand-in for the card driver's control server, for tests of the requesting side: a media driver of its own, the
 * request stream read on a thread, and whatever the script answers published on the answer stream.
 */
final class ScriptedCardDriver implements AutoCloseable
{
    /** Called on the responder thread for each request as it arrived. */
    @FunctionalInterface
    interface Script
    {
        void onRequest(DirectBuffer buffer, int offset, int length, ScriptedCardDriver cardDriver);
    }

    private final MediaDriver driver;
    private final Aeron aeron;
    private final Publication answers;
    private final Thread responder;
    private volatile boolean running = true;

    private ScriptedCardDriver(final Path dir, final Script script)
    {
        driver = MediaDriver.launch(new MediaDriver.Context()
            .aeronDirectoryName(dir.resolve("aeron").toString())
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(new SleepingMillisIdleStrategy(1))
            .ipcTermBufferLength(64 * 1024)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true));
        aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(driver.aeronDirectoryName()));
        final Subscription requests = aeron.addSubscription(ControlProtocol.CHANNEL,
            ControlProtocol.REQUEST_STREAM_ID);
        answers = aeron.addPublication(ControlProtocol.CHANNEL, ControlProtocol.RESPONSE_STREAM_ID);
        responder = new Thread(() ->
        {
            final SleepingMillisIdleStrategy idle = new SleepingMillisIdleStrategy(1);
            while (running)
            {
                idle.idle(requests.poll((buffer, offset, length, header) ->
                    script.onRequest(buffer, offset, length, this), 10));
            }
        }, "scripted-card-driver");
    }

    static ScriptedCardDriver launch(final Path dir, final Script script)
    {
        final ScriptedCardDriver cardDriver = new ScriptedCardDriver(dir, script);
        cardDriver.responder.start();
        return cardDriver;
    }

    String aeronDirectoryName()
    {
        return driver.aeronDirectoryName();
    }

    /** Publishes {@code length} bytes of {@code buffer} on the answer stream, retrying back pressure for 5 s. */
    void answer(final DirectBuffer buffer, final int length)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (answers.offer(buffer, 0, length) < 0)
        {
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("the scripted card driver could not answer");
            }
            Thread.onSpinWait();
        }
    }

    public void close()
    {
        running = false;
        try
        {
            responder.join(5000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        CloseHelper.quietCloseAll(aeron, driver);
    }
}
