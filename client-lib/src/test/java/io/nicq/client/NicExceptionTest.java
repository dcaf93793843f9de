package io.nicq.client;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.nicq.proto.CardDriverUnavailableException;
import io.nicq.proto.ControlException;
import io.nicq.proto.ControlTimeoutException;
import io.nicq.proto.sbe.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The application sees its own reasons: each of the card driver's codes by name, local failures each their own. */
class NicExceptionTest
{
    @TempDir
    Path dir;

    @Test
    void everyCodeOfTheCardDriverHasTheReasonOfItsName()
    {
        for (final ErrorCode code : ErrorCode.values())
        {
            final NicException ex = NicException.of(new ControlException(code, "refused"));
            if (code == ErrorCode.NULL_VAL)
            {
                assertEquals(NicException.Reason.UNKNOWN_CODE, ex.reason());
            }
            else
            {
                assertEquals(code.name(), ex.reason().name());
            }
            assertEquals("refused", ex.getMessage());
        }
    }

    @Test
    void failuresWithoutAnAnswerAreNotTakenForACode()
    {
        final CardDriverUnavailableException none = new CardDriverUnavailableException("no card driver");
        assertEquals(NicException.Reason.NO_CARD_DRIVER, NicException.of(none).reason());
        assertSame(none, NicException.of(none).getCause());
        assertEquals(NicException.Reason.TIMED_OUT,
            NicException.of(new ControlTimeoutException("no answer")).reason());
    }

    @Test
    void noCardDriverRunningIsItsOwnReason()
    {
        final NicException ex = assertThrows(NicException.class, () -> NicClient.connect(new NicClient.Context()
            .instance("nobody").baseDir(dir).name("lonely").shutdownHook(false)
            .connectTimeout(1, TimeUnit.SECONDS)));
        assertEquals(NicException.Reason.NO_CARD_DRIVER, ex.reason());
        assertTrue(ex.getMessage().startsWith("no card driver of instance nobody is running"), ex.getMessage());
    }
}
